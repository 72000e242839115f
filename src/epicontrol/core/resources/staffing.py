"""Staff and ambulances the standards require, per district, and the shortfall.

For each district (DESIGN.md §3, all configurable):

* tracers (流调人员): 2 per 10 000 residents (Fuzhou), and 15 per 10 000
  residents of lockdown zones (plan 001) — the larger of the two;
* samplers (采样人员): 10 and lab staff (检测人员): 5 per 10 000 lockdown
  residents (plan 001);
* community workers (社区工作者): 8 per community (Fuzhou);
* quarantine staff (隔离点工作人员): 25 per 100 persons in quarantine (plan 002);
* ambulances (救护车): 1 per 30 000 residents in an urban district, 1 per
  10 000 in a county (plan 002), of which at least 40 % negative-pressure
  (负压救护车).

Every requirement is rounded up (a fraction of a person is a person); the
shortfall is ``max(required - on record, 0)``.  The per-10 000 counts use
:func:`epicontrol.core.resources.provision.provision`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .provision import provision

I64 = NDArray[np.int64]

#: Roles of the staff table, in array order.  ``ambulance_np`` (negative-pressure
#: ambulances) are counted within ``ambulance`` as well.
ROLES: Final = (
    "tracer",
    "sampler",
    "lab",
    "community_worker",
    "quarantine_staff",
    "ambulance",
    "ambulance_np",
)


@dataclass(frozen=True)
class StaffingStandards:
    """The staffing standards (defaults from DESIGN.md §3)."""

    tracers_per_10k: float = 2.0
    lockdown_tracers_per_10k: float = 15.0
    lockdown_samplers_per_10k: float = 10.0
    lockdown_lab_per_10k: float = 5.0
    workers_per_community: float = 8.0
    quarantine_staff_per_100: float = 25.0
    residents_per_ambulance_urban: float = 30_000.0
    residents_per_ambulance_county: float = 10_000.0
    negative_pressure_share: float = 0.4

    def validate(self) -> None:
        for name, value in self.__dict__.items():
            if not (isinstance(value, int | float) and math.isfinite(value) and value >= 0):
                raise ValueError(f"{name} must be a number >= 0, got {value!r}")
        for name in ("residents_per_ambulance_urban", "residents_per_ambulance_county"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.negative_pressure_share > 1:
            raise ValueError(
                f"negative_pressure_share must be in [0, 1], got {self.negative_pressure_share}"
            )


@dataclass(frozen=True)
class Staffing:
    """Required, on record and shortfall, shape ``(districts, roles)`` in :data:`ROLES` order."""

    required: I64
    on_record: I64
    shortfall: I64


def _ints(name: str, value: ArrayLike, n: int | None = None) -> NDArray[np.float64]:
    a = np.asarray(value, dtype=np.float64)
    if a.ndim != 1 or (n is not None and a.shape[0] != n):
        raise ValueError(f"{name} must be 1-D with one value per district, got shape {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError(f"{name} must be finite and >= 0")
    return a


def _ceil(x: NDArray[np.float64]) -> I64:
    return np.ceil(np.round(x, 9)).astype(np.int64)


def required_staff(
    *,
    population: ArrayLike,
    lockdown_population: ArrayLike,
    communities: ArrayLike,
    quarantined: ArrayLike,
    county: ArrayLike,
    standards: StaffingStandards | None = None,
) -> I64:
    """Staff and ambulances required per district, shape ``(districts, roles)``.

    Parameters
    ----------
    population : array_like
        Residents per district.
    lockdown_population : array_like
        Residents of the district's lockdown zones.
    communities : array_like
        Communities of the district.
    quarantined : array_like
        Persons in quarantine who live in the district.
    county : array_like of bool
        True for a county (1 ambulance per 10 000), False for an urban district.
    standards : StaffingStandards, optional

    Examples
    --------
    >>> r = required_staff(population=[90_000], lockdown_population=[3_000], communities=[5],
    ...                    quarantined=[41], county=[False])
    >>> dict(zip(ROLES, r[0].tolist()))  # doctest: +NORMALIZE_WHITESPACE
    {'tracer': 18, 'sampler': 3, 'lab': 2, 'community_worker': 40, 'quarantine_staff': 11,
     'ambulance': 3, 'ambulance_np': 2}
    """
    std = standards or StaffingStandards()
    std.validate()
    pop = _ints("population", population)
    n = pop.shape[0]
    lock = _ints("lockdown_population", lockdown_population, n)
    if (lock > pop).any():
        raise ValueError("lockdown_population must be <= population in every district")
    comm = _ints("communities", communities, n)
    quar = _ints("quarantined", quarantined, n)
    cty = np.asarray(county, dtype=bool)
    if cty.shape != (n,):
        raise ValueError(f"county must have one value per district, got shape {cty.shape}")
    zeros = np.zeros(n)

    def per_10k(people: NDArray[np.float64], rate: float) -> I64:
        if rate == 0:
            return np.zeros(n, np.int64)
        return provision(people, zeros, rate).required

    out = np.zeros((n, len(ROLES)), np.int64)
    out[:, 0] = np.maximum(
        per_10k(pop, std.tracers_per_10k), per_10k(lock, std.lockdown_tracers_per_10k)
    )
    out[:, 1] = per_10k(lock, std.lockdown_samplers_per_10k)
    out[:, 2] = per_10k(lock, std.lockdown_lab_per_10k)
    out[:, 3] = _ceil(comm * std.workers_per_community)
    out[:, 4] = _ceil(quar * std.quarantine_staff_per_100 / 100.0)
    per = np.where(cty, std.residents_per_ambulance_county, std.residents_per_ambulance_urban)
    out[:, 5] = _ceil(np.asarray(pop / per, np.float64))
    out[:, 6] = _ceil(np.asarray(out[:, 5] * std.negative_pressure_share, np.float64))
    return out


def staffing_gap(required: ArrayLike, on_record: ArrayLike) -> Staffing:
    """Shortfall ``max(required - on_record, 0)`` per district and role."""
    req = np.asarray(required, dtype=np.int64)
    have = np.asarray(on_record, dtype=np.float64)
    if req.ndim != 2 or req.shape[1] != len(ROLES):
        raise ValueError(f"required must have shape (districts, {len(ROLES)}), got {req.shape}")
    if have.shape != req.shape:
        raise ValueError(f"on_record must have shape {req.shape}, got {have.shape}")
    if not np.isfinite(have).all() or (have < 0).any() or (have != np.round(have)).any():
        raise ValueError("on_record must be whole numbers >= 0")
    rec = have.astype(np.int64)
    if (rec[:, 6] > rec[:, 5]).any():
        raise ValueError(
            "ambulance_np must be <= ambulance (negative-pressure ambulances are ambulances)"
        )
    return Staffing(required=req, on_record=rec, shortfall=np.maximum(req - rec, 0))
