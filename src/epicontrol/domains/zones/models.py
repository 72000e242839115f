"""ORM models of the three zones (封控区, 管控区, 防范区).

One ``zones`` row per unit (a building, compound or community) while it is in
a zone: its current level, and ``level_day``, the local day its clock counts
from (the day it entered its level or last had a new case inside; the rules
count consecutive days without a new case from there).  A lifted zone keeps
its row (``status = 'lifted'``); the unit drawn again later gets a new row.
``zone_sources`` says which cases put a unit in its zone and why;
``zone_history`` is append-only: every change with its rule and reason;
``zone_evaluations`` has one row per evaluated day, which makes evaluating a
day twice a no-op.

Times: ``*_at`` columns are timezone-naive UTC like the tracing models;
``*day`` columns are local calendar dates of the city.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.zones.delineation import REASONS
from ...core.zones.rules import STATES, UNITS, ZONE_LEVELS
from ...store.base import Base

ZONE_STATUSES: Final = ("active", "lifted")
#: Case statuses zones are drawn for (suspected cases are not).
ZONE_CASE_STATUSES: Final = ("confirmed", "asymptomatic")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Zone(Base):
    """A unit in a zone: level, status and the day its rule clock counts from."""

    __tablename__ = "zones"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    unit_level: Mapped[str] = mapped_column(String(16))
    #: Current level; the last level before lifting when ``status = 'lifted'``.
    level: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(8))
    #: Local day the zone entered its level or last had a new case inside.
    level_day: Mapped[date] = mapped_column(Date)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    changed_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    lifted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("unit_level", UNITS), name="unit_level"),
        CheckConstraint(_in("level", ZONE_LEVELS), name="level"),
        CheckConstraint(_in("status", ZONE_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'active' AND lifted_at IS NULL) OR "
            "(status = 'lifted' AND lifted_at IS NOT NULL)",
            name="lifted",
        ),
        Index("ix_zones_area_id", "area_id"),
        Index("ix_zones_status", "status"),
    )


class ZoneSource(Base):
    """A case that put a unit in its zone, and why (home, stayed, adjacent, visited, street)."""

    __tablename__ = "zone_sources"

    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(String(16))
    #: The case's cumulative dwell in the unit (stayed, visited); 0 otherwise.
    minutes: Mapped[int] = mapped_column(Integer)
    added_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("reason", REASONS), name="reason"),
        CheckConstraint("minutes >= 0", name="minutes"),
        Index("ix_zone_sources_case_id", "case_id"),
    )


class ZoneChange(Base):
    """One change of a zone (append-only): opened, escalated, downgraded, lifted, restarted."""

    __tablename__ = "zone_history"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    zone_id: Mapped[int] = mapped_column(ForeignKey("zones.id"))
    #: Local day the change applies to.
    day: Mapped[date] = mapped_column(Date)
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: Null when the zone was opened; equal to ``to_level`` when its clock restarted.
    from_level: Mapped[str | None] = mapped_column(String(16))
    to_level: Mapped[str] = mapped_column(String(16))
    rule_id: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str] = mapped_column(Text)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))

    __table_args__ = (
        CheckConstraint(
            "from_level IS NULL OR " + _in("from_level", ZONE_LEVELS), name="from_level"
        ),
        CheckConstraint(_in("to_level", STATES), name="to_level"),
        Index("ix_zone_history_zone_id", "zone_id"),
    )


class ZoneEvaluation(Base):
    """One evaluated day: what the rules saw and did (evaluating it again changes nothing)."""

    __tablename__ = "zone_evaluations"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    evaluated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    rules_source: Mapped[str] = mapped_column(String(200))
    rules_sha256: Mapped[str] = mapped_column(String(64))
    #: The city's new cases that day.
    city_cases: Mapped[int] = mapped_column(Integer)
    transitions: Mapped[int] = mapped_column(Integer)
    delineated: Mapped[int] = mapped_column(Integer)
    surge: Mapped[bool] = mapped_column(Boolean)
    frozen: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (CheckConstraint("city_cases >= 0 AND transitions >= 0", name="counts"),)
