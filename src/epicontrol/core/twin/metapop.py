"""Metapopulation SEIR over districts coupled by a mobility matrix.

Model
-----
District ``i`` has ``N_i`` residents split into susceptible ``S``, exposed
(latent) ``E``, infectious ``I`` and removed ``R``.  Residents keep their home
district; mobility mixes them: ``M[i, j]`` is the share of their time that
residents of ``i`` spend in ``j`` (rows sum to 1, commuting model of Keeling &
Rohani 2008, §7.2).  The people present in ``j`` are
``N^eff_j = sum_k M[k, j] N_k``, of whom ``I^eff_j = sum_k M[k, j] I_k`` are
infectious, so the force of infection on residents of ``i`` is

.. math::

   λ_i = β \\sum_j M_{ij} \\frac{I^{eff}_j}{N^{eff}_j},

and, with ``σ = 1 / latent_period`` and ``γ = 1 / infectious_period``,

.. math::

   S_i' = -λ_i S_i,\\quad E_i' = λ_i S_i - σ E_i,\\quad
   I_i' = σ E_i - γ I_i,\\quad R_i' = γ I_i .

``coupling`` ``c`` scales travel: the matrix used is ``(1 - c) Id + c M``
(``c = 0``: independent districts).  The next-generation matrix
``K[i, k] = (β/γ) sum_j M[i, j] N_i M[k, j] / N^eff_j`` has every column
summing to ``β/γ``, so ``R0 = β · infectious_period`` whatever the mobility;
``r0`` therefore fixes ``β = r0 / infectious_period``.

Analytic checks
---------------
* Final size of one well-mixed population (Kermack–McKendrick; the same for
  SIR and SEIR): the attack rate ``z`` solves ``z = 1 - exp(-R0 z)``;
  :func:`final_size` returns ``1 + W(-R0 e^{-R0}) / R0`` (Lambert W).
* Initial growth rate: the SEIR characteristic equation
  ``(r + σ)(r + γ) = R0 σ γ`` gives
  ``r = (-(σ + γ) + sqrt((σ - γ)^2 + 4 R0 σ γ)) / 2`` (:func:`growth_rate`).

Simulation
----------
* :func:`simulate_ode` integrates the equations with ``scipy.integrate.solve_ivp``
  (DOP853) with a cumulative-infections state, so daily incidence (new
  infections ``S → E`` per day) is exact to the tolerance.  The default
  ``rtol`` is 1e-10: exponential growth amplifies local errors, and 1e-10
  keeps the trajectories within about 1e-7 relative of the exact solution.
* :func:`simulate_tau_leap` is the chain-binomial tau-leap (Gillespie 2001)
  with ``steps_per_day`` steps of ``h`` days: ``S → E ~ Bin(S, 1 - e^{-λ h})``,
  ``E → I ~ Bin(E, σ h)``, ``I → R ~ Bin(I, γ h)`` (all drawn from the
  states at the start of the step).  The stage probabilities ``σ h`` and
  ``γ h`` make the mean time in each stage (whole steps, geometric) exactly
  ``1/σ`` and ``1/γ``, so the discrete model keeps ``R0``; with
  ``1 - e^{-γ h}`` instead, ``R0`` would grow by a factor of about
  ``1 + γ h / 2`` and the final size with it.  Each
  run has its own ``numpy.random.Generator`` spawned from one
  ``SeedSequence(seed)``, so run ``k`` is the same whatever the number of
  runs; the same seed gives the same ensemble.  The per-run loop is a numba
  kernel drawing from that generator.

Incidence is reported per day ``d = 0 .. days-1`` (infections during
``[d, d+1)``); the peak day is the day of highest total incidence, and the
attack rate is ``1 - S(days) / N`` (initial infections included).

References
----------
.. [1] Keeling MJ, Rohani P. Modeling Infectious Diseases in Humans and
   Animals. Princeton University Press, 2008 (chapter 7: metapopulations).
.. [2] Anderson RM, May RM. Infectious Diseases of Humans. Oxford, 1991
   (SEIR growth rate and final size).
.. [3] Ma J, Earn DJD. Generality of the final size formula for an epidemic
   of a newly invading infectious disease. Bull Math Biol 2006;68:679-702.
.. [4] Gillespie DT. Approximate accelerated stochastic simulation of
   chemically reacting systems. J Chem Phys 2001;115:1716-1733 (tau-leaping).
.. [5] Balcan D, Colizza V, Gonçalves B, et al. Multiscale mobility networks
   and the spatial spreading of infectious diseases. PNAS 2009;106:21484
   (gravity model of commuting).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numba as nb
import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray
from scipy.integrate import solve_ivp
from scipy.special import lambertw

__all__ = [
    "EnsembleResult",
    "MetapopResult",
    "Metapopulation",
    "SEIRParams",
    "commuting_mobility",
    "final_size",
    "force_of_infection",
    "gravity_mobility",
    "growth_rate",
    "simulate_ode",
    "simulate_tau_leap",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class SEIRParams:
    """Disease and mobility parameters (declarative; durations in days).

    Give ``r0`` (then ``β = r0 / infectious_period``) or ``beta`` (per day),
    not both.
    """

    r0: float | None = 2.5
    beta: float | None = None
    latent_period: float = 3.0
    infectious_period: float = 5.0
    coupling: float = 1.0

    def __post_init__(self) -> None:
        if (self.r0 is None) == (self.beta is None):
            raise ValueError("give exactly one of r0 and beta")
        if self.r0 is not None and not (math.isfinite(self.r0) and self.r0 >= 0):
            raise ValueError(f"r0 must be >= 0, got {self.r0!r}")
        if self.beta is not None and not (math.isfinite(self.beta) and self.beta >= 0):
            raise ValueError(f"beta must be >= 0 per day, got {self.beta!r}")
        for name in ("latent_period", "infectious_period"):
            value = getattr(self, name)
            if not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be > 0 days, got {value!r}")
        if not 0 <= self.coupling <= 1:
            raise ValueError(f"coupling must be in [0, 1], got {self.coupling!r}")

    @property
    def beta_per_day(self) -> float:
        return self.beta if self.beta is not None else float(self.r0) / self.infectious_period  # type: ignore[arg-type]

    @property
    def basic_reproduction_number(self) -> float:
        return self.beta_per_day * self.infectious_period

    @property
    def sigma(self) -> float:
        return 1.0 / self.latent_period

    @property
    def gamma(self) -> float:
        return 1.0 / self.infectious_period


@dataclass(frozen=True)
class Metapopulation:
    """Districts: codes, resident populations and the mobility matrix (rows sum to 1)."""

    codes: tuple[str, ...]
    population: I64
    mobility: F64

    def __post_init__(self) -> None:
        pop = np.asarray(self.population)
        n = len(self.codes)
        if n == 0:
            raise ValueError("a metapopulation needs at least one district")
        if len(set(self.codes)) != n:
            raise ValueError("district codes must be unique")
        if pop.shape != (n,) or pop.dtype.kind not in "iu":
            raise ValueError(f"population must be {n} integers (one per district)")
        if np.any(pop <= 0):
            raise ValueError(
                f"population must be > 0 in every district ({self.codes[int(np.argmin(pop))]})"
            )
        m = np.asarray(self.mobility, dtype=np.float64)
        if m.shape != (n, n):
            raise ValueError(f"mobility must be an {n} x {n} matrix, got shape {m.shape}")
        if not np.all(np.isfinite(m)) or np.any(m < 0):
            raise ValueError("mobility must be finite and >= 0")
        rows = m.sum(axis=1)
        if np.any(np.abs(rows - 1) > 1e-9):
            bad = int(np.argmax(np.abs(rows - 1)))
            raise ValueError(
                f"mobility rows must sum to 1 (row {self.codes[bad]} sums to {rows[bad]})"
            )
        object.__setattr__(self, "population", pop.astype(np.int64))
        object.__setattr__(self, "mobility", m)

    @property
    def size(self) -> int:
        return len(self.codes)

    def index(self, code: str) -> int:
        try:
            return self.codes.index(code)
        except ValueError:
            raise ValueError(f"unknown district code {code!r}") from None

    def coupled(self, coupling: float) -> F64:
        """``(1 - c) Id + c M``."""
        eye = np.eye(self.size)
        return np.asarray((1.0 - coupling) * eye + coupling * self.mobility, dtype=np.float64)


@dataclass(frozen=True)
class MetapopResult:
    """One deterministic trajectory.  ``S``/``E``/``I``/``R``: ``(days+1, n)`` at integer days."""

    codes: tuple[str, ...]
    population: I64
    S: F64
    E: F64
    I: F64  # noqa: E741
    R: F64
    incidence: F64

    @property
    def days(self) -> int:
        return int(self.incidence.shape[0])

    @property
    def total_incidence(self) -> F64:
        return np.asarray(self.incidence.sum(axis=1), dtype=np.float64)

    @property
    def peak_day(self) -> int:
        return int(np.argmax(self.total_incidence))

    @property
    def peak_size(self) -> float:
        return float(self.total_incidence.max())

    @property
    def district_peak_day(self) -> I64:
        return np.asarray(np.argmax(self.incidence, axis=0), dtype=np.int64)

    @property
    def attack_rate(self) -> F64:
        """By district: ``1 - S(end) / N``."""
        return np.asarray(1.0 - self.S[-1] / self.population, dtype=np.float64)

    @property
    def total_attack_rate(self) -> float:
        return float(1.0 - self.S[-1].sum() / self.population.sum())

    def to_arrow(self) -> pa.Table:
        """Long table: day, district, incidence (new infections that day)."""
        d, n = self.incidence.shape
        return pa.table(
            {
                "day": pa.array(np.repeat(np.arange(d, dtype=np.int32), n)),
                "district": pa.array(list(self.codes) * d, pa.string()),
                "incidence": pa.array(self.incidence.ravel()),
            }
        )

    def summary(self) -> dict[str, Any]:
        return {
            "model": "ode",
            "days": self.days,
            "peak_day": self.peak_day,
            "peak_size": self.peak_size,
            "attack_rate": self.total_attack_rate,
            "districts": [
                {
                    "code": code,
                    "population": int(self.population[i]),
                    "attack_rate": float(self.attack_rate[i]),
                    "peak_day": int(self.district_peak_day[i]),
                    "peak_size": float(self.incidence[:, i].max()),
                }
                for i, code in enumerate(self.codes)
            ],
            "daily_incidence": [float(v) for v in self.total_incidence],
        }


@dataclass(frozen=True)
class EnsembleResult:
    """Tau-leap runs: ``incidence`` ``(runs, days, n)``; ``final`` ``(runs, 4, n)`` = S, E, I, R."""

    codes: tuple[str, ...]
    population: I64
    incidence: I64
    final: I64
    seed: int | None

    @property
    def runs(self) -> int:
        return int(self.incidence.shape[0])

    @property
    def days(self) -> int:
        return int(self.incidence.shape[1])

    @property
    def total_incidence(self) -> I64:
        """``(runs, days)``."""
        return np.asarray(self.incidence.sum(axis=2), dtype=np.int64)

    @property
    def peak_day(self) -> I64:
        return np.asarray(np.argmax(self.total_incidence, axis=1), dtype=np.int64)

    @property
    def peak_size(self) -> I64:
        return np.asarray(self.total_incidence.max(axis=1), dtype=np.int64)

    @property
    def attack_rate(self) -> F64:
        """``(runs, n)``: ``1 - S(end) / N``."""
        return np.asarray(1.0 - self.final[:, 0, :] / self.population, dtype=np.float64)

    @property
    def total_attack_rate(self) -> F64:
        return np.asarray(
            1.0 - self.final[:, 0, :].sum(axis=1) / self.population.sum(), dtype=np.float64
        )

    def to_arrow(self) -> pa.Table:
        """Long table: run, day, district, incidence."""
        r, d, n = self.incidence.shape
        return pa.table(
            {
                "run": pa.array(np.repeat(np.arange(r, dtype=np.int32), d * n)),
                "day": pa.array(np.tile(np.repeat(np.arange(d, dtype=np.int32), n), r)),
                "district": pa.array(list(self.codes) * (d * r), pa.string()),
                "incidence": pa.array(self.incidence.ravel()),
            }
        )

    def summary(self, levels: tuple[float, float] = (0.025, 0.975)) -> dict[str, Any]:
        """Means and ``levels`` quantiles over runs (JSON-able)."""

        def band(x: NDArray[Any]) -> dict[str, Any]:
            lo, hi = np.quantile(x, levels, axis=0)
            return {"mean": np.mean(x, axis=0).tolist(), "lo": lo.tolist(), "hi": hi.tolist()}

        ar = self.attack_rate
        return {
            "model": "tau_leap",
            "runs": self.runs,
            "seed": self.seed,
            "days": self.days,
            "levels": list(levels),
            "peak_day": band(self.peak_day.astype(np.float64)),
            "peak_size": band(self.peak_size.astype(np.float64)),
            "attack_rate": band(self.total_attack_rate),
            "districts": [
                {
                    "code": code,
                    "population": int(self.population[i]),
                    "attack_rate": band(ar[:, i]),
                }
                for i, code in enumerate(self.codes)
            ],
            "daily_incidence": band(self.total_incidence.astype(np.float64)),
        }


def final_size(r0: float) -> float:
    """Attack rate ``z`` of ``z = 1 - exp(-r0 z)`` (0 for ``r0 <= 1``)."""
    if not (math.isfinite(r0) and r0 >= 0):
        raise ValueError(f"r0 must be >= 0, got {r0!r}")
    if r0 <= 1:
        return 0.0
    return float(1.0 + lambertw(-r0 * math.exp(-r0)).real / r0)


def growth_rate(r0: float, latent_period: float, infectious_period: float) -> float:
    """Initial growth rate ``r`` (per day) of the SEIR model: ``(r+σ)(r+γ) = R0 σ γ``."""
    if latent_period <= 0 or infectious_period <= 0:
        raise ValueError("latent_period and infectious_period must be > 0 days")
    s, g = 1.0 / latent_period, 1.0 / infectious_period
    return float((-(s + g) + math.sqrt((s - g) ** 2 + 4.0 * r0 * s * g)) / 2.0)


def force_of_infection(beta: float, mobility: F64, population: F64, infectious: F64) -> F64:
    """``λ_i = β Σ_j M_ij (Σ_k M_kj I_k) / (Σ_k M_kj N_k)``; ``infectious`` may be ``(..., n)``."""
    n_eff = population @ mobility
    i_eff = infectious @ mobility
    prev = np.divide(i_eff, n_eff, out=np.zeros_like(i_eff, dtype=np.float64), where=n_eff > 0)
    return np.asarray(beta * (prev @ mobility.T), dtype=np.float64)


def _initial(
    pop: Metapopulation, initial_infectious: ArrayLike, initial_exposed: ArrayLike | None
) -> tuple[I64, I64]:
    n = pop.size

    def as_counts(values: ArrayLike, name: str) -> I64:
        arr = np.asarray(values)
        if arr.shape != (n,):
            raise ValueError(
                f"{name} must have one value per district ({n}), got shape {arr.shape}"
            )
        if arr.dtype.kind == "f" and np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must be whole numbers of persons")
        out = arr.astype(np.int64)
        if np.any(out < 0):
            raise ValueError(f"{name} must be >= 0")
        return out

    i0 = as_counts(initial_infectious, "initial_infectious")
    e0 = as_counts(
        np.zeros(n, np.int64) if initial_exposed is None else initial_exposed, "initial_exposed"
    )
    if np.any(i0 + e0 > pop.population):
        raise ValueError("initial_infectious + initial_exposed must not exceed the population")
    return i0, e0


def _check_days(days: int) -> None:
    if not isinstance(days, int | np.integer) or days < 1:
        raise ValueError(f"days must be a whole number >= 1, got {days!r}")


def simulate_ode(
    pop: Metapopulation,
    params: SEIRParams,
    *,
    days: int,
    initial_infectious: ArrayLike,
    initial_exposed: ArrayLike | None = None,
    rtol: float = 1e-10,
    atol: float = 1e-9,
) -> MetapopResult:
    """Deterministic metapopulation SEIR (``solve_ivp``, DOP853).

    Parameters
    ----------
    pop : Metapopulation
    params : SEIRParams
    days : int
        Horizon; states are reported at days ``0 .. days``.
    initial_infectious, initial_exposed : array_like, shape (n,)
        Persons infectious / latent on day 0 in each district.
    rtol, atol : float
        Tolerances of the integrator (``atol`` in persons).

    Returns
    -------
    MetapopResult
    """
    _check_days(days)
    i0, e0 = _initial(pop, initial_infectious, initial_exposed)
    n = pop.size
    m = pop.coupled(params.coupling)
    npop = pop.population.astype(np.float64)
    beta, sigma, gamma = params.beta_per_day, params.sigma, params.gamma
    n_eff = npop @ m
    m_over = m / n_eff[None, :]  # M_kj / N^eff_j

    def rhs(_t: float, y: F64) -> F64:
        s, e, i = y[:n], y[n : 2 * n], y[2 * n : 3 * n]
        lam = beta * (m @ (i @ m_over))
        inf = lam * s
        out = np.empty_like(y)
        out[:n] = -inf
        out[n : 2 * n] = inf - sigma * e
        out[2 * n : 3 * n] = sigma * e - gamma * i
        out[3 * n : 4 * n] = gamma * i
        out[4 * n :] = inf
        return out

    y0 = np.concatenate(
        [npop - i0 - e0, e0.astype(np.float64), i0.astype(np.float64), np.zeros(n), np.zeros(n)]
    )
    t_eval = np.arange(days + 1, dtype=np.float64)
    sol = solve_ivp(
        rhs, (0.0, float(days)), y0, method="DOP853", t_eval=t_eval, rtol=rtol, atol=atol
    )
    if not sol.success:  # pragma: no cover - DOP853 on this smooth system
        raise RuntimeError(f"ODE integration failed: {sol.message}")
    y = sol.y.T
    cum = y[:, 4 * n :]
    return MetapopResult(
        codes=pop.codes,
        population=pop.population,
        S=y[:, :n],
        E=y[:, n : 2 * n],
        I=y[:, 2 * n : 3 * n],
        R=y[:, 3 * n : 4 * n],
        incidence=np.diff(cum, axis=0),
    )


@nb.njit(cache=True)
def _one_run(
    rng: np.random.Generator,
    m: F64,
    m_over: F64,
    s: I64,
    e: I64,
    i: I64,
    r: I64,
    beta: float,
    p_ei: float,
    p_ir: float,
    h: float,
    days: int,
    steps: int,
    incidence: I64,
) -> None:  # pragma: no cover - compiled by numba
    """Advance one run in place; ``incidence[d]`` gets the new infections of day ``d``.

    All three transitions of a step are drawn from the states at its start.
    """
    n = s.size
    prev = np.empty(n)
    lam = np.empty(n)
    for d in range(days):
        for _ in range(steps):
            for j in range(n):  # infectious share of the people present in j
                acc = 0.0
                for k in range(n):
                    acc += i[k] * m_over[k, j]
                prev[j] = acc
            for a in range(n):
                acc = 0.0
                for j in range(n):
                    acc += m[a, j] * prev[j]
                lam[a] = beta * acc
            for a in range(n):
                ne = 0
                if s[a] > 0 and lam[a] > 0:
                    ne = rng.binomial(s[a], -math.expm1(-lam[a] * h))
                ni = rng.binomial(e[a], p_ei) if e[a] > 0 else 0
                nr = rng.binomial(i[a], p_ir) if i[a] > 0 else 0
                s[a] -= ne
                e[a] += ne - ni
                i[a] += ni - nr
                r[a] += nr
                incidence[d, a] += ne


def simulate_tau_leap(
    pop: Metapopulation,
    params: SEIRParams,
    *,
    days: int,
    initial_infectious: ArrayLike,
    initial_exposed: ArrayLike | None = None,
    runs: int = 100,
    seed: int | None = None,
    steps_per_day: int = 4,
    on_progress: Progress | None = None,
) -> EnsembleResult:
    """Stochastic metapopulation SEIR by chain-binomial tau-leaping.

    Parameters
    ----------
    pop, params, days, initial_infectious, initial_exposed
        As :func:`simulate_ode`.
    runs : int
        Number of independent runs.
    seed : int, optional
        Seed of the ``SeedSequence`` the runs' generators are spawned from
        (``None``: fresh entropy, recorded nowhere).
    steps_per_day : int
        Tau-leap steps per day (``h = 1 / steps_per_day``).
    on_progress : callable, optional
        ``on_progress(done_runs, runs)`` after each run.

    Returns
    -------
    EnsembleResult
    """
    _check_days(days)
    if not isinstance(runs, int | np.integer) or runs < 1:
        raise ValueError(f"runs must be >= 1, got {runs!r}")
    if not isinstance(steps_per_day, int | np.integer) or steps_per_day < 1:
        raise ValueError(f"steps_per_day must be a whole number >= 1, got {steps_per_day!r}")
    if seed is not None and (not isinstance(seed, int | np.integer) or seed < 0):
        raise ValueError(f"seed must be a whole number >= 0, got {seed!r}")
    i0, e0 = _initial(pop, initial_infectious, initial_exposed)
    n = pop.size
    m = pop.coupled(params.coupling)
    n_eff = pop.population.astype(np.float64) @ m
    m_over = m / n_eff[None, :]
    h = 1.0 / steps_per_day
    p_ei = params.sigma * h
    p_ir = params.gamma * h
    if p_ei > 1 or p_ir > 1:
        raise ValueError(
            "steps_per_day must be >= 1 / latent_period and >= 1 / infectious_period "
            f"(got {steps_per_day} for periods {params.latent_period} and "
            f"{params.infectious_period})"
        )
    children = np.random.SeedSequence(seed).spawn(int(runs))
    incidence = np.zeros((runs, days, n), dtype=np.int64)
    final = np.zeros((runs, 4, n), dtype=np.int64)
    for k, child in enumerate(children):
        rng = np.random.default_rng(child)
        s = np.ascontiguousarray(pop.population - i0 - e0, dtype=np.int64)
        e, i, r = e0.copy(), i0.copy(), np.zeros(n, np.int64)
        _one_run(
            rng,
            m,
            m_over,
            s,
            e,
            i,
            r,
            float(params.beta_per_day),
            float(p_ei),
            float(p_ir),
            float(h),
            int(days),
            int(steps_per_day),
            incidence[k],
        )
        final[k] = np.stack([s, e, i, r])
        if on_progress is not None:
            on_progress(k + 1, int(runs))
    return EnsembleResult(
        codes=pop.codes, population=pop.population, incidence=incidence, final=final, seed=seed
    )


def commuting_mobility(
    home: ArrayLike,
    work: ArrayLike,
    population: ArrayLike,
    *,
    counts: ArrayLike | None = None,
    away_fraction: float = 1 / 3,
) -> F64:
    """Mobility matrix from commuters: ``M[i, j] = away_fraction · F[i, j] / N_i`` off the diagonal.

    ``home``/``work`` are district indices (``0 .. n-1``) of commuters' homes
    and workplaces or schools, one entry per commuter or, with ``counts``, per
    (home, work) pair with that many commuters; ``F[i, j]`` sums them.  A
    commuter spends ``away_fraction`` of the day (default 8 h of 24) at the
    workplace; the rest of each row goes on the diagonal.
    """
    pop = np.asarray(population, dtype=np.float64)
    n = pop.size
    h = np.asarray(home, dtype=np.int64)
    w = np.asarray(work, dtype=np.int64)
    if h.shape != w.shape or h.ndim != 1:
        raise ValueError("home and work must be vectors of the same length (one per commuter)")
    c = np.ones(h.size) if counts is None else np.asarray(counts, dtype=np.float64)
    if c.shape != h.shape or np.any(c < 0):
        raise ValueError("counts must be >= 0, one per (home, work) entry")
    if h.size and (h.min() < 0 or w.min() < 0 or h.max() >= n or w.max() >= n):
        raise ValueError(f"home and work must be district indices in 0..{n - 1}")
    if not 0 <= away_fraction <= 1:
        raise ValueError(f"away_fraction must be in [0, 1], got {away_fraction!r}")
    if np.any(pop <= 0):
        raise ValueError("population must be > 0 in every district")
    flows = np.zeros((n, n), dtype=np.float64)
    np.add.at(flows, (h, w), c)
    if np.any(flows.sum(axis=1) > pop):
        raise ValueError("more commuters than residents in a district")
    np.fill_diagonal(flows, 0.0)
    m = away_fraction * flows / pop[:, None]
    m[np.diag_indices(n)] = 1.0 - m.sum(axis=1)
    return np.asarray(m, dtype=np.float64)


def gravity_mobility(
    population: ArrayLike,
    lon: ArrayLike,
    lat: ArrayLike,
    *,
    travel_fraction: float = 0.1,
    exponent: float = 2.0,
    min_km: float = 1.0,
) -> F64:
    """Gravity-model mobility from centroids: ``F[i, j] ∝ N_j / d_ij^exponent`` (``j ≠ i``).

    Each district sends ``travel_fraction`` of its residents' time elsewhere,
    split over the other districts in proportion to ``N_j / d_ij^exponent``
    (great-circle distance in km, at least ``min_km``).
    """
    pop = np.asarray(population, dtype=np.float64)
    x = np.radians(np.asarray(lon, dtype=np.float64))
    y = np.radians(np.asarray(lat, dtype=np.float64))
    n = pop.size
    if x.shape != (n,) or y.shape != (n,):
        raise ValueError("lon and lat must have one value per district")
    if not (np.all(np.isfinite(x)) and np.all(np.isfinite(y))):
        raise ValueError("lon and lat must be known for every district")
    if not 0 <= travel_fraction < 1:
        raise ValueError(f"travel_fraction must be in [0, 1), got {travel_fraction!r}")
    if n == 1:
        return np.ones((1, 1))
    dlat = y[:, None] - y[None, :]
    dlon = x[:, None] - x[None, :]
    a = np.sin(dlat / 2) ** 2 + np.cos(y[:, None]) * np.cos(y[None, :]) * np.sin(dlon / 2) ** 2
    dist = np.maximum(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1))), min_km)
    weight = pop[None, :] / dist**exponent
    np.fill_diagonal(weight, 0.0)
    m = travel_fraction * weight / weight.sum(axis=1, keepdims=True)
    m[np.diag_indices(n)] = 1.0 - travel_fraction
    return np.asarray(m, dtype=np.float64)
