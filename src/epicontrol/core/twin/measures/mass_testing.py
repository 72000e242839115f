"""Mass testing (全员核酸) in the twin: rounds of pooled PCR tests with sampler and lab capacity.

**Who is tested.**  ``target`` chooses the residents of a round:

* ``zones`` (default) — the residents of the active zones (:mod:`.zones`) on
  the live schedule of plan 004 (Shenzhen) [1]_, per zone level:
  lockdown daily for 7 days, then every 2 days ("前 7 天每天一检, 后 7 天 2 至
  3 天一检"); control daily for 4 days ("前 4 天按照封控区管理"), then every 2
  days (an assumption: the plan gives no later frequency); prevention daily
  for 4 days, then no more rounds ("前 4 天每天一检").  A zone's schedule
  counts from its clock (``level_day``: the day it entered its level or had a
  new case inside), starting the next day: mass testing runs before the
  zones in a day (:data:`~.ORDER`), so it tests yesterday's zones.  All the
  zones due on a day form that day's round.
* ``city`` / ``districts`` — every resident (of the named districts),
  ``rounds`` rounds ``interval_days`` apart from ``start_day``.

Of each round's residents, those not yet diagnosed, alive and not already
waiting in an unfinished round are sampled with probability ``coverage``
(plans 001 and 002: ≥ 98 %).

**Capacity and time.**  Each day the samplers take ``samplers ×
samples_per_sampler_per_day`` swabs (default 1 000 a day: 125 an hour over two
4-hour shifts, :class:`~epicontrol.core.operations.campaign.CampaignParams`),
first come first served in round order, by community, building and household;
``samplers`` defaults to ``context.capacity["samplers"]`` and without either
there is no limit.  The day's swabs form pools of ``pool_size`` (10-in-1, 十混一)
with :func:`~epicontrol.core.operations.pooling.form_pools` (households kept
together, one community per pool).  The lab starts at most
``lab_tests_per_day`` tests a day (default ``context.capacity
["lab_tests_per_day"]``, else no limit): re-tests first, then pools in the
order they were sampled.  A test started on day *D* (a pool: at the start of
the day, as sampled that day or waiting since) has its result
``turnaround_hours`` later (default 12 h: the lab-result standard of DESIGN.md
§3); the members of a positive pool are then re-tested individually (their
re-tests start at the pool's result, or later when the lab is full) and have
their results ``turnaround_hours`` after that.  A positive result at hour *H*
(from day 0's start) diagnoses the agent on the day it falls on,
``floor(H / 24)``, with its hour (:meth:`~.registry.CaseRegistry.diagnose_at`,
``found_by`` mass testing: the tracing playbook's clock starts there), as
symptomatic testing does; the diagnosed agent is isolated.  With the defaults
and free capacity a round sampled on day *d* has its negative pools at 12:00
of day *d* and its positives diagnosed at 0:00 of day *d* + 1, 24 h after the
round started (the plans' 24-hour campaign).

**Test model** (Dorfman two-stage testing [2]_).  An agent is PCR-positive
when presymptomatic, symptomatic, asymptomatic, severe or critical (states IP,
IS, IA, SEV, CRIT) at sampling.  Not in the latent state E: the probability of
a false-negative RT-PCR is 100 % on the day after exposure and still 67 % on
day 4 [3]_, i.e. before the infectious period; nor after recovery (persistent
low-level shedding is ignored).  A pool of ``m`` with ``d ≥ 1`` positives is
positive with :func:`~epicontrol.core.operations.pooling.pool_detection`'s
``Se (d/m)^δ`` (``sensitivity``, ``dilution``); a pool without positives with
``1 − specificity`` (a false-positive pool costs its members' re-tests).  An
individual test (pool size 1, or a re-test of the same sample) is positive
with probability ``sensitivity`` for a PCR-positive agent and never for
another one: positives are confirmed by a second test before they are
reported, so a false-positive *diagnosis* is not modelled.  The default
sensitivity 0.95 is the campaign planner's.

Figures: ``mass_tests`` (pool tests and individual tests started that day),
``mass_sampled`` (persons swabbed), ``mass_positives`` (new diagnoses),
``mass_rounds`` (rounds started), ``mass_round_done_hours`` (on the day a
round's last result comes: hours from the start of the round's day to it; the
largest if several finish that day), ``mass_queue`` (persons waiting to be
sampled, end of day) and ``mass_lab_backlog`` (pool tests and re-tests
waiting for the lab, end of day).

References
----------
.. [1] City plan 004 (Shenzhen) in ``seeds/``; DESIGN.md §3 (lockdown zone
   testing daily for 7 days, then every 2–3 days; mass testing done within
   24 h with ≥ 98 % coverage, plans 001 and 002).
.. [2] Dorfman R. The detection of defective members of large populations.
   *Ann. Math. Statist.* 14(4):436–440, 1943.
.. [3] Kucirka LM, Lauer SA, Laeyendecker O, Boon D, Lessler J. Variation in
   false-negative rate of reverse transcriptase polymerase chain
   reaction–based SARS-CoV-2 tests by time since exposure. *Ann. Intern.
   Med.* 173(4):262–267, 2020.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
from numpy.typing import NDArray
from pydantic import Field, model_validator

from ...operations.pooling import form_pools, pool_detection
from ..disease import CRIT, IA, IP, IS, SEV, D
from .registry import MASS_TESTING, CaseRegistry, parse_config, registry_of
from .zones import ConfigModel, ThreeZones, ZoneLevelName, capacity_value
from .zones import zones_measure as find_zones

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
B = NDArray[np.bool_]

KIND = "mass_testing"
#: States in which an agent's swab is PCR-positive (module docstring).
PCR_POSITIVE_STATES: tuple[int, ...] = (IP, IS, IA, SEV, CRIT)
_ZONE_LEVELS = ("lockdown", "control", "prevention")
_SALT = 0x6D617373  # "mass": this measure's own random stream


class LevelSchedule(ConfigModel):
    """Daily rounds for ``daily_days`` days, then one every ``interval_days`` (0: no more)."""

    daily_days: int = Field(ge=0, le=365)
    interval_days: int = Field(ge=0, le=365)


def _default_schedule() -> dict[ZoneLevelName, LevelSchedule]:
    return {
        "lockdown": LevelSchedule(daily_days=7, interval_days=2),
        "control": LevelSchedule(daily_days=4, interval_days=2),
        "prevention": LevelSchedule(daily_days=4, interval_days=0),
    }


class MassTestingConfig(ConfigModel):
    """Scenario parameters of ``mass_testing`` (see the module docstring)."""

    target: Literal["zones", "city", "districts"] = "zones"
    districts: list[str] = Field(default_factory=list)
    #: Zone levels tested and their schedules (levels left out are not tested).
    schedule: dict[ZoneLevelName, LevelSchedule] = Field(default_factory=_default_schedule)
    start_day: int = Field(default=0, ge=0)
    rounds: int = Field(default=1, ge=1, le=1000)
    interval_days: int = Field(default=1, ge=1, le=365)
    pool_size: int = Field(default=10, ge=1, le=100)
    sensitivity: float = Field(default=0.95, gt=0, le=1)
    specificity: float = Field(default=1.0, ge=0, le=1)
    dilution: float = Field(default=0.0, ge=0, le=10)
    coverage: float = Field(default=0.98, ge=0, le=1)
    keep_households: bool = True
    samplers: int | None = Field(default=None, ge=0)
    samples_per_sampler_per_day: float = Field(default=1000.0, gt=0, le=1e6)
    lab_tests_per_day: int | None = Field(default=None, ge=0)
    turnaround_hours: float = Field(default=12.0, ge=0, le=240)

    @model_validator(mode="after")
    def _target_fields(self) -> MassTestingConfig:
        given = self.model_fields_set
        if self.target == "districts" and not self.districts:
            raise ValueError("districts: target 'districts' needs at least one district name")
        if self.target != "districts" and self.districts:
            raise ValueError(f"districts: only for target 'districts', not {self.target!r}")
        if self.target == "zones":
            for name in ("rounds", "interval_days"):
                if name in given:
                    raise ValueError(
                        f"{name}: only for target 'city' or 'districts' (zones follow 'schedule')"
                    )
        elif "schedule" in given:
            raise ValueError(f"schedule: only for target 'zones', not {self.target!r}")
        return self


@dataclass
class _Batch:
    """The pools of one day's swabs, waiting for the lab from pool ``next`` on."""

    members: I32
    offsets: I64
    rounds: I32
    detect: B
    next: int = 0

    @property
    def n_pools(self) -> int:
        return len(self.offsets) - 1


def due_offsets(offset: I64, daily_days: int, interval_days: int) -> B:
    """Whether a zone ``offset`` days into its schedule is tested: ``0 … daily-1``,
    then every ``interval_days`` after the last daily round (never when 0)."""
    due = (offset >= 0) & (offset < daily_days)
    if interval_days > 0:
        base = max(daily_days - 1, 0)
        due |= (offset >= base) & ((offset - base) % interval_days == 0)
    return np.asarray(due, np.bool_)


class MassTesting:
    """Rounds of pooled testing of zones, districts or the whole city (module docstring)."""

    def __init__(self, config: MassTestingConfig, samplers_per_day: float, lab_per_day: float):
        self.config = config
        self.samplers_per_day = samplers_per_day
        self.lab_per_day = lab_per_day
        k = config.pool_size
        table = np.zeros((k + 1, k + 1), np.float64)
        for m in range(1, k + 1):
            table[m, : m + 1] = pool_detection(m, config.sensitivity, config.dilution)
        self.detection = table
        self._started = False

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        """A fresh measure; capacities default to ``context.capacity``."""
        c = parse_config(MassTestingConfig, params, KIND)
        samplers = capacity_value(KIND, "samplers", c.samplers, context)
        lab = capacity_value(KIND, "lab_tests_per_day", c.lab_tests_per_day, context)
        per_day = (
            math.floor(samplers * c.samples_per_sampler_per_day + 1e-9)
            if math.isfinite(samplers)
            else math.inf
        )
        return cls(c, per_day, math.floor(lab) if math.isfinite(lab) else math.inf)

    # ------------------------------------------------------------------ state
    def start(self, sim: Sim) -> None:
        c, pop = self.config, sim.pop
        self.rng = np.random.default_rng(np.random.SeedSequence([sim.seed, _SALT]))
        self.zones: ThreeZones | None = None
        if c.target == "zones":
            self.zones = find_zones(sim)
            if self.zones is None:
                raise ValueError(f"{KIND}.target: 'zones' needs a zones measure in the run")
        self.district_mask = np.zeros(pop.n_districts, np.bool_)
        for name in c.districts:
            if name not in pop.district_names:
                raise ValueError(
                    f"{KIND}.districts: unknown district {name!r} "
                    f"(known: {', '.join(pop.district_names)})"
                )
            self.district_mask[pop.district_names.index(name)] = True
        n = pop.n
        self.queued = np.zeros(n, np.bool_)
        self.sq_agent = np.zeros(0, np.int32)
        self.sq_round = np.zeros(0, np.int32)
        self.batches: list[_Batch] = []
        self.rq_agent = np.zeros(0, np.int32)
        self.rq_round = np.zeros(0, np.int32)
        self.rq_detect = np.zeros(0, np.bool_)
        self.rq_avail = np.zeros(0, np.float64)
        self.pending: dict[int, list[tuple[I32, F64]]] = {}
        self.round_day = np.zeros(0, np.int64)
        self.outstanding = np.zeros(0, np.int64)
        self.last_hour = np.zeros(0, np.float64)
        self.round_done = np.zeros(0, np.bool_)
        #: (round day, hours to its last result) of every finished round.
        self.round_log: list[tuple[int, float]] = []
        self._done_fig: dict[int, float] = {}
        self._done_dirty: set[int] = set()
        self._started = True

    # ------------------------------------------------------------------ daily
    def apply(self, sim: Sim, day: int) -> None:
        reg = registry_of(sim)
        reg.start_day(sim, day)
        if not self._started:
            raise RuntimeError("mass_testing: start(sim) must run before apply")
        self._start_round(sim, reg, day)
        self._sample(sim, reg, day)
        tests = 0
        budget = self.lab_per_day
        tests += self._retests(reg, day, budget - tests)
        tests += self._pools(reg, day, budget - tests)
        tests += self._retests(reg, day, budget - tests)
        reg.add("mass_tests", day, tests)
        found = 0
        for due in sorted(d for d in self.pending if d <= day):
            parts = self.pending.pop(due)
            ids = np.concatenate([p[0] for p in parts])
            hours = np.concatenate([p[1] for p in parts]) - 24.0 * due
            self.queued[ids] = False
            found += len(reg.diagnose_at(sim, ids, day, MASS_TESTING, np.clip(hours, 0, 23.999)))
        reg.add("mass_positives", day, found)
        reg.set("mass_queue", day, len(self.sq_agent))
        backlog = sum(b.n_pools - b.next for b in self.batches) + len(self.rq_agent)
        reg.set("mass_lab_backlog", day, backlog)
        for d in sorted(self._done_dirty):
            reg.set("mass_round_done_hours", d, self._done_fig[d])
        self._done_dirty.clear()

    def _targets(self, sim: Sim, day: int) -> I32:
        c = self.config
        if day < c.start_day:
            return np.zeros(0, np.int32)
        if self.zones is not None:
            unit, level, level_day = self.zones.active_zones()
            offset = day - level_day - 1
            due = np.zeros(len(unit), np.bool_)
            for name, s in c.schedule.items():
                due |= (level == _ZONE_LEVELS.index(name)) & due_offsets(
                    offset, s.daily_days, s.interval_days
                )
            return self.zones.residents(unit[due])
        k, r = divmod(day - c.start_day, c.interval_days)
        if r or k >= c.rounds:
            return np.zeros(0, np.int32)
        if c.target == "city":
            return np.arange(sim.pop.n, dtype=np.int32)
        return np.flatnonzero(self.district_mask[sim.pop.district]).astype(np.int32)

    def _start_round(self, sim: Sim, reg: CaseRegistry, day: int) -> None:
        ids = self._targets(sim, day)
        if not len(ids):
            return
        ids = ids[~self.queued[ids] & (reg.t_diagnosed[ids] < 0) & (sim.state[ids] != D)]
        ids = ids[self.rng.random(len(ids)) < self.config.coverage]
        if not len(ids):
            return
        pop = sim.pop
        ids = ids[
            np.lexsort((ids, pop.household[ids], pop.building[ids], pop.community[ids]))
        ].astype(np.int32)
        r = len(self.round_day)
        self.round_day = np.append(self.round_day, day)
        self.outstanding = np.append(self.outstanding, len(ids))
        self.last_hour = np.append(self.last_hour, 24.0 * day)
        self.round_done = np.append(self.round_done, False)
        self.queued[ids] = True
        self.sq_agent = np.concatenate([self.sq_agent, ids])
        self.sq_round = np.concatenate([self.sq_round, np.full(len(ids), r, np.int32)])
        reg.add("mass_rounds", day, 1)

    def _sample(self, sim: Sim, reg: CaseRegistry, day: int) -> None:
        if not len(self.sq_agent):
            return
        gone = (reg.t_diagnosed[self.sq_agent] >= 0) | (sim.state[self.sq_agent] == D)
        if gone.any():
            self._final(self.sq_agent[gone], self.sq_round[gone], np.full(int(gone.sum()), -np.inf))
            self.sq_agent, self.sq_round = self.sq_agent[~gone], self.sq_round[~gone]
        cap = len(self.sq_agent) if math.isinf(self.samplers_per_day) else self.samplers_per_day
        take = int(min(cap, len(self.sq_agent)))
        if take == 0:
            return
        ids, rounds = self.sq_agent[:take], self.sq_round[:take]
        self.sq_agent, self.sq_round = self.sq_agent[take:], self.sq_round[take:]
        detect = np.isin(sim.state[ids], PCR_POSITIVE_STATES)
        pop = sim.pop
        order, pool = form_pools(
            pop.community[ids],
            pop.building[ids],
            pop.household[ids],
            ids,
            self.config.pool_size,
            keep_households=self.config.keep_households,
        )
        n_pools = int(pool[-1]) + 1
        offsets = np.searchsorted(pool, np.arange(n_pools + 1)).astype(np.int64)
        self.batches.append(_Batch(ids[order], offsets, rounds[order], detect[order]))
        reg.add("mass_sampled", day, take)

    def _retests(self, reg: CaseRegistry, day: int, budget: float) -> int:
        """Individual re-tests available by the end of ``day``, up to ``budget``."""
        ready = int(np.searchsorted(self.rq_avail, 24.0 * (day + 1), "left"))
        take = int(min(ready, budget))
        if take <= 0:
            return 0
        agents, rounds = self.rq_agent[:take], self.rq_round[:take]
        detect, avail = self.rq_detect[:take], self.rq_avail[:take]
        self.rq_agent, self.rq_round = self.rq_agent[take:], self.rq_round[take:]
        self.rq_detect, self.rq_avail = self.rq_detect[take:], self.rq_avail[take:]
        hours = np.maximum(avail, 24.0 * day) + self.config.turnaround_hours
        positive = detect & (self.rng.random(take) < self.config.sensitivity)
        self._final(agents, rounds, hours, positive)
        return take

    def _pools(self, reg: CaseRegistry, day: int, budget: float) -> int:
        """Pools waiting for the lab, in sampling order, up to ``budget`` tests."""
        c = self.config
        used = 0
        hour = 24.0 * day + c.turnaround_hours
        while self.batches and used < budget:
            b = self.batches[0]
            take = int(min(b.n_pools - b.next, budget - used))
            lo, hi = b.offsets[b.next], b.offsets[b.next + take]
            off = b.offsets[b.next : b.next + take + 1] - lo
            members, rounds, detect = b.members[lo:hi], b.rounds[lo:hi], b.detect[lo:hi]
            size = np.diff(off)
            cs = np.concatenate([[0], np.cumsum(detect, dtype=np.int64)])
            d = cs[off[1:]] - cs[off[:-1]]
            u = self.rng.random(take)
            if c.pool_size == 1:
                positive = detect & (u < c.sensitivity)
                self._final(members, rounds, np.full(len(members), hour), positive)
            else:
                p = np.where(d > 0, self.detection[size, d], 1.0 - c.specificity)
                pos_member = np.repeat(u < p, size)
                neg = ~pos_member
                self._final(members[neg], rounds[neg], np.full(int(neg.sum()), hour))
                n_pos = int(pos_member.sum())
                self.rq_agent = np.concatenate([self.rq_agent, members[pos_member]])
                self.rq_round = np.concatenate([self.rq_round, rounds[pos_member]])
                self.rq_detect = np.concatenate([self.rq_detect, detect[pos_member]])
                self.rq_avail = np.concatenate([self.rq_avail, np.full(n_pos, hour)])
            b.next += take
            used += take
            if b.next == b.n_pools:
                self.batches.pop(0)
        return used

    def _final(self, agents: I32, rounds: I32, hours: F64, positive: B | None = None) -> None:
        """Persons whose round is over for them: result at ``hours`` (-inf: dropped)."""
        if not len(agents):
            return
        # a positive waits for its diagnosis before it can join another round
        self.queued[agents if positive is None else agents[~positive]] = False
        if positive is not None and positive.any():
            h = hours[positive]
            due = np.floor(h / 24.0).astype(np.int64)
            ids = agents[positive]
            for d in np.unique(due).tolist():
                at = due == d
                self.pending.setdefault(int(d), []).append((ids[at], h[at]))
        np.maximum.at(self.last_hour, rounds, hours)
        self.outstanding -= np.bincount(rounds, minlength=len(self.outstanding))
        done = np.flatnonzero((self.outstanding == 0) & ~self.round_done)
        for r in done.tolist():
            self.round_done[r] = True
            hours_r = float(self.last_hour[r] - 24.0 * self.round_day[r])
            self.round_log.append((int(self.round_day[r]), hours_r))
            fig_day = math.floor(self.last_hour[r] / 24.0)
            self._done_fig[fig_day] = max(self._done_fig.get(fig_day, 0.0), hours_r)
            self._done_dirty.add(fig_day)


__all__ = ["KIND", "PCR_POSITIVE_STATES", "LevelSchedule", "MassTesting", "MassTestingConfig"]
