"""``epicontrol special``: the red/yellow/green ledger (红黄绿台账), helpers and requests.

Who acts is given by ``--role`` (commander, officer, grid_worker), ``--actor``
(a name, audited) and, for a grid worker, ``--viewer-community`` (the only
community they see).  Exit codes: 2 bad input, 3 workspace conflict (no city),
4 not found / rejected / not allowed.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn, TypeVar

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..config import Settings
from ..domains.special import requests as rq
from ..domains.special import service
from ..domains.special.schemas import KpiGroup, LedgerEntry, RequestOut, Viewer
from ..domains.tracing.context import parse_when
from ..i18n import t
from .common import JsonOpt, LangOpt, WorkspaceOpt, fail, open_store, out, print_json, settings_for

app = typer.Typer(
    help="Special populations (红黄绿台账): ledger, helpers (包保), service requests.",
    no_args_is_help=True,
)
helpers_app = typer.Typer(help="Responsible helpers (包保人).", no_args_is_help=True)
requests_app = typer.Typer(help="Service requests and their clocks.", no_args_is_help=True)
app.add_typer(helpers_app, name="helpers")
app.add_typer(requests_app, name="requests")

RoleOpt = Annotated[
    str, typer.Option("--role", help="commander, officer or grid_worker.", envvar="EPICONTROL_ROLE")
]
ActorOpt = Annotated[str | None, typer.Option("--actor", help="Who acts (recorded in the audit).")]
ViewerCommunityOpt = Annotated[
    int | None,
    typer.Option("--viewer-community", help="A grid worker's own community (area id)."),
]
AtOpt = Annotated[str | None, typer.Option("--at", help="When (local ISO date-time; default now).")]
T = TypeVar("T")


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "cli"


def _viewer(role: str, actor: str | None, community: int | None) -> Viewer:
    return Viewer(role=role.replace("-", "_"), name=actor or _user(), community_id=community)


def _when(value: str | None, as_json: bool) -> datetime | None:
    if value is None:
        return None
    try:
        return parse_when(value)
    except ValueError as exc:
        fail(f"--at {exc}, got {value!r}", as_json=as_json, code=2)


def _fail(exc: Exception, as_json: bool) -> NoReturn:
    if isinstance(exc, service.SpecialInputError):
        fail(str(exc), as_json=as_json, code=2, field=exc.field)
    if isinstance(exc, service.SpecialError):
        fail(str(exc), as_json=as_json, code=3)
    fail(str(exc), as_json=as_json, code=4)


ERRORS = (
    service.SpecialInputError,
    service.SpecialError,
    service.NotFound,
    service.Rejected,
    service.AccessDenied,
)


@contextmanager
def _session(settings: Settings, as_json: bool) -> Iterator[Session]:
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            yield session
    except ERRORS as exc:
        _fail(exc, as_json)
    finally:
        engine.dispose()


def _run(settings: Settings, as_json: bool, work: Callable[[Session], T]) -> T:
    with _session(settings, as_json) as session:
        return work(session)
    raise AssertionError("unreachable")  # pragma: no cover


def _clock_text(r: RequestOut, lang: str) -> str:
    c = r.clock
    if c.state == "running":
        return t("special.clock.running", lang, minutes=c.minutes_left)
    if c.state == "overdue":
        return t("special.clock.overdue", lang, minutes=c.overdue_minutes)
    return t(f"special.clock.{c.state}", lang, minutes=c.response_minutes)


def ledger_table(entries: list[LedgerEntry], lang: str, limit: int = 200) -> Table:
    table = Table(title=t("special.ledger.title", lang, n=len(entries)))
    for key in ("person", "tier", "flags", "needs", "community", "helper", "open"):
        table.add_column(t(f"special.col.{key}", lang))
    for e in entries[:limit]:
        helper = f"{e.helper.name} {e.helper.phone}" if e.helper else "-"
        table.add_row(
            f"{e.person_id} ({e.person_code}, {e.age}{e.sex})", t(f"tier.{e.tier}", lang),
            ", ".join(e.flags), "; ".join(e.needs), e.community_name, helper, str(e.open_requests),
        )  # fmt: skip
    return table


def requests_table(rows: list[RequestOut], lang: str) -> Table:
    table = Table(title=t("special.requests.title", lang, n=len(rows)))
    for key in ("id", "person", "tier", "kind", "status", "opened", "due", "clock", "level"):
        table.add_column(t(f"special.col.{key}", lang))
    for r in rows:
        table.add_row(
            str(r.id), str(r.person_id), t(f"tier.{r.tier}", lang),
            t(f"special.kind.{r.kind}", lang),
            t(f"special.status.{r.status}", lang), r.opened_at.strftime("%m-%d %H:%M"),
            r.due_at.strftime("%m-%d %H:%M"), _clock_text(r, lang), str(r.escalation_level),
        )  # fmt: skip
    return table


def kpi_table(title: str, groups: list[KpiGroup], lang: str) -> Table:
    table = Table(title=title)
    for key in ("group", "requests", "responded", "median", "p90", "on_time", "overdue"):
        table.add_column(t(f"special.col.{key}", lang), justify="right")

    def num(v: float | None, pct: bool = False) -> str:
        return "-" if v is None else (f"{v:.0%}" if pct else f"{v:.0f}")

    for g in groups:
        key = t(f"tier.{g.key}", lang) if g.key in ("red", "yellow", "green") else g.key
        table.add_row(
            key, str(g.requests), str(g.responded), num(g.median_minutes), num(g.p90_minutes),
            num(g.on_time_rate, True), str(g.open_overdue),
        )  # fmt: skip
    return table


def _settings(workspace: Path, lang: str) -> Settings:
    return settings_for(workspace, lang)


@app.command("ledger")
def ledger_cmd(
    community: Annotated[int | None, typer.Option("--community", help="Area id.")] = None,
    tier: Annotated[str | None, typer.Option("--tier", help="red, yellow or green.")] = None,
    sync: Annotated[
        bool, typer.Option("--sync", help="First enrol the registry's special persons.")
    ] = False,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """The ledger (of one community), phones masked; a grid worker sees only their own."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    if tier is not None and tier not in ("red", "yellow", "green"):
        fail(f"--tier must be red, yellow or green, got {tier!r}", as_json=as_json, code=2)

    def work(session: Session) -> tuple[Any, list[LedgerEntry]]:
        synced = service.sync_ledger(session=session, viewer=viewer) if sync else None
        rows = service.ledger(session=session, viewer=viewer, community_id=community, tier=tier)
        return synced, rows

    synced, rows = _run(settings, as_json, work)
    if as_json:
        print_json({"synced": synced, "ledger": rows})
        return
    if synced is not None:
        out.print(t("special.synced", lang, **synced.model_dump()))
    out.print(ledger_table(rows, lang))


@app.command("enroll")
def enroll_cmd(
    person_id: Annotated[int, typer.Argument(help="Resident id.")],
    need: Annotated[list[str] | None, typer.Option("--need", help="A need (repeatable).")] = None,
    tier: Annotated[str | None, typer.Option("--tier")] = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Put a resident in the ledger (green unless flagged) or add needs."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    entry = _run(
        settings, as_json,
        lambda s: service.enroll(
            session=s, viewer=viewer, person_id=person_id, needs=need or [], tier=tier
        ),
    )  # fmt: skip
    if as_json:
        print_json(entry)
        return
    out.print(ledger_table([entry], lang))


@helpers_app.command("add")
def helpers_add(
    name: Annotated[str, typer.Option("--name")],
    phone: Annotated[str, typer.Option("--phone")],
    community: Annotated[int, typer.Option("--community", help="Community area id.")],
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Register a helper (包保人) of a community (the same name and phone: the same helper)."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    helper = _run(
        settings, as_json,
        lambda s: service.add_helper(
            session=s, viewer=viewer, name=name, phone=phone, community_id=community
        ),
    )  # fmt: skip
    if as_json:
        print_json(helper)
        return
    out.print(
        t("special.helper.added", lang, name=helper.name, phone=helper.phone, id=helper.id,
          community=helper.community_id)
    )  # fmt: skip


@helpers_app.command("assign")
def helpers_assign(
    helper_id: Annotated[int, typer.Argument()],
    person_ids: Annotated[list[int], typer.Argument(help="Ledger persons.")],
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Make a helper responsible for ledger persons of their community (all or none)."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    rows = _run(
        settings, as_json,
        lambda s: service.assign_helper(
            session=s, viewer=viewer, helper_id=helper_id, person_ids=person_ids
        ),
    )  # fmt: skip
    if as_json:
        print_json(rows)
        return
    name = rows[0].helper.name if rows and rows[0].helper else str(helper_id)
    out.print(t("special.helper.assigned", lang, n=len(rows), name=name))


@requests_app.command("open")
def requests_open(
    person_id: Annotated[int, typer.Argument()],
    kind: Annotated[
        str,
        typer.Option("--kind", help="medicine, medical_transport, food, consultation or other."),
    ],
    note: Annotated[str, typer.Option("--note")] = "",
    key: Annotated[str | None, typer.Option("--key", help="Idempotency key of the sender.")] = None,
    at: AtOpt = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Open a service request for a ledger person; its response clock starts now (or --at)."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    when = _when(at, as_json)
    r = _run(
        settings, as_json,
        lambda s: rq.open_request(
            session=s, viewer=viewer, person_id=person_id, kind=kind.replace("-", "_"),
            note=note, at=when, client_key=key,
        ),
    )  # fmt: skip
    if as_json:
        print_json(r)
        return
    out.print(
        t("special.request.opened", lang, id=r.id, kind=t(f"special.kind.{r.kind}", lang),
          tier=t(f"tier.{r.tier}", lang), due=r.due_at.strftime("%Y-%m-%d %H:%M"))
    )  # fmt: skip


def _move(
    which: str, request_id: int, note: str, at: str | None, role: str, actor: str | None,
    viewer_community: int | None, workspace: Path, as_json: bool, lang: str,
) -> None:  # fmt: skip
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    when = _when(at, as_json)
    fn = rq.respond if which == "respond" else rq.close
    r = _run(
        settings, as_json,
        lambda s: fn(session=s, viewer=viewer, request_id=request_id, at=when, note=note),
    )  # fmt: skip
    if as_json:
        print_json(r)
        return
    status = t(f"special.status.{r.status}", lang)
    out.print(t("special.request.moved", lang, id=r.id, status=status, clock=_clock_text(r, lang)))


@requests_app.command("respond")
def requests_respond(
    request_id: Annotated[int, typer.Argument()],
    note: Annotated[str, typer.Option("--note")] = "",
    at: AtOpt = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Record the response (the helper reached the person)."""
    _move("respond", request_id, note, at, role, actor, viewer_community, workspace, as_json, lang)


@requests_app.command("close")
def requests_close(
    request_id: Annotated[int, typer.Argument()],
    note: Annotated[str, typer.Option("--note")] = "",
    at: AtOpt = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Record the service done."""
    _move("close", request_id, note, at, role, actor, viewer_community, workspace, as_json, lang)


@requests_app.command("list")
def requests_list(
    community: Annotated[int | None, typer.Option("--community")] = None,
    status: Annotated[str | None, typer.Option("--status", help="open, responded, done.")] = None,
    overdue: Annotated[bool, typer.Option("--overdue", help="Only clocks past due.")] = False,
    now: Annotated[str | None, typer.Option("--now", help="Clock time (local ISO).")] = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Requests with their clocks (oldest due first)."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    if status is not None and status not in ("open", "responded", "done"):
        fail(f"--status must be open, responded or done, got {status!r}", as_json=as_json, code=2)
    when = _when(now, as_json)
    rows = _run(
        settings, as_json,
        lambda s: rq.list_requests(
            session=s, viewer=viewer, community_id=community, status=status, overdue=overdue,
            now=when,
        ),
    )  # fmt: skip
    if as_json:
        print_json(rows)
        return
    out.print(requests_table(rows, lang))


@requests_app.command("escalate")
def requests_escalate(
    now: Annotated[str | None, typer.Option("--now", help="Clock time (local ISO).")] = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Escalate overdue clocks (each level once; running it again adds nothing)."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    when = _when(now, as_json)
    rows = _run(settings, as_json, lambda s: rq.escalate(session=s, viewer=viewer, now=when))
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(t("special.escalated.none", lang))
        return
    detail = "; ".join(
        f"#{e.request_id} {e.clock} L{e.level} → {t(f'special.recipient.{e.recipient}', lang)}"
        for e in rows[:20]
    )
    out.print(t("special.escalated", lang, n=len(rows), detail=detail))


@requests_app.command("kpi")
def requests_kpi(
    community: Annotated[int | None, typer.Option("--community")] = None,
    now: Annotated[str | None, typer.Option("--now", help="Clock time (local ISO).")] = None,
    role: RoleOpt = "commander",
    actor: ActorOpt = None,
    viewer_community: ViewerCommunityOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Response time (median, P90) and on-time rate, by tier and by community."""
    settings = _settings(workspace, lang)
    viewer = _viewer(role, actor, viewer_community)
    when = _when(now, as_json)
    k = _run(
        settings, as_json,
        lambda s: rq.kpis(session=s, viewer=viewer, now=when, community_id=community),
    )  # fmt: skip
    if as_json:
        print_json(k)
        return
    title = t("special.kpi.title", lang, now=k.now.strftime("%Y-%m-%d %H:%M"))
    out.print(kpi_table(title, [k.overall, *k.by_tier], lang))
    out.print(kpi_table(t("special.kpi.by_community", lang), k.by_community, lang))
