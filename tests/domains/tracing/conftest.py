"""A small generated city (3,000 persons, 4 days) for the tracing tests.

The city is generated and its lake written once per module; each test writes
the city into its rolled-back session and opens the tracing context on it
(the check-in index is built by the first test and reused from the cache).
"""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service as city_service
from epicontrol.domains.city.models import Person
from epicontrol.domains.tracing.context import TracingContext, open_context
from epicontrol.domains.tracing.schemas import CaseIn

DAYS = 4


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=3_000, days=DAYS, seed=7))


@pytest.fixture(scope="module")
def lake_dir(city: GeneratedCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tracing") / "lake"
    city_service.write_lake(city=city, lake_dir=directory, days=DAYS)
    return directory


@pytest.fixture()
def ctx(session: Session, city: GeneratedCity, lake_dir: Path) -> TracingContext:
    city_service.create_city(session=session, city=city, days=DAYS)
    return open_context(session=session, lake_dir=lake_dir)


def day(ctx: TracingContext, d: int, hour: int = 0) -> datetime:
    """Local (naive) time of lake day ``d`` at ``hour``."""
    when: date = ctx.clock.day_date(d)
    return datetime.combine(when, time(hour, 0))


def workers(session: Session, n: int) -> list[int]:
    """``n`` working-age persons with an organisation and a household of several."""
    sizes = (
        select(Person.household_id, func.count().label("n"))
        .group_by(Person.household_id)
        .subquery()
    )
    rows = session.scalars(
        select(Person.id)
        .join(sizes, sizes.c.household_id == Person.household_id)
        .where(
            Person.org_venue_id.is_not(None),
            Person.age.between(25, 55),
            sizes.c.n >= 2,
        )
        .order_by(Person.id)
        .limit(n)
    ).all()
    assert len(rows) == n
    return list(rows)


def confirmed(ctx: TracingContext, person_id: int, onset_day: int = 2, **kw: object) -> CaseIn:
    return CaseIn(person_id=person_id, status="confirmed", onset=day(ctx, onset_day), **kw)  # type: ignore[arg-type]
