"""``epicontrol report``: the daily report (日报, with zero-reports) and the city board.

``daily --date D`` writes ``daily-D.json`` (both languages), ``daily-D.<lang>.html``
(self-contained: inline CSS and SVG) and ``daily-D.<lang>.pdf`` (printed by
headless Chromium; ``--no-pdf`` skips it) into ``--out`` (default
``<workspace>/reports/daily``).  ``board`` prints the board's KPIs of a day
for the city or one community.

Exit codes as everywhere: 2 bad input (a date, a language), 3 workspace
conflict (no city in the store; Chromium missing for the PDF), 4 not found
(an unknown community) or the PDF print failed.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..domains.board import render
from ..domains.board.report import daily_report
from ..domains.board.schemas import BoardOut
from ..domains.board.scope import BoardInputError, BoardNotFound
from ..domains.board.service import city_board
from ..domains.tracing.context import parse_when
from ..i18n import t
from .common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    fail,
    open_store,
    out,
    print_json,
    progress_bar,
    settings_for,
)

app = typer.Typer(
    help="Daily report (日报, with zero-reports) and the city board's figures.",
    no_args_is_help=True,
)

DateOpt = Annotated[str, typer.Option("--date", help="Local day of the report: 2026-11-16.")]


def _day(value: str, as_json: bool) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        fail(f"--date: must be an ISO date (2026-11-16), got {value!r}", as_json=as_json, code=2)


def _at(value: str | None, as_json: bool) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        fail(f"--at: {exc}", as_json=as_json, code=2)


def _lang(lang: str, as_json: bool) -> None:
    if lang not in ("zh-CN", "en"):
        fail(f"--lang: must be zh-CN or en, got {lang!r}", as_json=as_json, code=2)


@app.command("daily")
def daily_cmd(
    day: DateOpt,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for the files (default <workspace>/reports/daily)."),
    ] = None,
    no_pdf: Annotated[bool, typer.Option("--no-pdf", help="Skip the PDF (no Chromium).")] = False,
    at: Annotated[
        str | None,
        typer.Option("--at", help="Read the store as of this local time (default: end of day)."),
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Write the daily report of --date as JSON, HTML and PDF, zero-reports included."""
    _lang(lang, as_json)
    when = _day(day, as_json)
    at_time = _at(at, as_json)
    settings = settings_for(workspace, lang)
    if not no_pdf and not render.CHROMIUM.exists():
        fail(t("board.report.pdf_missing", lang, path=render.CHROMIUM), as_json=as_json, code=3)
    engine = open_store(settings)
    with progress_bar() as progress:
        task = progress.add_task(t("board.report.progress", lang), total=3 if not no_pdf else 2)
        with Session(engine) as session:
            try:
                report = daily_report(
                    session=session, day=when, lake_dir=settings.lake_dir, at=at_time
                )
            except BoardInputError as exc:
                fail(str(exc), as_json=as_json, code=3 if exc.field == "workspace" else 2)
        progress.advance(task)
        directory = out_dir or settings.workspace / "reports" / "daily"
        try:
            paths = render.write_report(report, directory, lang, pdf=not no_pdf)
        except render.ChromiumMissing as exc:
            fail(str(exc), as_json=as_json, code=3)
        except render.PdfError as exc:
            fail(str(exc), as_json=as_json, code=4)
        progress.advance(task, 2 if not no_pdf else 1)
    files = {k: str(p.resolve()) for k, p in paths.items()}
    if as_json:
        print_json(
            {
                "day": report.day.isoformat(),
                "files": files,
                "new_cases": report.new_cases,
                "zero_districts": report.zero_districts,
                "zero_communities": report.zero_communities,
                "kpis": {k.key: k.status for k in report.board.kpis},
            }
        )
        return
    out.print(f"[bold]{report.title_zh if lang == 'zh-CN' else report.title_en}[/]")
    out.print(board_table(report.board, lang))
    out.print(t("board.report.written", lang, files=", ".join(files.values())))


def board_table(board: BoardOut, lang: str) -> Table:
    """The board's KPIs as a rich table."""
    table = Table(title=t("board.report.kpis", lang))
    for key in ("kpi", "value", "standard", "status", "note"):
        table.add_column(t(f"board.report.col.{key}", lang))
    colour = {"ok": "green", "warn": "yellow", "breach": "red", "no_data": "dim"}
    for k in board.kpis:
        table.add_row(
            k.label_zh if lang == "zh-CN" else k.label_en,
            render.kpi_value(k),
            render.kpi_standard(k),
            f"[{colour[k.status]}]{t('board.status.' + k.status, lang)}[/]",
            (k.reason_zh if lang == "zh-CN" else k.reason_en) or "",
        )
    return table


@app.command("board")
def board_cmd(
    day: Annotated[str | None, typer.Option("--date", help="Local day (default today).")] = None,
    community: Annotated[
        int | None, typer.Option("--community", help="A community's board (area id).")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """The city board (or a community's) of a day: KPIs against the standards and more."""
    _lang(lang, as_json)
    when = None if day is None else _day(day, as_json)
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    with Session(engine) as session:
        try:
            board = city_board(
                session=session, on=when, lake_dir=settings.lake_dir, community_id=community
            )
        except BoardInputError as exc:
            fail(str(exc), as_json=as_json, code=2)
        except BoardNotFound as exc:
            fail(str(exc), as_json=as_json, code=4)
    if as_json:
        print_json(board)
        return
    out.print(board_table(board, lang))
