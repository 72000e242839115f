"""The resources part of ``epicontrol demo``: capacity forecast, days of supply, staffing.

The demo store has no stock or staff on record, so :func:`resources_demo`
seeds them deterministically from the standards (once; re-running seeds
nothing) and says so:

* staff on record per district = what the standards require in normal times
  (no lockdown, nobody in quarantine), so the shortfall is the surge the
  current zones and contacts need;
* each district hub holds its items' target days (N95 90, medical 30, living
  30) for a planning load of 1 % of its residents in lockdown plus its staff,
  except every fourth district, seeded at 40 % (short on purpose); the city
  centre holds the same for the whole city; the community points of the
  supplied zones hold 3 days of living supplies; each district holds one
  ventilator per ICU bed.

Then it forecasts hospital capacity from the store's confirmed cases (the
growth fitted when there are enough cases, else an assumed doubling time),
reads days of supply for the key items at district level and the staffing
shortfall.
"""

from __future__ import annotations

import math
from datetime import date

import numpy as np
from pydantic import BaseModel
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.resources.forecast import CARE_LEVELS, CapacityParams, GrowthParams
from ..core.resources.staffing import ROLES, required_staff
from ..core.resources.stock import burn_rates
from ..domains.resources import forecast as forecast_service
from ..domains.resources import service, staffing
from ..domains.resources.models import StaffRecord, StockMovement
from ..domains.resources.schemas import MovementIn, SupplyRules
from ..domains.tracing.models import Case
from ..i18n import t
from .common import open_store, out

KEY_ITEMS = ("n95", "protective_suit", "mask", "test_kit", "vegetables", "grain", "meat")
#: Doubling time assumed when the demo's few cases cannot be fitted (early Omicron-like growth).
ASSUMED_DOUBLING_DAYS = 3.0
PLANNING_LOCKDOWN_SHARE = 0.01
SHORT_EVERY = 4
SHORT_SHARE = 0.4
COMMUNITY_DAYS = 3.0


class FirstAlert(BaseModel):
    level: str
    district_code: str | None
    district_name: str | None
    district_name_en: str | None
    day: date | None
    capacity: float | None
    peak: float


class KeyItem(BaseModel):
    item: str
    unit: str
    alarm_days: float
    #: Fewest days of supply over the districts that burn it (None: nobody burns it).
    min_days: float | None
    min_district: str | None
    short_districts: list[str]


class StaffShort(BaseModel):
    role: str
    required: int
    on_record: int
    shortfall: int
    districts: list[str]


class ResourcesDemo(BaseModel):
    on: date
    seeded: bool
    short_districts: list[str]
    doubling_time: float | None
    doubling_assumed: bool
    observed_cases: float
    projected_cases: float
    horizon_end: date
    alert_occupancy: float
    first_alerts: list[FirstAlert]
    zone_residents: int
    key_items: list[KeyItem]
    staffing: list[StaffShort]


def _seed(session: Session, rules: SupplyRules, on: date) -> list[str]:
    """Stock and staff from the standards (see the module docstring); the short districts."""
    areas = service.load_areas(session)
    items = service.catalogue(rules)
    districts = areas.ids_of("district")
    short = [int(d) for k, d in enumerate(districts.tolist()) if k % SHORT_EVERY == SHORT_EVERY - 1]
    if session.scalar(select(func.count()).select_from(StaffRecord)) == 0:
        community = np.zeros(len(areas.level), np.int64)
        community[areas.ids_of("community")] = 1
        n = len(districts)
        base = required_staff(
            population=areas.population[districts],
            lockdown_population=np.zeros(n),
            communities=service._roll_up(areas, community)[districts],
            quarantined=np.zeros(n),
            county=[areas.kind[d] == "county" for d in districts.tolist()],
            standards=rules.staffing,
        )
        staffing.set_staff(
            session=session,
            counts={
                (areas.code[d], role): int(base[k, r])
                for k, d in enumerate(districts.tolist())
                for r, role in enumerate(ROLES)
            },
            source="demo seed (standards, normal times)",
        )
    if session.scalar(select(func.count()).select_from(StockMovement)):
        return [areas.code[d] for d in short]
    people_roles = service.BURNING_ROLES
    staff = service._roll_up(
        areas, service.staff_on_record(session, len(areas.level), people_roles)
    )
    planning = np.ceil(areas.population * PLANNING_LOCKDOWN_SHARE)
    holders = np.concatenate([areas.ids_of("city"), districts])
    burn = burn_rates(items, planning[holders], np.zeros(len(holders)), staff[holders])
    moves: list[MovementIn] = []
    for r, aid in enumerate(holders.tolist()):
        share = SHORT_SHARE if aid in short else 1.0
        for k, it in enumerate(items):
            qty = math.ceil(it.target_days * burn[r, k] * share)
            if qty > 0:
                moves.append(
                    MovementIn(
                        area=areas.code[aid],
                        item=it.code,
                        kind="receipt",
                        quantity=qty,
                        reference=f"demo-seed:{areas.code[aid]}:{it.code}",
                        note="demo seed",
                    )
                )
    zones = service.zone_population(session=session, areas=areas, on=on, rules=rules)
    for cid in areas.ids_of("community").tolist():
        if zones.residents[cid] > 0:
            for it in items:
                qty = math.ceil(COMMUNITY_DAYS * it.per_person_day * zones.residents[cid])
                if it.category == "living" and qty > 0:
                    moves.append(
                        MovementIn(
                            area=areas.code[cid],
                            item=it.code,
                            kind="receipt",
                            quantity=qty,
                            reference=f"demo-seed:{areas.code[cid]}:{it.code}",
                            note="demo seed",
                        )
                    )
    capacity = forecast_service.district_capacity(
        session=session, areas=areas, districts=districts.tolist()
    )
    for k, d in enumerate(districts.tolist()):
        if capacity[1, k] > 0:
            moves.append(
                MovementIn(
                    area=areas.code[d],
                    item="ventilator",
                    kind="receipt",
                    quantity=float(capacity[1, k]),
                    reference=f"demo-seed:{areas.code[d]}:ventilator",
                    note="demo seed",
                )
            )
    if moves:
        service.record_movements(session=session, movements=moves, rules=rules, source="demo seed")
    return [areas.code[d] for d in short]


def resources_demo(
    settings: Settings, *, horizon: int = 30, on: date | None = None
) -> ResourcesDemo:
    """Seed stock and staff (once), forecast capacity, read stock and staffing (see above)."""
    engine = open_store(settings)
    rules = SupplyRules()
    with Session(engine) as session:
        areas = service.load_areas(session)
        last = session.scalar(select(func.max(Case.reported_at)))
        day = on or (
            areas.clock.from_store(last).date() if last else service.local_today(areas.clock)
        )
    with Session(engine) as session, session.begin():
        seeded = session.scalar(select(func.count()).select_from(StockMovement)) == 0
        short = _seed(session, rules, day)
    params = CapacityParams(alert_occupancy=settings.standards.hospital_alert_occupancy)
    with Session(engine) as session:
        assumed = False
        try:
            fc = forecast_service.forecast_capacity(session=session, horizon=horizon, params=params)
        except service.ResourceInputError as exc:
            if exc.field != "cases" or "doubling_time" not in str(exc):
                raise
            assumed = True
            fc = forecast_service.forecast_capacity(
                session=session,
                horizon=horizon,
                params=params,
                growth=GrowthParams(doubling_time=ASSUMED_DOUBLING_DAYS),
            )
        stock = service.stock_status(
            session=session, rules=rules, on=day, level="district", items=list(KEY_ITEMS)
        )
        staff = staffing.staffing_report(session=session, rules=rules, on=day)
    by_code = {d.district_code: d for d in fc.districts}
    alerts: list[FirstAlert] = []
    for level in CARE_LEVELS:
        first = fc.first_alert[level]
        if first is None:
            peak = max(fc.districts, key=lambda d: getattr(d.peak_census, level))
            alerts.append(
                FirstAlert(
                    level=level,
                    district_code=None,
                    district_name=None,
                    district_name_en=None,
                    day=None,
                    capacity=None,
                    peak=getattr(peak.peak_census, level),
                )
            )
            continue
        d = by_code[first[0]]
        alerts.append(
            FirstAlert(
                level=level,
                district_code=d.district_code,
                district_name=d.district_name,
                district_name_en=d.district_name_en,
                day=first[1],
                capacity=getattr(d.capacity, level),
                peak=getattr(d.peak_census, level),
            )
        )
    catalogue = {i.code: i for i in service.catalogue(rules)}
    key_items: list[KeyItem] = []
    for code in KEY_ITEMS:
        rows = [r for r in stock.rows if r.item == code and r.days_of_supply is not None]
        worst = min(rows, key=lambda r: r.days_of_supply or 0.0) if rows else None
        key_items.append(
            KeyItem(
                item=code,
                unit=catalogue[code].unit,
                alarm_days=catalogue[code].alarm_days,
                min_days=None if worst is None else worst.days_of_supply,
                min_district=None if worst is None else worst.area_code,
                short_districts=sorted(r.area_code for r in rows if r.alarm),
            )
        )
    shorts = [
        StaffShort(
            role=role,
            **staff.totals[role],
            districts=[r.district_code for r in staff.rows if r.role == role and r.shortfall > 0],
        )
        for role in ROLES
    ]
    return ResourcesDemo(
        on=day,
        seeded=seeded,
        short_districts=short,
        doubling_time=fc.doubling_time,
        doubling_assumed=assumed,
        observed_cases=fc.observed_cases,
        projected_cases=fc.projected_cases,
        horizon_end=fc.end,
        alert_occupancy=fc.alert_occupancy,
        first_alerts=alerts,
        zone_residents=stock.zone_residents,
        key_items=key_items,
        staffing=shorts,
    )


def render_resources(result: ResourcesDemo, lang: str) -> None:
    """First 85 % crossing per level, days of supply of key items, staffing shortfall."""
    out.print(f"[bold]{t('resources.demo.title', lang)}[/]")
    out.print(
        t(
            "resources.demo.seeded",
            lang,
            short=len(result.short_districts),
            districts=", ".join(result.short_districts),
        )
    )
    if result.doubling_assumed and result.doubling_time is not None:
        out.print(t("resources.demo.assumed", lang, dt=result.doubling_time))
    for a in result.first_alerts:
        level = t(f"resources.level.{a.level}", lang)
        if a.day is None:
            out.print(
                t("resources.forecast.first.none", lang, level=level, alert=result.alert_occupancy)
            )
        else:
            name = a.district_name if lang == "zh-CN" else (a.district_name_en or a.district_name)
            out.print(
                t(
                    "resources.forecast.first",
                    lang,
                    level=level,
                    district=name,
                    day=a.day,
                    alert=result.alert_occupancy,
                )
            )
    if result.zone_residents == 0:
        out.print(t("resources.demo.no_zones", lang))
    table = Table(title=t("resources.demo.key_items", lang))
    table.add_column(t("resources.stock.col.item", lang))
    table.add_column(t("resources.stock.col.standard", lang), justify="right")
    table.add_column(t("resources.demo.min_days", lang), justify="right")
    table.add_column(t("resources.demo.short_districts", lang))
    for k in result.key_items:
        days = "∞" if k.min_days is None else f"{k.min_days:.1f} ({k.min_district})"
        table.add_row(
            f"{k.item} ({k.unit})",
            f"{k.alarm_days:g}",
            f"[red]{days}[/]" if k.short_districts else days,
            ", ".join(k.short_districts),
        )
    out.print(table)
    staff = Table(title=t("resources.demo.staff_short", lang))
    for key in ("role", "required", "on_record", "shortfall", "districts"):
        staff.add_column(t(f"resources.staff.col.{key}", lang))
    for s in result.staffing:
        staff.add_row(
            t(f"resources.role.{s.role}", lang),
            str(s.required),
            str(s.on_record),
            f"[red]{s.shortfall}[/]" if s.shortfall else "0",
            ", ".join(s.districts[:6]),
        )
    out.print(staff)
