"""ORM models of the special-population ledger (红黄绿台账).

* ``special_persons`` — the ledger: a resident with a tier (red: dialysis,
  pregnancy, cancer therapy; yellow: living-alone elderly, disabled, chronic
  disease; green: others needing help), the needs, the community (whose grid
  workers see the entry) and the responsible helper (包保).
* ``special_helpers`` — named workers with a phone (stored whole, shown masked).
* ``special_requests`` — service requests (medicine, medical transport, food,
  consultation, other) with their response clock (``due_at``) and, for
  supplies to the door, a completion clock (``done_due_at``); status
  open → responded → done.
* ``special_escalations`` — one row per (request, clock, level): escalating
  twice changes nothing.
* ``special_audit`` — append-only: every change, who, when, before → after.

Times are timezone-naive UTC like the tracing models.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    SmallInteger,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.city.schemas import TIERS
from ...store.base import Base

REQUEST_KINDS: Final = ("medicine", "medical_transport", "food", "consultation", "other")
REQUEST_STATUSES: Final = ("open", "responded", "done")
CLOCKS: Final = ("response", "completion")
LEDGER_SOURCES: Final = ("registry", "manual")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class SpecialHelper(Base):
    """A responsible helper (包保人): a named worker of a community."""

    __tablename__ = "special_helpers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str] = mapped_column(String(20))
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    active: Mapped[bool] = mapped_column(Boolean)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (Index("ix_special_helpers_community_id", "community_id"),)


class SpecialPerson(Base):
    """A ledger entry: tier, flags, needs, community and helper."""

    __tablename__ = "special_persons"

    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    tier: Mapped[str] = mapped_column(String(8))
    flags: Mapped[int] = mapped_column(SmallInteger)
    #: JSON list of needs (free text, e.g. "dialysis Tue/Thu/Sat at hospital 3").
    needs: Mapped[str] = mapped_column(Text)
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    helper_id: Mapped[int | None] = mapped_column(ForeignKey("special_helpers.id"))
    source: Mapped[str] = mapped_column(String(16))
    enrolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("tier", TIERS), name="tier"),
        CheckConstraint(_in("source", LEDGER_SOURCES), name="source"),
        Index("ix_special_persons_community_id", "community_id"),
        Index("ix_special_persons_helper_id", "helper_id"),
    )


class SpecialRequest(Base):
    """A service request of a ledger person, with its clocks."""

    __tablename__ = "special_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("special_persons.person_id"))
    kind: Mapped[str] = mapped_column(String(24))
    #: Tier and community when the request was opened (the clock's basis).
    tier: Mapped[str] = mapped_column(String(8))
    community_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str] = mapped_column(Text)
    #: Idempotency key of the sender (the same key opens one request).
    client_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    opened_by: Mapped[str] = mapped_column(String(100))
    due_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    done_due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    responded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    responded_by: Mapped[str | None] = mapped_column(String(100))
    done_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    done_by: Mapped[str | None] = mapped_column(String(100))
    escalation_level: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint(_in("kind", REQUEST_KINDS), name="kind"),
        CheckConstraint(_in("tier", TIERS), name="tier"),
        CheckConstraint(_in("status", REQUEST_STATUSES), name="status"),
        CheckConstraint("due_at >= opened_at", name="due"),
        CheckConstraint(
            "(status = 'open' AND responded_at IS NULL AND done_at IS NULL) OR "
            "(status = 'responded' AND responded_at IS NOT NULL AND done_at IS NULL) OR "
            "(status = 'done' AND responded_at IS NOT NULL AND done_at IS NOT NULL)",
            name="status_times",
        ),
        Index("ix_special_requests_person_id", "person_id"),
        Index("ix_special_requests_community_id", "community_id"),
        Index("ix_special_requests_status", "status"),
    )


class SpecialEscalation(Base):
    """A request escalated on one of its clocks at one level (once)."""

    __tablename__ = "special_escalations"

    request_id: Mapped[int] = mapped_column(ForeignKey("special_requests.id"), primary_key=True)
    clock: Mapped[str] = mapped_column(String(12), primary_key=True)
    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    overdue_minutes: Mapped[int] = mapped_column(Integer)
    #: Who it goes to: ``community`` (level 1, the community head), ``street``,
    #: ``district`` (level 3, the district command).
    recipient: Mapped[str] = mapped_column(String(16))

    __table_args__ = (
        CheckConstraint(_in("clock", CLOCKS), name="clock"),
        CheckConstraint("level >= 1", name="level"),
    )


class SpecialAudit(Base):
    """One change of the ledger, a helper or a request (append-only)."""

    __tablename__ = "special_audit"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    actor: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(16))
    entity_id: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(24))
    #: JSON of the row before and after (null when created / never for deletes).
    before: Mapped[str | None] = mapped_column(Text)
    after: Mapped[str | None] = mapped_column(Text)

    __table_args__ = (Index("ix_special_audit_entity", "entity", "entity_id"),)
