"""Baseline daily syndromic counts per community (no outbreak).

Three sentinel signals: fever-clinic visits, pharmacy fever-drug sales and
school absences.  Each count is negative binomial (gamma–Poisson, size 8)
around a mean made of a rate per 10 000 residents (or a share of enrolled
pupils), a day-of-week factor, a winter-peaking annual cycle and a fixed
log-normal effect per community and signal, as surveillance baselines are
usually modelled (Noufaily et al. 2013, Stat Med 32:1206).
"""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from .schemas import SIGNALS, SYNDROMIC

#: Mean count per 10 000 residents per day (school absence: per enrolled pupil).
BASE_RATE = {"fever_clinic": 4.0, "pharmacy_fever_drug": 15.0, "school_absence": 0.012}
#: Day-of-week factors, Monday first.
WEEKDAY_FACTOR = {
    "fever_clinic": (1.25, 1.10, 1.00, 1.00, 1.00, 0.85, 0.80),
    "pharmacy_fever_drug": (1.00, 1.00, 1.00, 1.00, 1.05, 1.15, 1.10),
    "school_absence": (1.10, 1.00, 1.00, 1.00, 1.00, 0.00, 0.00),
}
DISPERSION_SIZE = 8.0


def community_effects(n_communities: int, seed: int) -> NDArray[np.float64]:
    """Fixed multiplicative effect per (community, signal), log-normal with sd 0.25."""
    rng = np.random.default_rng([seed, 0x5E1])
    return rng.lognormal(-(0.25**2) / 2, 0.25, size=(n_communities, len(SIGNALS)))


def expected_counts(
    *,
    population: NDArray[np.int64],
    pupils: NDArray[np.int64],
    effects: NDArray[np.float64],
    on: date,
) -> NDArray[np.float64]:
    """Mean count per community (rows) and signal (columns, in ``SIGNALS`` order)."""
    if population.shape != pupils.shape:
        raise ValueError("population and pupils must have the same shape")
    if effects.shape != (len(population), len(SIGNALS)):
        raise ValueError("effects must have shape (n_communities, len(SIGNALS))")
    doy = on.timetuple().tm_yday
    season = 1.0 + 0.25 * np.cos(2 * np.pi * (doy - 20) / 365.25)
    out = np.empty((len(population), len(SIGNALS)))
    for j, sig in enumerate(SIGNALS):
        dow = WEEKDAY_FACTOR[sig][on.weekday()]
        if sig == "school_absence":
            base = pupils * BASE_RATE[sig]
        else:
            base = population * BASE_RATE[sig] / 10_000
        out[:, j] = base * dow * season * effects[:, j]
    return out


def syndromic_for_day(
    *,
    community_ids: NDArray[np.int32],
    population: NDArray[np.int64],
    pupils: NDArray[np.int64],
    effects: NDArray[np.float64],
    start: date,
    day: int,
    seed: int,
) -> pa.Table:
    """One day of counts: one row per community and signal (``SYNDROMIC`` schema)."""
    if day < 0:
        raise ValueError(f"day must be >= 0, got {day}")
    mean = expected_counts(
        population=population, pupils=pupils, effects=effects, on=start + timedelta(days=day)
    )
    rng = np.random.default_rng([seed, 0x5E2, day])
    lam = rng.gamma(DISPERSION_SIZE, mean / DISPERSION_SIZE)
    counts = rng.poisson(lam).astype(np.int32)
    n_c, n_s = counts.shape
    return pa.table(
        {
            "area_id": pa.array(np.repeat(community_ids.astype(np.int32), n_s)),
            "signal": pa.array(np.tile(np.array(SIGNALS, dtype=object), n_c), pa.string()),
            "count": pa.array(counts.ravel()),
        },
        schema=SYNDROMIC,
    )
