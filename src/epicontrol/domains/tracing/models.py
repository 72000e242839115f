"""ORM models of contact tracing: cases, investigations, contacts, assistance lists.

Times: every ``*_at`` column is a timezone-naive UTC datetime, like
``cities.epoch_utc``.  The engines work in int32 minutes since the city's
epoch; :class:`epicontrol.domains.tracing.service.Clock` converts between the
two (a naive datetime typed by a user is local city time and is converted to
UTC before it is stored).

One case per person (``cases.person_id`` is unique).  Every run of the
tracing engine for a case is an ``investigations`` row; running a case again
marks its previous investigation ``superseded`` and deletes that
investigation's contacts in the same transaction, so exactly one investigation
per case is ``current`` and holds contacts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final

from sqlalchemy import (
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

from ...store.base import Base

#: 确诊 confirmed, 疑似 suspected, 无症状感染者 asymptomatic (DESIGN.md §2).
CASE_STATUSES: Final = ("confirmed", "suspected", "asymptomatic")
#: 密接, 次密接, 一般接触者, 黄码 — in the order of the report.
CATEGORIES: Final = ("close", "secondary", "general", "yellow_code")
#: The 十同 relations and venue co-presence (DESIGN.md §2); the engine finds
#: household, classmate, colleague and venue from the registries and check-ins.
RELATIONS: Final = (
    "household",
    "meal",
    "travel",
    "colleague",
    "classmate",
    "vehicle",
    "companion",
    "tour",
    "worksite",
    "toilet",
    "venue",
)
INVESTIGATION_STATUSES: Final = ("current", "superseded")
ASSIST_DIRECTIONS: Final = ("outgoing", "incoming")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Case(Base):
    """A confirmed, suspected or asymptomatic case (one per person)."""

    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), unique=True)
    status: Mapped[str] = mapped_column(String(16))
    #: Symptom onset; null for asymptomatic infections.
    onset_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: Sampling time of the positive test; required when asymptomatic.
    sample_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: Isolation (end of the infectious window); null = not isolated yet.
    isolated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: Network report (网络直报) time.
    reported_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: Where the case came from: ``cli``, ``batch:<file>``, a department feed...
    source: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("status", CASE_STATUSES), name="status"),
        CheckConstraint("status = 'asymptomatic' OR onset_at IS NOT NULL", name="onset"),
        CheckConstraint("status <> 'asymptomatic' OR sample_at IS NOT NULL", name="sample"),
    )


class Investigation(Base):
    """One run of the tracing engine for a case, with the rules it used."""

    __tablename__ = "investigations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id"))
    status: Mapped[str] = mapped_column(String(16))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    completed_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    superseded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: The infectious window traced, as the rules give it (not clipped to the lake).
    window_start_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    window_end_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: ``TracingRules`` as JSON.
    rules: Mapped[str] = mapped_column(Text)
    #: Designated risk venues (JSON list of ids) and the risk window of the yellow code.
    risk_venues: Mapped[str] = mapped_column(Text)
    risk_start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    risk_end_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    #: Version of the check-in index (lake) the contacts were found in.
    index_version: Mapped[str] = mapped_column(String(64))
    n_close: Mapped[int] = mapped_column(Integer)
    n_secondary: Mapped[int] = mapped_column(Integer)
    n_general: Mapped[int] = mapped_column(Integer)
    n_yellow_code: Mapped[int] = mapped_column(Integer)
    #: Contacts per category and relation, JSON ``{"close": {"household": 3, ...}, ...}``.
    counts: Mapped[str] = mapped_column(Text)

    __table_args__ = (
        CheckConstraint(_in("status", INVESTIGATION_STATUSES), name="status"),
        CheckConstraint("window_end_at >= window_start_at", name="window"),
        Index("ix_investigations_case_id", "case_id"),
    )


class Contact(Base):
    """A person found by an investigation, in one category (密接/次密接/一般/黄码).

    Only ``investigation_id`` and ``person_id`` are foreign keys: a case can
    have 10⁵ contacts written in one bulk insert, and every further key
    (checked row by row, by triggers on PostgreSQL) would double its cost.
    ``case_id`` repeats the investigation's case; ``venue_id``,
    ``via_person_id`` and ``home_community_id`` come from the check-in index and
    the registries, whose ids were checked against ``venues``, ``persons`` and
    ``areas`` when they were loaded (those rows are never deleted).
    """

    __tablename__ = "contacts"

    investigation_id: Mapped[int] = mapped_column(ForeignKey("investigations.id"), primary_key=True)
    category: Mapped[str] = mapped_column(String(16), primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("persons.id"), primary_key=True)
    #: The investigation's case (denormalised; queries go through ``investigation_id``).
    case_id: Mapped[int] = mapped_column(Integer)
    relation: Mapped[str] = mapped_column(String(16))
    first_exposure_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    last_exposure_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    overlap_minutes: Mapped[int] = mapped_column(Integer)
    venue_id: Mapped[int | None] = mapped_column(Integer)
    #: For secondary contacts: the close contact they were exposed to.
    via_person_id: Mapped[int | None] = mapped_column(Integer)
    #: Community of the person's home building: the grid that visits them.
    home_community_id: Mapped[int | None] = mapped_column(Integer)
    #: 1 = most urgent.
    priority: Mapped[int] = mapped_column(SmallInteger)

    __table_args__ = (
        CheckConstraint(_in("category", CATEGORIES), name="category"),
        CheckConstraint(_in("relation", RELATIONS), name="relation"),
        CheckConstraint("last_exposure_at >= first_exposure_at", name="exposure"),
        CheckConstraint("overlap_minutes >= 0", name="overlap"),
        Index("ix_contacts_person_id", "person_id"),
        Index("ix_contacts_home_community_id", "home_community_id"),
    )


class AssistRequest(Base):
    """A regional-assistance list (区域协查) sent to or received from a jurisdiction."""

    __tablename__ = "assist_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    direction: Mapped[str] = mapped_column(String(8))
    #: Destination (outgoing) or sender (incoming): a city or a district code.
    counterpart: Mapped[str] = mapped_column(String(64))
    file: Mapped[str] = mapped_column(String(500))
    sha256: Mapped[str] = mapped_column(String(64))
    row_count: Mapped[int] = mapped_column(Integer)
    #: Incoming lists: rows matched to a resident.
    matched: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("direction", ASSIST_DIRECTIONS), name="direction"),
        CheckConstraint("row_count >= 0", name="row_count"),
        Index("ix_assist_requests_sha256", "sha256"),
    )
