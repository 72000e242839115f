"""EARS C1, C2 and C3 aberration detection (CDC Early Aberration Reporting System).

Each time step is compared with a short moving baseline of the steps just
before it:

* **C1** – baseline = the ``baseline`` steps immediately before ``t``
  (``t-baseline … t-1``);
* **C2** – the same window moved back by a 2-step guard band
  (``t-baseline-2 … t-3``);
* **C3** – built from the C2 statistics of ``t-2`` and ``t-1``.

With ``z = Φ⁻¹(1 - alpha)`` (one-sided), ``m_t`` and ``s_t`` the mean and
sample standard deviation (``n - 1`` denominator) of the reference window,
and ``σ_t = max(s_t, min_sigma)``, the upper bound on the count is, as in R
``surveillance::earsC`` (1.26.0),

* C1, C2: ``U_t = m_t + z σ_t``;
* C3: ``U_t = max(0, y_t + σ_t (z - e_{t-2} - e_{t-1}))`` where
  ``e_s = max(0, C2_s - 1)`` and ``C2_s = (y_s - m_s) / σ_s``
  (``m_s``, ``σ_s`` from the C2 window of ``s``, ``σ_t`` from the C2 window of ``t``).

A step alarms when ``y_t > U_t`` (strict).  Arithmetic follows R: with
``min_sigma = 0`` a flat baseline gives ``σ = 0``; C1/C2 then use ``U = m``
and the C2 ratio ``0/0`` is ``NaN``, which makes the C3 bound ``NaN`` (no alarm).
Set ``min_sigma > 0`` to avoid this.

The reported statistic is the C value: C1 and C2 are ``(y_t - m_t)/σ_t``; C3
is the CDC sum of the three C2 excesses ``e_{t-2} + e_{t-1} + e_t``
(Hutwagner et al. 2003).  Note that R's C3 bound (used here for ``threshold``
and ``alarm``) only involves ``e_{t-2}`` and ``e_{t-1}``: for ``σ_t > 0`` it alarms
exactly when ``e_{t-2} + e_{t-1} > z``.

References
----------
.. [1] Hutwagner L, Thompson W, Seeman GM, Treadwell T. The bioterrorism
   preparedness and response Early Aberration Reporting System (EARS).
   J Urban Health 2003;80(2 Suppl 1):i89-i96.
.. [2] Fricker RD, Hegler BL, Dunfee DA. Comparing syndromic surveillance
   detection methods: EARS' versus a CUSUM-based methodology. Stat Med
   2008;27:3407-3429.
.. [3] Salmon M, Schumacher D, Höhle M. Monitoring count time series in R:
   aberration detection in public health surveillance. J Stat Softw
   2016;70(10). (R package ``surveillance``, function ``earsC``.)
"""

from __future__ import annotations

from typing import Literal

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.stats import norm

from ._nssp import run_rows
from .base import DetectionResult, as_dates, as_matrix

__all__ = ["ears_c1", "ears_c2", "ears_c3"]

Method = Literal["C1", "C2", "C3"]

#: R's defaults when ``alpha`` is not given: 0.001 for C1/C2 (z ≈ 3.09), 0.025 for C3 (z ≈ 1.96).
DEFAULT_ALPHA: dict[str, float] = {"C1": 0.001, "C2": 0.001, "C3": 0.025}
#: Guard band (gap between the reference window and ``t``) of each method.
_GUARD: dict[str, int] = {"C1": 0, "C2": 2, "C3": 2}
#: Steps needed before the first evaluated step (R's ``maxLag`` minus the baseline).
_EXTRA_LAG: dict[str, int] = {"C1": 0, "C2": 2, "C3": 4}


def _check_equal_spacing(dates: ArrayLike, length: int) -> None:
    d = as_dates(dates, length)
    if length > 1:
        steps = np.diff(d).astype(np.int64)
        if steps[0] <= 0 or (steps != steps[0]).any():
            raise ValueError("dates must be increasing and equally spaced (e.g. daily or weekly)")


@nb.njit(nogil=True, cache=True)
def _window_kernel(x, baseline, lag, mean, sd):  # type: ignore[no-untyped-def]
    """Two-pass mean and sample sd of ``x[s, t-lag : t-lag+baseline]`` for ``t >= lag``."""
    n, length = x.shape
    for s in range(n):
        for t in range(lag, length):
            a = t - lag
            total = 0.0
            for i in range(a, a + baseline):
                total += x[s, i]
            m = total / baseline
            ss = 0.0
            for i in range(a, a + baseline):
                d = x[s, i] - m
                ss += d * d
            mean[s, t] = m
            sd[s, t] = np.sqrt(ss / (baseline - 1))


def _window_stats(
    x: NDArray[np.float64], baseline: int, guard: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Mean and sample sd of the reference window of every ``t``; NaN where it does not exist.

    The window of ``t`` is ``x[t-baseline-guard : t-guard]`` (two passes per
    window, as numpy's ``mean`` and ``std(ddof=1)``; blocks of series on threads).
    """
    n, length = x.shape
    mean = np.full((n, length), np.nan)
    sd = np.full((n, length), np.nan)
    lag = baseline + guard
    if length <= lag:
        return mean, sd
    xc = np.ascontiguousarray(x, dtype=np.float64)

    def part(r: slice) -> None:
        _window_kernel(xc[r], baseline, lag, mean[r], sd[r])

    run_rows(part, n)
    return mean, sd


def _ears(
    counts: ArrayLike,
    dates: ArrayLike,
    method: Method,
    baseline: int,
    alpha: float | None,
    min_sigma: float,
) -> DetectionResult:
    if isinstance(baseline, bool) or not isinstance(baseline, int | np.integer):
        raise TypeError(f"baseline must be an int, got {type(baseline).__name__}")
    if baseline < 3:
        raise ValueError(f"baseline must be >= 3 (minimum baseline to use is 3), got {baseline}")
    if not np.isfinite(min_sigma) or min_sigma < 0:
        raise ValueError(f"min_sigma must be finite and >= 0, got {min_sigma}")
    a = DEFAULT_ALPHA[method] if alpha is None else float(alpha)
    if not 0.0 < a < 1.0:
        raise ValueError(f"alpha must be in (0, 1), got {alpha}")
    x = as_matrix(counts)
    n, length = x.shape
    _check_equal_spacing(dates, length)
    first = baseline + _EXTRA_LAG[method]
    if length <= first:
        raise ValueError(
            f"counts too short for EARS {method}: T={length}, needs at least {first + 1} time "
            f"steps (baseline {baseline} + {_EXTRA_LAG[method]} lag + the monitored step)"
        )
    z = float(norm.ppf(1.0 - a))
    mean, sd = _window_stats(x, baseline, _GUARD[method])
    sigma = np.maximum(sd, min_sigma)
    evaluated = np.zeros((n, length), dtype=bool)
    evaluated[:, first:] = True
    with np.errstate(divide="ignore", invalid="ignore"):
        c = (x - mean) / sigma
        if method in ("C1", "C2"):
            upper = mean + z * sigma
            statistic = c
        else:
            exc = np.maximum(0.0, c - 1.0)  # NaN propagates, like R's pmax
            lagged = np.full((n, length), np.nan)
            lagged[:, 2:] = exc[:, :-2] + exc[:, 1:-1]
            upper = np.maximum(0.0, x + sigma * (z - lagged))
            statistic = lagged + exc
    upper = np.where(evaluated, upper, np.nan)
    statistic = np.where(evaluated, statistic, np.nan)
    alarm = evaluated & (x > upper)  # comparisons with NaN are False
    return DetectionResult(
        statistic=statistic.astype(np.float64),
        threshold=upper.astype(np.float64),
        p_value=np.full((n, length), np.nan),
        alarm=alarm,
        evaluated=evaluated,
    )


def ears_c1(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    baseline: int = 7,
    alpha: float | None = None,
    min_sigma: float = 0.0,
) -> DetectionResult:
    """EARS C1: compare each step with mean + z·sd of the ``baseline`` steps before it.

    Parameters
    ----------
    counts : array_like, shape (n_series, T) or (T,)
        Non-negative counts, one row per series.
    dates : array_like of datetime64[D], shape (T,)
        Increasing, equally spaced dates (daily in the CDC design; weekly works too).
    baseline : int, default 7
        Length of the reference window, >= 3.
    alpha : float, optional
        One-sided false-alarm probability per step, in (0, 1); ``z = Φ⁻¹(1 - alpha)``.
        Default as R ``earsC``: 0.001.
    min_sigma : float, default 0
        Lower bound on the reference standard deviation, >= 0.

    Returns
    -------
    DetectionResult
        ``statistic`` = C1 value, ``threshold`` = upper bound on the count (R's
        ``upperbound``), ``p_value`` = NaN, ``alarm`` = count > upper bound,
        ``evaluated`` = steps with a full reference window (index >= baseline).

    Raises
    ------
    ValueError
        Negative or non-finite counts, wrong shapes, ``baseline < 3``,
        ``min_sigma < 0``, ``alpha`` outside (0, 1), or ``T <= baseline``.

    References
    ----------
    Hutwagner et al. (2003); R ``surveillance::earsC`` (method ``C1``); see the
    module docstring for the formulas.
    """
    return _ears(counts, dates, "C1", baseline, alpha, min_sigma)


def ears_c2(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    baseline: int = 7,
    alpha: float | None = None,
    min_sigma: float = 0.0,
) -> DetectionResult:
    """EARS C2: like C1, with the reference window moved back by a 2-step guard band.

    Parameters
    ----------
    counts : array_like, shape (n_series, T) or (T,)
        Non-negative counts, one row per series.
    dates : array_like of datetime64[D], shape (T,)
        Increasing, equally spaced dates (daily in the CDC design; weekly works too).
    baseline : int, default 7
        Length of the reference window, >= 3.
    alpha : float, optional
        One-sided false-alarm probability per step, in (0, 1); ``z = Φ⁻¹(1 - alpha)``.
        Default as R ``earsC``: 0.001.
    min_sigma : float, default 0
        Lower bound on the reference standard deviation, >= 0.

    Returns
    -------
    DetectionResult
        ``statistic`` = C2 value, ``threshold`` = upper bound on the count (R's
        ``upperbound``), ``p_value`` = NaN, ``alarm`` = count > upper bound,
        ``evaluated`` = steps with a full reference window (index >= baseline + 2).

    Raises
    ------
    ValueError
        Negative or non-finite counts, wrong shapes, ``baseline < 3``,
        ``min_sigma < 0``, ``alpha`` outside (0, 1), or ``T <= baseline + 2``.

    References
    ----------
    Hutwagner et al. (2003); R ``surveillance::earsC`` (method ``C2``); see the
    module docstring for the formulas.
    """
    return _ears(counts, dates, "C2", baseline, alpha, min_sigma)


def ears_c3(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    baseline: int = 7,
    alpha: float | None = None,
    min_sigma: float = 0.0,
) -> DetectionResult:
    """EARS C3: accumulate the C2 excesses of the two previous steps.

    Parameters
    ----------
    counts : array_like, shape (n_series, T) or (T,)
        Non-negative counts, one row per series.
    dates : array_like of datetime64[D], shape (T,)
        Increasing, equally spaced dates (daily in the CDC design; weekly works too).
    baseline : int, default 7
        Length of the reference window, >= 3.
    alpha : float, optional
        One-sided false-alarm probability per step, in (0, 1); ``z = Φ⁻¹(1 - alpha)``.
        Default as R ``earsC``: 0.025.
    min_sigma : float, default 0
        Lower bound on the reference standard deviation, >= 0.

    Returns
    -------
    DetectionResult
        ``statistic`` = C3 value, ``threshold`` = upper bound on the count (R's
        ``upperbound``), ``p_value`` = NaN, ``alarm`` = count > upper bound,
        ``evaluated`` = steps with a full reference window (index >= baseline + 4).

    Raises
    ------
    ValueError
        Negative or non-finite counts, wrong shapes, ``baseline < 3``,
        ``min_sigma < 0``, ``alpha`` outside (0, 1), or ``T <= baseline + 4``.

    References
    ----------
    Hutwagner et al. (2003); R ``surveillance::earsC`` (method ``C3``); see the
    module docstring for the formulas.
    """
    return _ears(counts, dates, "C3", baseline, alpha, min_sigma)
