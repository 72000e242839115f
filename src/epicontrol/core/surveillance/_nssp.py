"""Shared pieces of the NSSP-ESSENCE detectors (private to ``ewma`` … ``serfling``).

Holds the extended result type, pynssp's colour levels, the Student-t CDF used
inside the numba kernels, the special functions and small linear algebra of
the negative-binomial fit, the date and parameter checks, and the row-block
threading of the (``nogil``) kernels.

References
----------
.. [1] CDC National Syndromic Surveillance Program, ``pynssp`` 0.1.0
   (``pynssp.detectors``), and the R package ``Rnssp``.
.. [2] Cephes Mathematical Library, ``stdtr.c`` (Moshier SL, 1984-1995).
.. [3] Abramowitz M, Stegun IA. Handbook of Mathematical Functions. NBS, 1964:
   6.1.40-41 (Stirling series of log Γ), 6.3.5 and 6.3.18 (ψ recurrence and
   asymptotic series), 6.4.6 and 6.4.12 (ψ').
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numba as nb
import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from .base import DetectionResult, as_dates

ALERT_P = 0.01
"""pynssp's alert (red) level: ``p < 0.01``."""
WARNING_P = 0.05
"""pynssp's warning (yellow) level: ``0.01 <= p < 0.05``."""

MIN_BASELINE = 11
"""pynssp's ``min_baseline``: the first step evaluated is ``11 + g`` (0-based)."""

CHUNK = 2048
"""Series per block in the detectors, to bound the temporaries of large matrices."""

_FRAGILE = 1e-12
_MACHEP = 1.11022302462515654042e-16


@dataclass(frozen=True)
class NsspDetail:
    """A :class:`DetectionResult` with the other columns pynssp returns.

    Attributes
    ----------
    result : DetectionResult
        What the plain detector function returns.
    expected : (n_series, T) float64
        pynssp's ``baseline_expected`` (EWMA, regression, switch) or
        ``estimate`` (negative binomial, Serfling); ``NaN`` where not evaluated.
    level : (n_series, T) str or None
        pynssp's ``alert`` colour: ``"red"`` (alert, ``p < 0.01``),
        ``"yellow"`` (warning, ``0.01 <= p < 0.05``), ``"blue"`` (neither) or
        ``"grey"`` (not evaluated).  ``None`` for the negative-binomial and
        Serfling detectors, which only have a binary ``alarm``.
    sigma : (n_series, T) float64 or None
        Regression only: the bounded standard error of the regression.
    adjusted_r_squared : (n_series, T) float64 or None
        Regression and switch: the baseline model's adjusted R² (0 where the
        baseline is constant).
    detector : (n_series, T) str or None
        Switch only: ``"regression"``, ``"ewma"`` or ``""`` (not evaluated).
    """

    result: DetectionResult
    expected: NDArray[np.float64]
    level: NDArray[np.str_] | None = None
    sigma: NDArray[np.float64] | None = None
    adjusted_r_squared: NDArray[np.float64] | None = None
    detector: NDArray[np.str_] | None = None


def alert_levels(result: DetectionResult) -> NDArray[np.str_]:
    """pynssp's colour for every step of an EWMA, regression or switch result.

    Parameters
    ----------
    result : DetectionResult
        A result whose ``p_value`` is pynssp's p-value.

    Returns
    -------
    (n_series, T) str
        ``"red"`` where ``p < 0.01`` (the alert, ``result.alarm``), ``"yellow"``
        where ``0.01 <= p < 0.05`` (pynssp's warning), ``"blue"`` where
        ``p >= 0.05`` and ``"grey"`` where the step was not evaluated — the
        values of pynssp's ``alert`` column.

    References
    ----------
    .. [1] pynssp 0.1.0, ``alert_ewma`` / ``alert_regression`` (``np.select``
       on ``p_value``).
    """
    p = np.asarray(result.p_value, dtype=np.float64)
    out = np.full(p.shape, "grey", dtype="<U6")
    with np.errstate(invalid="ignore"):
        out[p >= WARNING_P] = "blue"
        out[(p >= ALERT_P) & (p < WARNING_P)] = "yellow"
        out[p < ALERT_P] = "red"
    return out


# ---------------------------------------------------------------- Student t


_HALF_RATIO = np.array([(j - 1) / j if j > 0 else 0.0 for j in range(512)])


@nb.njit(cache=True)
def t_cdf(t: float, k: int) -> float:  # pragma: no cover - compiled
    """Student-t CDF for integer ``1 <= k < 512`` degrees of freedom.

    Cephes ``stdtr``'s finite series for integer ``k`` (odd: arctangent plus a
    series, even: a series), with the divisions replaced by products; within
    a few units in the last place of SciPy's ``stdtr``.
    """
    if t == 0.0:
        return 0.5
    x = -t if t < 0.0 else t
    rk = float(k)
    z = 1.0 + (x * x) / rk
    iz = 1.0 / z
    if k % 2 == 1:
        xsqk = x / math.sqrt(rk)
        p = math.atan(xsqk)
        if k > 1:
            f = 1.0
            tz = 1.0
            j = 3
            while j <= k - 2:
                tz *= _HALF_RATIO[j] * iz
                f += tz
                if tz <= _MACHEP * f:
                    break
                j += 2
            p += f * xsqk * iz
        p *= 2.0 / math.pi
    else:
        f = 1.0
        tz = 1.0
        j = 2
        while j <= k - 2:
            tz *= _HALF_RATIO[j] * iz
            f += tz
            if tz <= _MACHEP * f:
                break
            j += 2
        p = f * x / math.sqrt(z * rk)
    if t < 0.0:
        p = -p
    return 0.5 + 0.5 * p


def t_pvalue(stat: NDArray[np.float64], df: NDArray[np.float64]) -> NDArray[np.float64]:
    """``1 - t.cdf(stat, df)`` exactly as pynssp computes it (SciPy's ``stdtr``)."""
    out: NDArray[np.float64] = 1.0 - special.stdtr(df, stat)
    return out


def fragile(p: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Where a kernel p-value is within 1e-12 of pynssp's 0.01 / 0.05 cut-offs."""
    return (np.abs(p - ALERT_P) <= _FRAGILE) | (np.abs(p - WARNING_P) <= _FRAGILE)


def t_quantile(q: float, df: NDArray[np.int64], decimals: int | None = None) -> NDArray[np.float64]:
    """``t.ppf(q, df)`` (rounded to ``decimals`` as pynssp rounds its limits); NaN for df < 1."""
    dfs = np.asarray(df, dtype=np.float64)
    out = np.full(dfs.shape, np.nan)
    ok = dfs >= 1
    out[ok] = stats.t.ppf(q, dfs[ok])
    if decimals is not None:
        out = np.round(out, decimals)
    return out


# ---------------------------------------------------------------- special functions


@nb.njit(cache=True)
def _asym_psi(x: float) -> float:  # pragma: no cover - compiled
    """ψ(x) - log(x) + 1/(2x) for x >= 10 (asymptotic series, error < 1e-17)."""
    f = 1.0 / (x * x)
    return -f * (
        1 / 12
        - f * (1 / 120 - f * (1 / 252 - f * (1 / 240 - f * (1 / 132 - f * (691 / 32760 - f / 12)))))
    )


@nb.njit(cache=True)
def psi_diff(y: float, th: float) -> float:  # pragma: no cover - compiled
    """ψ(y + θ) - ψ(θ), without cancellation for large θ."""
    if y == 0.0:
        return 0.0
    r = 0.0
    a = th
    while a < 10.0:
        r += 1.0 / a - 1.0 / (a + y)
        a += 1.0
    bb = a + y
    return r + math.log1p(y / a) - 0.5 / bb + 0.5 / a + _asym_psi(bb) - _asym_psi(a)


@nb.njit(cache=True)
def trigamma(x: float) -> float:  # pragma: no cover - compiled
    """ψ'(x) for x > 0 (recurrence up to x >= 10, then the asymptotic series)."""
    r = 0.0
    while x < 10.0:
        r += 1.0 / (x * x)
        x += 1.0
    f = 1.0 / (x * x)
    s = 1 / 6 - f * (1 / 30 - f * (1 / 42 - f * (1 / 30 - f * (5 / 66 - f * (691 / 2730)))))
    return r + 1.0 / x + 0.5 * f + s * f / x


@nb.njit(cache=True)
def lgamma_diff(y: float, th: float) -> float:  # pragma: no cover - compiled
    """log Γ(y + θ) - log Γ(θ), stable for large θ (Stirling difference)."""
    if y == 0.0:
        return 0.0
    if th < 1e4:
        return math.lgamma(y + th) - math.lgamma(th)
    b = th + y
    s = (1 / b - 1 / th) / 12 - (1 / b**3 - 1 / th**3) / 360
    return (th - 0.5) * math.log1p(y / th) + y * math.log(b) - y + s


# ---------------------------------------------------------------- small linear algebra


@nb.njit(cache=True)
def chol_solve(a: NDArray[np.float64], rhs: NDArray[np.float64], out: NDArray[np.float64]) -> bool:
    """Solve ``a out = rhs`` for symmetric positive-definite ``a``; False if it is not."""
    k = a.shape[0]
    low = np.zeros((k, k))
    for i in range(k):
        for j in range(i + 1):
            s = a[i, j]
            for m in range(j):
                s -= low[i, m] * low[j, m]
            if i == j:
                if not s > 0.0:
                    return False
                low[i, i] = math.sqrt(s)
            else:
                low[i, j] = s / low[j, j]
    for i in range(k):
        s = rhs[i]
        for m in range(i):
            s -= low[i, m] * out[m]
        out[i] = s / low[i, i]
    for i in range(k - 1, -1, -1):
        s = out[i]
        for m in range(i + 1, k):
            s -= low[m, i] * out[m]
        out[i] = s / low[i, i]
    return True


@nb.njit(cache=True)
def inverse(a: NDArray[np.float64]) -> NDArray[np.float64]:  # pragma: no cover - compiled
    """Inverse of a symmetric positive-definite matrix, column by column (NaN if it is not)."""
    k = a.shape[0]
    inv = np.empty((k, k))
    e = np.zeros(k)
    col = np.empty(k)
    for j in range(k):
        for i in range(k):
            e[i] = 1.0 if i == j else 0.0
        if not chol_solve(a, e, col):
            for i in range(k):
                for m in range(k):
                    inv[i, m] = np.nan
            return inv
        for i in range(k):
            inv[i, j] = col[i]
    return inv


# ---------------------------------------------------------------- checks


def check_int(value: int, name: str, minimum: int) -> int:
    """``value`` as an ``int`` that must be ``>= minimum``."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an integer, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def check_weight(value: float, name: str) -> float:
    """A smoothing coefficient: a number with ``0 < value <= 1``."""
    w = float(value)
    if not (0.0 < w <= 1.0):
        raise ValueError(f"{name} must satisfy 0 < {name} <= 1, got {value}")
    return w


def spaced_dates(
    dates: ArrayLike, length: int, allowed: tuple[int, ...], what: str
) -> tuple[NDArray[np.datetime64], int]:
    """Dates of ``length`` steps, equally spaced by one of ``allowed`` day counts.

    Returns the dates and their spacing in days (1 = daily, 7 = weekly).
    """
    d = as_dates(dates, length)
    names = {1: "daily", 7: "weekly"}
    wanted = " or ".join(
        f"{names.get(a, a)} ({a} day{'s' if a > 1 else ''} apart)" for a in allowed
    )
    step = int((d[1] - d[0]).astype(np.int64)) if length > 1 else allowed[0]
    if step not in allowed:
        raise ValueError(
            f"{what} needs consecutive {wanted} dates, got a first step of {step} days"
        )
    return as_dates(d, length, step_days=step), step


def weekday(dates: NDArray[np.datetime64]) -> NDArray[np.int64]:
    """Day of the week, Monday = 0 … Sunday = 6."""
    days = dates.astype("datetime64[D]").astype(np.int64)
    out: NDArray[np.int64] = (days + 3) % 7
    return out


def as_date(value: object, name: str) -> np.datetime64:
    """A scalar date (``str``, ``datetime.date``, ``numpy.datetime64``) as ``datetime64[D]``."""
    try:
        arr = np.asarray(value, dtype="datetime64[D]")
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be a date (e.g. '2020-12-27'), got {value!r}") from exc
    if arr.ndim != 0 or np.isnat(arr):
        raise ValueError(f"{name} must be a single date, got {value!r}")
    return np.datetime64(arr.item(), "D")


def chunks(n: int, size: int = CHUNK) -> Iterator[slice]:
    """Consecutive row blocks ``[i, i + size)`` covering ``0 … n``."""
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def threads() -> int:
    """Worker threads for the kernels: numba's thread count (``NUMBA_NUM_THREADS``)."""
    return max(1, int(nb.get_num_threads()))


def run_rows(fn: Callable[[slice], object], n: int, min_rows: int = 8) -> None:
    """Call ``fn`` on consecutive row slices covering ``0 … n``, one per thread.

    The kernels are ``nogil`` numba functions, so the threads run in parallel;
    compiling them is much quicker than numba's ``parallel=True`` loops.
    """
    k = max(1, min(threads(), n // min_rows))
    if k == 1:
        fn(slice(0, n))
        return
    bounds = np.linspace(0, n, k + 1).astype(np.int64)
    parts = [slice(int(a), int(b)) for a, b in itertools.pairwise(bounds)]
    with ThreadPoolExecutor(k) as pool:
        for _ in pool.map(fn, parts):
            pass


def first_step(g: int) -> int:
    """Index of the first step pynssp evaluates (its loops start at ``min_baseline + g``)."""
    return MIN_BASELINE + g
