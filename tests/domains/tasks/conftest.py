"""A minimal store for the task tests: a city (UTC+8), one building, three persons and cases.

The tasks need only cases to hang on, so the rows are inserted directly
(no generated city): fast on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy.orm import Session

from epicontrol.domains.city.models import Area, City, Household, Person
from epicontrol.domains.tracing.models import Case

#: Reported (trigger) time of the cases, naive UTC: 2026-11-05 10:00 local (UTC+8).
REPORTED = datetime(2026, 11, 5, 2, 0)


@pytest.fixture()
def cases(session: Session) -> list[int]:
    """Ids of three confirmed cases reported at :data:`REPORTED`."""
    return add_cases(session)


def add_cases(session: Session) -> list[int]:
    """Write the city, building, household, three persons and their cases; their case ids."""
    session.add(
        City(
            id=1,
            name="测试市",
            name_en="Test City",
            epoch_utc=datetime(2026, 11, 1, 16, 0),
            timezone="Asia/Shanghai",
            utc_offset_minutes=480,
            source="generated",
            seed=1,
            days=0,
            created_at=REPORTED,
        )
    )
    session.add(Area(id=1, code="B1", level="building", name="1 栋", population=3, households=1))
    session.flush()
    session.add(Household(id=1, building_id=1, size=3))
    session.flush()
    for pid in range(3):
        session.add(
            Person(
                id=pid,
                code=f"P{pid}",
                household_id=1,
                building_id=1,
                age=30 + pid,
                sex="F",
                occupation="office",
            )
        )
    session.flush()
    ids: list[int] = []
    for pid in range(3):
        case = Case(
            person_id=pid,
            status="confirmed",
            onset_at=datetime(2026, 11, 4),
            reported_at=REPORTED,
            source="test",
            created_at=REPORTED,
            updated_at=REPORTED,
        )
        session.add(case)
        session.flush()
        ids.append(case.id)
    return ids
