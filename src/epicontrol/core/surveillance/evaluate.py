"""Evaluation harness for the detectors, in the style of Noufaily et al. (2013).

Baselines are negative-binomial count series with a mean on the log scale

    log μ(t) = θ + β t + Σ_{j=1..m} [γ₁ cos(2πjt/52) + γ₂ sin(2πjt/52)],

``t`` in weeks, and variance ``φ μ`` (Poisson when ``φ = 1``), over a grid of
baseline level ``e^θ`` (mean weekly count at ``t = 0``), trend ``β`` (per
week), seasonality ``m`` (harmonics) and dispersion ``φ``.  Weekly detectors
get weekly series (``weeks`` long, the last ``eval_weeks`` evaluated, as
Noufaily: 624 and 49); daily detectors get daily series with the same mean
per week spread evenly over its days (``μ_day(d) = μ(d/7)/7``), long enough
for their baseline, with the last ``7 · eval_weeks`` days evaluated.

Each scenario has ``replicates`` outbreak-free series and, for every
outbreak size ``k``, ``replicates`` series with one outbreak starting at a
uniformly drawn step of the evaluation period.  As in Noufaily et al., the
outbreak's size is Poisson with mean ``k`` times the standard deviation of
the baseline weekly count at its start (``√(φ μ)``), and each case's onset
lies ``⌊X⌋`` weeks after the start, ``X ~ lognormal(0, 0.5)`` (daily series:
``⌊7X⌋`` days, the same shape in calendar time).  ``past_outbreaks`` adds
that many outbreaks of the same kind (size: the mean ``k``) to the baseline
period of every series (to test robustness to contaminated baselines).

Measures, per detector and scenario, over the evaluated steps:

* probability of detection (POD): share of outbreaks with an alarm on a step
  from the outbreak's start to its last case;
* false-positive rate (FPR): share of steps of the outbreak-free series that alarm;
* sensitivity: share of outbreak steps (steps with outbreak cases) that alarm;
* specificity: share of the other steps of the outbreak series that do not alarm;
* detection delay: from the outbreak start to its first alarm, in days
  (median over detected outbreaks).

Everything is deterministic for a seed (NumPy ``default_rng`` keyed by seed,
scenario, outbreak size and frequency).

References
----------
.. [1] Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A.
   An improved algorithm for outbreak detection in multiple surveillance
   systems. Stat Med 2013;32(7):1206-1222 (simulation design, §4).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from .registry import DETECTORS, history_steps

__all__ = [
    "DetectorSummary",
    "EvaluationGrid",
    "EvaluationReport",
    "Scenario",
    "ScenarioMetrics",
    "baseline_mean",
    "evaluate_detectors",
    "simulate",
]

_START: Final = np.datetime64("2014-01-06", "D")  # a Monday
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Scenario:
    """One baseline model of the grid."""

    index: int
    level: float
    trend: float
    seasonality: int
    dispersion: float

    def label(self) -> str:
        """Short description, e.g. ``level=50 trend=0.002 m=1 φ=2``."""
        return (
            f"level={self.level:g} trend={self.trend:g} m={self.seasonality} φ={self.dispersion:g}"
        )


@dataclass(frozen=True)
class EvaluationGrid:
    """The simulation design; defaults give 24 scenarios × 2 outbreak sizes."""

    levels: tuple[float, ...] = (5.0, 50.0)
    trends: tuple[float, ...] = (0.0, 0.002)
    seasonalities: tuple[int, ...] = (0, 1)
    dispersions: tuple[float, ...] = (1.0, 2.0, 4.0)
    outbreak_sizes: tuple[float, ...] = (3.0, 6.0)
    #: Seasonal coefficients (γ₁, γ₂) of every harmonic.
    gamma: tuple[float, float] = (0.4, 0.3)
    replicates: int = 20
    weeks: int = 624
    eval_weeks: int = 49
    past_outbreaks: int = 0

    def __post_init__(self) -> None:
        for name in ("levels", "trends", "seasonalities", "dispersions", "outbreak_sizes"):
            if not getattr(self, name):
                raise ValueError(f"{name} must not be empty")
        if any(x <= 0 for x in self.levels):
            raise ValueError("levels (mean weekly counts) must be > 0")
        if any(m < 0 or m > 6 for m in self.seasonalities):
            raise ValueError("seasonalities (harmonics) must be between 0 and 6")
        if any(phi < 1 for phi in self.dispersions):
            raise ValueError("dispersions must be >= 1 (1 = Poisson)")
        if any(k <= 0 for k in self.outbreak_sizes):
            raise ValueError("outbreak_sizes (k) must be > 0")
        if self.replicates < 1:
            raise ValueError("replicates must be >= 1")
        if not 1 <= self.eval_weeks < self.weeks:
            raise ValueError("eval_weeks must be between 1 and weeks - 1")
        if self.past_outbreaks < 0:
            raise ValueError("past_outbreaks must be >= 0")

    def scenarios(self) -> list[Scenario]:
        """Every combination of level, trend, seasonality and dispersion."""
        combos = itertools.product(self.levels, self.trends, self.seasonalities, self.dispersions)
        return [Scenario(i, *c) for i, c in enumerate(combos)]


def baseline_mean(
    scenario: Scenario, t_weeks: NDArray[np.float64], gamma: tuple[float, float]
) -> NDArray[np.float64]:
    """Mean weekly count ``μ(t)`` of ``scenario`` at times ``t_weeks`` (in weeks)."""
    eta = np.log(scenario.level) + scenario.trend * t_weeks
    for j in range(1, scenario.seasonality + 1):
        angle = 2 * np.pi * j * t_weeks / 52.0
        eta = eta + gamma[0] * np.cos(angle) + gamma[1] * np.sin(angle)
    return np.asarray(np.exp(eta), dtype=np.float64)


def _draw_counts(
    rng: np.random.Generator, mean: NDArray[np.float64], phi: float, n: int
) -> NDArray[np.float64]:
    """``n`` series of negative-binomial counts with variance ``φ μ``."""
    mu = np.broadcast_to(mean, (n, len(mean)))
    if phi <= 1.0:
        return rng.poisson(mu).astype(np.float64)
    size = mu / (phi - 1.0)
    return rng.poisson(rng.gamma(size, 1.0 / size * mu)).astype(np.float64)


def _add_outbreak(
    rng: np.random.Generator,
    series: NDArray[np.float64],
    cases: NDArray[np.float64],
    start: int,
    size_mean: float,
    step_days: int,
) -> int:
    """Add one outbreak at ``start``; returns its last step with cases (``start`` if none)."""
    n = int(rng.poisson(size_mean))
    if n == 0:
        return start
    x = rng.lognormal(0.0, 0.5, size=n)
    offsets = np.floor(x * (7 / step_days)).astype(np.int64)
    steps = start + offsets
    steps = steps[steps < len(series)]
    np.add.at(series, steps, 1.0)
    np.add.at(cases, steps, 1.0)
    return int(steps.max()) if len(steps) else start


@dataclass
class Simulation:
    """Series of one scenario and frequency: clean rows first, then one block per ``k``."""

    counts: NDArray[np.float64]
    dates: NDArray[np.datetime64]
    #: Outbreak cases per row and step (0 in clean rows).
    cases: NDArray[np.float64]
    #: Outbreak start and last step per row (-1 in clean rows).
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    #: Size ``k`` per row (0 in clean rows).
    k: NDArray[np.float64]
    eval_from: int
    step_days: int


def simulate(
    scenario: Scenario,
    grid: EvaluationGrid,
    *,
    frequency: str,
    length: int,
    seed: int,
) -> Simulation:
    """The series of ``scenario`` at ``frequency`` (``daily``/``weekly``), ``length`` steps."""
    step_days = 7 if frequency == "weekly" else 1
    eval_steps = grid.eval_weeks * (7 // step_days)
    if length <= eval_steps:
        raise ValueError(f"length must exceed the evaluation period ({eval_steps} steps)")
    t_weeks = np.arange(length, dtype=np.float64) * step_days / 7.0
    weekly = baseline_mean(scenario, t_weeks, grid.gamma)
    mean = weekly * step_days / 7.0
    freq_key = 0 if frequency == "weekly" else 1
    rng = np.random.default_rng([seed, scenario.index, freq_key])
    r = grid.replicates
    blocks = [0.0, *grid.outbreak_sizes]
    counts = _draw_counts(rng, mean, scenario.dispersion, r * len(blocks))
    cases = np.zeros_like(counts)
    start = np.full(len(counts), -1, dtype=np.int64)
    end = np.full(len(counts), -1, dtype=np.int64)
    ks = np.repeat(np.asarray(blocks), r)
    eval_from = length - eval_steps
    # sd of the weekly count at each possible start (the week beginning there)
    window = 7 // step_days
    week_mean = np.convolve(mean, np.ones(window), mode="full")[window - 1 :][:length]
    sd = np.sqrt(scenario.dispersion * week_mean)
    past_k = float(np.mean(grid.outbreak_sizes))
    for row in range(len(counts)):
        past = np.zeros(length)
        for _ in range(grid.past_outbreaks):
            at = int(rng.integers(0, eval_from))
            _add_outbreak(rng, counts[row], past, at, past_k * sd[at], step_days)
        if ks[row] > 0:
            at = int(rng.integers(eval_from, length))
            start[row] = at
            end[row] = _add_outbreak(rng, counts[row], cases[row], at, ks[row] * sd[at], step_days)
    dates = _START + np.arange(length) * np.timedelta64(step_days, "D")
    return Simulation(counts, dates, cases, start, end, ks, eval_from, step_days)


@dataclass(frozen=True)
class ScenarioMetrics:
    """One detector on one scenario and outbreak size."""

    detector: str
    scenario: int
    label: str
    k: float
    pod: float
    fpr: float
    sensitivity: float
    specificity: float
    median_delay_days: float | None
    outbreaks: int
    detected: int


@dataclass(frozen=True)
class DetectorSummary:
    """One detector over the whole grid (means over scenarios and sizes; delay pooled)."""

    detector: str
    frequency: str
    nominal_alpha: float | None
    pod: float
    fpr: float
    sensitivity: float
    specificity: float
    median_delay_days: float | None
    outbreaks: int
    detected: int
    seconds: float


@dataclass(frozen=True)
class EvaluationReport:
    """The table and its per-scenario rows, with the design that produced them."""

    summaries: list[DetectorSummary]
    scenarios: list[ScenarioMetrics]
    grid: dict[str, Any]
    seed: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return asdict(self)


def _ratio(num: float, den: float) -> float:
    return float(num / den) if den else float("nan")


def _score(
    sim: Simulation,
    alarm: NDArray[np.bool_],
    evaluated: NDArray[np.bool_],
    detector: str,
    scenario: Scenario,
    r: int,
) -> tuple[list[ScenarioMetrics], list[float]]:
    length = alarm.shape[1]
    in_eval = np.zeros(length, dtype=bool)
    in_eval[sim.eval_from :] = True
    ev = evaluated & in_eval[None, :]
    al = alarm & ev
    clean = slice(0, r)
    fpr = _ratio(al[clean].sum(), ev[clean].sum())
    out = []
    delays_all: list[float] = []
    for b, k in enumerate(sorted(set(sim.k[r:].tolist()))):
        rows = np.arange(r * (b + 1), r * (b + 2))
        outbreak_step = sim.cases[rows] > 0
        sens = _ratio((al[rows] & outbreak_step).sum(), (ev[rows] & outbreak_step).sum())
        other = ev[rows] & ~outbreak_step
        spec = 1.0 - _ratio((al[rows] & other).sum(), other.sum())
        detected = 0
        delays = []
        for i, row in enumerate(rows):
            s, e = int(sim.start[row]), int(sim.end[row])
            hits = np.flatnonzero(al[rows[i], s : e + 1])
            if hits.size:
                detected += 1
                delays.append(float(hits[0] * sim.step_days))
        delays_all.extend(delays)
        out.append(
            ScenarioMetrics(
                detector=detector,
                scenario=scenario.index,
                label=scenario.label(),
                k=float(k),
                pod=detected / len(rows),
                fpr=fpr,
                sensitivity=sens,
                specificity=spec,
                median_delay_days=float(np.median(delays)) if delays else None,
                outbreaks=len(rows),
                detected=detected,
            )
        )
    return out, delays_all


def _mean(values: Sequence[float]) -> float:
    finite = [v for v in values if v == v]
    return float(np.mean(finite)) if finite else float("nan")


def evaluate_detectors(
    detectors: Sequence[str] | None = None,
    *,
    grid: EvaluationGrid | None = None,
    params: Mapping[str, Mapping[str, Any]] | None = None,
    seed: int = 1,
    on_progress: Progress | None = None,
) -> EvaluationReport:
    """Run every detector on every scenario of ``grid``; the Noufaily-style table.

    Parameters
    ----------
    detectors : sequence of str, optional
        Command-line names (default: all of :data:`~.registry.DETECTORS`).
    grid : EvaluationGrid, optional
        The design (default :class:`EvaluationGrid`).
    params : mapping, optional
        Extra parameters per detector name.
    seed : int
        Seed of every simulation.
    on_progress : callable, optional
        Called with ``(detector, done, total)`` after each scenario.
    """
    grid = grid or EvaluationGrid()
    names = list(detectors) if detectors is not None else list(DETECTORS)
    for name in names:
        if name not in DETECTORS:
            raise ValueError(f"unknown detector {name!r}; known: {', '.join(DETECTORS)}")
    params = params or {}
    scenarios = grid.scenarios()
    started = time.perf_counter()
    sims: dict[tuple[str, int], Simulation] = {}
    # one daily length for every daily detector, so that they all see the same series
    daily_need = [
        history_steps(n, dict(params.get(n, {})))
        for n in names
        if DETECTORS[n].frequency == "daily"
    ]
    daily_length = max([14 * grid.eval_weeks, *(7 * grid.eval_weeks + n + 1 for n in daily_need)])
    rows: list[ScenarioMetrics] = []
    summaries: list[DetectorSummary] = []
    for name in names:
        spec = DETECTORS[name]
        extra = dict(params.get(name, {}))
        t0 = time.perf_counter()
        length = grid.weeks if spec.frequency == "weekly" else daily_length
        keywords = {p.name for p in spec.params}
        det_rows: list[ScenarioMetrics] = []
        delays: list[float] = []
        for done, scenario in enumerate(scenarios, start=1):
            key = (spec.frequency, scenario.index)
            sim = sims.get(key)
            if sim is None:
                sim = sims[key] = simulate(
                    scenario, grid, frequency=spec.frequency, length=length, seed=seed
                )
            call = dict(extra)
            if "monitor" in keywords and "monitor" not in call:
                call["monitor"] = np.arange(sim.eval_from, length)
            if "baseline_end" in keywords and "baseline_end" not in call:
                call["baseline_end"] = sim.dates[sim.eval_from - 1]
            result = spec.run(sim.counts, sim.dates, **call)
            metrics, d = _score(
                sim, result.alarm, result.evaluated, name, scenario, grid.replicates
            )
            det_rows.extend(metrics)
            delays.extend(d)
            if on_progress:
                on_progress(name, done, len(scenarios))
        rows.extend(det_rows)
        summaries.append(
            DetectorSummary(
                detector=name,
                frequency=spec.frequency,
                nominal_alpha=extra.get("alpha", spec.nominal_alpha),
                pod=_mean([m.pod for m in det_rows]),
                fpr=_mean([m.fpr for m in det_rows]),
                sensitivity=_mean([m.sensitivity for m in det_rows]),
                specificity=_mean([m.specificity for m in det_rows]),
                median_delay_days=float(np.median(delays)) if delays else None,
                outbreaks=sum(m.outbreaks for m in det_rows),
                detected=sum(m.detected for m in det_rows),
                seconds=round(time.perf_counter() - t0, 3),
            )
        )
    design = asdict(grid)
    design["scenarios"] = [asdict(s) for s in scenarios]
    return EvaluationReport(
        summaries=summaries,
        scenarios=rows,
        grid=design,
        seed=seed,
        seconds=round(time.perf_counter() - started, 3),
    )
