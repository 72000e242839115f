"""The result type every detector returns, and input checks they share."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class DetectionResult:
    """Per series and time step; ``NaN`` / ``False`` where a step cannot be evaluated.

    Attributes
    ----------
    statistic : (n_series, T) float64
        The detector's test statistic (EARS: C value; EWMA/regression: the
        standardised statistic; CUSUM: the cumulative sum; Farrington: the
        exceedance score), as the peer defines it.
    threshold : (n_series, T) float64
        Upper bound on the count, or the statistic's critical value, as the peer reports it.
    p_value : (n_series, T) float64
        One-sided p-value where the method defines one, else ``NaN``.
    alarm : (n_series, T) bool
        True where the step alarms.
    evaluated : (n_series, T) bool
        True where the detector had enough baseline to evaluate the step.
    """

    statistic: NDArray[np.float64]
    threshold: NDArray[np.float64]
    p_value: NDArray[np.float64]
    alarm: NDArray[np.bool_]
    evaluated: NDArray[np.bool_]


def as_matrix(counts: ArrayLike, name: str = "counts") -> NDArray[np.float64]:
    """``counts`` as a float64 ``(n_series, T)`` matrix; rejects negatives and non-finite values."""
    x = np.asarray(counts, dtype=np.float64)
    if x.ndim == 1:
        x = x[None, :]
    if x.ndim != 2:
        raise ValueError(f"{name} must be 1-D (one series) or 2-D (series × time), got {x.ndim}-D")
    if not np.isfinite(x).all():
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if (x < 0).any():
        raise ValueError(f"{name} must be >= 0")
    return x


def as_dates(
    dates: ArrayLike, length: int, *, step_days: int | None = None
) -> NDArray[np.datetime64]:
    """``dates`` as ``datetime64[D]`` of ``length``; with ``step_days``, equally spaced."""
    d = np.asarray(dates, dtype="datetime64[D]")
    if d.ndim != 1 or len(d) != length:
        raise ValueError(f"dates must be 1-D with one date per time step ({length}), got {d.shape}")
    if step_days is not None and len(d) > 1:
        steps = np.diff(d).astype(np.int64)
        if (steps != step_days).any():
            raise ValueError(f"dates must be consecutive, {step_days} day(s) apart")
    return d
