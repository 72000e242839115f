"""A small generated city (3,000 persons, 4 days) with its lake, for the zone service tests."""

from __future__ import annotations

from datetime import date, datetime, time
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service as city_service
from epicontrol.domains.tracing.context import LakeIndex, open_lake

DAYS = 4


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=3_000, days=DAYS, seed=7))


@pytest.fixture(scope="module")
def lake_dir(city: GeneratedCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("zones") / "lake"
    city_service.write_lake(city=city, lake_dir=directory, days=DAYS)
    return directory


@pytest.fixture()
def lake(session: Session, city: GeneratedCity, lake_dir: Path) -> LakeIndex:
    city_service.create_city(session=session, city=city, days=DAYS)
    return open_lake(session=session, lake_dir=lake_dir)


def local(lake: LakeIndex, d: int, hour: int = 0) -> datetime:
    """Local (naive) time of lake day ``d`` at ``hour``."""
    when: date = lake.clock.day_date(d)
    return datetime.combine(when, time(hour, 0))
