"""ORM models of tasks: deadline tasks, their audited events, the playbooks opened per case.

Times: every ``*_at`` column is a timezone-naive UTC datetime, like the
tracing tables.  A task's SLA clock starts at ``triggered_at`` (for a
playbook task the trigger: the case reported; for any other task its
``created_at``) and it is due at ``due_at``.

Lifecycle (every change is a :class:`TaskEvent` with who, when, from, to)::

    open → in_progress → done
      ↘──────────────↗
    open | in_progress → cancelled

``escalation_level`` counts the escalation rules (``escalation``, a JSON list
of ``{"after_hours": h, "to": role}``) already applied to the overdue task;
``version`` is an optimistic lock (an update from a stale copy fails).
``dedupe_key`` makes creation idempotent: creating a task with a key that
exists returns the existing task.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.operations.playbook import DEPARTMENTS
from ...store.base import Base

#: Lifecycle states of a task.
TASK_STATUSES: Final = ("open", "in_progress", "done", "cancelled")
#: States in which the SLA clock runs.
ACTIVE_STATUSES: Final = ("open", "in_progress")
#: What a task event records.
TASK_ACTIONS: Final = ("create", "start", "complete", "cancel", "escalate")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class CasePlaybook(Base):
    """A playbook opened for a case: which one, its content hash and the trigger time."""

    __tablename__ = "case_playbooks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    #: The playbook's ``name`` (``1+4+6+24``, ``2+4+24`` or a user file's).
    playbook: Mapped[str] = mapped_column(String(64))
    #: SHA-256 of the playbook's canonical JSON: reopening with other content is refused.
    digest: Mapped[str] = mapped_column(String(64))
    trigger_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    opened_by: Mapped[str] = mapped_column(String(100))

    __table_args__ = (UniqueConstraint("case_id", "playbook"),)


class Task(Base):
    """A task with an owning department, a due time and a status."""

    __tablename__ = "tasks"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: The step key of a playbook task (``onsite_health``...) or another kind (``retest``...).
    kind: Mapped[str] = mapped_column(String(64))
    department: Mapped[str] = mapped_column(String(16))
    title_zh: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    #: The playbook opening that created the task (null for other tasks).
    case_playbook_id: Mapped[int | None] = mapped_column(ForeignKey("case_playbooks.id"))
    #: What the task is about, e.g. ``("person", 1234)`` or ``("venue", 56)``.
    subject_type: Mapped[str | None] = mapped_column(String(32))
    subject_id: Mapped[int | None] = mapped_column(Integer)
    dedupe_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    triggered_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    created_by: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    cancelled_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: What shows the task done (or why it was cancelled).
    evidence: Mapped[str | None] = mapped_column(Text)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    #: Escalation rules, JSON ``[{"after_hours": 0.0, "to": "department_head"}, ...]``.
    escalation: Mapped[Any] = mapped_column(JSON)
    escalation_level: Mapped[int] = mapped_column(SmallInteger)
    escalated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: Ids of the tasks that must be done (or cancelled) before this one is completed.
    depends_on: Mapped[Any] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        CheckConstraint(_in("status", TASK_STATUSES), name="status"),
        CheckConstraint(_in("department", DEPARTMENTS), name="department"),
        CheckConstraint("due_at >= triggered_at", name="due"),
        CheckConstraint("escalation_level >= 0", name="escalation_level"),
        CheckConstraint("(subject_type IS NULL) = (subject_id IS NULL)", name="subject"),
        CheckConstraint(
            "(status = 'done') = (completed_at IS NOT NULL AND evidence IS NOT NULL "
            "AND completed_by IS NOT NULL)",
            name="done",
        ),
        CheckConstraint("(status = 'cancelled') = (cancelled_at IS NOT NULL)", name="cancelled"),
        Index("ix_tasks_case_id", "case_id"),
        Index("ix_tasks_status_due_at", "status", "due_at"),
        Index("ix_tasks_department_status", "department", "status"),
        #: the lists' order (due time): a page is read from the index, not sorted
        Index("ix_tasks_due_at_id", "due_at", "id"),
    )


class TaskEvent(Base):
    """One audited change of a task (append-only): who, when, what, from → to."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("tasks.id"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    from_level: Mapped[int | None] = mapped_column(SmallInteger)
    to_level: Mapped[int] = mapped_column(SmallInteger)
    note: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("action", TASK_ACTIONS), name="action"),
        Index("ix_task_events_task_id", "task_id"),
    )
