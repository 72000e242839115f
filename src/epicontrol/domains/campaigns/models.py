"""ORM models of mass-testing campaigns (全员核酸): campaigns, sites, pools, members.

One ``campaigns`` row per round of testing of a zone set (``scope_key`` is the
hash of its sorted area and zone ids; ``(scope_key, round)`` is unique).  A
saved plan writes its sites, its pools (ids assigned by the service, unique
across campaigns, so a results file needs no campaign id) and one
``campaign_members`` row per resident.  Pool results and the individual
re-test results of positive pools are recorded on the pool and member rows.

Only ``campaign_id`` and ``pool_id`` are foreign keys on the two large tables
(50 000 pools and 500 000 members for a zone set of 500 000 residents are
written in one bulk insert); ``lab_id``, ``person_id`` and ``area_id`` were
checked against ``facilities``, ``persons`` and ``areas`` when the plan was
made.  Times are timezone-naive UTC like the tracing models.
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
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...store.base import Base

CAMPAIGN_STATUSES: Final = ("planned", "testing", "completed")
SITE_KINDS: Final = ("fixed", "temporary")
POOL_RESULTS: Final = ("negative", "positive", "invalid")
RETEST_RESULTS: Final = ("negative", "positive")


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class Campaign(Base):
    """One round of mass testing of a zone set, with its plan summary."""

    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    scope_key: Mapped[str] = mapped_column(String(64))
    round: Mapped[int] = mapped_column(Integer)
    #: JSON list of the area ids asked for (zones: the zones' areas).
    areas: Mapped[str] = mapped_column(Text)
    #: JSON list of the zone ids asked for; null when planned from areas.
    zones: Mapped[str | None] = mapped_column(Text)
    start_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    deadline_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: Planned time of the last pool result; null when no pool can be tested.
    finish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    next_round_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    pool_size: Mapped[int] = mapped_column(SmallInteger)
    residents: Mapped[int] = mapped_column(Integer)
    pools: Mapped[int] = mapped_column(Integer)
    sites: Mapped[int] = mapped_column(Integer)
    feasible: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    #: The plan summary (sites, labs, shortfall, parameters) as JSON.
    summary: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("status", CAMPAIGN_STATUSES), name="status"),
        CheckConstraint("round >= 1", name="round"),
        CheckConstraint("pool_size >= 1", name="pool_size"),
        CheckConstraint("residents >= 0 AND pools >= 0 AND sites >= 0", name="counts"),
        CheckConstraint("deadline_at >= start_at", name="deadline"),
        UniqueConstraint("scope_key", "round", name="uq_campaigns_scope_round"),
    )


class CampaignSite(Base):
    """A sampling site of a campaign: a fixed site (facility) or a temporary point in a unit."""

    __tablename__ = "campaign_sites"

    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"), primary_key=True)
    site_no: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    #: The unit (compound or building) of a temporary point.
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    residents: Mapped[int] = mapped_column(Integer)
    samples_per_hour: Mapped[int] = mapped_column(Integer)
    samplers: Mapped[int] = mapped_column(Integer)
    #: JSON list: samplers on duty in each shift block.
    on_duty: Mapped[str] = mapped_column(Text)
    start_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    finish_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("kind", SITE_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'fixed' AND facility_id IS NOT NULL) OR "
            "(kind = 'temporary' AND area_id IS NOT NULL)",
            name="place",
        ),
        CheckConstraint(
            "residents >= 0 AND samples_per_hour >= 0 AND samplers >= 0", name="counts"
        ),
    )


class CampaignPool(Base):
    """A pooled sample (混采管): its site, lab, planned times and result."""

    __tablename__ = "campaign_pools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("campaigns.id"))
    round: Mapped[int] = mapped_column(Integer)
    site_no: Mapped[int] = mapped_column(Integer)
    #: The lab (facility id) the plan sends it to; null when no lab can test it.
    lab_id: Mapped[int | None] = mapped_column(Integer)
    size: Mapped[int] = mapped_column(SmallInteger)
    dispatch_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    planned_result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    result: Mapped[str | None] = mapped_column(String(8))
    result_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    recorded_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint("size >= 1", name="size"),
        CheckConstraint("result IS NULL OR " + _in("result", POOL_RESULTS), name="result"),
        CheckConstraint("(result IS NULL) = (result_at IS NULL)", name="result_at"),
        Index("ix_campaign_pools_campaign_id", "campaign_id"),
    )


class CampaignMember(Base):
    """A resident in a pool, with the individual re-test of a positive pool."""

    __tablename__ = "campaign_members"

    pool_id: Mapped[int] = mapped_column(ForeignKey("campaign_pools.id"), primary_key=True)
    person_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: The pool's campaign (denormalised for coverage queries).
    campaign_id: Mapped[int] = mapped_column(Integer)
    #: The requested area (or zone's area) the person lives in: coverage per zone.
    area_id: Mapped[int] = mapped_column(Integer)
    retest_result: Mapped[str | None] = mapped_column(String(8))
    retest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=False))
    task_id: Mapped[int | None] = mapped_column(Integer)

    __table_args__ = (
        CheckConstraint(
            "retest_result IS NULL OR " + _in("retest_result", RETEST_RESULTS), name="retest"
        ),
        CheckConstraint("(retest_result IS NULL) = (retest_at IS NULL)", name="retest_at"),
        Index("ix_campaign_members_campaign_id", "campaign_id"),
    )
