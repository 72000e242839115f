"""Shared parts of the task service: errors, time conversion, views, events.

Datetimes given to the task functions may be aware (converted to UTC) or
naive (taken as UTC, as stored); the views they return are aware, in the
city's local time.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Final, overload

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core.operations.playbook import EscalationRule
from ..city.service import get_city
from .models import CasePlaybook, Task, TaskEvent
from .schemas import EscalationRuleOut, TaskOut

#: Allowed lifecycle moves.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "open": ("in_progress", "done", "cancelled"),
    "in_progress": ("done", "cancelled"),
    "done": (),
    "cancelled": (),
}
#: Actor recorded for escalations made by ``escalate_overdue``.
SYSTEM_ACTOR: Final = "sla"
_IN_CHUNK: Final = 2_000


class TaskError(RuntimeError):
    """A task operation that cannot be done as asked (the message says why)."""


class TaskInputError(TaskError, ValueError):
    """Bad input: the message names the field and the rule."""


class TaskNotFound(LookupError):
    """The task or case asked for does not exist."""


class InvalidTransition(TaskError):
    """The lifecycle does not allow this change."""


class StaleTask(TaskError):
    """The task changed since it was read (optimistic lock on ``version``)."""


class PlaybookConflict(TaskError):
    """The case already has a playbook of that name opened with other content."""


# --------------------------------------------------------------------------- helpers

_UNIX: Final = datetime(1970, 1, 1)


def utcnow() -> datetime:
    """Now in UTC, naive (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def to_store(when: datetime) -> datetime:
    """Naive UTC of ``when``: aware times are converted, naive ones are taken as UTC."""
    if when.tzinfo is None:
        return when
    return when.astimezone(UTC).replace(tzinfo=None)


def city_tz(*, session: Session) -> timezone:
    """The city's fixed UTC offset (UTC when the store holds no city)."""
    city = get_city(session=session)
    return UTC if city is None else timezone(timedelta(minutes=city.utc_offset_minutes))


@overload
def aware(naive_utc: datetime, tz: timezone) -> datetime: ...
@overload
def aware(naive_utc: None, tz: timezone) -> None: ...
def aware(naive_utc: datetime | None, tz: timezone) -> datetime | None:
    """A stored naive UTC time as aware time in ``tz`` (``None`` stays ``None``)."""
    return None if naive_utc is None else naive_utc.replace(tzinfo=UTC).astimezone(tz)


def check_actor(actor: str) -> str:
    actor = (actor or "").strip()
    if not actor or len(actor) > 100:
        raise TaskInputError("actor: who makes the change is required, at most 100 characters")
    return actor


def optional_text(field: str, value: str | None, limit: int) -> str | None:
    """``value`` stripped, ``None`` when empty; at most ``limit`` characters."""
    text = (value or "").strip()
    if not text:
        return None
    if len(text) > limit:
        raise TaskInputError(f"{field}: at most {limit} characters, got {len(text)}")
    return text


def check_text(field: str, value: str | None, limit: int) -> str:
    """``value`` stripped; :class:`TaskInputError` when empty or longer than ``limit``."""
    text = optional_text(field, value, limit)
    if text is None:
        raise TaskInputError(f"{field}: must not be empty")
    return text


def rules_json(rules: Sequence[EscalationRule]) -> list[dict[str, Any]]:
    return [{"after_hours": float(r.after_hours), "to": r.to} for r in rules]


def task_out(task: Task, tz: timezone, playbooks: dict[int, str] | None = None) -> TaskOut:
    """The view of ``task`` with times in ``tz``."""
    playbook = None
    if task.case_playbook_id is not None and playbooks is not None:
        playbook = playbooks.get(task.case_playbook_id)
    return TaskOut(
        id=task.id,
        kind=task.kind,
        department=task.department,
        title_zh=task.title_zh,
        title_en=task.title_en,
        case_id=task.case_id,
        playbook=playbook,
        subject_type=task.subject_type,
        subject_id=task.subject_id,
        dedupe_key=task.dedupe_key,
        status=task.status,
        triggered_at=aware(task.triggered_at, tz),
        created_at=aware(task.created_at, tz),
        created_by=task.created_by,
        due_at=aware(task.due_at, tz),
        started_at=aware(task.started_at, tz),
        completed_at=aware(task.completed_at, tz),
        cancelled_at=aware(task.cancelled_at, tz),
        evidence=task.evidence,
        completed_by=task.completed_by,
        escalation=[EscalationRuleOut(**r) for r in task.escalation],
        escalation_level=task.escalation_level,
        escalated_at=aware(task.escalated_at, tz),
        depends_on=list(task.depends_on),
        version=task.version,
    )


def _playbook_names(session: Session, tasks: Sequence[Task]) -> dict[int, str]:
    ids = sorted({t.case_playbook_id for t in tasks if t.case_playbook_id is not None})
    out: dict[int, str] = {}
    for i in range(0, len(ids), _IN_CHUNK):
        rows = session.execute(
            select(CasePlaybook.id, CasePlaybook.playbook).where(
                CasePlaybook.id.in_(ids[i : i + _IN_CHUNK])
            )
        ).all()
        out.update({int(r[0]): str(r[1]) for r in rows})
    return out


def tasks_out(
    *, session: Session, tasks: Sequence[Task], tz: timezone | None = None
) -> list[TaskOut]:
    """Views of ``tasks`` (times in the city's local time ``tz``, read from the store when
    not given; playbook names filled in)."""
    if not tasks:
        return []
    if tz is None:
        tz = city_tz(session=session)
    names = _playbook_names(session, tasks)
    return [task_out(task, tz, names) for task in tasks]


def add_event(
    session: Session,
    task: Task,
    action: str,
    *,
    at: datetime,
    actor: str,
    from_status: str | None,
    from_level: int | None,
    note: str | None = None,
) -> None:
    session.add(
        TaskEvent(
            task_id=task.id,
            at=at,
            actor=actor,
            action=action,
            from_status=from_status,
            to_status=task.status,
            from_level=from_level,
            to_level=task.escalation_level,
            note=note,
        )
    )


def seconds(values: Sequence[datetime | None]) -> NDArray[np.int64]:
    """Unix seconds of naive UTC (or aware) datetimes; ``-1`` for ``None``."""
    out = np.full(len(values), -1, dtype=np.int64)
    for i, when in enumerate(values):
        if when is not None:
            out[i] = int((to_store(when) - _UNIX) // timedelta(seconds=1))
    return out
