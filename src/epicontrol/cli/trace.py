"""``epicontrol trace``: contact tracing (流调), reports and regional assistance (区域协查).

Exit codes as everywhere: 2 bad input (options, dates outside the lake),
3 workspace conflict (no city, no check-ins), 4 not found / rejected (unknown
person or case, a rejected file, bad check-ins in the lake).
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer
from numpy.typing import NDArray
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.operations.playbook import Playbook, PlaybookError, resolve_playbook
from ..core.tracing.rules import TracingRules
from ..domains.city.importing.base import RowError
from ..domains.tasks import service as tasks_service
from ..domains.tasks.schemas import PlaybookOpened
from ..domains.tracing import assist as assist_service
from ..domains.tracing import chains as chains_service
from ..domains.tracing import report as report_service
from ..domains.tracing import service
from ..domains.tracing.context import (
    CheckinError,
    Clock,
    LakeIndex,
    TracingContext,
    TracingError,
    get_city,
    open_context,
    open_lake,
    parse_when,
)
from ..domains.tracing.models import CATEGORIES
from ..domains.tracing.schemas import (
    BatchOut,
    CaseCounts,
    CaseIn,
    ContactEntry,
    InvestigationOut,
)
from ..i18n import t
from .common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    err,
    fail,
    open_store,
    out,
    parse_ids,
    print_json,
    progress_bar,
    settings_for,
)

app = typer.Typer(
    help="Contact tracing (流调): trace cases, per-case reports, regional assistance.",
    no_args_is_help=True,
)
assist_app = typer.Typer(help="Regional assistance lists (区域协查).", no_args_is_help=True)
app.add_typer(assist_app, name="assist")

OverlapOpt = Annotated[
    int, typer.Option("--overlap-minutes", help="Co-presence that makes a close contact.")
]
YellowOpt = Annotated[
    float, typer.Option("--yellow-hours", help="Stay in risk venues that gives a yellow code.")
]
PlaybookOpt = Annotated[
    str,
    typer.Option(
        "--playbook",
        help="Deadline playbook opened for a confirmed case: 1+4+6+24, 2+4+24, a TOML "
        "file, or none.",
    ),
]
RiskVenuesOpt = Annotated[
    str | None,
    typer.Option("--risk-venues", help="Designated risk venues for the yellow code: ID,ID,..."),
]


def _errors_json(errors: Sequence[RowError]) -> list[dict[str, Any]]:
    return [dataclasses.asdict(e) for e in errors]


def _reject(
    errors: Sequence[RowError], *, header: str, as_json: bool, code: int, **extra: Any
) -> NoReturn:
    """Fail with every rejected value: as a JSON list, or a table on stderr."""
    if as_json:
        fail(header, as_json=True, code=code, errors=_errors_json(errors), **extra)
    err.print(f"[bold red]error:[/] {header}", highlight=False)
    table = Table("file", "line", "field", "rule", "value")
    for e in errors[:200]:
        table.add_row(e.file, str(e.line or ""), e.field, e.rule, e.value or "")
    err.print(table)
    raise typer.Exit(code)


def _when(option: str, value: str | None, as_json: bool) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        fail(f"{option} {exc}, got {value!r}", as_json=as_json, code=2)


def _rules(overlap_minutes: int, yellow_hours: float, as_json: bool) -> TracingRules:
    rules = TracingRules(overlap_minutes=overlap_minutes, yellow_hours=yellow_hours)
    try:
        rules.validate()
    except ValueError as exc:
        fail(f"--{str(exc).replace('_', '-')}", as_json=as_json, code=2)
    return rules


def _playbook(spec: str, as_json: bool) -> Playbook | None:
    """The playbook to open for confirmed cases (``None`` for ``none``), checked up front."""
    if spec.strip().lower() == "none":
        return None
    try:
        return resolve_playbook(spec)
    except PlaybookError as exc:
        fail(f"--playbook {exc}", as_json=as_json, code=2)


def _open_playbook(
    session: Session, playbook: Playbook | None, case: CaseIn, case_id: int
) -> PlaybookOpened | None:
    """Start the deadline clocks of a confirmed case, in the tracing transaction."""
    if playbook is None or case.status != "confirmed":
        return None
    return tasks_service.open_case_playbook(
        session=session, case_id=case_id, playbook=playbook, trigger_at=None, actor="trace"
    )


def _tasks_json(opened: PlaybookOpened | None) -> list[dict[str, Any]]:
    if opened is None:
        return []
    return [
        {
            "task_id": task.id,
            "kind": task.kind,
            "department": task.department,
            "due_at": task.due_at.isoformat(),
        }
        for task in opened.tasks
    ]


def _workspace_error(exc: Exception, settings: Settings, as_json: bool) -> NoReturn:
    if isinstance(exc, CheckinError):
        header = t("tracing.checkins.bad", settings.lang, total=exc.total)
        _reject(exc.errors, header=header, as_json=as_json, code=4, total=exc.total)
    fail(str(exc), as_json=as_json, code=3)


def _context(settings: Settings, engine: Engine, as_json: bool) -> TracingContext:
    """Registries and the index, with a progress bar while the index is built."""
    with progress_bar() as progress, Session(engine) as session:
        task = progress.add_task(t("tracing.index.load", settings.lang), total=None)

        def on_index(done: int, total: int) -> None:
            description = t("tracing.index.build", settings.lang)
            progress.update(task, description=description, completed=done, total=total)

        try:
            return open_context(session=session, lake_dir=settings.lake_dir, on_index=on_index)
        except TracingError as exc:
            _workspace_error(exc, settings, as_json)


def _lake(settings: Settings, engine: Engine, as_json: bool) -> LakeIndex:
    with progress_bar() as progress, Session(engine) as session:
        task = progress.add_task(t("tracing.index.load", settings.lang), total=None)

        def on_index(done: int, total: int) -> None:
            description = t("tracing.index.build", settings.lang)
            progress.update(task, description=description, completed=done, total=total)

        try:
            return open_lake(session=session, lake_dir=settings.lake_dir, on_index=on_index)
        except TracingError as exc:
            _workspace_error(exc, settings, as_json)


def _counts_line(result: InvestigationOut | CaseCounts, lang: str) -> str:
    c = result.counts
    return t(
        "tracing.case.done",
        lang,
        case_id=result.case_id,
        person_id=result.person_id,
        close=c["close"],
        secondary=c["secondary"],
        general=c["general"],
        yellow=c["yellow_code"],
    )


def _print_case(result: InvestigationOut, close: list[ContactEntry], lang: str) -> None:
    out.print(_counts_line(result, lang))
    out.print(
        t(
            "tracing.case.window",
            lang,
            start=result.window_start.strftime("%Y-%m-%d %H:%M"),
            end=result.window_end.strftime("%Y-%m-%d %H:%M"),
        )
    )
    table = Table(title=t("tracing.report.by_relation", lang))
    table.add_column(t("tracing.report.col.relation", lang))
    for cat in CATEGORIES:
        table.add_column(t(f"tracing.category.{cat}", lang), justify="right")
    relations = sorted({rel for cat in CATEGORIES for rel in result.by_relation[cat]})
    for rel in relations:
        table.add_row(
            t(f"tracing.relation.{rel}", lang),
            *(str(result.by_relation[cat].get(rel, 0)) for cat in CATEGORIES),
        )
    out.print(table)
    shown = Table(title=t("tracing.category.close", lang))
    for key in ("person", "relation", "first", "venue", "overlap"):
        shown.add_column(t(f"tracing.report.col.{key}", lang))
    for c in close[:30]:
        shown.add_row(
            str(c["person_id"]),
            t(f"tracing.relation.{c['relation']}", lang),
            c["first_exposure"][5:16].replace("T", " "),
            "" if c["venue_id"] is None else str(c["venue_id"]),
            str(c["overlap_minutes"]),
        )
    if close:
        out.print(shown)


@app.command("case")
def case_cmd(
    person_id: Annotated[int, typer.Argument(help="Person id of the case.")],
    onset: Annotated[str | None, typer.Option("--onset", help="Symptom onset (ISO date).")] = None,
    isolated: Annotated[
        str | None, typer.Option("--isolated", help="Isolation (ends the infectious window).")
    ] = None,
    asymptomatic: Annotated[
        bool, typer.Option("--asymptomatic", help="Asymptomatic infection: give --sample.")
    ] = False,
    suspected: Annotated[bool, typer.Option("--suspected", help="A suspected case.")] = False,
    sample: Annotated[str | None, typer.Option("--sample", help="Positive sample date.")] = None,
    reported: Annotated[
        str | None, typer.Option("--reported", help="Report time (default: now).")
    ] = None,
    risk_venues: RiskVenuesOpt = None,
    risk_from: Annotated[
        str | None, typer.Option("--risk-from", help="Risk window start (default: window).")
    ] = None,
    risk_to: Annotated[str | None, typer.Option("--risk-to", help="Risk window end.")] = None,
    overlap_minutes: OverlapOpt = 15,
    yellow_hours: YellowOpt = 4.0,
    playbook: PlaybookOpt = "1+4+6+24",
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Trace one case and record it (re-running a case replaces its contacts).

    A confirmed case also gets the tasks of its deadline playbook (``tasks list``).
    """
    settings = settings_for(workspace, lang)
    book = _playbook(playbook, as_json)
    if asymptomatic and suspected:
        fail("--asymptomatic and --suspected exclude each other", as_json=as_json, code=2)
    rules = _rules(overlap_minutes, yellow_hours, as_json)
    venues = parse_ids("--risk-venues", risk_venues, as_json=as_json, what="venue ids") or []
    window = (_when("--risk-from", risk_from, as_json), _when("--risk-to", risk_to, as_json))
    if (window[0] is None) != (window[1] is None):
        fail("--risk-from and --risk-to go together", as_json=as_json, code=2)
    if window[0] is not None and window[1] is not None and window[1] <= window[0]:
        fail("--risk-to must be after --risk-from", as_json=as_json, code=2)
    case = CaseIn(
        person_id=person_id,
        status="asymptomatic" if asymptomatic else "suspected" if suspected else "confirmed",
        onset=_when("--onset", onset, as_json),
        sample=_when("--sample", sample, as_json),
        isolated=_when("--isolated", isolated, as_json),
        reported=_when("--reported", reported, as_json),
        source="cli",
    )
    engine = open_store(settings)
    ctx = _context(settings, engine, as_json)
    try:
        with Session(engine) as session, session.begin():
            done = service.investigate(
                session=session,
                ctx=ctx,
                case=case,
                rules=rules,
                risk_venues=venues,
                risk_window=(window[0], window[1]) if window[0] and window[1] else None,
            )
            opened = _open_playbook(session, book, case, done.out.case_id)
    except service.TracingInputError as exc:
        code = 4 if any(e.field == "person_id" for e in exc.errors) else 2
        fail(str(exc), as_json=as_json, code=code, errors=_errors_json(exc.errors))
    entries = service.contact_entries(done.contacts, ctx)
    tasks = _tasks_json(opened)
    if as_json:
        print_json(
            {
                **done.out.model_dump(mode="json"),
                **entries,
                "index_built": ctx.lake.built,
                "tasks": tasks,
            }
        )
        return
    _print_case(done.out, entries["close"], settings.lang)
    if opened is not None:
        out.print(
            t(
                "tracing.tasks.opened",
                settings.lang,
                n=len(opened.tasks),
                playbook=opened.playbook,
                new=opened.created,
            )
        )


@app.command("run")
def run_cmd(
    cases: Annotated[Path, typer.Option("--cases", help="CSV: person_id,status,onset,...")],
    risk_venues: RiskVenuesOpt = None,
    overlap_minutes: OverlapOpt = 15,
    yellow_hours: YellowOpt = 4.0,
    playbook: PlaybookOpt = "1+4+6+24",
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Trace a batch of cases, one transaction per case (the file is checked whole first).

    Each confirmed case's playbook tasks are opened in its transaction.
    """
    settings = settings_for(workspace, lang)
    book = _playbook(playbook, as_json)
    rules = _rules(overlap_minutes, yellow_hours, as_json)
    venues = parse_ids("--risk-venues", risk_venues, as_json=as_json, what="venue ids") or []
    if not cases.is_file():
        fail(f"--cases {cases}: not a file", as_json=as_json, code=2)
    started = time.perf_counter()
    engine = open_store(settings)
    ctx = _context(settings, engine, as_json)
    try:
        batch = service.read_cases(cases, ctx, rules)
        bad_venues = service.check_risk_venues(ctx, venues)
        if bad_venues:
            raise service.TracingInputError(bad_venues)
    except service.TracingInputError as exc:
        header = t("tracing.run.rejected", settings.lang, n=len(exc.errors))
        _reject(exc.errors, header=header, as_json=as_json, code=4)
    rows: list[CaseCounts] = []
    n_tasks = 0
    seen: dict[str, NDArray[np.bool_]] = {}
    with progress_bar() as progress:
        task = progress.add_task(t("tracing.run.progress", lang, n=len(batch)), total=len(batch))
        for line, case in batch:
            try:
                with Session(engine) as session, session.begin():
                    done = service.investigate(
                        session=session, ctx=ctx, case=case, rules=rules, risk_venues=venues
                    )
                    opened = _open_playbook(session, book, case, done.out.case_id)
                    n_tasks += len(opened.tasks) if opened is not None else 0
            except (SQLAlchemyError, OSError, service.TracingInputError) as exc:
                fail(
                    t("tracing.run.failed", settings.lang, line=line, error=exc),
                    as_json=as_json,
                    code=1,
                    done=[r.model_dump() for r in rows],
                )
            service.add_distinct(seen, done, ctx.n_persons)
            rows.append(
                CaseCounts(
                    line=line,
                    case_id=done.out.case_id,
                    person_id=done.out.person_id,
                    investigation_id=done.out.investigation_id,
                    replaced_investigation_id=done.out.replaced_investigation_id,
                    counts=done.out.counts,
                )
            )
            progress.advance(task)
    summary = BatchOut(
        file=str(cases),
        cases=rows,
        distinct=service.distinct_counts(seen),
        index_version=ctx.lake.version,
        index_built=ctx.lake.built,
        seconds=round(time.perf_counter() - started, 2),
    )
    if as_json:
        print_json({**summary.model_dump(mode="json"), "tasks": n_tasks})
        return
    for row in rows:
        out.print(_counts_line(row, settings.lang))
    d = summary.distinct
    out.print(
        t(
            "tracing.run.distinct",
            settings.lang,
            close=d["close"],
            secondary=d["secondary"],
            general=d["general"],
            yellow=d["yellow_code"],
            persons=d["persons"],
        )
    )
    out.print(t("tracing.run.done", settings.lang, n=len(rows), seconds=summary.seconds))
    if book is not None:
        out.print(t("tracing.run.tasks", settings.lang, n=n_tasks, playbook=book.name))


@app.command("report")
def report_cmd(
    case_id: Annotated[int, typer.Argument(help="Case id (from `trace case` / `trace run`).")],
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out", help="Directory for the report (default <workspace>/reports/tracing)."
        ),
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Write the per-case report 一图一表一报告 as HTML and JSON."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    lake_index = _lake(settings, engine, as_json)
    with Session(engine) as session:
        try:
            report = report_service.build_report(session=session, lake=lake_index, case_id=case_id)
        except service.NotFoundError as exc:
            fail(str(exc), as_json=as_json, code=4)
    directory = out_dir or settings.workspace / "reports" / "tracing"
    json_path, html_path = report_service.write_report(report, directory, settings.lang)
    if as_json:
        print_json(
            {
                "case_id": report.case_id,
                "json": str(json_path.resolve()),
                "html": str(html_path.resolve()),
                "counts": report.counts,
                "summary": report.summary[settings.lang],
            }
        )
        return
    out.print(report.summary[settings.lang])
    out.print(t("tracing.report.written", settings.lang, html=html_path, json=json_path))


@app.command("chains")
def chains_cmd(
    categories: Annotated[
        str,
        typer.Option(
            "--categories", help="Contact categories that link cases: close,secondary,..."
        ),
    ] = "close",
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", help="Directory for chains.json and chains.graphml."),
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Transmission chains of the recorded cases: clusters, generations, JSON and GraphML."""
    settings = settings_for(workspace, lang)
    try:
        cats = chains_service.check_categories([c.strip() for c in categories.split(",")])
    except ValueError as exc:
        fail(f"--categories {exc}", as_json=as_json, code=2)
    engine = open_store(settings)
    with Session(engine) as session:
        try:
            graph = chains_service.case_graph(session=session, categories=cats)
        except TracingError as exc:
            fail(str(exc), as_json=as_json, code=3)
    directory = out_dir or settings.workspace / "reports" / "tracing"
    summary = chains_service.write_graph(graph, directory, cats)
    if as_json:
        print_json({**summary.model_dump(), "graph": graph.to_json()})
        return
    out.print(
        t(
            "tracing.chains.summary",
            settings.lang,
            cases=summary.n_cases,
            edges=summary.n_edges,
            clusters=summary.n_clusters,
            largest=summary.largest_cluster,
            generations=summary.max_generation + 1 if summary.n_cases else 0,
        )
    )
    table = Table(
        t("tracing.chains.cluster", settings.lang),
        t("tracing.chains.size", settings.lang),
        t("tracing.chains.cases", settings.lang),
    )
    for c in sorted(graph.to_json()["clusters"], key=lambda c: -int(c["size"]))[:20]:
        if c["size"] > 1:
            table.add_row(str(c["cluster"]), str(c["size"]), " ".join(map(str, c["case_ids"])))
    if table.row_count:
        out.print(table)
    out.print(
        t(
            "tracing.chains.written",
            settings.lang,
            json=summary.json_path,
            graphml=summary.graphml_path,
        )
    )


def _clock(settings: Settings, engine: Engine, as_json: bool) -> Clock:
    with Session(engine) as session:
        try:
            return Clock.of(get_city(session))
        except TracingError as exc:
            fail(str(exc), as_json=as_json, code=3)


@assist_app.command("export")
def assist_export_cmd(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory for the CSV lists.")],
    jurisdiction: Annotated[
        str | None,
        typer.Option(
            "--jurisdiction", help="District code of this team: other districts get lists too."
        ),
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Write one CSV per destination for contacts whose home is outside the jurisdiction."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    clock = _clock(settings, engine, as_json)
    try:
        with Session(engine) as session, session.begin():
            result = assist_service.export_lists(
                session=session, clock=clock, out_dir=out_dir, jurisdiction=jurisdiction
            )
    except assist_service.AssistError as exc:
        fail(str(exc), as_json=as_json, code=2, errors=_errors_json(exc.errors))
    if as_json:
        print_json(result)
        return
    if not result.files:
        out.print(t("tracing.assist.none", settings.lang))
    for f in result.files:
        out.print(
            t(
                "tracing.assist.written",
                settings.lang,
                destination=f.destination,
                rows=f.rows,
                path=f.path,
            )
        )


@assist_app.command("import")
def assist_import_cmd(
    file: Annotated[Path, typer.Argument(help="Received list: CSV with id_number and/or phone.")],
    sender: Annotated[
        str | None, typer.Option("--from", help="Jurisdiction that sent the list.")
    ] = None,
    matches_out: Annotated[
        Path | None, typer.Option("--out", help="Also write the matches to this CSV file.")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Match a received list to residents (ID number first, then phone)."""
    settings = settings_for(workspace, lang)
    if not file.is_file():
        fail(f"{file}: not a file", as_json=as_json, code=2)
    engine = open_store(settings)
    _clock(settings, engine, as_json)
    try:
        with Session(engine) as session, session.begin():
            result = assist_service.import_list(session=session, path=file, sender=sender)
    except assist_service.AssistError as exc:
        header = t("tracing.assist.rejected", settings.lang, n=len(exc.errors))
        _reject(exc.errors, header=header, as_json=as_json, code=4)
    if matches_out is not None:
        assist_service.write_matches(result, matches_out)
    if as_json:
        print_json(result)
        return
    table = Table("line", "status", "matched_by", "persons", "community", "district", "contact")
    for m in result.results[:200]:
        table.add_row(
            str(m.line),
            t(f"tracing.assist.status.{m.status}", settings.lang),
            m.matched_by or "",
            " ".join(map(str, m.person_ids)),
            m.community or "",
            m.district or "",
            t(f"tracing.category.{m.known_contact}", settings.lang) if m.known_contact else "",
        )
    out.print(table)
    out.print(
        t(
            "tracing.assist.matched",
            settings.lang,
            rows=result.rows,
            matched=result.matched,
            ambiguous=result.ambiguous,
            unmatched=result.unmatched,
        )
        + (t("tracing.assist.before", settings.lang) if result.received_before else "")
    )
