"""SLA clocks, escalation of overdue tasks and KPIs, on the stored tasks.

The arithmetic is :mod:`epicontrol.core.operations.sla` and
:mod:`epicontrol.core.operations.kpi`; these functions load the task rows,
convert their times to Unix seconds and write the escalations.  Like every
service they flush and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Final

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ...core.operations import kpi, sla
from ...core.operations.playbook import DEPARTMENTS
from .common import (
    SYSTEM_ACTOR,
    StaleTask,
    TaskInputError,
    add_event,
    aware,
    check_actor,
    city_tz,
    seconds,
    to_store,
    utcnow,
)
from .models import ACTIVE_STATUSES, Task
from .schemas import EscalationOut, KpiOut, KpiRow, TaskClock, TaskOut

# --------------------------------------------------------------------------- clocks


def task_clocks(tasks: Sequence[TaskOut], now: datetime) -> list[TaskClock]:
    """Each task's SLA clock read at ``now`` (remaining, overdue by, escalation due)."""
    now_s = int(seconds([now])[0])
    due = seconds([t.due_at for t in tasks])
    completed = seconds([t.completed_at for t in tasks])
    active = np.array([t.status in ACTIVE_STATUSES for t in tasks], dtype=bool)
    rules = sla.rule_matrix([[r.after_hours for r in t.escalation] for t in tasks])
    remaining = sla.remaining_hours(due, now_s)
    late = sla.overdue_mask(due, now_s, active)
    levels = sla.escalation_levels(due, now_s, rules, active)
    done = np.array([t.status == "done" for t in tasks], dtype=bool)
    late_by = np.where(
        done,
        np.maximum(completed - due, 0) / sla.SECONDS_PER_HOUR,
        np.where(late, -remaining, 0.0),
    )
    aware_now = now if now.tzinfo is not None else now.replace(tzinfo=UTC)
    out: list[TaskClock] = []
    for i, task in enumerate(tasks):
        level = int(levels[i])
        tz = task.due_at.tzinfo
        out.append(
            TaskClock(
                task=task,
                now=aware_now.astimezone(tz),
                remaining_hours=float(remaining[i]) if active[i] else None,
                overdue_hours=float(late_by[i]),
                overdue=bool(late[i]),
                level_due=level,
                escalated_to=task.escalation[level - 1].to if level > 0 else None,
            )
        )
    return out


# --------------------------------------------------------------------------- escalation


def escalate_overdue(
    *, session: Session, now: datetime | None = None, actor: str = SYSTEM_ACTOR
) -> list[EscalationOut]:
    """Raise every overdue task to the escalation level its rules call for at ``now``.

    One ``escalate`` event per level reached (a task two levels behind gets
    two, each naming whom it goes to).  Idempotent per level: a task already
    at the level due is left alone, so running this again at the same time,
    or every minute, escalates each task once per level.

    Raises :class:`StaleTask` when another session changed one of the tasks
    meanwhile (nothing is escalated then: the caller's transaction rolls back).
    """
    who = check_actor(actor)
    stamp = utcnow() if now is None else to_store(now)
    rows = list(
        session.scalars(
            select(Task)
            .where(Task.status.in_(ACTIVE_STATUSES), Task.due_at < stamp)
            .order_by(Task.due_at, Task.id)
        ).all()
    )
    if not rows:
        return []
    now_s = int(seconds([stamp])[0])
    due = seconds([t.due_at for t in rows])
    rules = sla.rule_matrix([[r["after_hours"] for r in t.escalation] for t in rows])
    levels = sla.escalation_levels(due, now_s, rules)
    over = -sla.remaining_hours(due, now_s)
    out: list[EscalationOut] = []
    for i, task in enumerate(rows):
        target = int(levels[i])
        while task.escalation_level < target:
            before = task.escalation_level
            task.escalation_level = before + 1
            to = str(task.escalation[before]["to"])
            add_event(
                session,
                task,
                "escalate",
                at=stamp,
                actor=who,
                from_status=task.status,
                from_level=before,
                note=f"overdue {float(over[i]):.2f} h: escalated to {to}",
            )
            out.append(
                EscalationOut(
                    task_id=task.id,
                    case_id=task.case_id,
                    kind=task.kind,
                    department=task.department,
                    from_level=before,
                    to_level=before + 1,
                    to=to,
                    overdue_hours=round(float(over[i]), 4),
                )
            )
        if out and out[-1].task_id == task.id:
            task.escalated_at = stamp
            task.updated_at = stamp
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleTask(
            "a task was changed by someone else while escalating; run escalate again"
        ) from exc
    return out


# --------------------------------------------------------------------------- KPIs


def _kpi_rows(table: kpi.KpiTable, labels: Sequence[tuple[str, str | None]]) -> list[KpiRow]:
    def opt(x: float) -> float | None:
        return None if np.isnan(x) else round(float(x), 4)

    rows: list[KpiRow] = []
    for i, code in enumerate(table.groups):
        department, kind = labels[int(code)]
        rows.append(
            KpiRow(
                department=department,
                kind=kind,
                total=int(table.total[i]),
                done=int(table.done[i]),
                done_on_time=int(table.done_on_time[i]),
                open=int(table.active[i]),
                open_overdue=int(table.active_overdue[i]),
                cancelled=int(table.cancelled[i]),
                on_time_rate=opt(table.on_time_rate[i]),
                median_hours=opt(table.median_hours[i]),
                p90_hours=opt(table.p90_hours[i]),
            )
        )
    return rows


_STATUS_CODE: Final = {
    "open": kpi.OPEN,
    "in_progress": kpi.IN_PROGRESS,
    "done": kpi.DONE,
    "cancelled": kpi.CANCELLED,
}


def kpis(*, session: Session, now: datetime | None = None, department: str | None = None) -> KpiOut:
    """KPIs at ``now`` per department and task kind, per department and overall.

    Definitions in :mod:`epicontrol.core.operations.kpi`: on-time rate over
    decided tasks (done, or active and overdue), median and p90 (Hyndman &
    Fan type 7) of the hours from trigger to completion of done tasks.
    """
    if department is not None and department not in DEPARTMENTS:
        raise TaskInputError(
            f"department: must be one of {', '.join(DEPARTMENTS)}, got {department!r}"
        )
    stamp = utcnow() if now is None else to_store(now)
    query = select(
        Task.department, Task.kind, Task.status, Task.triggered_at, Task.due_at, Task.completed_at
    )
    if department is not None:
        query = query.where(Task.department == department)
    rows = session.execute(query).all()
    order = {d: i for i, d in enumerate(DEPARTMENTS)}
    pairs = sorted({(str(r[0]), str(r[1])) for r in rows}, key=lambda p: (order[p[0]], p[1]))
    pair_code = {p: i for i, p in enumerate(pairs)}
    dept_code = {d: i for i, d in enumerate(DEPARTMENTS)}
    status = np.array([_STATUS_CODE[str(r[2])] for r in rows], dtype=np.int64)
    trig = seconds([r[3] for r in rows])
    due = seconds([r[4] for r in rows])
    comp = seconds([r[5] for r in rows])
    now_s = int(seconds([stamp])[0])

    def table(groups: list[int]) -> kpi.KpiTable:
        return kpi.task_kpis(
            groups=np.array(groups, dtype=np.int64),
            status=status,
            triggered=trig,
            due=due,
            completed=comp,
            now=now_s,
        )

    by_pair = table([pair_code[(str(r[0]), str(r[1]))] for r in rows])
    by_dept = table([dept_code[str(r[0])] for r in rows])
    overall_table = table([0] * len(rows))
    overall = _kpi_rows(overall_table, [("all", None)])
    empty = KpiRow(
        department="all",
        kind=None,
        total=0,
        done=0,
        done_on_time=0,
        open=0,
        open_overdue=0,
        cancelled=0,
        on_time_rate=None,
        median_hours=None,
        p90_hours=None,
    )
    tz = city_tz(session=session)
    return KpiOut(
        now=aware(stamp, tz),
        rows=_kpi_rows(by_pair, [(p[0], p[1]) for p in pairs]),
        departments=_kpi_rows(by_dept, [(d, None) for d in DEPARTMENTS]),
        overall=overall[0] if overall else empty,
    )
