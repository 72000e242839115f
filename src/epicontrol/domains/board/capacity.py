"""Hospital and ICU occupancy against 85 %, and stock days of supply, for the board.

Occupancy: the census of the board's day from the resources domain's capacity
model (:func:`epicontrol.core.resources.forecast.capacity_forecast`: the
confirmed cases reported by home district and day up to the day, times the
severe/critical shares, held for the lengths of stay) over the district's
beds (ward beds = beds − ICU beds; ICU beds) from the facilities.  It is the
model's estimate of COVID patients in beds, not a bed count reported by the
hospitals (the store holds no admissions).  A district at or above the alert
share is a breach even when the city as a whole is below it.

Stock: :func:`epicontrol.domains.resources.service.stock_status` on the day;
the value is the fewest days of supply of any holding area and item that
burns stock; an item below its alarm days is a breach, below its target a warning.
"""

from __future__ import annotations

import math
from datetime import date

from sqlalchemy.orm import Session

from ...core.resources.forecast import CapacityParams, capacity_forecast
from ..resources import forecast as forecast_service
from ..resources.service import (
    ResourceError,
    ResourceInputError,
    catalogue,
    load_areas,
    stock_status,
)
from .kpis import kpi, text
from .schemas import Breakdown, KpiOut, Status
from .scope import Scope
from .standards import BoardStandards, at_most, worst

LEVELS = (("hospital", 0), ("icu", 1))


def occupancy(*, session: Session, on: date, scope: Scope, std: BoardStandards) -> list[KpiOut]:
    """Hospital ward and ICU occupancy KPIs (city, or the community's district)."""
    target = std.hospital_occupancy
    warn = target * std.warn_share
    standards = {
        key: std.standard(target, "at_most", "share", "plan 001, Fuzhou", warn) for key, _ in LEVELS
    }
    kw_scope = "district" if scope.district is not None else "city"
    try:
        areas = load_areas(session)
        series = forecast_service.store_cases(session=session, areas=areas, end=on)
    except (ResourceError, ResourceInputError) as exc:
        why = text("board.reason.no_census", error=str(exc))
        return [
            kpi(key, None, "share", standards[key], "no_data", why, scope=kw_scope)
            for key, _ in LEVELS
        ]
    capacity = forecast_service.district_capacity(
        session=session, areas=areas, districts=series.districts
    )
    params = CapacityParams(alert_occupancy=target)
    f = capacity_forecast(series.observed, capacity, params)
    day = series.observed.shape[0] - 1
    cols = list(range(len(series.districts)))
    if scope.district is not None:
        cols = [k for k, d in enumerate(series.districts) if d == scope.district]
    out: list[KpiOut] = []
    for key, j in LEVELS:
        census = f.census[j, day]
        cap = capacity[j]
        breakdown: list[Breakdown] = []
        statuses: list[Status] = []
        for k in cols:
            d = series.districts[k]
            c, b = float(census[k]), float(cap[k])
            share = c / b if b > 0 else (math.inf if c > 0 else None)
            st: Status | None = None
            if share is not None:
                st = at_most(share, target, warn, inclusive=True)
                statuses.append(st)
            breakdown.append(
                Breakdown(
                    key=areas.code[d],
                    label_zh=areas.name[d],
                    label_en=areas.name_en[d] or areas.name[d],
                    value=None if share is None or math.isinf(share) else round(share, 4),
                    status=st,
                    figures={"census": round(c, 3), "beds": int(b)},
                )
            )
        total_c = float(census[cols].sum()) if cols else 0.0
        total_b = float(cap[cols].sum()) if cols else 0.0
        figures: dict[str, float | int | str | None] = {
            "census": round(total_c, 3),
            "beds": int(total_b),
            "census_source": "model",
            "cases_from": series.start.isoformat(),
        }
        if total_b <= 0:
            out.append(
                kpi(
                    key,
                    None,
                    "share",
                    standards[key],
                    "no_data",
                    text("board.reason.no_beds"),
                    figures=figures,
                    breakdown=breakdown,
                    scope=kw_scope,
                )
            )
            continue
        value = total_c / total_b
        status = worst([at_most(value, target, warn, inclusive=True), *statuses])
        reason: tuple[str, str] | None = None
        if status != "ok":
            over = [b for b in breakdown if b.status == status]
            zh, _ = text(
                "board.reason.beds",
                value=value,
                target=target,
                districts=", ".join(b.label_zh for b in over),
            )
            _, en = text(
                "board.reason.beds",
                value=value,
                target=target,
                districts=", ".join(b.label_en for b in over),
            )
            reason = (zh, en)
        out.append(
            kpi(
                key,
                value,
                "share",
                standards[key],
                status,
                reason,
                figures=figures,
                breakdown=breakdown,
                scope=kw_scope,
            )
        )
    return out


def stock(*, session: Session, on: date, scope: Scope, std: BoardStandards) -> KpiOut:
    """Fewest days of supply (city, district and community holdings; a community board:
    the community point's own stock)."""
    source = "Fuzhou, plans 001, 002"
    standard = std.standard(0.0, "at_least", "d", source, None)
    names = {i.code: (i.name, i.name_en) for i in catalogue()}
    area = scope.tree.code[scope.community] if scope.community is not None else None
    kw_scope = "community" if scope.community is not None else "city"
    try:
        report = stock_status(session=session, on=on, area=area)
    except (ResourceError, ResourceInputError) as exc:
        return kpi(
            "stock",
            None,
            "d",
            standard,
            "no_data",
            text("board.reason.no_stock", error=str(exc)),
            scope=kw_scope,
        )
    rows = [r for r in report.rows if r.stock > 0 or r.burn_per_day > 0]
    if not any(r.stock > 0 for r in rows):
        return kpi(
            "stock",
            None,
            "d",
            standard,
            "no_data",
            text("board.reason.no_stock_rows"),
            scope=kw_scope,
        )
    by_item: dict[str, list[tuple[float, Status, str, str, float, float]]] = {}
    statuses: list[Status] = []
    for r in rows:
        if r.days_of_supply is None:
            continue
        st: Status = "breach" if r.alarm else ("warn" if r.days_of_supply < r.target_days else "ok")
        statuses.append(st)
        by_item.setdefault(r.item, []).append(
            (
                r.days_of_supply,
                st,
                r.area_name,
                r.area_name_en or r.area_name,
                r.alarm_days,
                r.target_days,
            )
        )
    breakdown = []
    for item, entries in sorted(by_item.items()):
        entries.sort(key=lambda e: e[0])
        days, _, name, name_en, alarm_days, target_days = entries[0]
        zh, en = names.get(item, (item, item))
        breakdown.append(
            Breakdown(
                key=item,
                label_zh=zh,
                label_en=en,
                value=round(days, 2),
                status=worst([e[1] for e in entries]),
                figures={
                    "lowest_at": name,
                    "lowest_at_en": name_en,
                    "alarm_days": alarm_days,
                    "target_days": target_days,
                    "holders": len(entries),
                    "alarms": sum(e[1] == "breach" for e in entries),
                    "short": sum(e[1] != "ok" for e in entries),
                },
            )
        )
    figures: dict[str, float | int | str | None] = {
        "rows": len(rows),
        "alarms": report.alarms,
        "zone_residents": report.zone_residents,
        "active_cases": report.active_cases,
    }
    if not statuses:
        return kpi(
            "stock",
            None,
            "d",
            standard,
            "ok",
            text("board.reason.no_burn"),
            figures=figures,
            scope=kw_scope,
        )
    lowest = min(breakdown, key=lambda b: b.value if b.value is not None else math.inf)
    value = float(lowest.value or 0.0)
    alarm = lowest.figures.get("alarm_days")
    standard = std.standard(float(alarm or 0.0), "at_least", "d", source, None)
    status = worst(statuses)
    reason: tuple[str, str] | None = None
    if status != "ok":
        bad = [b for b in breakdown if b.status == status]
        zh, _ = text(f"board.reason.stock.{status}", items=", ".join(b.label_zh for b in bad))
        _, en = text(f"board.reason.stock.{status}", items=", ".join(b.label_en for b in bad))
        reason = (zh, en)
    return kpi(
        "stock",
        value,
        "d",
        standard,
        status,
        reason,
        figures=figures,
        breakdown=breakdown,
        scope=kw_scope,
    )
