"""The tracing part of ``epicontrol demo``: confirm a few cases, trace them, write reports."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.tracing.rules import TracingRules
from ..domains.city.models import Person
from ..domains.city.service import city_out, get_city
from ..domains.tracing import report as report_service
from ..domains.tracing import service
from ..domains.tracing.schemas import CaseIn
from ..i18n import t
from .common import open_store, out
from .trace import _context

CATEGORIES = ("close", "secondary", "general", "yellow_code")


class TracedCase(BaseModel):
    """One demo case: who, the contact counts, and where its report is."""

    case_id: int
    person_id: int
    occupation: str
    counts: dict[str, int]
    by_relation: dict[str, dict[str, int]]
    report_html: str
    report_json: str


def tracing_demo(settings: Settings, *, cases: int = 3, days: int) -> list[TracedCase]:
    """Confirm ``cases`` residents (a pupil, an office worker, a retiree when present) with
    onset four days before the lake's last day and isolation on its last day; the first
    case's venues in its window are the designated risk venues for the yellow code."""
    engine = open_store(settings)
    ctx = _context(settings, engine, as_json=True)
    with Session(engine) as session:
        city = get_city(session=session)
        assert city is not None
        epoch = city_out(city).epoch.replace(tzinfo=None)
        people: list[tuple[int, str]] = []
        for occupation in ("student", "office_worker", "retired", "factory_worker"):
            pid = session.scalar(
                select(Person.id)
                .where(Person.occupation == occupation, Person.id % 97 == 5)
                .order_by(Person.id)
                .limit(1)
            )
            if pid is not None:
                people.append((int(pid), occupation))
    onset = epoch + timedelta(days=max(days - 4, 0), hours=8)
    isolated = epoch + timedelta(days=days) - timedelta(hours=1)
    rules = TracingRules()
    first = people[0][0]
    venues, _, _ = ctx.index.of_person(
        first, int((onset - epoch).total_seconds() // 60) - 2 * 1440, ctx.index.t_max
    )
    risk = sorted({int(v) for v in venues})[:3]
    traced: list[TracedCase] = []
    for person_id, occupation in people[:cases]:
        case = CaseIn(person_id=person_id, onset=onset, isolated=isolated, source="demo")
        with Session(engine) as session, session.begin():
            done = service.investigate(
                session=session, ctx=ctx, case=case, rules=rules, risk_venues=risk
            )
        with Session(engine) as session:
            report = report_service.build_report(
                session=session, lake=ctx.lake, case_id=done.out.case_id
            )
        json_path, html_path = report_service.write_report(
            report, settings.workspace / "reports" / "tracing", settings.lang
        )
        traced.append(
            TracedCase(
                case_id=done.out.case_id,
                person_id=person_id,
                occupation=occupation,
                counts=done.out.counts,
                by_relation=done.out.by_relation,
                report_html=str(Path(html_path).resolve()),
                report_json=str(Path(json_path).resolve()),
            )
        )
    return traced


def render_tracing(traced: list[TracedCase], lang: str) -> None:
    """Contacts per case by category and relation, and the report paths."""
    out.print(f"[bold]{t('demo.tracing', lang)}[/]")
    table = Table()
    table.add_column(t("demo.tracing.case", lang))
    for category in CATEGORIES:
        table.add_column(t(f"demo.tracing.{category}", lang), justify="right")
    table.add_column(t("demo.tracing.relations", lang))
    for c in traced:
        relations = "; ".join(
            f"{cat}: " + ", ".join(f"{rel} {n:,}" for rel, n in sorted(rels.items()))
            for cat, rels in c.by_relation.items()
            if rels and cat != "yellow_code"
        )
        table.add_row(
            f"#{c.case_id} ({c.person_id}, {c.occupation})",
            *(f"{c.counts.get(cat, 0):,}" for cat in CATEGORIES),
            relations,
        )
    out.print(table)
    for c in traced:
        out.print(f"  #{c.case_id}: {c.report_html}")
