"""Pydantic views of tasks: what the CLI prints as JSON and the API returns.

Datetimes in these views are aware, in the city's local time (the UTC offset
of the ``cities`` row; UTC when the store holds no city); the store keeps
naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel

TaskStatus = Literal["open", "in_progress", "done", "cancelled"]


class EscalationRuleOut(BaseModel):
    """Escalate to ``to`` once the task is overdue by ``after_hours``."""

    after_hours: float
    to: str


class TaskOut(BaseModel):
    """One task as stored."""

    id: int
    kind: str
    department: str
    title_zh: str
    title_en: str
    case_id: int | None
    playbook: str | None
    subject_type: str | None
    subject_id: int | None
    dedupe_key: str | None
    status: TaskStatus
    triggered_at: datetime
    created_at: datetime
    created_by: str
    due_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    evidence: str | None
    completed_by: str | None
    escalation: list[EscalationRuleOut]
    escalation_level: int
    escalated_at: datetime | None
    depends_on: list[int]
    version: int


class TaskClock(BaseModel):
    """A task with its SLA clock read at ``now``."""

    task: TaskOut
    now: datetime
    #: Hours left until due (negative when overdue); null once done or cancelled.
    remaining_hours: float | None
    #: Hours past due (0 when not overdue); for a done task, how late it was completed.
    overdue_hours: float
    overdue: bool
    #: Escalation level the rules call for at ``now`` (0 = none).
    level_due: int
    #: Whom the task is escalated to at that level (null at level 0).
    escalated_to: str | None


class PlaybookOpened(BaseModel):
    """The tasks of a case's playbook; ``created`` is 0 when it was already open."""

    case_id: int
    playbook: str
    trigger_at: datetime
    created: int
    tasks: list[TaskOut]


class EscalationOut(BaseModel):
    """One escalation written by ``escalate_overdue``: a task moved to a level."""

    task_id: int
    case_id: int | None
    kind: str
    department: str
    from_level: int
    to_level: int
    to: str
    overdue_hours: float


class KpiRow(BaseModel):
    """KPIs of one department and task kind (``kind`` null = all kinds of the department).

    ``on_time_rate`` is the share of decided tasks done by their due time; a
    task is decided when it is done or still open past due (cancelled tasks
    and open tasks not yet due are left out).  Completion times are hours
    from the trigger to completion of done tasks; ``p90_hours`` is the 90th
    percentile with linear interpolation (Hyndman & Fan type 7, numpy's
    default).
    """

    department: str
    kind: str | None
    total: int
    done: int
    done_on_time: int
    open: int
    open_overdue: int
    cancelled: int
    on_time_rate: float | None
    median_hours: float | None
    p90_hours: float | None


class KpiOut(BaseModel):
    """KPIs at ``now``: per department and kind, per department, and overall."""

    now: datetime
    rows: list[KpiRow]
    departments: list[KpiRow]
    overall: KpiRow


class TaskList(BaseModel):
    """Tasks with their clocks read at ``now`` (``tasks list``)."""

    now: datetime
    tasks: list[TaskClock]


class EscalationRun(BaseModel):
    """The escalations one ``escalate`` run wrote at ``now``."""

    now: datetime
    escalations: list[EscalationOut]
