"""A small generated city (3,000 persons) written into the rolled-back session."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service as city_service
from epicontrol.domains.city.models import Area


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=3_000, days=1, seed=7))


@pytest.fixture()
def communities(session: Session, city: GeneratedCity) -> list[int]:
    """The city in the session; returns its community ids."""
    city_service.create_city(session=session, city=city, days=1)
    return list(session.scalars(select(Area.id).where(Area.level == "community").order_by(Area.id)))
