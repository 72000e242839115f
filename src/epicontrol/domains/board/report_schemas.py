"""Pydantic views of the daily report (日报); the JSON file holds both languages."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel

from .schemas import BoardOut


class AlertDay(BaseModel):
    """Alerts raised on the day by level, closed on the day by outcome."""

    raised: dict[str, int]
    closed: dict[str, int]


class ZoneChangeRow(BaseModel):
    zone_id: int
    area_id: int
    name: str
    name_en: str
    unit_level: str
    #: ``opened``, ``changed`` (escalated or downgraded), ``restarted`` (clock) or ``lifted``.
    kind: Literal["opened", "changed", "restarted", "lifted"]
    from_level: str | None
    to_level: str
    rule_id: str
    reason: str


class ZoneDay(BaseModel):
    opened: int
    changed: int
    restarted: int
    lifted: int
    changes: list[ZoneChangeRow]


class TaskDay(BaseModel):
    """One department's tasks: due on the day, done on it (late ones), overdue at ``as_of``."""

    department: str
    label_zh: str
    label_en: str
    due: int
    done: int
    done_late: int
    overdue: int
    open: int


class QuarantineDay(BaseModel):
    """Stays assigned, admitted and released on the day; held at ``as_of``."""

    assigned: int
    admitted: int
    released: int
    held: int


class CampaignDay(BaseModel):
    """A testing round started on the day or with results on it; coverage at ``as_of``."""

    campaign_id: int
    round: int
    status: str
    start: datetime
    deadline: datetime
    residents: int
    sampled: int
    coverage: float | None
    started_today: bool


class StockAlarm(BaseModel):
    level: str
    area_id: int
    name: str
    name_en: str
    item: str
    stock: float
    burn_per_day: float
    days_of_supply: float | None
    alarm_days: float


class UnitDay(BaseModel):
    """A district or community's figures of the day; ``zero``: nothing to report (零报告)."""

    level: Literal["district", "community"]
    area_id: int
    code: str
    name: str
    name_en: str
    district_id: int
    cases: int
    confirmed: int
    asymptomatic: int
    suspected: int
    contacts: int
    alerts: int
    zone_changes: int
    admissions: int
    zero: bool


class DailyReport(BaseModel):
    """The daily report of a local day, read at ``as_of``."""

    day: date
    as_of: datetime
    generated_at: datetime
    city: str
    city_en: str
    title_zh: str
    title_en: str
    #: New cases of the day by status.
    new_cases: dict[str, int]
    #: Contacts found by the investigations completed on the day, by category.
    contacts: dict[str, int]
    alerts: AlertDay
    zones: ZoneDay
    tasks: list[TaskDay]
    quarantine: QuarantineDay
    campaigns: list[CampaignDay]
    stock_alarms: list[StockAlarm]
    #: Why the stock ledger could not be read (null when it was).
    stock_error: str | None
    #: Every district, each followed by its communities (zero-reports included).
    units: list[UnitDay]
    zero_districts: int
    zero_communities: int
    board: BoardOut
