"""Pydantic schemas of the quarantine domain: options in, views out."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import BaseModel, Field, PlainSerializer

from ...core.city.schemas import SpecialFlag


def _utc_iso(value: datetime) -> str:
    """Store times are naive UTC: serialise them with their offset (``+00:00``)."""
    return (value.replace(tzinfo=UTC) if value.tzinfo is None else value).isoformat()


#: A stored (naive UTC) time that serialises unambiguously to JSON.
UtcDateTime = Annotated[datetime, PlainSerializer(_utc_iso, when_used="json")]


class QuarantineOptions(BaseModel):
    """How contacts are assigned and moved; defaults from DESIGN.md §3 and the plans.

    ``release_days`` = 14: Shenzhen's plan (seeds 004) quarantines 14 days with a
    test every day (plan 001: 隔离期间核酸检测频次每日1次); ``deadline_hours`` = 6:
    the 1+4+6+24 rule (close and secondary contacts transferred within 6 h of the
    confirmation).  ``accessible_flags``: special-population flags that need an
    accessible room (default: disabled).
    """

    share_rooms: bool = False
    persons_per_room: int = Field(2, ge=1, le=8)
    time_limit: float = Field(9.0, gt=0)
    release_days: int = Field(14, ge=1, le=60)
    require_negative_test: bool = True
    accessible_flags: int = Field(int(SpecialFlag.DISABLED), ge=0)
    deadline_hours: float = Field(6.0, gt=0)
    #: Vehicles leave their sites this long after the assignment.
    ready_minutes: int = Field(30, ge=0)
    seats: int = Field(10, ge=1)
    speed_kmh: float = Field(30.0, gt=0)
    detour: float = Field(1.3, ge=1)
    stop_minutes: int = Field(10, ge=0)
    vehicles_per_site: int | None = Field(None, ge=1)
    search_seconds_per_site: float = Field(0.0, ge=0)


class Unassigned(BaseModel):
    person_id: int
    household_id: int
    reason: str


class Placement(BaseModel):
    person_id: int
    household_id: int
    site_id: int
    distance_km: float
    rooms: int
    accessible_room: bool


class AssignOut(BaseModel):
    """An assignment: who goes where, its quality, who is left out and why."""

    run_id: int | None
    persons: int
    assigned: int
    max_assignable: int
    total_cost: float
    bound: float
    gap: float
    bound_source: str
    pruning_safe: bool
    status: str
    seconds: float
    placements: list[Placement]
    unassigned: list[Unassigned]
    stats: dict[str, float | int | str] = {}


class StopOut(BaseModel):
    seq: int
    household_id: int
    persons: int
    pickup_at: UtcDateTime


class BatchOut(BaseModel):
    batch_id: int | None
    site_id: int
    vehicle: int
    trip: int
    depart_at: UtcDateTime
    arrive_at: UtcDateTime
    deadline_at: UtcDateTime
    persons: int
    on_time: bool
    stops: list[StopOut]


class LateOut(BaseModel):
    person_id: int
    site_id: int
    reason: str
    deadline_at: UtcDateTime
    earliest_arrival_at: UtcDateTime


class TransfersOut(BaseModel):
    batches: list[BatchOut]
    late: list[LateOut]
    persons: int
    vehicles: int
    #: The city's UTC offset: batches are shown in local time.
    utc_offset_minutes: int = 0


class RosterEntry(BaseModel):
    stay_id: int
    person_id: int
    site_id: int
    case_id: int | None
    category: str
    status: str
    assigned_at: UtcDateTime
    deadline_at: UtcDateTime
    admitted_at: UtcDateTime | None
    release_due_at: UtcDateTime
    released_at: UtcDateTime | None
    tests: int
    last_test: str | None
    batch_id: int | None


class SiteOccupancy(BaseModel):
    site_id: int
    code: str
    name: str
    rooms: int
    occupied: int
    left: int
    accessible_rooms: int
    accessible_occupied: int
    accessible_left: int


class ReleaseOut(BaseModel):
    today: date
    released: list[int]
    held: list[Unassigned]
