"""Pydantic views of the zones: what the CLI prints as JSON and other parts read.

Datetimes are aware, in the city's local time; days are local dates.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

Level = Literal["lockdown", "control", "prevention"]
State = Literal["lockdown", "control", "prevention", "lifted"]


class TierCounts(BaseModel):
    """Special-population persons (红黄绿台账) by tier."""

    red: int = 0
    yellow: int = 0
    green: int = 0


class ZoneOut(BaseModel):
    """One zone: its unit, level, clock, sources and who lives in it."""

    id: int
    area_id: int
    area_code: str
    area_name: str
    area_name_en: str | None
    unit_level: str
    level: Level
    status: Literal["active", "lifted"]
    level_day: date
    opened_at: datetime
    changed_at: datetime
    lifted_at: datetime | None
    source_case_ids: list[int]
    residents: int
    special: TierCounts
    lon: float | None
    lat: float | None


class ChangeOut(BaseModel):
    """One history entry of a zone."""

    id: int
    zone_id: int
    area_id: int
    day: date
    recorded_at: datetime
    from_level: Level | None
    to_level: State
    rule_id: str
    reason: str
    case_id: int | None


class DelineationOut(BaseModel):
    """What a delineation did."""

    unit: str
    rules: str
    cases: list[int]
    skipped: list[int]
    #: Units per level drawn by this delineation (before merging with existing zones).
    units: dict[str, int]
    created: int
    escalated: int
    restarted: int
    unchanged: int
    zone_ids: list[int]
    checkins: bool


class DayOut(BaseModel):
    """One evaluated day."""

    day: date
    city_cases: int
    surge: bool
    frozen: bool
    transitions: list[ChangeOut]
    delineated_cases: list[int]
    already_evaluated: bool = False


class EvaluationOut(BaseModel):
    """``evaluate`` up to a day: every day it ran (missed days are caught up)."""

    day: date
    rules: str
    days: list[DayOut]
    active: dict[str, int]
