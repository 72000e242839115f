"""Discretised serial-interval (SI) distributions for Rt estimation.

The serial interval is the time between symptom onset in an infector and in
the person they infect.  Cori et al. (2013) and EpiEstim use a discrete
distribution ``w_k`` (``k = 0, 1, 2, ...`` days) with ``w_0 = 0``.

Parametric SI (EpiEstim ``discr_si``)
-------------------------------------
Given the mean ``mu`` (> 1) and standard deviation ``sigma`` of the serial
interval, ``1 + Gamma(a, b)`` with shape ``a = ((mu - 1) / sigma)^2`` and
scale ``b = sigma^2 / (mu - 1)`` (the gamma is *offset by one day*, so the
continuous SI has the given mean and sd) is discretised by integrating a
triangular kernel of half-width one day around each ``k``
(Cori et al. 2013, Web Appendix 11):

.. math::

   w_k = k F_a(k) + (k-2) F_a(k-2) - 2 (k-1) F_a(k-1)
         + a b \\left(2 F_{a+1}(k-1) - F_{a+1}(k-2) - F_{a+1}(k)\\right),

where ``F_a`` is the gamma CDF with shape ``a`` and scale ``b`` (zero for
negative arguments); negative round-off is clipped to 0.  This is exactly
EpiEstim 3.0.0 ``discr_si(k, mu, sigma)``; ``w_0 = 0`` by construction.

Non-parametric SI
-----------------
A user-given vector ``w_0, w_1, ...`` must have ``w_0 = 0``, no negative
entries and sum to 1 within ``0.01`` (the tolerance EpiEstim uses).

References
----------
.. [1] Cori A, Ferguson NM, Fraser C, Cauchemez S. A new framework and
   software to estimate time-varying reproduction numbers during epidemics.
   Am J Epidemiol 2013;178(9):1505-1512 (Web Appendix 11: discretisation).
.. [2] EpiEstim 3.0.0 (R package, mrc-ide/EpiEstim): ``discr_si``,
   ``check_si_distr``.
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.special import gammainc

__all__ = [
    "SI_SUM_TOLERANCE",
    "check_si_distr",
    "discr_si",
    "parametric_si",
    "si_moments",
]

F64 = NDArray[np.float64]

#: How far from 1 a non-parametric SI distribution may sum (EpiEstim's tolerance).
SI_SUM_TOLERANCE = 0.01


def _gamma_cdf(x: F64, shape: float, scale: float) -> F64:
    """Gamma CDF (shape, scale) at ``x``, 0 for ``x <= 0``."""
    out = np.zeros_like(x, dtype=np.float64)
    pos = x > 0
    out[pos] = gammainc(shape, x[pos] / scale)
    return out


def discr_si(k: ArrayLike, mean: float, sd: float) -> F64:
    """Discretised serial interval ``w_k``: ``1 + Gamma`` with the given mean and sd.

    Parameters
    ----------
    k : array_like of int or float
        Days at which to evaluate (``>= 0``).
    mean : float
        Mean of the serial interval in days; must be ``> 1`` (the gamma is
        offset by one day).
    sd : float
        Standard deviation of the serial interval in days; must be ``> 0``.

    Returns
    -------
    numpy.ndarray of float64
        ``w_k`` for each ``k`` (formula in the module docstring), as EpiEstim
        3.0.0 ``discr_si``.

    Raises
    ------
    ValueError
        ``mean <= 1``, ``sd <= 0``, a negative or non-finite ``k``.
    """
    if not (math.isfinite(mean) and mean > 1):
        raise ValueError(f"mean_si must be > 1 (the gamma is offset by one day), got {mean!r}")
    if not (math.isfinite(sd) and sd > 0):
        raise ValueError(f"std_si must be > 0, got {sd!r}")
    kk = np.asarray(k, dtype=np.float64)
    if kk.size and (not np.all(np.isfinite(kk)) or np.any(kk < 0)):
        raise ValueError("k must be finite and >= 0")
    a = ((mean - 1.0) / sd) ** 2
    b = sd**2 / (mean - 1.0)
    res = (
        kk * _gamma_cdf(kk, a, b)
        + (kk - 2) * _gamma_cdf(kk - 2, a, b)
        - 2 * (kk - 1) * _gamma_cdf(kk - 1, a, b)
    )
    res = res + a * b * (
        2 * _gamma_cdf(kk - 1, a + 1, b) - _gamma_cdf(kk - 2, a + 1, b) - _gamma_cdf(kk, a + 1, b)
    )
    return np.maximum(res, 0.0)


def parametric_si(mean: float, sd: float, length: int) -> F64:
    """``discr_si(k, mean, sd)`` for ``k = 0 .. length - 1`` (EpiEstim uses ``length = T + 1``).

    The vector is *not* renormalised (EpiEstim does not either): its sum is
    slightly below 1 when ``length`` is short compared with the serial interval.
    """
    if length < 2:
        raise ValueError(f"length of the SI distribution must be >= 2, got {length}")
    return discr_si(np.arange(length, dtype=np.float64), mean, sd)


def check_si_distr(si_distr: ArrayLike, *, name: str = "si_distr") -> F64:
    """Validate a non-parametric SI distribution and return it as float64.

    Rules (EpiEstim ``check_si_distr``): one dimension (or two for a set of
    distributions, one per row), at least 2 entries, finite, no negative
    entry, ``w_0 = 0`` and a sum within :data:`SI_SUM_TOLERANCE` of 1.
    """
    w = np.asarray(si_distr, dtype=np.float64)
    if w.ndim not in (1, 2) or w.shape[-1] < 2:
        raise ValueError(f"{name} must be a vector (or one vector per row) of >= 2 values")
    if not np.all(np.isfinite(w)):
        raise ValueError(f"{name} must contain only finite values")
    if np.any(w < 0):
        raise ValueError(f"{name} must have no negative value")
    if np.any(w[..., 0] != 0):
        raise ValueError(f"{name}[0] (serial interval of 0 days) must be 0")
    sums = w.sum(axis=-1)
    if np.any(np.abs(sums - 1.0) > SI_SUM_TOLERANCE):
        raise ValueError(f"{name} must sum to 1 (within {SI_SUM_TOLERANCE}), got {sums!r}")
    return w


def si_moments(si_distr: ArrayLike) -> tuple[F64, F64]:
    """Mean and standard deviation of discrete SI distributions (rows of ``si_distr``).

    ``mean = sum_k k w_k`` and ``std = sqrt(sum_k k^2 w_k - mean^2)``, without
    renormalising ``w`` (as EpiEstim's ``SI.Moments``).  A 1-D input gives
    arrays of one element.
    """
    w = np.atleast_2d(np.asarray(si_distr, dtype=np.float64))
    k = np.arange(w.shape[1], dtype=np.float64)
    mean = w @ k
    var = w @ (k * k) - mean * mean
    return mean, np.sqrt(np.maximum(var, 0.0))
