"""Mass-testing campaign plan (全员核酸): sites, sampler shifts, pools, labs and a schedule.

A campaign tests every resident of a set of zones or areas within a deadline
(24 h, coverage ≥ 98 %: DESIGN.md §3, plans 001 and 002).  The plan is made
in four steps, all times in hours from the campaign start:

1. **Sites.**  Residents are sampled by their smallest unit (compound).  A
   unit goes to a fixed sampling site (``facilities`` of kind
   ``sampling_site``) of its community when the site lies inside the zone set
   — nobody leaves the zone set to be sampled — and the site can sample its
   units within the sampling window (``sampling_hours``, default 12 h so that
   the lab has the other 12 h: the lab-result standard of §3).  Units of a
   community with several sites are balanced over them (largest unit first to
   the least loaded site); units that do not fit, units of communities without
   a site inside the set, and door-to-door units (lockdown zones, 足不出户)
   get a temporary point (临时采样点) in the unit, with as many desks of
   ``temporary_samples_per_hour`` as it needs to finish within the window.
2. **Pools.**  :func:`epicontrol.core.operations.pooling.form_pools` — pools
   of ``pool_size`` inside one site, households kept together, building order.
3. **Sampler shifts.**  The window is cut into pick-up slots of
   ``pickup_interval_hours`` and shift blocks of ``shift_hours``; a sampler
   works ``shifts_per_sampler`` blocks at one site.  The residents a site
   samples with ``y`` samplers, ``G_s(y)``, is concave in ``y``, so the
   samplers available are allocated exactly by decreasing marginal gain
   (separable concave resource allocation); the samplers needed are
   ``Σ_s min{y : G_s(y) = N_s}`` and the shortfall the difference.
4. **Labs** (min-cost flow, OR-Tools).  Pools finished in a slot leave the
   site at its end; a time-expanded network carries them from (site, slot) to
   (lab, hour of arrival) — transport time from the distance, the road factor
   and the speed, plus handling — then waits at the lab or is tested in an hour
   with free capacity (``tests_per_day / 24`` per hour, less the reserve for
   the individual re-tests of positive pools).  Costs, in order of weight:
   a pool left untested, each hour a result comes after the deadline, then the
   minutes from dispatch to the start of the test and the transport minutes.
   Results come ``lab_run_hours`` after the test hour ends.

The plan states its finish time (the last pool result) and, when it misses
the deadline, the shortfall: samplers, residents not sampled in the window,
pool tests not resulted by the deadline.

References
----------
.. [1] Plans 001 and 002 in ``seeds/``: area mass testing done within 24 h with
   ≥ 98 % coverage; 10 samplers and 5 lab staff per 10 000 residents in
   lockdown; re-sampling of positive pools by emergency sampling teams.
.. [2] Ahuja RK, Magnanti TL, Orlin JB. *Network Flows*, Prentice Hall, 1993
   (time-expanded networks, ch. 19).
.. [3] Fox B. Discrete optimization via marginal analysis. *Management
   Science* 13(3):210–216, 1966; Ibaraki T, Katoh N. *Resource Allocation
   Problems*, MIT Press, 1988.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field, fields

import numpy as np
from numpy.typing import NDArray
from ortools.graph.python import min_cost_flow

from .pooling import dorfman_accuracy, form_pools

__all__ = [
    "CampaignInput",
    "CampaignParams",
    "CampaignPlan",
    "RoundRule",
    "plan_campaign",
    "round_days",
    "transport_minutes",
]

EARTH_RADIUS_KM = 6371.0088
#: Cost of a pool left untested and of each hour a result comes after the deadline.
UNASSIGNED_COST = 1_000_000_000
LATE_COST_PER_HOUR = 1_000_000


@dataclass(frozen=True)
class RoundRule:
    """How often a zone is tested: daily for ``daily_days`` rounds, then every ``interval_days``.

    Lockdown zones: daily for 7 days, then every 2–3 days (Shenzhen plan,
    DESIGN.md §3); the default interval is 2 days.
    """

    daily_days: int = 7
    interval_days: int = 2

    def validate(self) -> None:
        for name in ("daily_days", "interval_days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{name} must be an integer, got {value!r}")
        if self.daily_days < 0:
            raise ValueError(f"daily_days must be >= 0, got {self.daily_days}")
        if self.interval_days < 1:
            raise ValueError(f"interval_days must be >= 1, got {self.interval_days}")


def round_days(rounds: int, rule: RoundRule | None = None) -> NDArray[np.int64]:
    """Day offset (from the first round) of rounds ``1..rounds``: ``0, 1, ..., 6, 8, 10, ...``."""
    r = rule or RoundRule()
    r.validate()
    if isinstance(rounds, bool) or not isinstance(rounds, int) or rounds < 0:
        raise ValueError(f"rounds must be an integer >= 0, got {rounds!r}")
    i = np.arange(rounds, dtype=np.int64)
    daily = max(r.daily_days, 1)
    later = (daily - 1) + (i - daily + 1) * r.interval_days
    return np.where(i < daily, i, later).astype(np.int64)


@dataclass(frozen=True)
class CampaignParams:
    """Standards and assumptions of a campaign plan (defaults: DESIGN.md §3).

    Attributes
    ----------
    pool_size : int
        Samples per pool (10-in-1, 十混一).
    deadline_hours : float
        Every result within this many hours of the start (24).
    sampling_hours : float
        Sampling window from the start (12: the lab then has 12 h, §3).
    samples_per_sampler_hour : float
        Swabs one sampler takes per hour (125: the plan-001 standard of 10
        samplers per 10 000 residents is 1 000 residents per sampler in a day
        of two 4-hour shifts).
    shift_hours : float
        Length of a sampler shift (4 h in protective clothing); a multiple of
        ``pickup_interval_hours``.
    shifts_per_sampler : int
        Shifts one sampler works per campaign day (2).
    samplers_per_10k : float
        Samplers available per 10 000 residents of the zone set when no number
        is given (10, plan 001).
    temporary_samples_per_hour : int
        Throughput of one desk of a temporary point (2 samplers × 125).
    pickup_interval_hours : float
        Samples are collected from every site at the end of each such slot (2).
    transport_kmh, road_factor, handling_minutes : float
        Transport time = handling + road_factor × great-circle distance / speed.
    lab_run_hours : float
        Extraction, amplification and report after the test hour (4).
    lab_share : float
        Share of each lab's daily tests given to the campaign (1).
    prevalence, sensitivity, specificity, dilution : float
        For the expected positive pools, whose individual re-tests are
        reserved from the lab capacity.
    keep_households : bool
        Keep households in one pool (:func:`form_pools`).
    late_horizon_hours : float
        How far past the deadline the lab schedule looks (to report a late finish).
    """

    pool_size: int = 10
    deadline_hours: float = 24.0
    sampling_hours: float = 12.0
    samples_per_sampler_hour: float = 125.0
    shift_hours: float = 4.0
    shifts_per_sampler: int = 2
    samplers_per_10k: float = 10.0
    temporary_samples_per_hour: int = 250
    pickup_interval_hours: float = 2.0
    transport_kmh: float = 30.0
    road_factor: float = 1.3
    handling_minutes: float = 30.0
    lab_run_hours: float = 4.0
    lab_share: float = 1.0
    prevalence: float = 0.001
    sensitivity: float = 0.95
    specificity: float = 0.999
    dilution: float = 0.0
    keep_households: bool = True
    late_horizon_hours: float = 48.0

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field and the rule it breaks."""
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "keep_households":
                if not isinstance(value, bool):
                    raise ValueError(f"keep_households must be True or False, got {value!r}")
                continue
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"{f.name} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"{f.name} must be a finite number, got {value!r}")
        for name in ("pool_size", "shifts_per_sampler", "temporary_samples_per_hour"):
            value = getattr(self, name)
            if not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        positive = (
            "deadline_hours",
            "sampling_hours",
            "samples_per_sampler_hour",
            "shift_hours",
            "pickup_interval_hours",
            "transport_kmh",
        )
        for name in positive:
            if getattr(self, name) <= 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        for name in ("samplers_per_10k", "handling_minutes", "lab_run_hours", "dilution"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)!r}")
        if self.road_factor < 1:
            raise ValueError(f"road_factor must be >= 1, got {self.road_factor!r}")
        if not 0 < self.lab_share <= 1:
            raise ValueError(f"lab_share must be in (0, 1], got {self.lab_share!r}")
        if not 0 <= self.prevalence <= 1:
            raise ValueError(f"prevalence must be in [0, 1], got {self.prevalence!r}")
        for name in ("sensitivity", "specificity"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in (0, 1], got {getattr(self, name)!r}")
        if self.sampling_hours > self.deadline_hours:
            raise ValueError(
                f"sampling_hours must be <= deadline_hours ({self.deadline_hours}), "
                f"got {self.sampling_hours}"
            )
        ratio = self.shift_hours / self.pickup_interval_hours
        if abs(ratio - round(ratio)) > 1e-9 or round(ratio) < 1:
            raise ValueError(
                f"shift_hours must be a whole multiple of pickup_interval_hours "
                f"({self.pickup_interval_hours}), got {self.shift_hours}"
            )
        if self.late_horizon_hours < 0:
            raise ValueError(f"late_horizon_hours must be >= 0, got {self.late_horizon_hours}")


def _int_array(name: str, value: object, n: int | None = None) -> NDArray[np.int64]:
    a = np.asarray(value)
    if a.ndim != 1:
        raise ValueError(f"{name} must be a 1-d array, got shape {a.shape}")
    if len(a) and not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"{name} must hold integers, got dtype {a.dtype}")
    if n is not None and len(a) != n:
        raise ValueError(f"{name} must have {n} values (one per row), got {len(a)}")
    return a.astype(np.int64)


def _float_array(name: str, value: object, n: int) -> NDArray[np.float64]:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 1 or len(a) != n:
        raise ValueError(f"{name} must be a 1-d array of {n} values, got shape {a.shape}")
    if not np.isfinite(a).all():
        raise ValueError(f"{name} must be finite numbers (row {int(np.argmin(np.isfinite(a)))})")
    return a


@dataclass(frozen=True)
class CampaignInput:
    """The residents to test and the city's sites and labs, as arrays.

    Residents: ``person``, ``household``, ``building``, ``unit`` (compound, or
    the building when it has none), ``community``; ``door_to_door`` marks
    residents who may not leave home (lockdown).  Units: ``unit_id`` with the
    location of a temporary point (``unit_lon``, ``unit_lat``).  Fixed sites
    inside the zone set: ``site_facility``, ``site_community``, ``site_lon``,
    ``site_lat``, ``site_samples_per_hour``.  Labs: ``lab_facility``,
    ``lab_lon``, ``lab_lat``, ``lab_tests_per_day``.
    """

    person: NDArray[np.int64]
    household: NDArray[np.int64]
    building: NDArray[np.int64]
    unit: NDArray[np.int64]
    community: NDArray[np.int64]
    unit_id: NDArray[np.int64]
    unit_lon: NDArray[np.float64]
    unit_lat: NDArray[np.float64]
    site_facility: NDArray[np.int64]
    site_community: NDArray[np.int64]
    site_lon: NDArray[np.float64]
    site_lat: NDArray[np.float64]
    site_samples_per_hour: NDArray[np.int64]
    lab_facility: NDArray[np.int64]
    lab_lon: NDArray[np.float64]
    lab_lat: NDArray[np.float64]
    lab_tests_per_day: NDArray[np.int64]
    door_to_door: NDArray[np.bool_] | None = None

    def validated(self) -> CampaignInput:
        """A copy with checked, typed arrays; ``ValueError`` names the field and the rule."""
        n = len(np.asarray(self.person))
        person = _int_array("person", self.person)
        if len(np.unique(person)) != n:
            raise ValueError("person must not repeat a person id")
        cols = {
            name: _int_array(name, getattr(self, name), n)
            for name in ("household", "building", "unit", "community")
        }
        unit_id = _int_array("unit_id", self.unit_id)
        nu = len(unit_id)
        if nu and (np.diff(unit_id) <= 0).any():
            raise ValueError("unit_id must be strictly increasing")
        known = np.isin(cols["unit"], unit_id)
        if not known.all():
            bad = int(cols["unit"][np.argmin(known)])
            raise ValueError(f"unit must be one of unit_id, got {bad} (no location for it)")
        ns = len(np.asarray(self.site_facility))
        caps = _int_array("site_samples_per_hour", self.site_samples_per_hour, ns)
        if (caps < 0).any():
            raise ValueError(
                f"site_samples_per_hour must be >= 0, got {int(caps.min())} "
                f"(site {int(np.asarray(self.site_facility)[np.argmin(caps)])})"
            )
        nl = len(np.asarray(self.lab_facility))
        tests = _int_array("lab_tests_per_day", self.lab_tests_per_day, nl)
        if (tests < 0).any():
            raise ValueError(
                f"lab_tests_per_day must be >= 0, got {int(tests.min())} "
                f"(lab {int(np.asarray(self.lab_facility)[np.argmin(tests)])})"
            )
        door = (
            np.zeros(n, np.bool_)
            if self.door_to_door is None
            else np.asarray(self.door_to_door, dtype=np.bool_)
        )
        if door.shape != (n,):
            raise ValueError(f"door_to_door must have {n} values, got shape {door.shape}")
        return CampaignInput(
            person=person,
            unit_id=unit_id,
            unit_lon=_float_array("unit_lon", self.unit_lon, nu),
            unit_lat=_float_array("unit_lat", self.unit_lat, nu),
            site_facility=_int_array("site_facility", self.site_facility, ns),
            site_community=_int_array("site_community", self.site_community, ns),
            site_lon=_float_array("site_lon", self.site_lon, ns),
            site_lat=_float_array("site_lat", self.site_lat, ns),
            site_samples_per_hour=caps,
            lab_facility=_int_array("lab_facility", self.lab_facility, nl),
            lab_lon=_float_array("lab_lon", self.lab_lon, nl),
            lab_lat=_float_array("lab_lat", self.lab_lat, nl),
            lab_tests_per_day=tests,
            door_to_door=door,
            **cols,
        )


@dataclass
class CampaignPlan:
    """A campaign plan; times are hours from the start, ``nan`` when it never happens.

    Sites (index ``s``): ``site_kind`` (0 fixed, 1 temporary), ``site_facility``
    (−1 for a temporary point), ``site_unit`` (the unit of a temporary point,
    −1 for a fixed site), location, ``site_capacity`` (samples/hour),
    ``site_residents``, ``site_start``/``site_finish``, ``site_samplers[s, b]``
    on duty per shift block.  Pools (index ``j``): ``pool_site``,
    ``pool_size``, ``pool_lab`` (index into the labs, −1 untested),
    ``pool_dispatch``, ``pool_arrival``, ``pool_test`` (start of the test
    hour), ``pool_result``.  Members: ``member_person`` in sampling order,
    ``member_pool``.  Labs: ``lab_pools``, ``lab_capacity`` (campaign tests in
    the horizon after the re-test reserve), ``lab_first``, ``lab_finish``.
    """

    params: CampaignParams
    samplers: int
    site_kind: NDArray[np.int8]
    site_facility: NDArray[np.int64]
    site_unit: NDArray[np.int64]
    site_lon: NDArray[np.float64]
    site_lat: NDArray[np.float64]
    site_capacity: NDArray[np.int64]
    site_residents: NDArray[np.int64]
    site_start: NDArray[np.float64]
    site_finish: NDArray[np.float64]
    site_samplers: NDArray[np.int64]
    site_team: NDArray[np.int64]
    pool_site: NDArray[np.int64]
    pool_size: NDArray[np.int64]
    pool_lab: NDArray[np.int64]
    pool_dispatch: NDArray[np.float64]
    pool_arrival: NDArray[np.float64]
    pool_test: NDArray[np.float64]
    pool_result: NDArray[np.float64]
    member_person: NDArray[np.int64]
    member_pool: NDArray[np.int64]
    lab_facility: NDArray[np.int64]
    lab_pools: NDArray[np.int64]
    lab_capacity: NDArray[np.int64]
    lab_first: NDArray[np.float64]
    lab_finish: NDArray[np.float64]
    #: hourly tests per lab, ``[lab, hour]`` (the min-cost flow's processing arcs).
    lab_hourly: NDArray[np.int64]
    transport: NDArray[np.float64]
    unsampled: int
    samplers_needed: int
    expected_retests: float
    retest_reserve: NDArray[np.int64]
    flow_cost: int
    solve_seconds: dict[str, float] = field(default_factory=dict)

    @property
    def residents(self) -> int:
        return int(self.site_residents.sum())

    @property
    def sampling_finish(self) -> float:
        done = self.site_finish[np.isfinite(self.site_finish)]
        return float(done.max()) if len(done) else float("nan")

    @property
    def finish(self) -> float:
        """The last pool result (hours), ``nan`` when no pool was tested."""
        done = self.pool_result[np.isfinite(self.pool_result)]
        return float(done.max()) if len(done) else float("nan")

    @property
    def pools_untested(self) -> int:
        """Sampled pools without a test (no lab capacity within the horizon)."""
        return int(((self.pool_lab < 0) & np.isfinite(self.pool_dispatch)).sum())

    @property
    def pools_late(self) -> int:
        return int((self.pool_result > self.params.deadline_hours + 1e-9).sum())

    @property
    def lab_tests_short(self) -> int:
        """Pool tests without a result by the deadline (untested or late)."""
        return self.pools_untested + self.pools_late

    @property
    def samplers_short(self) -> int:
        return max(self.samplers_needed - self.samplers, 0)

    @property
    def feasible(self) -> bool:
        """Every resident sampled in the window and every result by the deadline."""
        return self.unsampled == 0 and self.lab_tests_short == 0 and len(self.pool_site) > 0


def transport_minutes(
    site_lon: NDArray[np.float64],
    site_lat: NDArray[np.float64],
    lab_lon: NDArray[np.float64],
    lab_lat: NDArray[np.float64],
    params: CampaignParams,
) -> NDArray[np.float64]:
    """Minutes from each site to each lab: handling + road_factor × great circle / speed."""
    lon1, lat1 = np.radians(site_lon)[:, None], np.radians(site_lat)[:, None]
    lon2, lat2 = np.radians(lab_lon)[None, :], np.radians(lab_lat)[None, :]
    a = (
        np.sin((lat2 - lat1) / 2) ** 2
        + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2
    )
    km = 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0, 1)))
    return np.asarray(
        params.handling_minutes + params.road_factor * km / params.transport_kmh * 60.0,
        dtype=np.float64,
    )


# --------------------------------------------------------------------------- 1. sites


@dataclass
class _Sites:
    kind: NDArray[np.int8]
    facility: NDArray[np.int64]
    unit: NDArray[np.int64]
    lon: NDArray[np.float64]
    lat: NDArray[np.float64]
    capacity: NDArray[np.int64]
    person_site: NDArray[np.int64]


def _plan_sites(data: CampaignInput, p: CampaignParams) -> _Sites:
    window = p.sampling_hours
    units, inverse, counts = np.unique(data.unit, return_inverse=True, return_counts=True)
    assert data.door_to_door is not None
    door = np.zeros(len(units), bool)
    np.logical_or.at(door, inverse, data.door_to_door)
    first = np.zeros(len(units), np.int64)
    first[inverse[::-1]] = np.arange(len(inverse))[::-1]
    unit_community = data.community[first]
    unit_site = np.full(len(units), -1, np.int64)  # index into the fixed sites
    by_community: dict[int, list[int]] = {}
    for i, c in enumerate(data.site_community.tolist()):
        if data.site_samples_per_hour[i] > 0:
            by_community.setdefault(int(c), []).append(i)
    order = np.lexsort((units, -counts))  # largest unit first
    load = np.zeros(len(data.site_facility), np.float64)
    cap = data.site_samples_per_hour.astype(np.float64)
    for u in order.tolist():
        if door[u]:
            continue
        candidates = by_community.get(int(unit_community[u]))
        if not candidates:
            continue
        hours = [(load[s] + counts[u]) / cap[s] for s in candidates]
        best = candidates[int(np.argmin(hours))]
        if hours[int(np.argmin(hours))] <= window:
            unit_site[u] = best
            load[best] += counts[u]
    used = np.unique(unit_site[unit_site >= 0])
    temp = np.flatnonzero(unit_site < 0)
    n_fixed = len(used)
    fixed_index = np.full(len(data.site_facility) + 1, -1, np.int64)
    fixed_index[used] = np.arange(n_fixed)
    site_of_unit = np.where(unit_site >= 0, fixed_index[np.maximum(unit_site, 0)], -1)
    site_of_unit[temp] = n_fixed + np.arange(len(temp))
    loc = np.searchsorted(data.unit_id, units[temp])
    desks = np.maximum(np.ceil(counts[temp] / (p.temporary_samples_per_hour * window)), 1)
    return _Sites(
        kind=np.concatenate([np.zeros(n_fixed, np.int8), np.ones(len(temp), np.int8)]),
        facility=np.concatenate([data.site_facility[used], np.full(len(temp), -1, np.int64)]),
        unit=np.concatenate([np.full(n_fixed, -1, np.int64), units[temp]]),
        lon=np.concatenate([data.site_lon[used], data.unit_lon[loc]]),
        lat=np.concatenate([data.site_lat[used], data.unit_lat[loc]]),
        capacity=np.concatenate(
            [
                data.site_samples_per_hour[used],
                (desks * p.temporary_samples_per_hour).astype(np.int64),
            ]
        ),
        person_site=site_of_unit[inverse],
    )


# --------------------------------------------------------------------------- 3. samplers


@dataclass
class _Roster:
    samplers: NDArray[np.int64]  # [s] samplers assigned to the site for the day
    on_duty: NDArray[np.int64]  # [s, b] samplers on duty per shift block
    samples: NDArray[np.int64]  # [s, t] residents sampled per pick-up slot
    needed: int  # samplers that would sample everyone


def _shape(p: CampaignParams) -> tuple[int, int, int, int]:
    """Slots, slots per shift block, blocks and shifts per sampler of the window."""
    n_t = max(math.floor(p.sampling_hours / p.pickup_interval_hours + 1e-9), 1)
    per_block = round(p.shift_hours / p.pickup_interval_hours)
    n_b = -(-n_t // per_block)
    return n_t, per_block, n_b, min(p.shifts_per_sampler, n_b)


def _simulate(
    residents: NDArray[np.int64],
    capacity: NDArray[np.int64],
    y: NDArray[np.int64],
    p: CampaignParams,
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """On-duty samplers per block and residents sampled per slot, for rows of (site, y).

    Shifts are put as early as possible: in each block as many of the ``y``
    samplers as the site's desks (``⌈capacity/rate⌉``), the residents left
    and the shifts left (``shifts_per_sampler`` each) allow; a site samples at
    ``min(capacity, on_duty × rate)`` per hour.
    """
    n_t, per_block, n_b, shifts = _shape(p)
    dt = p.pickup_interval_hours
    rate = p.samples_per_sampler_hour
    desks = np.ceil(capacity / rate - 1e-9).astype(np.int64)
    on_duty = np.zeros((len(y), n_b), np.int64)
    samples = np.zeros((len(y), n_t), np.int64)
    remaining = residents.astype(np.float64)
    shifts_left = y * shifts
    for blk in range(n_b):
        slots = range(blk * per_block, min((blk + 1) * per_block, n_t))
        need = np.ceil(remaining / (rate * len(slots) * dt) - 1e-9).astype(np.int64)
        duty = np.minimum.reduce([desks, y, shifts_left, need])
        on_duty[:, blk] = duty
        shifts_left = shifts_left - duty
        speed = np.minimum(capacity.astype(np.float64), duty * rate)
        for t in slots:
            got = np.floor(np.minimum(remaining, speed * dt) + 1e-6)
            samples[:, t] = got.astype(np.int64)
            remaining = remaining - got
    return on_duty, samples


def _roster(
    residents: NDArray[np.int64], capacity: NDArray[np.int64], available: int, p: CampaignParams
) -> _Roster:
    """Samplers per site, their shifts and the residents sampled per slot.

    ``G_s(y)``, the residents site ``s`` samples in the window with ``y``
    samplers (:func:`_simulate`), is concave in ``y`` (each sampler adds
    ``shifts_per_sampler`` shifts, and a site's hourly output
    ``min(capacity, on_duty × rate)`` is concave in the samplers on duty).
    Maximising ``Σ_s G_s(y_s)`` under ``Σ y_s ≤ available`` is then a
    separable concave resource allocation, solved exactly by taking the
    marginal gains in decreasing order (Fox 1966; Ibaraki & Katoh,
    *Resource Allocation Problems*, 1988).  The samplers needed are
    ``Σ_s min{y : G_s(y) = N_s}``.
    """
    n_s = len(residents)
    _, _, n_b, _ = _shape(p)
    desks = np.ceil(capacity / p.samples_per_sampler_hour - 1e-9).astype(np.int64)
    y_max = int(max(desks.max(initial=1) * n_b, 1))
    grid = np.arange(y_max + 1, dtype=np.int64)
    rows_s = np.repeat(np.arange(n_s), y_max + 1)
    rows_y = np.tile(grid, n_s)
    _, samples = _simulate(residents[rows_s], capacity[rows_s], rows_y, p)
    gain = samples.sum(axis=1).reshape(n_s, y_max + 1)
    full = gain >= residents[:, None]
    want = np.where(full.any(axis=1), np.argmax(full, axis=1), y_max).astype(np.int64)
    needed = int(want.sum())
    if needed <= available:
        y = want
    else:
        marginal = np.diff(gain, axis=1).astype(np.float64)  # [s, y-1]: gain of the y-th sampler
        marginal = np.minimum.accumulate(marginal, axis=1)
        usable = grid[None, 1:] <= want[:, None]
        s_idx, y_idx = np.nonzero(usable)
        rank = np.lexsort((y_idx, s_idx, -marginal[s_idx, y_idx]))[:available]
        y = np.bincount(s_idx[rank], minlength=n_s).astype(np.int64)
    on_duty, samples = _simulate(residents, capacity, y, p)
    return _Roster(y, on_duty, samples, needed)


# --------------------------------------------------------------------------- 4. labs


@dataclass
class _LabFlow:
    group_lab: NDArray[np.int64]  # [g, l] pools sent
    processed: NDArray[np.int64]  # [l, h] pools tested in hour h
    unassigned: NDArray[np.int64]  # [g]
    cost: int


def _hourly_capacity(per_day: NDArray[np.int64], hours: int) -> NDArray[np.int64]:
    """Tests per lab and hour: the daily capacity spread over the hours without rounding loss."""
    h = np.arange(hours + 1, dtype=np.int64)
    cumulative = (per_day[:, None] * h[None, :]) // 24
    return np.diff(cumulative, axis=1).astype(np.int64)


def lab_network(
    supply: NDArray[np.int64],
    dispatch: NDArray[np.float64],
    group_site: NDArray[np.int64],
    transport: NDArray[np.float64],
    hourly: NDArray[np.int64],
    params: CampaignParams,
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]:
    """Arcs of the time-expanded network: ``(tail, head, capacity, cost)``.

    Nodes: groups ``0..G-1`` (pools of one site leaving at one time), then
    lab-hours ``G + l·H + h``, then the sink.  Arcs in this order: transport
    (group → lab-hour of arrival), waiting (lab-hour → next hour), testing
    (lab-hour → sink) and untested (group → sink).
    """
    n_g = len(supply)
    n_l, n_h = hourly.shape
    sink = n_g + n_l * n_h
    big = int(supply.sum())
    g, lab = np.meshgrid(np.arange(n_g), np.arange(n_l), indexing="ij")
    minutes = transport[group_site[g], lab]
    arrival = np.ceil(dispatch[g] + minutes / 60.0 - 1e-9).astype(np.int64)
    ok = arrival < n_h
    t_tail = g[ok]
    t_head = n_g + lab[ok] * n_h + arrival[ok]
    t_cap = supply[t_tail]
    t_cost = np.rint(minutes[ok]).astype(np.int64)
    lh_l, lh_h = np.meshgrid(np.arange(n_l), np.arange(n_h), indexing="ij")
    node = n_g + lh_l * n_h + lh_h
    w_tail = node[:, :-1].ravel()
    w_head = node[:, 1:].ravel()
    result = lh_h + 1 + params.lab_run_hours
    late = np.maximum(np.ceil(result - params.deadline_hours - 1e-9), 0).astype(np.int64)
    p_cost = (60 * lh_h + LATE_COST_PER_HOUR * late).ravel()
    tails = np.concatenate([t_tail, w_tail, node.ravel(), np.arange(n_g)])
    heads = np.concatenate([t_head, w_head, np.full(node.size, sink), np.full(n_g, sink)])
    caps = np.concatenate([t_cap, np.full(len(w_tail), big), hourly.ravel(), supply])
    costs = np.concatenate(
        [t_cost, np.zeros(len(w_tail), np.int64), p_cost, np.full(n_g, UNASSIGNED_COST)]
    )
    return tails, heads, caps.astype(np.int64), costs.astype(np.int64)


def _solve_labs(
    supply: NDArray[np.int64],
    dispatch: NDArray[np.float64],
    group_site: NDArray[np.int64],
    transport: NDArray[np.float64],
    hourly: NDArray[np.int64],
    params: CampaignParams,
) -> _LabFlow:
    n_g = len(supply)
    n_l, n_h = hourly.shape
    tails, heads, caps, costs = lab_network(supply, dispatch, group_site, transport, hourly, params)
    flow = min_cost_flow.SimpleMinCostFlow()
    arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, caps, costs)
    sink = n_g + n_l * n_h
    nodes = np.arange(sink + 1)
    supplies = np.zeros(sink + 1, np.int64)
    supplies[:n_g] = supply
    supplies[sink] = -int(supply.sum())
    flow.set_nodes_supplies(nodes, supplies)
    status = flow.solve()
    if status != flow.OPTIMAL:
        raise RuntimeError(f"lab assignment: min-cost flow status {status}")
    f = flow.flows(arcs)
    n_transport = int((heads[: len(heads)] < sink).sum()) - (n_l * (n_h - 1))
    group_lab = np.zeros((n_g, n_l), np.int64)
    t_f = f[:n_transport]
    t_lab = (heads[:n_transport] - n_g) // n_h
    np.add.at(group_lab, (tails[:n_transport], t_lab), t_f)
    start = n_transport + n_l * (n_h - 1)
    processed = f[start : start + n_l * n_h].reshape(n_l, n_h).astype(np.int64)
    unassigned = f[start + n_l * n_h :].astype(np.int64)
    return _LabFlow(group_lab, processed, unassigned, int(flow.optimal_cost()))


# --------------------------------------------------------------------------- the plan


def plan_campaign(
    data: CampaignInput, params: CampaignParams | None = None, *, samplers: int | None = None
) -> CampaignPlan:
    """Plan a campaign for the residents of ``data`` (module docstring).

    Parameters
    ----------
    data : CampaignInput
        Residents, units, fixed sites inside the zone set and the labs.
    params : CampaignParams
        Standards (defaults of DESIGN.md §3).
    samplers : int, optional
        Samplers available; default ``samplers_per_10k`` per 10 000 residents.

    Returns
    -------
    CampaignPlan
        Sites, shifts, pools, lab assignment and schedule, with the shortfall.
    """
    p = params or CampaignParams()
    p.validate()
    data = data.validated()
    if samplers is not None and (
        isinstance(samplers, bool) or not isinstance(samplers, int) or samplers < 0
    ):
        raise ValueError(f"samplers must be an integer >= 0, got {samplers!r}")
    if len(data.person) == 0:
        raise ValueError("person must hold at least one resident to test")
    n = len(data.person)
    available = (
        samplers if samplers is not None else math.ceil(n * p.samplers_per_10k / 10_000 - 1e-9)
    )
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    dt = p.pickup_interval_hours
    n_t = max(math.floor(p.sampling_hours / dt + 1e-9), 1)
    p_sites = CampaignParams(**{**p.__dict__, "sampling_hours": n_t * dt})
    sites = _plan_sites(data, p_sites)
    n_s = len(sites.kind)
    residents = np.bincount(sites.person_site, minlength=n_s).astype(np.int64)
    timings["sites"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    order, member_pool = form_pools(
        sites.person_site,
        data.building,
        data.household,
        data.person,
        p.pool_size,
        keep_households=p.keep_households,
    )
    n_pool = int(member_pool[-1]) + 1
    pool_size = np.bincount(member_pool, minlength=n_pool).astype(np.int64)
    pool_first = np.searchsorted(member_pool, np.arange(n_pool))
    pool_site = sites.person_site[order][pool_first]
    timings["pools"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    roster = _roster(residents, sites.capacity, available, p)
    samples = roster.samples
    unsampled = int(residents.sum() - samples.sum())
    timings["samplers"] = time.perf_counter() - t0

    # sampling times and pool dispatch
    per_block = round(p.shift_hours / dt)
    block = np.arange(n_t) // per_block
    rate = np.minimum(
        sites.capacity[:, None].astype(np.float64),
        p.samples_per_sampler_hour * roster.on_duty[:, block],
    )
    active = samples > 0
    first_slot = np.where(active.any(axis=1), np.argmax(active, axis=1), -1)
    last_slot = np.where(active.any(axis=1), n_t - 1 - np.argmax(active[:, ::-1], axis=1), -1)
    rows = np.arange(n_s)
    safe_last = np.maximum(last_slot, 0)
    used_share = np.minimum(
        samples[rows, safe_last] / np.maximum(rate[rows, safe_last] * dt, 1e-9), 1.0
    )
    site_start = np.where(first_slot >= 0, first_slot * dt, np.nan)
    site_finish = np.where(last_slot >= 0, (safe_last + used_share) * dt, np.nan)
    cum = np.cumsum(samples, axis=1)
    site_offset = np.concatenate([[0], np.cumsum(residents)[:-1]])
    pool_end = pool_first + pool_size - site_offset[pool_site]  # members sampled when done
    done_slot = np.empty(n_pool, np.int64)
    for s_ in range(n_s):
        mine = pool_site == s_
        done_slot[mine] = np.searchsorted(cum[s_], pool_end[mine], side="left")
    sampled_pool = done_slot < n_t
    slot_end = (np.minimum(done_slot, n_t - 1) + 1) * dt
    dispatch = np.where(
        sampled_pool,
        np.where(done_slot == last_slot[pool_site], site_finish[pool_site], slot_end),
        np.nan,
    )

    # lab capacity and re-test reserve
    t0 = time.perf_counter()
    accuracy = dorfman_accuracy(
        p.prevalence,
        p.pool_size,
        sensitivity=p.sensitivity,
        specificity=p.specificity,
        dilution=p.dilution,
    )
    pools_sampled = int(sampled_pool.sum())
    mean_size = float(pool_size[sampled_pool].mean()) if pools_sampled else 0.0
    expected_retests = accuracy.positive_pools * pools_sampled * mean_size if p.pool_size > 1 else 0
    per_day = np.floor(data.lab_tests_per_day * p.lab_share).astype(np.int64)
    total_day = int(per_day.sum())
    reserve = (
        np.minimum(np.ceil(expected_retests * per_day / total_day), per_day).astype(np.int64)
        if total_day
        else np.zeros(len(per_day), np.int64)
    )
    n_h = max(math.ceil(p.deadline_hours + p.late_horizon_hours), 1)
    hourly = _hourly_capacity(per_day - reserve, n_h)
    transport = transport_minutes(sites.lon, sites.lat, data.lab_lon, data.lab_lat, p)
    key = np.where(sampled_pool, pool_site * (n_t + 1) + done_slot, -1)
    groups, group_of_pool = np.unique(key[sampled_pool], return_inverse=True)
    supply = np.bincount(group_of_pool, minlength=len(groups)).astype(np.int64)
    group_site = groups // (n_t + 1)
    sampled_idx = np.flatnonzero(sampled_pool)
    group_dispatch = np.zeros(len(groups))
    group_dispatch[group_of_pool] = dispatch[sampled_idx]
    n_l = len(data.lab_facility)
    pool_lab = np.full(n_pool, -1, np.int64)
    pool_arrival = np.full(n_pool, np.nan)
    pool_test = np.full(n_pool, np.nan)
    if len(groups) and n_l:
        lab_flow = _solve_labs(supply, group_dispatch, group_site, transport, hourly, p)
        # pools of a group (in pool order) to the labs in lab order
        for g_ in range(len(groups)):
            members = sampled_idx[group_of_pool == g_]
            labs = np.repeat(np.arange(n_l), lab_flow.group_lab[g_])
            pool_lab[members[: len(labs)]] = labs
        lab_hourly = lab_flow.processed
        cost = int(lab_flow.cost)
    else:
        lab_hourly = np.zeros((n_l, n_h), np.int64)
        cost = UNASSIGNED_COST * int(supply.sum())
    has_lab = pool_lab >= 0
    tr = transport[pool_site[has_lab], pool_lab[has_lab]]
    pool_arrival[has_lab] = dispatch[has_lab] + tr / 60.0
    for lab in range(n_l):
        mine = np.flatnonzero(pool_lab == lab)
        if not len(mine):
            continue
        arr_hour = np.ceil(pool_arrival[mine] - 1e-9)
        fifo = mine[np.lexsort((mine, arr_hour))]
        hours = np.repeat(np.arange(n_h), lab_hourly[lab])
        pool_test[fifo] = hours[: len(fifo)]
    pool_result = pool_test + 1 + p.lab_run_hours
    timings["labs"] = time.perf_counter() - t0

    lab_pools = np.bincount(pool_lab[has_lab], minlength=n_l).astype(np.int64)
    lab_first = np.full(n_l, np.nan)
    lab_finish = np.full(n_l, np.nan)
    for j in np.flatnonzero(lab_pools).tolist():
        mine = pool_lab == j
        lab_first[j] = float(np.nanmin(pool_arrival[mine]))
        lab_finish[j] = float(np.nanmax(pool_result[mine]))
    return CampaignPlan(
        params=p,
        samplers=int(available),
        site_kind=sites.kind,
        site_facility=sites.facility,
        site_unit=sites.unit,
        site_lon=sites.lon,
        site_lat=sites.lat,
        site_capacity=sites.capacity,
        site_residents=residents,
        site_start=site_start,
        site_finish=site_finish,
        site_samplers=roster.on_duty,
        site_team=roster.samplers,
        pool_site=pool_site.astype(np.int64),
        pool_size=pool_size,
        pool_lab=pool_lab,
        pool_dispatch=dispatch,
        pool_arrival=pool_arrival,
        pool_test=pool_test,
        pool_result=pool_result,
        member_person=data.person[order],
        member_pool=member_pool,
        lab_facility=data.lab_facility,
        lab_pools=lab_pools,
        lab_capacity=hourly.sum(axis=1).astype(np.int64),
        lab_first=lab_first,
        lab_finish=lab_finish,
        lab_hourly=lab_hourly,
        transport=transport,
        unsampled=unsampled,
        samplers_needed=roster.needed,
        expected_retests=float(expected_retests),
        retest_reserve=reserve,
        flow_cost=cost,
        solve_seconds=timings,
    )
