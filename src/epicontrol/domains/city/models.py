"""ORM models of the city (operational store).

Buildings are the lowest level of the area hierarchy
(city → district → street → community → compound → building).  Integer ids
are assigned by the generator or the importer, dense from 0, and are the same
ids the lake and the engines use; ``code`` is the stable external key used
for idempotent imports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.city.schemas import (
    AREA_LEVELS,
    FACILITY_KINDS,
    GROUP_KINDS,
    SEXES,
    TIERS,
    VENUE_TYPES,
)
from ...store.base import Base


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class City(Base):
    """The city of this store: one row, with the epoch of the lake's times."""

    __tablename__ = "cities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(100))
    name_en: Mapped[str] = mapped_column(String(100))
    #: Local midnight of day 0, stored in UTC (naive); lake times count minutes from it.
    epoch_utc: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    timezone: Mapped[str] = mapped_column(String(64))
    utc_offset_minutes: Mapped[int] = mapped_column(Integer)
    source: Mapped[str] = mapped_column(String(16))
    seed: Mapped[int | None] = mapped_column(Integer)
    days: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (CheckConstraint(_in("source", ("generated", "imported")), name="source"),)


class Area(Base):
    """An administrative or physical unit; buildings are areas of level ``building``."""

    __tablename__ = "areas"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    name: Mapped[str] = mapped_column(String(200))
    name_en: Mapped[str | None] = mapped_column(String(200))
    #: ``urban`` or ``county`` for districts; null elsewhere.
    kind: Mapped[str | None] = mapped_column(String(16))
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    #: Residents and households below this unit (denormalised, kept by the writers).
    population: Mapped[int] = mapped_column(Integer, default=0)
    households: Mapped[int] = mapped_column(Integer, default=0)
    #: GeoJSON geometry (Polygon / MultiPolygon) when one was imported.
    geometry: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(
            _in("level", AREA_LEVELS),
            name="level",
        ),
        CheckConstraint("population >= 0 AND households >= 0", name="counts"),
        Index("ix_areas_parent_id", "parent_id"),
        Index("ix_areas_level", "level"),
    )


class AreaAdjacency(Base):
    """Two units of the same level that touch; stored once with ``area_a < area_b``."""

    __tablename__ = "area_adjacency"

    area_a: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    area_b: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)

    __table_args__ = (
        CheckConstraint("area_a < area_b", name="ordered"),
        Index("ix_area_adjacency_area_b", "area_b"),
    )


class Household(Base):
    """A household living in one building."""

    __tablename__ = "households"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    building_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    size: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint("size >= 1", name="size"),
        Index("ix_households_building_id", "building_id"),
    )


class Venue(Base):
    """A place with a venue code (场所码): check-ins are recorded against it."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    type: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    building_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    capacity: Mapped[int] = mapped_column(Integer)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint(
            _in("type", VENUE_TYPES),
            name="type",
        ),
        CheckConstraint("capacity >= 1", name="capacity"),
        Index("ix_venues_building_id", "building_id"),
        Index("ix_venues_type", "type"),
    )


class Group(Base):
    """A class (同学) or team (同事) inside a school, university or workplace venue."""

    __tablename__ = "groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venues.id"))
    kind: Mapped[str] = mapped_column(String(8))
    label: Mapped[str] = mapped_column(String(100))

    __table_args__ = (
        CheckConstraint(_in("kind", GROUP_KINDS), name="kind"),
        Index("ix_groups_venue_id", "venue_id"),
    )


class Person(Base):
    """A resident.  ``phone`` and ``id_number`` are stored whole and shown masked."""

    __tablename__ = "persons"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id"))
    building_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    age: Mapped[int] = mapped_column(SmallInteger)
    sex: Mapped[str] = mapped_column(String(1))
    occupation: Mapped[str] = mapped_column(String(32))
    org_venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    group_id: Mapped[int | None] = mapped_column(ForeignKey("groups.id"))
    phone: Mapped[str | None] = mapped_column(String(20))
    id_number: Mapped[str | None] = mapped_column(String(32))
    special_flags: Mapped[int] = mapped_column(SmallInteger, default=0)
    special_tier: Mapped[str | None] = mapped_column(String(8))
    #: Jurisdiction (city) the person is registered in when it is not this one
    #: (floating population, cross-city commuters); null = registered here.
    #: Regional assistance (区域协查) lists go there.
    home_jurisdiction: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        CheckConstraint("age >= 0 AND age <= 120", name="age"),
        CheckConstraint(_in("sex", SEXES), name="sex"),
        CheckConstraint(
            "special_tier IS NULL OR " + _in("special_tier", TIERS),
            name="tier",
        ),
        Index("ix_persons_household_id", "household_id"),
        Index("ix_persons_building_id", "building_id"),
        Index("ix_persons_org_venue_id", "org_venue_id"),
        Index("ix_persons_special_tier", "special_tier"),
    )


class Facility(Base):
    """Hospital, quarantine site, lab or sampling site; the capacity columns per kind."""

    __tablename__ = "facilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    kind: Mapped[str] = mapped_column(String(32))
    subtype: Mapped[str | None] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    building_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    venue_id: Mapped[int | None] = mapped_column(ForeignKey("venues.id"))
    beds: Mapped[int | None] = mapped_column(Integer)
    icu_beds: Mapped[int | None] = mapped_column(Integer)
    rooms: Mapped[int | None] = mapped_column(Integer)
    accessible_rooms: Mapped[int | None] = mapped_column(Integer)
    tests_per_day: Mapped[int | None] = mapped_column(Integer)
    samples_per_hour: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint(_in("kind", FACILITY_KINDS), name="kind"),
        CheckConstraint(
            "kind <> 'hospital' OR (beds >= 0 AND icu_beds >= 0 AND icu_beds <= beds)",
            name="hospital",
        ),
        CheckConstraint(
            "kind <> 'quarantine_site' OR "
            "(rooms >= 0 AND accessible_rooms >= 0 AND accessible_rooms <= rooms)",
            name="quarantine",
        ),
        CheckConstraint("kind <> 'lab' OR tests_per_day >= 0", name="lab"),
        CheckConstraint("kind <> 'sampling_site' OR samples_per_hour >= 0", name="sampling"),
        Index("ix_facilities_building_id", "building_id"),
        Index("ix_facilities_kind", "kind"),
    )


class ImportBatch(Base):
    """A city import, keyed by the hash of its files: a re-send changes nothing."""

    __tablename__ = "import_batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    files: Mapped[str] = mapped_column(Text)
    counts: Mapped[str] = mapped_column(Text)
