"""``epicontrol tasks``: deadline playbooks (1+4+6+24, 2+4+24), task records, SLA clocks.

Times typed on the command line without a UTC offset are local city time;
``--now`` / ``--at`` default to the wall clock.  Exit codes as everywhere:
2 bad input (a bad option, time or playbook file), 3 conflict (the task or
playbook changed meanwhile), 4 not found / rejected (unknown case or task, a
move the lifecycle does not allow).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timezone
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..core.operations.playbook import (
    DEFAULT_PLAYBOOKS,
    Playbook,
    PlaybookError,
    default_playbook,
    resolve_playbook,
)
from ..domains.tasks import service
from ..domains.tasks.schemas import EscalationRun, KpiOut, KpiRow, TaskClock, TaskList
from ..domains.tracing.context import parse_when
from ..i18n import t
from .common import JsonOpt, LangOpt, WorkspaceOpt, fail, open_store, out, print_json, settings_for

app = typer.Typer(
    help="Deadline tasks (1+4+6+24, 2+4+24): open a case's playbook, report, escalate, KPIs.",
    no_args_is_help=True,
)

ByOpt = Annotated[str, typer.Option("--by", help="Who does it (recorded in the task's events).")]
NowOpt = Annotated[
    str | None,
    typer.Option("--now", help="Read the clocks at this time (local; default: now)."),
]
AtOpt = Annotated[
    str | None, typer.Option("--at", help="When it happened (local time; default: now).")
]
VersionOpt = Annotated[
    int | None,
    typer.Option("--expect-version", help="Refuse if the task is no longer at this version."),
]


def _error(exc: Exception, as_json: bool) -> NoReturn:
    if isinstance(exc, service.TaskInputError | PlaybookError):
        fail(str(exc), as_json=as_json, code=2)
    if isinstance(exc, service.StaleTask | service.PlaybookConflict):
        fail(str(exc), as_json=as_json, code=3)
    if isinstance(exc, service.TaskNotFound | service.InvalidTransition):
        fail(str(exc).strip("'\""), as_json=as_json, code=4)
    raise exc


_ERRORS = (service.TaskError, service.TaskNotFound, PlaybookError)


def _when(option: str, value: str | None, tz: timezone, as_json: bool) -> datetime | None:
    """The typed time as aware (a time without an offset is local city time)."""
    if value is None:
        return None
    try:
        when = parse_when(value)
    except ValueError as exc:
        fail(f"{option} {exc}, got {value!r}", as_json=as_json, code=2)
    return when.replace(tzinfo=tz) if when.tzinfo is None else when


def _now(option: str, value: str | None, tz: timezone, as_json: bool) -> datetime:
    return _when(option, value, tz, as_json) or datetime.now(UTC).astimezone(tz)


def _dept(department: str, lang: str) -> str:
    return t(f"tasks.department.{department}", lang)


def _clock_text(clock: TaskClock, lang: str) -> str:
    task = clock.task
    if task.status == "cancelled":
        return t("tasks.clock.cancelled", lang)
    if task.status == "done":
        if clock.overdue_hours > 0:
            return t("tasks.clock.late", lang, hours=clock.overdue_hours)
        return t("tasks.clock.on_time", lang)
    if clock.overdue:
        return f"[red]{t('tasks.clock.overdue', lang, hours=clock.overdue_hours)}[/]"
    return t("tasks.clock.left", lang, hours=clock.remaining_hours or 0.0)


def _when_text(when: datetime | None) -> str:
    return "" if when is None else when.strftime("%m-%d %H:%M")


def task_table(clocks: list[TaskClock], lang: str) -> Table:
    """The tasks with their live clocks (shared with the demo)."""
    table = Table()
    for key in ("id", "case", "department", "title", "due", "clock", "status", "level"):
        table.add_column(t(f"tasks.col.{key}", lang))
    for c in clocks:
        task = c.task
        level = task.escalation_level
        table.add_row(
            str(task.id),
            "" if task.case_id is None else str(task.case_id),
            _dept(task.department, lang),
            task.title_zh if lang == "zh-CN" else task.title_en,
            _when_text(task.due_at),
            _clock_text(c, lang),
            t(f"tasks.status.{task.status}", lang),
            t(f"tasks.role.{task.escalation[level - 1].to}", lang) if level else "",
        )
    return table


def _rate(x: float | None) -> str:
    return "—" if x is None else f"{x:.0%}"


def _hours(x: float | None) -> str:
    return "—" if x is None else f"{x:.2f}"


def kpi_table(result: KpiOut, lang: str) -> Table:
    """KPIs per department and kind, then department totals and the overall row."""
    table = Table(title=t("tasks.kpi.title", lang, now=_when_text(result.now)))
    for key in ("department", "kind", "total", "done", "on_time_rate", "median", "p90"):
        table.add_column(
            t(f"tasks.col.{key}", lang),
            justify="left" if key in {"department", "kind"} else "right",
        )
    table.add_column(t("tasks.col.open_overdue", lang), justify="right")

    def row(r: KpiRow, *, bold: bool = False) -> None:
        name = t(f"tasks.department.{r.department}", lang)
        cells = [
            name,
            r.kind or "",
            str(r.total),
            str(r.done),
            _rate(r.on_time_rate),
            _hours(r.median_hours),
            _hours(r.p90_hours),
            str(r.open_overdue),
        ]
        table.add_row(*(f"[bold]{c}[/]" if bold else c for c in cells))

    for r in result.rows:
        row(r)
    table.add_section()
    for r in result.departments:
        row(r, bold=True)
    table.add_section()
    row(result.overall, bold=True)
    return table


def playbook_table(book: Playbook, lang: str) -> Table:
    """The steps of a playbook: department, due offset, prerequisites, escalation."""
    table = Table(
        title=t(
            "tasks.playbooks.title",
            lang,
            name=book.name,
            title=book.title_zh if lang == "zh-CN" else book.title_en,
        )
    )
    for key in ("kind", "department", "hours", "title", "after", "escalation"):
        table.add_column(t(f"tasks.col.{key}", lang))
    for step in book.steps:
        rules = "; ".join(
            t(
                "tasks.escalation.rule",
                lang,
                hours=r.after_hours,
                role=t(f"tasks.role.{r.to}", lang),
            )
            for r in step.escalation
        )
        table.add_row(
            step.key,
            _dept(step.department, lang),
            f"{step.due_hours:g}",
            step.title_zh if lang == "zh-CN" else step.title_en,
            ", ".join(step.depends_on),
            rules,
        )
    return table


# --------------------------------------------------------------------------- commands


@app.command("open")
def open_cmd(
    case_id: Annotated[int, typer.Argument(help="Case id (from `trace case` / `trace run`).")],
    playbook: Annotated[
        str,
        typer.Option("--playbook", "-p", help="1+4+6+24, 2+4+24 or a playbook TOML file."),
    ] = "1+4+6+24",
    at: Annotated[
        str | None,
        typer.Option("--at", help="Trigger time (local); default: the case's report time."),
    ] = None,
    by: ByOpt = "cli",
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Create a case's playbook tasks, due from the trigger (idempotent)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        book = resolve_playbook(playbook)
        with Session(engine) as session, session.begin():
            tz = service.city_tz(session=session)
            result = service.open_case_playbook(
                session=session,
                case_id=case_id,
                playbook=book,
                trigger_at=_when("--at", at, tz, as_json),
                actor=by,
            )
            clocks = service.task_clocks(result.tasks, datetime.now(UTC))
    except _ERRORS as exc:
        _error(exc, as_json)
    if as_json:
        print_json(result)
        return
    trigger = _when_text(result.trigger_at)
    if result.created:
        out.print(
            t(
                "tasks.opened",
                lang,
                case_id=case_id,
                playbook=book.name,
                n=result.created,
                trigger=trigger,
            )
        )
    else:
        out.print(t("tasks.unchanged", lang, case_id=case_id, playbook=book.name))
    out.print(task_table(clocks, lang))


@app.command("list")
def list_cmd(
    overdue: Annotated[bool, typer.Option("--overdue", help="Only tasks overdue now.")] = False,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="health, police, transport, ...")
    ] = None,
    case_id: Annotated[int | None, typer.Option("--case", help="Only this case's tasks.")] = None,
    status: Annotated[
        str | None,
        typer.Option("--status", help="open, in_progress, done, cancelled or active."),
    ] = None,
    now: NowOpt = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many tasks.")] = 1000,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Tasks by due time with their live clocks (remaining time or overdue by)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    if limit < 1:
        fail("--limit must be at least 1", as_json=as_json, code=2)
    try:
        with Session(engine) as session:
            tz = service.city_tz(session=session)
            stamp = _now("--now", now, tz, as_json)
            tasks = service.list_tasks(
                session=session,
                overdue_at=stamp if overdue else None,
                department=department,
                case_id=case_id,
                status=status,
                limit=limit,
            )
    except _ERRORS as exc:
        _error(exc, as_json)
    clocks = service.task_clocks(tasks, stamp)
    if as_json:
        print_json(TaskList(now=stamp, tasks=clocks))
        return
    if not clocks:
        out.print(t("tasks.list.empty", lang))
        return
    table = task_table(clocks, lang)
    table.title = t("tasks.list.title", lang, now=_when_text(stamp))
    out.print(table)
    late = sum(c.overdue for c in clocks)
    out.print(t("tasks.list.summary", lang, n=len(clocks), overdue=late))


def _moved(clock: TaskClock, key: str, lang: str, as_json: bool) -> None:
    if as_json:
        print_json(clock)
        return
    out.print(
        t(key, lang, id=clock.task.id, version=clock.task.version, clock=_clock_text(clock, lang))
    )


@app.command("start")
def start_cmd(
    task_id: Annotated[int, typer.Argument(help="Task id.")],
    by: ByOpt = "cli",
    at: AtOpt = None,
    expect_version: VersionOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Mark a task in progress."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            tz = service.city_tz(session=session)
            stamp = _now("--at", at, tz, as_json)
            task = service.start_task(
                session=session,
                task_id=task_id,
                actor=by,
                at=stamp,
                expected_version=expect_version,
            )
    except _ERRORS as exc:
        _error(exc, as_json)
    _moved(service.task_clocks([task], stamp)[0], "tasks.started", lang, as_json)


@app.command("complete")
def complete_cmd(
    task_id: Annotated[int, typer.Argument(help="Task id.")],
    evidence: Annotated[
        str, typer.Option("--evidence", "-e", help="What shows it done (report no., photo, note).")
    ],
    by: ByOpt = "cli",
    at: AtOpt = None,
    expect_version: VersionOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Report a task done, with its evidence."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            tz = service.city_tz(session=session)
            stamp = _now("--at", at, tz, as_json)
            task = service.complete_task(
                session=session,
                task_id=task_id,
                evidence=evidence,
                actor=by,
                at=stamp,
                expected_version=expect_version,
            )
    except _ERRORS as exc:
        _error(exc, as_json)
    _moved(service.task_clocks([task], stamp)[0], "tasks.completed", lang, as_json)


@app.command("cancel")
def cancel_cmd(
    task_id: Annotated[int, typer.Argument(help="Task id.")],
    reason: Annotated[str, typer.Option("--reason", help="Why the task is no longer needed.")],
    by: ByOpt = "cli",
    at: AtOpt = None,
    expect_version: VersionOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Cancel an open or in-progress task."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            tz = service.city_tz(session=session)
            stamp = _now("--at", at, tz, as_json)
            task = service.cancel_task(
                session=session,
                task_id=task_id,
                reason=reason,
                actor=by,
                at=stamp,
                expected_version=expect_version,
            )
    except _ERRORS as exc:
        _error(exc, as_json)
    _moved(service.task_clocks([task], stamp)[0], "tasks.cancelled", lang, as_json)


@app.command("escalate")
def escalate_cmd(
    now: NowOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Escalate every overdue task to the level its rules call for (idempotent per level)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            tz = service.city_tz(session=session)
            stamp = _now("--now", now, tz, as_json)
            done = service.escalate_overdue(session=session, now=stamp)
    except _ERRORS as exc:
        _error(exc, as_json)
    if as_json:
        print_json(EscalationRun(now=stamp, escalations=done))
        return
    if not done:
        out.print(t("tasks.escalate.none", lang))
        return
    for e in done:
        out.print(
            t(
                "tasks.escalated",
                lang,
                id=e.task_id,
                case=e.case_id if e.case_id is not None else "—",
                department=_dept(e.department, lang),
                kind=e.kind,
                hours=e.overdue_hours,
                role=t(f"tasks.role.{e.to}", lang),
            )
        )
    out.print(t("tasks.escalate.summary", lang, n=len(done), tasks=len({e.task_id for e in done})))


@app.command("kpi")
def kpi_cmd(
    now: NowOpt = None,
    department: Annotated[
        str | None, typer.Option("--department", "-d", help="Only this department.")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """On-time rate, median and p90 completion time per department and task type."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            tz = service.city_tz(session=session)
            stamp = _now("--now", now, tz, as_json)
            result = service.kpis(session=session, now=stamp, department=department)
    except _ERRORS as exc:
        _error(exc, as_json)
    if as_json:
        print_json(result)
        return
    out.print(kpi_table(result, lang))
    out.print(t("tasks.kpi.note", lang))


@app.command("playbooks")
def playbooks_cmd(
    file: Annotated[
        Path | None, typer.Argument(help="A playbook TOML file to validate (default: list).")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """List the shipped playbooks, or validate a playbook file (the store is not touched)."""
    settings_for(workspace, lang)
    try:
        books = (
            [resolve_playbook(str(file))]
            if file
            else [default_playbook(n) for n in DEFAULT_PLAYBOOKS]
        )
    except PlaybookError as exc:
        _error(exc, as_json)
    if as_json:
        print_json(
            {
                "valid": True,
                "playbooks": [{**dataclasses.asdict(b), "digest": b.digest()} for b in books],
            }
        )
        return
    if file is not None:
        out.print(t("tasks.playbooks.valid", lang, source=str(file), n=len(books[0].steps)))
    else:
        out.print(f"[bold]{t('tasks.playbooks.shipped', lang)}[/]")
    for book in books:
        out.print(playbook_table(book, lang))
