"""ORM models of surveillance: ingest batches, alerts, their recipients and audited events.

Times are stored in UTC without a time zone (as in the city tables); days
(``first_day``, ``last_day``) count days since the city's epoch, like the lake.

``alert_recipients`` indexes the ``kind``/``code`` pairs of each alert's JSON
``recipients`` so that "the alerts routed to department X" is a SQL filter.
It is kept in step by mapper events: every flush that inserts an alert, or
changes its ``recipients``, rewrites the alert's rows in the same transaction
(writes made with Core ``insert()``/``update()`` on ``alerts`` bypass the
events and must call :func:`recipient_rows` themselves; none do).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    delete,
    insert,
)
from sqlalchemy import event as sa_event
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Mapped, Mapper, attributes, mapped_column, relationship

from ...core.surveillance.triggers import LEVELS
from ...store.base import Base

#: Alert levels, lowest first.
ALERT_LEVELS = LEVELS
#: Lifecycle states of an alert.
ALERT_STATUSES = ("raised", "acknowledged", "investigating", "closed")
#: How a closed alert ended.
ALERT_OUTCOMES = ("outbreak_confirmed", "false_alarm")
#: What an alert event records.
EVENT_ACTIONS = ("raise", "update", "escalate", "transition")
#: States of an ingest batch.
BATCH_STATUSES = ("committed", "rejected")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class SurveillanceBatch(Base):
    """One ingested feed file, keyed by the SHA-256 of its bytes (a re-send changes nothing)."""

    __tablename__ = "surveillance_batches"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(16))
    rows: Mapped[int] = mapped_column(Integer)
    #: Distinct (area, signal) series and days in the batch.
    series: Mapped[int] = mapped_column(Integer, default=0)
    first_day: Mapped[int | None] = mapped_column(Integer)
    last_day: Mapped[int | None] = mapped_column(Integer)
    #: When the data arrived (the feed reached the centre).
    received_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: When the rows were durable in the lake (null for a rejected batch).
    committed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: When the affected series were evaluated and the alerts stored.
    evaluated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: Seconds from ``committed_at`` to the alerts stored.
    alert_latency_seconds: Mapped[float | None] = mapped_column(Float)
    alerts_raised: Mapped[int] = mapped_column(Integer, default=0)
    alerts_updated: Mapped[int] = mapped_column(Integer, default=0)
    errors: Mapped[int] = mapped_column(Integer, default=0)
    #: Detectors that evaluated the batch, with their parameters.
    detectors: Mapped[Any] = mapped_column(JSON, default=list)
    #: The lake file holding the batch's rows (relative to the lake).
    lake_path: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (
        CheckConstraint(_in("status", BATCH_STATUSES), name="status"),
        CheckConstraint("rows >= 0 AND errors >= 0", name="counts"),
    )


class Alert(Base):
    """An early-warning alert for one area, built from the signals that fired.

    ``version`` is an optimistic lock: every update increments it and an
    update from a stale copy fails instead of overwriting someone's change.
    """

    __tablename__ = "alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    level: Mapped[str] = mapped_column(String(8))
    status: Mapped[str] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(24))
    #: Signal names behind the alert (sorted list).
    signals: Mapped[Any] = mapped_column(JSON)
    #: The detector results that fired: one object per signal, day and detector.
    detections: Mapped[Any] = mapped_column(JSON)
    #: First and last day (since the epoch) with a detection in the alert.
    first_day: Mapped[int] = mapped_column(Integer)
    last_day: Mapped[int] = mapped_column(Integer)
    #: Days after ``last_day`` during which new alarms update this alert.
    window_days: Mapped[int] = mapped_column(Integer)
    #: Departments and the community grid the alert goes to (list of objects).
    recipients: Mapped[Any] = mapped_column(JSON)
    message_zh: Mapped[str] = mapped_column(Text)
    message_en: Mapped[str] = mapped_column(Text)
    #: Arrival of the data that raised the alert, and when the alert was stored.
    data_arrived_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    raised_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: Seconds from ``data_arrived_at`` to ``raised_at`` (standard: ≤ 1 h).
    latency_seconds: Mapped[float] = mapped_column(Float)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    closed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    batch_id: Mapped[str | None] = mapped_column(ForeignKey("surveillance_batches.id"))
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        CheckConstraint(_in("level", ALERT_LEVELS), name="level"),
        CheckConstraint(_in("status", ALERT_STATUSES), name="status"),
        CheckConstraint(
            "(status = 'closed' AND outcome IN ('outbreak_confirmed', 'false_alarm')) "
            "OR (status <> 'closed' AND outcome IS NULL)",
            name="outcome",
        ),
        CheckConstraint("first_day <= last_day AND window_days >= 1", name="days"),
        Index("ix_alerts_area_id_status", "area_id", "status"),
        Index("ix_alerts_status", "status"),
        Index("ix_alerts_batch_id", "batch_id"),
        #: the inbox's order (newest first): a page is read from the index, not sorted
        Index("ix_alerts_raised_at_id", "raised_at", "id"),
    )


class AlertEvent(Base):
    """One audited change of an alert: who, when, from which state to which, and why."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    alert_id: Mapped[int] = mapped_column(ForeignKey("alerts.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str] = mapped_column(String(16))
    from_level: Mapped[str | None] = mapped_column(String(8))
    to_level: Mapped[str] = mapped_column(String(8))
    note: Mapped[str | None] = mapped_column(Text)

    alert: Mapped[Alert] = relationship(lazy="raise")

    __table_args__ = (
        CheckConstraint(_in("action", EVENT_ACTIONS), name="action"),
        Index("ix_alert_events_alert_id", "alert_id"),
    )


class AlertRecipient(Base):
    """One recipient of an alert (a department, or the district or community addressed):
    ``kind`` and ``code`` as in the alert's ``recipients`` JSON, indexed for routing filters."""

    __tablename__ = "alert_recipients"

    alert_id: Mapped[int] = mapped_column(
        ForeignKey("alerts.id", ondelete="CASCADE"), primary_key=True
    )
    #: ``department``, ``district`` or ``community``.
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    #: The department's code, or the area's code.
    code: Mapped[str] = mapped_column(String(64), primary_key=True)

    __table_args__ = (Index("ix_alert_recipients_kind_code", "kind", "code", "alert_id"),)


def recipient_rows(alert_id: int, recipients: Iterable[Any] | None) -> list[dict[str, Any]]:
    """The ``alert_recipients`` rows of an alert's ``recipients`` JSON (distinct, in order;
    entries without a string ``kind`` and ``code`` are not indexed)."""
    seen: dict[tuple[str, str], None] = {}
    for r in recipients or ():
        if not isinstance(r, dict):
            continue
        kind, code = r.get("kind"), r.get("code")
        if isinstance(kind, str) and isinstance(code, str) and kind and code:
            seen[(kind[:16], code[:64])] = None
    return [{"alert_id": alert_id, "kind": k, "code": c} for k, c in seen]


def _write_recipients(connection: Connection, alert: Alert, *, replace: bool) -> None:
    if replace:
        connection.execute(delete(AlertRecipient).where(AlertRecipient.alert_id == alert.id))
    rows = recipient_rows(alert.id, alert.recipients)
    if rows:
        connection.execute(insert(AlertRecipient), rows)


@sa_event.listens_for(Alert, "after_insert")
def _recipients_inserted(_mapper: Mapper[Alert], connection: Connection, alert: Alert) -> None:
    _write_recipients(connection, alert, replace=False)


@sa_event.listens_for(Alert, "after_update")
def _recipients_updated(_mapper: Mapper[Alert], connection: Connection, alert: Alert) -> None:
    if attributes.get_history(alert, "recipients").has_changes():
        _write_recipients(connection, alert, replace=True)
