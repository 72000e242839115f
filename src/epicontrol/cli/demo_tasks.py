"""The tasks part of ``epicontrol demo``: open each case's playbook, run a drill, show KPIs.

For every case in the store the playbook (default 1+4+6+24) is opened with
the case's report time as the trigger.  With ``drill`` on, the departments
then report their tasks done at simulated times (seeded: lognormal around
70 % of each step's allowance, prerequisites first, so some tasks finish late
and some are still open), overdue tasks are escalated and the KPIs are read
``drill_hours`` after the last trigger.  The drill's completions carry the
evidence text ``drill: simulated completion`` so they cannot be mistaken for
reports.
"""

from __future__ import annotations

from datetime import timedelta

import numpy as np
from pydantic import BaseModel
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.operations.playbook import resolve_playbook
from ..domains.tasks import service
from ..domains.tasks.schemas import EscalationOut, KpiOut, TaskClock, TaskOut
from ..domains.tracing.models import Case
from ..i18n import t
from .common import open_store, out
from .tasks import _clock_text, _dept, _when_text, kpi_table

DRILL_ACTOR = "drill"
DRILL_EVIDENCE = "drill: simulated completion"


class DemoCaseTasks(BaseModel):
    """One case's playbook tasks with their clocks at the demo's ``now``."""

    case_id: int
    trigger_at: str
    created: int
    tasks: list[TaskClock]


class TasksDemo(BaseModel):
    """What the tasks demo did: the tasks per case, the escalations, the KPIs."""

    playbook: str
    drill: bool
    now: str
    cases: list[DemoCaseTasks]
    escalations: list[EscalationOut]
    kpis: KpiOut


def _drill(session: Session, tasks: list[TaskOut], *, seed: int, now_s: float) -> None:
    """Complete the case's open tasks at simulated times up to ``now`` (prerequisites first).

    Each task's time is drawn from a generator seeded with ``(seed, task id)``,
    so a second run makes the same draws and completes nothing new.
    """
    finished: dict[int, float] = {}
    by_id = {task.id: task for task in tasks}
    for task in sorted(tasks, key=lambda x: (x.due_at, x.id)):
        if task.status != "open":
            if task.completed_at is not None:
                finished[task.id] = task.completed_at.timestamp()
            continue
        start = task.triggered_at.timestamp()
        allowance = task.due_at.timestamp() - start
        rng = np.random.default_rng([seed, task.id])
        when = start + allowance * float(rng.lognormal(np.log(0.7), 0.35))
        prereq = [finished.get(d) for d in task.depends_on if d in by_id]
        if any(p is None for p in prereq):
            continue  # a prerequisite is still open: this one cannot be reported done
        when = max([when, *(p + 300.0 for p in prereq if p is not None)])
        if when > now_s:
            continue
        at = task.triggered_at + timedelta(seconds=when - start)
        service.start_task(session=session, task_id=task.id, actor=DRILL_ACTOR, at=at)
        service.complete_task(
            session=session, task_id=task.id, evidence=DRILL_EVIDENCE, actor=DRILL_ACTOR, at=at
        )
        finished[task.id] = when


def tasks_demo(
    settings: Settings,
    *,
    playbook: str = "1+4+6+24",
    drill: bool = True,
    drill_hours: float = 7.0,
    seed: int = 5,
) -> TasksDemo:
    """Open ``playbook`` for every case in the store; with ``drill``, simulate the responses.

    Everything is written in one transaction.  Opening is idempotent and the
    drill's draws are seeded per task, so running the demo again on the same
    store adds nothing.
    """
    book = resolve_playbook(playbook)
    engine = open_store(settings)
    with Session(engine) as session, session.begin():
        case_ids = [int(i) for i in session.scalars(select(Case.id).order_by(Case.id)).all()]
        opened = [
            service.open_case_playbook(
                session=session, case_id=cid, playbook=book, trigger_at=None, actor="demo"
            )
            for cid in case_ids
        ]
        last = max((o.trigger_at for o in opened), default=None)
        now = (last + timedelta(hours=drill_hours)) if last is not None else None
        escalations: list[EscalationOut] = []
        if now is None:
            now = service.kpis(session=session).now
        if drill and opened:
            for o in opened:
                _drill(session, o.tasks, seed=seed, now_s=now.timestamp())
            escalations = service.escalate_overdue(session=session, now=now)
        cases: list[DemoCaseTasks] = []
        for o in opened:
            tasks = service.list_tasks(session=session, case_id=o.case_id)
            tasks = [x for x in tasks if x.playbook == book.name]
            cases.append(
                DemoCaseTasks(
                    case_id=o.case_id,
                    trigger_at=o.trigger_at.isoformat(),
                    created=o.created,
                    tasks=service.task_clocks(tasks, now),
                )
            )
        kpis = service.kpis(session=session, now=now)
    return TasksDemo(
        playbook=book.name,
        drill=drill,
        now=now.isoformat(),
        cases=cases,
        escalations=escalations,
        kpis=kpis,
    )


def render_tasks(result: TasksDemo, lang: str) -> None:
    """Each case's tasks (department, due time, clock), the escalations and the KPI table."""
    out.print(f"[bold]{t('tasks.demo.title', lang, playbook=result.playbook)}[/]")
    for case in result.cases:
        trigger = case.trigger_at[5:16].replace("T", " ")
        table = Table(
            title=t(
                "tasks.demo.case", lang, case_id=case.case_id, trigger=trigger, n=len(case.tasks)
            )
        )
        for key in ("department", "title", "due", "clock", "level"):
            table.add_column(t(f"tasks.col.{key}", lang))
        for c in case.tasks:
            task = c.task
            level = task.escalation_level
            table.add_row(
                _dept(task.department, lang),
                task.title_zh if lang == "zh-CN" else task.title_en,
                _when_text(task.due_at),
                _clock_text(c, lang),
                t(f"tasks.role.{task.escalation[level - 1].to}", lang) if level else "",
            )
        out.print(table)
    if result.drill:
        out.print(t("tasks.demo.drill", lang, now=result.now[5:16].replace("T", " ")))
        for e in result.escalations:
            out.print(
                "  "
                + t(
                    "tasks.escalated",
                    lang,
                    id=e.task_id,
                    case=e.case_id if e.case_id is not None else "—",
                    department=_dept(e.department, lang),
                    kind=e.kind,
                    hours=e.overdue_hours,
                    role=t(f"tasks.role.{e.to}", lang),
                )
            )
    out.print(kpi_table(result.kpis, lang))
    out.print(t("tasks.kpi.note", lang))
