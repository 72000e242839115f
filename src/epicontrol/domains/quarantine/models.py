"""ORM models of centralised quarantine: runs, stays (the roster), tests, transfer batches.

A *stay* is one person's quarantine at one site (a ``facilities`` row of kind
``quarantine_site``): ``assigned`` by an assignment run, ``admitted`` on
arrival, ``released`` at the end.  A person has at most one stay that is not
``released`` (the services check it under a lock).  ``rooms`` and
``accessible_room`` are what the stay counts against the site's rooms: a
household's rooms are attributed to its first members, so the sums over a
site's active stays are its occupied rooms.  Times are timezone-naive UTC like
the tracing models.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Final

from sqlalchemy import (
    Boolean,
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

from ...store.base import Base

STAY_STATUSES: Final = ("assigned", "admitted", "released")
#: Stays that hold a room.
ACTIVE: Final = ("assigned", "admitted")
TEST_RESULTS: Final = ("negative", "positive", "invalid")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class QuarantineRun(Base):
    """One assignment run: the solver's figures and the persons it could not place."""

    __tablename__ = "quarantine_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    persons: Mapped[int] = mapped_column(Integer)
    assigned: Mapped[int] = mapped_column(Integer)
    total_cost: Mapped[float] = mapped_column(Float)
    bound: Mapped[float] = mapped_column(Float)
    gap: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    seconds: Mapped[float] = mapped_column(Float)
    #: ``QuarantineOptions`` as JSON.
    options: Mapped[str] = mapped_column(Text)
    #: JSON list of ``{"person_id", "reason"}`` left out by this run.
    unassigned: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint("assigned >= 0 AND assigned <= persons", name="counts"),
        CheckConstraint("gap >= 0", name="gap"),
    )


class TransferBatch(Base):
    """One vehicle trip to a site (转运批次)."""

    __tablename__ = "transfer_batches"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    vehicle: Mapped[int] = mapped_column(Integer)
    trip: Mapped[int] = mapped_column(Integer)
    depart_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    arrive_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    persons: Mapped[int] = mapped_column(Integer)
    seats: Mapped[int] = mapped_column(Integer)
    on_time: Mapped[bool] = mapped_column(Boolean)

    __table_args__ = (
        CheckConstraint("persons >= 1 AND persons <= seats", name="persons"),
        CheckConstraint("arrive_at >= depart_at", name="times"),
        Index("ix_transfer_batches_site_id", "site_id"),
    )


class TransferStop(Base):
    """A pick-up of a batch: one household (or part of a large one), in route order."""

    __tablename__ = "transfer_stops"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("transfer_batches.id"))
    seq: Mapped[int] = mapped_column(SmallInteger)
    household_id: Mapped[int] = mapped_column(Integer)
    building_id: Mapped[int] = mapped_column(Integer)
    persons: Mapped[int] = mapped_column(Integer)
    pickup_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        UniqueConstraint("batch_id", "seq"),
        CheckConstraint("persons >= 1", name="persons"),
    )


class QuarantineStay(Base):
    """One person's quarantine at a site: the roster (隔离人员台账)."""

    __tablename__ = "quarantine_stays"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    run_id: Mapped[int] = mapped_column(ForeignKey("quarantine_runs.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"))
    site_id: Mapped[int] = mapped_column(ForeignKey("facilities.id"))
    #: The case the person is a contact of, and how (close / secondary).
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    category: Mapped[str] = mapped_column(String(16))
    household_id: Mapped[int] = mapped_column(Integer)
    rooms: Mapped[int] = mapped_column(SmallInteger)
    accessible_room: Mapped[bool] = mapped_column(Boolean)
    needs_accessible: Mapped[bool] = mapped_column(Boolean)
    distance_km: Mapped[float] = mapped_column(Float)
    status: Mapped[str] = mapped_column(String(16))
    assigned_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: Latest arrival at the site (the transfer deadline).
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    admitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: End of the quarantine period: from admission (provisionally from assignment).
    release_due_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    released_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    stop_id: Mapped[int | None] = mapped_column(ForeignKey("transfer_stops.id"))

    __table_args__ = (
        CheckConstraint(_in("status", STAY_STATUSES), name="status"),
        CheckConstraint("rooms >= 0", name="rooms"),
        CheckConstraint("status = 'assigned' OR admitted_at IS NOT NULL", name="admitted"),
        CheckConstraint("status <> 'released' OR released_at IS NOT NULL", name="released"),
        Index("ix_quarantine_stays_person_id", "person_id"),
        Index("ix_quarantine_stays_site_id", "site_id"),
        Index("ix_quarantine_stays_status", "status"),
    )


class QuarantineTest(Base):
    """A test during a stay (隔离期间每日核酸); one per stay and day."""

    __tablename__ = "quarantine_tests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    stay_id: Mapped[int] = mapped_column(ForeignKey("quarantine_stays.id"))
    tested_on: Mapped[date] = mapped_column(Date)
    result: Mapped[str] = mapped_column(String(16))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        UniqueConstraint("stay_id", "tested_on"),
        CheckConstraint(_in("result", TEST_RESULTS), name="result"),
    )
