"""Transfer batches (转运): each quarantine site's vehicles collect its persons by the deadline.

The model, per site, is a pickup-and-delivery problem with time windows solved
with the OR-Tools routing library [1]_:

* a *stop* is a household's pick-up (a household larger than a vehicle is
  split into stops of at most ``seats`` persons, at the same place); its
  delivery node is the site, with the time window ``[0, deadline]`` of the stop
  (the deadline of its persons: default 6 h after the case's confirmation, the
  Shenzhen 1+4+6+24 rule);
* vehicles start and end at the site, leave it at ``ready`` (minutes), drive at
  ``speed_kmh`` over ``detour`` × the straight-line distance (or a road matrix),
  and spend ``stop_minutes`` at each pick-up; a vehicle holds ``seats`` persons
  and may make several trips (each trip ends at the site);
* the objective is, lexicographically by weights, the most stops on time (a
  dropped stop costs more than any route), then the fewest vehicles, then the
  least driving time.

A *batch* is one trip: its pick-ups in order with their times, and the
arrival at the site.  Every person aboard is unloaded at the first arrival at
the site after their pick-up, so arrivals never exceed the delivery times the
solver planned.  Stops that cannot be served on time are reported with the
reason — ``deadline_passed`` (the deadline is before the vehicles are ready),
``too_far`` (even a vehicle sent only for that stop arrives late), or
``no_vehicle`` (a shortage of vehicles, or the solver's time ran out) — and are
planned again without deadline in batches marked late, so every person still
has a transfer.

References
----------
.. [1] L. Perron, V. Furnon, *OR-Tools* routing library (Google, 2024):
   pickup and delivery with time windows, ``AddPickupAndDelivery``.
.. [2] 深圳市 1+4+6+24 流调处置要求: close and secondary contacts transferred
   to centralised quarantine within 6 h.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

#: Why a stop is late (``TransferPlan.late_reason``).
LATE_REASONS: Final = ("deadline_passed", "too_far", "no_vehicle")
_DROP = 10**9
_VEHICLE = 10**6


@dataclass(frozen=True)
class TransferOptions:
    """Vehicles and timing; defaults are a transfer minibus in a city."""

    seats: int = 10
    speed_kmh: float = 30.0
    #: Road distance ≈ ``detour`` × straight line (ignored with a road matrix).
    detour: float = 1.3
    stop_minutes: int = 10
    #: Vehicles per site (``None``: as many as needed).
    vehicles_per_site: int | None = None
    #: Routing search time per site (s); 0 = first solution improved to a local optimum.
    seconds_per_site: float = 0.0

    def validate(self) -> None:
        if self.seats < 1:
            raise ValueError("seats: must be at least 1")
        if not self.speed_kmh > 0 or not math.isfinite(self.speed_kmh):
            raise ValueError("speed_kmh: must be a positive number")
        if not self.detour >= 1:
            raise ValueError("detour: must be >= 1 (road distance over straight line)")
        if self.stop_minutes < 0:
            raise ValueError("stop_minutes: must be >= 0")
        if self.vehicles_per_site is not None and self.vehicles_per_site < 1:
            raise ValueError("vehicles_per_site: must be at least 1 (or None: unlimited)")
        if self.seconds_per_site < 0:
            raise ValueError("seconds_per_site: must be >= 0")


@dataclass(frozen=True)
class Batch:
    """One trip of one vehicle: pick-ups in order, then the site."""

    site: int
    vehicle: int
    trip: int
    depart: int
    arrive: int
    #: Stop indices (into the input) in pick-up order, and their pick-up minutes.
    stops: list[int]
    pickups: list[int]
    #: Persons picked up at each stop (a split household appears in several batches).
    loads: list[int]
    persons: int
    deadline: int
    on_time: bool


@dataclass(frozen=True)
class TransferPlan:
    """Batches, and per stop its batch, pick-up and arrival, or why it is late."""

    batches: list[Batch]
    stop_batch: I64
    stop_pickup: I64
    stop_arrive: I64
    #: ``""`` when on time, else one of :data:`LATE_REASONS`.
    late_reason: list[str]
    #: Earliest arrival at the site of a vehicle sent for the stop alone.
    earliest_arrival: I64
    stats: dict[str, Any] = field(default_factory=dict)


def _minutes(km: F64, opts: TransferOptions, road: bool) -> I64:
    factor = 1.0 if road else opts.detour
    return np.ceil(km * factor / opts.speed_kmh * 60.0 - 1e-9).astype(np.int64)


def plan_transfers(
    site: Any,
    x: Any,
    y: Any,
    persons: Any,
    deadline: Any,
    site_ids: Any,
    site_x: Any,
    site_y: Any,
    *,
    ready: int = 0,
    road_km: Any | None = None,
    options: TransferOptions | None = None,
) -> TransferPlan:
    """Batches per site for ``stops`` (one per household) going to ``site``.

    Parameters
    ----------
    site : int array (k,)
        Site id of each stop.
    x, y : float arrays (k,)
        Pick-up places (km).
    persons : int array (k,)
        Persons at each stop (``>= 1``); stops larger than ``seats`` are split.
    deadline : int array (k,)
        Latest arrival at the site, minutes on the same clock as ``ready``.
    site_ids, site_x, site_y : arrays (m,)
        The sites (km).
    ready : int
        When the vehicles leave their site, minutes.
    road_km : float array (k, m), optional
        Road distance stop × site; stop-to-stop legs then use the detour rule.

    Raises
    ------
    ValueError
        Naming the field and the rule.
    """
    opts = options or TransferOptions()
    opts.validate()
    t0 = time.perf_counter()
    s_site = np.asarray(site, dtype=np.int64)
    k = len(s_site)
    sx, sy = np.asarray(x, np.float64), np.asarray(y, np.float64)
    n_p, dl = np.asarray(persons, np.int64), np.asarray(deadline, np.int64)
    ids = np.asarray(site_ids, np.int64)
    gx, gy = np.asarray(site_x, np.float64), np.asarray(site_y, np.float64)
    for name, arr in (("x", sx), ("y", sy), ("persons", n_p), ("deadline", dl)):
        if len(arr) != k:
            raise ValueError(f"{name}: must have one value per stop ({k}), has {len(arr)}")
    for name, arr in (("x", sx), ("y", sy), ("site x", gx), ("site y", gy)):
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name}: must be finite numbers")
    if np.any(n_p < 1):
        raise ValueError("persons: every stop must have at least 1 person")
    if len(gx) != len(ids) or len(gy) != len(ids):
        raise ValueError("site_x, site_y: must have one value per site")
    pos = {int(s): i for i, s in enumerate(ids.tolist())}
    missing = [int(s) for s in s_site.tolist() if int(s) not in pos]
    if missing:
        raise ValueError(f"site: unknown site id {missing[0]}")
    road = None if road_km is None else np.asarray(road_km, np.float64)
    if road is not None and road.shape != (k, len(ids)):
        raise ValueError(f"road_km: must be stops × sites ({k} × {len(ids)}), is {road.shape}")

    site_pos = np.array([pos[int(s)] for s in s_site.tolist()], np.int64)
    if road is not None:
        leg = _minutes(road[np.arange(k), site_pos], opts, road=True)
    else:
        leg = _minutes(np.hypot(sx - gx[site_pos], sy - gy[site_pos]), opts, road=False)
    earliest = ready + leg + opts.stop_minutes + leg
    reason = [""] * k
    batch_of = np.full(k, -1, np.int64)
    pickup = np.full(k, -1, np.int64)
    arrive = np.full(k, -1, np.int64)
    batches: list[Batch] = []
    late_all: list[int] = []
    for j in np.unique(site_pos).tolist():
        mine = np.flatnonzero(site_pos == j)
        passed = mine[dl[mine] < ready]
        far = mine[(dl[mine] >= ready) & (earliest[mine] > dl[mine])]
        for i in passed.tolist():
            reason[i] = "deadline_passed"
        for i in far.tolist():
            reason[i] = "too_far"
        ok = mine[earliest[mine] <= dl[mine]]
        route = _SiteRouter(j, sx, sy, dl, leg, gx, gy, ids, ready, opts)
        dropped = route(_chunks(ok, n_p, opts.seats), True, batches, batch_of, pickup, arrive)
        for i, _ in dropped:
            reason[i] = "no_vehicle"
        late = _chunks(np.concatenate([passed, far]), n_p, opts.seats) + dropped
        late_all += sorted({i for i, _ in late})
        if late:
            rest = route(late, False, batches, batch_of, pickup, arrive)
            assert not rest, "without deadlines every stop is served"
    stats = {
        "stops": k,
        "batches": len(batches),
        "late_stops": len(late_all),
        "seconds": round(time.perf_counter() - t0, 3),
    }
    return TransferPlan(batches, batch_of, pickup, arrive, reason, earliest, stats)


def _chunks(stops: I64, n_p: I64, seats: int) -> list[tuple[int, int]]:
    """(stop, persons) pick-ups: stops larger than a vehicle are split at the same place."""
    out: list[tuple[int, int]] = []
    for i in np.sort(stops).tolist():
        left = int(n_p[i])
        while left > 0:
            take = min(left, seats)
            out.append((int(i), take))
            left -= take
    return out


class _SiteRouter:
    """The routing model of one site (see the module docstring)."""

    def __init__(
        self, j: int, sx: F64, sy: F64, dl: I64, leg: I64, gx: F64, gy: F64, ids: I64,
        ready: int, opts: TransferOptions,
    ) -> None:  # fmt: skip
        self.j, self.sx, self.sy, self.dl, self.leg = j, sx, sy, dl, leg
        self.gx, self.gy, self.site = gx, gy, int(ids[j])
        self.ready, self.opts = ready, opts
        self.vehicles = 0

    def __call__(
        self, chunks: list[tuple[int, int]], on_time: bool, batches: list[Batch],
        batch_of: I64, pickup: I64, arrive: I64,
    ) -> list[tuple[int, int]]:  # fmt: skip
        """Route ``chunks``; append their batches and return the dropped chunks."""
        if not chunks:
            return []
        opts, ready, dl, j = self.opts, self.ready, self.dl, self.j
        P = len(chunks)
        idx = np.array([c[0] for c in chunks], np.int64)
        load = [c[1] for c in chunks]
        px = np.concatenate([[self.gx[j]], self.sx[idx]])
        py = np.concatenate([[self.gy[j]], self.sy[idx]])
        dist = np.hypot(px[:, None] - px[None, :], py[:, None] - py[None, :])
        travel = _minutes(dist, opts, False)
        travel[0, 1:] = self.leg[idx]  # stop ↔ site legs as given (road matrix or detour)
        travel[1:, 0] = self.leg[idx]
        # nodes: 0 depot (the site), 1..P pick-ups, P+1..2P deliveries (at the site)
        place = np.concatenate([[0], np.arange(1, P + 1), np.zeros(P, np.int64)])
        service = np.array([0] + [opts.stop_minutes] * P + [0] * P, np.int64)
        matrix = (travel[place][:, place] + service[:, None]).tolist()
        horizon = int(max(int(dl[idx].max()) - ready, 0) + 1 if on_time else 10**6)
        n_vehicles = min(opts.vehicles_per_site or P, P)
        manager = pywrapcp.RoutingIndexManager(2 * P + 1, n_vehicles, 0)
        routing = pywrapcp.RoutingModel(manager)
        cb = routing.RegisterTransitMatrix(matrix)
        routing.SetArcCostEvaluatorOfAllVehicles(cb)
        routing.SetFixedCostOfAllVehicles(_VEHICLE)
        routing.AddDimension(cb, horizon, horizon, False, "time")
        tdim = routing.GetDimensionOrDie("time")
        dcb = routing.RegisterUnaryTransitVector([0, *load, *(-q for q in load)])
        routing.AddDimensionWithVehicleCapacity(dcb, 0, [opts.seats] * n_vehicles, True, "load")
        solver = routing.solver()
        for c in range(P):
            p_idx = manager.NodeToIndex(1 + c)
            d_idx = manager.NodeToIndex(1 + P + c)
            routing.AddPickupAndDelivery(p_idx, d_idx)
            solver.Add(routing.VehicleVar(p_idx) == routing.VehicleVar(d_idx))
            if on_time:
                tdim.CumulVar(d_idx).SetMax(int(dl[idx[c]]) - ready)
                routing.AddDisjunction([p_idx, d_idx], _DROP, 2)
        params = pywrapcp.DefaultRoutingSearchParameters()
        params.first_solution_strategy = (
            routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
        )
        if opts.seconds_per_site == 0:
            params.solution_limit = 1  # the insertion heuristic's first solution
        else:
            params.local_search_metaheuristic = (
                routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
            )
            params.time_limit.FromMilliseconds(int(opts.seconds_per_site * 1000))
        solution = routing.SolveWithParameters(params)
        if solution is None:
            return list(chunks)
        served: set[int] = set()
        used = 0
        for v in range(n_vehicles):
            node = routing.Start(v)
            if routing.IsEnd(solution.Value(routing.NextVar(node))):
                continue
            trips: list[tuple[list[int], list[int], int]] = []
            aboard: list[int] = []
            times: list[int] = []
            while not routing.IsEnd(node):
                nxt = solution.Value(routing.NextVar(node))
                nn = 0 if routing.IsEnd(nxt) else manager.IndexToNode(nxt)
                when = int(solution.Min(tdim.CumulVar(nxt)))
                if 1 <= nn <= P:
                    aboard.append(nn - 1)
                    times.append(when)
                elif aboard:  # at the site: everyone aboard gets off
                    trips.append((aboard, times, when))
                    aboard, times = [], []
                node = nxt
            used += 1
            for t_no, (chunk_list, pick_times, at) in enumerate(trips, start=1):
                stop_list = [int(idx[c]) for c in chunk_list]
                deadline = min(int(dl[s]) for s in stop_list)
                b_no = len(batches)
                batches.append(
                    Batch(
                        site=self.site,
                        vehicle=self.vehicles + used,
                        trip=t_no,
                        depart=ready + pick_times[0] - int(travel[0, 1 + chunk_list[0]]),
                        arrive=ready + at,
                        stops=stop_list,
                        pickups=[ready + w for w in pick_times],
                        loads=[int(load[c]) for c in chunk_list],
                        persons=int(sum(load[c] for c in chunk_list)),
                        deadline=deadline,
                        on_time=on_time and ready + at <= deadline,
                    )
                )
                for c, w in zip(chunk_list, pick_times, strict=True):
                    s = int(idx[c])
                    served.add(c)
                    if batch_of[s] < 0:
                        batch_of[s], pickup[s] = b_no, ready + w
                    arrive[s] = max(int(arrive[s]), ready + at)
        self.vehicles += used
        return [chunks[c] for c in range(P) if c not in served]
