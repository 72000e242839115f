"""A small generated city (3,000 persons) in the rolled-back session, and zone helpers."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service as city_service
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing.models import Case
from epicontrol.domains.zones.models import Zone, ZoneChange

DAYS = 2


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=3_000, days=DAYS, seed=7))


@pytest.fixture()
def stored(session: Session, city: GeneratedCity) -> Session:
    city_service.create_city(session=session, city=city, days=DAYS)
    return session


def areas_of(session: Session, level: str) -> list[Area]:
    return list(session.scalars(select(Area).where(Area.level == level).order_by(Area.id)))


def add_zone(session: Session, area: Area, level: str, level_day: date) -> Zone:
    at = datetime.combine(level_day, time(0))
    zone = Zone(
        area_id=area.id,
        unit_level=area.level,
        level=level,
        status="active",
        level_day=level_day,
        opened_at=at,
        changed_at=at,
        lifted_at=None,
    )
    session.add(zone)
    session.flush()
    session.add(
        ZoneChange(
            zone_id=zone.id,
            day=level_day,
            recorded_at=at,
            from_level=None,
            to_level=level,
            rule_id="test",
            reason="test",
            case_id=None,
        )
    )
    session.flush()
    return zone


def add_cases(session: Session, community: Area, n: int, reported: datetime) -> list[int]:
    """``n`` confirmed cases among residents of ``community``'s buildings."""
    buildings = [community.id]
    frontier = [community.id]
    while frontier:
        frontier = list(session.scalars(select(Area.id).where(Area.parent_id.in_(frontier))))
        buildings += frontier
    persons = list(
        session.scalars(
            select(Person.id)
            .where(Person.building_id.in_(buildings), Person.id.not_in(select(Case.person_id)))
            .order_by(Person.id)
            .limit(n)
        )
    )
    assert len(persons) == n
    for pid in persons:
        session.add(
            Case(
                person_id=pid,
                status="confirmed",
                onset_at=reported,
                sample_at=None,
                isolated_at=None,
                reported_at=reported,
                source="test",
                created_at=reported,
                updated_at=reported,
            )
        )
    session.flush()
    return persons
