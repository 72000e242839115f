"""Original Serfling detector for weekly series, as ``pynssp.alert_serfling`` (0.1.0).

An ordinary least-squares model with a time term and order-1 Fourier terms,

``y_t = β0 + β1 t + β2 cos(2π t/52.18) + β3 sin(2π t/52.18) + ε_t``,  ``t = 1 … T``,

is fitted to the baseline weeks (dates up to ``baseline_end``, at least 104
weeks) outside the epidemic period — weeks in October … May are dropped, so
only June … September weeks train the model (Serfling 1963).  Every week
(baseline and prediction period) gets

* ``estimate`` ``ŷ_t = x_t β̂``,
* ``threshold`` = the upper bound of the two-sided 90 % prediction interval
  (one-sided 95 %): ``ŷ_t + t_{0.95, n-4} · s · sqrt(1 + x_t'(X'X)⁻¹x_t)``,
  ``s²`` the residual mean square on ``n - 4`` degrees of freedom
  (pynssp: ``statsmodels`` ``OLS.get_prediction(...).summary_frame(alpha=0.1)``,
  column ``obs_ci_upper``),
* ``alarm`` where the observation is above the threshold.

All series share the dates, hence the design: one pseudo-inverse serves every
series.

Outputs: ``threshold``, ``alarm`` = pynssp's columns; ``statistic`` = the
observation (what the threshold is compared with); ``p_value`` = NaN (pynssp
has none); ``evaluated`` = True on every week (pynssp reports in-sample alarms
for baseline weeks too).  ``estimate``: :func:`serfling_detail`.

Dates must be consecutive weeks (pynssp also requires Sundays; here any
weekday is accepted).  Values may be counts or percentages (``>= 0``).

References
----------
.. [1] pynssp 0.1.0, ``pynssp.detectors.serfling.alert_serfling`` (CDC NSSP).
.. [2] Serfling RE. Methods for current statistical analysis of excess
   pneumonia-influenza deaths. Public Health Rep 1963;78(6):494-506.
"""

from __future__ import annotations

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import stats

from ._nssp import NsspDetail, as_date, run_rows, spaced_dates
from .base import DetectionResult, as_matrix

__all__ = ["NsspDetail", "epidemic_period", "serfling", "serfling_detail"]

PERIOD = 52.18
"""Weeks per year in the Fourier terms (pynssp)."""
MIN_BASELINE_WEEKS = 104
"""pynssp requires ``weeks / 52 >= 2``."""


@nb.njit(nogil=True, cache=True)
def _fit_kernel(
    yb: NDArray[np.float64],
    pinv: NDArray[np.float64],
    Xb: NDArray[np.float64],
    X: NDArray[np.float64],
    df_resid: int,
    estimate: NDArray[np.float64],
    scale: NDArray[np.float64],
) -> None:  # pragma: no cover - compiled
    """OLS per row in a fixed summation order (a matrix gives the per-series results exactly)."""
    n, m = yb.shape
    k = pinv.shape[0]
    for s in range(n):
        beta = np.zeros(k)
        for p in range(k):
            acc = 0.0
            for j in range(m):
                acc += pinv[p, j] * yb[s, j]
            beta[p] = acc
        ssr = 0.0
        for j in range(m):
            fit = 0.0
            for p in range(k):
                fit += Xb[j, p] * beta[p]
            r = yb[s, j] - fit
            ssr += r * r
        scale[s] = ssr / df_resid
        for t in range(X.shape[0]):
            fit = 0.0
            for p in range(k):
                fit += X[t, p] * beta[p]
            estimate[s, t] = fit


def epidemic_period(dates: ArrayLike) -> NDArray[np.bool_]:
    """pynssp's ``epidemic_period``: True for dates in October … May.

    Parameters
    ----------
    dates : array_like of dates

    Returns
    -------
    bool array
        True where the month is ``>= 10`` or ``<= 5``.

    References
    ----------
    .. [1] Serfling RE. Public Health Rep 1963;78(6):494-506.
    """
    d = np.asarray(dates, dtype="datetime64[D]")
    month = d.astype("datetime64[M]").astype(np.int64) % 12 + 1
    out: NDArray[np.bool_] = (month >= 10) | (month <= 5)
    return out


def serfling_detail(counts: ArrayLike, dates: ArrayLike, *, baseline_end: object) -> NsspDetail:
    """Serfling detector with pynssp's ``estimate`` column.

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative weekly counts or percentages, one row per series.
    dates : (T,) array_like of dates
        Consecutive weeks.
    baseline_end : date-like
        Last date of the training period (inclusive); at least 104 weeks
        must fall on or before it.

    Returns
    -------
    NsspDetail
        ``result`` as :func:`serfling`; ``expected`` = pynssp's ``estimate``.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_serfling``.
    """
    x = as_matrix(counts)
    n, T = x.shape
    d, _ = spaced_dates(dates, T, (7,), "serfling")
    end = as_date(baseline_end, "baseline_end")
    baseline = d <= end
    n_base = int(baseline.sum())
    if n_base < MIN_BASELINE_WEEKS:
        raise ValueError(
            f"the baseline (dates <= baseline_end) must cover at least {MIN_BASELINE_WEEKS} "
            f"weeks (2 years), got {n_base}"
        )
    train = baseline & ~epidemic_period(d)
    obs = np.arange(1, T + 1, dtype=np.float64)
    X = np.column_stack(
        [np.ones(T), obs, np.cos(2 * np.pi * obs / PERIOD), np.sin(2 * np.pi * obs / PERIOD)]
    )
    Xb = np.ascontiguousarray(X[train])
    pinv = np.linalg.pinv(Xb)  # (4, n_train), as statsmodels OLS
    df_resid = int(Xb.shape[0] - np.linalg.matrix_rank(Xb))
    estimate = np.empty((n, T))
    scale = np.empty(n)
    yb = np.ascontiguousarray(x[:, train])

    def part(r: slice) -> None:
        _fit_kernel(yb[r], pinv, Xb, X, df_resid, estimate[r], scale[r])

    run_rows(part, n, min_rows=256)
    h = np.einsum("tk,kl,tl->t", X, pinv @ pinv.T, X)
    q = stats.t.ppf(0.95, df_resid)
    threshold = estimate + q * np.sqrt(scale[:, None] * (1.0 + h[None, :]))
    alarm = x > threshold
    evaluated = np.ones((n, T), dtype=np.bool_)
    result = DetectionResult(x.copy(), threshold, np.full((n, T), np.nan), alarm, evaluated)
    return NsspDetail(result=result, expected=estimate)


def serfling(counts: ArrayLike, dates: ArrayLike, *, baseline_end: object) -> DetectionResult:
    """Original Serfling detector for weekly series (pynssp ``alert_serfling``).

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative weekly counts or percentages, one row per series.
    dates : (T,) array_like of dates
        Consecutive weeks.
    baseline_end : date-like
        Last date of the training period (inclusive); at least 104 weeks
        (2 years) must fall on or before it.

    Returns
    -------
    DetectionResult
        ``threshold`` = upper 95 % prediction bound, ``alarm`` = observation
        above it (every week, baseline included), ``statistic`` = the
        observation, ``p_value`` = NaN.  Estimates: :func:`serfling_detail`.

    Raises
    ------
    ValueError
        If the dates are not consecutive weeks or the baseline has fewer than
        104 weeks.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_serfling``.
    .. [2] Serfling RE. Public Health Rep 1963;78(6):494-506.
    """
    return serfling_detail(counts, dates, baseline_end=baseline_end).result
