"""The city board (一网统管 dashboard figures) and the public list of risk zones.

Keyword-only functions taking the session; they only read.  Public functions:

* :func:`city_board` — the KPIs against the standards, cases, zones, alerts,
  the epidemic curve with Rt, and the lake's syndromic counts of a day, for the
  city or one community (a grid worker's board);
* :func:`public_zones` — the current risk zones in plain language with what
  their residents must do (zh-CN and en).

KPI definitions: :mod:`.kpis`, :mod:`.capacity` and ``docs/report.md``.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core.surveillance.triggers import LEVELS as ALERT_LEVELS
from ...core.twin.rt import ParametricSI, estimate_r
from ...core.zones.rules import STATES, ZONE_LEVELS, ZoneRules, default_rules
from ...store import lake
from ..surveillance.models import Alert
from ..tracing.context import Clock
from ..tracing.models import CASE_STATUSES
from ..zones.queries import active_zones, listed_zones
from ..zones.schemas import ZoneOut
from ..zones.service import load_city
from . import capacity, kpis, records
from .kpis import text
from .records import CaseRec
from .schemas import (
    AlertLevelOut,
    BoardOut,
    CaseCounts,
    CurveOut,
    CurvePoint,
    KpiOut,
    PublicZone,
    RtOut,
    RtPoint,
    SignalOut,
    SignalsOut,
    ZoneLevelOut,
)
from .scope import (
    AreaTree,
    BoardInputError,
    BoardNotFound,
    Scope,
    Window,
    get_city,
    load_tree,
    resolve_scope,
    utcnow,
    window,
)
from .standards import BoardStandards

__all__ = [
    "KPI_KEYS",
    "SI_MEAN",
    "SI_SD",
    "BoardInputError",
    "BoardNotFound",
    "BoardStandards",
    "city_board",
    "public_zones",
]

#: The board's KPIs, in display order.
KPI_KEYS: Final = (
    "alert_latency",
    "handover",
    "on_time",
    "disposal",
    "coverage",
    "quarantine",
    "hospital",
    "icu",
    "stock",
)
#: Serial interval of the Omicron BA.1 variant: mean 3.5 d, sd 2.4 d — Backer JA et al.,
#: "Shorter serial intervals in SARS-CoV-2 cases with Omicron BA.1 variant compared with
#: Delta variant, the Netherlands, 13 to 26 December 2021", Euro Surveill 2022;27(6):2200042.
SI_MEAN: Final = 3.5
SI_SD: Final = 2.4
SI_SOURCE: Final = "Backer et al., Euro Surveill 2022;27(6):2200042 (Omicron BA.1)"
#: Windows whose posterior coefficient of variation exceeds this are not shown (Cori et al.).
RT_CV_MAX: Final = 0.3
#: Case statuses of the curve's infections (suspected cases are not counted for Rt).
INFECTIONS: Final = ("confirmed", "asymptomatic")


# --------------------------------------------------------------------------- cases


def case_counts(cases: list[CaseRec], w: Window) -> CaseCounts:
    week = w.on - timedelta(days=6)
    today: Counter[str] = Counter()
    last7: Counter[str] = Counter()
    total: Counter[str] = Counter()
    for c in cases:
        day = w.day_of(c.reported_at)
        total[c.status] += 1
        if day == w.on:
            today[c.status] += 1
        if week <= day <= w.on:
            last7[c.status] += 1
    return CaseCounts(
        today={s: today[s] for s in CASE_STATUSES},
        last_7_days={s: last7[s] for s in CASE_STATUSES},
        total={s: total[s] for s in CASE_STATUSES},
    )


def _rt(days: list[CurvePoint]) -> RtOut:
    base = {"si_mean": SI_MEAN, "si_sd": SI_SD, "si_source": SI_SOURCE, "cv_max": RT_CV_MAX}
    counts = np.array([d.confirmed + d.asymptomatic for d in days], np.int64)
    if len(counts) < 8:
        zh, en = text("board.reason.rt_days", days=len(counts))
        return RtOut(status="no_data", reason_zh=zh, reason_en=en, **base)
    est = estimate_r(counts, si=ParametricSI(SI_MEAN, SI_SD))
    q = est.quantile_levels
    lo, hi = est.quantiles[:, q.index(0.025)], est.quantiles[:, q.index(0.975)]
    series = [
        RtPoint(
            day=days[int(te) - 1].day,
            mean=round(float(m), 4),
            lower=round(float(a), 4),
            upper=round(float(b), 4),
            cv=round(float(cv), 4),
        )
        for te, m, a, b, cv in zip(est.t_end, est.mean, lo, hi, est.posterior_cv, strict=True)
        if float(cv) <= RT_CV_MAX
    ]
    if not series:
        zh, en = text("board.reason.rt_cv", cv=RT_CV_MAX, cases=int(counts[-7:].sum()))
        return RtOut(status="no_data", reason_zh=zh, reason_en=en, **base)
    last = series[-1]
    return RtOut(
        status="ok",
        value=last.mean,
        lower=last.lower,
        upper=last.upper,
        window_start=last.day - timedelta(days=6),
        window_end=last.day,
        series=series,
        **base,
    )


def epidemic_curve(cases: list[CaseRec], w: Window) -> CurveOut:
    """Cases per local report day from the first case to the board's day, and Rt."""
    by_day: dict[date, Counter[str]] = {}
    for c in cases:
        day = w.day_of(c.reported_at)
        if day <= w.on:
            by_day.setdefault(day, Counter())[c.status] += 1
    days: list[CurvePoint] = []
    if by_day:
        first = min(by_day)
        for k in range((w.on - first).days + 1):
            day = first + timedelta(days=k)
            n = by_day.get(day, Counter())
            days.append(
                CurvePoint(
                    day=day,
                    confirmed=n["confirmed"],
                    asymptomatic=n["asymptomatic"],
                    suspected=n["suspected"],
                )
            )
    return CurveOut(days=days, rt=_rt(days))


# --------------------------------------------------------------------------- zones, alerts


def scoped_zones(
    session: Session, w: Window, scope: Scope, today: bool, reuse: bool = False
) -> list[ZoneOut]:
    """Zones active at the end of the board's day (now, for today) in the scope;
    ``reuse``: the process's list while the zones are unchanged
    (:func:`~..zones.queries.listed_zones`)."""
    on = None if today else w.on
    if reuse:
        zones = listed_zones(session=session, active=True, on=on)
    else:
        zones = active_zones(session=session, on=on)
    if scope.community is None:
        return zones
    keep = scope.keep(np.array([z.area_id for z in zones], np.int64))
    return [z for z, k in zip(zones, keep, strict=True) if k]


def zone_levels(zones: list[ZoneOut]) -> list[ZoneLevelOut]:
    out = []
    for level in ZONE_LEVELS:
        rows = [z for z in zones if z.level == level]
        zh, en = text(f"zones.level.{level}")
        out.append(
            ZoneLevelOut(
                level=level,
                label_zh=zh,
                label_en=en,
                units=len(rows),
                residents=sum(z.residents for z in rows),
            )
        )
    return out


def open_alerts(session: Session, w: Window, scope: Scope) -> list[AlertLevelOut]:
    """Alerts raised by ``as_of`` and not closed then, by level."""
    rows = session.execute(
        select(Alert.area_id, Alert.level).where(
            Alert.raised_at <= w.as_of,
            Alert.closed_at.is_(None) | (Alert.closed_at > w.as_of),
        )
    ).all()
    n = Counter(str(level) for area, level in rows if kpis.alert_in_scope(scope, int(area)))
    out = []
    for level in ALERT_LEVELS:
        zh, en = text(f"surveil.level.{level}")
        out.append(AlertLevelOut(level=level, label_zh=zh, label_en=en, open=n[level]))
    return out


# --------------------------------------------------------------------------- signals


def syndromic(lake_dir: Path | None, clock: Clock, w: Window, scope: Scope) -> SignalsOut:
    """The lake's syndromic counts on the board's day per signal (in the scope) and the
    mean of the 7 days before."""
    if lake_dir is None:
        zh, en = text("board.reason.no_lake")
        return SignalsOut(status="no_data", reason_zh=zh, reason_en=en)
    day = (w.on - clock.day_date(0)).days
    if day not in lake.partition_days(lake_dir, "syndromic"):
        zh, en = text("board.reason.no_signal_day", day=w.on.isoformat())
        return SignalsOut(status="no_data", reason_zh=zh, reason_en=en, day=day)
    con = lake.connect(lake_dir)
    try:
        rows = con.execute(
            "SELECT area_id, signal, day, sum(count) FROM syndromic "
            "WHERE day BETWEEN ? AND ? GROUP BY area_id, signal, day",
            [day - 7, day],
        ).fetchall()
    finally:
        con.close()
    keep = scope.keep(np.array([r[0] for r in rows], np.int64))
    today: Counter[str] = Counter()
    before: dict[str, Counter[int]] = {}
    for (_, signal, d, n), k in zip(rows, keep, strict=True):
        if not k:
            continue
        if d == day:
            today[signal] += int(n)
        else:
            before.setdefault(signal, Counter())[int(d)] += int(n)
    prior_days = [d for d in range(day - 7, day) if d >= 0]
    out = []
    for signal in sorted(set(today) | set(before)):
        history = before.get(signal, Counter())
        mean = sum(history[d] for d in prior_days) / len(prior_days) if prior_days else None
        out.append(
            SignalOut(
                signal=signal,
                count=today[signal],
                baseline_mean=None if mean is None else round(mean, 3),
            )
        )
    return SignalsOut(status="ok", day=day, signals=out)


# --------------------------------------------------------------------------- board


def _empty_board(on: date | None, scope_id: int | None) -> BoardOut:
    if scope_id is not None:
        raise BoardNotFound(f"community_id: unknown area id {scope_id} (the store holds no city)")
    std = BoardStandards()
    zero = {s: 0 for s in CASE_STATUSES}
    clock = Clock(datetime(1970, 1, 1), 0)
    w = window(clock, on, None)
    tree = AreaTree(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), [], [], [])
    scope = Scope(tree, None, None)
    reason = text("board.reason.no_city")
    shells = _kpis_without_city(std, reason)
    return BoardOut(
        on=w.on,
        as_of=w.local(w.as_of),
        scope=scope.out(),
        kpis=shells,
        cases=CaseCounts(today=zero, last_7_days=dict(zero), total=dict(zero)),
        zones=zone_levels([]),
        alerts=[
            AlertLevelOut(level=lv, label_zh=zh, label_en=en, open=0)
            for lv in ALERT_LEVELS
            for zh, en in [text(f"surveil.level.{lv}")]
        ],
        curve=CurveOut(days=[], rt=_rt([])),
        signals=SignalsOut(status="no_data", reason_zh=reason[0], reason_en=reason[1]),
    )


def _kpis_without_city(std: BoardStandards, reason: tuple[str, str]) -> list[KpiOut]:
    lat, hand = std.alert_latency_hours * 60, std.handover_hours * 60
    specs = {
        "alert_latency": std.standard(lat, "at_most", "min", "Fuzhou", lat * std.warn_share),
        "handover": std.standard(hand, "at_most", "min", "Fuzhou", hand * std.warn_share),
        "on_time": std.standard(
            std.on_time_rate, "at_least", "share", "DESIGN §3", std.on_time_warn
        ),
        "disposal": std.standard(
            std.disposal_hours,
            "at_most",
            "h",
            "Shenzhen 1+4+6+24",
            std.disposal_hours * std.warn_share,
        ),
        "coverage": std.standard(std.coverage, "at_least", "share", "plans 001, 002", None),
        "quarantine": std.standard(
            std.quarantine_occupancy,
            "at_most",
            "share",
            "DESIGN §3",
            std.quarantine_occupancy * std.warn_share,
        ),
    }
    occ = std.hospital_occupancy
    for key in ("hospital", "icu"):
        specs[key] = std.standard(occ, "at_most", "share", "plan 001, Fuzhou", occ * std.warn_share)
    specs["stock"] = std.standard(0.0, "at_least", "d", "Fuzhou, plans 001, 002", None)
    return [kpis.kpi(key, None, specs[key].unit, specs[key], "no_data", reason) for key in KPI_KEYS]


def city_board(
    *,
    session: Session,
    on: date | None = None,
    lake_dir: Path | None = None,
    community_id: int | None = None,
    at: datetime | None = None,
    standards: BoardStandards | None = None,
    reuse_zones: bool = False,
) -> BoardOut:
    """The board of local day ``on`` (default today) for the city or one community.

    Read at ``at`` (default: the end of the day, or now for today); records
    after it are left out.  ``lake_dir`` adds the day's syndromic counts.
    ``reuse_zones`` takes the zones from the process's zone list while the
    zones are unchanged (the service's cached boards; resident counts as of
    when that list was made).
    Raises :class:`BoardNotFound` for an unknown ``community_id`` and
    :class:`BoardInputError` for an area that is not a community.
    """
    std = standards or BoardStandards()
    city = get_city(session)
    if city is None:
        return _empty_board(on, community_id)
    clock = Clock.of(city)
    tree = load_tree(session)
    scope = resolve_scope(tree, community_id)
    w = window(clock, on, at)
    today = at is None and w.on == clock.from_store(utcnow()).date()
    cases = records.cases(session, w, scope)
    tasks = records.tasks(session, w, scope)
    board_kpis = [
        kpis.alert_latency(session=session, w=w, scope=scope, std=std),
        kpis.handover(tasks=tasks, w=w, std=std, scope=scope),
        kpis.on_time(tasks=tasks, w=w, std=std),
        kpis.disposal_cycle(session=session, tasks=tasks, w=w, std=std),
        kpis.testing_coverage(session=session, w=w, scope=scope, std=std),
        kpis.quarantine_occupancy(session=session, w=w, scope=scope, std=std),
        *capacity.occupancy(session=session, on=w.on, scope=scope, std=std),
        capacity.stock(session=session, on=w.on, scope=scope, std=std),
    ]
    if scope.community is not None:
        for k in board_kpis:
            if k.scope == "city" and k.key in ("handover", "on_time", "disposal"):
                k.scope = "community"
    return BoardOut(
        on=w.on,
        as_of=w.local(w.as_of),
        scope=scope.out(),
        kpis=board_kpis,
        cases=case_counts(cases, w),
        zones=zone_levels(scoped_zones(session, w, scope, today, reuse_zones)),
        alerts=open_alerts(session, w, scope),
        curve=epidemic_curve(cases, w),
        signals=syndromic(lake_dir, clock, w, scope),
    )


# --------------------------------------------------------------------------- public


def public_zones(
    *, session: Session, on: date | None = None, rules: ZoneRules | None = None
) -> list[PublicZone]:
    """Current risk zones (active now, or at the end of local day ``on``), strictest first,
    with what their residents must do and the earliest day they can change without a new
    case (``level_day`` + the rule's clear days; null when no rule moves the level)."""
    if get_city(session) is None:
        return []
    rules = rules or default_rules()
    city = load_city(session)
    tree = load_tree(session)
    zones = active_zones(session=session, on=on, city=city)
    ids = np.array([z.area_id for z in zones], np.int64)
    district = tree.ancestor(ids, "district")
    community = tree.ancestor(ids, "community")
    out = []
    for z, d, c in zip(zones, district.tolist(), community.tolist(), strict=True):
        rule = rules.downgrade_from(STATES.index(z.level))
        level_zh, level_en = text(f"zones.level.{z.level}")
        advice_zh, advice_en = text(f"board.advice.{z.level}")
        out.append(
            PublicZone(
                zone_id=z.id,
                level=z.level,
                level_zh=level_zh,
                level_en=level_en,
                area_id=z.area_id,
                name=z.area_name,
                name_en=z.area_name_en,
                unit_level=z.unit_level,
                district=tree.name[d] if d >= 0 else None,
                district_en=tree.name_en[d] if d >= 0 else None,
                community=tree.name[c] if c >= 0 else None,
                community_en=tree.name_en[c] if c >= 0 else None,
                since=z.level_day,
                advice_zh=advice_zh,
                advice_en=advice_en,
                earliest_change=None
                if rule is None
                else z.level_day + timedelta(days=rule.days_without_case),
            )
        )
    order = {lv: i for i, lv in enumerate(ZONE_LEVELS)}
    out.sort(key=lambda p: (order[p.level], p.district or "", p.name, p.zone_id))
    return out
