"""The records the board and the daily report count, read once as plain rows with their area.

Each loader returns the rows recorded up to the window's ``as_of`` with the
home building (cases, quarantine stays) or the area (alerts, zones, tasks) the
scope filters on.  A task's area is its case's home, else its subject's
(a person's home building, a venue's building); tasks with neither count on
the city board only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..city.models import Person, Venue
from ..tasks.models import Task
from ..tracing.models import Case
from .scope import Scope, Window


@dataclass(frozen=True)
class CaseRec:
    id: int
    status: str
    reported_at: datetime
    building: int


@dataclass(frozen=True)
class TaskRec:
    id: int
    case_id: int | None
    case_playbook_id: int | None
    kind: str
    department: str
    #: Status as of the window's ``as_of`` (rebuilt from the timestamps).
    status: str
    triggered_at: datetime
    due_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    area: int


def _chunks(ids: list[int], n: int = 1000) -> list[list[int]]:
    return [ids[i : i + n] for i in range(0, len(ids), n)]


def cases(session: Session, w: Window, scope: Scope) -> list[CaseRec]:
    """Cases reported up to ``as_of`` whose home lies in the scope."""
    rows = session.execute(
        select(Case.id, Case.status, Case.reported_at, Person.building_id)
        .join(Person, Person.id == Case.person_id)
        .where(Case.reported_at <= w.as_of)
        .order_by(Case.id)
    ).all()
    keep = scope.keep(np.array([r[3] for r in rows], np.int64))
    return [
        CaseRec(int(r[0]), str(r[1]), r[2], int(r[3])) for r, k in zip(rows, keep, strict=True) if k
    ]


def _as_of(
    started: datetime | None,
    completed: datetime | None,
    cancelled: datetime | None,
    as_of: datetime,
) -> tuple[str, datetime | None, datetime | None, datetime | None]:
    done = completed if completed is not None and completed <= as_of else None
    gone = cancelled if cancelled is not None and cancelled <= as_of else None
    begun = started if started is not None and started <= as_of else None
    if done is not None:
        return "done", begun, done, None
    if gone is not None:
        return "cancelled", begun, None, gone
    return ("in_progress" if begun is not None else "open"), begun, None, None


def tasks(session: Session, w: Window, scope: Scope) -> list[TaskRec]:
    """Tasks created up to ``as_of`` in the scope, with their status as it was then."""
    rows = session.execute(
        select(
            Task.id,
            Task.case_id,
            Task.case_playbook_id,
            Task.kind,
            Task.department,
            Task.triggered_at,
            Task.due_at,
            Task.started_at,
            Task.completed_at,
            Task.cancelled_at,
            Task.subject_type,
            Task.subject_id,
        )
        .where(Task.created_at <= w.as_of)
        .order_by(Task.id)
    ).all()
    case_ids = sorted({int(r[1]) for r in rows if r[1] is not None})
    person_ids = sorted({int(r[11]) for r in rows if r[10] == "person" and r[1] is None})
    venue_ids = sorted({int(r[11]) for r in rows if r[10] == "venue" and r[1] is None})
    case_home: dict[int, int] = {}
    for chunk in _chunks(case_ids):
        case_home.update(
            session.execute(
                select(Case.id, Person.building_id)
                .join(Person, Person.id == Case.person_id)
                .where(Case.id.in_(chunk))
            ).all()
        )
    person_home: dict[int, int] = {}
    for chunk in _chunks(person_ids):
        person_home.update(
            session.execute(select(Person.id, Person.building_id).where(Person.id.in_(chunk))).all()
        )
    venue_home: dict[int, int] = {}
    for chunk in _chunks(venue_ids):
        venue_home.update(
            session.execute(select(Venue.id, Venue.building_id).where(Venue.id.in_(chunk))).all()
        )
    areas: list[int] = []
    for r in rows:
        if r[1] is not None:
            areas.append(case_home.get(int(r[1]), -1))
        elif r[10] == "person":
            areas.append(person_home.get(int(r[11]), -1))
        elif r[10] == "venue":
            areas.append(venue_home.get(int(r[11]), -1))
        else:
            areas.append(-1)
    area_arr = np.array(areas, np.int64)
    keep = scope.keep(area_arr) if scope.community is not None else np.ones(len(rows), np.bool_)
    out: list[TaskRec] = []
    for r, area, k in zip(rows, areas, keep, strict=True):
        if not k:
            continue
        status, started, completed, cancelled = _as_of(r[7], r[8], r[9], w.as_of)
        out.append(
            TaskRec(
                id=int(r[0]),
                case_id=None if r[1] is None else int(r[1]),
                case_playbook_id=None if r[2] is None else int(r[2]),
                kind=str(r[3]),
                department=str(r[4]),
                status=status,
                triggered_at=r[5],
                due_at=r[6],
                started_at=started,
                completed_at=completed,
                cancelled_at=cancelled,
                area=area,
            )
        )
    return out
