"""Oracle: the dense-design Farrington fit (one IRLS over all series per week).

This is the straightforward implementation (explicit design matrices
``[1, week, dummies]``, ``numpy.linalg.inv``) that
:mod:`epicontrol.core.surveillance.farrington` replaced by the arrow-structured
numba kernel; the tests require both to give the same results.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from epicontrol.core.surveillance.base import DetectionResult, as_dates, as_matrix
from epicontrol.core.surveillance.farrington import (
    _EXPONENT,
    _FREQ,
    PowerTrans,
    ThresholdMethod,
    _check_alpha,
    _is_int,
    anscombe_residuals,
    assign_weights,
    reference_time_points,
    seasonal_blocks,
    threshold_delta,
    threshold_noufaily,
)

FloatArray = NDArray[np.float64]


# --------------------------------------------------------------------------- GLM


@dataclass(frozen=True)
class _Fit:
    """Quasi-Poisson fits of many series on one design (rows = series)."""

    beta: FloatArray  # (S, p)
    cov: FloatArray  # (S, p, p) unscaled covariance (X'WX)⁻¹ of the last IRLS step
    mu: FloatArray  # (S, n) fitted means
    hat: FloatArray  # (S, n) leverages
    disp: FloatArray  # (S,) Pearson dispersion (summary.glm), NaN if df = 0
    df: FloatArray  # (S,) residual degrees of freedom
    converged: NDArray[np.bool_]  # (S,)


_EPS = float(np.finfo(np.float64).eps)


def _linkinv(eta: FloatArray) -> FloatArray:
    """R's log-link inverse ``max(exp(η), machine ε)`` (also its derivative)."""
    with np.errstate(over="ignore"):
        return np.maximum(np.exp(eta), _EPS)


def _deviance(y: FloatArray, mu: FloatArray, prior: FloatArray) -> FloatArray:
    """Poisson deviance of each row."""
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(y > 0, y * np.log(y / mu), 0.0)
    return np.asarray(2.0 * (prior * (t - (y - mu))).sum(axis=1), dtype=np.float64)


def _irls(x: FloatArray, y: FloatArray, prior: FloatArray, offset: FloatArray) -> _Fit:
    """Poisson log-link IRLS of every row of ``y`` (and of ``offset``) on ``x``, as R ``glm.fit``.

    Start ``μ = y + 0.1``; stop when ``|D - D_old| / (|D| + 0.1) < 1e-8`` (at most
    25 iterations); ``μ = max(exp(η), ε)`` as R's log link.  As in R, the weights,
    covariance and leverages are those of the last weighted least-squares step and
    the residuals use the final ``μ``.
    """
    n_s, n = y.shape
    p = x.shape[1]
    outer = (x[:, :, None] * x[:, None, :]).reshape(n, p * p)  # row i: x_i x_iᵀ
    mu = y + 0.1
    eta = np.log(mu)
    dev_old = _deviance(y, mu, prior)
    beta = np.zeros((n_s, p))
    cov = np.full((n_s, p, p), np.nan)
    w_last = prior * mu
    active = np.ones(n_s, dtype=bool)
    converged = np.zeros(n_s, dtype=bool)
    for _ in range(25):
        a = np.nonzero(active)[0]
        w = prior[a] * mu[a]
        z = eta[a] - offset[a] + (y[a] - mu[a]) / mu[a]
        xtwx = (w @ outer).reshape(a.size, p, p)
        try:
            inv = np.linalg.inv(xtwx)
        except np.linalg.LinAlgError:
            inv = np.linalg.pinv(xtwx)
        b_new = np.einsum("sij,sj->si", inv, (w * z) @ x)
        eta_new = b_new @ x.T + offset[a]
        mu_new = _linkinv(eta_new)
        dev = _deviance(y[a], mu_new, prior[a])
        beta[a], cov[a], w_last[a], eta[a], mu[a] = b_new, inv, w, eta_new, mu_new
        done = np.abs(dev - dev_old[a]) / (np.abs(dev) + 0.1) < 1e-8
        bad = ~np.isfinite(dev)
        dev_old[a] = dev
        converged[a[done]] = True
        active[a[done | bad]] = False
        if not active.any():
            break
    hat = w_last * (cov.reshape(n_s, p * p) @ outer.T)
    n_ok = (prior > 0).sum(axis=1)
    df = (n_ok - p).astype(np.float64)
    pearson = np.where(prior > 0, w_last * ((y - mu) / mu) ** 2, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        disp = np.where(df > 0, pearson / df, np.nan)
    return _Fit(beta, cov, mu, hat, disp, df, converged)


def _fit_reweighted(
    x: FloatArray, y: FloatArray, offset: FloatArray, reweight: bool, threshold: float
) -> tuple[_Fit, FloatArray, NDArray[np.bool_]]:
    """R ``algo.farrington.fitGLM.flexible`` without the trend fallback.

    Returns the final fit, ``φ = max(1, dispersion)`` and whether the first fit converged.
    """
    first = _irls(x, y, np.ones_like(y), offset)
    phi = np.fmax(first.disp, 1.0)
    if not reweight:
        return first, phi, first.converged
    s = anscombe_residuals(y, first.mu, first.hat, phi[:, None])
    final = _irls(x, y, assign_weights(s, threshold), offset)
    return final, np.fmax(final.disp, 1.0), first.converged


def _predict(fit: _Fit, x0: FloatArray, offset0: FloatArray) -> tuple[FloatArray, FloatArray]:
    """Linear predictor at ``x0`` and its standard error (scaled by the fit's dispersion)."""
    eta = fit.beta @ x0 + offset0
    var = np.einsum("i,sij,j->s", x0, fit.cov, x0) * fit.disp
    return eta, np.sqrt(var)


@dataclass(frozen=True)
class _StepDesign:
    """Data selection and design matrices of one monitored week (shared by all series)."""

    used: NDArray[np.intp]
    x_trend: FloatArray
    x_flat: FloatArray
    x0_trend: FloatArray
    x0_flat: FloatArray


def _step_design(
    dates: NDArray[np.datetime64], k: int, b: int, w: int, no_periods: int, past_excluded: int
) -> _StepDesign | None:
    """Design of week ``k``; ``None`` if a reference week is missing from ``dates``."""
    refs = reference_time_points(dates[k], b)
    if not np.isin(refs, dates).all():
        return None
    blocks = seasonal_blocks(refs, dates, dates[k], b, w, no_periods)
    keep = blocks.copy()
    keep[max(k - past_excluded, 0) : k + 1] = np.nan
    used = np.nonzero(~np.isnan(keep))[0]
    if used.size == 0:
        return None
    step = float((dates[1] - dates[0]).astype(np.int64))
    wtime = (dates[used] - dates[used[0]]).astype(np.int64) / step
    wtime0 = float((dates[k] - dates[used[0]]).astype(np.int64)) / step
    # centring changes only the intercept (not fits, slope or predictions) and the rounding
    centre = wtime.mean()
    wtime, wtime0 = wtime - centre, wtime0 - centre
    levels = np.unique(blocks[used])
    if no_periods != 1 and float(no_periods) not in levels:
        return None
    dummies = (blocks[used][:, None] == levels[None, 1:]).astype(np.float64)
    d0 = (levels[1:] == no_periods).astype(np.float64)
    ones = np.ones((used.size, 1))
    x_flat = np.hstack([ones, dummies])
    x_trend = np.hstack([ones, wtime[:, None], dummies])
    return _StepDesign(
        used=used,
        x_trend=x_trend,
        x_flat=x_flat,
        x0_trend=np.concatenate(([1.0, wtime0], d0)),
        x0_flat=np.concatenate(([1.0], d0)),
    )


def farrington_dense(
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
    for k in steps:
        design = _step_design(d, int(k), b, w, no_periods, pwni)
        if design is None:
            if strict:
                raise ValueError(
                    f"Some reference time points did not exist for week {k}; "
                    "decrease b or monitor later weeks"
                )
            continue
        y = y_all[:, design.used]
        off = log_pop[:, design.used]
        off0 = log_pop[:, k]
        eta, se, phi = (np.full(n_s, np.nan) for _ in range(3))
        flat = np.ones(n_s, dtype=bool)
        if trend:
            fit, ph, ok = _fit_reweighted(design.x_trend, y, off, reweight, weights_threshold)
            e0, s0 = _predict(fit, design.x0_trend, off0)
            with np.errstate(divide="ignore", invalid="ignore"):
                t_val = fit.beta[:, 1] / np.sqrt(fit.cov[:, 1, 1] * fit.disp)
            p_val = 2.0 * stats.t.sf(np.abs(t_val), fit.df)
            no_extrapolation = _linkinv(e0) <= y.max(axis=1)
            keep = ok & (p_val < p_threshold_trend) & (b >= 3) & no_extrapolation
            eta[keep], se[keep], phi[keep] = e0[keep], s0[keep], ph[keep]
            flat = ~keep
        sub = np.nonzero(flat)[0]
        if sub.size:
            fit, ph, ok = _fit_reweighted(
                design.x_flat, y[sub], off[sub], reweight, weights_threshold
            )
            e0, s0 = _predict(fit, design.x0_flat, off0[sub])
            eta[sub[ok]], se[sub[ok]], phi[sub[ok]] = e0[ok], s0[ok], ph[ok]
        good = np.isfinite(eta) & np.isfinite(se) & np.isfinite(phi)
        yk = y_all[:, k]
        if threshold_method == "delta":
            mu0 = _linkinv(eta)
            _, up, pr, sc = threshold_delta(mu0, se * mu0, phi, powertrans, alpha, yk)
        else:
            _, up, pr, sc = threshold_noufaily(eta, se, phi, alpha, yk, threshold_method)
        lo_k = max(int(k) - limit54[1] + 1, 0)
        enough = y_all[:, lo_k : k + 1].sum(axis=1) >= limit54[0]
        evaluated[:, k] = good
        score[:, k] = np.where(good, sc, np.nan)
        prob[:, k] = np.where(good, pr, np.nan)
        upper[:, k] = np.where(good & enough, up, np.nan)
        alarm[:, k] = good & enough & (np.nan_to_num(sc, nan=-np.inf) > 1.0) & (yk != 0)
    return DetectionResult(
        statistic=score, threshold=upper, p_value=prob, alarm=alarm, evaluated=evaluated
    )
