"""Contact tracing on the playbook's clock: tracer capacity, close and secondary contacts.

Every diagnosed case (whoever found it) is traced by the tracing playbook
the scenario names, whose stages run on a clock that starts when a tracer
team takes the case:

=============  ==========================================  ===================
stage          1+4+6+24 (Shenzhen, seeds 004)              2+4+24 (plan 002)
=============  ==========================================  ===================
on site        1 h (``onsite_health``)                     2 h
core info      4 h (``core_information``)                  4 h
close          6 h: contacts transferred to quarantine     8 h: plan 002's
               (``transfer_contacts``)                     "8 小时内完成重点人员
                                                           集中隔离" (DESIGN §3)
secondary      24 h (``investigation_report``: key         24 h
               population and chains established)          (``three_groups_controlled``)
=============  ==========================================  ===================

The hours are read from the shipped playbook files
(:func:`epicontrol.core.operations.playbook.default_playbook`), so an edit
there moves the twin too; ``close_hours`` / ``secondary_hours`` override them.
Shenzhen's text transfers secondary contacts at 6 h as well; the twin hands
them over at the 24 h stage by default because they are found from the close
contacts' own households and teams, once those are known (set
``secondary_hours = 6`` for the letter of the plan).  A contact is handed
over on the day its stage's hour falls on (hour ≥ 24 → a later day).

Capacity.  The team takes the case at ``T0 = max(report hour, start of
today)``: tracers handle ``tracers × cases_per_tracer_per_day`` cases a day
(spread evenly: day *d* has ``⌊(d+1)C⌋ − ⌊dC⌋``), first come first served;
the rest wait in a backlog and are taken at the start of a later day.
``tracers`` defaults to the city's ``tracers`` capacity, else the staffing
standard (2 per 10 000 residents, Fuzhou; :class:`~epicontrol.core.resources.
staffing.StaffingStandards`).  ``cases_per_tracer_per_day = 0.5``: the plans
give one team per case (一病例一专班, Shenzhen) for the playbook's 24 hours,
and a team is taken as two tracers (the police officers who join it 1:1 are
counted apart) — an assumption to be replaced by the city's own figure.

Contacts of a case ``c`` (each found with its layer's probability, drawn
from a counter-based stream of the case and day):

* its household members (``p_household``, default 1: 同住 are always close
  contacts), its school class and work team (``p_school``, ``p_work``,
  default 1: 同学, 同事 are close contacts by the platform's contact rules,
  :class:`~epicontrol.core.tracing.rules.TracingRules`);
* in the community layer, the engine knows who infected whom: ``c``'s
  infector and the agents ``c`` infected are found with ``p_community``
  (default 0.3, Covasim's community tracing probability the platform
  compares against, PEERS.md), plus a Poisson number of other persons of
  ``c``'s home community, drawn uniformly (their mean ``community_contacts``;
  by default ``p_community × c's daily community contacts × window_days``,
  the 2 days of the infectious window before onset of the platform's rules):
  persons met but not infected by ``c``, who fill quarantine rooms;
* with ``depth = 2``, secondary contacts: the household, class and team
  members of every close contact (same probabilities), at the secondary stage.

Contacts already diagnosed, dead or in centralised quarantine are not
traced again (nor, as secondary contacts, persons under any quarantine).
Close and secondary contacts go to the registry's quarantine queue when a
``quarantine`` measure is in the run; otherwise into home quarantine for
``home_days``.

Figures (registry, per day): ``tracing_capacity`` (cases a day),
``cases_traced`` (taken today), ``tracing_backlog`` (waiting after today),
``tracer_workload`` (cases in hand today ÷ capacity; > 1 = overloaded),
``traced_contacts`` (close contacts handed over), ``traced_secondary``,
``traced_infected`` (handed over while infected: exposed to critical),
and ``home_quarantine`` without a quarantine measure.

References
----------
.. [1] 深圳市疫情防控经验 (seeds 004): "1+4+6+24" 流调工作要求; 一病例一专班.
.. [2] 市疫情防控能力提升方案 (seeds 002), item 8: "2+4+24"; 8 小时内完成重点人员集中隔离.
.. [3] C. C. Kerr et al., "Covasim: an agent-based model of COVID-19
   dynamics and interventions", *PLoS Comput. Biol.* 17(7):e1009149, 2021
   (``cv.contact_tracing``: per-layer trace probabilities and delays).
"""

from __future__ import annotations

import math
from collections import defaultdict
from functools import cache
from typing import TYPE_CHECKING, Any, Literal, Self

import numba as nb
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

from ...operations.playbook import default_playbook
from ...resources.staffing import StaffingStandards
from ...tracing.rules import TracingRules
from ..disease import CRIT, D, E
from ..kernels import _next, _normal, _stream
from ..params import CENTRAL_QUARANTINE, COMMUNITY, HOME_QUARANTINE
from .quarantine import QuarantineBook
from .registry import (
    CLOSE_CONTACT,
    P_TRACE,
    P_TRACE_HOUR,
    P_TRACE_SECONDARY,
    SECONDARY_CONTACT,
    parse_config,
    registry_of,
    uniforms,
)

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
F64 = NDArray[np.float64]

KIND = "contact_tracing"
PLAYBOOKS = ("1+4+6+24", "2+4+24")
#: Per playbook: the step (or hours) of the close and of the secondary hand-over.
_HANDOVER: dict[str, tuple[str | float, str | float]] = {
    "1+4+6+24": ("transfer_contacts", "investigation_report"),
    "2+4+24": (8.0, "three_groups_controlled"),
}


@cache
def playbook_stages(name: str) -> dict[str, float]:
    """Hours from the team taking a case: ``onsite``, ``core``, ``close``, ``secondary``."""
    book = default_playbook(name)
    close, secondary = _HANDOVER[name]

    def hours(x: str | float) -> float:
        return float(x) if isinstance(x, float) else book.step(x).due_hours

    return {
        "onsite": book.step("onsite_health").due_hours,
        "core": book.step("core_information").due_hours,
        "close": hours(close),
        "secondary": hours(secondary),
    }


class TracingConfig(BaseModel):
    """Parameters of ``contact_tracing``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    playbook: Literal["1+4+6+24", "2+4+24"] = "1+4+6+24"
    close_hours: float | None = Field(default=None, gt=0, le=720)
    secondary_hours: float | None = Field(default=None, gt=0, le=720)
    tracers: float | None = Field(default=None, gt=0)
    cases_per_tracer_per_day: float = Field(default=0.5, gt=0, le=100)
    p_household: float = Field(default=1.0, ge=0, le=1)
    p_school: float = Field(default=1.0, ge=0, le=1)
    p_work: float = Field(default=1.0, ge=0, le=1)
    p_community: float = Field(default=0.3, ge=0, le=1)
    community_contacts: float | None = Field(default=None, ge=0, le=200)
    window_days: float = Field(default=float(TracingRules().pre_onset_days), ge=0, le=30)
    depth: Literal[1, 2] = 2
    home_days: int = Field(default=14, ge=1, le=60)
    start_day: int = Field(default=0, ge=0)

    @model_validator(mode="after")
    def _stages(self) -> TracingConfig:
        stages = playbook_stages(self.playbook)
        close = self.close_hours if self.close_hours is not None else stages["close"]
        secondary = (
            self.secondary_hours if self.secondary_hours is not None else stages["secondary"]
        )
        if secondary < close:
            raise ValueError(
                f"secondary_hours ({secondary:g}) must not be before close_hours ({close:g})"
            )
        return self


# --------------------------------------------------------------------------- kernel


@nb.njit(cache=True, nogil=True)
def _push(buf, cases, n, x, k):  # type: ignore[no-untyped-def]
    if n == len(buf):
        nb_ = np.empty(2 * len(buf), dtype=buf.dtype)
        nb_[:n] = buf
        buf = nb_
        nc_ = np.empty(2 * len(cases), dtype=cases.dtype)
        nc_[:n] = cases
        cases = nc_
    buf[n] = x
    cases[n] = k
    return buf, cases, n + 1


@nb.njit(cache=True, nogil=True)
def _poisson(st, mean):  # type: ignore[no-untyped-def]
    if mean <= 0.0:
        return st, 0
    if mean > 30.0:
        st, z = _normal(st)
        return st, max(int(mean + math.sqrt(mean) * z + 0.5), 0)
    limit = math.exp(-mean)
    k = 0
    p = 1.0
    while True:
        st, u = _next(st)
        p *= u
        if p <= limit:
            return st, k
        k += 1


@nb.njit(cache=True, nogil=True)
def link_infectees(ids, infected_by, infection_layer, inf_head, inf_next):  # type: ignore[no-untyped-def]
    """Link agents ``ids`` infected in the community layer to their infector's list."""
    for t in range(len(ids)):
        j = ids[t]
        b = infected_by[j]
        if infection_layer[j] == COMMUNITY and b >= 0:
            inf_next[j] = inf_head[b]
            inf_head[b] = j


@nb.njit(cache=True, nogil=True)
def trace_contacts(  # type: ignore[no-untyped-def]
    cases, key, day, group_of, offsets, members, p_group, p_community, community_mean,
    comm_off, comm_mem, community, infected_by, infection_layer, inf_head, inf_next,
    t_diagnosed, state, isolation, stamp, mark, depth, group_stamp,
):  # fmt: skip
    """Close (and with ``depth`` 2 secondary) contacts of ``cases``, in case order.

    Returns ``(close, close_case, secondary, secondary_case)``: contact ids and
    the index in ``cases`` of the case they are counted for (the first case,
    or close contact, that found them).  ``stamp`` (one int32 per agent)
    marks who was found with ``mark`` (close) and ``mark + 1`` (secondary);
    ``inf_head`` / ``inf_next`` link each agent's community-layer infectees
    (:func:`link_infectees`; read in ascending id order, whatever the order of
    linking).
    ``group_stamp`` (one int32 per group) marks groups scanned with ``mark``: a
    layer traced with probability 1 finds nobody new in a group scanned already
    (a team of *k* close contacts is read once, not *k* times).
    """
    n_cases = len(cases)
    close = np.empty(max(16, 8 * n_cases), dtype=np.int32)
    close_case = np.empty(len(close), dtype=np.int32)
    nc = 0
    for k in range(n_cases):
        c = cases[k]
        st = _stream(key, day, c, P_TRACE)
        for layer in range(3):
            g = group_of[layer, c]
            if g < 0:
                continue
            p = p_group[layer]
            if p >= 1.0:
                if group_stamp[g] == mark:
                    continue
                group_stamp[g] = mark
            for t in range(offsets[g], offsets[g + 1]):
                m = members[t]
                if m == c:
                    continue
                st, u = _next(st)
                if (
                    u < p and stamp[m] != mark and t_diagnosed[m] < 0 and state[m] != D
                    and isolation[m] < CENTRAL_QUARANTINE
                ):  # fmt: skip
                    stamp[m] = mark
                    close, close_case, nc = _push(close, close_case, nc, m, k)
        if infection_layer[c] == COMMUNITY and infected_by[c] >= 0:
            m = infected_by[c]
            st, u = _next(st)
            if (
                u < p_community and stamp[m] != mark and t_diagnosed[m] < 0 and state[m] != D
                and isolation[m] < CENTRAL_QUARANTINE
            ):  # fmt: skip
                stamp[m] = mark
                close, close_case, nc = _push(close, close_case, nc, m, k)
        n_inf = 0
        j = inf_head[c]
        while j >= 0:
            n_inf += 1
            j = inf_next[j]
        infectees = np.empty(n_inf, dtype=np.int32)
        j = inf_head[c]
        for t in range(n_inf):
            infectees[t] = j
            j = inf_next[j]
        infectees.sort()
        for t in range(n_inf):
            m = infectees[t]
            st, u = _next(st)
            if (
                u < p_community and stamp[m] != mark and t_diagnosed[m] < 0 and state[m] != D
                and isolation[m] < CENTRAL_QUARANTINE
            ):  # fmt: skip
                stamp[m] = mark
                close, close_case, nc = _push(close, close_case, nc, m, k)
        st, r = _poisson(st, community_mean[k])
        lo = comm_off[community[c]]
        size = comm_off[community[c] + 1] - lo
        for _ in range(r):
            st, u = _next(st)
            m = comm_mem[lo + min(int(u * size), size - 1)]
            if (
                m != c and stamp[m] != mark and t_diagnosed[m] < 0 and state[m] != D
                and isolation[m] < CENTRAL_QUARANTINE
            ):  # fmt: skip
                stamp[m] = mark
                close, close_case, nc = _push(close, close_case, nc, m, k)

    sec = np.empty(16 if depth < 2 else max(16, 8 * nc), dtype=np.int32)
    sec_case = np.empty(len(sec), dtype=np.int32)
    ns = 0
    if depth >= 2:
        mark2 = mark + 1
        for q in range(nc):
            x = close[q]
            st = _stream(key, day, x, P_TRACE_SECONDARY)
            for layer in range(3):
                g = group_of[layer, x]
                if g < 0:
                    continue
                p = p_group[layer]
                if p >= 1.0:
                    if group_stamp[g] == mark:
                        continue
                    group_stamp[g] = mark
                for t in range(offsets[g], offsets[g + 1]):
                    m = members[t]
                    if m == x:
                        continue
                    st, u = _next(st)
                    if (
                        u < p and stamp[m] != mark and stamp[m] != mark2 and t_diagnosed[m] < 0
                        and state[m] != D and isolation[m] < HOME_QUARANTINE
                    ):  # fmt: skip
                        stamp[m] = mark2
                        sec, sec_case, ns = _push(sec, sec_case, ns, m, close_case[q])
    return close[:nc], close_case[:nc], sec[:ns], sec_case[:ns]


# --------------------------------------------------------------------------- measure


class ContactTracing:
    """The ``contact_tracing`` measure (see the module docstring)."""

    def __init__(self, config: TracingConfig, tracers_context: float | None) -> None:
        self.config = config
        stages = dict(playbook_stages(config.playbook))
        if config.close_hours is not None:
            stages["close"] = config.close_hours
        if config.secondary_hours is not None:
            stages["secondary"] = config.secondary_hours
        #: Hours of the playbook's stages from the team taking a case.
        self.stages = stages
        self._tracers_context = tracers_context
        self.capacity = 0.0
        self._n = -1

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        """A fresh measure from ``params`` (ValueError ``contact_tracing.<field>``)."""
        config = parse_config(TracingConfig, params, KIND)
        tracers = context.capacity.get("tracers")
        if tracers is not None and not (math.isfinite(tracers) and tracers > 0):
            raise ValueError(f"{KIND}.tracers: the context's tracers must be > 0")
        return cls(config, None if tracers is None else float(tracers))

    def start(self, sim: Sim) -> None:
        cfg = self.config
        n = sim.pop.n
        if cfg.tracers is not None:
            tracers = cfg.tracers
        elif self._tracers_context is not None:
            tracers = self._tracers_context
        else:
            per_10k = StaffingStandards().tracers_per_10k
            tracers = max(math.ceil(round(per_10k * n / 10_000, 9)), 1)
        self.tracers = float(tracers)
        self.capacity = self.tracers * cfg.cases_per_tracer_per_day
        self._n = n
        self._queued = np.zeros(n, dtype=np.bool_)
        self._backlog = np.zeros(0, dtype=np.int32)
        self._backlog_t = np.zeros(0, dtype=np.float64)
        self._stamp = np.zeros(n, dtype=np.int32)
        self._inf_head = np.full(n, -1, dtype=np.int32)
        self._inf_next = np.full(n, -1, dtype=np.int32)
        self._linked_day = -1
        self._group_stamp = np.zeros(sim.groups.n_groups, dtype=np.int32)
        self._mark = 1
        self._close: dict[int, list[I32]] = defaultdict(list)
        self._secondary: dict[int, list[I32]] = defaultdict(list)
        self._book = QuarantineBook(n)
        comm = sim.pop.community
        self._comm_mem = np.argsort(comm, kind="stable").astype(np.int32)
        self._comm_off = np.zeros(sim.pop.n_communities + 1, dtype=np.int64)
        np.cumsum(np.bincount(comm, minlength=sim.pop.n_communities), out=self._comm_off[1:])
        self._p_group = np.array([cfg.p_household, cfg.p_school, cfg.p_work], dtype=np.float64)

    def _link(self, sim: Sim, day: int) -> None:
        """Keep every agent's community infectees linked: yesterday's from
        ``sim.last_infected``; all of them on the first call or after skipped days."""
        if self._linked_day == day:
            return
        if self._linked_day >= 0 and self._linked_day == day - 1:
            ids = sim.last_infected
        else:  # the first call, or after days this measure did not see: one full pass
            self._inf_head[:] = -1
            ids = np.flatnonzero(sim.infected_by >= 0).astype(np.int32)
        link_infectees(ids, sim.infected_by, sim.infection_layer, self._inf_head, self._inf_next)
        self._linked_day = day

    def day_capacity(self, day: int) -> int:
        """Cases the tracers can take on ``day``: ``⌊(d+1)C⌋ − ⌊dC⌋``."""
        c = self.capacity
        return int(math.floor((day + 1) * c + 1e-9) - math.floor(day * c + 1e-9))

    def apply(self, sim: Sim, day: int) -> None:
        if self._n != sim.pop.n:
            self.start(sim)
        reg = registry_of(sim)
        reg.start_day(sim, day)
        self._link(sim, day)
        if not reg.quarantine_handler:
            self._book.step(sim, day, reg)
        taken, t0 = self._take(sim, day)
        if taken.size:
            self._trace(sim, day, taken, t0)
        self._hand_over(sim, day)
        if not reg.quarantine_handler:
            reg.set("home_quarantine", day, self._book.count(HOME_QUARANTINE))

    # ------------------------------------------------------------------ queue
    def _take(self, sim: Sim, day: int) -> tuple[I32, F64]:
        """Today's new cases join the FIFO backlog; the day's capacity takes the first."""
        reg = registry_of(sim)
        # today's diagnoses, and yesterday's made after tracing ran (quarantine testing)
        new = np.concatenate([reg.diagnosed_on(day - 1), reg.diagnosed_on(day)])
        new = new[~self._queued[new]]
        self._queued[new] = True
        new = new[reg.t_diagnosed[new] >= self.config.start_day]
        hour = reg.report_hour[new].astype(np.float64)
        unknown = np.isnan(hour)
        if unknown.any():
            ids = new[unknown]
            hour[unknown] = 24.0 * uniforms(sim, int(day), ids, P_TRACE_HOUR)
        t_report = reg.t_diagnosed[new] * 24.0 + hour
        order = np.lexsort((new, t_report))
        queue = np.concatenate([self._backlog, new[order]])
        queue_t = np.concatenate([self._backlog_t, t_report[order]])
        cap = self.day_capacity(day)
        reg.set("tracing_capacity", day, self.capacity)
        reg.set("tracer_workload", day, len(queue) / self.capacity)
        taken, t0 = queue[:cap], np.maximum(queue_t[:cap], 24.0 * day)
        self._backlog, self._backlog_t = queue[cap:], queue_t[cap:]
        reg.add("cases_traced", day, len(taken))
        reg.set("tracing_backlog", day, len(self._backlog))
        return taken.astype(np.int32), t0

    # ---------------------------------------------------------------- contacts
    def _trace(self, sim: Sim, day: int, cases: I32, t0: F64) -> None:
        cfg = self.config
        reg = registry_of(sim)
        if cfg.community_contacts is not None:
            mean = np.full(len(cases), cfg.community_contacts, dtype=np.float64)
        else:
            weekday = sim.activity.contacts[0, cases].astype(np.float64)
            mean = cfg.p_community * weekday * cfg.window_days
        g = sim.groups
        close, close_k, sec, sec_k = trace_contacts(
            cases, sim.key, np.int64(day), g.group_of, g.offsets, g.members, self._p_group,
            cfg.p_community, mean, self._comm_off, self._comm_mem, sim.pop.community,
            sim.infected_by, sim.infection_layer, self._inf_head, self._inf_next,
            reg.t_diagnosed, sim.state, sim.isolation, self._stamp, np.int32(self._mark),
            cfg.depth, self._group_stamp,
        )  # fmt: skip
        self._mark += 2
        close_day = np.floor((t0 + self.stages["close"]) / 24.0).astype(np.int64)
        sec_day = np.floor((t0 + self.stages["secondary"]) / 24.0).astype(np.int64)
        for ids, due, book in ((close, close_day[close_k], self._close),
                               (sec, sec_day[sec_k], self._secondary)):  # fmt: skip
            for d in np.unique(due):
                book[int(d)].append(ids[due == d])

    def _hand_over(self, sim: Sim, day: int) -> None:
        """Contacts whose stage falls on today go to quarantine (or home quarantine)."""
        cfg = self.config
        reg = registry_of(sim)
        close = _unique_in_order(self._close.pop(day, []))
        sec = _unique_in_order(self._secondary.pop(day, []))
        ok = (reg.t_diagnosed[close] < 0) & (sim.state[close] != D)
        close = close[ok & (sim.isolation[close] < CENTRAL_QUARANTINE)]
        sec = sec[(reg.t_diagnosed[sec] < 0) & (sim.state[sec] != D)]
        sec = sec[(sim.isolation[sec] < HOME_QUARANTINE) & ~np.isin(sec, close)]
        both = np.concatenate([close, sec])
        st = sim.state[both]
        reg.add("traced_contacts", day, len(close))
        reg.add("traced_secondary", day, len(sec))
        reg.add("traced_infected", day, int(((st >= E) & (st <= CRIT)).sum()))
        if reg.quarantine_handler:
            reg.request_quarantine(close, day, CLOSE_CONTACT)
            reg.request_quarantine(sec, day, SECONDARY_CONTACT)
        else:
            self._book.admit_home(sim, both, day, cfg.home_days)


def _unique_in_order(parts: list[I32]) -> I32:
    """The ids of ``parts`` once each, in order of first appearance."""
    if not parts:
        return np.zeros(0, dtype=np.int32)
    arr = np.concatenate(parts)
    _, first = np.unique(arr, return_index=True)
    return arr[np.sort(first)].astype(np.int32)


__all__ = ["KIND", "PLAYBOOKS", "ContactTracing", "TracingConfig", "playbook_stages"]
