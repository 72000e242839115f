"""The per-case report 一图一表一报告: timeline and map, contact table, written summary.

:func:`build_report` gathers the case's current investigation from the store
and its visits from the check-in index into a :class:`CaseReport` (the JSON
form); :func:`write_report` writes it as JSON and as a self-contained HTML page
(inline SVG, no external resources) rendered from ``templates/report.html.j2``.
Phone and ID numbers are masked (:mod:`epicontrol.privacy`).
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

import numpy as np
from jinja2 import Environment, PackageLoader, select_autoescape
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...i18n import t
from ...privacy import mask_id_number, mask_phone
from ..city.models import Area, Person, Venue
from .context import MINUTES_PER_DAY, Clock, LakeIndex, areas_by_id
from .models import CATEGORIES, Contact
from .schemas import (
    CaseReport,
    DayCount,
    MapCommunity,
    MapVenue,
    PersonBrief,
    ReportContact,
    Visit,
)
from .service import current_investigation, get_case

LANGS: Final = ("zh-CN", "en")
#: Rows of a category shown in the HTML table (the JSON always has all of them).
HTML_ROWS: Final = 1000
#: Hours from the report to each step of the 1+4+6+24 playbook (DESIGN.md §3).
PLAYBOOK_HOURS: Final = {"core": 4, "transfer": 6, "screen": 24}


def _home(session: Session, building_id: int) -> dict[str, Area]:
    """The areas above a building, by level."""
    out: dict[str, Area] = {}
    area = session.get(Area, building_id)
    while area is not None:
        out[area.level] = area
        area = session.get(Area, area.parent_id) if area.parent_id is not None else None
    return out


def _brief(session: Session, person: Person) -> PersonBrief:
    home = _home(session, person.building_id)
    community, district = home.get("community"), home.get("district")
    return PersonBrief(
        id=person.id,
        age=person.age,
        sex=person.sex,
        occupation=person.occupation,
        phone=mask_phone(person.phone),
        id_number=mask_id_number(person.id_number),
        community_id=community.id if community else None,
        community=community.name if community else "",
        district=district.name if district else "",
        home_jurisdiction=person.home_jurisdiction,
    )


def _venues(session: Session, ids: set[int]) -> dict[int, Venue]:
    out: dict[int, Venue] = {}
    unique = sorted(ids)
    for i in range(0, len(unique), 1000):
        for v in session.scalars(select(Venue).where(Venue.id.in_(unique[i : i + 1000]))):
            out[v.id] = v
    return out


def build_report(
    *, session: Session, lake: LakeIndex, case_id: int, now: datetime | None = None
) -> CaseReport:
    """The report of case ``case_id`` from its current investigation (read only)."""
    clock: Clock = lake.clock
    case = get_case(session=session, case_id=case_id)
    inv = current_investigation(session=session, case_id=case_id)
    rules: dict[str, Any] = json.loads(inv.rules)
    person = session.get(Person, case.person_id)
    if person is None:  # pragma: no cover - the foreign key forbids it
        raise LookupError(f"person {case.person_id} of case {case_id} does not exist")
    contacts = session.execute(
        select(
            Contact.category,
            Contact.person_id,
            Contact.relation,
            Contact.first_exposure_at,
            Contact.last_exposure_at,
            Contact.overlap_minutes,
            Contact.venue_id,
            Contact.via_person_id,
            Contact.home_community_id,
            Contact.priority,
            Person.age,
            Person.sex,
            Person.phone,
            Person.id_number,
            Person.home_jurisdiction,
        )
        .join(Person, Person.id == Contact.person_id)
        .where(Contact.investigation_id == inv.id)
        .order_by(Contact.priority, Contact.first_exposure_at, Contact.person_id)
    ).all()

    # the case's visits in the window (clipped to the lake)
    start = max(clock.store_minutes(inv.window_start_at), lake.first_day * MINUTES_PER_DAY)
    end = min(clock.store_minutes(inv.window_end_at), (lake.last_day + 1) * MINUTES_PER_DAY)
    empty = np.zeros(0, np.int32)
    v_ids, t_ins, t_outs = (
        (np.asarray(a) for a in lake.index.of_person(case.person_id, start, end))
        if end > start
        else (empty, empty, empty)
    )
    order = np.argsort(t_ins, kind="stable")
    visits_raw = [(int(v_ids[i]), int(t_ins[i]), int(t_outs[i])) for i in order]
    venue_ids = {v for v, _, _ in visits_raw} | {c.venue_id for c in contacts if c.venue_id}
    venues = _venues(session, venue_ids)
    communities = areas_by_id(session, [c.home_community_id or -1 for c in contacts])

    gap = int(rules.get("general_window_minutes", 60))
    spans: defaultdict[int, list[tuple[int, int]]] = defaultdict(list)
    for c in contacts:
        if c.venue_id is not None and c.relation == "venue":
            spans[c.venue_id].append(
                (clock.store_minutes(c.first_exposure_at), clock.store_minutes(c.last_exposure_at))
            )
    timeline: list[Visit] = []
    for vid, t_in, t_out in visits_raw:
        venue = venues.get(vid)
        near = sum(1 for a, b in spans.get(vid, ()) if a <= t_out + gap and b >= t_in - gap)
        timeline.append(
            Visit(
                venue_id=vid,
                venue=venue.name if venue else str(vid),
                venue_type=venue.type if venue else "",
                lon=venue.lon if venue else None,
                lat=venue.lat if venue else None,
                t_in=clock.local(t_in),
                t_out=clock.local(t_out),
                minutes=t_out - t_in,
                contacts=near,
            )
        )

    table: dict[str, list[ReportContact]] = {c: [] for c in CATEGORIES}
    per_day: defaultdict[str, Counter[str]] = defaultdict(Counter)
    per_venue: Counter[int] = Counter()
    per_community: defaultdict[int, Counter[str]] = defaultdict(Counter)
    by_relation: dict[str, dict[str, int]] = json.loads(inv.counts)
    for c in contacts:
        first = clock.from_store(c.first_exposure_at)
        per_day[first.date().isoformat()][c.category] += 1
        if c.venue_id is not None:
            per_venue[c.venue_id] += 1
        if c.home_community_id is not None:
            per_community[c.home_community_id][c.category] += 1
        community = communities.get(c.home_community_id or -1)
        venue = venues.get(c.venue_id or -1)
        table[c.category].append(
            ReportContact(
                person_id=c.person_id,
                relation=c.relation,
                first_exposure=first,
                last_exposure=clock.from_store(c.last_exposure_at),
                overlap_minutes=c.overlap_minutes,
                venue_id=c.venue_id,
                venue=venue.name if venue else None,
                via_person=c.via_person_id,
                age=c.age,
                sex=c.sex,
                phone=mask_phone(c.phone),
                id_number=mask_id_number(c.id_number),
                community=community.name if community else "",
                home_jurisdiction=c.home_jurisdiction,
                priority=c.priority,
            )
        )

    visit_count = Counter(v for v, _, _ in visits_raw)
    map_venues = [
        MapVenue(
            venue_id=vid,
            name=v.name,
            type=v.type,
            lon=v.lon,
            lat=v.lat,
            visits=visit_count.get(vid, 0),
            contacts=per_venue.get(vid, 0),
        )
        for vid, v in sorted(venues.items())
        if v.lon is not None and v.lat is not None
    ]
    map_communities = [
        MapCommunity(
            community_id=aid,
            name=a.name,
            lon=a.lon,
            lat=a.lat,
            counts={cat: per_community[aid].get(cat, 0) for cat in CATEGORIES},
        )
        for aid, a in sorted(communities.items())
        if a.lon is not None and a.lat is not None
    ]
    report = CaseReport(
        generated_at=(now or datetime.now(UTC)).astimezone(clock.tz),
        city=lake.city_name,
        case_id=case.id,
        status=case.status,
        person=_brief(session, person),
        onset=clock.from_store(case.onset_at) if case.onset_at else None,
        sample=clock.from_store(case.sample_at) if case.sample_at else None,
        isolated=clock.from_store(case.isolated_at) if case.isolated_at else None,
        reported=clock.from_store(case.reported_at),
        source=case.source,
        investigation_id=inv.id,
        investigated_at=clock.from_store(inv.completed_at),
        window_start=clock.from_store(inv.window_start_at),
        window_end=clock.from_store(inv.window_end_at),
        rules=rules,
        index_version=inv.index_version,
        counts={cat: len(table[cat]) for cat in CATEGORIES},
        by_relation={cat: by_relation.get(cat, {}) for cat in CATEGORIES},
        per_day=[
            DayCount(date=day, counts={cat: per_day[day].get(cat, 0) for cat in CATEGORIES})
            for day in sorted(per_day)
        ],
        timeline=timeline,
        map_venues=map_venues,
        map_communities=map_communities,
        contacts=table,
        summary={},
    )
    report.summary = {lang: summary_text(report, lang) for lang in LANGS}
    return report


# --------------------------------------------------------------------------- summary


def _fmt(when: datetime | None) -> str:
    return "" if when is None else when.strftime("%Y-%m-%d %H:%M")


def summary_text(report: CaseReport, lang: str) -> str:
    """The written report (一报告) in ``lang``."""
    p = report.person
    anchor_key, anchor = (
        ("sample", report.sample) if report.status == "asymptomatic" else ("onset", report.onset)
    )
    parts = [
        t(
            "tracing.summary.case",
            lang,
            status=t(f"tracing.status.{report.status}", lang),
            case_id=report.case_id,
            age=p.age,
            sex=t(f"tracing.sex.{p.sex}", lang),
            district=p.district,
            community=p.community,
            anchor_label=t(f"tracing.anchor.{anchor_key}", lang),
            anchor=_fmt(anchor),
            start=_fmt(report.window_start),
            end=_fmt(report.window_end),
        )
    ]
    if report.timeline:
        longest = max(report.timeline, key=lambda v: v.minutes)
        parts.append(
            t(
                "tracing.summary.visits",
                lang,
                visits=len(report.timeline),
                venues=len({v.venue_id for v in report.timeline}),
                venue=longest.venue,
                minutes=longest.minutes,
            )
        )
    else:
        parts.append(t("tracing.summary.no_visits", lang))
    close = report.by_relation.get("close", {})
    sep = "、" if lang == "zh-CN" else ", "
    detail = sep.join(
        t("tracing.detail", lang, relation=t(f"tracing.relation.{rel}", lang), n=n)
        for rel, n in sorted(close.items(), key=lambda kv: -kv[1])
    ) or t("tracing.none", lang)
    parts.append(
        t(
            "tracing.summary.contacts",
            lang,
            close=report.counts["close"],
            detail=detail,
            secondary=report.counts["secondary"],
            general=report.counts["general"],
            yellow=report.counts["yellow_code"],
        )
    )
    rows = [r for cat in CATEGORIES for r in report.contacts[cat]]
    if rows:
        elsewhere = {r.person_id for r in rows if r.home_jurisdiction}
        parts.append(
            t(
                "tracing.summary.routing",
                lang,
                communities=len({r.community for r in rows if r.community}),
                elsewhere=len(elsewhere),
            )
        )
    due = {k: report.reported + timedelta(hours=h) for k, h in PLAYBOOK_HOURS.items()}
    parts.append(
        t(
            "tracing.summary.deadline",
            lang,
            core=_fmt(due["core"]),
            transfer=_fmt(due["transfer"]),
            screen=_fmt(due["screen"]),
        )
    )
    return ("" if lang == "zh-CN" else " ").join(parts)


# --------------------------------------------------------------------------- HTML


def _project(
    points: list[tuple[float, float]], width: float, height: float, pad: float = 24.0
) -> list[tuple[float, float]]:
    """Equirectangular projection of (lon, lat) into a ``width`` × ``height`` box."""
    if not points:
        return []
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    mid = math.cos(math.radians((min(lats) + max(lats)) / 2))
    span_x = max((max(lons) - min(lons)) * mid, 1e-6)
    span_y = max(max(lats) - min(lats), 1e-6)
    scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
    return [
        (
            pad + (lon - min(lons)) * mid * scale,
            height - pad - (lat - min(lats)) * scale,
        )
        for lon, lat in points
    ]


def _figures(report: CaseReport) -> dict[str, Any]:
    """Shapes of the inline SVG charts: map, timeline and contacts per day."""
    venues = report.map_venues
    comms = report.map_communities
    xy = _project([(v.lon, v.lat) for v in venues] + [(c.lon, c.lat) for c in comms], 640, 420)
    visited = {v.venue_id for v in report.timeline}
    map_venues = [
        {
            "x": x,
            "y": y,
            "r": 4 + min(math.sqrt(v.contacts), 12),
            "visited": v.venue_id in visited,
            "title": f"{v.name} ({v.type}) · {v.visits} / {v.contacts}",
        }
        for v, (x, y) in zip(venues, xy[: len(venues)], strict=True)
    ]
    map_comms = [
        {"x": x, "y": y, "n": sum(c.counts.values()), "title": f"{c.name}: {c.counts}"}
        for c, (x, y) in zip(comms, xy[len(venues) :], strict=True)
    ]
    start = report.window_start
    days = max((report.window_end - start).total_seconds() / 86400, 1 / 24)
    width = 640.0
    bars = [
        {
            "x": 60 + (v.t_in - start).total_seconds() / 86400 / days * (width - 70),
            "w": max(v.minutes / 1440 / days * (width - 70), 1.5),
            "y": 10 + 18 * (i % 8),
            "title": f"{_fmt(v.t_in)}–{v.t_out.strftime('%H:%M')} {v.venue} ({v.contacts})",
        }
        for i, v in enumerate(report.timeline)
    ]
    ticks = [
        {"x": 60 + d / days * (width - 70), "label": (start + timedelta(days=d)).strftime("%m-%d")}
        for d in range(math.ceil(days) + 1)
        if d <= days
    ]
    top = max((sum(d.counts.values()) for d in report.per_day), default=1) or 1
    step = (width - 70) / max(len(report.per_day), 1)
    columns = []
    for i, d in enumerate(report.per_day):
        y = 170.0
        for cat in CATEGORIES:
            h = d.counts[cat] / top * 150
            if h > 0:
                columns.append(
                    {"x": 60 + i * step, "y": y - h, "w": step * 0.8, "h": h, "cat": cat}
                )
            y -= h
    labels = [{"x": 60 + i * step, "label": d.date[5:]} for i, d in enumerate(report.per_day)]
    return {
        "map_venues": map_venues,
        "map_communities": map_comms,
        "bars": bars,
        "ticks": ticks,
        "columns": columns,
        "day_labels": labels,
        "day_top": top,
        "relations": sorted({rel for cat in CATEGORIES for rel in report.by_relation[cat]}),
    }


def render_html(report: CaseReport, lang: str) -> str:
    """The report as a self-contained HTML page in ``lang``."""
    env = Environment(
        loader=PackageLoader("epicontrol.domains.tracing", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    template = env.get_template("report.html.j2")

    def tr(key: str, **kwargs: Any) -> str:
        return t(key, lang, **kwargs)

    return template.render(
        r=report,
        lang=lang,
        t=tr,
        fmt=_fmt,
        categories=CATEGORIES,
        figures=_figures(report),
        html_rows=HTML_ROWS,
    )


def write_report(report: CaseReport, out_dir: Path, lang: str) -> tuple[Path, Path]:
    """Write ``case-<id>.json`` and ``case-<id>.html`` into ``out_dir``; returns both paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"case-{report.case_id}"
    json_path, html_path = stem.with_suffix(".json"), stem.with_suffix(".html")
    for path, content in (
        (json_path, report.model_dump_json(indent=2)),
        (html_path, render_html(report, lang)),
    ):
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
    return json_path, html_path
