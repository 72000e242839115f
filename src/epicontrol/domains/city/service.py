"""City service: write a generated city, read summaries, provision and persons.

Keyword-only functions taking the session; they flush, never commit: the CLI
command, request or job that calls them owns the transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...config import Standards
from ...core.city.generator import GeneratedCity
from ...core.city.schemas import AREA_LEVELS, TIERS, SpecialFlag
from ...core.resources.provision import provision
from ...privacy import mask_id_number, mask_phone
from ...store import lake
from ...store.bulk import bulk_insert
from .models import Area, City, Facility, Person, Venue
from .schemas import (
    CityOut,
    CitySummary,
    DistrictSummary,
    PersonOut,
    ProvisionRow,
    WriteCounts,
)

Progress = Callable[[str, int], None]


class CityError(RuntimeError):
    """A city operation that cannot be done as asked (message says why)."""


class NotFoundError(LookupError):
    """The record asked for does not exist."""


def get_city(*, session: Session) -> City | None:
    """The city of this store, or ``None`` when none was generated or imported."""
    return session.scalars(select(City).limit(1)).first()


def city_out(city: City) -> CityOut:
    """The city row as a view, with the epoch in local time."""
    tz = timezone(timedelta(minutes=city.utc_offset_minutes))
    epoch = city.epoch_utc.replace(tzinfo=UTC).astimezone(tz)
    return CityOut(
        name=city.name,
        name_en=city.name_en,
        epoch=epoch,
        timezone=city.timezone,
        source=city.source,
        seed=city.seed,
        days=city.days,
    )


#: Table of each city dataset, in the order that satisfies the foreign keys.
CITY_TABLES: dict[str, str] = {
    "areas": "areas",
    "adjacency": "area_adjacency",
    "households": "households",
    "venues": "venues",
    "groups": "groups",
    "persons": "persons",
    "facilities": "facilities",
}


def write_city_tables(
    *,
    session: Session,
    city_row: City,
    tables: dict[str, pa.Table],
    on_progress: Progress | None = None,
) -> dict[str, int]:
    """Add ``city_row`` and bulk-write every city table (keys of :data:`CITY_TABLES`).

    Used by the generator and the importer; flushes, never commits.
    """
    if set(tables) != set(CITY_TABLES):
        raise ValueError(f"tables must be exactly {sorted(CITY_TABLES)}")
    session.add(city_row)
    session.flush()
    connection = session.connection()
    written: dict[str, int] = {}
    for name, db_table in CITY_TABLES.items():

        def advance(rows: int, _name: str = name) -> None:
            if on_progress:
                on_progress(_name, rows)

        written[name] = bulk_insert(connection, db_table, tables[name], on_progress=advance)
    return written


def create_city(
    *, session: Session, city: GeneratedCity, days: int, on_progress: Progress | None = None
) -> WriteCounts:
    """Write every table of a generated city in the session's transaction.

    Raises :class:`CityError` when the store already holds a city.
    """
    if get_city(session=session) is not None:
        raise CityError("the store already holds a city; use a fresh workspace or --replace")
    p = city.params
    city_row = City(
        id=0,
        name=p.name,
        name_en=p.name_en,
        epoch_utc=city.epoch.astimezone(UTC).replace(tzinfo=None),
        timezone=p.timezone,
        utc_offset_minutes=p.utc_offset_minutes,
        source="generated",
        seed=p.seed,
        days=days,
        created_at=datetime.now(UTC).replace(tzinfo=None),
    )
    written = write_city_tables(
        session=session,
        city_row=city_row,
        tables={
            "areas": city.areas,
            "adjacency": city.adjacency,
            "households": city.households,
            "venues": city.venues,
            "groups": city.groups,
            "persons": city.persons,
            "facilities": city.facilities,
        },
        on_progress=on_progress,
    )
    return WriteCounts(**written)


def write_lake(
    *,
    city: GeneratedCity,
    lake_dir: Path,
    days: int,
    on_day: Callable[[int, int], None] | None = None,
) -> int:
    """Write ``days`` days of check-ins and syndromic counts; returns check-in rows.

    Each day is one partition of each dataset, written atomically.
    """
    total = 0
    for day in range(days):
        _, rows = lake.write_partition(
            lake_dir, "checkins", day, city.checkins_for_day(day), city.epoch
        )
        lake.write_partition(lake_dir, "syndromic", day, [city.syndromic_day(day)], city.epoch)
        total += rows
        if on_day:
            on_day(day, rows)
    return total


def _area_arrays(session: Session) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int8]]:
    rows = session.execute(select(Area.id, Area.parent_id, Area.level).order_by(Area.id)).all()
    n = (rows[-1][0] + 1) if rows else 0
    parent = np.full(n, -1, dtype=np.int64)
    level = np.full(n, -1, dtype=np.int8)
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    parent[ids] = np.fromiter((-1 if r[1] is None else r[1] for r in rows), np.int64, len(rows))
    level[ids] = np.fromiter((AREA_LEVELS.index(r[2]) for r in rows), np.int8, len(rows))
    return ids, parent, level


def _district_of(parent: NDArray[np.int64], level: NDArray[np.int8]) -> NDArray[np.int64]:
    """District id above every area id (-1 for the city and unknown ids)."""
    out = np.arange(len(parent), dtype=np.int64)
    lvl = level.astype(np.int64)
    for _ in range(len(AREA_LEVELS)):
        up = lvl > 1
        if not up.any():
            break
        out[up] = parent[out[up]]
        lvl[up] = level[out[up]]
    out[lvl != 1] = -1
    return out


def city_summary(*, session: Session, standards: Standards) -> CitySummary:
    """Population, areas, venues, facilities and provision against ``standards``."""
    city = get_city(session=session)
    if city is None:
        raise CityError("the store holds no city yet: run `epicontrol city generate` or import")
    _, parent, level = _area_arrays(session)
    district = _district_of(parent, level)
    districts = session.scalars(
        select(Area).where(Area.level == "district").order_by(Area.id)
    ).all()
    d_index = {d.id: i for i, d in enumerate(districts)}
    n_d = len(districts)

    def per_district(
        area_ids: NDArray[np.int64], weights: NDArray[np.float64] | None = None
    ) -> NDArray[np.float64]:
        d = district[area_ids]
        ok = d >= 0
        idx = np.array([d_index[int(x)] for x in d[ok]], dtype=np.int64)
        w = None if weights is None else weights[ok]
        return np.bincount(idx, weights=w, minlength=n_d).astype(np.float64)

    counts_by_level = {
        lvl: np.bincount(
            [d_index[int(x)] for x in district[np.flatnonzero(level == AREA_LEVELS.index(lvl))]],
            minlength=n_d,
        )
        for lvl in ("street", "community", "building")
    }
    venue_rows = session.execute(select(Venue.building_id, Venue.type)).all()
    v_build = np.array([r[0] for r in venue_rows], dtype=np.int64)
    venues_per_d = per_district(v_build) if len(v_build) else np.zeros(n_d)
    venue_types: dict[str, int] = {}
    for _, vtype in venue_rows:
        venue_types[vtype] = venue_types.get(vtype, 0) + 1

    fac = session.execute(
        select(
            Facility.kind, Facility.building_id, Facility.beds, Facility.icu_beds, Facility.rooms
        )
    ).all()
    fac_kinds: dict[str, int] = {}
    for kind, *_ in fac:
        fac_kinds[kind] = fac_kinds.get(kind, 0) + 1

    def capacity(kind: str, column: int) -> NDArray[np.float64]:
        rows = [(r[1], r[column] or 0) for r in fac if r[0] == kind]
        if not rows:
            return np.zeros(n_d)
        b = np.array([r[0] for r in rows], dtype=np.int64)
        return per_district(b, np.array([r[1] for r in rows], dtype=np.float64))

    population = np.array([d.population for d in districts], dtype=np.int64)
    measures = (
        ("quarantine_rooms", capacity("quarantine_site", 4), standards.quarantine_rooms_per_10k),
        ("hospital_beds", capacity("hospital", 2), standards.hospital_beds_per_10k),
        ("icu_beds", capacity("hospital", 3), standards.icu_beds_per_10k),
    )
    prov_rows: list[ProvisionRow] = []
    for measure, cap, standard in measures:
        p = provision(population, cap, standard)
        for i, d in enumerate(districts):
            per = float(p.per_10k[i])
            prov_rows.append(
                ProvisionRow(
                    district_id=d.id,
                    district=d.name,
                    district_en=d.name_en,
                    population=int(population[i]),
                    measure=measure,
                    capacity=int(cap[i]),
                    per_10k=None if np.isnan(per) else round(per, 2),
                    standard_per_10k=standard,
                    required=int(p.required[i]),
                    shortfall=int(p.shortfall[i]),
                )
            )
    tiers: dict[str | None, int] = {
        tier: n
        for tier, n in session.execute(
            select(Person.special_tier, func.count())
            .where(Person.special_tier.is_not(None))
            .group_by(Person.special_tier)
        )
    }
    city_area = session.scalars(select(Area).where(Area.level == "city")).first()
    level_counts: dict[str, int] = {
        lvl: n for lvl, n in session.execute(select(Area.level, func.count()).group_by(Area.level))
    }
    return CitySummary(
        city=city_out(city),
        population=city_area.population if city_area else int(population.sum()),
        households=city_area.households if city_area else 0,
        areas={lvl: int(level_counts.get(lvl, 0)) for lvl in AREA_LEVELS},
        venues=dict(sorted(venue_types.items())),
        facilities=dict(sorted(fac_kinds.items())),
        special_tiers={tier: int(tiers.get(tier, 0)) for tier in TIERS},
        districts=[
            DistrictSummary(
                id=d.id,
                code=d.code,
                name=d.name,
                name_en=d.name_en,
                kind=d.kind,
                population=d.population,
                households=d.households,
                streets=int(counts_by_level["street"][i]),
                communities=int(counts_by_level["community"][i]),
                buildings=int(counts_by_level["building"][i]),
                venues=int(venues_per_d[i]),
            )
            for i, d in enumerate(districts)
        ],
        provision=prov_rows,
    )


def get_person(*, session: Session, person_id: int, reveal: bool = False) -> PersonOut:
    """A person with phone and ID number masked unless ``reveal`` (the role may see them)."""
    person = session.get(Person, person_id)
    if person is None:
        raise NotFoundError(f"person {person_id} does not exist")
    building = session.get(Area, person.building_id)
    compound = session.get(Area, building.parent_id) if building and building.parent_id else None
    community = session.get(Area, compound.parent_id) if compound and compound.parent_id else None
    flags = [f.name.lower() for f in SpecialFlag if person.special_flags & f and f.name]
    return PersonOut(
        id=person.id,
        code=person.code,
        household_id=person.household_id,
        building_id=person.building_id,
        building=building.name if building else "",
        community=community.name if community else "",
        age=person.age,
        sex=person.sex,
        occupation=person.occupation,
        org_venue_id=person.org_venue_id,
        group_id=person.group_id,
        phone=person.phone if reveal else mask_phone(person.phone),
        id_number=person.id_number if reveal else mask_id_number(person.id_number),
        special_flags=flags,
        special_tier=person.special_tier,
        masked=not reveal,
    )
