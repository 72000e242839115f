"""Three-tier distribution (保供三级网络): one day's flows as a HiGHS MIP.

The network
-----------
Goods leave city centres ``c`` (市级保供中心), go to district hubs ``h``
(区级中转站) and community points ``p`` (社区保供点), whose delivery workers
carry them to the doors of households in lockdown and control zones.  Every
household of ``s`` persons needs ``s`` person-day baskets (DESIGN.md §3: 1 mask,
1 kg vegetables, 0.5 kg grain, 0.2 kg meat; ``basket_kg`` is their weight), and
it is *served* when its whole basket reaches its door within the deadline.

The day is planned in three stages (分时段配送), each a time window counted
from the plan's start:

1. centres → hubs in ``[0, W1]``;
2. hubs → points in ``[W1, W1 + W2]``;
3. doors in ``[W1 + W2 + H_p, deadline]`` (``H_p``: sorting at the point).

Stage 1 (trucks): a truck is dedicated to one centre→hub leg for its stage
(it shuttles): with one-way travel ``T`` and handling ``L`` per trip it delivers
trip ``k = 0, 1, ...`` at ``k (2T + L) + T + L``, so it makes
``n = floor((W1 - T - L) / (2T + L)) + 1`` trips when ``T + L <= W1`` and none
otherwise.

Stage 2 (vans): each hub→point trip is a round trip of ``c = 2T + L`` hours
and the hub's ``V`` vans take the trips in any order, each trip to the van free
first (list scheduling).  Graham's bound [2]_ says a trip ``j`` then starts by
``(sum c - c_j) / V``, so every trip is delivered inside the window when
``sum c <= V W2 - max_j (V (T_j + L) - c_j)`` over the hub's legs: the fleet
budget of the hub in hours.  Stage 3: a worker makes
``floor(window_3 / round_hours)`` rounds of ``doors_per_round`` households.
A plan that keeps these counts has a schedule meeting the deadline, and the
validator in the tests rebuilds it trip by trip.

The MIP
-------
Integer ``v_a`` (trucks on centre→hub leg ``a``) with continuous ``f_a`` (t),
integer ``n_b`` (van trips on hub→point leg ``b``) with ``g_b`` (t), and
integer ``y_k`` (households served of group ``k`` = (point, zone class,
household size): households of a group are interchangeable).  Rows:

* per centre: ``sum v <= V_c`` and ``sum f <= cap_c``;
* per truck leg: ``f_a <= Q_c n_a v_a``; per van leg: ``g_b <= Q_h n_b``;
* per hub: ``sum f_in = sum g_out <= cap_h`` and ``sum c_b n_b <=`` its budget;
* per point: ``sum g_in = sum_k s_k basket y_k <= cap_p`` and
  ``sum_k y_k <= workers_p × rounds × doors_per_round``;
* ``0 <= y_k <= n_k``.

The objective is lexicographic — first the most lockdown households served,
then the most control-zone households — written as weights (a lockdown
household counts ``W = n_control + 1``, so no number of control households
outweighs one lockdown household) and solved as one MIP from a relax-and-fix
start (the LP relaxation, then the MIP with every truck and trip count held
to the floor or ceiling of its LP value).  The plan reports, for lockdown and
control households, the count served, the bound HiGHS proved and the gap.
The trucks reported per leg are the
fewest that carry its flow.  Inside a group the households served are the
first by ``priority`` (special-population tier) and then id.

Why a household is not served
-----------------------------
For each point with households left over, the binding resource on its supply
paths, in this order: ``no_point`` (its community has no point),
``travel_time`` (no leg into the point, or into its hubs, fits its window, or
the door window is shorter than a round), ``delivery_rounds`` (its workers'
rounds are full), ``point_capacity``, ``hub_capacity`` (every hub that reaches
it is at capacity), ``vehicle_capacity`` (the vans' budget or the trucks of the
hubs that reach it are used up), ``centre_capacity``; ``not_optimal`` when
none binds (the solver stopped at its time limit with a gap).

References
----------
.. [1] Q. Huangfu, J. A. J. Hall, "Parallelizing the dual revised simplex
   method", *Math. Prog. Comp.* 10 (2018) 119–142 (HiGHS).
.. [2] R. L. Graham, "Bounds on multiprocessing timing anomalies", *SIAM J.
   Appl. Math.* 17 (1969) 416–429 (list scheduling).
.. [3] Plan 001 (DESIGN.md §3): supplies to the door within 24 h; per person
   per day in lockdown 1 mask, 1 kg vegetables, 0.5 kg grain, 0.2 kg meat.
"""

from __future__ import annotations

import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Final

import highspy
import numpy as np
import scipy.sparse as sp
from numpy.typing import ArrayLike, NDArray

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

#: Zone classes of a household, in priority order (``household_class``).
CLASSES: Final = ("lockdown", "control")
#: Why a household is not served (``DistributionPlan.reason``), in attribution order.
REASONS: Final = (
    "no_point",
    "travel_time",
    "delivery_rounds",
    "point_capacity",
    "hub_capacity",
    "vehicle_capacity",
    "centre_capacity",
    "not_optimal",
)
REASON: Final = {name: i for i, name in enumerate(REASONS)}
#: Per person per day in lockdown (DESIGN.md §3, plan 001): item → (amount, unit).
DEFAULT_STANDARD: Final = {
    "mask": (1.0, "piece"),
    "vegetables": (1.0, "kg"),
    "grain": (0.5, "kg"),
    "meat": (0.2, "kg"),
}
_INF: Final = highspy.kHighsInf
#: HiGHS MIP settings (measured on the benchmark instance, bench/bench_distribution.py).
_MIP: Final[dict[str, Any]] = {
    "mip_detect_symmetry": False,
    "mip_pool_soft_limit": 100,
    "mip_lp_age_limit": 1,
    "mip_pool_age_limit": 1,
    "mip_heuristic_effort": 0.5,
}
_TOL: Final = 1e-6
_BANNER = [True]
#: kg per model unit (the MIP counts tonnes).
UNIT: Final = 1000.0


@dataclass(frozen=True)
class Timing:
    """The stage windows of the day (hours from the plan's start)."""

    #: Centres → hubs window.
    stage1_hours: float = 4.0
    #: Hubs → points window (starts when stage 1 ends).
    stage2_hours: float = 4.0
    #: Handling (loading + unloading) per vehicle trip.
    handling_hours: float = 0.5
    #: Sorting at the point before the first delivery round.
    point_hours: float = 1.0
    #: One delivery round of a worker (out, doors, back).
    round_hours: float = 1.5
    #: Supplies to the door within this many hours (DESIGN.md §3: 24 h).
    deadline_hours: float = 24.0

    def validate(self) -> None:
        for name in ("stage1_hours", "stage2_hours", "round_hours", "deadline_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
        for name in ("handling_hours", "point_hours"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        if self.stage1_hours + self.stage2_hours + self.point_hours >= self.deadline_hours:
            raise ValueError(
                "stage1_hours + stage2_hours + point_hours must be < deadline_hours, got "
                f"{self.stage1_hours} + {self.stage2_hours} + {self.point_hours} >= "
                f"{self.deadline_hours}"
            )

    @property
    def door_hours(self) -> float:
        """Length of the door window (stage 3)."""
        return self.deadline_hours - self.stage1_hours - self.stage2_hours - self.point_hours

    @property
    def rounds_per_worker(self) -> int:
        return math.floor(self.door_hours / self.round_hours + 1e-9)


def trips_per_vehicle(travel_hours: ArrayLike, handling_hours: float, window_hours: float) -> I64:
    """Trips a vehicle dedicated to a leg delivers inside the window (0 if it cannot arrive).

    Trip ``k`` is delivered at ``k (2T + L) + T + L``; it counts while that is
    ``<= window_hours``.

    Examples
    --------
    >>> trips_per_vehicle([0.5, 1.0, 4.0], 0.5, 4.0).tolist()
    [3, 2, 0]
    """
    t = np.asarray(travel_hours, np.float64)
    first = t + handling_hours
    cycle = 2 * t + handling_hours
    n = np.where(
        first <= window_hours + 1e-9,
        np.floor((window_hours - first) / np.maximum(cycle, 1e-9) + 1e-9) + 1,
        0,
    )
    return n.astype(np.int64)


@dataclass(frozen=True)
class Network:
    """The supply nodes and the legs between them.

    Centres, hubs and points are numbered from 0 within their level; legs are
    candidate (origin, destination) pairs with their one-way travel time.
    """

    centre_capacity_kg: F64
    centre_vehicles: I64
    centre_vehicle_kg: F64
    hub_capacity_kg: F64
    hub_vehicles: I64
    hub_vehicle_kg: F64
    point_capacity_kg: F64
    point_workers: I64
    point_doors_per_round: I64
    leg1_centre: I64
    leg1_hub: I64
    leg1_hours: F64
    leg2_hub: I64
    leg2_point: I64
    leg2_hours: F64

    @classmethod
    def of(cls, **arrays: ArrayLike) -> Network:
        """A network from array-likes, validated (every field is named in the errors)."""
        ints = {"centre_vehicles", "hub_vehicles", "point_workers", "point_doors_per_round"}
        ints |= {"leg1_centre", "leg1_hub", "leg2_hub", "leg2_point"}
        names = [f for f in cls.__dataclass_fields__]
        missing = sorted(set(names) - set(arrays))
        if missing:
            raise ValueError(f"Network: missing field(s) {', '.join(missing)}")
        extra = sorted(set(arrays) - set(names))
        if extra:
            raise ValueError(f"Network: unknown field(s) {', '.join(extra)}")
        values: dict[str, Any] = {}
        for name in names:
            raw = np.asarray(arrays[name])
            if raw.ndim != 1:
                raise ValueError(f"{name} must be one-dimensional, got shape {raw.shape}")
            arr = raw.astype(np.float64)
            if not np.isfinite(arr).all() or (arr < 0).any():
                bad = int(np.flatnonzero(~np.isfinite(arr) | (arr < 0))[0])
                raise ValueError(f"{name} must be finite and >= 0, got {raw[bad]!r} at {bad}")
            if name in ints:
                if (arr != np.round(arr)).any():
                    raise ValueError(f"{name} must hold whole numbers")
                values[name] = arr.astype(np.int64)
            else:
                values[name] = arr
        net = cls(**values)
        net._check()
        return net

    @property
    def n_centres(self) -> int:
        return len(self.centre_capacity_kg)

    @property
    def n_hubs(self) -> int:
        return len(self.hub_capacity_kg)

    @property
    def n_points(self) -> int:
        return len(self.point_capacity_kg)

    def _check(self) -> None:
        for prefix, n in (
            ("centre", self.n_centres),
            ("hub", self.n_hubs),
            ("point", self.n_points),
        ):
            for name, arr in vars(self).items():
                if name.startswith(prefix + "_") and len(arr) != n:
                    raise ValueError(
                        f"{name} must have one value per {prefix} ({n}), got {len(arr)}"
                    )
        for leg, a, b, na, nb in (
            ("leg1", self.leg1_centre, self.leg1_hub, self.n_centres, self.n_hubs),
            ("leg2", self.leg2_hub, self.leg2_point, self.n_hubs, self.n_points),
        ):
            hours = getattr(self, f"{leg}_hours")
            if not len(a) == len(b) == len(hours):
                raise ValueError(f"{leg}_*: the leg arrays must have the same length")
            src, dst = ("centre", "hub") if leg == "leg1" else ("hub", "point")
            if len(a) and (a.max() >= na):
                raise ValueError(f"{leg}_{src} must index a {src} (< {na}), got {int(a.max())}")
            if len(b) and (b.max() >= nb):
                raise ValueError(f"{leg}_{dst} must index a {dst} (< {nb}), got {int(b.max())}")
            pairs = a * max(nb, 1) + b
            if len(np.unique(pairs)) != len(pairs):
                raise ValueError(f"{leg}: each ({src}, {dst}) pair may appear once")


@dataclass(frozen=True)
class Households:
    """Households to serve: their point (-1: none), zone class, size and priority."""

    point: I64
    klass: I64
    size: I64
    #: Lower first within a (point, class, size) group (e.g. special tier: red 0 ... none 3).
    priority: I64

    @classmethod
    def of(
        cls,
        *,
        point: ArrayLike,
        klass: ArrayLike,
        size: ArrayLike,
        priority: ArrayLike | None = None,
        n_points: int,
    ) -> Households:
        p = np.asarray(point, np.int64)
        k = np.asarray(klass, np.int64)
        s = np.asarray(size, np.int64)
        pr = np.zeros(len(p), np.int64) if priority is None else np.asarray(priority, np.int64)
        if not len(p) == len(k) == len(s) == len(pr):
            raise ValueError("households: point, klass, size and priority must have one value each")
        if len(p) and (p.min() < -1 or p.max() >= n_points):
            raise ValueError(f"households.point must be -1 or index a point (< {n_points})")
        if len(k) and (k.min() < 0 or k.max() >= len(CLASSES)):
            raise ValueError("households.klass must be 0 (lockdown) or 1 (control)")
        if len(s) and s.min() < 1:
            raise ValueError("households.size must be >= 1")
        return cls(p, k, s, pr)


@dataclass(frozen=True)
class Options:
    """Solver settings."""

    #: Wall-clock budget of the solve (s); stopped by it, the plan reports its gap.
    time_limit: float = 15.0
    mip_rel_gap: float = 1e-6
    threads: int = 0


@dataclass(frozen=True)
class Phase:
    """One solve: what it maximised, the solver's objective, proven bound and gap."""

    name: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float


@dataclass(frozen=True)
class Model:
    """The MIP in matrix form (maximise ``cost @ x`` with ``row_lo <= A x <= row_hi``).

    Columns: ``v`` (trucks per kept centre→hub leg), ``f`` (t), ``n`` (van trips
    per kept hub→point leg), ``g`` (t), ``y`` (households per group).
    """

    cost_lockdown: F64
    cost_control: F64
    col_lo: F64
    col_hi: F64
    integer: B
    matrix: sp.csc_matrix
    row_lo: F64
    row_hi: F64
    n1: int
    n2: int
    n_groups: int
    #: Legs kept (a vehicle can arrive in the window), as indices into the network's legs.
    leg1: I64
    leg2: I64
    #: Trips a truck makes on each kept centre→hub leg.
    trips1: I64
    #: Hours of a van round trip on each kept hub→point leg.
    cycle2: F64
    #: Van-hours budget per hub (see the module docstring).
    budget2: F64
    group_point: I64
    group_class: I64
    group_size: I64
    group_count: I64
    leg1_origin: I64
    fleet1: F64
    #: t one truck carries on a kept leg in its window; t per van trip on a kept leg.
    leg1_cap: F64
    leg2_cap: F64

    def slices(self) -> tuple[slice, slice, slice, slice, slice]:
        a, b = self.n1, self.n2
        return (
            slice(0, a),
            slice(a, 2 * a),
            slice(2 * a, 2 * a + b),
            slice(2 * a + b, 2 * a + 2 * b),
            slice(2 * a + 2 * b, 2 * a + 2 * b + self.n_groups),
        )


@dataclass(frozen=True)
class DistributionPlan:
    """A day's plan: trucks, trips and kg per leg, households served, reasons, phases."""

    phases: list[Phase]
    basket_kg: float
    rounds_per_worker: int
    #: Per centre→hub leg of the network (0 where unused or unreachable).
    leg1_trips_per_vehicle: I64
    leg1_vehicles: I64
    leg1_kg: F64
    #: Per hub→point leg: van trips and kg.
    leg2_trips: I64
    leg2_kg: F64
    #: Per hub: van-hours budget and van-hours used.
    hub_budget_hours: F64
    hub_used_hours: F64
    #: Per point: households served and delivery rounds used.
    point_served: I64
    point_rounds: I64
    #: Per household: served, and the reason index into :data:`REASONS` (-1 when served).
    served: B
    reason: NDArray[np.int8]
    seconds: float
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def gap(self) -> float:
        """The largest relative gap of the phases (0: proven optimal)."""
        return max((p.gap for p in self.phases), default=0.0)

    @property
    def optimal(self) -> bool:
        return all(p.gap == 0.0 for p in self.phases)


def van_budget(net: Network, keep2: B, cycle: F64, timing: Timing) -> F64:
    """Van-hours per hub inside which list scheduling delivers every trip in the window."""
    w = timing.stage2_hours
    v = net.hub_vehicles.astype(np.float64)
    worst = np.full(net.n_hubs, -np.inf)
    hub = net.leg2_hub[keep2]
    need = v[hub] * (net.leg2_hours[keep2] + timing.handling_hours) - cycle[keep2]
    np.maximum.at(worst, hub, need)
    budget = np.where(np.isfinite(worst), v * w - worst, 0.0)
    return np.where(v > 0, np.maximum(budget, 0.0), 0.0)


def basket_kg(standard: dict[str, tuple[float, str]] | None = None) -> float:
    """Weight of one person-day basket: the ``kg`` items of the standard."""
    items = DEFAULT_STANDARD if standard is None else standard
    for name, (amount, _) in items.items():
        if not (math.isfinite(amount) and amount >= 0):
            raise ValueError(f"standard.{name} must be a finite number >= 0, got {amount!r}")
    total = sum(amount for amount, unit in items.values() if unit == "kg")
    if total <= 0:
        raise ValueError("standard: the kg items of a basket must weigh more than 0")
    return float(total)


def _groups(hh: Households) -> tuple[I64, I64, I64, I64, I64]:
    """Groups (point, class, size) of households with a point, and each household's group."""
    has = hh.point >= 0
    key = np.stack([hh.point, hh.klass, hh.size], axis=1)
    group_of = np.full(len(hh.point), -1, np.int64)
    if not has.any():
        z = np.zeros(0, np.int64)
        return z, z, z, z, group_of
    types, inverse, counts = np.unique(key[has], axis=0, return_inverse=True, return_counts=True)
    group_of[has] = inverse.ravel()
    return types[:, 0], types[:, 1], types[:, 2], counts.astype(np.int64), group_of


def _legs(net: Network, timing: Timing) -> tuple[I64, B, F64, B, F64]:
    """Trips per truck (stage 1), kept truck legs, van cycles, kept van legs, van budgets."""
    t1 = trips_per_vehicle(net.leg1_hours, timing.handling_hours, timing.stage1_hours)
    keep1 = (t1 > 0) & (net.centre_vehicle_kg[net.leg1_centre] > 0)
    keep1 &= net.centre_vehicles[net.leg1_centre] > 0
    cycle = 2 * net.leg2_hours + timing.handling_hours
    keep2 = net.leg2_hours + timing.handling_hours <= timing.stage2_hours + 1e-9
    keep2 &= (net.hub_vehicle_kg[net.leg2_hub] > 0) & (net.hub_vehicles[net.leg2_hub] > 0)
    budget = van_budget(net, keep2, cycle, timing)
    keep2 &= cycle <= budget[net.leg2_hub] + 1e-9
    return t1, keep1, cycle, keep2, budget


def build_model(net: Network, hh: Households, timing: Timing, basket: float) -> Model:
    """The MIP of one day (see the module docstring); legs that cannot arrive are dropped."""
    timing.validate()
    t1, keep1, cycle, keep2, budget = _legs(net, timing)
    leg1, leg2 = np.flatnonzero(keep1), np.flatnonzero(keep2)
    gp, gc, gs, gn, _ = _groups(hh)
    n1, n2, ng = len(leg1), len(leg2), len(gp)
    nc, nh, npt = net.n_centres, net.n_hubs, net.n_points
    c1, h1 = net.leg1_centre[leg1], net.leg1_hub[leg1]
    h2, p2 = net.leg2_hub[leg2], net.leg2_point[leg2]
    # the model counts tonnes (kg / UNIT): HiGHS is badly scaled in kg
    cap1 = net.centre_vehicle_kg[c1] * t1[leg1] / UNIT
    cap2 = net.hub_vehicle_kg[h2] / UNIT
    cyc2 = cycle[leg2]
    # columns: v, f, n, g, y
    o_v, o_f, o_n, o_g, o_y = 0, n1, 2 * n1, 2 * n1 + n2, 2 * n1 + 2 * n2
    n_cols = o_y + ng
    # rows
    r_cv, r_cc, r_l1 = 0, nc, 2 * nc
    r_hb = r_l1 + n1
    r_hc = r_hb + nh
    r_hv = r_hc + nh
    r_l2 = r_hv + nh
    r_pb = r_l2 + n2
    r_pc = r_pb + npt
    r_pd = r_pc + npt
    n_rows = r_pd + npt
    a1, a2, ag = np.arange(n1), np.arange(n2), np.arange(ng)
    gt = gs * basket / UNIT
    rows = np.concatenate(
        [
            r_cv + c1, r_l1 + a1,  # v
            r_cc + c1, r_l1 + a1, r_hb + h1, r_hc + h1,  # f
            r_hv + h2, r_l2 + a2,  # n
            r_hb + h2, r_l2 + a2, r_pb + p2, r_pc + p2,  # g
            r_pb + gp, r_pd + gp,  # y
        ]
    )  # fmt: skip
    cols = np.concatenate(
        [
            o_v + a1, o_v + a1,
            o_f + a1, o_f + a1, o_f + a1, o_f + a1,
            o_n + a2, o_n + a2,
            o_g + a2, o_g + a2, o_g + a2, o_g + a2,
            o_y + ag, o_y + ag,
        ]
    )  # fmt: skip
    one1, one2, oneg = np.ones(n1), np.ones(n2), np.ones(ng)
    vals = np.concatenate(
        [
            one1, -cap1,
            one1, one1, one1, one1,
            cyc2, -cap2,
            -one2, one2, one2, one2,
            -gt, oneg,
        ]
    )  # fmt: skip
    matrix = sp.csc_matrix((vals, (rows, cols)), shape=(n_rows, n_cols))
    doors = net.point_workers * net.point_doors_per_round * timing.rounds_per_worker
    row_hi = np.concatenate(
        [
            net.centre_vehicles.astype(np.float64),
            net.centre_capacity_kg / UNIT,
            np.zeros(n1),
            np.zeros(nh),
            net.hub_capacity_kg / UNIT,
            budget,
            np.zeros(n2),
            np.zeros(npt),
            net.point_capacity_kg / UNIT,
            doors.astype(np.float64),
        ]
    )
    row_lo = np.full(n_rows, -_INF)
    row_lo[r_hb : r_hb + nh] = 0.0
    row_lo[r_pb : r_pb + npt] = 0.0
    col_lo = np.zeros(n_cols)
    col_hi = np.concatenate(
        [
            net.centre_vehicles[c1].astype(np.float64),
            np.minimum(cap1 * net.centre_vehicles[c1], net.hub_capacity_kg[h1] / UNIT),
            np.floor(budget[h2] / cyc2 + 1e-9),
            np.minimum(cap2 * np.floor(budget[h2] / cyc2 + 1e-9), net.point_capacity_kg[p2] / UNIT),
            gn.astype(np.float64),
        ]
    )
    integer = np.zeros(n_cols, bool)
    integer[o_v:o_f] = True
    integer[o_n:o_g] = True
    integer[o_y:] = True
    cost1 = np.zeros(n_cols)
    cost1[o_y:] = (gc == 0).astype(np.float64)
    cost2 = np.zeros(n_cols)
    cost2[o_y:] = (gc == 1).astype(np.float64)
    return Model(
        cost1, cost2, col_lo, col_hi, integer, matrix, row_lo, row_hi,
        n1, n2, ng, leg1, leg2, t1[leg1], cyc2, budget, gp, gc, gs, gn,
        c1, net.centre_vehicles.astype(np.float64), cap1, cap2,
    )  # fmt: skip


# --------------------------------------------------------------------------- HiGHS


def _new_highs() -> highspy.Highs:
    """A HiGHS instance; the process's first is made with stdout closed, since HiGHS prints
    its banner there (C level) before any option can silence it, and a ``--json``
    command's stdout must hold exactly one JSON document."""
    if not _BANNER[0]:
        return highspy.Highs()  # type: ignore[no-untyped-call]
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            h = highspy.Highs()  # type: ignore[no-untyped-call]
    finally:
        os.dup2(saved, 1)
        os.close(saved)
    _BANNER[0] = False
    return h


def _highs(
    model: Model, cost: F64, row_lo: F64, row_hi: F64, options: Options, seconds: float
) -> highspy.Highs:
    h = _new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", max(seconds, 0.5))
    h.setOptionValue("mip_rel_gap", options.mip_rel_gap)
    for key, value in _MIP.items():
        h.setOptionValue(key, value)
    if options.threads:
        h.setOptionValue("threads", options.threads)
    lp = highspy.HighsLp()
    lp.num_col_ = len(cost)
    lp.num_row_ = len(row_lo)
    lp.col_cost_ = cost
    lp.col_lower_ = model.col_lo
    lp.col_upper_ = model.col_hi
    lp.row_lower_ = row_lo
    lp.row_upper_ = row_hi
    m = model.matrix
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = m.indptr.astype(np.int32)
    lp.a_matrix_.index_ = m.indices.astype(np.int32)
    lp.a_matrix_.value_ = m.data.astype(np.float64)
    lp.sense_ = highspy.ObjSense.kMaximize
    lp.integrality_ = [
        highspy.HighsVarType.kInteger if i else highspy.HighsVarType.kContinuous
        for i in model.integer.tolist()
    ]
    h.passModel(lp)
    return h


def _run(
    name: str,
    model: Model,
    cost: F64,
    row_lo: F64,
    row_hi: F64,
    options: Options,
    seconds: float,
    start: F64 | None,
) -> tuple[Phase, F64]:
    t0 = time.perf_counter()
    if len(cost) == 0:
        return Phase(name, "Optimal", 0.0, 0.0, 0.0, 0.0), np.zeros(0)
    h = _highs(model, cost, row_lo, row_hi, options, seconds)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = start.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    x = np.asarray(h.getSolution().col_value, np.float64)
    reported = float(info.objective_function_value)
    if start is not None and len(x) == len(cost) and abs(float(cost @ x) - reported) > 0.5:
        # HiGHS 1.16 can hand back the user's start instead of the better plan it
        # reports: solve again without the start in the time left
        left = max(seconds - (time.perf_counter() - t0), 0.5)
        h = _highs(model, cost, row_lo, row_hi, options, left)
        h.run()
        status = h.modelStatusToString(h.getModelStatus())
        info = h.getInfo()
        x = np.asarray(h.getSolution().col_value, np.float64)
    if len(x) != len(cost) or info.primal_solution_status != 2:
        if start is None:
            raise RuntimeError(f"HiGHS found no plan ({name}: {status})")
        x = start  # the start is feasible for this phase
    x = _round(model, x)
    obj = float(cost @ x)
    if start is not None and float(cost @ start) > obj:
        x, obj = start, float(cost @ start)
    bound = float(info.mip_dual_bound)
    if not math.isfinite(bound) or status == "Optimal":
        bound = max(obj, bound) if math.isfinite(bound) else obj
    return Phase(name, status, obj, bound, _gap(obj, bound), time.perf_counter() - t0), x


def _round(model: Model, x: F64) -> F64:
    """Integer columns rounded (HiGHS returns them within its feasibility tolerance)."""
    x = x.copy()
    x[model.integer] = np.round(x[model.integer])
    return np.clip(x, model.col_lo, model.col_hi)


def _start(
    model: Model,
    cost: F64,
    row_lo: F64,
    row_hi: F64,
    options: Options,
    seconds: float,
    incumbent: F64 | None = None,
) -> F64 | None:
    """A first plan by relax-and-fix: the LP relaxation, then the MIP with every truck and
    trip count held to the floor or ceiling of its LP value (a small neighbourhood HiGHS
    searches fast).  The full MIP starts from it."""
    t0 = time.perf_counter()
    n = len(cost)
    lp = _highs(model, cost, row_lo, row_hi, options, seconds)
    lp.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.zeros(n, np.uint8))
    lp.run()
    if lp.getInfo().primal_solution_status != 2:
        return None
    x = np.asarray(lp.getSolution().col_value, np.float64)
    s_v, _, s_n, _, _ = model.slices()
    lo, hi = model.col_lo.copy(), model.col_hi.copy()
    for sl in (s_v, s_n):
        lo[sl] = np.floor(x[sl] + 1e-9)
        hi[sl] = np.minimum(np.ceil(x[sl] - 1e-9), model.col_hi[sl])
        if incumbent is not None:  # the neighbourhood holds the incumbent: never worse
            lo[sl] = np.minimum(lo[sl], incumbent[sl])
            hi[sl] = np.maximum(hi[sl], incumbent[sl])
    near = Model(**{**vars(model), "col_lo": lo, "col_hi": np.maximum(hi, lo)})
    left = max(seconds - (time.perf_counter() - t0), 0.5)
    h = _highs(near, cost, row_lo, row_hi, options, left)
    if incumbent is not None:
        sol = highspy.HighsSolution()
        sol.col_value = incumbent.tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    if h.getInfo().primal_solution_status != 2:
        return incumbent
    x = _round(model, np.asarray(h.getSolution().col_value, np.float64))
    if incumbent is not None and float(cost @ incumbent) > float(cost @ x):
        return incumbent
    return x


def _gap(obj: float, bound: float) -> float:
    return 0.0 if bound - obj <= 1e-9 * max(1.0, abs(obj)) else (bound - obj) / max(abs(obj), 1.0)


def solve(model: Model, options: Options | None = None) -> tuple[list[Phase], F64]:
    """One MIP with the lexicographic objective as weights: a lockdown household counts
    ``W = (control households) + 1``, a control household 1, so no number of control
    households outweighs one lockdown household.  It starts from a relax-and-fix plan.
    The two reported phases are the lockdown and control counts with their bounds:
    ``L <= bound / W`` and, for the lexicographic optimum, ``C <= bound - W L``."""
    options = options or Options()
    if not (options.time_limit > 0):
        raise ValueError(f"time_limit must be > 0, got {options.time_limit!r}")
    t0 = time.perf_counter()
    budget = options.time_limit
    n_lock = float(model.group_count[model.group_class == 0].sum())
    n_ctrl = float(model.group_count[model.group_class == 1].sum())
    weight = n_ctrl + 1.0
    cost = weight * model.cost_lockdown + model.cost_control
    start = _start(model, cost, model.row_lo, model.row_hi, options, 0.25 * budget)
    left = max(budget - (time.perf_counter() - t0), 0.5)
    phase, x = _run("weighted", model, cost, model.row_lo, model.row_hi, options, left, start)
    lock = float(model.cost_lockdown @ x)
    ctrl = float(model.cost_control @ x)
    bound = max(phase.bound, phase.objective)
    lock_bound = min(n_lock, math.floor(bound / weight + 1e-9))
    ctrl_bound = min(n_ctrl, max(bound - weight * lock, ctrl))
    seconds = time.perf_counter() - t0
    return [
        Phase("lockdown", phase.status, lock, lock_bound, _gap(lock, lock_bound), seconds),
        Phase("control", phase.status, ctrl, ctrl_bound, _gap(ctrl, ctrl_bound), seconds),
    ], _fewest_vehicles(model, x)


def _fewest_vehicles(model: Model, x: F64) -> F64:
    """The fewest trucks and van trips that carry the plan's flows (``ceil(t / cap)``)."""
    s_v, s_f, s_n, s_g, _ = model.slices()
    x = x.copy()
    for sv, sf, cap in ((s_v, s_f, model.leg1_cap), (s_n, s_g, model.leg2_cap)):
        need = np.ceil(x[sf] / np.maximum(cap, 1e-12) - 1e-7)
        x[sv] = np.minimum(x[sv], np.maximum(need, 0))
    return x


# --------------------------------------------------------------------------- plan


def _pick(hh: Households, group_of: I64, served_per_group: I64) -> B:
    """Served households: in each group the first ``y_g`` by priority, then index."""
    served = np.zeros(len(group_of), bool)
    idx = np.flatnonzero(group_of >= 0)
    if not len(idx):
        return served
    order = idx[np.lexsort((idx, hh.priority[idx], group_of[idx]))]
    g = group_of[order]
    first = np.searchsorted(g, np.arange(len(served_per_group)), "left")
    rank = np.arange(len(order)) - first[g]
    served[order[rank < served_per_group[g]]] = True
    return served


def plan_distribution(
    net: Network,
    households: Households,
    *,
    timing: Timing | None = None,
    basket: float | None = None,
    options: Options | None = None,
) -> DistributionPlan:
    """Plan one day's flows so that the most zone households get their basket in time.

    Parameters
    ----------
    net : Network
        Centres, hubs, points, their capacities and vehicles, and candidate legs.
    households : Households
        Households in zones: point index (-1 when their community has none), class
        (0 lockdown, 1 control), size and priority within their group.
    timing : Timing, optional
        Stage windows, handling, rounds and the deadline (default 4 h + 4 h, 24 h).
    basket : float, optional
        kg per person-day (default :func:`basket_kg` of the DESIGN.md standard, 1.7).
    options : Options, optional
        Time limit and MIP gap of HiGHS.

    Returns
    -------
    DistributionPlan
        Per leg vehicles and kg, per household served or the reason it is not,
        and each phase's objective, bound and gap.
    """
    t0 = time.perf_counter()
    timing = timing or Timing()
    basket = basket_kg() if basket is None else float(basket)
    if not (math.isfinite(basket) and basket > 0):
        raise ValueError(f"basket must be a finite number > 0, got {basket!r}")
    model = build_model(net, households, timing, basket)
    phases, x = solve(model, options)
    s_v, s_f, s_n, s_g, s_y = model.slices()
    L1, L2 = len(net.leg1_hours), len(net.leg2_hours)
    leg1_v, leg1_kg = np.zeros(L1, np.int64), np.zeros(L1)
    leg2_n, leg2_kg = np.zeros(L2, np.int64), np.zeros(L2)
    leg1_v[model.leg1] = np.round(x[s_v]).astype(np.int64)
    leg1_kg[model.leg1] = x[s_f] * UNIT
    leg2_n[model.leg2] = np.round(x[s_n]).astype(np.int64)
    leg2_kg[model.leg2] = x[s_g] * UNIT
    y = np.round(x[s_y]).astype(np.int64)
    *_, group_of = _groups(households)
    served = _pick(households, group_of, y)
    point_served = np.bincount(households.point[served], minlength=net.n_points).astype(np.int64)
    doors = np.maximum(net.point_doors_per_round, 1)
    point_rounds = -(-point_served // doors)
    t1, _, cycle, _, budget = _legs(net, timing)
    used = np.bincount(net.leg2_hub, weights=leg2_n * cycle, minlength=net.n_hubs).astype(float)
    plan = DistributionPlan(
        phases=phases,
        basket_kg=basket,
        rounds_per_worker=timing.rounds_per_worker,
        leg1_trips_per_vehicle=t1,
        leg1_vehicles=leg1_v,
        leg1_kg=leg1_kg,
        leg2_trips=leg2_n,
        leg2_kg=leg2_kg,
        hub_budget_hours=budget,
        hub_used_hours=used,
        point_served=point_served,
        point_rounds=point_rounds,
        served=served,
        reason=np.full(len(served), -1, np.int8),
        seconds=0.0,
        extra={"columns": int(model.matrix.shape[1]), "rows": int(model.matrix.shape[0])},
    )
    reason = _reasons(net, households, timing, plan)
    return dataclasses.replace(plan, reason=reason, seconds=time.perf_counter() - t0)


def _reasons(
    net: Network, hh: Households, timing: Timing, plan: DistributionPlan
) -> NDArray[np.int8]:
    """The binding resource for every household left over (see the module docstring).

    A resource binds for a point when it cannot take the smallest household the
    point left over: its kg is the threshold of every check.
    """
    reason = np.full(len(plan.served), -1, np.int8)
    if plan.served.all():
        return reason
    tol = 1e-6 * UNIT
    left = ~plan.served & (hh.point >= 0)
    need = np.full(net.n_points, np.inf)
    np.minimum.at(need, hh.point[left], hh.size[left] * plan.basket_kg)
    t1, keep1, cycle, keep2, budget = _legs(net, timing)
    c_out = np.bincount(net.leg1_centre, weights=plan.leg1_kg, minlength=net.n_centres)
    c_used = np.bincount(net.leg1_centre, weights=plan.leg1_vehicles, minlength=net.n_centres)
    c_trucks_out = c_used >= net.centre_vehicles
    hub_reach = np.bincount(net.leg1_hub[keep1], minlength=net.n_hubs) > 0
    h_in = np.bincount(net.leg1_hub, weights=plan.leg1_kg, minlength=net.n_hubs)
    room1 = net.centre_vehicle_kg[net.leg1_centre] * t1 * plan.leg1_vehicles - plan.leg1_kg
    room2 = net.hub_vehicle_kg[net.leg2_hub] * plan.leg2_trips - plan.leg2_kg
    hours_left = budget[net.leg2_hub] - plan.hub_used_hours[net.leg2_hub]
    another_trip = (hours_left >= cycle - 1e-9) & (net.hub_vehicle_kg[net.leg2_hub] > 0)
    reach2 = keep2 & hub_reach[net.leg2_hub]
    p_in = np.bincount(net.leg2_point, weights=plan.leg2_kg, minlength=net.n_points)
    doors = net.point_workers * net.point_doors_per_round * timing.rounds_per_worker
    code = np.full(net.n_points, REASON["not_optimal"], np.int8)
    order = np.argsort(net.leg2_point[reach2], kind="stable")
    legs_sorted = np.flatnonzero(reach2)[order]
    bounds = np.searchsorted(net.leg2_point[legs_sorted], np.arange(net.n_points + 1))
    for p in np.flatnonzero(np.isfinite(need)).tolist():
        q = float(need[p])
        legs = legs_sorted[bounds[p] : bounds[p + 1]]
        hubs = net.leg2_hub[legs]
        if not len(legs) or timing.rounds_per_worker == 0:
            code[p] = REASON["travel_time"]
            continue
        if plan.point_served[p] >= doors[p]:
            code[p] = REASON["delivery_rounds"]
            continue
        if p_in[p] > net.point_capacity_kg[p] - q + tol:
            code[p] = REASON["point_capacity"]
            continue
        h_full = h_in[hubs] > net.hub_capacity_kg[hubs] - q + tol
        if h_full.all():
            code[p] = REASON["hub_capacity"]
            continue
        van = (room2[legs] >= q - tol) | another_trip[legs]
        if not (van & ~h_full).any():
            code[p] = REASON["vehicle_capacity"]
            continue
        # the hubs with room and vans: can a centre send them q more?
        open_hubs = set(hubs[van & ~h_full].tolist())
        c_full = c_out > net.centre_capacity_kg - q + tol
        truck = (room1 >= q - tol) | ~c_trucks_out[net.leg1_centre]
        into = keep1 & np.isin(net.leg1_hub, list(open_hubs))
        if not (into & truck & ~c_full[net.leg1_centre]).any():
            blocked_by_capacity = (into & truck & c_full[net.leg1_centre]).any()
            code[p] = REASON["centre_capacity" if blocked_by_capacity else "vehicle_capacity"]
    no_point = ~plan.served & (hh.point < 0)
    reason[no_point] = REASON["no_point"]
    reason[left] = code[hh.point[left]]
    return reason
