"""ORM models of supply assurance (保供): the supply nodes and the daily distribution plans.

``supply_nodes`` is the three-tier network (三级网络): city centres
(``level = 'city'``), district hubs (``'district'``) and community points
(``'community'``), each on an area of the same level, with its throughput per
day, its vehicles (trucks at a centre, vans at a hub) and, at a point, its
delivery workers and doors per round.  One node per area and level.

A plan (``supply_plans``) is one local day: re-planning the day replaces its
legs, points and unserved rows in the same transaction, so a day has one
plan.  ``supply_plan_unserved`` lists every zone household the plan cannot
serve within the deadline and why (:data:`epicontrol.core.resources.distribution.REASONS`).
Times are timezone-naive UTC; ``day`` is the city's local date.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.resources.distribution import REASONS
from ...store.base import Base

NODE_LEVELS: Final = ("city", "district", "community")
NODE_SOURCES: Final = ("default", "imported")
ZONE_CLASSES: Final = ("lockdown", "control")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class SupplyNode(Base):
    """A centre, hub or point of the three-tier network."""

    __tablename__ = "supply_nodes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    level: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    name: Mapped[str] = mapped_column(String(200))
    #: Throughput per day, kg.
    capacity_kg: Mapped[float] = mapped_column(Float)
    #: Trucks (centre) or vans (hub); 0 at a point.
    vehicles: Mapped[int] = mapped_column(Integer)
    #: kg one vehicle carries per trip.
    vehicle_kg: Mapped[float] = mapped_column(Float)
    #: Delivery workers (point); 0 elsewhere.
    workers: Mapped[int] = mapped_column(Integer)
    doors_per_round: Mapped[int] = mapped_column(Integer)
    lon: Mapped[float | None] = mapped_column(Float)
    lat: Mapped[float | None] = mapped_column(Float)
    source: Mapped[str] = mapped_column(String(16))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("level", NODE_LEVELS), name="level"),
        CheckConstraint(_in("source", NODE_SOURCES), name="source"),
        CheckConstraint(
            "capacity_kg >= 0 AND vehicles >= 0 AND vehicle_kg >= 0 AND workers >= 0 "
            "AND doors_per_round >= 0",
            name="amounts",
        ),
        UniqueConstraint("level", "area_id", name="uq_supply_nodes_level_area"),
        Index("ix_supply_nodes_area_id", "area_id"),
    )


class SupplyPlan(Base):
    """One day's distribution plan: coverage, solver phases and gap, parameters."""

    __tablename__ = "supply_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: ``zones`` (active zones of the day) or ``areas`` (explicit area ids).
    zone_source: Mapped[str] = mapped_column(String(16))
    households_lockdown: Mapped[int] = mapped_column(Integer)
    served_lockdown: Mapped[int] = mapped_column(Integer)
    households_control: Mapped[int] = mapped_column(Integer)
    served_control: Mapped[int] = mapped_column(Integer)
    #: Largest relative gap of the solver's phases (0: proven optimal).
    gap: Mapped[float] = mapped_column(Float)
    seconds: Mapped[float] = mapped_column(Float)
    #: Phases (objective, bound, gap, status) and parameters, JSON.
    phases: Mapped[str] = mapped_column(Text)
    params: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("zone_source", ("zones", "areas")), name="zone_source"),
        CheckConstraint(
            "served_lockdown <= households_lockdown AND served_control <= households_control",
            name="served",
        ),
    )


class SupplyPlanLeg(Base):
    """A leg of a plan: tier 1 (centre → hub, trucks) or 2 (hub → point, van trips)."""

    __tablename__ = "supply_plan_legs"

    plan_id: Mapped[int] = mapped_column(ForeignKey("supply_plans.id"), primary_key=True)
    from_node_id: Mapped[int] = mapped_column(ForeignKey("supply_nodes.id"), primary_key=True)
    to_node_id: Mapped[int] = mapped_column(ForeignKey("supply_nodes.id"), primary_key=True)
    tier: Mapped[int] = mapped_column(SmallInteger)
    hours: Mapped[float] = mapped_column(Float)
    vehicles: Mapped[int] = mapped_column(Integer)
    trips: Mapped[int] = mapped_column(Integer)
    kg: Mapped[float] = mapped_column(Float)

    __table_args__ = (
        CheckConstraint("tier IN (1, 2)", name="tier"),
        CheckConstraint("vehicles >= 0 AND trips >= 0 AND kg >= 0", name="amounts"),
        Index("ix_supply_plan_legs_to_node_id", "to_node_id"),
    )


class SupplyPlanPoint(Base):
    """A community point of a plan: households in zones, served, rounds, kg."""

    __tablename__ = "supply_plan_points"

    plan_id: Mapped[int] = mapped_column(ForeignKey("supply_plans.id"), primary_key=True)
    node_id: Mapped[int] = mapped_column(ForeignKey("supply_nodes.id"), primary_key=True)
    households_lockdown: Mapped[int] = mapped_column(Integer)
    served_lockdown: Mapped[int] = mapped_column(Integer)
    households_control: Mapped[int] = mapped_column(Integer)
    served_control: Mapped[int] = mapped_column(Integer)
    rounds: Mapped[int] = mapped_column(Integer)
    kg: Mapped[float] = mapped_column(Float)


class SupplyUnserved(Base):
    """A zone household the plan cannot serve in time, and why.

    ``household_id`` and ``node_id`` are not foreign keys: a plan can list 10⁵
    households in one bulk insert; both come from rows read in the same
    transaction.
    """

    __tablename__ = "supply_plan_unserved"

    plan_id: Mapped[int] = mapped_column(ForeignKey("supply_plans.id"), primary_key=True)
    household_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    node_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int] = mapped_column(Integer)
    zone_class: Mapped[str] = mapped_column(String(16))
    size: Mapped[int] = mapped_column(SmallInteger)
    reason: Mapped[str] = mapped_column(String(32))

    __table_args__ = (
        CheckConstraint(_in("zone_class", ZONE_CLASSES), name="zone_class"),
        CheckConstraint(_in("reason", REASONS), name="reason"),
    )
