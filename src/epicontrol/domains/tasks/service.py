"""Task service: playbook tasks for cases and the task lifecycle.

Keyword-only functions taking the session; they flush, never commit: the CLI
command, request or job that calls them owns the transaction.  Every change
writes a :class:`~epicontrol.domains.tasks.models.TaskEvent`.

Datetimes given to these functions may be aware (converted to UTC) or naive
(taken as UTC, as stored); the views they return are aware, in the city's
local time.  The SLA clocks, escalation and KPIs are in
:mod:`epicontrol.domains.tasks.sla` (re-exported here).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ...core.operations.playbook import (
    DEFAULT_ESCALATION,
    DEPARTMENTS,
    EscalationRule,
    Playbook,
    resolve_playbook,
)
from ..tracing.models import Case
from .common import (
    SYSTEM_ACTOR,
    TRANSITIONS,
    InvalidTransition,
    PlaybookConflict,
    StaleTask,
    TaskError,
    TaskInputError,
    TaskNotFound,
    add_event,
    aware,
    check_actor,
    check_text,
    city_tz,
    optional_text,
    rules_json,
    task_out,
    tasks_out,
    to_store,
    utcnow,
)
from .models import ACTIVE_STATUSES, TASK_STATUSES, CasePlaybook, Task, TaskEvent
from .schemas import PlaybookOpened, TaskOut
from .sla import escalate_overdue, kpis, task_clocks

__all__ = [
    "SYSTEM_ACTOR",
    "InvalidTransition",
    "PlaybookConflict",
    "StaleTask",
    "TaskError",
    "TaskInputError",
    "TaskNotFound",
    "cancel_task",
    "city_tz",
    "complete_task",
    "create_task",
    "escalate_overdue",
    "get_task",
    "kpis",
    "list_tasks",
    "open_case_playbook",
    "start_task",
    "task_clocks",
    "task_events",
]


# --------------------------------------------------------------------------- creation


def _new_task(
    session: Session,
    *,
    kind: str,
    department: str,
    title_zh: str,
    title_en: str,
    due_at: datetime,
    triggered_at: datetime,
    created_at: datetime,
    case_id: int | None,
    case_playbook_id: int | None,
    subject_type: str | None,
    subject_id: int | None,
    actor: str,
    dedupe_key: str | None,
    escalation: Sequence[EscalationRule],
    depends_on: Sequence[int],
    flush: bool = True,
) -> Task:
    """A new open task; with ``flush`` it is written and its ``create`` event added."""
    task = Task(
        kind=kind,
        department=department,
        title_zh=title_zh,
        title_en=title_en,
        case_id=case_id,
        case_playbook_id=case_playbook_id,
        subject_type=subject_type,
        subject_id=subject_id,
        dedupe_key=dedupe_key,
        status="open",
        triggered_at=triggered_at,
        created_at=created_at,
        created_by=actor,
        due_at=due_at,
        updated_at=created_at,
        escalation=rules_json(escalation),
        escalation_level=0,
        depends_on=[int(i) for i in depends_on],
    )
    session.add(task)
    if flush:
        session.flush()
        add_event(
            session, task, "create", at=created_at, actor=actor, from_status=None, from_level=None
        )
    return task


def _by_key(session: Session, key: str) -> Task | None:
    return session.scalars(select(Task).where(Task.dedupe_key == key)).first()


def create_task(
    *,
    session: Session,
    kind: str,
    department: str,
    title_zh: str,
    title_en: str,
    due_at: datetime,
    created_at: datetime,
    case_id: int | None = None,
    subject_type: str | None = None,
    subject_id: int | None = None,
    actor: str,
    dedupe_key: str | None = None,
    escalation: Sequence[EscalationRule] | None = None,
) -> TaskOut:
    """Create one task (idempotent by ``dedupe_key``) and return it.

    The SLA clock starts at ``created_at`` and the task is due at ``due_at``.
    When a task with ``dedupe_key`` exists it is returned unchanged (the first
    creation wins), so re-sending the same request creates nothing.
    ``escalation`` defaults to
    :data:`epicontrol.core.operations.playbook.DEFAULT_ESCALATION`.

    Raises
    ------
    TaskInputError
        A field breaks its rule (unknown department, empty title, due before
        creation, a subject type without an id...); the message names it.
    TaskNotFound
        ``case_id`` is not a case.
    """
    kind_ = check_text("kind", kind, 64)
    if department not in DEPARTMENTS:
        raise TaskInputError(
            f"department: must be one of {', '.join(DEPARTMENTS)}, got {department!r}"
        )
    zh = check_text("title_zh", title_zh, 200)
    en = check_text("title_en", title_en, 200)
    who = check_actor(actor)
    key = optional_text("dedupe_key", dedupe_key, 200)
    if (subject_type is None) != (subject_id is None):
        raise TaskInputError("subject_type and subject_id: give both or neither")
    subject = optional_text("subject_type", subject_type, 32)
    if subject_type is not None and subject is None:
        raise TaskInputError("subject_type: must not be empty")
    created = to_store(created_at)
    due = to_store(due_at)
    if due < created:
        raise TaskInputError(
            f"due_at: must not be before created_at ({due.isoformat()} < {created.isoformat()} UTC)"
        )
    rules = DEFAULT_ESCALATION if escalation is None else tuple(escalation)
    if key is not None:
        existing = _by_key(session, key)
        if existing is not None:
            return tasks_out(session=session, tasks=[existing])[0]
    if case_id is not None and session.get(Case, case_id) is None:
        raise TaskNotFound(f"case_id: case {case_id} does not exist")
    try:
        with session.begin_nested():
            task = _new_task(
                session,
                kind=kind_,
                department=department,
                title_zh=zh,
                title_en=en,
                due_at=due,
                triggered_at=created,
                created_at=created,
                case_id=case_id,
                case_playbook_id=None,
                subject_type=subject,
                subject_id=subject_id,
                actor=who,
                dedupe_key=key,
                escalation=rules,
                depends_on=(),
            )
    except IntegrityError:
        # another session created the same key meanwhile: return its task
        if key is None:
            raise
        existing = _by_key(session, key)
        if existing is None:
            raise
        task = existing
    return tasks_out(session=session, tasks=[task])[0]


def get_task(*, session: Session, task_id: int) -> Task:
    """The task ``task_id``; :class:`TaskNotFound` when there is none."""
    task = session.get(Task, task_id)
    if task is None:
        raise TaskNotFound(f"task {task_id} does not exist")
    return task


# --------------------------------------------------------------------------- lifecycle


def _move(
    session: Session,
    *,
    task_id: int,
    to_status: str,
    actor: str,
    at: datetime | None,
    expected_version: int | None,
) -> tuple[Task, str, datetime, str]:
    who = check_actor(actor)
    task = get_task(session=session, task_id=task_id)
    if expected_version is not None and task.version != expected_version:
        raise StaleTask(
            f"task {task_id} is at version {task.version}, not {expected_version}: "
            "someone changed it meanwhile; reload it and try again"
        )
    allowed = TRANSITIONS[task.status]
    if to_status not in allowed:
        can = " or ".join(allowed) if allowed else f"nothing (it is {task.status})"
        raise InvalidTransition(
            f"task {task_id} is {task.status}: it can move to {can}, not to {to_status}"
        )
    stamp = utcnow() if at is None else to_store(at)
    if stamp < task.triggered_at:
        raise TaskInputError(
            f"at: must not be before the task's trigger ({task.triggered_at.isoformat()} UTC)"
        )
    return task, task.status, stamp, who


def _flush(session: Session, task_id: int) -> None:
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleTask(
            f"task {task_id} was changed by someone else meanwhile; reload it and try again"
        ) from exc


def start_task(
    *,
    session: Session,
    task_id: int,
    actor: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Mark task ``task_id`` in progress (``open → in_progress``) at ``at`` (default now).

    Raises :class:`TaskNotFound`, :class:`InvalidTransition` (not open),
    :class:`StaleTask` (``expected_version`` is not the task's version) or
    :class:`TaskInputError` (``at`` before the trigger, no actor).
    """
    task, before, stamp, who = _move(
        session,
        task_id=task_id,
        to_status="in_progress",
        actor=actor,
        at=at,
        expected_version=expected_version,
    )
    task.status = "in_progress"
    task.started_at = stamp
    task.updated_at = stamp
    add_event(
        session,
        task,
        "start",
        at=stamp,
        actor=who,
        from_status=before,
        from_level=task.escalation_level,
    )
    _flush(session, task_id)
    return tasks_out(session=session, tasks=[task])[0]


def _unfinished_prerequisites(session: Session, task: Task) -> list[Task]:
    ids = [int(i) for i in task.depends_on]
    if not ids:
        return []
    rows = session.scalars(select(Task).where(Task.id.in_(ids))).all()
    return sorted((r for r in rows if r.status not in ("done", "cancelled")), key=lambda r: r.id)


def complete_task(
    *,
    session: Session,
    task_id: int,
    evidence: str,
    actor: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Mark task ``task_id`` done at ``at`` (default now) with ``evidence``, by ``actor``.

    A task is completed only after the tasks it depends on are done or
    cancelled.  Completing an open task directly (without ``start``) is
    allowed; its ``started_at`` stays empty.

    Raises
    ------
    TaskNotFound
        No such task.
    InvalidTransition
        The task is done or cancelled already, or a prerequisite is unfinished.
    StaleTask
        ``expected_version`` is not the task's version, or another session
        changed the task meanwhile.
    TaskInputError
        Empty evidence or actor, ``at`` before the trigger.
    """
    text = check_text("evidence", evidence, 4000)
    task, before, stamp, who = _move(
        session,
        task_id=task_id,
        to_status="done",
        actor=actor,
        at=at,
        expected_version=expected_version,
    )
    if task.started_at is not None and stamp < task.started_at:
        raise TaskInputError(
            f"at: must not be before the task was started ({task.started_at.isoformat()} UTC)"
        )
    waiting = _unfinished_prerequisites(session, task)
    if waiting:
        names = ", ".join(f"{w.id} ({w.kind}, {w.status})" for w in waiting)
        raise InvalidTransition(
            f"task {task_id} depends on unfinished tasks {names}: complete them first"
        )
    task.status = "done"
    task.completed_at = stamp
    task.completed_by = who
    task.evidence = text
    task.updated_at = stamp
    add_event(
        session,
        task,
        "complete",
        at=stamp,
        actor=who,
        from_status=before,
        from_level=task.escalation_level,
        note=text,
    )
    _flush(session, task_id)
    return tasks_out(session=session, tasks=[task])[0]


def cancel_task(
    *,
    session: Session,
    task_id: int,
    reason: str,
    actor: str,
    at: datetime | None = None,
    expected_version: int | None = None,
) -> TaskOut:
    """Cancel task ``task_id`` (open or in progress) with ``reason``; same errors as completing."""
    text = check_text("reason", reason, 4000)
    task, before, stamp, who = _move(
        session,
        task_id=task_id,
        to_status="cancelled",
        actor=actor,
        at=at,
        expected_version=expected_version,
    )
    task.status = "cancelled"
    task.cancelled_at = stamp
    task.evidence = text
    task.updated_at = stamp
    add_event(
        session,
        task,
        "cancel",
        at=stamp,
        actor=who,
        from_status=before,
        from_level=task.escalation_level,
        note=text,
    )
    _flush(session, task_id)
    return tasks_out(session=session, tasks=[task])[0]


# --------------------------------------------------------------------------- playbooks


def _playbook_tasks(session: Session, opening: CasePlaybook) -> list[Task]:
    return list(
        session.scalars(
            select(Task).where(Task.case_playbook_id == opening.id).order_by(Task.id)
        ).all()
    )


def _opened(
    session: Session, opening: CasePlaybook, tasks: Sequence[Task], created: int
) -> PlaybookOpened:
    tz = city_tz(session=session)
    names = {opening.id: opening.playbook}
    return PlaybookOpened(
        case_id=opening.case_id,
        playbook=opening.playbook,
        trigger_at=aware(opening.trigger_at, tz),
        created=created,
        tasks=[task_out(t, tz, names) for t in tasks],
    )


def playbook_dedupe_key(case_id: int, playbook: str, step: str) -> str:
    """The ``dedupe_key`` of a playbook step's task for a case."""
    return f"case:{case_id}:playbook:{playbook}:{step}"


def open_case_playbook(
    *,
    session: Session,
    case_id: int,
    playbook: Playbook | str,
    trigger_at: datetime | None,
    actor: str,
    now: datetime | None = None,
) -> PlaybookOpened:
    """Create the tasks of ``playbook`` for case ``case_id``, due from ``trigger_at``.

    ``playbook`` is a validated :class:`~epicontrol.core.operations.playbook.Playbook`,
    the name of a shipped one (``1+4+6+24``, ``2+4+24``) or a playbook file's
    path.  ``trigger_at`` (default: the case's ``reported_at``) starts every
    step's clock: a step is due ``due_hours`` after it.  Each step becomes one
    task owned by the step's department, carrying the step's escalation rules;
    ``depends_on`` is resolved to the ids of the case's tasks.

    Idempotent: opening the same playbook (same name and content) for the case
    again changes nothing and returns its tasks with ``created = 0``, whatever
    ``trigger_at`` is given.

    Raises
    ------
    TaskNotFound
        No such case.
    PlaybookConflict
        The case has a playbook of that name opened with other content.
    PlaybookError
        The playbook file breaks a rule.
    TaskInputError
        No actor.
    """
    book = resolve_playbook(playbook) if isinstance(playbook, str) else playbook
    who = check_actor(actor)
    case = session.get(Case, case_id)
    if case is None:
        raise TaskNotFound(f"case_id: case {case_id} does not exist")
    trigger = case.reported_at if trigger_at is None else to_store(trigger_at)
    stamp = utcnow() if now is None else to_store(now)
    digest = book.digest()

    def existing() -> CasePlaybook | None:
        return session.scalars(
            select(CasePlaybook)
            .where(CasePlaybook.case_id == case_id, CasePlaybook.playbook == book.name)
            .with_for_update()
        ).first()

    def reopened(opening: CasePlaybook) -> PlaybookOpened:
        if opening.digest != digest:
            raise PlaybookConflict(
                f"case {case_id} already has playbook {book.name!r} opened (at "
                f"{opening.opened_at.isoformat()} UTC by {opening.opened_by}) with other "
                "steps; rename the edited playbook to open it as well"
            )
        return _opened(session, opening, _playbook_tasks(session, opening), 0)

    found = existing()
    if found is not None:
        return reopened(found)
    try:
        with session.begin_nested():
            opening = CasePlaybook(
                case_id=case_id,
                playbook=book.name,
                digest=digest,
                trigger_at=trigger,
                opened_at=stamp,
                opened_by=who,
            )
            session.add(opening)
            session.flush()
            # one flush per dependency layer (a layer's prerequisites have ids by then)
            depth: dict[str, int] = {}
            for step in book.steps:  # dependency order: prerequisites first
                depth[step.key] = 1 + max((depth[d] for d in step.depends_on), default=-1)
            ids: dict[str, int] = {}
            by_key: dict[str, Task] = {}
            for layer in range(max(depth.values()) + 1):
                for step in (x for x in book.steps if depth[x.key] == layer):
                    by_key[step.key] = _new_task(
                        session,
                        kind=step.key,
                        department=step.department,
                        title_zh=step.title_zh,
                        title_en=step.title_en,
                        due_at=trigger + timedelta(hours=step.due_hours),
                        triggered_at=trigger,
                        created_at=stamp,
                        case_id=case_id,
                        case_playbook_id=opening.id,
                        subject_type=None,
                        subject_id=None,
                        actor=who,
                        dedupe_key=playbook_dedupe_key(case_id, book.name, step.key),
                        escalation=step.escalation,
                        depends_on=[ids[d] for d in step.depends_on],
                        flush=False,
                    )
                session.flush()
                ids.update({k: t.id for k, t in by_key.items()})
            made = [by_key[step.key] for step in book.steps]
            for task in made:
                add_event(
                    session,
                    task,
                    "create",
                    at=stamp,
                    actor=who,
                    from_status=None,
                    from_level=None,
                )
            session.flush()
    except IntegrityError:
        # opened by another session meanwhile
        found = existing()
        if found is None:
            raise
        return reopened(found)
    return _opened(session, opening, made, len(made))


def list_tasks(
    *,
    session: Session,
    overdue_at: datetime | None = None,
    department: str | None = None,
    case_id: int | None = None,
    status: str | None = None,
    limit: int | None = None,
) -> list[TaskOut]:
    """Tasks by due time; filters combine.

    ``overdue_at`` keeps the tasks overdue at that time (open or in progress,
    due before it); ``status`` is a status or ``active`` (open or in progress).
    """
    query = select(Task)
    if status is not None:
        if status == "active":
            query = query.where(Task.status.in_(ACTIVE_STATUSES))
        elif status in TASK_STATUSES:
            query = query.where(Task.status == status)
        else:
            raise TaskInputError(
                f"status: must be one of {', '.join(TASK_STATUSES)} or active, got {status!r}"
            )
    if department is not None:
        if department not in DEPARTMENTS:
            raise TaskInputError(
                f"department: must be one of {', '.join(DEPARTMENTS)}, got {department!r}"
            )
        query = query.where(Task.department == department)
    if case_id is not None:
        query = query.where(Task.case_id == case_id)
    if overdue_at is not None:
        query = query.where(Task.status.in_(ACTIVE_STATUSES), Task.due_at < to_store(overdue_at))
    query = query.order_by(Task.due_at, Task.id)
    if limit is not None:
        query = query.limit(limit)
    return tasks_out(session=session, tasks=session.scalars(query).all())


def task_events(*, session: Session, task_id: int) -> list[TaskEvent]:
    """The audited changes of task ``task_id``, oldest first."""
    get_task(session=session, task_id=task_id)
    return list(
        session.scalars(
            select(TaskEvent).where(TaskEvent.task_id == task_id).order_by(TaskEvent.id)
        ).all()
    )
