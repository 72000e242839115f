"""Inputs of the tracing engine — cases and the registry — and their validation.

:class:`CaseInput` and :class:`Registry` are re-exported by :mod:`.engine`.
Every check raises ``ValueError`` naming the row or field and the rule.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from .index import CheckinIndex

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
INT32_MAX = 2**31 - 1


@dataclass(frozen=True)
class CaseInput:
    """One case to trace: its id, person and infectious window ``[window_start, window_end)``.

    Times are minutes since the lake's epoch (see
    :func:`~epicontrol.core.tracing.rules.infectious_window`).
    """

    case_id: int
    person_id: int
    window_start: int
    window_end: int


@dataclass(frozen=True)
class Registry:
    """Per-person registry links (-1 = none), indexed by person id.

    Attributes
    ----------
    household, group, org_venue : int32 arrays, one entry per person
        Household (同住), class or team (同学/同事) and organisation venue
        (school, university, office, factory, hospital) of each person.
    group_kind : int8 array per group id, optional
        0 for a class (members are ``classmate``), 1 for a team
        (``colleague``); without it every group member is a ``colleague``.
    """

    household: I32
    group: I32
    org_venue: I32
    group_kind: NDArray[np.int8] | None = None

    def __post_init__(self) -> None:
        for name in ("household", "group", "org_venue", "group_kind"):
            value = getattr(self, name)
            if value is None:
                continue
            a = np.asarray(value)
            if not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"registry.{name} must hold integer ids, got {a.dtype}")
            dtype = np.int8 if name == "group_kind" else np.int32
            if a.dtype != dtype:
                info = np.iinfo(dtype)
                if len(a) and (a.min() < info.min or a.max() > info.max):
                    raise ValueError(f"registry.{name} holds values outside {np.dtype(dtype)}")
                a = a.astype(dtype)
            object.__setattr__(self, name, np.ascontiguousarray(a))

    @classmethod
    def from_arrow(cls, persons: pa.Table, groups: pa.Table | None = None) -> Registry:
        """From the city tables (:data:`~epicontrol.core.city.schemas.PERSONS`, ``GROUPS``).

        ``persons`` needs ``id`` (dense 0..n-1), ``household_id``, ``group_id``
        and ``org_venue_id`` (null = none); ``groups`` ``id`` and ``kind``
        (``class`` or ``team``).
        """
        ids = persons.column("id").to_numpy(zero_copy_only=False).astype(np.int64)
        n = len(ids)
        if n and (ids.min() < 0 or ids.max() >= n or len(np.unique(ids)) != n):
            raise ValueError("persons.id must be the dense ids 0..n-1, each once")

        def column(name: str) -> I32:
            out = np.full(n, -1, dtype=np.int32)
            out[ids] = persons.column(name).fill_null(-1).to_numpy(zero_copy_only=False)
            return out

        kind = None
        if groups is not None and groups.num_rows:
            gid = groups.column("id").to_numpy(zero_copy_only=False).astype(np.int64)
            kind = np.ones(int(gid.max()) + 1, dtype=np.int8)
            labels = np.asarray(groups.column("kind").to_pylist(), dtype=object)
            kind[gid] = np.where(labels == "class", 0, 1)
        return cls(column("household_id"), column("group_id"), column("org_venue_id"), kind)

    def validate(self, n_persons: int, n_venues: int) -> None:
        """Raise ``ValueError`` naming the field and the rule it breaks."""
        for name in ("household", "group", "org_venue"):
            a = np.asarray(getattr(self, name))
            if a.ndim != 1 or len(a) != n_persons:
                raise ValueError(
                    f"registry.{name} must have one entry per person ({n_persons}), got {a.shape}"
                )
            if len(a) and a.min() < -1:
                bad = int(np.argmax(a < -1))
                raise ValueError(
                    f"registry.{name}[{bad}] = {int(a[bad])}: ids must be >= 0, or -1 for none"
                )
        if len(self.org_venue) and self.org_venue.max() >= n_venues:
            bad = int(np.argmax(self.org_venue >= n_venues))
            raise ValueError(
                f"registry.org_venue[{bad}] = {int(self.org_venue[bad])} is not a known venue "
                f"(0..{n_venues - 1})"
            )
        if self.group_kind is not None:
            gk = np.asarray(self.group_kind)
            if len(self.group) and self.group.max() >= len(gk):
                raise ValueError(
                    f"registry.group_kind must have an entry for every group id "
                    f"(0..{int(self.group.max())}), got {len(gk)}"
                )
            if not np.isin(gk, (0, 1)).all():
                raise ValueError("registry.group_kind must be 0 (class) or 1 (team)")


class Cases(NamedTuple):
    """Validated cases sorted by case id; the position is the kernels' case index."""

    ids: I32
    person: I32
    start: I64
    end: I64


def as_int(value: Any, what: str) -> int:
    """``value`` as an int; ``ValueError`` naming ``what`` if it is not an integer."""
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(f"{what} must be an integer, got {value!r}")
    return int(value)


def check_cases(cases: Sequence[CaseInput], index: CheckinIndex) -> Cases:
    """Validate ``cases`` against ``index`` and sort them by case id.

    Raises ``ValueError`` naming the row (``cases[i]``) and the rule for a
    non-integer field, a case id outside int32, an unknown person, an empty
    window, a window outside the index's time range, or a repeated case id.
    A window only has to overlap ``[t_min, t_max)``; it may reach beyond.
    """
    n = len(cases)
    ids = np.empty(n, dtype=np.int64)
    person = np.empty(n, dtype=np.int64)
    start = np.empty(n, dtype=np.int64)
    end = np.empty(n, dtype=np.int64)
    for i, c in enumerate(cases):
        row = f"cases[{i}] (case_id {getattr(c, 'case_id', '?')})"
        ids[i] = as_int(c.case_id, f"{row}: case_id")
        person[i] = as_int(c.person_id, f"{row}: person_id")
        start[i] = as_int(c.window_start, f"{row}: window_start")
        end[i] = as_int(c.window_end, f"{row}: window_end")
        if not 0 <= ids[i] <= INT32_MAX:
            raise ValueError(f"{row}: case_id must be between 0 and 2**31-1")
        if not 0 <= person[i] < index.n_persons:
            raise ValueError(
                f"{row}: person_id {person[i]} is not a known person (0..{index.n_persons - 1})"
            )
        if end[i] <= start[i]:
            raise ValueError(
                f"{row}: window_end ({end[i]}) must be after window_start ({start[i]})"
            )
        if not (start[i] < index.t_max and end[i] > index.t_min):
            raise ValueError(
                f"{row}: window [{start[i]}, {end[i]}) lies outside the index's time range "
                f"[{index.t_min}, {index.t_max}); the lake has no check-ins then"
            )
        if start[i] < -(2**31) or end[i] > INT32_MAX:
            raise ValueError(f"{row}: window times must fit in int32 minutes")
    order = np.argsort(ids, kind="stable")
    ids = ids[order]
    dup = np.flatnonzero(ids[1:] == ids[:-1])
    if len(dup):
        raise ValueError(f"case_id {ids[dup[0]]} appears more than once; case ids must be unique")
    return Cases(ids.astype(np.int32), person[order].astype(np.int32), start[order], end[order])


def check_risk(
    risk_venues: Sequence[int],
    risk_window: tuple[int, int] | None,
    cases: Cases,
    n_venues: int,
) -> tuple[I32, I64, I64]:
    """Sorted distinct risk venues and the risk window as sorted disjoint intervals.

    The window defaults to the union of the cases' windows.
    """
    venues = np.unique(np.asarray([as_int(v, "risk_venues[]") for v in risk_venues], np.int64))
    if len(venues) and (venues[0] < 0 or venues[-1] >= n_venues):
        bad = int(venues[0] if venues[0] < 0 else venues[-1])
        raise ValueError(f"risk_venues: {bad} is not a known venue (0..{n_venues - 1})")
    if risk_window is not None:
        if len(risk_window) != 2:
            raise ValueError("risk_window must be a (start, end) pair")
        r0, r1 = (as_int(t, "risk_window") for t in risk_window)
        if r1 <= r0:
            raise ValueError(f"risk_window: end ({r1}) must be after start ({r0})")
        intervals = [(r0, r1)]
    elif len(venues) and not len(cases.ids):
        raise ValueError("risk_window is required for a yellow code without cases")
    else:
        intervals = list(zip(cases.start.tolist(), cases.end.tolist(), strict=True))
    merged: list[list[int]] = []
    for s, e in sorted(intervals):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
        else:
            merged.append([s, e])
    arr = np.array(merged, dtype=np.int64).reshape(-1, 2)
    return venues.astype(np.int32), arr[:, 0].copy(), arr[:, 1].copy()
