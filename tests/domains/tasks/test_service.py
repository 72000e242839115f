"""Task service on SQLite and PostgreSQL: playbooks, lifecycle, escalation, KPIs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from epicontrol.core.operations.playbook import EscalationRule, default_playbook, parse_playbook
from epicontrol.domains.tasks import service
from epicontrol.domains.tasks.models import Task, TaskEvent
from epicontrol.domains.tasks.schemas import PlaybookOpened, TaskOut
from tests.domains.tasks.conftest import REPORTED

CST = timezone(timedelta(hours=8))


def hours(h: float) -> datetime:
    """``h`` hours after the trigger, naive UTC."""
    return REPORTED + timedelta(hours=h)


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def by_kind(opened: PlaybookOpened) -> dict[str, TaskOut]:
    return {t.kind: t for t in opened.tasks}


def test_open_playbook_creates_due_tasks_idempotently(session: Session, cases: list[int]) -> None:
    opened = service.open_case_playbook(
        session=session, case_id=cases[0], playbook="1+4+6+24", trigger_at=None, actor="lead"
    )
    book = default_playbook("1+4+6+24")
    assert opened.created == len(book.steps) == 12
    # the trigger defaults to the case's report time; views are in city time (UTC+8)
    assert opened.trigger_at == REPORTED.replace(tzinfo=UTC)
    assert opened.trigger_at.utcoffset() == timedelta(hours=8)
    tasks = by_kind(opened)
    for step in book.steps:
        task = tasks[step.key]
        assert task.department == step.department
        assert task.due_at == (REPORTED + timedelta(hours=step.due_hours)).replace(tzinfo=UTC)
        assert task.status == "open" and task.case_id == cases[0]
        assert task.playbook == "1+4+6+24"
        assert [tasks[d].id for d in step.depends_on] == task.depends_on
    assert tasks["onsite_health"].due_at.astimezone(CST).hour == 11  # 10:00 + 1 h local
    n_tasks, n_events = count(session, Task), count(session, TaskEvent)
    assert n_events == 12

    again = service.open_case_playbook(
        session=session,
        case_id=cases[0],
        playbook=book,
        trigger_at=hours(5),  # a different trigger changes nothing
        actor="someone else",
    )
    assert again.created == 0
    assert [t.id for t in again.tasks] == [t.id for t in opened.tasks]
    assert again.trigger_at == opened.trigger_at
    assert (count(session, Task), count(session, TaskEvent)) == (n_tasks, n_events)

    # another playbook for the same case is its own set of tasks
    other = service.open_case_playbook(
        session=session,
        case_id=cases[0],
        playbook="2+4+24",
        trigger_at=datetime(2026, 11, 5, 12, 0, tzinfo=CST),
        actor="lead",
    )
    assert other.created == 7
    assert by_kind(other)["all_chains"].due_at == datetime(2026, 11, 6, 12, 0, tzinfo=CST)


def test_open_playbook_conflict_and_errors(session: Session, cases: list[int]) -> None:
    text = """
[playbook]
name = "1+4+6+24"
title_zh = "改过的"
title_en = "Edited"

[[steps]]
key = "onsite_health"
title_zh = "到达现场"
title_en = "On site"
department = "health"
due_hours = 2
"""
    service.open_case_playbook(
        session=session, case_id=cases[1], playbook="1+4+6+24", trigger_at=None, actor="lead"
    )
    with pytest.raises(service.PlaybookConflict, match="already has playbook '1\\+4\\+6\\+24'"):
        service.open_case_playbook(
            session=session,
            case_id=cases[1],
            playbook=parse_playbook(text),
            trigger_at=None,
            actor="lead",
        )
    with pytest.raises(service.TaskNotFound, match="case 999 does not exist"):
        service.open_case_playbook(
            session=session, case_id=999, playbook="2+4+24", trigger_at=None, actor="lead"
        )
    with pytest.raises(service.TaskInputError, match="actor"):
        service.open_case_playbook(
            session=session, case_id=cases[1], playbook="2+4+24", trigger_at=None, actor=" "
        )


def _retest(session: Session, **kw: object) -> TaskOut:
    args: dict[str, object] = dict(
        session=session,
        kind="retest",
        department="health",
        title_zh="混采阳性复检",
        title_en="Re-test after a positive pool",
        due_at=hours(12),
        created_at=hours(0),
        subject_type="person",
        subject_id=2,
        actor="campaign",
        dedupe_key="pool:7:person:2",
    )
    args.update(kw)
    return service.create_task(**args)  # type: ignore[arg-type]


def test_create_task_is_idempotent_by_key(session: Session, cases: list[int]) -> None:
    first = _retest(session, case_id=cases[2])
    again = _retest(session, case_id=cases[2], title_en="changed")
    assert again.id == first.id and again.title_en == "Re-test after a positive pool"
    assert count(session, Task) == 1 and count(session, TaskEvent) == 1
    assert first.escalation[0].to == "department_head"
    assert first.triggered_at == first.created_at == hours(0).replace(tzinfo=UTC)
    # no key: every call is a new task
    a = _retest(session, dedupe_key=None)
    b = _retest(session, dedupe_key=None)
    assert a.id != b.id
    custom = _retest(session, dedupe_key="k2", escalation=[EscalationRule(3, "commander")])
    assert [(r.after_hours, r.to) for r in custom.escalation] == [(3.0, "commander")]


def test_create_task_rejects_bad_fields(session: Session, cases: list[int]) -> None:
    with pytest.raises(service.TaskInputError, match=r"department: must be one of .*'fire'"):
        _retest(session, department="fire")
    with pytest.raises(service.TaskInputError, match="due_at: must not be before created_at"):
        _retest(session, due_at=hours(-1))
    with pytest.raises(service.TaskInputError, match="subject_type and subject_id"):
        _retest(session, subject_id=None)
    with pytest.raises(service.TaskInputError, match="title_zh: must not be empty"):
        _retest(session, title_zh="  ")
    with pytest.raises(service.TaskNotFound, match="case_id: case 12345"):
        _retest(session, case_id=12345)
    assert count(session, Task) == 0


def test_lifecycle_events_and_prerequisites(session: Session, cases: list[int]) -> None:
    tasks = by_kind(
        service.open_case_playbook(
            session=session, case_id=cases[0], playbook="1+4+6+24", trigger_at=None, actor="lead"
        )
    )
    core = tasks["core_information"]
    with pytest.raises(service.InvalidTransition, match=r"depends on unfinished tasks .*onsite"):
        service.complete_task(
            session=session, task_id=core.id, evidence="x", actor="cdc", at=hours(2)
        )
    onsite = tasks["onsite_health"]
    started = service.start_task(
        session=session, task_id=onsite.id, actor="cdc team 3", at=hours(0.5)
    )
    assert started.status == "in_progress" and started.version == onsite.version + 1
    with pytest.raises(service.StaleTask, match="is at version 2, not 1"):
        service.complete_task(
            session=session,
            task_id=onsite.id,
            evidence="arrived",
            actor="cdc",
            at=hours(0.8),
            expected_version=1,
        )
    with pytest.raises(service.TaskInputError, match="at: must not be before the task was started"):
        service.complete_task(
            session=session, task_id=onsite.id, evidence="arrived", actor="cdc", at=hours(0.1)
        )
    # an aware local time is converted: 10:48 local = 0.8 h after the 10:00 trigger
    done = service.complete_task(
        session=session,
        task_id=onsite.id,
        evidence="team 3 at the home address, photo #12",
        actor="cdc team 3",
        at=datetime(2026, 11, 5, 10, 48, tzinfo=CST),
        expected_version=2,
    )
    assert done.status == "done" and done.completed_by == "cdc team 3"
    assert done.completed_at == hours(0.8).replace(tzinfo=UTC)
    with pytest.raises(service.InvalidTransition, match="it can move to nothing \\(it is done\\)"):
        service.start_task(session=session, task_id=onsite.id, actor="x")
    # core information can now be completed directly from open
    service.complete_task(session=session, task_id=core.id, evidence="ok", actor="cdc", at=hours(3))
    cancelled = service.cancel_task(
        session=session, task_id=tasks["venue_control_commerce"].id, reason="no shops", actor="x"
    )
    assert cancelled.status == "cancelled" and cancelled.evidence == "no shops"
    events = service.task_events(session=session, task_id=onsite.id)
    assert [(e.action, e.from_status, e.to_status) for e in events] == [
        ("create", None, "open"),
        ("start", "open", "in_progress"),
        ("complete", "in_progress", "done"),
    ]
    with pytest.raises(service.TaskNotFound, match="task 9999 does not exist"):
        service.start_task(session=session, task_id=9999, actor="x")


def test_concurrent_change_is_a_conflict(session: Session, cases: list[int]) -> None:
    task = _retest(session, dedupe_key="c1")
    row = service.get_task(session=session, task_id=task.id)
    assert row.version == 1
    # another writer moves the row on behind this session's back
    session.execute(
        update(Task).where(Task.id == task.id).values(version=Task.version + 1),
        execution_options={"synchronize_session": False},
    )
    with pytest.raises(service.StaleTask, match="changed by someone else"):
        service.start_task(session=session, task_id=task.id, actor="x", at=hours(1))


def test_escalation_is_idempotent_per_level(session: Session, cases: list[int]) -> None:
    tasks = by_kind(
        service.open_case_playbook(
            session=session, case_id=cases[0], playbook="1+4+6+24", trigger_at=None, actor="lead"
        )
    )
    service.complete_task(
        session=session,
        task_id=tasks["onsite_police"].id,
        evidence="on site",
        actor="police",
        at=hours(0.9),
    )
    assert service.escalate_overdue(session=session, now=hours(1)) == []  # due, not overdue
    first = service.escalate_overdue(session=session, now=hours(1.5))
    assert [(e.kind, e.to_level, e.to) for e in first] == [("onsite_health", 1, "department_head")]
    assert service.escalate_overdue(session=session, now=hours(1.9)) == []
    second = service.escalate_overdue(session=session, now=hours(2))
    assert [(e.kind, e.from_level, e.to_level, e.to) for e in second] == [
        ("onsite_health", 1, 2, "commander")
    ]
    # 4 h 30 later: core information and trajectory at level 1; nothing repeats
    third = service.escalate_overdue(session=session, now=hours(4.5))
    assert sorted((e.kind, e.to_level) for e in third) == [
        ("core_information", 1),
        ("core_trajectory", 1),
    ]
    # 24 h steps escalate to the commander 4 h after due, not 1 h
    late = service.escalate_overdue(session=session, now=hours(26))
    levels = {(e.kind, e.to_level) for e in late}
    assert ("key_population_health", 1) in levels
    assert ("key_population_health", 2) not in levels
    assert service.escalate_overdue(session=session, now=hours(26)) == []
    rows = {t.kind: t for t in service.list_tasks(session=session, case_id=cases[0])}
    assert rows["onsite_health"].escalation_level == 2
    assert rows["onsite_police"].escalation_level == 0  # done on time
    n_escalate = session.scalar(
        select(func.count()).select_from(TaskEvent).where(TaskEvent.action == "escalate")
    )
    assert n_escalate == len(first) + len(second) + len(third) + len(late)


def test_list_filters_and_clocks(session: Session, cases: list[int]) -> None:
    for cid in cases[:2]:
        service.open_case_playbook(
            session=session, case_id=cid, playbook="1+4+6+24", trigger_at=None, actor="lead"
        )
    overdue = service.list_tasks(session=session, overdue_at=hours(5))
    assert {t.kind for t in overdue} == {
        "onsite_health",
        "onsite_police",
        "core_information",
        "core_trajectory",
    }
    assert len(overdue) == 8
    police = service.list_tasks(session=session, department="police", case_id=cases[1])
    assert {t.kind for t in police} == {"onsite_police", "core_trajectory", "venue_control_police"}
    assert [t.due_at for t in police] == sorted(t.due_at for t in police)
    assert service.list_tasks(session=session, status="done") == []
    assert len(service.list_tasks(session=session, status="active")) == 24
    with pytest.raises(service.TaskInputError, match="status: must be one of"):
        service.list_tasks(session=session, status="late")
    clocks = service.task_clocks(service.list_tasks(session=session, case_id=cases[0]), hours(5))
    c = {x.task.kind: x for x in clocks}
    assert c["onsite_health"].overdue and c["onsite_health"].overdue_hours == pytest.approx(4)
    assert c["onsite_health"].level_due == 2 and c["onsite_health"].escalated_to == "commander"
    assert c["transfer_contacts"].remaining_hours == pytest.approx(1)
    assert not c["transfer_contacts"].overdue and c["transfer_contacts"].level_due == 0


def test_kpis_against_hand_computation(session: Session, cases: list[int]) -> None:
    # health on-site task of three cases done at 0.5 h, 1.5 h (late), 0.9 h
    for cid, at in zip(cases, (0.5, 1.5, 0.9), strict=True):
        tasks = by_kind(
            service.open_case_playbook(
                session=session, case_id=cid, playbook="1+4+6+24", trigger_at=None, actor="lead"
            )
        )
        service.complete_task(
            session=session,
            task_id=tasks["onsite_health"].id,
            evidence="ok",
            actor="cdc",
            at=hours(at),
        )
    result = service.kpis(session=session, now=hours(2))
    row = next(r for r in result.rows if (r.department, r.kind) == ("health", "onsite_health"))
    assert (row.total, row.done, row.done_on_time, row.open_overdue) == (3, 3, 2, 0)
    assert row.on_time_rate == pytest.approx(2 / 3, abs=1e-4)
    # sorted 0.5, 0.9, 1.5: median 0.9; p90 h = 2 * 0.9 = 1.8 → 0.9 + 0.8 * 0.6 = 1.38
    assert row.median_hours == pytest.approx(0.9)
    assert row.p90_hours == pytest.approx(1.38)
    police = next(r for r in result.rows if (r.department, r.kind) == ("police", "onsite_police"))
    assert (police.done, police.open_overdue, police.on_time_rate) == (0, 3, 0.0)
    health = next(r for r in result.departments if r.department == "health")
    assert health.total == 3 * 5 and health.done == 3
    # decided health tasks at 2 h: the three on-site ones only (others not yet due)
    assert health.on_time_rate == pytest.approx(2 / 3, abs=1e-4)
    assert result.overall.total == 36 and result.overall.open_overdue == 3
    only = service.kpis(session=session, now=hours(2), department="police")
    assert {r.department for r in only.rows} == {"police"}
    assert only.overall.total == 9
