"""The daily-report part of ``epicontrol demo``: the demo day's 日报 with its zero-reports.

The demo day is the local day of the latest case report.  The report is read
as of the newest task event in the store when that is later than now (the
tasks drill stamps its simulated completions ahead of the clock), bounded by
the end of the day.  It is written under ``<workspace>/reports/daily`` as
JSON, HTML and — when Chromium is installed — PDF.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..config import Settings
from ..domains.board import render
from ..domains.board.report import daily_report
from ..domains.board.scope import get_city, utcnow
from ..domains.tasks.models import TaskEvent
from ..domains.tracing.context import Clock
from ..domains.tracing.models import Case
from ..i18n import t
from .common import open_store, out


class KpiStatus(BaseModel):
    key: str
    label_zh: str
    label_en: str
    value: float | None
    unit: str
    status: str
    reason_zh: str | None
    reason_en: str | None


class ReportDemo(BaseModel):
    """What the report demo wrote: the day, the files, the KPI statuses, the zero-reports."""

    day: str
    as_of: str
    files: dict[str, str]
    pdf_note: str | None
    title_zh: str
    title_en: str
    new_cases: dict[str, int]
    kpis: list[KpiStatus]
    districts: int
    communities: int
    zero_districts: int
    zero_communities: int


def report_demo(settings: Settings, *, pdf: bool = True) -> ReportDemo:
    """Write the daily report of the demo day (see the module docstring)."""
    engine = open_store(settings)
    with Session(engine) as session:
        city = get_city(session)
        if city is None:
            raise RuntimeError("the demo store holds no city")
        clock = Clock.of(city)
        last_case = session.scalar(select(func.max(Case.reported_at)))
        last_event = session.scalar(select(func.max(TaskEvent.at)))
        now = utcnow()
        day = clock.from_store(last_case or now).date()
        at: datetime | None = None
        if last_event is not None and last_event > now:
            at = clock.from_store(last_event)
        report = daily_report(session=session, day=day, lake_dir=settings.lake_dir, at=at)
    note = None
    want_pdf = pdf and render.CHROMIUM.exists()
    if pdf and not want_pdf:
        note = t("board.report.pdf_missing", settings.lang, path=render.CHROMIUM)
    paths = render.write_report(
        report, settings.workspace / "reports" / "daily", settings.lang, pdf=want_pdf
    )
    return ReportDemo(
        day=report.day.isoformat(),
        as_of=report.as_of.isoformat(),
        files={k: str(p.resolve()) for k, p in paths.items()},
        pdf_note=note,
        title_zh=report.title_zh,
        title_en=report.title_en,
        new_cases=report.new_cases,
        kpis=[
            KpiStatus(
                key=k.key,
                label_zh=k.label_zh,
                label_en=k.label_en,
                value=k.value,
                unit=k.unit,
                status=k.status,
                reason_zh=k.reason_zh,
                reason_en=k.reason_en,
            )
            for k in report.board.kpis
        ],
        districts=sum(u.level == "district" for u in report.units),
        communities=sum(u.level == "community" for u in report.units),
        zero_districts=report.zero_districts,
        zero_communities=report.zero_communities,
    )


def _value(k: KpiStatus) -> str:
    if k.value is None:
        return "—"
    return f"{k.value:.1%}" if k.unit == "share" else f"{k.value:,.1f} {k.unit}"


def render_report(result: ReportDemo, lang: str) -> None:
    """The demo day's KPI statuses, the zero-report counts and the files written."""
    zh = lang == "zh-CN"
    out.print(f"[bold]{result.title_zh if zh else result.title_en}[/]")
    table = Table(title=t("board.report.kpis", lang))
    for key in ("kpi", "value", "status", "note"):
        table.add_column(t(f"board.report.col.{key}", lang))
    colour = {"ok": "green", "warn": "yellow", "breach": "red", "no_data": "dim"}
    for k in result.kpis:
        table.add_row(
            k.label_zh if zh else k.label_en,
            _value(k),
            f"[{colour[k.status]}]{t('board.status.' + k.status, lang)}[/]",
            (k.reason_zh if zh else k.reason_en) or "",
        )
    out.print(table)
    out.print(
        t(
            "board.report.zero_note",
            lang,
            districts=f"{result.zero_districts}/{result.districts}",
            communities=f"{result.zero_communities}/{result.communities}",
        )
    )
    if result.pdf_note:
        out.print(f"[yellow]{result.pdf_note}[/]")
    out.print(t("board.report.written", lang, files=", ".join(result.files.values())))
