from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.config import Standards
from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service
from epicontrol.domains.city.models import Area, AreaAdjacency, Facility, Person, Venue
from epicontrol.store import lake


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=4_000, days=2, seed=3))


def test_create_city_writes_every_table(session: Session, city: GeneratedCity) -> None:
    counts = service.create_city(session=session, city=city, days=2)
    assert counts.persons == 4_000
    assert session.scalar(select(func.count()).select_from(Person)) == 4_000
    assert session.scalar(select(func.count()).select_from(Venue)) == city.venues.num_rows
    assert session.scalar(select(func.count()).select_from(AreaAdjacency)) == counts.adjacency
    stored = service.get_city(session=session)
    assert stored is not None and stored.source == "generated" and stored.seed == 3
    out = service.city_out(stored)
    assert out.epoch == city.epoch
    # the phone is stored whole
    phone = session.scalar(select(Person.phone).where(Person.age >= 18).limit(1))
    assert phone is not None and len(phone) == 11 and "*" not in phone


def test_a_second_city_is_refused(session: Session, city: GeneratedCity) -> None:
    service.create_city(session=session, city=city, days=2)
    with pytest.raises(service.CityError, match="already holds a city"):
        service.create_city(session=session, city=city, days=2)


def test_summary_adds_up_and_flags_shortfalls(session: Session, city: GeneratedCity) -> None:
    service.create_city(session=session, city=city, days=2)
    standards = Standards(quarantine_rooms_per_10k=40.0)
    summary = service.city_summary(session=session, standards=standards)
    assert summary.population == 4_000
    assert sum(d.population for d in summary.districts) == 4_000
    assert sum(d.venues for d in summary.districts) == city.venues.num_rows
    assert sum(d.buildings for d in summary.districts) == summary.areas["building"]
    assert summary.areas["district"] == 13
    rooms = [r for r in summary.provision if r.measure == "quarantine_rooms"]
    assert len(rooms) == 13
    total_rooms = session.scalar(
        select(func.sum(Facility.rooms)).where(Facility.kind == "quarantine_site")
    )
    assert sum(r.capacity for r in rooms) == total_rooms
    for r in rooms:
        assert r.standard_per_10k == 40.0
        assert r.required == int(np.ceil(r.population * 40 / 10_000))
        assert r.shortfall == max(r.required - r.capacity, 0)
    # the generator provides 6-21 rooms per 10 000: every district falls short of 40
    assert all(r.shortfall > 0 for r in rooms)
    assert sum(summary.special_tiers.values()) == session.scalar(
        select(func.count()).select_from(Person).where(Person.special_tier.is_not(None))
    )


def test_summary_needs_a_city(session: Session) -> None:
    with pytest.raises(service.CityError, match="holds no city yet"):
        service.city_summary(session=session, standards=Standards())


def test_person_is_masked_unless_revealed(session: Session, city: GeneratedCity) -> None:
    service.create_city(session=session, city=city, days=2)
    pid = session.scalar(select(Person.id).where(Person.age >= 30).limit(1))
    assert pid is not None
    masked = service.get_person(session=session, person_id=pid)
    whole = service.get_person(session=session, person_id=pid, reveal=True)
    assert masked.masked and not whole.masked
    assert whole.phone is not None and masked.phone == whole.phone[:3] + "****" + whole.phone[-4:]
    assert whole.id_number is not None and masked.id_number is not None
    assert masked.id_number[6:14] == "********"
    building = session.get(Area, whole.building_id)
    assert building is not None and building.level == "building"
    with pytest.raises(service.NotFoundError, match="person 999999 does not exist"):
        service.get_person(session=session, person_id=999_999)


def test_write_lake_partitions_each_day(tmp_path: Path, city: GeneratedCity) -> None:
    rows = service.write_lake(city=city, lake_dir=tmp_path, days=2)
    con = lake.connect(tmp_path)
    assert con.execute("SELECT count(*) FROM checkins").fetchone() == (rows,)
    per_day = dict(con.execute("SELECT day, count(*) FROM syndromic GROUP BY day").fetchall())
    assert set(per_day) == {0, 1}
    assert lake.read_epoch(tmp_path, "syndromic") == city.epoch
