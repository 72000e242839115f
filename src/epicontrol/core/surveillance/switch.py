"""NSSP-ESSENCE Regression/EWMA switch, as ``pynssp.alert_switch`` (pynssp 0.1.0).

Runs the adaptive multiple regression (:mod:`.regression`) and the EWMA
(:mod:`.ewma`, with the same ``b`` and ``g``) on every day.  Where the
regression's baseline model has an adjusted R² of at least 0.60 the day takes
the regression's statistic, p-value and alert; elsewhere it takes the EWMA's
(which suits sparse series whose day-of-week model explains little).

Outputs: ``statistic`` = pynssp ``test_statistic``; ``p_value``; ``alarm`` =
red alert (``p < 0.01``); ``threshold`` = the chosen detector's critical value
``t_{0.99, n_df}`` (pynssp reports none).  The yellow warning
(``0.01 <= p < 0.05``), ``baseline_expected`` and which detector was used come
from :func:`alert_levels` and :func:`switch_detail`.

Daily data only (the regression has day-of-week terms; pynssp 0.1.0 fails on
weekly dates).  ``b`` must be a multiple of 7 and at least 14.

References
----------
.. [1] pynssp 0.1.0, ``pynssp.detectors.switch.alert_switch`` (CDC NSSP).
.. [2] Burkom HS et al. Johns Hopkins APL Technical Digest 2008;27(4):313-331.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._nssp import (
    ALERT_P,
    NsspDetail,
    alert_levels,
    check_weight,
    chunks,
    spaced_dates,
    t_quantile,
)
from .base import DetectionResult, as_matrix
from .ewma import _ewma_core
from .regression import _regression_core, check_regression_args

__all__ = ["MIN_ADJUSTED_R2", "NsspDetail", "alert_levels", "switch", "switch_detail"]

MIN_ADJUSTED_R2 = 0.60
"""The regression is used where its adjusted R² is at least this (pynssp)."""


def _switch(
    counts: ArrayLike, dates: ArrayLike, b: int, g: int, w1: float, w2: float
) -> tuple[DetectionResult, NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Validate, run both detectors block by block and combine them."""
    x = as_matrix(counts)
    T = x.shape[1]
    b, g = check_regression_args(b, g, T, "switch")
    w1 = check_weight(w1, "w1")
    w2 = check_weight(w2, "w2")
    d, _ = spaced_dates(dates, T, (1,), "switch (day-of-week regression)")
    n = x.shape[0]
    stat, pval, expected, threshold, r2adj = (np.full((n, T), np.nan) for _ in range(5))
    use_reg = np.zeros((n, T), dtype=np.bool_)
    evaluated = np.zeros((n, T), dtype=np.bool_)
    crit_e: NDArray[np.float64] | None = None
    crit_r: NDArray[np.float64] | None = None
    for sl in chunks(x.shape[0]):
        xs = x[sl]
        e_stat, e_p, e_exp, e_df = _ewma_core(xs, b, g, w1, w2)
        r_stat, r_p, r_exp, _, r_r2, r_df = _regression_core(xs, d, b, g)
        if crit_e is None or crit_r is None:
            crit_e = t_quantile(1 - ALERT_P, e_df)
            crit_r = t_quantile(1 - ALERT_P, r_df.astype(np.int64))
        ev = np.broadcast_to(r_df > 0, xs.shape)
        reg = ev & (r_r2 >= MIN_ADJUSTED_R2)
        use_reg[sl] = reg
        evaluated[sl] = ev
        r2adj[sl] = r_r2
        stat[sl] = np.where(reg, r_stat, e_stat)
        pval[sl] = np.where(reg, r_p, e_p)
        expected[sl] = np.where(reg, r_exp, e_exp)
        threshold[sl] = np.where(ev, np.where(reg, crit_r[None, :], crit_e[None, :]), np.nan)
    with np.errstate(invalid="ignore"):
        alarm = pval < ALERT_P
    return DetectionResult(stat, threshold, pval, alarm, evaluated), expected, r2adj, use_reg


def switch_detail(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    b: int = 28,
    g: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
) -> NsspDetail:
    """Regression/EWMA switch with pynssp's extra columns.

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative daily counts (or percentages), one row per series.
    dates : (T,) array_like of dates
        Consecutive days.
    b : int, default 28
        Baseline length in days: a multiple of 7, ``>= 14``.
    g : int, default 2
        Guard band in days, ``>= 0``.
    w1, w2 : float, default 0.4, 0.9
        EWMA smoothing coefficients, ``0 < w <= 1``.

    Returns
    -------
    NsspDetail
        ``result`` as :func:`switch`; ``expected`` = ``baseline_expected`` of
        the detector used; ``level`` = pynssp's ``alert`` colour;
        ``adjusted_r_squared`` of the regression; ``detector`` =
        ``"regression"``, ``"ewma"`` or ``""`` (not evaluated).

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_switch``.
    """
    result, expected, r2adj, use_reg = _switch(counts, dates, b, g, w1, w2)
    detector = np.where(result.evaluated, np.where(use_reg, "regression", "ewma"), "")
    return NsspDetail(
        result=result,
        expected=expected,
        level=alert_levels(result),
        adjusted_r_squared=r2adj,
        detector=detector,
    )


def switch(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    b: int = 28,
    g: int = 2,
    w1: float = 0.4,
    w2: float = 0.9,
) -> DetectionResult:
    """NSSP-ESSENCE Regression/EWMA switch (pynssp ``alert_switch``).

    Parameters
    ----------
    counts : (n_series, T) or (T,) array_like
        Non-negative daily counts (or percentages), one row per series.
    dates : (T,) array_like of dates
        Consecutive days.
    b : int, default 28
        Baseline length in days: a multiple of 7, ``>= 14``.
    g : int, default 2
        Guard band in days, ``>= 0``.
    w1, w2 : float, default 0.4, 0.9
        EWMA smoothing coefficients, ``0 < w <= 1``.

    Returns
    -------
    DetectionResult
        Per day the regression's outputs where its adjusted R² is ``>= 0.60``,
        else the EWMA's; ``alarm`` = red alert (``p < 0.01``).  Yellow
        warnings: :func:`alert_levels`; which detector: :func:`switch_detail`.

    Raises
    ------
    ValueError
        As :func:`~.regression.regression` and :func:`~.ewma.ewma`.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_switch``.
    """
    return _switch(counts, dates, b, g, w1, w2)[0]
