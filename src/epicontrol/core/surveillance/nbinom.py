"""Negative-binomial regression detector for weekly counts, as ``pynssp.alert_nbinom``.

The weeks up to ``baseline_end`` (at least two years, 104 weeks) train a
negative-binomial (NB2, variance ``μ + α μ²``) log-linear model with a time
term and order-1 Fourier terms for annual seasonality,

``log μ_t = β0 + β1 t + β2 cos(2π t/52.18) + β3 sin(2π t/52.18)``,  ``t = 1 … T``,

and every week (baseline and prediction period) gets

* ``estimate`` ``μ̂_t = exp(x_t β̂)``,
* the upper 95 % confidence bound of the mean, ``u_t = exp(x_t β̂ + z_{0.975} se_t)``
  (``se_t² = x_t' V x_t``, ``V`` the model covariance),
* ``threshold`` = the 95 % quantile of NB(size ``θ = 1/α``, mean ``u_t``)
  (``scipy.stats.nbinom.ppf(0.95, θ, θ/(θ + u_t))``),
* ``alarm`` where the count is above the threshold.

As in pynssp, ``α`` is the maximum-likelihood estimate of the NB2 model
(pynssp: ``statsmodels`` ``NegativeBinomial(...).fit()``), then ``β̂`` and ``V``
come from a GLM with ``α`` fixed, fitted by iteratively reweighted least
squares exactly as ``statsmodels`` ``GLM.fit`` does it (start
``μ = (y + ȳ)/2``, stop when the deviance changes by at most 1e-8, ``V`` from
the last iteration's weights).  With ``include_time=False`` pynssp fits ``α``
on the terms ``obs + sin`` but the GLM on ``cos + sin``; that is reproduced.

Here ``α`` is the converged maximum (damped Newton in ``(β, log θ)`` from a
Poisson fit), whereas pynssp's BFGS stops at a gradient tolerance of 1e-5
(35 iterations at most).  Where the likelihood is well curved the two agree to
~1e-7 (relative) and the estimates to ~1e-8; where it is flat in ``α`` —
counts barely overdispersed — BFGS can stop far from the maximum (e.g.
``α`` = 1.9e-4 against 6.8e-5), which can move a threshold by one count; and
where BFGS fails (``statsmodels`` warnflag 2, a failed line search; seen on
pynssp's scenario 1 with ``include_time=False`` and the whole series as
baseline) pynssp keeps an unconverged ``α``.  Those differences are pynssp's
optimiser, not the model, and are not reproduced.  Where the data are not
overdispersed at all the likelihood increases towards ``α → 0``: ``α`` is then
held at 1e-8 (Poisson-like thresholds).

The threshold quantile is :func:`nbinom_quantile`, equal to SciPy's ``ppf``
(which pynssp calls) and ~4× faster.

Outputs: ``threshold``, ``alarm`` = pynssp's columns; ``statistic`` = the
count (what the threshold is compared with); ``p_value`` = NaN (pynssp has
none); ``evaluated`` = True on every week, baseline weeks included (pynssp
reports in-sample alarms for them), False on a series whose baseline is all
zero (pynssp raises there).  ``estimate``: :func:`nbinom_detail`.

Dates must be consecutive weeks (pynssp also requires them to be Sundays; here
any weekday is accepted).  Counts must be non-negative integers.

References
----------
.. [1] pynssp 0.1.0, ``pynssp.detectors.nbinom.alert_nbinom`` (CDC NSSP).
.. [2] Hilbe JM. Negative Binomial Regression, 2nd ed. Cambridge University
   Press, 2011 (NB2 likelihood, IRLS).
.. [3] McCullagh P, Nelder JA. Generalized Linear Models, 2nd ed. Chapman &
   Hall, 1989 (§2.5, IRLS).
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from ._nssp import (
    NsspDetail,
    as_date,
    chol_solve,
    inverse,
    lgamma_diff,
    psi_diff,
    run_rows,
    spaced_dates,
    trigamma,
)
from .base import DetectionResult, as_matrix

__all__ = ["NsspDetail", "nbinom", "nbinom_detail", "nbinom_quantile"]

PERIOD = 52.18
"""Weeks per year in the Fourier terms (pynssp)."""
MIN_BASELINE_WEEKS = 104
"""pynssp requires ``weeks / 52 >= 2``."""

_ALPHA_MIN = 1e-8
_U_MAX = -math.log(_ALPHA_MIN)  # u = log θ = -log α
_U_MIN = -20.0


# ---------------------------------------------------------------- fits


@nb.njit(cache=True)
def _nb_eval(
    y: NDArray[np.float64],
    X: NDArray[np.float64],
    par: NDArray[np.float64],
    g: NDArray[np.float64],
    h: NDArray[np.float64],
) -> float:  # pragma: no cover - compiled
    """NB2 log-likelihood (without ``-Σ log y!``), gradient and Hessian in ``(β, u = log θ)``."""
    nobs, ka = X.shape
    k = ka + 1
    u = par[ka]
    th = math.exp(u)
    small = th < 1e4
    g[:] = 0.0
    h[:] = 0.0
    ll = 0.0
    g_th = 0.0
    h_thth = 0.0
    for i in range(nobs):
        e = 0.0
        for p in range(ka):
            e += X[i, p] * par[p]
        m = math.exp(e)
        yi = y[i]
        tm = th + m
        lg = math.lgamma(yi + th) if small else lgamma_diff(yi, th)
        ll += lg - th * math.log1p(m / th) + yi * (e - math.log(tm))
        g_eta = (yi - m) * th / tm
        h_ee = -m * th * (th + yi) / (tm * tm)
        h_et = (yi - m) * m / (tm * tm) * th
        g_th += psi_diff(yi, th) - math.log1p(m / th) + (m - yi) / tm
        h_thth += trigamma(yi + th) + m / (th * tm) - (m - yi) / (tm * tm)
        for p in range(ka):
            xp = X[i, p]
            g[p] += xp * g_eta
            h[p, ka] += xp * h_et
            for q in range(p + 1):
                h[p, q] += xp * X[i, q] * h_ee
    if small:
        ll -= nobs * math.lgamma(th)
    h_thth -= nobs * trigamma(th)
    g[ka] = th * g_th
    h[ka, ka] = th * th * h_thth + g[ka]
    for p in range(k):
        for q in range(p):
            h[q, p] = h[p, q]
        h[ka, p] = h[p, ka]
    return ll


@nb.njit(cache=True)
def _nb_mle(
    y: NDArray[np.float64], X: NDArray[np.float64]
) -> NDArray[np.float64]:  # pragma: no cover
    """``(β, log θ)`` of the NB2 maximum-likelihood fit (Poisson start, damped Newton)."""
    nobs, ka = X.shape
    k = ka + 1
    # Poisson IRLS start
    ybar = 0.0
    for i in range(nobs):
        ybar += y[i]
    ybar /= nobs
    beta = np.zeros(ka)
    eta = np.empty(nobs)
    mu = np.empty(nobs)
    for i in range(nobs):
        mu[i] = 0.5 * (y[i] + ybar)
        eta[i] = math.log(mu[i])
    a = np.empty((ka, ka))
    rhs = np.empty(ka)
    new = np.empty(ka)
    for _ in range(100):
        a[:] = 0.0
        rhs[:] = 0.0
        for i in range(nobs):
            z = eta[i] + (y[i] - mu[i]) / mu[i]
            for p in range(ka):
                rhs[p] += X[i, p] * mu[i] * z
                for q in range(p + 1):
                    a[p, q] += X[i, p] * mu[i] * X[i, q]
        for p in range(ka):
            for q in range(p):
                a[q, p] = a[p, q]
        if not chol_solve(a, rhs, new):
            break
        step = 0.0
        for p in range(ka):
            step = max(step, abs(new[p] - beta[p]))
            beta[p] = new[p]
        for i in range(nobs):
            e = 0.0
            for p in range(ka):
                e += X[i, p] * beta[p]
            eta[i] = e
            mu[i] = math.exp(e)
        if step < 1e-10:
            break
    disp = 0.0
    for i in range(nobs):
        r = y[i] - mu[i]
        disp += (r * r / mu[i] - 1.0) / mu[i]
    alpha0 = max(0.05, disp / (nobs - ka))
    # damped Newton on (β, u = log θ); each trial point is evaluated once, with its
    # gradient and Hessian, and kept if the likelihood does not drop
    par = np.empty(k)
    for p in range(ka):
        par[p] = beta[p]
    par[ka] = min(max(-math.log(alpha0), _U_MIN), _U_MAX)
    g = np.empty(k)
    h = np.empty((k, k))
    g_new = np.empty(k)
    h_new = np.empty((k, k))
    negh = np.empty((k, k))
    d = np.empty(k)
    trial = np.empty(k)
    ll = _nb_eval(y, X, par, g, h)
    for _ in range(200):
        free = not (par[ka] >= _U_MAX and g[ka] > 0.0)
        for p in range(k):
            d[p] = 0.0
            for q in range(k):
                negh[p, q] = -h[p, q]
        if not chol_solve(negh[: k if free else ka, : k if free else ka], g, d):
            # not concave here: Newton for β alone, a bounded gradient step for u
            if not chol_solve(negh[:ka, :ka], g, d):
                for p in range(k):
                    d[p] = 0.0
            d[ka] = 0.0
            if free:
                d[ka] = max(-1.0, min(1.0, g[ka] / max(abs(h[ka, ka]), 1e-300)))
        if abs(d[ka]) > 5.0:  # at most a factor e^5 in θ per step; keep the direction
            shrink = 5.0 / abs(d[ka])
            for p in range(k):
                d[p] *= shrink
        t = 1.0
        accepted = False
        ll_new = ll
        while t > 1e-12:
            for p in range(k):
                trial[p] = par[p] + t * d[p]
            trial[ka] = min(max(trial[ka], _U_MIN), _U_MAX)
            ll_new = _nb_eval(y, X, trial, g_new, h_new)
            if ll_new >= ll - 1e-10 * (1.0 + abs(ll)):
                accepted = True
                break
            t *= 0.5
        if not accepted:
            break
        change = 0.0
        for p in range(k):
            change = max(change, abs(trial[p] - par[p]) / (1.0 + abs(par[p])))
        for p in range(k):
            par[p] = trial[p]
            g[p] = g_new[p]
            for q in range(k):
                h[p, q] = h_new[p, q]
        ll = ll_new
        if change < 1e-11:
            break
    return par


@nb.njit(cache=True)
def _nb_deviance(y: NDArray[np.float64], mu: NDArray[np.float64], alpha: float) -> float:
    dev = 0.0  # statsmodels NegativeBinomial._resid_dev, summed
    ia = 1.0 / alpha
    for i in range(y.size):
        ym = max(y[i] / mu[i], 2.220446049250313e-16)
        ya = y[i] + ia
        dev += 2.0 * (y[i] * math.log(ym) - ya * math.log(ya / (mu[i] + ia)))
    return dev


@nb.njit(cache=True)
def _fit_series(
    y_all: NDArray[np.float64],
    n_base: int,
    Xa: NDArray[np.float64],
    Xg: NDArray[np.float64],
    eta_out: NDArray[np.float64],
    var_out: NDArray[np.float64],
) -> float:  # pragma: no cover - compiled
    """θ of one series; ``eta_out``/``var_out`` get ``x'β`` and ``x'Vx`` for every week."""
    T = y_all.size
    kg = Xg.shape[1]
    y = y_all[:n_base]
    total = 0.0
    for i in range(n_base):
        total += y[i]
    if total == 0.0:
        return np.nan
    alpha = math.exp(-_nb_mle(y, Xa)[Xa.shape[1]])
    # GLM IRLS with α fixed, as statsmodels GLM._fit_irls (start μ = (y + ȳ)/2)
    ybar = total / n_base
    mu = np.empty(n_base)
    eta = np.empty(n_base)
    for i in range(n_base):
        mu[i] = 0.5 * (y[i] + ybar)
        eta[i] = math.log(mu[i])
    dev = _nb_deviance(y, mu, alpha)
    a = np.zeros((kg, kg))
    beta = np.zeros(kg)
    rhs = np.zeros(kg)
    for _ in range(100):
        a[:] = 0.0
        rhs[:] = 0.0
        for i in range(n_base):
            w = mu[i] / (1.0 + alpha * mu[i])
            z = eta[i] + (y[i] - mu[i]) / mu[i]
            for p in range(kg):
                rhs[p] += Xg[i, p] * w * z
                for q in range(p + 1):
                    a[p, q] += Xg[i, p] * w * Xg[i, q]
        for p in range(kg):
            for q in range(p):
                a[q, p] = a[p, q]
        if not chol_solve(a, rhs, beta):
            for p in range(kg):
                beta[p] = np.nan
            break
        for i in range(n_base):
            e = 0.0
            for p in range(kg):
                e += Xg[i, p] * beta[p]
            eta[i] = e
            mu[i] = math.exp(e)
        new = _nb_deviance(y, mu, alpha)
        done = abs(new - dev) <= 1e-8
        dev = new
        if done:
            break
    cov = inverse(a)  # the last iteration's weights, as statsmodels
    for t in range(T):
        e = 0.0
        v = 0.0
        for p in range(kg):
            e += Xg[t, p] * beta[p]
            for q in range(kg):
                v += Xg[t, p] * cov[p, q] * Xg[t, q]
        eta_out[t] = e
        var_out[t] = v
    return 1.0 / alpha


@nb.njit(nogil=True, cache=True)
def _nbinom_kernel(
    x: NDArray[np.float64],
    n_base: int,
    Xa: NDArray[np.float64],
    Xg: NDArray[np.float64],
    theta: NDArray[np.float64],
    eta_out: NDArray[np.float64],
    var_out: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    for s in range(x.shape[0]):
        theta[s] = _fit_series(x[s], n_base, Xa, Xg, eta_out[s], var_out[s])


@nb.njit(nogil=True, cache=True)
def _quantile_walk(
    q: float,
    size: NDArray[np.float64],
    mean: NDArray[np.float64],
    k0: NDArray[np.float64],
    cdf0: NDArray[np.float64],
    out: NDArray[np.float64],
    unsure: NDArray[np.bool_],
) -> None:  # pragma: no cover - compiled
    """Smallest ``k`` with ``F(k) >= q``: a pmf walk from ``k0``, where ``F(k0) = cdf0``."""
    for i in range(size.size):
        th = size[i]
        m = mean[i]
        k = k0[i]
        c = cdf0[i]
        log_q1 = math.log(m / (th + m))  # log(1 - p)
        lp = lgamma_diff(k, th) - math.lgamma(k + 1.0) - th * math.log1p(m / th) + k * log_q1
        pmf = math.exp(lp)
        q1 = math.exp(log_q1)
        bad = not (np.isfinite(c) and pmf > 0.0)
        steps = 0
        if not bad and c >= q:
            while k > 0.0 and steps < 10_000:
                below = c - pmf
                if below < q:
                    break
                pmf = pmf * k / ((th + k - 1.0) * q1)
                c = below
                k -= 1.0
                steps += 1
        elif not bad:
            while c < q and steps < 10_000:
                k += 1.0
                pmf = pmf * (th + k - 1.0) * q1 / k
                c += pmf
                steps += 1
        # F(k) >= q > F(k - 1): unsure when either is within 1e-10 of q
        unsure[i] = bad or steps >= 10_000 or c - q <= 1e-10 or (k > 0.0 and q - (c - pmf) <= 1e-10)
        out[i] = k


def nbinom_quantile(q: float, size: ArrayLike, mean: ArrayLike) -> NDArray[np.float64]:
    """``scipy.stats.nbinom.ppf(q, size, size/(size + mean))``, faster.

    A Cornish-Fisher guess, one regularised incomplete beta (``F(k) = I_p(size,
    k + 1)``) and a short walk with the probability mass function; where
    ``F(k)`` or ``F(k - 1)`` is within 1e-10 of ``q`` SciPy's ``ppf`` decides.

    Parameters
    ----------
    q : float
        Probability, ``0 < q < 1``.
    size, mean : array_like
        Size ``θ > 0`` and mean ``> 0`` of the negative binomial (broadcast).

    Returns
    -------
    float64 array
        The ``q`` quantile (NaN where an input is not finite).

    References
    ----------
    .. [1] Johnson NL, Kemp AW, Kotz S. Univariate Discrete Distributions, 3rd
       ed. Wiley, 2005 (§5.5, negative binomial moments).
    """
    if not 0.0 < q < 1.0:
        raise ValueError(f"q must satisfy 0 < q < 1, got {q}")
    th, mu = np.broadcast_arrays(np.asarray(size, np.float64), np.asarray(mean, np.float64))
    shape = mu.shape
    th, mu = th.ravel(), mu.ravel()
    out = np.full(th.size, np.nan)
    ok = np.flatnonzero(np.isfinite(th) & np.isfinite(mu) & (th > 0) & (mu > 0))
    t, m = np.ascontiguousarray(th[ok]), np.ascontiguousarray(mu[ok])
    p = t / (t + m)
    sd = np.sqrt(m + m * m / t)
    skew = (2.0 - p) / np.sqrt(t * (1.0 - p))
    z = stats.norm.ppf(q)
    k0 = np.floor(np.maximum(0.0, m + sd * (z + (z * z - 1.0) * skew / 6.0)))

    cdf0 = np.empty(t.size)
    k = np.empty(t.size)
    unsure = np.zeros(t.size, dtype=np.bool_)

    def part(r: slice) -> None:  # SciPy's betainc and the kernel release the GIL
        special.betainc(t[r], k0[r] + 1.0, p[r], out=cdf0[r])
        _quantile_walk(q, t[r], m[r], k0[r], cdf0[r], k[r], unsure[r])

    run_rows(part, t.size, min_rows=20_000)
    if unsure.any():
        k[unsure] = stats.nbinom.ppf(q, t[unsure], p[unsure])
    out[ok] = k
    zero = np.flatnonzero(np.isfinite(th) & (th > 0) & (mu == 0))
    out[zero] = 0.0
    return out.reshape(shape)


def nbinom_detail(
    counts: ArrayLike, dates: ArrayLike, *, baseline_end: object, include_time: bool = True
) -> NsspDetail:
    """Negative-binomial detector with pynssp's ``estimate`` column.

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative integer weekly counts, one row per series.
    dates : (T,) array_like of dates
        Consecutive weeks.
    baseline_end : date-like
        Last date of the training period (inclusive); at least 104 weeks
        must fall on or before it.
    include_time : bool, default True
        Include the linear time term.

    Returns
    -------
    NsspDetail
        ``result`` as :func:`nbinom`; ``expected`` = pynssp's ``estimate``.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_nbinom``.
    """
    x = as_matrix(counts)
    n, T = x.shape
    if (x != np.floor(x)).any():
        raise ValueError("counts must be non-negative integers for the negative-binomial model")
    d, _ = spaced_dates(dates, T, (7,), "nbinom")
    end = as_date(baseline_end, "baseline_end")
    n_base = int((d <= end).sum())
    if n_base < MIN_BASELINE_WEEKS:
        raise ValueError(
            f"the baseline (dates <= baseline_end) must cover at least {MIN_BASELINE_WEEKS} "
            f"weeks (2 years), got {n_base}"
        )
    obs = np.arange(1, T + 1, dtype=np.float64)
    cos = np.cos(2 * np.pi * obs / PERIOD)
    sin = np.sin(2 * np.pi * obs / PERIOD)
    one = np.ones(T)
    scaled = obs / T  # same fit and predictions as ``obs``; better conditioned
    if include_time:
        Xa = np.column_stack([one, scaled, cos, sin])
        Xg = Xa
    else:  # pynssp: the dispersion fit uses obs + sin, the GLM cos + sin
        Xa = np.column_stack([one, scaled, sin])
        Xg = np.column_stack([one, cos, sin])
    theta = np.empty(n)
    eta = np.full((n, T), np.nan)
    var = np.full((n, T), np.nan)
    xc = np.ascontiguousarray(x)
    xa = np.ascontiguousarray(Xa[:n_base])
    xg = np.ascontiguousarray(Xg)

    def part(r: slice) -> None:
        _nbinom_kernel(xc[r], n_base, xa, xg, theta[r], eta[r], var[r])

    run_rows(part, n, min_rows=4)
    z = stats.norm.ppf(0.975)
    estimate = np.exp(eta)
    upper = np.exp(eta + z * np.sqrt(var))
    size = theta[:, None]
    threshold = nbinom_quantile(0.95, size, upper)
    evaluated = np.broadcast_to(np.isfinite(theta)[:, None], x.shape).copy()
    alarm = evaluated & (x > np.where(evaluated, threshold, np.inf))
    result = DetectionResult(x.copy(), threshold, np.full((n, T), np.nan), alarm, evaluated)
    return NsspDetail(result=result, expected=estimate)


def nbinom(
    counts: ArrayLike, dates: ArrayLike, *, baseline_end: object, include_time: bool = True
) -> DetectionResult:
    """Negative-binomial regression detector for weekly counts (pynssp ``alert_nbinom``).

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative integer weekly counts, one row per series.
    dates : (T,) array_like of dates
        Consecutive weeks.
    baseline_end : date-like
        Last date of the training period (inclusive); at least 104 weeks
        (2 years) must fall on or before it.
    include_time : bool, default True
        Include the linear time term in the model.

    Returns
    -------
    DetectionResult
        ``threshold`` = the upper 95 % NB prediction bound, ``alarm`` = count
        above it (every week, baseline included), ``statistic`` = the count,
        ``p_value`` = NaN.  Estimates: :func:`nbinom_detail`.

    Raises
    ------
    ValueError
        If counts are not non-negative integers, the dates are not consecutive
        weeks, or the baseline has fewer than 104 weeks.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_nbinom``.
    .. [2] Hilbe JM. Negative Binomial Regression, 2nd ed. CUP, 2011.
    """
    return nbinom_detail(counts, dates, baseline_end=baseline_end, include_time=include_time).result
