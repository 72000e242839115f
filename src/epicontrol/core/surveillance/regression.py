"""NSSP-ESSENCE adaptive multiple regression, as ``pynssp.alert_regression`` (0.1.0).

For every day ``i`` from ``11 + g`` on (0-based), an ordinary least-squares
model is fitted to the ``L = min(i - g, b)`` days just before a guard band of
``g`` days (``y[i-g-L … i-g-1]``; the baseline grows from 11 to ``b`` days):

``y_j = β0 + β1·j + Σ_{d=Mon…Sat} β_d [dow(j) = d] + ε_j``,  ``j = 1 … L``

(Sunday is the reference day; no holiday terms, unlike ESSENCE's
Regression 1.2).  With ``n_df = L - 8`` residual degrees of freedom and
``mse`` the residual mean square,

* expected ``e_i = max(0, β0 + β1 (L + g + 1) + β_{dow(i)})``,
* ``σ_i = max(sqrt(mse) · sqrt((L+7)(L-4) / (L(L-7))), 1.01 / round(t_{0.95, n_df+1}, 5))``
  (pynssp indexes its table of bounds one degree of freedom up),
* statistic ``(y_i - e_i)/σ_i``, ``p = 1 - F_t(statistic; n_df)``.

Outputs: ``statistic`` = pynssp ``test_statistic``; ``p_value``; ``alarm`` =
red alert (``p < 0.01``); ``threshold`` = the statistic's critical value
``t_{0.99, n_df}`` (pynssp reports none).  The yellow warning
(``0.01 <= p < 0.05``), ``baseline_expected``, ``sigma`` and
``adjusted_r_squared`` come from :func:`alert_levels` and
:func:`regression_detail`.

All series share the dates, hence the design matrices: ``(X'X)⁻¹`` is computed
once per distinct design (from its pseudo-inverse, as ``statsmodels``), and the
window sums ``X'w``, ``w'w`` come from running sums, so a step costs O(1); the
residual sum of squares is ``w'w - β'X'w``.  With integer counts the running
sums are exact and the results agree with pynssp to ~1e-12 (relative).

Daily data only: the model has day-of-week terms, and pynssp 0.1.0 fails on
weekly dates (``KeyError`` on the missing weekday columns).  ``b`` must be a
multiple of 7 and at least 14 (pynssp accepts ``B = 7`` but then fails,
because its 10-day minimum baseline is longer than ``B``).

References
----------
.. [1] pynssp 0.1.0, ``pynssp.detectors.regression.alert_regression`` (CDC NSSP).
.. [2] Burkom HS, Elbert Y, Magruder SF, Najmi AH, Peter W, Thompson MW.
   Developments in the roles, features, and evaluation of alerting algorithms
   for disease outbreak monitoring. Johns Hopkins APL Technical Digest
   2008;27(4):313-331.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._nssp import (
    ALERT_P,
    NsspDetail,
    alert_levels,
    check_int,
    chunks,
    first_step,
    fragile,
    run_rows,
    spaced_dates,
    t_cdf,
    t_pvalue,
    t_quantile,
    weekday,
)
from .base import DetectionResult, as_matrix

__all__ = ["NsspDetail", "alert_levels", "regression", "regression_detail"]

_K = 8  # constant, trend, Mon … Sat


def check_regression_args(b: int, g: int, T: int, what: str) -> tuple[int, int]:
    """Validate ``b`` (multiple of 7, >= 14), ``g`` (>= 0) and the series length."""
    b = check_int(b, "b", 14)
    g = check_int(g, "g", 0)
    if b % 7:
        raise ValueError(f"b must be a multiple of 7, got {b}")
    if b + g + 1 > T:
        raise ValueError(f"{what} needs at least b + g + 1 = {b + g + 1} days, got {T}")
    return b, g


def _designs(
    dow: NDArray[np.int64], b: int, g: int
) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """``(X'X)⁻¹`` of every step's design (T × 8 × 8) and the baseline lengths (0 = none)."""
    T = dow.size
    ginv = np.zeros((T, _K, _K))
    length = np.zeros(T, dtype=np.int64)
    cache: dict[tuple[int, int], NDArray[np.float64]] = {}
    for i in range(first_step(g), T):
        L = min(i - g, b)
        lo = i - g - L
        key = (L, int(dow[lo]))
        if key not in cache:
            X = np.zeros((L, _K))
            X[:, 0] = 1.0
            X[:, 1] = np.arange(1, L + 1) - (L + 1) / 2  # centred: same fit, better conditioned
            d = dow[lo : lo + L]
            rows = np.flatnonzero(d < 6)
            X[rows, 2 + d[rows]] = 1.0
            pinv = np.linalg.pinv(X)  # as statsmodels OLS
            cache[key] = pinv @ pinv.T
        ginv[i] = cache[key]
        length[i] = L
    return ginv, length


@nb.njit(nogil=True, cache=True)
def _regression_kernel(
    x: NDArray[np.float64],
    ginv: NDArray[np.float64],
    length: NDArray[np.int64],
    dow: NDArray[np.int64],
    g: int,
    consts: NDArray[np.float64],
    stat: NDArray[np.float64],
    pval: NDArray[np.float64],
    expected: NDArray[np.float64],
    sigma: NDArray[np.float64],
    r2adj: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    """Series by series (each thread gets a block of rows).

    The normal-equation right-hand side ``X'w`` of each window (sum, time-weighted
    sum, per-weekday sums) and ``w'w`` come from running sums, so a step costs
    O(1) instead of O(L): ``β = (X'X)⁻¹ X'w`` and ``SSR = w'w - β'X'w``.
    ``consts[i]`` = (variance inflation, sigma floor).
    """
    n, T = x.shape
    for s in range(n):
        y = x[s]
        c0 = np.zeros(T + 1)
        c1 = np.zeros(T + 1)
        c2 = np.zeros(T + 1)
        cd = np.zeros((6, T + 1))
        for m in range(T):
            v = y[m]
            c0[m + 1] = c0[m] + v
            c1[m + 1] = c1[m] + m * v
            c2[m + 1] = c2[m] + v * v
            for d in range(6):
                cd[d, m + 1] = cd[d, m]
            if dow[m] < 6:
                cd[dow[m], m + 1] += v
        a = np.empty(8)
        beta = np.empty(8)
        for i in range(T):
            L = length[i]
            if L == 0:
                continue
            lo = i - g - L
            hi = i - g
            s0 = c0[hi] - c0[lo]
            s2 = c2[hi] - c2[lo]
            a[0] = s0
            cen = (L + 1) / 2
            a[1] = (c1[hi] - c1[lo]) - (lo - 1 + cen) * s0
            for d in range(6):
                a[2 + d] = cd[d, hi] - cd[d, lo]
            gi = ginv[i]
            fit = 0.0
            for k in range(8):
                acc = 0.0
                for q in range(8):
                    acc += gi[k, q] * a[q]
                beta[k] = acc
                fit += acc * a[k]
            ssr = max(s2 - fit, 0.0)
            ctss = s2 - s0 * s0 / L
            if ctss <= 1e-9 * s2:  # (near-)constant window: exact two-pass sum
                mean = s0 / L
                ctss = 0.0
                for j in range(lo, hi):
                    ctss += (y[j] - mean) * (y[j] - mean)
            n_df = L - 8
            sig = max(math.sqrt(ssr / n_df) * consts[i, 0], consts[i, 1])
            e = beta[0] + (L + g + 1 - cen) * beta[1]
            if dow[i] < 6:
                e += beta[2 + dow[i]]
            e = max(0.0, e)
            t = (y[i] - e) / sig
            expected[s, i] = e
            sigma[s, i] = sig
            stat[s, i] = t
            pval[s, i] = 1.0 - t_cdf(t, n_df)
            r2adj[s, i] = 1.0 - (L - 1) / n_df * (ssr / ctss) if ctss > 0.0 else 0.0


def _regression_core(
    x: NDArray[np.float64], dates: NDArray[np.datetime64], b: int, g: int
) -> tuple[NDArray[np.float64], ...]:
    """Statistic, p-value, expected, sigma, adjusted R² (NaN before ``11 + g``), n_df per step."""
    n, T = x.shape
    dow = weekday(dates)
    ginv, length = _designs(dow, b, g)
    n_df = np.where(length > 0, length - _K, 0)
    L = np.maximum(length, _K + 1).astype(np.float64)
    inflation = np.sqrt(((L + 7) * (L - 4)) / (L * (L - 7)))
    # pynssp: min_sigma = 1.01 / round(t.ppf(0.95, df_range), 5) indexed by n_df → df = n_df + 1
    floor = 1.01 / t_quantile(0.95, n_df + 1, 5)
    consts = np.ascontiguousarray(np.column_stack([inflation, floor]))
    stat, pval, expected, sigma, r2adj = (np.full((n, T), np.nan) for _ in range(5))
    for sl in chunks(n):
        xs = np.ascontiguousarray(x[sl])
        out = [a[sl] for a in (stat, pval, expected, sigma, r2adj)]

        def part(
            r: slice, xs: NDArray[np.float64] = xs, out: list[NDArray[np.float64]] = out
        ) -> None:
            _regression_kernel(xs[r], ginv, length, dow, g, consts, *(a[r] for a in out))

        run_rows(part, xs.shape[0])
    r, c = np.nonzero(fragile(pval))
    if r.size:  # within 1e-12 of a cut-off: SciPy's t CDF, as pynssp
        pval[r, c] = t_pvalue(stat[r, c], n_df[c].astype(np.float64))
    return stat, pval, expected, sigma, r2adj, n_df.astype(np.float64)


def _regression(
    counts: ArrayLike, dates: ArrayLike, b: int, g: int
) -> tuple[DetectionResult, NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Validate, run and assemble; also expected, sigma and adjusted R²."""
    x = as_matrix(counts)
    T = x.shape[1]
    b, g = check_regression_args(b, g, T, "regression")
    d, _ = spaced_dates(dates, T, (1,), "regression (day-of-week model)")
    stat, pval, expected, sigma, r2adj, n_df = _regression_core(x, d, b, g)
    evaluated = np.broadcast_to(n_df > 0, x.shape).copy()
    crit = np.where(n_df > 0, t_quantile(1 - ALERT_P, n_df.astype(np.int64)), np.nan)
    threshold = np.broadcast_to(crit, x.shape).copy()
    with np.errstate(invalid="ignore"):
        alarm = pval < ALERT_P
    return DetectionResult(stat, threshold, pval, alarm, evaluated), expected, sigma, r2adj


def regression_detail(
    counts: ArrayLike, dates: ArrayLike, *, b: int = 28, g: int = 2
) -> NsspDetail:
    """Adaptive multiple regression with pynssp's extra columns.

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative daily counts (or percentages), one row per series.
    dates : (T,) array_like of dates
        Consecutive days.
    b : int, default 28
        Baseline length in days (pynssp ``B``): a multiple of 7, ``>= 14``.
    g : int, default 2
        Guard band in days, ``>= 0``.

    Returns
    -------
    NsspDetail
        ``result`` as :func:`regression`; ``expected`` = ``baseline_expected``;
        ``level`` = pynssp's ``alert`` colour; ``sigma``; ``adjusted_r_squared``.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_regression``.
    """
    result, expected, sigma, r2adj = _regression(counts, dates, b, g)
    return NsspDetail(
        result=result,
        expected=expected,
        level=alert_levels(result),
        sigma=sigma,
        adjusted_r_squared=r2adj,
    )


def regression(counts: ArrayLike, dates: ArrayLike, *, b: int = 28, g: int = 2) -> DetectionResult:
    """NSSP-ESSENCE adaptive multiple regression (pynssp ``alert_regression``).

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative daily counts (or percentages), one row per series.
    dates : (T,) array_like of dates
        Consecutive days (the model has day-of-week terms).
    b : int, default 28
        Baseline length in days: a multiple of 7, ``>= 14``.
    g : int, default 2
        Guard band in days, ``>= 0``.

    Returns
    -------
    DetectionResult
        ``statistic`` = pynssp ``test_statistic``, ``p_value``, ``alarm`` = red
        alert (``p < 0.01``), ``threshold`` = ``t_{0.99, n_df}``, ``evaluated``
        from day ``11 + g`` on.  Yellow warnings: :func:`alert_levels`.

    Raises
    ------
    ValueError
        If ``b`` is not a multiple of 7 or below 14, ``g < 0``, there are
        fewer than ``b + g + 1`` days, or the dates are not consecutive days.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_regression``.
    .. [2] Burkom HS et al. Johns Hopkins APL Technical Digest 2008;27(4):313-331.
    """
    return _regression(counts, dates, b, g)[0]
