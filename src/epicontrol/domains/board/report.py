"""The daily report (日报) of a local day, with zero-reports (日报告零报告).

:func:`daily_report` reads the day from the store: new cases by status and
district, contacts traced, alerts raised and closed, zones opened / changed /
lifted, tasks due / done / overdue by department, quarantine admissions and
releases, testing rounds and their coverage, resource alarms, and the city
board of the day (KPIs, epidemic curve with Rt, zones by level).

Zero-reports: every district and every community gets a row with its counts
of the day (new cases, contacts, alerts, zone changes, quarantine admissions);
a unit with nothing to report is listed with ``zero = True``, never left out.
Every department gets a task row the same way.  Each item counts for the
community of its home (cases, contacts, quarantine) or of its area (alerts,
zones); an alert of a whole district counts for the district only.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from ...core.operations.playbook import DEPARTMENTS
from ...core.surveillance.triggers import LEVELS as ALERT_LEVELS
from ...i18n import t
from ..campaigns.models import Campaign, CampaignMember, CampaignPool
from ..campaigns.results import SAMPLED
from ..city.models import Person
from ..quarantine.models import QuarantineStay
from ..resources.service import ResourceError, ResourceInputError, stock_status
from ..surveillance.models import Alert
from ..tracing.context import Clock
from ..tracing.models import CASE_STATUSES, Contact, Investigation
from ..tracing.models import CATEGORIES as CONTACT_CATEGORIES
from ..zones.models import Zone, ZoneChange
from . import records
from .kpis import dept_label
from .report_schemas import (
    AlertDay,
    CampaignDay,
    DailyReport,
    QuarantineDay,
    StockAlarm,
    TaskDay,
    UnitDay,
    ZoneChangeRow,
    ZoneDay,
)
from .scope import BoardInputError, Scope, Window, get_city, load_tree, utcnow, window
from .service import city_board
from .standards import BoardStandards

ZERO_KEYS = ("cases", "contacts", "alerts", "zone_changes", "admissions")


def _community_and_district(scope: Scope, area_ids: list[int]) -> tuple[list[int], list[int]]:
    ids = np.array(area_ids, np.int64)
    return (
        scope.tree.ancestor(ids, "community").tolist(),
        scope.tree.ancestor(ids, "district").tolist(),
    )


def _tally(
    units: dict[int, Counter[str]], key: str, communities: list[int], districts: list[int]
) -> None:
    for c, d in zip(communities, districts, strict=True):
        if c >= 0:
            units.setdefault(c, Counter())[key] += 1
        if d >= 0:
            units.setdefault(d, Counter())[key] += 1


def _cases(
    session: Session, w: Window, scope: Scope, units: dict[int, Counter[str]]
) -> dict[str, int]:
    rows = [c for c in records.cases(session, w, scope) if w.start <= c.reported_at < w.end]
    comm, dist = _community_and_district(scope, [c.building for c in rows])
    for status in CASE_STATUSES:
        pick = [i for i, c in enumerate(rows) if c.status == status]
        _tally(units, f"cases.{status}", [comm[i] for i in pick], [dist[i] for i in pick])
    _tally(units, "cases", comm, dist)
    n = Counter(c.status for c in rows)
    return {s: n[s] for s in CASE_STATUSES}


def _contacts(
    session: Session, w: Window, scope: Scope, units: dict[int, Counter[str]]
) -> dict[str, int]:
    """Contacts found by the current investigations completed on the day (distinct persons
    per category)."""
    rows = session.execute(
        select(Contact.category, Contact.person_id, Contact.home_community_id)
        .join(Investigation, Investigation.id == Contact.investigation_id)
        .where(
            Investigation.status == "current",
            Investigation.completed_at >= w.start,
            Investigation.completed_at < min(w.end, w.as_of + timedelta(microseconds=1)),
        )
    ).all()
    seen: set[tuple[str, int]] = set()
    persons: dict[int, int] = {}
    by_cat: Counter[str] = Counter()
    for cat, pid, home in rows:
        if (cat, pid) in seen:
            continue
        seen.add((cat, pid))
        by_cat[str(cat)] += 1
        if home is not None:
            persons.setdefault(int(pid), int(home))
    homes = list(persons.values())
    keep = scope.keep(np.array(homes, np.int64)) if homes else np.zeros(0, np.bool_)
    homes = [h for h, k in zip(homes, keep, strict=True) if k]
    dist = scope.tree.ancestor(np.array(homes, np.int64), "district").tolist()
    _tally(units, "contacts", homes, dist)
    return {c: by_cat[c] for c in CONTACT_CATEGORIES}


def _alerts(session: Session, w: Window, scope: Scope, units: dict[int, Counter[str]]) -> AlertDay:
    raised = session.execute(
        select(Alert.area_id, Alert.level).where(
            Alert.raised_at >= w.start, Alert.raised_at < w.end, Alert.raised_at <= w.as_of
        )
    ).all()
    closed = session.execute(
        select(Alert.area_id, Alert.outcome).where(
            Alert.closed_at >= w.start, Alert.closed_at < w.end, Alert.closed_at <= w.as_of
        )
    ).all()
    comm, dist = _community_and_district(scope, [int(r[0]) for r in raised])
    _tally(units, "alerts", comm, dist)
    levels = Counter(str(r[1]) for r in raised)
    outcomes = Counter(str(r[1]) for r in closed)
    return AlertDay(
        raised={lv: levels[lv] for lv in ALERT_LEVELS},
        closed=dict(outcomes),
    )


def _zones(session: Session, w: Window, scope: Scope, units: dict[int, Counter[str]]) -> ZoneDay:
    rows = session.execute(
        select(ZoneChange, Zone.area_id, Zone.unit_level)
        .join(Zone, Zone.id == ZoneChange.zone_id)
        .where(ZoneChange.day == w.on, ZoneChange.recorded_at <= w.as_of)
        .order_by(ZoneChange.id)
    ).all()
    out: list[ZoneChangeRow] = []
    kinds: Counter[str] = Counter()
    areas: list[int] = []
    tree = scope.tree
    for change, area, unit in rows:
        if change.from_level is None:
            kind = "opened"
        elif change.to_level == "lifted":
            kind = "lifted"
        elif change.to_level == change.from_level:
            kind = "restarted"
        else:
            kind = "changed"
        kinds[kind] += 1
        areas.append(int(area))
        zh, en = tree.label(int(area))
        out.append(
            ZoneChangeRow(
                zone_id=change.zone_id,
                area_id=int(area),
                name=zh,
                name_en=en,
                unit_level=str(unit),
                kind=kind,
                from_level=change.from_level,
                to_level=change.to_level,
                rule_id=change.rule_id,
                reason=change.reason,
            )
        )
    comm, dist = _community_and_district(scope, areas)
    _tally(units, "zone_changes", comm, dist)
    return ZoneDay(
        opened=kinds["opened"],
        changed=kinds["changed"],
        restarted=kinds["restarted"],
        lifted=kinds["lifted"],
        changes=out,
    )


def _tasks(tasks: list[records.TaskRec], w: Window) -> list[TaskDay]:
    rows = []
    for dept in DEPARTMENTS:
        mine = [x for x in tasks if x.department == dept]
        done = [x for x in mine if x.completed_at is not None and w.start <= x.completed_at]
        zh, en = dept_label(dept)
        rows.append(
            TaskDay(
                department=dept,
                label_zh=zh,
                label_en=en,
                due=sum(w.start <= x.due_at < w.end for x in mine),
                done=len(done),
                done_late=sum(
                    x.completed_at is not None and x.completed_at > x.due_at for x in done
                ),
                overdue=sum(
                    x.status in ("open", "in_progress") and x.due_at < w.as_of for x in mine
                ),
                open=sum(x.status in ("open", "in_progress") for x in mine),
            )
        )
    return rows


def _quarantine(
    session: Session, w: Window, scope: Scope, units: dict[int, Counter[str]]
) -> QuarantineDay:
    def rows(column: InstrumentedAttribute[datetime | None]) -> list[int]:
        return [
            int(b)
            for b in session.scalars(
                select(Person.building_id)
                .join(QuarantineStay, QuarantineStay.person_id == Person.id)
                .where(column >= w.start, column < w.end, column <= w.as_of)
            )
        ]

    def kept(buildings: list[int]) -> list[int]:
        if not buildings:
            return []
        keep = scope.keep(np.array(buildings, np.int64))
        return [b for b, k in zip(buildings, keep, strict=True) if k]

    assigned = kept(rows(QuarantineStay.assigned_at))
    admitted = kept(rows(QuarantineStay.admitted_at))
    released = kept(rows(QuarantineStay.released_at))
    comm, dist = _community_and_district(scope, admitted)
    _tally(units, "admissions", comm, dist)
    held = (QuarantineStay.assigned_at <= w.as_of) & (
        QuarantineStay.released_at.is_(None) | (QuarantineStay.released_at > w.as_of)
    )
    in_q = kept(
        [
            int(b)
            for b in session.scalars(
                select(Person.building_id)
                .join(QuarantineStay, QuarantineStay.person_id == Person.id)
                .where(held)
            )
        ]
    )
    return QuarantineDay(
        assigned=len(assigned), admitted=len(admitted), released=len(released), held=len(in_q)
    )


def _campaigns(session: Session, w: Window) -> list[CampaignDay]:
    """Rounds started on the day or with pool results on it, with coverage at ``as_of``."""
    started = set(
        session.scalars(
            select(Campaign.id).where(Campaign.start_at >= w.start, Campaign.start_at < w.end)
        )
    )
    resulted = set(
        session.scalars(
            select(CampaignPool.campaign_id)
            .where(CampaignPool.result_at >= w.start, CampaignPool.result_at < w.end)
            .distinct()
        )
    )
    ids = sorted(started | resulted)
    if not ids:
        return []
    sampled = func.sum(
        sql_case(
            (CampaignPool.result.in_(SAMPLED) & (CampaignPool.result_at <= w.as_of), 1), else_=0
        )
    )
    counts = {
        int(k): (int(n), int(s or 0))
        for k, n, s in session.execute(
            select(CampaignMember.campaign_id, func.count(), sampled)
            .join(CampaignPool, CampaignPool.id == CampaignMember.pool_id)
            .where(CampaignMember.campaign_id.in_(ids))
            .group_by(CampaignMember.campaign_id)
        )
    }
    out = []
    for c in session.scalars(select(Campaign).where(Campaign.id.in_(ids)).order_by(Campaign.id)):
        n, s = counts.get(c.id, (0, 0))
        out.append(
            CampaignDay(
                campaign_id=c.id,
                round=c.round,
                status=c.status,
                start=w.local(c.start_at),
                deadline=w.local(c.deadline_at),
                residents=n,
                sampled=s,
                coverage=round(s / n, 5) if n else None,
                started_today=c.id in started,
            )
        )
    return out


def _stock_alarms(session: Session, w: Window) -> tuple[list[StockAlarm], str | None]:
    try:
        report = stock_status(session=session, on=w.on)
    except (ResourceError, ResourceInputError) as exc:
        return [], str(exc)
    rows = [r for r in report.rows if r.alarm]
    rows.sort(key=lambda r: (r.days_of_supply if r.days_of_supply is not None else 0.0, r.item))
    return [
        StockAlarm(
            level=r.level,
            area_id=r.area_id,
            name=r.area_name,
            name_en=r.area_name_en or r.area_name,
            item=r.item,
            stock=r.stock,
            burn_per_day=r.burn_per_day,
            days_of_supply=r.days_of_supply,
            alarm_days=r.alarm_days,
        )
        for r in rows
    ], None


def _units(scope: Scope, counts: dict[int, Counter[str]]) -> list[UnitDay]:
    tree = scope.tree
    out: list[UnitDay] = []
    communities = tree.ids_of("community")
    comm_district = tree.ancestor(communities, "district")
    for d in tree.ids_of("district").tolist():
        for level, ids in (("district", [d]), ("community", communities[comm_district == d])):
            for a in [int(x) for x in ids]:
                n = counts.get(a, Counter())
                zh, en = tree.label(a)
                values = {k: int(n[k]) for k in ZERO_KEYS}
                out.append(
                    UnitDay(
                        level=level,
                        area_id=a,
                        code=tree.code[a],
                        name=zh,
                        name_en=en,
                        district_id=d,
                        confirmed=int(n["cases.confirmed"]),
                        asymptomatic=int(n["cases.asymptomatic"]),
                        suspected=int(n["cases.suspected"]),
                        **values,
                        zero=not any(values.values()),
                    )
                )
    return out


def daily_report(
    *,
    session: Session,
    day: date,
    lake_dir: Path | None = None,
    at: datetime | None = None,
    standards: BoardStandards | None = None,
) -> DailyReport:
    """The daily report of local day ``day`` (a ``date``), read at ``at`` (default: the
    end of the day, or now when earlier).  Raises :class:`BoardInputError` when the store
    holds no city or the day is after today."""
    if not isinstance(day, date):
        raise BoardInputError("date", f"must be a date, got {day!r}")
    city = get_city(session)
    if city is None:
        raise BoardInputError("workspace", "the store holds no city yet: generate or import one")
    clock = Clock.of(city)
    today = clock.from_store(utcnow()).date()
    if at is None and day > today:
        raise BoardInputError("date", f"{day.isoformat()} is after today ({today.isoformat()})")
    tree = load_tree(session)
    scope = Scope(tree, None, None)
    w = window(clock, day, at)
    board = city_board(session=session, on=day, lake_dir=lake_dir, at=at, standards=standards)
    units: dict[int, Counter[str]] = {}
    tasks = records.tasks(session, w, scope)
    new_cases = _cases(session, w, scope, units)
    contacts = _contacts(session, w, scope, units)
    alerts = _alerts(session, w, scope, units)
    zones = _zones(session, w, scope, units)
    quarantine = _quarantine(session, w, scope, units)
    alarms, stock_error = _stock_alarms(session, w)
    rows = _units(scope, units)
    title_zh = t("board.report.title", "zh-CN", city=city.name, day=day.isoformat())
    title_en = t("board.report.title", "en", city=city.name_en, day=day.isoformat())
    return DailyReport(
        day=day,
        as_of=w.local(w.as_of),
        generated_at=w.local(utcnow()),
        city=city.name,
        city_en=city.name_en,
        title_zh=title_zh,
        title_en=title_en,
        new_cases=new_cases,
        contacts=contacts,
        alerts=alerts,
        zones=zones,
        tasks=_tasks(tasks, w),
        quarantine=quarantine,
        campaigns=_campaigns(session, w),
        stock_alarms=alarms,
        stock_error=stock_error,
        units=rows,
        zero_districts=sum(u.zero for u in rows if u.level == "district"),
        zero_communities=sum(u.zero for u in rows if u.level == "community"),
        board=board,
    )
