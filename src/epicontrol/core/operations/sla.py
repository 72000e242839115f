"""SLA clocks of deadline tasks: remaining time, overdue, escalation levels (vectorised).

Times are int64 seconds since any common epoch (the domain layer uses the
Unix epoch of the stored naive UTC times).  A task is *overdue* at ``now``
when it is still active (open or in progress) and ``now > due``: at the due
second itself it is still on time.  Its escalation rules are offsets
``after_hours`` (rising) past the due time; the escalation level due at
``now`` is the number of rules with ``overdue_by >= after_hours`` for an
overdue task, and 0 otherwise — so a rule ``after_hours = 0`` applies as soon
as the task is overdue.

The functions take whole arrays (10⁵ tasks in a few milliseconds), so
listing and escalating every task of a city is one pass.

References
----------
.. [1] DESIGN.md §3: the 1+4+6+24 and 2+4+24 playbooks and the other
   deadlines the command centre measures itself against.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

SECONDS_PER_HOUR: Final = 3600


def _seconds(name: str, values: ArrayLike) -> NDArray[np.int64]:
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"{name}: must be a 1-D array of seconds, got {arr.ndim} dimensions")
    if arr.size and not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: must hold integer seconds, got dtype {arr.dtype}")
    return arr.astype(np.int64, copy=False)


def _active(name: str, values: ArrayLike | None, n: int) -> NDArray[np.bool_]:
    if values is None:
        return np.ones(n, dtype=bool)
    arr = np.asarray(values)
    if arr.shape != (n,) or arr.dtype != np.bool_:
        raise ValueError(f"{name}: must be a boolean array of the same length as due ({n})")
    return arr


def remaining_hours(due: ArrayLike, now: int) -> NDArray[np.float64]:
    """Hours from ``now`` until each due time (negative once past due).

    Parameters
    ----------
    due : array of int64
        Due times, seconds.
    now : int
        The time the clocks are read, seconds.
    """
    due_s = _seconds("due", due)
    return (due_s - np.int64(now)).astype(np.float64) / SECONDS_PER_HOUR


def overdue_mask(due: ArrayLike, now: int, active: ArrayLike | None = None) -> NDArray[np.bool_]:
    """Which tasks are overdue at ``now``: active and ``now > due``.

    Parameters
    ----------
    due : array of int64
        Due times, seconds.
    now : int
        The time the clocks are read, seconds.
    active : array of bool, optional
        Tasks whose clock runs (open or in progress); all when omitted.
    """
    due_s = _seconds("due", due)
    return _active("active", active, due_s.size) & (np.int64(now) > due_s)


def rule_matrix(rules: Sequence[Sequence[float]]) -> NDArray[np.float64]:
    """Each task's escalation offsets (hours) as rows padded with ``+inf``.

    Raises ``ValueError`` when an offset is negative or not finite, or a
    task's offsets do not rise.
    """
    width = max((len(r) for r in rules), default=0)
    out = np.full((len(rules), width), np.inf)
    for i, row in enumerate(rules):
        values = np.asarray(row, dtype=np.float64)
        if values.size and (not np.all(np.isfinite(values)) or np.any(values < 0)):
            raise ValueError(f"rules[{i}]: after_hours must be finite and >= 0, got {list(row)}")
        if values.size > 1 and np.any(np.diff(values) <= 0):
            raise ValueError(f"rules[{i}]: after_hours must rise, got {list(row)}")
        out[i, : values.size] = values
    return out


def escalation_levels(
    due: ArrayLike,
    now: int,
    rules: NDArray[np.float64],
    active: ArrayLike | None = None,
) -> NDArray[np.int64]:
    """The escalation level each task's rules call for at ``now``.

    Parameters
    ----------
    due : array of int64
        Due times, seconds.
    now : int
        The time the clocks are read, seconds.
    rules : 2-D array of float
        One row of rising ``after_hours`` per task, padded with ``+inf``
        (:func:`rule_matrix`).
    active : array of bool, optional
        Tasks whose clock runs; inactive tasks are at level 0.

    Returns
    -------
    array of int64
        0 when not overdue, else the number of rules with
        ``now - due >= ceil(after_hours × 3600)`` seconds.
    """
    due_s = _seconds("due", due)
    if rules.ndim != 2 or rules.shape[0] != due_s.size:
        raise ValueError(
            f"rules: must be a 2-D array with one row per task ({due_s.size}), got {rules.shape}"
        )
    late = overdue_mask(due_s, now, active)
    over_s = (np.int64(now) - due_s).astype(np.float64)
    # thresholds in whole seconds, as escalation_due_at gives them
    reached = (over_s[:, None] >= np.ceil(rules * SECONDS_PER_HOUR)).sum(axis=1)
    return np.where(late, reached.astype(np.int64), 0)


def escalation_due_at(due: ArrayLike, rules: NDArray[np.float64]) -> NDArray[np.int64]:
    """The second at which each task reaches each level (``-1`` where the row is padded).

    Level ``k`` (1-based, column ``k - 1``) is reached at the first second
    ``t > due`` with ``t - due >= after_hours``: ``due + max(1 s, ceil(after_hours h))``.
    """
    due_s = _seconds("due", due)
    if rules.ndim != 2 or rules.shape[0] != due_s.size:
        raise ValueError(
            f"rules: must be a 2-D array with one row per task ({due_s.size}), got {rules.shape}"
        )
    finite = np.isfinite(rules)
    offset = np.ceil(np.where(finite, rules, 0.0) * SECONDS_PER_HOUR).astype(np.int64)
    at = due_s[:, None] + np.maximum(offset, 1)
    return np.where(finite, at, -1)
