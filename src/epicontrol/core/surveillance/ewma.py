"""NSSP-ESSENCE EWMA detector, as ``pynssp.alert_ewma`` (pynssp 0.1.0).

For every step ``i`` from ``11 + g`` on (0-based), the baseline is the ``L``
values just before a guard band of ``g`` steps, ``y[i-g-L … i-g-1]``, with
``L = min(i - g, max(b + 1, 10))`` — pynssp's index arithmetic grows the
baseline from 11 up to ``b + 1`` values (29 with the default ``b = 28``).  With
``m`` and ``s`` the baseline mean and standard deviation (``n - 1``), two
exponentially weighted averages ``z_k = w_k y_i + (1 - w_k) z_k`` (started at
``y_0``; ``w1 = 0.4`` for gradual and ``w2 = 0.9`` for sudden increases) are
standardised with

* ``σ_k = max(w_k/u_w · (1 + (1-w_k)²/2),
  s · sqrt(w_k/(2-w_k) + 1/L - 2(1-w_k)^(g+1) (1-(1-w_k)^L)/L) + c_k)``,
  ``c_k = (0.1289 - (0.2414 - 0.1826 (1-w_k)⁴) log 0.5) · w_k/u_w``,
* ``u_w = round(t_{0.975, L-1}, 5)``, ``u_a = round(t_{0.99, L-1}, 5)``,

``T_k = (z_k - m)/σ_k`` and ``p_k = 1 - F_t(T_k; L-1)``.  A smoothed value with
``|T_k| > u_a`` is pulled back to ``m ± u_a σ_k`` before it is carried to the
next step.  The step reports the smaller p-value (``T_2`` on ties, as pynssp).

Outputs: ``statistic`` = pynssp's ``test_statistic``; ``p_value`` =
``p_value``; ``alarm`` = pynssp's red ``alert`` (``p < 0.01``); ``threshold`` =
the statistic's critical value ``t_{0.99, L-1}`` (pynssp reports none; alarm ⇔
``p < 0.01`` ⇔ statistic above it).  The yellow warning (``0.01 <= p < 0.05``)
and ``baseline_expected`` (``m``) come from :func:`alert_levels` and
:func:`ewma_detail`.

The rows are time steps: pynssp treats daily and weekly data alike, so
``dates`` may be consecutive days or consecutive weeks (inferred from the
spacing); ``b`` and ``g`` count steps.  Inputs are checked more strictly than
pynssp: ``T >= b + g + 1`` steps (pynssp compares the number of data-frame
*cells*) and ``0 < w <= 1``.

Implementation: one numba loop per series (series split over threads).  For
integer counts below 2**20 the window mean and sum of squares come from exact
running sums (O(1) a step), otherwise from two passes over the window as
numpy.  The t CDF is Cephes' finite series for integer degrees of freedom;
where two p-values tie within 1e-12 or one lies within 1e-12 of 0.01 / 0.05,
SciPy's ``stdtr`` (what pynssp calls) decides, so the choice of statistic and
the colour are pynssp's.

References
----------
.. [1] pynssp 0.1.0, ``pynssp.detectors.ewma.alert_ewma`` (CDC NSSP).
.. [2] Lucas JM, Saccucci MS. Exponentially weighted moving average control
   schemes: properties and enhancements. Technometrics 1990;32(1):1-12.
.. [3] Burkom H. Development, adaptation, and assessment of alerting algorithms
   for biosurveillance. Johns Hopkins APL Technical Digest 2003;24(4):335-342.
"""

from __future__ import annotations

import math
from typing import Any

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._nssp import (
    ALERT_P,
    NsspDetail,
    alert_levels,
    check_int,
    check_weight,
    chunks,
    first_step,
    run_rows,
    spaced_dates,
    t_cdf,
    t_pvalue,
    t_quantile,
)
from .base import DetectionResult, as_matrix

__all__ = ["NsspDetail", "alert_levels", "ewma", "ewma_detail"]


_GAP = 1e-4


def _baseline_length(T: int, b: int, g: int) -> NDArray[np.int64]:
    """pynssp's baseline length per step (0 where the step is not evaluated)."""
    i = np.arange(T, dtype=np.int64)
    length = np.minimum(i - g, max(b + 1, 10))
    length[i < first_step(g)] = 0
    return length


@nb.njit(nogil=True, cache=True)
def _ewma_kernel(
    x: NDArray[np.float64],
    g: int,
    w1: float,
    w2: float,
    length: NDArray[np.int64],
    consts: NDArray[np.float64],
    stat: NDArray[np.float64],
    other: NDArray[np.float64],
    pval: NDArray[np.float64],
    chose1: NDArray[np.bool_],
    expected: NDArray[np.float64],
    weak: NDArray[np.bool_],
) -> None:  # pragma: no cover - compiled
    """Series by series (each thread gets a block of rows).

    ``consts[i]`` = (corr1, corr2, min1, min2, c1, c2, u_alert, t_{1-1e-6}).  Only
    the p-value of the larger statistic is computed when the two statistics are
    at least ``_GAP`` apart inside ``±t_{1-1e-6}`` (their p-values then differ by
    more than 7e-11 for ``L - 1 >= 9``, so the choice is pynssp's); otherwise both.
    """
    n, T = x.shape
    start = 11 + g
    v1 = 1.0 - w1
    v2 = 1.0 - w2
    for s in range(n):
        y = x[s]
        # integer counts below 2**20: exact running sums give each window's mean and
        # sum of squares in O(1); other data: two passes over the window, as numpy
        exact = True
        for j in range(T):
            if y[j] != math.floor(y[j]) or y[j] >= 1048576.0:
                exact = False
                break
        c1 = np.zeros(T + 1)
        c2 = np.zeros(T + 1)
        if exact:
            for j in range(T):
                c1[j + 1] = c1[j] + y[j]
                c2[j + 1] = c2[j] + y[j] * y[j]
        z1 = y[0]
        z2 = y[0]
        for i in range(1, min(start, T)):
            z1 = w1 * y[i] + v1 * z1
            z2 = w2 * y[i] + v2 * z2
        for i in range(start, T):
            L = length[i]
            if exact:
                s1 = c1[i - g] - c1[i - g - L]
                m = s1 / L
                ss = max((c2[i - g] - c2[i - g - L]) - s1 * m, 0.0)
            else:
                w = y[i - g - L : i - g]
                tot = 0.0
                for j in range(L):
                    tot += w[j]
                m = tot / L
                ss = 0.0
                for j in range(L):
                    d = w[j] - m
                    ss += d * d
            sd = math.sqrt(ss / (L - 1))
            c = consts[i]
            ua = c[6]
            sig1 = max(c[2], sd * c[0] + c[4])
            sig2 = max(c[3], sd * c[1] + c[5])
            z1 = w1 * y[i] + v1 * z1
            z2 = w2 * y[i] + v2 * z2
            t1 = (z1 - m) / sig1
            t2 = (z2 - m) / sig2
            if abs(t1) > ua:
                z1 = m + math.copysign(1.0, t1) * ua * sig1
            if abs(t2) > ua:
                z2 = m + math.copysign(1.0, t2) * ua * sig2
            expected[s, i] = m
            lo_t = min(t1, t2)
            if abs(t1 - t2) >= _GAP and -c[7] <= lo_t <= c[7] - _GAP:
                # p-values at least ~1e-10 apart: the larger statistic has the smaller p
                first = t1 > t2
                pmin = 1.0 - t_cdf(t1 if first else t2, L - 1)
                tie = False
            else:
                p1 = 1.0 - t_cdf(t1, L - 1)
                p2 = 1.0 - t_cdf(t2, L - 1)
                first = p1 < p2
                pmin = p1 if first else p2
                tie = abs(p1 - p2) <= 1e-12
            stat[s, i] = t1 if first else t2
            other[s, i] = t2 if first else t1
            pval[s, i] = pmin
            chose1[s, i] = first
            weak[s, i] = tie or abs(pmin - 0.01) <= 1e-12 or abs(pmin - 0.05) <= 1e-12


def _constants(length: NDArray[np.int64], g: int, w1: float, w2: float) -> NDArray[np.float64]:
    """Per step: sigma corrections, sigma floors, constants and the alert limit (pynssp)."""
    L = np.maximum(length, 2).astype(np.float64)
    n_df = np.maximum(length - 1, 1)
    ucl_alert = t_quantile(1 - ALERT_P, n_df, 5)
    ucl_warn = t_quantile(1 - 0.025, n_df, 5)
    cols = []
    for w in (w1, w2):
        v = 1.0 - w
        cols.append(np.sqrt((w / (2 - w)) + (1 / L) - 2 * v ** (g + 1) * ((1 - v**L) / L)))
    for w in (w1, w2):
        cols.append((w / ucl_warn) * (1 + 0.5 * (1 - w) ** 2))
    for w in (w1, w2):
        v = 1.0 - w
        cols.append((0.1289 - (0.2414 - 0.1826 * v**4) * np.log(10 * 0.05)) * (w / ucl_warn))
    cols.append(ucl_alert)
    # |t| bound of the region where p-values of statistics _GAP apart differ by > 1e-12
    cols.append(t_quantile(1 - 1e-6, n_df))
    return np.ascontiguousarray(np.column_stack(cols))


def _ewma_core(
    x: NDArray[np.float64], b: int, g: int, w1: float, w2: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], NDArray[np.int64]]:
    """Statistic, p-value and baseline mean (NaN before ``11 + g``), and degrees of freedom."""
    n, T = x.shape
    length = _baseline_length(T, b, g)
    n_df = np.where(length > 0, length - 1, 0)
    consts = _constants(length, g, w1, w2)
    stat = np.full((n, T), np.nan)
    pval = np.full((n, T), np.nan)
    expected = np.full((n, T), np.nan)
    for sl in chunks(n):
        m = sl.stop - sl.start
        other = np.full((m, T), np.nan)
        chose1 = np.zeros((m, T), dtype=np.bool_)
        weak = np.zeros((m, T), dtype=np.bool_)
        xs = np.ascontiguousarray(x[sl])
        outs = (stat[sl], other, pval[sl], chose1, expected[sl], weak)

        def part(
            r: slice, xs: NDArray[np.float64] = xs, outs: tuple[NDArray[Any], ...] = outs
        ) -> None:
            _ewma_kernel(xs[r], g, w1, w2, length, consts, *(a[r] for a in outs))

        run_rows(part, m)
        st, pv = stat[sl], pval[sl]
        r, c = np.nonzero(weak)
        if r.size:
            # near a tie or a cut-off: decide with SciPy's t CDF, as pynssp does
            df = n_df[c].astype(np.float64)
            s1 = np.where(chose1[r, c], st[r, c], other[r, c])
            s2 = np.where(chose1[r, c], other[r, c], st[r, c])
            p1, p2 = t_pvalue(s1, df), t_pvalue(s2, df)
            first = p1 < p2
            st[r, c] = np.where(first, s1, s2)
            pv[r, c] = np.where(first, p1, p2)
    return stat, pval, expected, n_df


def _ewma(
    counts: ArrayLike, dates: ArrayLike, b: int, g: int, w1: float, w2: float
) -> tuple[DetectionResult, NDArray[np.float64]]:
    """Validate, run, and assemble the result; also returns ``baseline_expected``."""
    x = as_matrix(counts)
    b = check_int(b, "b", 7)
    g = check_int(g, "g", 0)
    w1 = check_weight(w1, "w1")
    w2 = check_weight(w2, "w2")
    T = x.shape[1]
    if b + g + 1 > T:
        raise ValueError(f"ewma needs at least b + g + 1 = {b + g + 1} time steps, got {T}")
    spaced_dates(dates, T, (1, 7), "ewma")
    stat, pval, expected, n_df = _ewma_core(x, b, g, w1, w2)
    evaluated = np.broadcast_to(n_df > 0, x.shape).copy()
    crit = np.where(n_df > 0, t_quantile(1 - ALERT_P, n_df), np.nan)
    threshold = np.broadcast_to(crit, x.shape).copy()
    with np.errstate(invalid="ignore"):
        alarm = pval < ALERT_P
    return DetectionResult(stat, threshold, pval, alarm, evaluated), expected


def ewma_detail(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    b: int = 28,
    g: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
) -> NsspDetail:
    """EWMA detector with pynssp's extra columns (``baseline_expected``, colour).

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative counts (or percentages), one row per series.
    dates : (T,) array_like of dates
        Consecutive days or consecutive weeks.
    b : int, default 28
        Baseline parameter (pynssp ``B``), ``>= 7``; the baseline holds up to
        ``max(b + 1, 10)`` steps.
    g : int, default 2
        Guard band (steps between baseline and test step), ``>= 0``.
    w1, w2 : float, default 0.4, 0.9
        Smoothing coefficients for gradual and sudden events, ``0 < w <= 1``.

    Returns
    -------
    NsspDetail
        ``result`` as :func:`ewma`; ``expected`` = ``baseline_expected``;
        ``level`` = pynssp's ``alert`` colour.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_ewma``.
    """
    result, expected = _ewma(counts, dates, b, g, w1, w2)
    return NsspDetail(result=result, expected=expected, level=alert_levels(result))


def ewma(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    b: int = 28,
    g: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
) -> DetectionResult:
    """NSSP-ESSENCE EWMA detector (pynssp ``alert_ewma``) over many series.

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative counts (or percentages), one row per series.
    dates : (T,) array_like of dates
        Consecutive days or consecutive weeks (the spacing is inferred; rows
        are time steps, as in pynssp).
    b : int, default 28
        Baseline parameter (pynssp ``B``), ``>= 7``.
    g : int, default 2
        Guard band in steps, ``>= 0``.
    w1, w2 : float, default 0.4, 0.9
        Smoothing coefficients, ``0 < w <= 1``.

    Returns
    -------
    DetectionResult
        ``statistic`` = pynssp ``test_statistic``, ``p_value`` = ``p_value``,
        ``alarm`` = red alert (``p < 0.01``), ``threshold`` = ``t_{0.99, L-1}``,
        ``evaluated`` from step ``11 + g`` on.  Yellow warnings
        (``0.01 <= p < 0.05``): :func:`alert_levels`.

    Raises
    ------
    ValueError
        If ``b < 7``, ``g < 0``, a weight is outside ``(0, 1]``, there are
        fewer than ``b + g + 1`` steps, or the dates are not consecutive days
        or weeks.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_ewma``.
    .. [2] Lucas JM, Saccucci MS. Technometrics 1990;32(1):1-12.
    """
    return _ewma(counts, dates, b, g, w1, w2)[0]
