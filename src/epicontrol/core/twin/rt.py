"""Instantaneous reproduction number Rt (Cori et al. 2013), as EpiEstim ``estimate_R``.

Model
-----
Incidence on day ``t`` (days ``1 .. T``, 1-based as in EpiEstim) is split into
local cases ``L_t`` and imported cases ``M_t``.  Local cases are Poisson with
mean ``R_t Λ_t``, where the *overall infectivity* of everyone infected before
``t`` (local and imported alike) is

.. math::

   Λ_t = \\sum_{s=1}^{t-1} w_s (L_{t-s} + M_{t-s}),

with ``w`` the discrete serial interval (:mod:`.serial_interval`, ``w_0 = 0``).
Assuming ``R`` constant over a window ``[t_s, t_e]`` and a gamma prior with
mean ``m`` and sd ``s`` (shape ``a = (m/s)^2``, scale ``b = s^2/m``; default
``m = s = 5``), the posterior is gamma with

.. math::

   a_{post} = a + \\sum_{t=t_s}^{t_e} L_t, \\qquad
   b_{post} = \\left(1/b + \\sum_{t=t_s}^{t_e} Λ_t\\right)^{-1},

so the posterior mean is ``a_post b_post``, the sd ``sqrt(a_post) b_post``,
and the quantiles are those of ``Gamma(a_post, scale=b_post)``.  Its
coefficient of variation is ``1 / sqrt(a_post)``; Cori et al. advise windows
with CV below ``cv_posterior`` (0.3).

EpiEstim conventions kept here
------------------------------
* Without an imported series, all cases of day 1 are taken as imported (no
  earlier infector is observed).  With one, local cases of day 1 are moved to
  imported too (EpiEstim does so with a warning); ``moved_first_day`` says so.
* Default windows are weekly and slide by one day: ``t_start = 2 .. T-6``,
  ``t_end = t_start + 6`` (``window = 7``); windows need ``t_start >= 2``.
* Parametric SI: ``discr_si(k, mean_si, std_si)`` for ``k = 0 .. T-1``, padded
  with one 0 to length ``T+1``; non-parametric SI padded with zeros (or cut)
  to length ``T+1``.  ``si_mean``/``si_std`` are the moments of that vector.
* Uncertain SI (``method="uncertain_si"``): ``n1`` pairs (mean, sd) are drawn
  from normal distributions truncated to ``[min, max]`` by rejection, and for
  each pair ``n2`` values of R from its gamma posterior; the summary (mean,
  sd with ``n-1``, type-7 quantiles) is over the ``n1 n2`` values.  This is a
  Monte-Carlo estimate: it equals EpiEstim's in distribution, not bit for bit.

References
----------
.. [1] Cori A, Ferguson NM, Fraser C, Cauchemez S. A new framework and
   software to estimate time-varying reproduction numbers during epidemics.
   Am J Epidemiol 2013;178(9):1505-1512.
.. [2] Thompson RN, Stockwin JE, van Gaalen RD, et al. Improved inference of
   time-varying reproduction numbers during infectious disease outbreaks.
   Epidemics 2019;29:100356 (local/imported cases).
.. [3] EpiEstim 3.0.0, R package (mrc-ide/EpiEstim): ``estimate_R``,
   ``make_config``, ``overall_infectivity``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pyarrow as pa
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammaincinv

from .serial_interval import check_si_distr, discr_si, si_moments

__all__ = [
    "QUANTILES",
    "GammaPrior",
    "NonParametricSI",
    "ParametricSI",
    "RtEstimate",
    "SampledSI",
    "UncertainSI",
    "default_windows",
    "estimate_r",
    "overall_infectivity",
    "split_incidence",
]

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Posterior quantiles reported for every window (EpiEstim's columns).
QUANTILES: tuple[float, ...] = (0.025, 0.05, 0.25, 0.5, 0.75, 0.95, 0.975)

Method = Literal["parametric_si", "non_parametric_si", "uncertain_si", "si_from_sample"]


@dataclass(frozen=True)
class GammaPrior:
    """Gamma prior on R given by its mean and sd (EpiEstim ``mean_prior``/``std_prior``)."""

    mean: float = 5.0
    sd: float = 5.0

    def __post_init__(self) -> None:
        if not (math.isfinite(self.mean) and self.mean > 0):
            raise ValueError(f"mean_prior must be > 0, got {self.mean!r}")
        if not (math.isfinite(self.sd) and self.sd > 0):
            raise ValueError(f"std_prior must be > 0, got {self.sd!r}")

    @property
    def shape(self) -> float:
        return (self.mean / self.sd) ** 2

    @property
    def scale(self) -> float:
        return self.sd**2 / self.mean


@dataclass(frozen=True)
class ParametricSI:
    """Serial interval ``1 + Gamma`` with the given mean (> 1) and sd, discretised."""

    mean: float
    sd: float

    def __post_init__(self) -> None:
        discr_si(np.zeros(1), self.mean, self.sd)  # validates mean > 1 and sd > 0


@dataclass(frozen=True)
class NonParametricSI:
    """A given discrete serial interval ``w_0 = 0, w_1, w_2, ...`` summing to 1."""

    distr: tuple[float, ...]

    def __post_init__(self) -> None:
        check_si_distr(np.asarray(self.distr, dtype=np.float64))

    @classmethod
    def of(cls, distr: ArrayLike) -> NonParametricSI:
        return cls(tuple(float(v) for v in np.asarray(distr, dtype=np.float64).ravel()))


@dataclass(frozen=True)
class UncertainSI:
    """Uncertain parametric SI: (mean, sd) drawn from truncated normals (EpiEstim names)."""

    mean_si: float
    std_mean_si: float
    min_mean_si: float
    max_mean_si: float
    std_si: float
    std_std_si: float
    min_std_si: float
    max_std_si: float
    n1: int = 100
    n2: int = 100

    def __post_init__(self) -> None:
        for name in ("std_mean_si", "std_std_si"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)!r}")
        if not 1 <= self.min_mean_si <= self.mean_si <= self.max_mean_si:
            raise ValueError("need 1 <= min_mean_si <= mean_si <= max_mean_si")
        if not 0 < self.min_std_si <= self.std_si <= self.max_std_si:
            raise ValueError("need 0 < min_std_si <= std_si <= max_std_si")
        if self.n1 < 1 or self.n2 < 2:
            raise ValueError(f"n1 must be >= 1 and n2 >= 2, got n1={self.n1}, n2={self.n2}")


@dataclass(frozen=True)
class SampledSI:
    """A sample of SI distributions, one per row (EpiEstim ``si_from_sample``).

    Each row must be a valid SI distribution (``w_0 = 0``, sums to 1); ``n2``
    draws of R are taken from each row's posterior.
    """

    distrs: tuple[tuple[float, ...], ...]
    n2: int = 100

    def __post_init__(self) -> None:
        w = check_si_distr(np.asarray(self.distrs, dtype=np.float64), name="si_sample")
        if w.ndim != 2:
            raise ValueError("si_sample must have one SI distribution per row")
        if self.n2 < 2:
            raise ValueError(f"n2 must be >= 2, got {self.n2}")

    @classmethod
    def of(cls, distrs: ArrayLike, n2: int = 100) -> SampledSI:
        arr = np.atleast_2d(np.asarray(distrs, dtype=np.float64))
        return cls(tuple(tuple(float(v) for v in row) for row in arr), n2)


SerialInterval = ParametricSI | NonParametricSI | UncertainSI | SampledSI


@dataclass(frozen=True)
class RtEstimate:
    """Posterior of R on each window; arrays have one entry per window.

    ``t_start``/``t_end`` are 1-based day numbers (day 1 = first input day),
    inclusive, as in EpiEstim; ``date_start``/``date_end`` are the matching
    dates when dates were given.  ``quantiles[:, j]`` is the posterior
    quantile ``QUANTILES[j]``.  ``shape``/``scale`` are the gamma posterior
    parameters (shape ``(windows,)``; ``(n1, windows)`` for the uncertain SI,
    one row per sampled SI).  ``si_distr`` has length ``T+1``
    (``(n1, T+1)`` for the uncertain SI).
    """

    method: Method
    t_start: I64
    t_end: I64
    mean: F64
    std: F64
    quantiles: F64
    shape: F64
    scale: F64
    posterior_cv: F64
    si_distr: F64
    si_mean: F64
    si_std: F64
    local: I64
    imported: I64
    infectivity: F64
    prior: GammaPrior
    moved_first_day: bool
    dates: NDArray[np.datetime64] | None = None
    quantile_levels: tuple[float, ...] = field(default=QUANTILES)

    @property
    def median(self) -> F64:
        return self.quantiles[:, self.quantile_levels.index(0.5)]

    @property
    def date_start(self) -> NDArray[np.datetime64] | None:
        return None if self.dates is None else self.dates[self.t_start - 1]

    @property
    def date_end(self) -> NDArray[np.datetime64] | None:
        return None if self.dates is None else self.dates[self.t_end - 1]

    def to_arrow(self) -> pa.Table:
        """One row per window: t_start, t_end, [date_start, date_end,] mean, std, q…"""
        cols: dict[str, Any] = {
            "t_start": pa.array(self.t_start, pa.int32()),
            "t_end": pa.array(self.t_end, pa.int32()),
        }
        if self.dates is not None:
            cols["date_start"] = pa.array(self.date_start, pa.date32())
            cols["date_end"] = pa.array(self.date_end, pa.date32())
        cols["mean"] = pa.array(self.mean)
        cols["std"] = pa.array(self.std)
        for j, q in enumerate(self.quantile_levels):
            cols[f"q{q:g}"] = pa.array(self.quantiles[:, j])
        if self.shape.ndim == 1:
            cols["shape"] = pa.array(self.shape)
            cols["scale"] = pa.array(self.scale)
        cols["posterior_cv"] = pa.array(self.posterior_cv)
        return pa.table(cols)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-able summary: windows, serial interval, incidence."""
        windows = self.to_arrow().to_pylist()
        for row in windows:
            for key in ("date_start", "date_end"):
                if key in row:
                    row[key] = row[key].isoformat()
        return {
            "method": self.method,
            "prior": {"mean": self.prior.mean, "sd": self.prior.sd},
            "si": {
                "mean": [float(v) for v in self.si_mean],
                "std": [float(v) for v in self.si_std],
                "distr": self.si_distr.tolist() if self.si_distr.ndim == 1 else None,
            },
            "moved_first_day": self.moved_first_day,
            "local": self.local.tolist(),
            "imported": self.imported.tolist(),
            "windows": windows,
        }


def _counts(values: ArrayLike, name: str) -> I64:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional (one count per day)")
    if arr.size and arr.dtype.kind == "f":
        if not np.all(np.isfinite(arr)):
            raise ValueError(f"{name} must contain only finite values")
        if np.any(arr != np.round(arr)):
            raise ValueError(f"{name} must contain whole numbers of cases")
    elif arr.size and arr.dtype.kind not in "iub":
        raise ValueError(f"{name} must be numeric, got dtype {arr.dtype}")
    out = arr.astype(np.int64)
    if np.any(out < 0):
        raise ValueError(f"{name} must have no negative count (day {int(np.argmin(out)) + 1})")
    return out


def split_incidence(cases: ArrayLike, imported: ArrayLike | None = None) -> tuple[I64, I64, bool]:
    """Local and imported daily cases, with EpiEstim's first-day rule.

    Parameters
    ----------
    cases : array_like of int, shape (T,)
        All cases per day (local plus imported).
    imported : array_like of int, shape (T,), optional
        Imported cases among them (``<= cases`` each day).

    Returns
    -------
    local, imported : numpy.ndarray of int64
    moved_first_day : bool
        Whether local cases of day 1 were moved to imported (only reported
        when an imported series was given; without one day 1 is imported by
        definition).
    """
    total = _counts(cases, "cases")
    if total.size < 2:
        raise ValueError(f"cases must cover at least 2 days, got {total.size}")
    if imported is None:
        imp = np.zeros_like(total)
        given = False
    else:
        imp = _counts(imported, "imported")
        if imp.shape != total.shape:
            raise ValueError(f"imported must have one value per day ({total.size}), got {imp.size}")
        bad = np.flatnonzero(imp > total)
        if bad.size:
            raise ValueError(f"imported must be <= cases each day (day {int(bad[0]) + 1})")
        given = True
    local = total - imp
    moved = bool(given and local[0] > 0)
    imp = imp.copy()
    imp[0] += local[0]
    local[0] = 0
    return local, imp, moved


def overall_infectivity(total: ArrayLike, si_distr: ArrayLike) -> F64:
    """``Λ_t = sum_{s>=1} w_s I_{t-s}`` for each day (``Λ_1 = 0``); rows of ``si_distr`` → rows.

    ``total`` is local plus imported cases per day; ``si_distr`` one SI
    vector (or one per row), ``w_0`` is ignored as in a proper SI it is 0.
    """
    inc = np.asarray(total, dtype=np.float64)
    w = np.asarray(si_distr, dtype=np.float64)
    n = inc.size
    rows = np.atleast_2d(w)
    out = np.empty((rows.shape[0], n), dtype=np.float64)
    for i, row in enumerate(rows):
        kernel = np.zeros(n, dtype=np.float64)
        m = min(n, row.size)
        kernel[1:m] = row[1:m]
        out[i] = np.convolve(inc, kernel)[:n]
    return out[0] if w.ndim == 1 else out


def default_windows(n_days: int, window: int = 7) -> tuple[I64, I64]:
    """EpiEstim's default windows: ``t_start = 2 .. T-window+1``, ``t_end = t_start+window-1``."""
    if window < 1:
        raise ValueError(f"window must be >= 1 day, got {window}")
    if n_days < window + 1:
        raise ValueError(
            f"need at least window + 1 = {window + 1} days of incidence for one window, "
            f"got {n_days}"
        )
    t_start = np.arange(2, n_days - window + 2, dtype=np.int64)
    return t_start, t_start + window - 1


def _check_windows(t_start: ArrayLike, t_end: ArrayLike, n_days: int) -> tuple[I64, I64]:
    ts = np.asarray(t_start)
    te = np.asarray(t_end)
    if ts.ndim != 1 or te.ndim != 1 or ts.size != te.size or ts.size == 0:
        raise ValueError("t_start and t_end must be non-empty vectors of the same length")
    if ts.dtype.kind not in "iu" or te.dtype.kind not in "iu":
        raise ValueError("t_start and t_end must be integer day numbers (1-based)")
    ts = ts.astype(np.int64)
    te = te.astype(np.int64)
    if np.any(ts < 2):
        raise ValueError("t_start must be >= 2 (day 1 has no observed infector)")
    if np.any(te > n_days):
        raise ValueError(f"t_end must be <= the number of days ({n_days})")
    if np.any(ts > te):
        raise ValueError("t_start must be <= t_end in every window")
    return ts, te


def _window_sums(values: F64, ts: I64, te: I64) -> F64:
    """Sums of ``values[..., t_s-1 : t_e]`` (1-based inclusive windows) along the last axis."""
    csum = np.concatenate([np.zeros((*values.shape[:-1], 1)), np.cumsum(values, axis=-1)], axis=-1)
    return np.asarray(csum[..., te] - csum[..., ts - 1], dtype=np.float64)


def _exact_window_sums(values: F64, ts: I64, te: I64) -> F64:
    """Window sums by direct summation (exact order, no cumulative-sum cancellation)."""
    return np.array([values[a - 1 : b].sum() for a, b in zip(ts, te, strict=True)])


def _draw_truncnorm(
    rng: np.random.Generator, mean: float, sd: float, lo: float, hi: float, n: int
) -> F64:
    """``n`` normal draws truncated to ``[lo, hi]`` by rejection (as EpiEstim)."""
    out = np.empty(n, dtype=np.float64)
    filled = 0
    for _ in range(10_000):
        draw = rng.normal(mean, sd, size=max(2 * (n - filled), 16))
        keep = draw[(draw >= lo) & (draw <= hi)][: n - filled]
        out[filled : filled + keep.size] = keep
        filled += keep.size
        if filled == n:
            return out
    raise ValueError(f"truncated normal N({mean}, {sd}) on [{lo}, {hi}] is too unlikely")


def _sample_si(si: UncertainSI, n: int, rng: np.random.Generator) -> tuple[F64, F64, F64]:
    """``n1`` SI vectors of length ``T+1``: ``discr_si`` of truncated-normal (mean, sd) pairs.

    Returns the vectors and the sampled means and sds.
    """
    means = _draw_truncnorm(rng, si.mean_si, si.std_mean_si, si.min_mean_si, si.max_mean_si, si.n1)
    sds = _draw_truncnorm(rng, si.std_si, si.std_std_si, si.min_std_si, si.max_std_si, si.n1)
    if np.any(means <= 1):
        raise ValueError("min_mean_si must keep every sampled mean above 1")
    k = np.arange(n, dtype=np.float64)
    w = np.zeros((si.n1, n + 1), dtype=np.float64)
    for i in range(si.n1):
        w[i, :n] = discr_si(k, float(means[i]), float(sds[i]))
    return w, means, sds


def _mixture_estimate(
    method: Method,
    w: F64,
    n2: int,
    local: I64,
    imp: I64,
    moved: bool,
    ts: I64,
    te: I64,
    a_post: F64,
    prior: GammaPrior,
    dates: NDArray[np.datetime64] | None,
    rng: np.random.Generator,
    moments: tuple[F64, F64] | None,
) -> RtEstimate:
    """Posterior summary over ``n2`` draws of R for each SI row of ``w`` (EpiEstim's mixture).

    ``moments``: the sampled (mean, sd) of each SI (EpiEstim reports these for
    ``uncertain_si``); ``None`` to use the moments of the rows of ``w``.
    """
    total = (local + imp).astype(np.float64)
    lam = overall_infectivity(total, w)
    sum_lam = _window_sums(lam, ts, te)
    scale = 1.0 / (1.0 / prior.scale + sum_lam)  # (n_si, W)
    shape = np.broadcast_to(a_post, scale.shape).copy()
    samples = rng.gamma(shape[:, None, :], scale[:, None, :], size=(w.shape[0], n2, ts.size))
    flat = samples.reshape(-1, ts.size)
    mean = flat.mean(axis=0)
    std = flat.std(axis=0, ddof=1)
    quant = np.ascontiguousarray(np.quantile(flat, QUANTILES, axis=0).T)
    si_mean, si_std = si_moments(w) if moments is None else moments
    return RtEstimate(
        method=method,
        t_start=ts,
        t_end=te,
        mean=mean,
        std=std,
        quantiles=quant,
        shape=shape,
        scale=scale,
        posterior_cv=std / mean,
        si_distr=w,
        si_mean=si_mean,
        si_std=si_std,
        local=local,
        imported=imp,
        infectivity=lam.mean(axis=0),
        prior=prior,
        moved_first_day=moved,
        dates=dates,
    )


def estimate_r(
    cases: ArrayLike,
    *,
    si: SerialInterval,
    imported: ArrayLike | None = None,
    t_start: ArrayLike | None = None,
    t_end: ArrayLike | None = None,
    window: int = 7,
    prior: GammaPrior | None = None,
    dates: ArrayLike | None = None,
    cv_posterior: float = 0.3,
    rng: np.random.Generator | None = None,
) -> RtEstimate:
    """Estimate Rt on sliding windows (Cori et al. 2013; EpiEstim 3.0.0 ``estimate_R``).

    Parameters
    ----------
    cases : array_like of int, shape (T,)
        All cases per consecutive day (local plus imported).
    si : ParametricSI | NonParametricSI | UncertainSI | SampledSI
        The serial interval (EpiEstim methods ``parametric_si``,
        ``non_parametric_si``, ``uncertain_si``, ``si_from_sample``).
    imported : array_like of int, shape (T,), optional
        Imported cases among ``cases``.
    t_start, t_end : array_like of int, optional
        1-based inclusive window bounds; both or neither.  Default: weekly
        windows ending on every day from day ``window + 1`` (:func:`default_windows`).
    window : int
        Window length for the default windows (7).
    prior : GammaPrior, optional
        Prior on R (default mean 5, sd 5).
    dates : array_like of datetime64[D] or ISO strings, optional
        The date of each day, carried to ``date_start``/``date_end``.
    cv_posterior : float
        Target posterior CV; windows above it are flagged through
        ``posterior_cv`` (informational, as EpiEstim's warning).
    rng : numpy.random.Generator, optional
        Needed for ``UncertainSI`` (Monte-Carlo); ignored otherwise.

    Returns
    -------
    RtEstimate

    Raises
    ------
    ValueError
        Negative or fractional counts, ``imported > cases``, fewer than 2
        days, bad windows (``t_start < 2``, ``t_end > T``, ``t_start > t_end``),
        an invalid serial interval, dates of the wrong length, or no ``rng``
        for an uncertain SI.
    """
    prior = prior or GammaPrior()
    if not cv_posterior > 0:
        raise ValueError(f"cv_posterior must be > 0, got {cv_posterior!r}")
    local, imp, moved = split_incidence(cases, imported)
    n = local.size
    if (t_start is None) != (t_end is None):
        raise ValueError("give both t_start and t_end, or neither")
    if t_start is None or t_end is None:
        ts, te = default_windows(n, window)
    else:
        ts, te = _check_windows(t_start, t_end, n)
    date_arr: NDArray[np.datetime64] | None = None
    if dates is not None:
        date_arr = np.asarray(dates, dtype="datetime64[D]")
        if date_arr.shape != (n,):
            raise ValueError(f"dates must have one date per day ({n}), got {date_arr.size}")
        if n > 1 and np.any(np.diff(date_arr) != np.timedelta64(1, "D")):
            raise ValueError("dates must be consecutive days")

    sum_local = _exact_window_sums(local.astype(np.float64), ts, te)
    a_post = prior.shape + sum_local
    levels = QUANTILES

    if isinstance(si, UncertainSI | SampledSI):
        if rng is None:
            raise ValueError("an uncertain serial interval needs rng (numpy.random.Generator)")
        if isinstance(si, UncertainSI):
            w, si_means, si_sds = _sample_si(si, n, rng)
            n2 = si.n2
            sampled: Method = "uncertain_si"
            moments: tuple[F64, F64] | None = (si_means, si_sds)
        else:
            given2 = np.asarray(si.distrs, dtype=np.float64)
            w = np.zeros((given2.shape[0], n + 1), dtype=np.float64)
            m2 = min(n + 1, given2.shape[1])
            w[:, :m2] = given2[:, :m2]
            n2 = si.n2
            sampled = "si_from_sample"
            moments = None
        return _mixture_estimate(
            sampled, w, n2, local, imp, moved, ts, te, a_post, prior, date_arr, rng, moments
        )

    method: Method
    if isinstance(si, ParametricSI):
        method = "parametric_si"
        w1 = np.zeros(n + 1, dtype=np.float64)
        w1[:n] = discr_si(np.arange(n, dtype=np.float64), si.mean, si.sd)
    else:
        method = "non_parametric_si"
        given = np.asarray(si.distr, dtype=np.float64)
        w1 = np.zeros(n + 1, dtype=np.float64)
        m = min(n + 1, given.size)
        w1[:m] = given[:m]
    lam1 = overall_infectivity((local + imp).astype(np.float64), w1)
    sum_lam1 = _exact_window_sums(lam1, ts, te)
    scale1 = 1.0 / (1.0 / prior.scale + sum_lam1)
    quant1 = gammaincinv(a_post[:, None], np.asarray(levels)[None, :]) * scale1[:, None]
    si_mean1, si_std1 = si_moments(w1)
    return RtEstimate(
        method=method,
        t_start=ts,
        t_end=te,
        mean=a_post * scale1,
        std=np.sqrt(a_post) * scale1,
        quantiles=quant1,
        shape=a_post,
        scale=scale1,
        posterior_cv=1.0 / np.sqrt(a_post),
        si_distr=w1,
        si_mean=si_mean1,
        si_std=si_std1,
        local=local,
        imported=imp,
        infectivity=lam1,
        prior=prior,
        moved_first_day=moved,
        dates=date_arr,
    )
