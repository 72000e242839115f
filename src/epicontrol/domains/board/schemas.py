"""Pydantic views of the city board and the daily report (what the web, the API and the CLI read).

Every user-facing text is given in both languages (``*_zh`` and ``*_en``), so
one JSON document serves either page.  Datetimes are aware, in the city's
local time; days are local dates.  A figure that cannot be computed from the
store is ``None`` and its KPI's status is ``no_data`` with a reason — never a
made-up number.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

#: KPI status against its standard; ``no_data`` when the records do not exist yet.
Status = Literal["ok", "warn", "breach", "no_data"]
#: ``at_most``: the value must not exceed the target; ``at_least``: it must reach it.
Direction = Literal["at_most", "at_least"]
#: What a KPI covers: the whole city, the grid worker's district, or their community.
ScopeLevel = Literal["city", "district", "community"]


class StandardOut(BaseModel):
    """The standard a KPI is measured against (DESIGN.md §3; configurable)."""

    target: float
    direction: Direction
    #: Where the value starts to warn (same unit); null when the KPI warns otherwise.
    warn: float | None
    unit: str
    source: str


class Breakdown(BaseModel):
    """One row behind a KPI: a department, a district, a site, an item, a campaign..."""

    key: str
    label_zh: str
    label_en: str
    value: float | None
    status: Status | None = None
    #: The counts behind the row (``n``, ``max``, ``rooms``, ``occupied``...).
    figures: dict[str, float | int | str | None] = Field(default_factory=dict)


class KpiOut(BaseModel):
    """One KPI against its standard, with the figures it was computed from."""

    key: str
    label_zh: str
    label_en: str
    value: float | None
    unit: str
    standard: StandardOut
    status: Status
    #: Why the status is what it is (always set for ``no_data``, ``warn`` and ``breach``).
    reason_zh: str | None = None
    reason_en: str | None = None
    scope: ScopeLevel = "city"
    #: The summary figures behind the value (``n``, ``median``, ``max``, ``pending``...).
    figures: dict[str, float | int | str | None] = Field(default_factory=dict)
    breakdown: list[Breakdown] = Field(default_factory=list)


class ScopeOut(BaseModel):
    """The area a board covers: the city, or one community (a grid worker's board)."""

    level: Literal["city", "community"]
    area_id: int | None
    code: str | None
    name: str | None
    name_en: str | None
    #: The community's district (null on the city board).
    district_id: int | None = None


class CaseCounts(BaseModel):
    """Cases reported on the day and over the 7 days ending it, by status."""

    today: dict[str, int]
    last_7_days: dict[str, int]
    total: dict[str, int]


class ZoneLevelOut(BaseModel):
    """Active zones of one level: units and residents."""

    level: Literal["lockdown", "control", "prevention"]
    label_zh: str
    label_en: str
    units: int
    residents: int


class AlertLevelOut(BaseModel):
    """Open (not closed) alerts of one level."""

    level: str
    label_zh: str
    label_en: str
    open: int


class CurvePoint(BaseModel):
    """Cases reported on one local day, by status."""

    day: date
    confirmed: int
    asymptomatic: int
    suspected: int


class RtPoint(BaseModel):
    """The Rt posterior of one weekly window ending on ``day``."""

    day: date
    mean: float
    lower: float
    upper: float
    cv: float


class RtOut(BaseModel):
    """Rt (Cori et al. 2013) of the confirmed and asymptomatic cases, when enough data."""

    status: Literal["ok", "no_data"]
    reason_zh: str | None = None
    reason_en: str | None = None
    #: The latest window with posterior CV at most ``cv_max``.
    value: float | None = None
    lower: float | None = None
    upper: float | None = None
    window_start: date | None = None
    window_end: date | None = None
    si_mean: float
    si_sd: float
    si_source: str
    cv_max: float
    series: list[RtPoint] = Field(default_factory=list)


class CurveOut(BaseModel):
    """The epidemic curve from the first case day to the board's day, and Rt."""

    days: list[CurvePoint]
    rt: RtOut


class SignalOut(BaseModel):
    """Syndromic counts of one signal on the day, against the mean of the 7 days before."""

    signal: str
    count: int
    baseline_mean: float | None


class SignalsOut(BaseModel):
    """The lake's syndromic counts on the day (null lake: not asked)."""

    status: Literal["ok", "no_data"]
    reason_zh: str | None = None
    reason_en: str | None = None
    day: int | None = None
    signals: list[SignalOut] = Field(default_factory=list)


class BoardOut(BaseModel):
    """The city board (or a community's board) on a day, read at ``as_of``."""

    on: date
    as_of: datetime
    scope: ScopeOut
    kpis: list[KpiOut]
    cases: CaseCounts
    zones: list[ZoneLevelOut]
    alerts: list[AlertLevelOut]
    curve: CurveOut
    signals: SignalsOut


class PublicZone(BaseModel):
    """A current risk zone in plain language, with what its residents must do."""

    zone_id: int
    level: Literal["lockdown", "control", "prevention"]
    level_zh: str
    level_en: str
    area_id: int
    name: str
    name_en: str | None
    unit_level: str
    district: str | None
    district_en: str | None
    community: str | None
    community_en: str | None
    since: date
    #: What residents must do (zh-CN and en).
    advice_zh: str
    advice_en: str
    #: The earliest day the zone can be downgraded or lifted if no new case is found.
    earliest_change: date | None
