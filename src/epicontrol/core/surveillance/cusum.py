"""CUSUM charts for a change in the level of count series.

Two detectors:

* :func:`cusum` – Page's CUSUM for Poisson or negative-binomial counts with a
  known in-control mean ``mu0`` and a designed out-of-control mean
  ``mu1 = ratio · mu0`` (Lucas 1985; Hawkins & Olwell 1998, §5).  On the count
  scale ``S_t = max(0, S_{t-1} + y_t - k)`` with the reference value

  - Poisson: ``k = (mu1 - mu0) / log(mu1 / mu0)``;
  - negative binomial with variance ``mu + d·mu²`` (``d`` = ``dispersion``):
    ``k = d⁻¹ log((1 + d mu1)/(1 + d mu0)) / c`` with
    ``c = log(mu1/mu0) + log((1 + d mu0)/(1 + d mu1))``.

  ``S_t`` is the log-likelihood-ratio CUSUM divided by its slope ``c``
  (``c = log ratio`` for Poisson), so a decision interval ``H`` on the
  log-likelihood-ratio scale is ``h = H / c`` counts.  The chart alarms when
  ``S_t >= h``.
* :func:`glr_nbinom` – the generalised-likelihood-ratio (GLR) CUSUM of Höhle &
  Paul (2008) for a change ``mu0_t → mu0_t e^κ`` in the intercept, with
  ``κ`` estimated at each step, as R ``surveillance::algo.glrnb``
  (``change = "intercept"``, ``ret = "value"``).  For every ``n``,

  ``GLR_n = max_k sup_κ Σ_{i=k}^{n} [κ y_i + (y_i + 1/d) log((1 + d mu0_i)/(1 + d mu0_i e^κ))]``,

  ``κ`` found by Newton–Raphson (start 0.5 at each ``n``, then the previous
  ``k``'s estimate; tolerance 1e-6), truncated at 0 in the monitored
  direction.  With ``dispersion = 0`` this is the Poisson GLR with the closed
  form ``κ = log(Σy/Σmu0)`` (R's ``glr_cusum``).  The chart alarms at the first
  ``n`` with ``GLR_n >= c_arl`` and restarts on the data after ``n``.

References
----------
.. [1] Page ES. Continuous inspection schemes. Biometrika 1954;41:100-115.
.. [2] Lucas JM. Counted data CUSUM's. Technometrics 1985;27(2):129-144.
.. [3] Hawkins DM, Olwell DH. Cumulative Sum Charts and Charting for Quality
   Improvement. Springer, 1998 (§5: Poisson and negative binomial CUSUMs).
.. [4] Höhle M, Paul M. Count data regression charts for the monitoring of
   surveillance time series. Comput Stat Data Anal 2008;52(9):4357-4368.
.. [5] R package ``surveillance`` 1.26.0, ``algo.glrnb`` and ``algo.cusum``.
"""

from __future__ import annotations

from typing import Literal

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray

from .base import DetectionResult, as_dates, as_matrix

__all__ = ["cusum", "glr_nbinom"]


def _check_dates(dates: ArrayLike, length: int) -> None:
    d = as_dates(dates, length)
    if length > 1:
        steps = np.diff(d).astype(np.int64)
        if steps[0] <= 0 or (steps != steps[0]).any():
            raise ValueError("dates must be increasing and equally spaced (e.g. daily or weekly)")


def _per_series(value: ArrayLike, n: int, name: str) -> NDArray[np.float64]:
    """A scalar or a length-``n`` vector as a float vector of length ``n``."""
    v = np.asarray(value, dtype=np.float64)
    if v.ndim == 0:
        v = np.full(n, float(v))
    elif v.ndim == 2 and v.shape[1] == 1:
        v = v[:, 0]
    if v.shape != (n,):
        raise ValueError(f"{name} must be a scalar or one value per series ({n}), got {v.shape}")
    if not np.isfinite(v).all():
        raise ValueError(f"{name} must be finite")
    return v


def _baseline_moments(
    x: NDArray[np.float64], baseline: int
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Per-series mean (floored at 0.5/baseline) and moment dispersion ``max(0, (s²-m)/m²)``."""
    ref = x[:, :baseline]
    mean = ref.mean(axis=1)
    var = ref.var(axis=1, ddof=1)
    floor = 0.5 / baseline
    mean = np.maximum(mean, floor)
    disp = np.maximum(0.0, (var - mean) / mean**2)
    return mean, disp


@nb.njit(cache=True)
def _page_kernel(
    x: NDArray[np.float64],
    k: NDArray[np.float64],
    h: NDArray[np.float64],
    start: int,
    reset: bool,
    stat: NDArray[np.float64],
    alarm: NDArray[np.bool_],
) -> None:
    n, length = x.shape
    for s in range(n):
        cur = 0.0
        for t in range(start, length):
            cur = max(0.0, cur + x[s, t] - k[s])
            stat[s, t] = cur
            if cur >= h[s]:
                alarm[s, t] = True
                if reset:
                    cur = 0.0


def cusum(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    kind: Literal["poisson", "nbinom"] = "poisson",
    mu0: ArrayLike | None = None,
    baseline: int = 28,
    ratio: float = 1.5,
    dispersion: ArrayLike | None = None,
    h: ArrayLike | None = None,
    llr_h: float = 5.0,
    reset: bool = False,
) -> DetectionResult:
    """Page's CUSUM for an increase of a Poisson or negative-binomial count level.

    Parameters
    ----------
    counts : array_like, shape (n_series, T) or (T,)
        Non-negative counts.
    dates : array_like of datetime64[D], shape (T,)
        Increasing, equally spaced dates.
    kind : {"poisson", "nbinom"}, default "poisson"
        Count distribution of the likelihood ratio.
    mu0 : float or array_like, shape (n_series,), optional
        In-control mean per series (> 0).  Default: the mean of the first
        ``baseline`` steps of each series (floored at ``0.5 / baseline``); the
        chart then starts after the baseline.
    baseline : int, default 28
        Number of leading steps used to estimate ``mu0`` and ``dispersion``
        when they are not given (>= 2).  28 steps is the NSSP baseline length.
    ratio : float, default 1.5
        Out-of-control mean as a multiple of ``mu0`` (> 1): the shift the chart is tuned to.
    dispersion : float or array_like, shape (n_series,), optional
        Negative-binomial dispersion ``d`` (variance ``mu + d·mu²``, R's ``alpha``), >= 0;
        only for ``kind="nbinom"``.  Default: moment estimate ``max(0, (s² - m)/m²)``
        from the baseline (requires ``mu0`` to be estimated too).
    h : float or array_like, shape (n_series,), optional
        Decision interval on the count scale (> 0).  Default ``llr_h / c``.
    llr_h : float, default 5.0
        Decision interval on the log-likelihood-ratio scale used when ``h`` is
        not given (the same scale as :func:`glr_nbinom`'s ``c_arl``), > 0.
    reset : bool, default False
        Restart the sum at 0 after an alarm (R ``algo.cusum``'s ``reset``).

    Returns
    -------
    DetectionResult
        ``statistic`` = ``S_t`` (counts), ``threshold`` = ``h``, ``p_value`` = NaN,
        ``alarm`` = ``S_t >= h``, ``evaluated`` = steps after the baseline
        (all steps when ``mu0`` is given).

    Raises
    ------
    ValueError
        Bad counts or dates, unknown ``kind``, ``ratio <= 1``, non-positive ``mu0``
        or ``h``, negative ``dispersion``, a dispersion given for Poisson, or a
        series shorter than ``baseline + 1`` when ``mu0`` is estimated.

    References
    ----------
    Page (1954); Lucas (1985); Hawkins & Olwell (1998). See the module docstring.
    """
    if kind not in ("poisson", "nbinom"):
        raise ValueError(f"kind must be 'poisson' or 'nbinom', got {kind!r}")
    if not np.isfinite(ratio) or ratio <= 1.0:
        raise ValueError(f"ratio must be > 1 (an increase of the mean), got {ratio}")
    if not np.isfinite(llr_h) or llr_h <= 0:
        raise ValueError(f"llr_h must be > 0, got {llr_h}")
    if isinstance(baseline, bool) or not isinstance(baseline, int | np.integer) or baseline < 2:
        raise ValueError(f"baseline must be an int >= 2, got {baseline!r}")
    x = as_matrix(counts)
    n, length = x.shape
    _check_dates(dates, length)
    if kind == "poisson" and dispersion is not None:
        raise ValueError("dispersion applies to kind='nbinom' only")
    start = 0
    if mu0 is None:
        if length <= baseline:
            raise ValueError(
                f"counts too short: T={length}, needs more than baseline={baseline} steps "
                "to estimate mu0 (or give mu0)"
            )
        m0, d_est = _baseline_moments(x, baseline)
        start = baseline
    else:
        m0 = _per_series(mu0, n, "mu0")
        if (m0 <= 0).any():
            raise ValueError("mu0 must be > 0")
        d_est = None
    if kind == "poisson":
        d = np.zeros(n)
    elif dispersion is not None:
        d = _per_series(dispersion, n, "dispersion")
        if (d < 0).any():
            raise ValueError("dispersion must be >= 0")
    elif d_est is not None:
        d = d_est
    else:
        raise ValueError("give dispersion for kind='nbinom' when mu0 is given")
    m1 = ratio * m0
    pois = d == 0
    ds = np.where(pois, 1.0, d)
    slope = np.log(ratio) + np.where(pois, 0.0, np.log1p(ds * m0) - np.log1p(ds * m1))
    k = np.where(pois, (m1 - m0), (np.log1p(ds * m1) - np.log1p(ds * m0)) / ds) / slope
    if h is None:
        hh = llr_h / slope
    else:
        hh = _per_series(h, n, "h")
        if (hh <= 0).any():
            raise ValueError("h must be > 0")
    stat = np.full((n, length), np.nan)
    alarm = np.zeros((n, length), dtype=np.bool_)
    _page_kernel(x, k, hh, start, bool(reset), stat, alarm)
    evaluated = np.zeros((n, length), dtype=bool)
    evaluated[:, start:] = True
    threshold = np.where(evaluated, hh[:, None], np.nan)
    return DetectionResult(
        statistic=stat,
        threshold=threshold,
        p_value=np.full((n, length), np.nan),
        alarm=alarm,
        evaluated=evaluated,
    )


@nb.njit(cache=True)
def _nb_lnk(
    kappa: float, x: NDArray[np.float64], mu0: NDArray[np.float64], d: float, k: int, n: int
) -> float:
    s = 0.0
    ek = np.exp(kappa)
    for i in range(k, n + 1):
        s += kappa * x[i] + (x[i] + 1.0 / d) * np.log((1.0 + d * mu0[i]) / (1.0 + d * mu0[i] * ek))
    return s


@nb.njit(cache=True)
def _glr_segment(
    x: NDArray[np.float64],
    mu0: NDArray[np.float64],
    d: float,
    start: int,
    c_arl: float,
    mtilde: int,
    window: int,
    direction: int,
    out: NDArray[np.float64],
) -> int:
    """GLR values from ``start`` until the first alarm; returns its index or -1."""
    length = x.shape[0]
    n0 = start + max(mtilde - 1, 0)
    for n in range(start, min(n0, length)):
        out[n] = 0.0
    for n in range(n0, length):
        best = -1e99
        low = start if window < 0 else max(start, n - window)
        up = n - (mtilde - 1)
        if d == 0.0:
            # closed form, backwards recursion over the change point k (R: glr_cusum)
            sx = 0.0
            sm = 0.0
            for i in range(up + 1, n + 1):
                sx += x[i]
                sm += mu0[i]
            for k in range(up, low - 1, -1):
                sx += x[k]
                sm += mu0[k]
                if sx > 0.0:
                    kap = direction * max(0.0, direction * np.log(sx / sm))
                    val = kap * sx + (1.0 - np.exp(kap)) * sm
                else:  # no cases: kappa = 0 upwards, the limit kappa -> -inf downwards
                    val = 0.0 if direction > 0 else sm
                best = max(best, val)
        else:
            kappa_ml = 0.5
            for k in range(low, up + 1):
                k_old = 0.4
                k_new = kappa_ml
                it = 0
                while k_new > -18.0 and abs(k_new - k_old) > 1e-6 and it < 1000:
                    it += 1
                    k_old = k_new
                    ek = np.exp(k_old)
                    score = 0.0
                    fisher = 0.0
                    for i in range(k, n + 1):
                        den = 1.0 + d * ek * mu0[i]
                        score += (x[i] - ek * mu0[i]) / den
                        fisher += mu0[i] * (d * x[i] + 1.0) / (den * den)
                    k_new = k_old + score / (ek * fisher)
                kappa_ml = direction * max(0.0, direction * k_new)
                best = max(best, _nb_lnk(kappa_ml, x, mu0, d, k, n))
        out[n] = best
        if best >= c_arl:
            return n
    return -1


@nb.njit(cache=True)
def _glr_kernel(
    x: NDArray[np.float64],
    mu0: NDArray[np.float64],
    d: NDArray[np.float64],
    first: int,
    c_arl: float,
    mtilde: int,
    window: int,
    direction: int,
    stat: NDArray[np.float64],
    alarm: NDArray[np.bool_],
) -> None:
    n_series, length = x.shape
    for s in range(n_series):
        start = first
        while start < length:
            hit = _glr_segment(x[s], mu0[s], d[s], start, c_arl, mtilde, window, direction, stat[s])
            if hit < 0:
                break
            alarm[s, hit] = True
            start = hit + 1


def glr_nbinom(
    counts: ArrayLike,
    dates: ArrayLike,
    *,
    mu0: ArrayLike | None = None,
    dispersion: ArrayLike | None = None,
    baseline: int = 28,
    c_arl: float = 5.0,
    direction: Literal["inc", "dec"] = "inc",
    mtilde: int = 1,
    window: int | None = None,
) -> DetectionResult:
    """Negative-binomial (or Poisson) GLR-CUSUM for a change in the intercept.

    Parameters
    ----------
    counts : array_like, shape (n_series, T) or (T,)
        Non-negative counts (integers in R; any non-negative values are accepted).
    dates : array_like of datetime64[D], shape (T,)
        Increasing, equally spaced dates.
    mu0 : array_like, optional
        In-control means (> 0): a scalar, one value per series ``(n_series,)``,
        a full ``(n_series, T)`` matrix (e.g. a seasonal GLM prediction) or, for
        a single series, a ``(T,)`` vector.
        Default: the mean of the first ``baseline`` steps of each series
        (floored at ``0.5 / baseline``); the chart then starts after the baseline.
        (R estimates a seasonal ``glm.nb`` here; give ``mu0`` for that.)
    dispersion : float or array_like, shape (n_series,), optional
        NB dispersion ``d`` (variance ``mu + d·mu²``; R's ``alpha``), >= 0;
        0 gives the Poisson GLR.  Required when ``mu0`` is given; otherwise
        estimated from the baseline as ``max(0, (s² - m)/m²)``.
    baseline : int, default 28
        Leading steps used when ``mu0`` is estimated (>= 2).
    c_arl : float, default 5.0
        Alarm threshold on the GLR statistic (R ``c.ARL``), > 0.
    direction : {"inc", "dec"}, default "inc"
        Direction of the change (R ``dir``).
    mtilde : int, default 1
        Number of observations needed to estimate ``κ`` (R ``Mtilde``), >= 1.
    window : int, optional
        Window limit ``M``: only change points ``k >= n - M`` are considered;
        ``None`` is R's ``M = -1`` (all since the last restart).  The cost per
        step grows with the window, so long series are faster with a window.

    Returns
    -------
    DetectionResult
        ``statistic`` = ``GLR_n`` (negative values set to 0, as R),
        ``threshold`` = ``c_arl``, ``p_value`` = NaN, ``alarm`` at the first
        ``n`` with ``GLR_n >= c_arl`` after each restart, ``evaluated`` = steps
        after the baseline (all steps when ``mu0`` is given).

    Raises
    ------
    ValueError
        Bad counts or dates, non-positive ``mu0`` or ``c_arl``, negative
        ``dispersion``, missing ``dispersion`` with a given ``mu0``, bad
        ``direction``/``mtilde``/``window``, or a series too short for the baseline.

    References
    ----------
    Höhle & Paul (2008); R ``surveillance::algo.glrnb`` (C routine ``glr_nb_window``).
    """
    if direction not in ("inc", "dec"):
        raise ValueError(f"direction must be 'inc' or 'dec', got {direction!r}")
    if not np.isfinite(c_arl) or c_arl <= 0:
        raise ValueError(f"c_arl must be > 0, got {c_arl}")
    if isinstance(mtilde, bool) or not isinstance(mtilde, int | np.integer) or mtilde < 1:
        raise ValueError(f"mtilde must be an int >= 1, got {mtilde!r}")
    if window is not None and (not isinstance(window, int | np.integer) or window < mtilde):
        raise ValueError(f"window must be an int >= mtilde ({mtilde}) or None, got {window!r}")
    if isinstance(baseline, bool) or not isinstance(baseline, int | np.integer) or baseline < 2:
        raise ValueError(f"baseline must be an int >= 2, got {baseline!r}")
    x = as_matrix(counts)
    n, length = x.shape
    _check_dates(dates, length)
    start = 0
    if mu0 is None:
        if length <= baseline:
            raise ValueError(
                f"counts too short: T={length}, needs more than baseline={baseline} steps "
                "to estimate mu0 (or give mu0)"
            )
        m0, d_est = _baseline_moments(x, baseline)
        mu = np.repeat(m0[:, None], length, axis=1)
        start = baseline
        d = d_est if dispersion is None else _per_series(dispersion, n, "dispersion")
    else:
        if dispersion is None:
            raise ValueError("dispersion must be given with mu0 (0 for the Poisson GLR)")
        mu = np.asarray(mu0, dtype=np.float64)
        if mu.ndim == 2 and mu.shape[1] == length and mu.shape[0] in (1, n):
            mu = np.broadcast_to(mu, (n, length)).copy()
        elif mu.ndim == 1 and mu.shape[0] == length and n == 1:
            mu = mu[None, :].copy()
        else:
            mu = np.repeat(_per_series(mu, n, "mu0")[:, None], length, axis=1)
        d = _per_series(dispersion, n, "dispersion")
    if not np.isfinite(mu).all() or (mu <= 0).any():
        raise ValueError("mu0 must be finite and > 0")
    if (d < 0).any():
        raise ValueError("dispersion must be >= 0")
    stat = np.zeros((n, length))
    alarm = np.zeros((n, length), dtype=np.bool_)
    _glr_kernel(
        x, mu, d, start, float(c_arl), int(mtilde), -1 if window is None else int(window),
        1 if direction == "inc" else -1, stat, alarm,
    )  # fmt: skip
    stat = np.where(np.isnan(stat) | (stat < 0), 0.0, stat)
    evaluated = np.zeros((n, length), dtype=bool)
    evaluated[:, start:] = True
    stat[~evaluated] = np.nan
    return DetectionResult(
        statistic=stat,
        threshold=np.where(evaluated, float(c_arl), np.nan),
        p_value=np.full((n, length), np.nan),
        alarm=alarm,
        evaluated=evaluated,
    )
