"""Farrington-type outbreak detection for weekly counts (Farrington 1996, Noufaily 2013).

For every monitored week ``t`` a log-linear quasi-Poisson GLM fitted to the
weeks around ``t`` in the ``b`` previous years predicts the count at ``t``; the
week alarms when its count exceeds an upper bound of the predictive
distribution.  The steps follow R ``surveillance::farringtonFlexible`` (1.26.0):

1. **Reference weeks**: the same date 1..b years back, moved to the nearest
   date with ``t``'s weekday; all must exist in the series.
2. **Data**: ``no_periods = 1``: the ``2w+1`` weeks around each reference week
   (Farrington et al. 1996); ``no_periods = p > 1``: every week from the oldest
   window on, with a ``p``-level seasonal factor (``p`` = reference windows,
   ``1..p-1`` = near-equal blocks between them; Noufaily et al. 2013).  ``t``
   and the ``past_weeks_not_included`` weeks before it are left out.
3. **Fit**: IRLS as R ``glm.fit`` (start ``y + 0.1``, relative deviance change
   < 1e-8, at most 25 iterations), ``log μ = α + β·week (+ factor)``,
   ``φ = max(1, Pearson χ²/df)``.  Every fit of every series and week runs in
   one numba kernel that exploits the design's arrow structure
   (:mod:`._farrington_glm`): O(n) per IRLS step instead of a dense solve.
4. **Re-weighting**: Anscombe residuals ``s_i = 3/2 (y^{2/3} μ^{-1/6} - μ^{1/2})
   / sqrt(φ (1 - h_ii))``; weight ``γ s_i⁻²`` if ``s_i > weights_threshold``,
   else ``γ`` (``Σ weights = n``); refit.
5. **Trend** kept if its t-test p-value < ``p_threshold_trend``, ``b >= 3`` and
   the prediction does not exceed the largest baseline count; else 3-4 again
   without it.
6. **Bound**: ``"delta"`` (Farrington): ``U = (μ₀^e + z σ_e)^{1/e}`` with
   ``τ = φ + var(μ̂₀)/μ₀``, ``σ_e² = μ₀τ``, ``τ/4`` or ``4/9 μ₀^{1/3} τ`` for
   ``e = 1, 1/2, 2/3``, ``z = Φ⁻¹(1 - alpha)``; ``"nbPlugin"``/``"muan"``
   (Noufaily): the ``1 - alpha`` quantile of a negative binomial with mean
   ``m`` and variance ``φm`` (Poisson if ``φ = 1``), ``m = exp(η̂₀)`` or
   ``exp(η̂₀ + z se(η̂₀))``.
7. **Alarm**: score ``(y - f)/(U - f) > 1`` (``f`` = the prediction on the
   method's scale: mean for ``"delta"``, linear predictor otherwise, as R),
   ``y > 0``, and at least ``limit54[0]`` cases in the last ``limit54[1]`` weeks
   (else no bound is reported).

The original ``algo.farrington`` corresponds to ``no_periods=1``,
``weights_threshold=1`` and a two-sided interval (``alpha`` halved).

References
----------
.. [1] Farrington CP, Andrews NJ, Beale AD, Catchpole MA. A statistical
   algorithm for the early detection of outbreaks of infectious disease.
   J R Stat Soc A 1996;159(3):547-563.
.. [2] Noufaily A, Enki DG, Farrington P, Garthwaite P, Andrews N, Charlett A.
   An improved algorithm for outbreak detection in multiple surveillance
   systems. Stat Med 2013;32(7):1206-1222.
.. [3] Salmon M, Schumacher D, Höhle M. Monitoring count time series in R:
   aberration detection in public health surveillance. J Stat Softw
   2016;70(10).  (R ``surveillance::farringtonFlexible``.)
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ._farrington_glm import OUT_FIELDS, empty_out, fit_all
from ._nssp import run_rows
from .base import DetectionResult, as_dates, as_matrix
from .nbinom import nbinom_quantile

__all__ = [
    "NOUFAILY_DEFAULTS",
    "anscombe_residuals",
    "assign_weights",
    "farrington_flexible",
    "noufaily",
    "reference_time_points",
    "seasonal_blocks",
    "threshold_delta",
    "threshold_noufaily",
]

FloatArray = NDArray[np.float64]
PowerTrans = Literal["none", "1/2", "2/3"]
ThresholdMethod = Literal["delta", "nbPlugin", "muan"]
_EXPONENT: dict[str, float] = {"none": 1.0, "1/2": 0.5, "2/3": 2.0 / 3.0}
_FREQ = 52

#: The Noufaily et al. (2013) settings that differ from ``farrington_flexible``'s defaults.
NOUFAILY_DEFAULTS: dict[str, Any] = {
    "no_periods": 10,
    "past_weeks_not_included": 26,
    "threshold_method": "nbPlugin",
    "weights_threshold": 2.58,
}


# --------------------------------------------------------------------------- helpers


def assign_weights(s: ArrayLike, weights_threshold: float = 2.58) -> FloatArray:
    """Re-weighting of baseline weeks by their Anscombe residuals (last axis = weeks).

    ``ω_i = γ s_i⁻²`` where ``s_i > weights_threshold`` and ``γ`` elsewhere, with
    ``γ = n / Σ_i (s_i⁻² if s_i > threshold else 1)`` so that ``Σ ω_i = n``.

    References
    ----------
    Farrington et al. (1996), §3.3; R ``algo.farrington.assign.weights``.
    """
    s = np.asarray(s, dtype=np.float64)
    with np.errstate(divide="ignore"):
        terms = np.where(s > weights_threshold, s**-2.0, 1.0)
    gamma = s.shape[-1] / terms.sum(axis=-1, keepdims=True)
    return np.asarray(gamma * terms, dtype=np.float64)


def anscombe_residuals(y: ArrayLike, mu: ArrayLike, hat: ArrayLike, phi: ArrayLike) -> FloatArray:
    """Standardised Anscombe residuals of a quasi-Poisson fit.

    ``s_i = 3/2 (y_i^{2/3} μ_i^{-1/6} - μ_i^{1/2}) / sqrt(φ (1 - h_ii))``
    (Farrington et al. 1996, §3.3; R ``anscombe.residuals``).
    """
    y, mu, hat = (np.asarray(a, dtype=np.float64) for a in (y, mu, hat))
    phi = np.asarray(phi, dtype=np.float64)
    raw = 1.5 * (y ** (2.0 / 3.0) * mu ** (-1.0 / 6.0) - np.sqrt(mu))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(raw / np.sqrt(phi * (1.0 - hat)), dtype=np.float64)


def _check_alpha(alpha: float) -> float:
    if not 0.0 < float(alpha) < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    return float(alpha)


def threshold_delta(
    pred_fit: ArrayLike,
    pred_se_fit: ArrayLike,
    phi: ArrayLike,
    powertrans: str,
    alpha: float,
    y: ArrayLike,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Farrington's one-sided prediction bound by the delta method on a power scale.

    Parameters
    ----------
    pred_fit, pred_se_fit, phi, y : array_like
        Predicted mean ``μ₀ > 0``, its standard error, dispersion, observed count.
    powertrans : {"none", "1/2", "2/3"}
        Power transform of the counts (2/3 corrects skewness).
    alpha : float
        ``z = Φ⁻¹(1 - alpha)``, in (0, 1).

    Returns
    -------
    lower, upper, prob, score : ndarray
        Bounds (lower truncated at 0), upper-tail probability of ``y`` on the
        transformed normal scale, and ``(y - μ₀)/(upper - μ₀)``.

    References
    ----------
    Farrington et al. (1996), §3.4; R ``algo.farrington.threshold.farrington``.
    """
    if powertrans not in _EXPONENT:
        raise ValueError(
            f"powertrans must be 'none', '1/2' or '2/3' (no proper exponent), got {powertrans!r}"
        )
    z = float(stats.norm.ppf(1.0 - _check_alpha(alpha)))
    mu0, se_fit, ph, yy = (np.asarray(a, dtype=np.float64) for a in (pred_fit, pred_se_fit, phi, y))
    e = _EXPONENT[powertrans]
    tau = ph + se_fit**2 / mu0
    if powertrans == "none":
        se = np.sqrt(mu0 * tau)
    elif powertrans == "1/2":
        se = np.sqrt(tau / 4.0)
    else:
        se = np.sqrt(4.0 / 9.0 * mu0 ** (1.0 / 3.0) * tau)
    with np.errstate(invalid="ignore"):
        a = (mu0**e - z * se) ** (1.0 / e)  # NaN for a negative base with 1/e = 3/2, as R
        b = (mu0**e + z * se) ** (1.0 / e)
    upper = np.where(np.isnan(a), b, np.fmax(a, b))
    lower = np.where(np.isnan(a), 0.0, np.maximum(0.0, np.fmin(a, b)))
    prob = stats.norm.sf(yy**e, loc=mu0**e, scale=se)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (yy - mu0) / (upper - mu0)
    return lower, upper, np.asarray(prob, dtype=np.float64), score


def threshold_noufaily(
    pred_fit: ArrayLike,
    pred_se_fit: ArrayLike,
    phi: ArrayLike,
    alpha: float,
    y: ArrayLike,
    method: Literal["nbPlugin", "muan"] = "nbPlugin",
    *,
    want_lower: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Noufaily et al.'s negative-binomial quantile bounds from the linear predictor.

    Parameters
    ----------
    pred_fit, pred_se_fit, phi, y : array_like
        Linear predictor ``η̂₀`` (log scale), its standard error, dispersion
        (>= 1; ``φ = 1`` gives Poisson quantiles), observed count.
    alpha : float
        Bounds are the ``alpha`` and ``1 - alpha`` quantiles, in (0, 1).
    method : {"nbPlugin", "muan"}
        Mean ``exp(η̂₀)`` (plug-in) or ``exp(η̂₀ + z·se)`` (upper quantile of the mean).
    want_lower : bool, default True
        Compute the lower bound (NaN when False: the detector only needs the upper).

    Returns
    -------
    lower, upper, prob, score : ndarray
        NB(size ``m/(φ-1)``, prob ``1/φ``) quantiles, ``P(Y >= y)``, and
        ``(y - η̂₀)/(upper - η̂₀)`` (R computes the score with the log-scale prediction).

    References
    ----------
    Noufaily et al. (2013), §3.4; R ``algo.farrington.threshold.noufaily``.
    """
    if method not in ("nbPlugin", "muan"):
        raise ValueError(f"method must be 'nbPlugin' or 'muan', got {method!r}")
    a = _check_alpha(alpha)
    eta, se, ph, yy = np.broadcast_arrays(
        *(np.asarray(v, dtype=np.float64) for v in (pred_fit, pred_se_fit, phi, y))
    )
    with np.errstate(over="ignore"):
        m = np.exp(eta) if method == "nbPlugin" else np.exp(stats.norm.ppf(1.0 - a, eta, se))
    ok = np.isfinite(m)
    nb = ok & (ph > 1.0)
    po = ok & ~nb
    size, p = m[nb] / (ph[nb] - 1.0), 1.0 / ph[nb]
    lam = m[po]
    lower, upper, prob = (np.full(eta.shape, np.nan) for _ in range(3))
    # each distribution only where it applies (the quantiles are the costly part)
    # NB(size, prob 1/φ) has mean m: nbinom_quantile is SciPy's ppf, faster
    if want_lower:
        lower[nb] = np.maximum(0.0, nbinom_quantile(a, size, m[nb]))
        lower[po] = np.maximum(0.0, stats.poisson.ppf(a, lam))
    upper[nb] = nbinom_quantile(1.0 - a, size, m[nb])
    upper[po] = stats.poisson.ppf(1.0 - a, lam)
    prob[nb] = stats.nbinom.sf(yy[nb] - 1, size, p)
    prob[po] = stats.poisson.sf(yy[po] - 1, lam)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = (yy - eta) / (upper - eta)
    return lower, upper, prob, score


def _years_back(day: dt.date, years: int) -> dt.date:
    """``day`` minus ``years`` calendar years; 29 February becomes 1 March, as R's seq.Date."""
    try:
        return day.replace(year=day.year - years)
    except ValueError:
        return dt.date(day.year - years, 3, 1)


def reference_time_points(day: np.datetime64 | int, b: int, freq: int = _FREQ) -> NDArray[Any]:
    """The time point ``day`` and the same point 1..b years back (``b + 1`` values).

    For a date (weekly data) each year-lagged date is moved to the nearest date
    with the same weekday as ``day`` (ties: the earlier candidate).  For an
    integer index it is ``day - i·freq``, which may be < 1.

    References
    ----------
    R ``algo.farrington.referencetimepoints``.
    """
    if isinstance(day, int | np.integer):
        return np.asarray(int(day) - freq * np.arange(b + 1), dtype=np.int64)
    d0: dt.date = np.asarray(day, dtype="datetime64[D]").item()
    out = []
    for i in range(b + 1):
        ref = _years_back(d0, i)
        a = ref - dt.timedelta(days=(ref.isoweekday() % 7) - (d0.isoweekday() % 7))
        other = a + dt.timedelta(days=-7 if a > ref else 7)
        out.append(other if abs((a - ref).days) > abs((other - ref).days) else a)
    return np.asarray(out, dtype="datetime64[D]")


def seasonal_blocks(
    reference_points: ArrayLike, dates: ArrayLike, day: ArrayLike, b: int, w: int, no_periods: int
) -> FloatArray:
    """Seasonal factor level of every time point (NaN = not used), as R ``blocks``.

    Level ``no_periods`` marks the current window ``[t-w, t]`` and the windows
    ``[r-w, r+w]`` around the ``b`` reference points ``r``; with ``no_periods > 1``
    the gap between consecutive windows is split into ``no_periods - 1`` blocks
    of near-equal length (the first ones one longer), labelled ``1..no_periods-1``.

    Raises
    ------
    ValueError
        If a gap is too short for the number of levels.
    """
    dd = np.asarray(dates)
    idx = np.nonzero(np.isin(dd, np.asarray(reference_points)))[0][::-1]
    at = np.nonzero(dd == np.asarray(day))[0]
    if at.size != 1 or idx.size < b + 1:
        raise ValueError("Some reference time points did not exist in dates")
    now = int(at[0])
    p = no_periods
    f = np.full(len(dd), np.nan)
    f[max(now - w, 0) : now + 1] = p
    for i in range(1, b + 1):
        ref = int(idx[i])
        f[max(ref - w, 0) : ref + w + 1] = p
        if p != 1:
            period = int(idx[i - 1]) - 2 * w - 1 - ref
            if period < p - (2 * w + 1):
                raise ValueError(f"no_periods={p} is too big for the gap between windows")
            lengths = np.full(p - 1, period // (p - 1))
            lengths[: period % (p - 1)] += 1
            edges = ref + w + 1 + np.concatenate(([0], np.cumsum(lengths)))
            for j in range(p - 1):
                f[edges[j] : edges[j + 1]] = j + 1
    return f


# --------------------------------------------------------------------------- designs


@dataclass(frozen=True)
class _Layout:
    """The monitored weeks' data selections, concatenated (shared by all series).

    Week ``steps[k]`` fits the weeks ``used[ptr[k]:ptr[k+1]]``; ``lev`` numbers
    their seasonal level (0 = lowest label present), ``t`` is the week index
    centred on its mean (``t0[k]`` at the monitored week, which has level
    ``p_lev[k]``); ``n_lev[k]`` levels are present.  Centring changes only the
    intercepts, not the fits, slope or predictions.
    """

    steps: NDArray[np.int64]
    ptr: NDArray[np.int64]
    used: NDArray[np.int64]
    lev: NDArray[np.int64]
    t: FloatArray
    t0: FloatArray
    n_lev: NDArray[np.int64]
    p_lev: NDArray[np.int64]


def _layout(
    d: NDArray[np.datetime64],
    steps: NDArray[np.int64],
    b: int,
    w: int,
    no_periods: int,
    past_excluded: int,
    strict: bool,
) -> _Layout:
    """Designs of every week in ``steps`` that can be fitted (all, or raise, if ``strict``)."""
    step = float((d[1] - d[0]).astype(np.int64)) if d.size > 1 else 7.0
    kept: list[int] = []
    used_l: list[NDArray[np.int64]] = []
    lev_l: list[NDArray[np.int64]] = []
    t_l: list[FloatArray] = []
    t0_l: list[float] = []
    n_lev_l: list[int] = []
    p_lev_l: list[int] = []
    for k in (int(v) for v in steps):
        refs = reference_time_points(d[k], b)
        if not np.isin(refs, d).all():
            if strict:
                raise ValueError(
                    f"Some reference time points did not exist for week {k}; "
                    "decrease b or monitor later weeks"
                )
            continue
        blocks = seasonal_blocks(refs, d, d[k], b, w, no_periods)
        keep = blocks.copy()
        keep[max(k - past_excluded, 0) : k + 1] = np.nan
        used = np.nonzero(~np.isnan(keep))[0]
        if used.size == 0:
            continue
        levels, lev = np.unique(blocks[used], return_inverse=True)
        at = np.nonzero(levels == float(no_periods))[0]
        if at.size == 0:  # the reference windows' level is not among the fitted weeks
            continue
        wtime = (d[used] - d[used[0]]).astype(np.int64) / step
        wtime0 = float((d[k] - d[used[0]]).astype(np.int64)) / step
        centre = wtime.mean()
        kept.append(k)
        used_l.append(used.astype(np.int64))
        lev_l.append(lev.astype(np.int64))
        t_l.append(wtime - centre)
        t0_l.append(wtime0 - centre)
        n_lev_l.append(int(levels.size))
        p_lev_l.append(int(at[0]))
    sizes = np.array([u.size for u in used_l], dtype=np.int64)

    def cat(parts: list[Any], dt: type) -> NDArray[Any]:
        return np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)

    return _Layout(
        steps=np.asarray(kept, dtype=np.int64),
        ptr=np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
        used=cat(used_l, np.int64),
        lev=cat(lev_l, np.int64),
        t=cat(t_l, np.float64),
        t0=np.asarray(t0_l, dtype=np.float64),
        n_lev=np.asarray(n_lev_l, dtype=np.int64),
        p_lev=np.asarray(p_lev_l, dtype=np.int64),
    )


def _linkinv(eta: FloatArray) -> FloatArray:
    """R's log-link inverse ``max(exp(η), machine ε)``."""
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(eta), float(np.finfo(np.float64).eps))


def _is_int(v: object) -> bool:
    return isinstance(v, int | np.integer) and not isinstance(v, bool)


def farrington_flexible(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    b: int = 5,
    w: int = 3,
    reweight: bool = True,
    weights_threshold: float = 2.58,
    alpha: float = 0.05,
    trend: bool = True,
    p_threshold_trend: float = 0.05,
    limit54: tuple[int, int] = (5, 4),
    powertrans: PowerTrans = "2/3",
    no_periods: int = 1,
    past_weeks_not_included: int | None = None,
    threshold_method: ThresholdMethod = "delta",
    population: ArrayLike | None = None,
    monitor: ArrayLike | None = None,
) -> DetectionResult:
    """Farrington / Noufaily detection for weekly counts, as R ``farringtonFlexible``.

    Parameters
    ----------
    counts : array_like, shape (n_series, T) or (T,)
        Non-negative weekly counts.
    dates : array_like of datetime64[D], shape (T,)
        Consecutive weeks (7 days apart).
    b : int, default 5
        Years back in time for the baseline (>= 1).
    w : int, default 3
        Half-width of the window around each reference week (>= 0).
    reweight : bool, default True
        Down-weight past outbreaks by Anscombe residuals.
    weights_threshold : float, default 2.58
        Residual above which a week is down-weighted (1 in Farrington 1996,
        2.58 in Noufaily et al. 2013).
    alpha : float, default 0.05
        One-sided level of the bound, in (0, 1).
    trend : bool, default True
        Try a linear time trend.
    p_threshold_trend : float, default 0.05
        The trend is kept only if its p-value is below this (in [0, 1]).
    limit54 : (int, int), default (5, 4)
        No alarm (and no bound) unless at least ``limit54[0]`` cases (>= 0) in the
        last ``limit54[1]`` weeks (> 0) including the current one.
    powertrans : {"2/3", "1/2", "none"}, default "2/3"
        Power transform of the ``"delta"`` bound.
    no_periods : int, default 1
        Levels of the seasonal factor (1 = Farrington's windows only; 10 in Noufaily).
    past_weeks_not_included : int, optional
        Weeks before the current one left out of the fit (>= 0); default ``w``
        (26 in Noufaily).
    threshold_method : {"delta", "nbPlugin", "muan"}, default "delta"
        Farrington's delta-method bound or Noufaily's negative-binomial quantile.
    population : array_like, optional
        Population (> 0), ``(T,)`` or ``(n_series, T)``; when given, ``log(population)``
        is an offset of the GLM (R ``populationOffset = TRUE``).
    monitor : array_like of int, optional
        0-based indices of the weeks to evaluate.  Default: every week from
        ``52 b + w`` on whose reference weeks all exist.

    Returns
    -------
    DetectionResult
        ``statistic`` = exceedance score, ``threshold`` = upper bound (NaN where
        ``limit54`` is not met, as R), ``p_value`` = upper-tail probability of
        the count under the predictive distribution, ``alarm`` as R,
        ``evaluated`` = weeks with a fitted model.

    Raises
    ------
    ValueError
        Bad counts, dates or population; a parameter out of range; fewer than
        ``52 b + w + 1`` weeks; or a ``monitor`` week whose reference weeks are
        not all in the series ("Some reference time points did not exist").

    References
    ----------
    Farrington et al. (1996); Noufaily et al. (2013); R ``farringtonFlexible``.
    See the module docstring for the steps.
    """
    for name, v, low in (("b", b, 1), ("w", w, 0), ("no_periods", no_periods, 1)):
        if not _is_int(v) or int(v) < low:
            raise ValueError(f"{name} must be an int >= {low}, got {v!r}")
    pwni = w if past_weeks_not_included is None else past_weeks_not_included
    if not _is_int(pwni) or pwni < 0:
        raise ValueError(f"past_weeks_not_included must be an int >= 0, got {pwni!r}")
    _check_alpha(alpha)
    if not 0.0 <= p_threshold_trend <= 1.0:
        raise ValueError(f"p_threshold_trend must be in [0, 1], got {p_threshold_trend}")
    if not np.isfinite(weights_threshold):
        raise ValueError("weights_threshold must be finite")
    if len(limit54) != 2 or not (limit54[0] >= 0 and limit54[1] > 0):
        raise ValueError(f"limit54 must be (cases >= 0, period > 0), got {limit54!r}")
    if powertrans not in _EXPONENT:
        raise ValueError(f"powertrans must be 'none', '1/2' or '2/3', got {powertrans!r}")
    if threshold_method not in ("delta", "nbPlugin", "muan"):
        raise ValueError(
            f"threshold_method must be 'delta', 'nbPlugin' or 'muan', got {threshold_method!r}"
        )
    y_all = as_matrix(counts)
    n_s, length = y_all.shape
    d = as_dates(dates, length, step_days=7)
    first = _FREQ * b + w
    if monitor is None and length <= first:
        raise ValueError(
            f"counts too short: T={length} weeks, needs at least 52*b + w + 1 = {first + 1}"
        )
    if population is None:
        log_pop = np.zeros((n_s, length))
    else:
        pop = np.broadcast_to(np.asarray(population, dtype=np.float64), (n_s, length))
        if not np.isfinite(pop).all() or (pop <= 0).any():
            raise ValueError("population must be finite and > 0")
        log_pop = np.log(pop)
    if monitor is None:
        steps = np.arange(first, length)
        strict = False
    else:
        steps = np.asarray(monitor).ravel()
        if steps.size and not np.issubdtype(steps.dtype, np.integer):
            raise ValueError(f"monitor must hold integer indices, got dtype {steps.dtype}")
        if ((steps < 0) | (steps >= length)).any():
            raise ValueError(f"monitor indices must be in [0, {length - 1}]")
        strict = True
    shape = (n_s, length)
    score, upper, prob = (np.full(shape, np.nan) for _ in range(3))
    evaluated = np.zeros(shape, dtype=bool)
    alarm = np.zeros(shape, dtype=bool)
    lay = _layout(d, steps.astype(np.int64), b, w, no_periods, pwni, strict)
    if lay.steps.size == 0:
        return DetectionResult(
            statistic=score, threshold=upper, p_value=prob, alarm=alarm, evaluated=evaluated
        )
    res = empty_out(n_s, lay.steps.size)
    y_c = np.ascontiguousarray(y_all)
    lp_c = np.ascontiguousarray(log_pop)

    # the trend is only ever kept with b >= 3 (R), so its fits are skipped otherwise
    use_trend = bool(trend) and b >= 3

    def part(r: slice) -> None:
        fit_all(
            y_c[r], lp_c[r], lay.steps, lay.ptr, lay.used, lay.lev, lay.t, lay.n_lev,
            lay.p_lev, lay.t0, use_trend, bool(reweight), float(weights_threshold), res[:, r],
        )  # fmt: skip

    run_rows(part, n_s)
    f = dict(zip(OUT_FIELDS, res, strict=True))
    if use_trend:
        with np.errstate(invalid="ignore"):
            p_val = 2.0 * stats.t.sf(np.abs(f["trend_t"]), f["trend_df"])
        keep = (f["trend_ok"] == 1.0) & (p_val < p_threshold_trend) & (f["trend_within"] == 1.0)
    else:
        keep = np.zeros(res.shape[1:], dtype=bool)
    flat_ok = f["flat_ok"] == 1.0
    eta = np.where(keep, f["trend_eta"], np.where(flat_ok, f["flat_eta"], np.nan))
    se = np.where(keep, f["trend_se"], np.where(flat_ok, f["flat_se"], np.nan))
    phi = np.where(keep, f["trend_phi"], np.where(flat_ok, f["flat_phi"], np.nan))
    good = np.isfinite(eta) & np.isfinite(se) & np.isfinite(phi)
    ks = lay.steps
    yk = y_all[:, ks]
    if threshold_method == "delta":
        mu0 = _linkinv(eta)
        _, up, pr, sc = threshold_delta(mu0, se * mu0, phi, powertrans, alpha, yk)
    else:
        _, up, pr, sc = threshold_noufaily(
            eta, se, phi, alpha, yk, threshold_method, want_lower=False
        )
    recent = np.zeros(yk.shape)
    for lag in range(limit54[1]):  # cases in the last limit54[1] weeks, this one included
        back = ks - lag
        recent += np.where(back >= 0, y_all[:, np.maximum(back, 0)], 0.0)
    enough = recent >= limit54[0]
    evaluated[:, ks] = good
    score[:, ks] = np.where(good, sc, np.nan)
    prob[:, ks] = np.where(good, pr, np.nan)
    upper[:, ks] = np.where(good & enough, up, np.nan)
    alarm[:, ks] = good & enough & (np.nan_to_num(sc, nan=-np.inf) > 1.0) & (yk != 0)
    return DetectionResult(
        statistic=score, threshold=upper, p_value=prob, alarm=alarm, evaluated=evaluated
    )


def noufaily(counts: ArrayLike, dates: ArrayLike, **overrides: Any) -> DetectionResult:
    """:func:`farrington_flexible` with the settings of Noufaily et al. (2013).

    ``no_periods=10``, ``past_weeks_not_included=26``, ``threshold_method="nbPlugin"``,
    ``weights_threshold=2.58`` (see :data:`NOUFAILY_DEFAULTS`); any keyword of
    :func:`farrington_flexible` overrides them.

    References
    ----------
    Noufaily A et al. An improved algorithm for outbreak detection in multiple
    surveillance systems. Stat Med 2013;32(7):1206-1222.
    """
    return farrington_flexible(counts, dates, **{**NOUFAILY_DEFAULTS, **overrides})
