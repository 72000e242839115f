"""Pydantic views and rules of the resources domain (what the CLI prints as JSON).

Datetimes are aware, in the city's local time; days are local dates.  Days of
supply are ``null`` where nothing is burnt (infinite supply).
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field

from ...core.resources.staffing import StaffingStandards

ZoneSource = Literal["zones", "explicit", "none"]


class SupplyRules(BaseModel):
    """Who the stockpiles feed and who counts as staff or active cases.

    ``zone_levels`` are the zone levels whose residents the centre supplies
    (the per-person standards are stated for lockdown); a control zone counts
    as lockdown during its first ``control_as_lockdown_days`` days (Shenzhen:
    the first 4 days of a control zone are run as lockdown).  Cases reported
    in the last ``active_case_days`` days are in care.  Quarantined persons
    for the staffing standard are the active stays of the quarantine domain,
    or, while it holds none, the contacts of ``quarantine_categories`` (close
    contacts: centralised quarantine) of the current investigations completed
    in the last ``quarantine_days`` days.
    """

    catalogue: Path | None = None
    zone_levels: tuple[str, ...] = ("lockdown",)
    control_as_lockdown_days: int = Field(4, ge=0)
    active_case_days: int = Field(14, ge=1)
    quarantine_days: int = Field(14, ge=1)
    quarantine_categories: tuple[str, ...] = ("close",)
    case_statuses: tuple[str, ...] = ("confirmed", "asymptomatic")
    staffing: StaffingStandards = Field(default_factory=StaffingStandards)


class MovementIn(BaseModel):
    """A receipt or issue: ``area`` is an area code (or id) of a city, district or community."""

    area: str
    item: str
    kind: Literal["receipt", "issue"]
    quantity: float
    at: datetime | None = None
    reference: str | None = None
    note: str = ""


class MovementOut(BaseModel):
    id: int
    area_id: int
    area_code: str
    item: str
    kind: str
    quantity: float
    balance: float
    moved_at: datetime
    reference: str | None
    #: True when the same reference was already recorded (nothing was written).
    duplicate: bool = False


class BatchOut(BaseModel):
    """A batch of movements: every one recorded, or (on an error) none."""

    source: str
    recorded: int
    duplicates: int
    movements: list[MovementOut]


class StockRow(BaseModel):
    """One item at one holding area."""

    level: str
    area_id: int
    area_code: str
    area_name: str
    area_name_en: str | None
    item: str
    unit: str
    category: str
    stock: float
    burn_per_day: float
    days_of_supply: float | None
    alarm_days: float
    target_days: float
    alarm: bool
    reorder: float


class StockReport(BaseModel):
    """Days of supply, alarms and the reorder plan on one day."""

    on: date
    zone_source: ZoneSource
    zone_residents: int
    active_cases: int
    staff: int
    rows: list[StockRow]
    alarms: int
    #: Units to order per level and item.
    reorder: dict[str, dict[str, float]]


class StaffRow(BaseModel):
    district_id: int
    district_code: str
    district_name: str
    district_name_en: str | None
    role: str
    required: int
    on_record: int
    shortfall: int


class DistrictBasis(BaseModel):
    """What the district's requirement is computed from."""

    district_id: int
    district_code: str
    population: int
    lockdown_population: int
    communities: int
    quarantined: int
    county: bool


class StaffingReport(BaseModel):
    on: date
    zone_source: ZoneSource
    rows: list[StaffRow]
    basis: list[DistrictBasis]
    #: Per role: required, on record, shortfall over all districts.
    totals: dict[str, dict[str, int]]


class StaffImportOut(BaseModel):
    source: str
    rows: int
    changed: int
    unchanged: int


class LevelFigures(BaseModel):
    general: float | None
    icu: float | None
    ventilated: float | None


class LevelDays(BaseModel):
    general: date | None
    icu: date | None
    ventilated: date | None


class ForecastDistrict(BaseModel):
    district_id: int
    district_code: str
    district_name: str
    district_name_en: str | None
    capacity: LevelFigures
    peak_census: LevelFigures
    peak_day: LevelDays
    first_alert: LevelDays
    #: Daily series from ``ForecastOut.start``: cases, admissions and census per level.
    cases: list[float]
    admissions: dict[str, list[float]]
    census: dict[str, list[float]]


class ForecastOut(BaseModel):
    """The capacity forecast: observed days up to ``last_observed``, then projected."""

    source: Literal["store", "file"]
    projection: Literal["growth", "external"]
    start: date
    last_observed: date
    end: date
    horizon: int
    observed_cases: float
    projected_cases: float
    growth_rate: float | None
    doubling_time: float | None
    fitted: bool
    alert_occupancy: float
    shares: dict[str, float]
    los_days: dict[str, int]
    districts: list[ForecastDistrict]
    #: The first alert of any district per level (district code and day).
    first_alert: dict[str, tuple[str, date] | None]
