"""Ensembles of twin runs: one scenario, many seeds → daily bands and outcome intervals.

:func:`run_ensemble` builds the scenario's parameters and measures against a
:class:`TwinCity` (population, measure context, community activity) and runs
``runs`` simulations; run *r* uses the seed :func:`run_seed` ``(seed, r)``, so
the same scenario gives the same outputs, and two scenarios with the same
seed share their runs' random streams (common random numbers: the engine's
draws are keyed by seed, day, agent and purpose, so the runs of A and B
differ only where the measures made them differ).  :func:`compare_ensembles`
pairs run *r* of A with run *r* of B and summarises the paired differences.

Per run (:class:`RunOutcome`):

* daily series — new infections (total and by home district), symptom
  onsets, severe, critical, deaths, hospital and ICU census, every figure the
  measures recorded in the run's :class:`~.measures.registry.CaseRegistry`
  (``diagnosed``, ``community_cases``, ``tests``, ``tracer_workload``,
  ``central_quarantine`` ...), the community cases used for days-to-zero,
  and Rt;
* Rt — Cori et al. (2013) via :func:`.rt.estimate_r` on the daily symptom
  onsets (``rt.series: onset``; seeded cases are imported) or the
  registry's diagnoses (``diagnosed``), with the serial interval of the
  preset's natural history (:func:`.scenario.natural_serial_interval`) or the
  scenario's ``rt.si_mean`` / ``rt.si_sd``, on sliding windows of ``rt.window``
  days ending on each day; windows with posterior CV above ``rt.max_cv``
  (too few cases, the prior dominates) are not reported (NaN);
* outcomes — attack rate, infections, deaths, peak day and incidence; peak
  hospital / ICU census and the days it exceeded the city's beds
  (``hospital_beds``, ``icu_beds``; None without that capacity); quarantine:
  the peak of occupied rooms (``central_quarantine``), the days on which
  demand exceeded the rooms — close contacts were sent home for want of a
  room (``no_room`` > 0) — and how many were; tracers: the peak workload
  (``tracer_workload``, cases in hand ÷ daily capacity) and the days a
  backlog was left (``tracing_backlog`` > 0); diagnoses, community cases,
  **days to zero** (:func:`days_to_zero`), the first day after which no
  infection occurs, and the serial interval realised in the run.  Figures of
  a measure the scenario does not use count as 0.

*Community cases* are the registry's ``community_cases`` (diagnosed while
under no quarantine) when the scenario finds cases (``symptomatic_testing``
or ``mass_testing``); without case finding every symptom onset counts as a
community case (nobody is isolated, so that is what a city without measures
would eventually see).

Across runs (:class:`EnsembleResult`): per day the mean and the 5 % and 95 %
quantiles (the 90 % band) of every series; per outcome the median, the 90 %
interval (5 %, 95 %) and the mean.

References
----------
.. [1] A. Cori, N. M. Ferguson, C. Fraser and S. Cauchemez, "A new framework
   and software to estimate time-varying reproduction numbers during
   epidemics", *Am. J. Epidemiol.* 178(9):1505–1512, 2013.
.. [2] P. Glasserman and D. D. Yao, "Some guidelines and guarantees for
   common random numbers", *Manage. Sci.* 38(6):884–908, 1992.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Final

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from .disease import S
from .kernels import SEEDED
from .layers import CommunityActivity
from .measures import MeasureContext, build_measure, registry_of
from .params import TwinParams
from .population import Population
from .rt import ParametricSI, estimate_r
from .scenario import (
    MeasureSpec,
    Scenario,
    TriggerSpec,
    run_seed,
)
from .sim import Results, Sim

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Band quantiles (the 90 % band and interval).
LO, HI = 0.05, 0.95
#: Measures that find cases (so ``community_cases`` is observed).
CASE_FINDING: Final = ("symptomatic_testing", "mass_testing")
#: Engine series of every run, in table order.
ENGINE_SERIES: Final = (
    "new_infections",
    "new_symptomatic",
    "new_severe",
    "new_critical",
    "new_deaths",
    "hospital",
    "icu",
    "cum_infections",
)
#: The outcomes of a run, in report order (``days_to_zero`` None = not reached).
OUTCOMES: Final = (
    "attack_rate",
    "infections",
    "symptomatic",
    "deaths",
    "peak_day",
    "peak_incidence",
    "peak_hospital",
    "hospital_days_over",
    "peak_icu",
    "icu_days_over",
    "peak_quarantine",
    "quarantine_days_over",
    "quarantine_turned_away",
    "peak_tracer_workload",
    "tracer_days_over",
    "diagnosed",
    "community_cases",
    "days_to_zero",
    "days_to_no_infection",
    "serial_interval",
)
#: Outcomes whose None means "not reached within the horizon" (see :func:`summarise`).
CENSORED: Final = ("days_to_zero", "days_to_no_infection")


@dataclass(frozen=True)
class TwinCity:
    """What a scenario runs on: the agents, the measures' city data, optional activity."""

    name: str
    population: Population
    context: MeasureContext = field(default_factory=MeasureContext)
    activity: CommunityActivity | None = None
    start_weekday: int = 0
    source: str = ""
    name_en: str = ""


def days_to_zero(series: Sequence[float] | NDArray[Any]) -> int | None:
    """First day after which ``series`` stays 0 to its end; None if the last day is > 0.

    ``[3, 1, 0, 2, 0, 0]`` → 4; ``[0, 0]`` → 0; ``[1, 0, 1]`` → None (not reached).
    """
    arr = np.asarray(series)
    if arr.ndim != 1:
        raise ValueError("series must be one-dimensional (one value per day)")
    nz = np.flatnonzero(arr > 0)
    if nz.size == 0:
        return 0
    last = int(nz[-1])
    return None if last == arr.size - 1 else last + 1


class Scheduled:
    """A measure gated by the scenario's ``start_day`` and ``trigger``.

    The trigger fires on the first day on which the cases diagnosed so far
    (through yesterday) reach ``trigger.diagnosed``; the measure acts from
    ``delay_days`` later and never before ``start_day``.  A measure whose own
    parameters have a ``start_day`` (all of the shipped ones) is given the
    scenario's ``start_day`` and is only gated by the trigger (``native``);
    ``started_on`` is the first day the schedule let it act.  The wrapped
    measure's ``start(sim)`` runs before day 0 as usual.

    Only measures with a ``trigger`` are wrapped: measures find each other in
    ``sim.measures`` by class (``mass_testing`` looks for the ``zones``
    measure), which a wrapper hides; :func:`build_measures` therefore rejects
    a trigger on a measure another one of the scenario looks up.
    """

    def __init__(
        self,
        kind: str,
        inner: Any,
        *,
        start_day: int = 0,
        trigger: TriggerSpec | None = None,
        native: bool = False,
    ) -> None:
        self.kind = kind
        self.inner = inner
        self.start_day = start_day
        self.trigger = trigger
        self.native = native
        self.fired_on: int | None = None
        self.started_on: int | None = None

    def start(self, sim: Sim) -> None:
        start = getattr(self.inner, "start", None)
        if callable(start):
            start(sim)

    def apply(self, sim: Sim, day: int) -> None:
        trig = self.trigger
        if (
            trig is not None
            and self.fired_on is None
            and registry_of(sim).figure("diagnosed", day).sum() >= trig.diagnosed
        ):
            self.fired_on = day
        released = trig is None or (
            self.fired_on is not None and day >= self.fired_on + trig.delay_days
        )
        if not released:
            return
        if self.started_on is None and day >= self.start_day:
            self.started_on = day
        if self.native or self.started_on is not None:
            self.inner.apply(sim, day)


def _has_start_day(measure: Any) -> bool:
    config = getattr(measure, "config", None)
    return "start_day" in getattr(type(config), "model_fields", {})


#: Measures that others of the run find by class: kind → the kinds that look it up.
LOOKED_UP: Final[dict[str, tuple[str, ...]]] = {"zones": ("mass_testing",)}


def _build_one(spec: MeasureSpec, where: int, context: MeasureContext, source: str) -> Any:
    params = spec.params
    try:
        inner = build_measure(spec.kind, params, context=context)
        native = _has_start_day(inner)
        if native and "start_day" in spec.model_fields_set:
            inner = build_measure(
                spec.kind, params | {"start_day": spec.start_day}, context=context
            )
    except ImportError:
        raise ValueError(
            f"{source}: measures[{where}].kind: {spec.kind} is not available in this build"
        ) from None
    except ValueError as exc:
        msg = str(exc).removeprefix(f"{spec.kind}.")
        raise ValueError(f"{source}: measures[{where}].{msg}") from None
    if spec.trigger is None and (native or spec.start_day == 0):
        return inner
    return Scheduled(
        spec.kind, inner, start_day=spec.start_day, trigger=spec.trigger, native=native
    )


def build_measures(
    scenario: Scenario, context: MeasureContext, *, source: str = "scenario"
) -> list[Any]:
    """Fresh measures of one run in :data:`~.measures.ORDER`; triggered ones :class:`Scheduled`."""
    kinds = {m.kind for m in scenario.measures}
    for where, m in enumerate(scenario.measures):
        users = [k for k in LOOKED_UP.get(m.kind, ()) if k in kinds]
        if m.trigger is not None and users:
            raise ValueError(
                f"{source}: measures[{where}].trigger: {', '.join(users)} needs the {m.kind} "
                f"measure from day 0 (it acts on diagnoses already; use its own parameters)"
            )
    return [_build_one(m, where, context, source) for where, m in scenario.sorted_measures()]


def _started(measure: Any, spec: MeasureSpec, horizon: int) -> int | None:
    if isinstance(measure, Scheduled):
        return measure.started_on
    return spec.start_day if spec.start_day < horizon else None


def resolve_seeding(scenario: Scenario, pop: Population, *, source: str = "scenario") -> list[int]:
    """The district index of each seeding entry (-1: anywhere); unknown districts raise."""
    out: list[int] = []
    for i, s in enumerate(scenario.seeding):
        if s.district is None:
            out.append(-1)
        elif isinstance(s.district, str):
            if s.district not in pop.district_names:
                known = ", ".join(pop.district_names)
                raise ValueError(
                    f"{source}: seeding[{i}].district: unknown district {s.district!r} "
                    f"(the city's districts: {known})"
                )
            out.append(pop.district_names.index(s.district))
        else:
            if s.district >= pop.n_districts:
                raise ValueError(
                    f"{source}: seeding[{i}].district: index must be < {pop.n_districts}, "
                    f"got {s.district}"
                )
            out.append(int(s.district))
    return out


def rt_series(
    cases: I64, imported: I64, *, si_mean: float, si_sd: float, window: int, max_cv: float
) -> F64:
    """Rt (posterior mean) of the window ending on each day; NaN where not estimable."""
    n = len(cases)
    out = np.full(n, np.nan)
    if n < window + 1 or int(cases.sum()) == 0:
        return out
    est = estimate_r(cases, imported=imported, si=ParametricSI(si_mean, si_sd), window=window)
    ok = est.posterior_cv <= max_cv
    out[est.t_end[ok] - 1] = est.mean[ok]
    return out


@dataclass(frozen=True)
class RunOutcome:
    """One run: its seed, the engine's results, the daily series and the outcomes."""

    run: int
    seed: int
    results: Results
    series: dict[str, F64]
    outcomes: dict[str, float | None]
    started: dict[str, int | None]
    wall_s: float


def run_one(
    scenario: Scenario,
    city: TwinCity,
    params: TwinParams,
    *,
    run: int,
    districts: Sequence[int],
    capacity: Mapping[str, float],
    serial_interval: tuple[float, float],
    source: str = "scenario",
    on_day: Callable[[int], None] | None = None,
) -> RunOutcome:
    """Run ``run`` of ``scenario`` (seed :func:`run_seed`) and collect its outcome."""
    t0 = time.perf_counter()
    seed = run_seed(scenario.seed, run)
    context = MeasureContext(
        area_graph=city.context.area_graph,
        agent_building=city.context.agent_building,
        capacity=dict(capacity),
    )
    measures = build_measures(scenario, context, source=source)
    weekday = scenario.start_weekday if scenario.start_weekday is not None else city.start_weekday
    sim = Sim(
        city.population,
        params,
        seed=seed,
        start_weekday=weekday,
        activity=city.activity,
        measures=measures,
    )
    horizon = scenario.horizon
    by_day: dict[int, list[int]] = {}
    for i, s in enumerate(scenario.seeding):
        by_day.setdefault(s.day, []).append(i)
    cuts = sorted(by_day)
    for k, day in enumerate(cuts):
        if day > sim.day:
            sim.run(day - sim.day, on_day)
        for i in by_day[day]:
            s = scenario.seeding[i]
            try:
                sim.seed_random(s.count, district=None if districts[i] < 0 else districts[i])
            except ValueError as exc:
                raise ValueError(f"{source}: seeding[{i}].count: {exc}") from None
        if k == len(cuts) - 1:
            sim.run(horizon - sim.day, on_day)
    res = sim.results()
    reg = registry_of(sim)
    figures = reg.figures(horizon)
    finds = any(m.kind in CASE_FINDING for m in scenario.measures)

    seeded = sim.infection_layer == SEEDED
    if scenario.rt.series == "onset":
        onset = sim.t_onset
        cases = np.bincount(onset[onset >= 0], minlength=horizon)[:horizon]
        imp = np.bincount(onset[(onset >= 0) & seeded], minlength=horizon)[:horizon]
    else:
        diag = reg.t_diagnosed
        cases = np.bincount(diag[diag >= 0], minlength=horizon)[:horizon]
        imp = np.bincount(diag[(diag >= 0) & seeded], minlength=horizon)[:horizon]
    si_mean, si_sd = serial_interval
    rt = rt_series(
        cases.astype(np.int64),
        imp.astype(np.int64),
        si_mean=si_mean,
        si_sd=si_sd,
        window=scenario.rt.window,
        max_cv=scenario.rt.max_cv,
    )
    community = figures["community_cases"] if finds else res.new_symptomatic.astype(np.float64)
    series: dict[str, F64] = {name: getattr(res, name).astype(np.float64) for name in ENGINE_SERIES}
    series.update({k: v for k, v in figures.items() if k not in series})
    series["community"] = np.asarray(community, dtype=np.float64)
    series["rt"] = rt

    infector = sim.infected_by
    pair = (infector >= 0) & (sim.t_onset >= 0)
    pair[pair] &= sim.t_onset[infector[pair]] >= 0
    si_real = sim.t_onset[pair] - sim.t_onset[infector[pair]]

    n = city.population.n
    ever = int(n - res.prevalence[-1, S]) if res.days else int(res.seeded)
    out: dict[str, float | None] = {
        "attack_rate": ever / n,
        "infections": float(ever),
        "symptomatic": float(res.new_symptomatic.sum()),
        "deaths": float(res.new_deaths.sum()),
        "peak_day": float(np.argmax(res.new_infections)),
        "peak_incidence": float(res.new_infections.max()),
    }
    for stem in ("hospital", "icu"):
        cap = capacity.get(f"{stem}_beds")
        out[f"peak_{stem}"] = float(series[stem].max())
        out[f"{stem}_days_over"] = None if cap is None else float((series[stem] > cap).sum())
    zeros = np.zeros(horizon)
    no_room = figures.get("no_room", zeros)
    out["peak_quarantine"] = float(figures.get("central_quarantine", zeros).max())
    out["quarantine_days_over"] = float((no_room > 0).sum())
    out["quarantine_turned_away"] = float(no_room.sum())
    out["peak_tracer_workload"] = float(figures.get("tracer_workload", zeros).max())
    out["tracer_days_over"] = float((figures.get("tracing_backlog", zeros) > 0).sum())
    out["diagnosed"] = float(figures["diagnosed"].sum())
    out["community_cases"] = float(series["community"].sum())
    dz = days_to_zero(series["community"])
    out["days_to_zero"] = None if dz is None else float(dz)
    dn = days_to_zero(series["new_infections"])
    out["days_to_no_infection"] = None if dn is None else float(dn)
    out["serial_interval"] = float(si_real.mean()) if si_real.size else None
    return RunOutcome(
        run=run,
        seed=seed,
        results=res,
        series=series,
        outcomes=out,
        started={
            spec.kind: _started(m, spec, horizon)
            for m, (_, spec) in zip(measures, scenario.sorted_measures(), strict=True)
        },
        wall_s=time.perf_counter() - t0,
    )


def summarise(values: Sequence[float | None], *, censored: bool = False) -> dict[str, Any]:
    """Median, 90 % interval (5 %, 95 %) and mean of a run outcome over the runs.

    ``censored``: None means *not reached within the horizon* (days to zero):
    such runs count as +∞ and the quantiles are the empirical ones
    (``inverted_cdf``, every bound an observed value; a bound that falls on a
    run that did not reach it is None, as is the mean).  Otherwise None means
    *no value* (no capacity to compare with, no infector–infectee pair) and
    those runs are left out.  Linear interpolation when every run has a
    value.  ``reached`` counts the runs with a value.
    """
    n = len(values)
    if n == 0:
        raise ValueError("values must hold at least one run")
    if not censored:
        values = [v for v in values if v is not None]
        if not values:
            return {"median": None, "lo": None, "hi": None, "mean": None, "reached": 0, "runs": n}
    missing = sum(v is None for v in values)
    arr = np.array([np.inf if v is None else float(v) for v in values], dtype=np.float64)
    if missing:
        lo, med, hi = np.quantile(arr, [LO, 0.5, HI], method="inverted_cdf")
    else:
        lo, med, hi = np.quantile(arr, [LO, 0.5, HI], method="linear")

    def val(x: float) -> float | None:
        return None if not np.isfinite(x) else float(x)

    return {
        "median": val(med),
        "lo": val(lo),
        "hi": val(hi),
        "mean": None if missing else float(arr.mean()),
        "reached": len(values) - missing,
        "runs": n,
    }


def band(values: NDArray[np.float64]) -> dict[str, F64]:
    """Per day (columns) across runs (rows): mean, 5 % and 95 % quantiles (NaN-aware)."""
    arr = np.atleast_2d(np.asarray(values, dtype=np.float64))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN days (Rt) stay NaN
        return {
            "mean": np.nanmean(arr, axis=0),
            "lo": np.nanquantile(arr, LO, axis=0),
            "hi": np.nanquantile(arr, HI, axis=0),
        }


@dataclass(frozen=True)
class EnsembleResult:
    """The runs of one scenario on one city."""

    scenario: Scenario
    city_name: str
    city_source: str
    agents: int
    district_names: tuple[str, ...]
    capacity: dict[str, float]
    serial_interval: tuple[float, float]
    runs: list[RunOutcome]
    wall_s: float

    @property
    def seeds(self) -> list[int]:
        return [r.seed for r in self.runs]

    @property
    def days(self) -> int:
        return self.scenario.horizon

    def series_names(self) -> list[str]:
        names: list[str] = []
        for r in self.runs:
            names.extend(k for k in r.series if k not in names)
        return names

    def series(self, name: str) -> F64:
        """``(runs, days)`` of a daily series (zeros where a run did not record it)."""
        return np.stack([r.series.get(name, np.zeros(self.days)) for r in self.runs])

    @cached_property
    def bands(self) -> dict[str, dict[str, F64]]:
        """Per series: the daily mean and 90 % band across runs (computed once)."""
        return {name: band(self.series(name)) for name in self.series_names()}

    def by_district(self) -> I64:
        """``(runs, days, districts)`` new infections by home district."""
        return np.stack([r.results.new_infections_by_district for r in self.runs])

    def outcome_values(self, name: str) -> list[float | None]:
        return [r.outcomes[name] for r in self.runs]

    def outcomes(self) -> dict[str, dict[str, Any]]:
        return {
            name: summarise(self.outcome_values(name), censored=name in CENSORED)
            for name in OUTCOMES
        }

    def district_outcomes(self) -> list[dict[str, Any]]:
        """Per district: infections (median, 90 % interval) and peak day of the mean curve."""
        inc = self.by_district()
        total = inc.sum(axis=1)  # (runs, districts)
        mean_curve = inc.mean(axis=0)
        rows = []
        for k, name in enumerate(self.district_names):
            rows.append(
                {
                    "district": name,
                    "infections": summarise([float(v) for v in total[:, k]]),
                    "peak_day": int(np.argmax(mean_curve[:, k])) if total[:, k].any() else None,
                    "daily_mean": [float(v) for v in mean_curve[:, k]],
                }
            )
        return rows

    def started(self) -> dict[str, dict[str, Any]]:
        """Per scheduled measure (``start_day`` or ``trigger`` given): its first day.

        Median and 90 % interval over the runs; None = never within the horizon.
        A measure's own triggers (e.g. ``school_closure.after_cases``) may
        start it later than its schedule allows.
        """
        kinds = [
            m.kind
            for _, m in self.scenario.sorted_measures()
            if m.trigger is not None or "start_day" in m.model_fields_set
        ]
        return {k: summarise([r.started.get(k) for r in self.runs], censored=True) for k in kinds}

    # ------------------------------------------------------------------ tables
    def runs_table(self) -> pa.Table:
        cols: dict[str, Any] = {
            "run": pa.array([r.run for r in self.runs], pa.int32()),
            "seed": pa.array([r.seed for r in self.runs], pa.uint64()),
        }
        for name in OUTCOMES:
            cols[name] = pa.array(self.outcome_values(name), pa.float64())
        cols["wall_s"] = pa.array([r.wall_s for r in self.runs], pa.float64())
        return pa.table(cols)

    def daily_table(self) -> pa.Table:
        """One row per run and day, a column per series."""
        n, d = len(self.runs), self.days
        cols: dict[str, Any] = {
            "run": pa.array(np.repeat(np.arange(n, dtype=np.int32), d)),
            "day": pa.array(np.tile(np.arange(d, dtype=np.int32), n)),
        }
        for name in self.series_names():
            cols[name] = pa.array(self.series(name).ravel())
        return pa.table(cols)

    def district_table(self) -> pa.Table:
        """One row per run, day and district: new infections, hospital and ICU census."""
        parts = []
        for r in self.runs:
            t = r.results.district_table()
            parts.append(t.add_column(0, "run", pa.array(np.full(t.num_rows, r.run, np.int32))))
        return pa.concat_tables(parts)

    def bands_table(self) -> pa.Table:
        """One row per series and day: mean, lo (5 %), hi (95 %)."""
        rows: dict[str, list[Any]] = {"series": [], "day": [], "mean": [], "lo": [], "hi": []}
        for name, b in self.bands.items():
            rows["series"].extend([name] * self.days)
            rows["day"].extend(range(self.days))
            for key in ("mean", "lo", "hi"):
                rows[key].extend(b[key].tolist())
        return pa.table(
            {
                "series": pa.array(rows["series"], pa.string()),
                "day": pa.array(rows["day"], pa.int32()),
                **{k: pa.array(rows[k], pa.float64()) for k in ("mean", "lo", "hi")},
            }
        )

    def to_dict(self, *, daily: Sequence[str] | None = None) -> dict[str, Any]:
        """A JSON-able summary: scenario, city, outcomes, daily bands of ``daily`` series."""
        bands = self.bands
        names = list(daily) if daily is not None else list(bands)
        si_mean, si_sd = self.serial_interval
        return {
            "scenario": self.scenario.name,
            "city": {
                "name": self.city_name,
                "source": self.city_source,
                "agents": self.agents,
                "districts": list(self.district_names),
            },
            "preset": self.scenario.preset,
            "params": dict(self.scenario.params),
            "horizon": self.days,
            "runs": len(self.runs),
            "seed": self.scenario.seed,
            "seeds": [str(s) for s in self.seeds],
            "capacity": self.capacity,
            "measures": [
                {"kind": m.kind, "start_day": m.start_day, **m.params}
                | ({"trigger": m.trigger.model_dump()} if m.trigger else {})
                for _, m in self.scenario.sorted_measures()
            ],
            "measures_started": self.started(),
            "rt": {
                "series": self.scenario.rt.series,
                "window": self.scenario.rt.window,
                "si_mean": round(si_mean, 4),
                "si_sd": round(si_sd, 4),
                "si_source": "scenario" if self.scenario.rt.si_mean else "preset natural history",
                "max_cv": self.scenario.rt.max_cv,
            },
            "outcomes": self.outcomes(),
            "districts": self.district_outcomes(),
            "daily": {
                "day": list(range(self.days)),
                **{
                    n: {k: [_num(v) for v in bands[n][k]] for k in ("mean", "lo", "hi")}
                    for n in names
                    if n in bands
                },
            },
            "wall_s": round(self.wall_s, 3),
        }


def _num(v: float) -> float | None:
    return None if not np.isfinite(v) else round(float(v), 6)


def run_ensemble(
    scenario: Scenario,
    city: TwinCity,
    *,
    source: str = "scenario",
    on_day: Callable[[int, int], None] | None = None,
) -> EnsembleResult:
    """Run ``scenario.runs`` seeded runs of ``scenario`` on ``city``.

    ``on_day(run, day)`` is called after every simulated day (progress bars).
    Bad input (parameters, measures, seeding) raises ``ValueError`` naming
    the scenario path before the first run.
    """
    t0 = time.perf_counter()
    params = scenario.twin_params(source=source)
    si = scenario.serial_interval(params)
    districts = resolve_seeding(scenario, city.population, source=source)
    capacity = {k: float(v) for k, v in city.context.capacity.items()}
    capacity.update(scenario.capacity.as_context())
    build_measures(
        scenario,
        MeasureContext(city.context.area_graph, city.context.agent_building, capacity),
        source=source,
    )  # validate every measure before the first run
    runs = []
    for r in range(scenario.runs):
        cb = None if on_day is None else (lambda d, _r=r: on_day(_r, d))
        runs.append(
            run_one(
                scenario,
                city,
                params,
                run=r,
                districts=districts,
                capacity=capacity,
                serial_interval=si,
                source=source,
                on_day=cb,
            )
        )
    return EnsembleResult(
        scenario=scenario,
        city_name=city.name,
        city_source=city.source,
        agents=city.population.n,
        district_names=city.population.district_names,
        capacity=capacity,
        serial_interval=si,
        runs=runs,
        wall_s=time.perf_counter() - t0,
    )


#: Outcomes of the comparison table (A vs B and the paired difference).
KEY_OUTCOMES: Final = (
    "attack_rate",
    "infections",
    "deaths",
    "peak_day",
    "peak_hospital",
    "hospital_days_over",
    "peak_icu",
    "icu_days_over",
    "peak_quarantine",
    "quarantine_days_over",
    "peak_tracer_workload",
    "diagnosed",
    "community_cases",
    "days_to_zero",
)


def compare_ensembles(a: EnsembleResult, b: EnsembleResult) -> dict[str, dict[str, Any]]:
    """Per key outcome: A's and B's summaries and the paired difference B − A.

    Run *r* of A and run *r* of B must share a seed (common random numbers);
    the difference is summarised over the runs where both reached the
    outcome.
    """
    if a.seeds != b.seeds:
        raise ValueError("a and b must have the same runs and seeds (common random numbers)")
    out: dict[str, dict[str, Any]] = {}
    for name in KEY_OUTCOMES:
        va, vb = a.outcome_values(name), b.outcome_values(name)
        diffs = [y - x for x, y in zip(va, vb, strict=True) if x is not None and y is not None]
        out[name] = {
            "a": summarise(va, censored=name in CENSORED),
            "b": summarise(vb, censored=name in CENSORED),
            "difference": summarise(diffs) if diffs else None,
        }
    return out


__all__ = [
    "CASE_FINDING",
    "CENSORED",
    "KEY_OUTCOMES",
    "OUTCOMES",
    "EnsembleResult",
    "RunOutcome",
    "Scheduled",
    "TwinCity",
    "band",
    "build_measures",
    "compare_ensembles",
    "days_to_zero",
    "resolve_seeding",
    "rt_series",
    "run_ensemble",
    "run_one",
    "summarise",
]
