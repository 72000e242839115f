"""The agent-based twin: a day-step simulation of the city's persons.

:class:`Sim` holds the per-agent state arrays (struct of arrays) and runs one
day at a time: the measures adjust the hooks, then due disease transitions
are applied, then every susceptible agent's infectious pressure is summed
over its household, school class or work team and its community pools, and
infections are drawn (with their infector and layer).  :class:`Results`
holds the daily outputs as numpy arrays and Arrow tables.

Hooks for measures
------------------
A measure is any object with ``apply(sim, day)`` (and optionally
``start(sim)``, called once before day 0).  Each day, before anything else,
``sim.layer_factor`` is reset to 1 and every measure's ``apply`` runs; it may
change:

* ``sim.layer_factor[l]`` — a city-wide factor on layer *l*'s beta for today;
* ``sim.contact_mult[l, i]`` — agent *i*'s participation in layer *l* (the
  three-zone measure's contact reduction for the residents of each zone);
* ``sim.area_mult[l, k]`` — the same per home community *k* (school closure
  by district);
* ``sim.isolation[i]`` — the agent's status (:data:`~.params.ISOLATION_STATUSES`:
  home quarantine, centralised quarantine, isolated), whose per-layer factors
  are ``params.isolation``;
* ``sim.rel_sus[i]``, ``sim.rel_sev[i]`` — relative susceptibility and
  relative P(severe | symptomatic) (vaccination).

A contact between *i* and *j* in a group layer carries ``m_i m_j`` of these
factors (both must attend); in a community pool *i* makes ``a_i m_i``
contacts with partners drawn in proportion to ``a_j m_j``.  Measures read the
state arrays (``state``, ``t_infected``, ``t_onset``, ``infected_by``,
``infection_layer``, ``history``) to find today's symptomatic agents, chains
and contacts; they must not write them.  ``sim.last_infected`` lists the
agents infected by transmission on the last day stepped (ascending), so a
measure can follow chains day by day without scanning every agent.

Measures write the hook arrays in place (keeping their shapes and dtypes),
anywhere and any number of times in ``apply``; nothing needs to be
signalled.  Every hook is read afresh each day, except that the community
pools' denominators ``Σ a_j m_j`` are kept from day to day: the engine
compares ``contact_mult[3]`` and ``isolation`` (bit for bit) and
``area_mult[3]`` with its copy of the values the sums hold, and moves only
the agents and communities that changed (:class:`~.layers.CommunityPools`;
the sums are exact integers, so they equal a fresh sum whatever the
history).

Cost
----
A day's work grows with the epidemic, not with the population: transitions
scan only the infected agents not yet recovered (an *active table* kept in
agent order), group infections visit only the members of groups with an
infectious member present, and pool infections are candidates thinned from
a bound per pool (see :mod:`.kernels` and :mod:`.layers`).  The per-day
passes over every agent are one vectorised comparison of two hooks and the
maxima of ``contact_mult`` and ``rel_sus``.  The same seed gives the same run
on any number of threads: every draw comes from a counter-based stream of
``(seed, day, agent or block, purpose)`` and every floating-point sum is
formed in a fixed order.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from . import kernels as K
from .disease import CRIT, N_STATES, SEV, STATES, D, E, R, S, disease_tables
from .layers import CommunityActivity, CommunityPools, activity_from_params, build_group_index
from .params import LAYERS, N_LAYERS, TwinParams
from .population import Population

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]


class Measure(Protocol):
    """A module that changes the hooks of :class:`Sim` at the start of each day."""

    def apply(self, sim: Sim, day: int) -> None: ...


@dataclass(frozen=True)
class LayerSchedule:
    """Multiply ``layer``'s beta by ``factor`` on days ``start`` ≤ day < ``end``."""

    layer: str
    start: int
    factor: float
    end: int | None = None

    def __post_init__(self) -> None:
        if self.layer not in LAYERS:
            raise ValueError(f"layer must be one of {', '.join(LAYERS)}, got {self.layer!r}")
        if self.start < 0 or (self.end is not None and self.end <= self.start):
            raise ValueError("start must be >= 0 and end (if given) > start")
        if not 0 <= self.factor <= 10:
            raise ValueError(f"factor must be between 0 and 10, got {self.factor}")

    def apply(self, sim: Sim, day: int) -> None:
        if day >= self.start and (self.end is None or day < self.end):
            sim.layer_factor[LAYERS.index(self.layer)] *= self.factor


@dataclass(frozen=True)
class Results:
    """Daily outputs of a run (row *d* = end of day *d*).

    ``prevalence[d, s]`` counts agents in state ``STATES[s]``;
    ``new_infections_by_district[d, k]`` is by home district;
    ``hospital`` / ``icu`` are the census of severe / critical agents;
    ``new_infections_by_layer[d, l]`` for the four layers (seeds excluded).
    """

    n_agents: int
    district_names: tuple[str, ...]
    new_infections: I64
    new_infections_by_district: I64
    new_infections_by_layer: I64
    new_symptomatic: I64
    new_severe: I64
    new_critical: I64
    new_deaths: I64
    prevalence: I64
    hospital: I64
    icu: I64
    hospital_by_district: I64
    icu_by_district: I64
    seeded: int
    wall_s: float

    @property
    def days(self) -> int:
        return len(self.new_infections)

    @property
    def cum_infections(self) -> I64:
        return np.cumsum(self.new_infections) + self.seeded

    @property
    def cum_deaths(self) -> I64:
        return np.cumsum(self.new_deaths)

    def summary(self) -> dict[str, Any]:
        """Attack rate, peaks and totals (JSON-ready)."""
        ever = int(self.n_agents - self.prevalence[-1, S]) if self.days else self.seeded
        return {
            "agents": self.n_agents,
            "days": self.days,
            "infections": ever,
            "attack_rate": ever / self.n_agents,
            "peak_day": int(np.argmax(self.new_infections)) if self.days else 0,
            "peak_incidence": int(self.new_infections.max()) if self.days else 0,
            "peak_hospital": int(self.hospital.max()) if self.days else 0,
            "peak_icu": int(self.icu.max()) if self.days else 0,
            "deaths": int(self.new_deaths.sum()),
            "wall_s": round(self.wall_s, 3),
        }

    def daily_table(self) -> pa.Table:
        """One row per day: incidence, prevalence by state, census, deaths, cumulative."""
        cols: dict[str, Any] = {
            "day": pa.array(np.arange(self.days, dtype=np.int32)),
            "new_infections": self.new_infections,
            "new_symptomatic": self.new_symptomatic,
            "new_severe": self.new_severe,
            "new_critical": self.new_critical,
            "new_deaths": self.new_deaths,
        }
        for s, name in enumerate(STATES):
            cols[name] = self.prevalence[:, s]
        cols.update(
            hospital=self.hospital,
            icu=self.icu,
            cum_infections=self.cum_infections,
            cum_deaths=self.cum_deaths,
        )
        for layer, name in enumerate(LAYERS):
            cols[f"new_infections_{name}"] = self.new_infections_by_layer[:, layer]
        return pa.table(cols)

    def district_table(self) -> pa.Table:
        """One row per day and home district: new infections, hospital and ICU census."""
        d, k = self.new_infections_by_district.shape
        return pa.table(
            {
                "day": pa.array(np.repeat(np.arange(d, dtype=np.int32), k)),
                "district": pa.array(np.tile(np.arange(k, dtype=np.int32), d)),
                "district_name": pa.array(list(self.district_names) * d),
                "new_infections": self.new_infections_by_district.ravel(),
                "hospital": self.hospital_by_district.ravel(),
                "icu": self.icu_by_district.ravel(),
            }
        )


class Sim:
    """The city's persons under one parameter set, one seed and a list of measures.

    Parameters
    ----------
    population : the agents (:mod:`.population`).
    params : disease and layer parameters (:func:`~.params.load_preset`).
    seed : the run's seed; the same seed gives the same run on any thread count.
    start_weekday : weekday of day 0 (0 = Monday).
    activity : daily community contacts per agent; default from ``params``.
    measures : objects with ``apply(sim, day)`` (see the module docstring).
    """

    def __init__(
        self,
        population: Population,
        params: TwinParams,
        *,
        seed: int = 0,
        start_weekday: int = 0,
        activity: CommunityActivity | None = None,
        measures: Sequence[Measure] = (),
    ) -> None:
        if not 0 <= seed < 2**63:
            raise ValueError(f"seed must be between 0 and 2**63-1, got {seed}")
        if not 0 <= start_weekday <= 6:
            raise ValueError(f"start_weekday must be 0 (Monday) to 6, got {start_weekday}")
        n = population.n
        self.pop = population
        self.params = params
        self.seed = seed
        self.rng = np.random.default_rng(seed)
        self.key = np.uint64(np.random.SeedSequence(seed).generate_state(1, dtype=np.uint64)[0])
        self.start_weekday = start_weekday
        self.tables = disease_tables(params)
        self.age_bin = self.tables.age_bin(population.age)
        if activity is None:
            activity = activity_from_params(population, params, self.age_bin)
        if activity.contacts.shape != (2, n):
            raise ValueError(f"activity.contacts must have shape (2, {n})")
        self.activity = activity
        self.groups = population.cached("group_index", build_group_index)
        self.measures = list(measures)
        # state
        self.state = np.zeros(n, dtype=np.int8)
        self.next_state = np.full(n, -1, dtype=np.int8)
        self.t_next = np.full(n, -1, dtype=np.int32)
        self.t_infected = np.full(n, -1, dtype=np.int32)
        self.t_onset = np.full(n, -1, dtype=np.int32)
        self.infected_by = np.full(n, -1, dtype=np.int32)
        self.infection_layer = np.full(n, -1, dtype=np.int8)
        self.history = np.zeros(n, dtype=np.uint8)
        self.rel_trans = np.ones(n, dtype=np.float32)
        self.weight = np.zeros(n, dtype=np.float32)
        # hooks
        self.layer_factor = np.ones(N_LAYERS, dtype=np.float64)
        self.contact_mult = np.ones((N_LAYERS, n), dtype=np.float32)
        self.area_mult = np.ones((N_LAYERS, max(population.n_communities, 1)), dtype=np.float32)
        self.isolation = np.zeros(n, dtype=np.uint8)
        self.rel_sus = np.ones(n, dtype=np.float32)
        self.rel_sev = np.ones(n, dtype=np.float32)
        iso = params.isolation
        self.iso_factor = np.array(
            [[1.0] * N_LAYERS, iso.home_quarantine, iso.central_quarantine, iso.isolated],
            dtype=np.float32,
        )
        lay = params.layers
        self.beta = np.array(
            [lay.household.beta, lay.school.beta, lay.work.beta, lay.community.beta]
        )
        self.attendance = np.array([1.0, lay.school.attendance, lay.work.attendance])
        self.shares = np.asarray(lay.community.level_shares, dtype=np.float64)
        self._load = np.zeros(self.groups.n_groups, dtype=np.float64)
        self._touched = np.zeros(self.groups.n_groups, dtype=np.int64)
        self._slot = np.full(self.groups.n_groups, -1, dtype=np.int32)  # row of a touched group
        self._n_units = population.n_communities + population.n_districts + 1
        self._group_base = np.cumsum(
            [0, population.n_households, population.n_school_groups, population.n_work_groups]
        ).astype(np.int64)
        self.pools = CommunityPools(
            population, activity, self.age_bin, self.tables.rel_sus, self.iso_factor,
            contact_mult=self.contact_mult, area_mult=self.area_mult, isolation=self.isolation,
        )  # fmt: skip
        self._share = np.repeat(
            self.shares,
            [self.pools.index.n_communities, self.pools.index.n_districts, 1],
        )
        self._iso_top = self.iso_factor.max(axis=0).astype(np.float64)
        self._sus_top = float(self.tables.rel_sus.max())
        # engine scratch: earliest clock per agent, hit buffers
        # active table: ids (ascending), state, t_next and weight of the infected not yet out
        self._table: tuple[Any, ...] = (
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.int8),
            np.zeros(0, dtype=np.int32),
            np.zeros(0, dtype=np.float32),
        )
        self._out = np.zeros(N_STATES, dtype=np.int64)  # recovered / dead before today
        self._hit_t = np.full(n, K.NO_HIT, dtype=np.float64)
        self._hit_comp = np.zeros(n, dtype=np.int8)
        self._buf = np.empty(max(n, len(self.groups.members)), dtype=np.int32)
        self._winners = np.empty(n, dtype=np.int32)
        self.last_infected = np.zeros(0, dtype=np.int32)
        self.day = 0
        self.seeded = 0
        self._started = False
        self._rows: list[tuple[Any, ...]] = []

    # ------------------------------------------------------------------ seeding
    def seed_infections(self, ids: NDArray[np.integer]) -> int:
        """Infect agents ``ids`` (exposed) today; returns how many were susceptible."""
        arr = np.asarray(ids, dtype=np.int64)
        if arr.ndim != 1 or (arr.size and (arr.min() < 0 or arr.max() >= self.pop.n)):
            raise ValueError(f"ids must be agent ids in [0, {self.pop.n})")
        t = self.tables
        fresh = np.unique(arr[self.state[arr] == S]).astype(np.int32)
        k = int(
            K.seed(
                arr, self.day, self.key, -2, self.state, self.next_state, self.t_next,
                self.t_onset, self.t_infected, self.infected_by, self.infection_layer,
                self.history, self.rel_trans, self.age_bin, self.rel_sev, t.prog,
                t.dur_kind, t.dur_a, t.dur_b, t.dispersion,
            )
        )  # fmt: skip
        self._add_active(fresh)
        self.seeded += k
        return k

    def seed_random(self, count: int, *, district: int | str | None = None) -> NDArray[np.int32]:
        """Infect ``count`` random susceptible agents (of a home district); returns their ids."""
        pool = (
            np.arange(self.pop.n, dtype=np.int32)
            if district is None
            else self.pop.agents_in_district(district)
        )
        pool = pool[self.state[pool] == S]
        if not 0 < count <= len(pool):
            raise ValueError(f"count must be between 1 and {len(pool)} susceptible agents")
        ids = np.sort(self.rng.choice(pool, size=count, replace=False)).astype(np.int32)
        self.seed_infections(ids)
        return ids

    # --------------------------------------------------------------------- step
    def step(self) -> None:
        """Advance one day: measures, transitions, transmission, record."""
        if not self._started:
            for m in self.measures:
                start = getattr(m, "start", None)
                if callable(start):
                    start(self)
            self._started = True
        day = self.day
        weekday = (self.start_weekday + day) % 7
        self.layer_factor[:] = 1.0
        for m in self.measures:
            m.apply(self, day)
        pop, t = self.pop, self.tables
        a_id, a_state, a_next, a_w = self._table
        (counts, hosp, icu, n_symp, n_sev, n_crit, n_dead, *table, sources) = K.progress(
            a_id, a_state, a_next, a_w, day, self.key, self.state, self.next_state, self.t_next,
            self.t_onset, self.history, self.age_bin, self.rel_sev, t.prog, t.dur_kind, t.dur_a,
            t.dur_b, self.rel_trans, t.rel_trans_state, pop.district, pop.n_districts, self.weight,
        )  # fmt: skip
        self._table = tuple(table)
        counts += self._out
        self._out[R], self._out[D] = counts[R], counts[D]
        counts[S] = pop.n - counts.sum()
        n_d = pop.n_districts
        new_d = np.zeros(n_d, dtype=np.int64)
        new_l = np.zeros(N_LAYERS, dtype=np.int64)
        self.last_infected = np.zeros(0, dtype=np.int32)
        if len(sources):
            new_d, new_l = self._transmit(sources, day, weekday)
        n_new = int(new_d.sum())
        counts[S] -= n_new
        counts[E] += n_new
        self._rows.append((n_new, new_d, new_l, n_symp, n_sev, n_crit, n_dead, counts, hosp, icu))
        self.day += 1

    def _transmit(self, sources: NDArray[np.int32], day: int, weekday: int) -> tuple[I64, I64]:
        """Today's infections by the sources (ascending); returns them by district and layer."""
        pop, t, g = self.pop, self.tables, self.groups
        row = 1 if weekday >= 5 else 0
        activity = self.activity.contacts[row]
        self.pools.refresh(self.contact_mult, self.area_mult, self.isolation, self.rel_sus)
        n_touched, pool, p_off, p_mem, p_cum, g_off, g_src, g_cum = K.source_loads(
            sources, day, weekday, self.key, self.weight, g.group_of, activity,
            self.contact_mult, self.area_mult, pop.community, pop.district, self.isolation,
            self.iso_factor, pop.active_days, self.attendance, self._load, self._touched,
            self._slot, self._group_base, self._n_units, pop.n_communities,
        )  # fmt: skip
        beta = self.beta * self.layer_factor
        layer_groups = [
            self._touched[b : b + n] for b, n in zip(self._group_base[:3], n_touched, strict=True)
        ]
        n_win = 0
        for layer, grp in enumerate(layer_groups):
            if not len(grp) or beta[layer] <= 0:
                continue
            counts = np.zeros(len(grp), dtype=np.int64)
            x_bound = (
                float(self.contact_mult[layer].max()) * float(self.area_mult[layer].max())
                * self._iso_top[layer] * self._sus_top * self.pools.rs_max * (1.0 + 1e-5)
            )  # fmt: skip
            K.group_hits(
                grp, layer, day, weekday, self.key, beta[layer], g.offsets, g.members, self._load,
                self.state, self.age_bin, t.rel_sus, self.rel_sus, self.contact_mult,
                self.area_mult, pop.community, self.isolation, self.iso_factor, pop.active_days,
                self.attendance, x_bound, self._hit_t, self._hit_comp, self._buf, counts,
            )  # fmt: skip
            n_win = int(K.gather(self._buf, g.offsets[grp], counts, self._winners, n_win))
        if beta[3] > 0:
            total = self.pools.totals(row)
            ratio = np.zeros(len(pool), dtype=np.float64)
            on = (pool > 0) & (total > 0)
            ratio[on] = beta[3] * self._share[on] * pool[on] / total[on]
            n_win = self.pools.hits(
                row, ratio, day=day, key=self.key, state=self.state,
                contact_mult=self.contact_mult, area_mult=self.area_mult,
                isolation=self.isolation, rel_sus=self.rel_sus, hit_t=self._hit_t,
                hit_comp=self._hit_comp, buf=self._buf, out=self._winners, n_out=n_win,
            )  # fmt: skip
        winners = np.sort(self._winners[:n_win])
        new_d, new_l = K.infect(
            winners, day, self.key, self._hit_t, self._hit_comp, self.state, self.next_state,
            self.t_next, self.t_onset, self.t_infected, self.infected_by, self.infection_layer,
            self.history, self.rel_trans, self.age_bin, self.rel_sev, t.prog, t.dur_kind,
            t.dur_a, t.dur_b, t.dispersion, g.group_of, pop.community, pop.district, self._slot,
            g_off, g_src, g_cum, p_off, p_mem, p_cum, pop.n_communities, pop.n_districts,
        )  # fmt: skip
        for grp in layer_groups:
            self._load[grp] = 0.0
            self._slot[grp] = -1
        self._add_active(winners)
        self.last_infected = winners
        return new_d, new_l

    def _add_active(self, ids: NDArray[np.int32]) -> None:
        """Enter newly infected agents (ascending ids) into the active table."""
        if len(ids):
            a_id, a_state, a_next, a_w = self._table
            self._table = K.merge_active(
                a_id, a_state, a_next, a_w, ids, self.state, self.t_next, self.weight
            )

    def run(self, days: int, progress: Callable[[int], None] | None = None) -> Results:
        """Run ``days`` more days and return the results of the whole run so far."""
        if not 0 <= days <= K.MAX_DAYS:
            raise ValueError(f"days must be between 0 and {K.MAX_DAYS}, got {days}")
        import time

        t0 = time.perf_counter()
        for _ in range(days):
            self.step()
            if progress is not None:
                progress(self.day)
        self._wall = getattr(self, "_wall", 0.0) + time.perf_counter() - t0
        return self.results()

    def results(self) -> Results:
        """The daily outputs recorded so far."""
        rows = self._rows
        n_d = self.pop.n_districts

        def col(i: int, shape: tuple[int, ...]) -> I64:
            if not rows:
                return np.zeros((0, *shape), dtype=np.int64)
            return np.array([r[i] for r in rows], dtype=np.int64).reshape(len(rows), *shape)

        return Results(
            n_agents=self.pop.n,
            district_names=self.pop.district_names,
            new_infections=col(0, ()),
            new_infections_by_district=col(1, (n_d,)),
            new_infections_by_layer=col(2, (N_LAYERS,)),
            new_symptomatic=col(3, ()),
            new_severe=col(4, ()),
            new_critical=col(5, ()),
            new_deaths=col(6, ()),
            prevalence=col(7, (N_STATES,)),
            hospital=col(8, (n_d,)).sum(axis=1) if rows else col(8, ()),
            icu=col(9, (n_d,)).sum(axis=1) if rows else col(9, ()),
            hospital_by_district=col(8, (n_d,)),
            icu_by_district=col(9, (n_d,)),
            seeded=self.seeded,
            wall_s=float(getattr(self, "_wall", 0.0)),
        )

    # ------------------------------------------------------------------ queries
    def outcomes_by_age(self) -> dict[str, I64]:
        """Per age bin: agents, and how many were ever infected, symptomatic, severe, ... dead."""
        bins = len(self.tables.cutoffs)
        out = {"agents": np.bincount(self.age_bin, minlength=bins)}
        for name, bit in (
            ("infected", 1),
            ("symptomatic", 2),
            ("severe", 4),
            ("critical", 8),
            ("dead", 16),
        ):
            out[name] = np.bincount(self.age_bin[(self.history & bit) != 0], minlength=bins)
        return out

    def census(self) -> dict[str, int]:
        """Agents per state now."""
        c = np.bincount(self.state, minlength=N_STATES)
        return {name: int(c[i]) for i, name in enumerate(STATES)} | {
            "hospital": int(c[SEV]),
            "icu": int(c[CRIT]),
        }
