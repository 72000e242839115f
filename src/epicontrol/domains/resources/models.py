"""ORM models of the stockpiles and the staff table.

``stock_levels`` holds the current balance of each item at each holding area
(the city, a district hub, a community point); ``stock_movements`` is the
append-only ledger of receipts and issues, each with the balance after it, so
the balances can always be re-derived.  ``reference`` (a delivery note, or
``<batch sha>:<line>`` for a file) makes a re-sent movement a no-op.
``staff_roster`` holds the staff (and ambulances) on record per district and
role.  Item codes are those of the catalogue (checked by the service, which
owns the catalogue); times are timezone-naive UTC like the tracing models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.resources.staffing import ROLES
from ...store.base import Base

MOVEMENT_KINDS: Final = ("receipt", "issue")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class StockLevel(Base):
    """The balance of one item at one holding area."""

    __tablename__ = "stock_levels"

    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    item: Mapped[str] = mapped_column(String(32), primary_key=True)
    quantity: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (CheckConstraint("quantity >= 0", name="quantity"),)


class StockMovement(Base):
    """One receipt or issue (append-only), with the balance it left."""

    __tablename__ = "stock_movements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    item: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(8))
    quantity: Mapped[float] = mapped_column(Float)
    balance: Mapped[float] = mapped_column(Float)
    #: When the goods moved (naive UTC); ``recorded_at`` when the row was written.
    moved_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    reference: Mapped[str | None] = mapped_column(String(100), unique=True)
    note: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint(_in("kind", MOVEMENT_KINDS), name="kind"),
        CheckConstraint("quantity > 0", name="quantity"),
        CheckConstraint("balance >= 0", name="balance"),
        Index("ix_stock_movements_area_item", "area_id", "item"),
    )


class StaffRecord(Base):
    """Staff (or ambulances) on record in a district for one role."""

    __tablename__ = "staff_roster"

    district_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), primary_key=True)
    role: Mapped[str] = mapped_column(String(24), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    source: Mapped[str] = mapped_column(String(200), default="")

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint("count >= 0", name="count"),
    )
