"""A small generated city (3,000 persons) in the rolled-back session."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service as city_service


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=3_000, days=1, seed=7))


@pytest.fixture()
def store(session: Session, city: GeneratedCity) -> Session:
    city_service.create_city(session=session, city=city, days=1)
    return session
