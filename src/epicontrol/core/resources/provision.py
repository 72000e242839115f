"""Provision of a capacity against a per-10 000-residents standard.

The plans state capacities as counts per 10 000 residents (quarantine rooms
15 per 10 000 in Fuzhou, 40 in plan 002; tracers 2 per 10 000; …).  For
each unit this gives the provision rate, the capacity the standard requires
(rounded up: a fraction of a room is a room) and the shortfall.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray


@dataclass(frozen=True)
class Provision:
    """Per unit: capacity per 10 000 residents, required capacity and shortfall."""

    per_10k: NDArray[np.float64]
    required: NDArray[np.int64]
    shortfall: NDArray[np.int64]

    @property
    def short(self) -> NDArray[np.bool_]:
        """True where the unit is below the standard."""
        return self.shortfall > 0


def provision(population: ArrayLike, capacity: ArrayLike, standard_per_10k: float) -> Provision:
    """Compare ``capacity`` with ``standard_per_10k`` for each unit.

    Parameters
    ----------
    population : array_like of int
        Residents per unit, >= 0.
    capacity : array_like of number
        Capacity per unit (rooms, beds, staff), >= 0, same shape.
    standard_per_10k : float
        Required capacity per 10 000 residents, > 0.

    Returns
    -------
    Provision
        ``per_10k`` is NaN for a unit without residents, whose requirement is 0.

    Examples
    --------
    >>> p = provision([20_000, 5_000], [25, 10], 15.0)
    >>> p.required.tolist(), p.shortfall.tolist()
    ([30, 8], [5, 0])
    """
    pop = np.asarray(population, dtype=np.float64)
    cap = np.asarray(capacity, dtype=np.float64)
    if pop.shape != cap.shape:
        raise ValueError(
            f"population and capacity must have the same shape, got {pop.shape} and {cap.shape}"
        )
    if (pop < 0).any() or not np.isfinite(pop).all():
        raise ValueError("population must be finite and >= 0")
    if (cap < 0).any() or not np.isfinite(cap).all():
        raise ValueError("capacity must be finite and >= 0")
    if not standard_per_10k > 0:
        raise ValueError(f"standard_per_10k must be > 0, got {standard_per_10k}")
    with np.errstate(divide="ignore", invalid="ignore"):
        per_10k = np.where(pop > 0, cap / pop * 10_000, np.nan)
    # round before ceil so that 15.000000001 from float error does not become 16
    required = np.ceil(np.round(pop * standard_per_10k / 10_000, 9)).astype(np.int64)
    shortfall = np.maximum(required - np.ceil(cap).astype(np.int64), 0)
    return Provision(per_10k=per_10k, required=required, shortfall=shortfall)
