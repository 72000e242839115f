"""``epicontrol quarantine``: assign contacts to quarantine sites, transfers, the roster.

Exit codes as everywhere: 2 bad input, 3 workspace conflict (no city), 4 not
found / rejected (a rejected file, an unknown case, person or site).
"""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..core.operations.assignment import AssignmentOptions, assign
from ..domains.city.service import get_city
from ..domains.quarantine import service
from ..domains.quarantine.files import FileInputError, read_contacts, read_sites
from ..domains.quarantine.schemas import AssignOut, QuarantineOptions, TransfersOut
from ..i18n import t
from .common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    err,
    fail,
    open_store,
    out,
    print_json,
    progress_bar,
    settings_for,
)

app = typer.Typer(
    help="Centralised quarantine (集中隔离): site assignment, transfers, roster, release.",
    no_args_is_help=True,
)

ShareOpt = Annotated[
    bool, typer.Option("--share-rooms", help="Let a household share rooms (--per-room each).")
]
PerRoomOpt = Annotated[int, typer.Option("--per-room", help="Persons per shared room.")]
TimeOpt = Annotated[float, typer.Option("--time-limit", help="Solver time budget (s).")]


def _local(when: datetime, offset_minutes: int) -> str:
    """A stored (naive UTC) time as the city's local ``MM-DD HH:MM``."""
    return (when + timedelta(minutes=offset_minutes)).strftime("%m-%d %H:%M")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _reject(exc: FileInputError, lang: str, as_json: bool) -> NoReturn:
    header = t("quarantine.rejected", lang, n=len(exc.errors))
    if as_json:
        fail(header, as_json=True, code=4, errors=[dataclasses.asdict(e) for e in exc.errors])
    err.print(f"[bold red]error:[/] {header}", highlight=False)
    table = Table("file", "line", "field", "rule", "value")
    for e in exc.errors[:200]:
        table.add_row(e.file, str(e.line or ""), e.field, e.rule, e.value or "")
    err.print(table)
    raise typer.Exit(4)


def _print_assign(result: AssignOut, lang: str) -> None:
    out.print(
        t(
            "quarantine.summary",
            lang,
            assigned=result.assigned,
            persons=result.persons,
            max=result.max_assignable,
            cost=result.total_cost,
            bound=result.bound,
            gap=result.gap,
            status=result.status,
            seconds=result.seconds,
        )
    )
    by_site: dict[int, list[float]] = {}
    for p in result.placements:
        by_site.setdefault(p.site_id, []).append(p.distance_km)
    table = Table(title=t("quarantine.col.site", lang))
    for key in ("site", "persons", "distance"):
        table.add_column(t(f"quarantine.col.{key}", lang), justify="right")
    for site, dist in sorted(by_site.items()):
        table.add_row(str(site), str(len(dist)), f"{np.mean(dist):.2f}")
    out.print(table)
    if result.unassigned:
        left = Table(title=t("quarantine.unassigned.title", lang))
        for key in ("person", "household", "reason"):
            left.add_column(t(f"quarantine.col.{key}", lang))
        for u in result.unassigned[:50]:
            left.add_row(
                str(u.person_id), str(u.household_id), t(f"quarantine.reason.{u.reason}", lang)
            )
        out.print(left)


def _print_transfers(plan: TransfersOut, lang: str) -> None:
    late = len(plan.late)
    out.print(
        t(
            "quarantine.transfers.summary",
            lang,
            persons=plan.persons,
            batches=len(plan.batches),
            vehicles=plan.vehicles,
            late=late,
        )
    )
    table = Table(title=t("quarantine.transfers.title", lang))
    for key in ("site", "vehicle", "persons", "depart", "arrive", "deadline", "on_time"):
        table.add_column(t(f"quarantine.col.{key}", lang))
    for b in plan.batches[:40]:
        table.add_row(
            str(b.site_id),
            f"{b.vehicle}/{b.trip}",
            str(b.persons),
            _local(b.depart_at, plan.utc_offset_minutes),
            _local(b.arrive_at, plan.utc_offset_minutes),
            _local(b.deadline_at, plan.utc_offset_minutes),
            "✓" if b.on_time else "✗",
        )
    out.print(table)
    if plan.late:
        lt = Table(title=t("quarantine.late.title", lang))
        for key in ("person", "site", "reason"):
            lt.add_column(t(f"quarantine.col.{key}", lang))
        for item in plan.late[:30]:
            lt.add_row(
                str(item.person_id), str(item.site_id), t(f"quarantine.reason.{item.reason}", lang)
            )
        out.print(lt)


def _options(share_rooms: bool, per_room: int, time_limit: float, as_json: bool) -> Any:
    try:
        return QuarantineOptions(
            share_rooms=share_rooms, persons_per_room=per_room, time_limit=time_limit
        )
    except ValueError as exc:
        fail(f"bad option: {exc}", as_json=as_json, code=2)


@app.command("assign")
def assign_cmd(
    contacts: Annotated[
        Path | None, typer.Option("--contacts", help="CSV person_id,household_id,x,y,...")
    ] = None,
    sites: Annotated[Path | None, typer.Option("--sites", help="CSV site_id,x,y,rooms,...")] = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Close contacts of the traced cases.")
    ] = False,
    case: Annotated[list[int] | None, typer.Option("--case", help="Only these cases.")] = None,
    secondary: Annotated[
        bool, typer.Option("--secondary", help="Secondary contacts too (次密接).")
    ] = False,
    share_rooms: ShareOpt = False,
    per_room: PerRoomOpt = 2,
    time_limit: TimeOpt = 9.0,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Assign persons to sites: from two CSV files, or the store's traced contacts."""
    settings = settings_for(workspace, lang)
    opts = _options(share_rooms, per_room, time_limit, as_json)
    if from_store == (contacts is not None or sites is not None):
        fail("give --contacts and --sites, or --from-store", as_json=as_json, code=2)
    if not from_store:
        if contacts is None or sites is None:
            fail("--contacts and --sites go together", as_json=as_json, code=2)
        try:
            c, s = read_contacts(contacts), read_sites(sites)
        except FileInputError as exc:
            _reject(exc, lang, as_json)
        with progress_bar() as progress:
            progress.add_task(t("quarantine.solving", lang), total=None)
            try:
                r = assign(
                    c.person_id, c.household_id, c.x, c.y, c.needs_accessible, s.site_id,
                    s.x, s.y, s.rooms, s.accessible, s.accessible_rooms,
                    options=AssignmentOptions(
                        share_rooms=opts.share_rooms,
                        persons_per_room=opts.persons_per_room,
                        time_limit=opts.time_limit,
                    ),
                )  # fmt: skip
            except ValueError as exc:
                fail(str(exc), as_json=as_json, code=2)
        placed = r.site >= 0
        doc: dict[str, Any] = {
            "assignments": [
                {"person_id": int(p), "site_id": int(si), "distance": round(float(d), 4)}
                for p, si, d in zip(
                    c.person_id[placed], r.site[placed], r.distance[placed], strict=True
                )
            ],
            "unassigned": [
                {"person_id": int(c.person_id[i]), "reason": r.reason[i]}
                for i in np.flatnonzero(~placed).tolist()
            ],
            "total_cost": r.total_cost,
            "bound": r.bound,
            "gap": r.gap,
            "bound_source": r.bound_source,
            "pruning_safe": r.pruning_safe,
            "status": r.status,
            "persons": r.persons,
            "assigned": r.assigned,
            "max_assignable": r.max_assignable,
            "rooms_used": {int(k): int(v) for k, v in zip(s.site_id, r.rooms_used, strict=True)},
            "seconds": r.stats.get("seconds"),
        }
        if as_json:
            print_json(doc)
            return
        table = Table(t("quarantine.col.person", lang), t("quarantine.col.site", lang))
        for a in doc["assignments"][:100]:
            table.add_row(str(a["person_id"]), str(a["site_id"]))
        out.print(table)
        for u in doc["unassigned"][:50]:
            out.print(f"{u['person_id']}: {t('quarantine.reason.' + u['reason'], lang)}")
        out.print(
            t(
                "quarantine.summary", lang, assigned=r.assigned, persons=r.persons,
                max=r.max_assignable, cost=r.total_cost, bound=r.bound, gap=r.gap,
                status=r.status, seconds=float(r.stats.get("seconds", 0)),
            )
        )  # fmt: skip
        return
    engine = open_store(settings)
    with progress_bar() as progress:
        progress.add_task(t("quarantine.solving", lang), total=None)
        try:
            with Session(engine) as session, session.begin():
                if get_city(session=session) is None:
                    fail(t("error.no_city", lang, workspace=workspace), as_json=as_json, code=3)
                result, plan = service.assign_contacts(
                    session=session,
                    now=_now(),
                    case_ids=case or None,
                    categories=("close", "secondary") if secondary else ("close",),
                    options=opts,
                )
        except service.NotFoundError as exc:
            fail(str(exc), as_json=as_json, code=4)
        except (service.QuarantineInputError, ValueError) as exc:
            fail(str(exc), as_json=as_json, code=2)
    if as_json:
        print_json({"assignment": result, "transfers": plan})
        return
    if result.persons == 0:
        out.print(t("quarantine.nobody", lang))
        return
    _print_assign(result, lang)
    if plan is not None:
        _print_transfers(plan, lang)


def _store_session(workspace: Path, lang: str, as_json: bool) -> tuple[Any, Any]:
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    with Session(engine) as session:
        if get_city(session=session) is None:
            fail(t("error.no_city", lang, workspace=workspace), as_json=as_json, code=3)
    return settings, engine


@app.command("transfers")
def transfers_cmd(
    plan: Annotated[
        bool, typer.Option("--plan", help="Plan batches for assigned persons without one.")
    ] = False,
    site: Annotated[int | None, typer.Option("--site", help="Only this site.")] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """List the transfer batches (or plan the missing ones with --plan)."""
    _, engine = _store_session(workspace, lang, as_json)
    if plan:
        with progress_bar() as progress, Session(engine) as session, session.begin():
            progress.add_task(t("quarantine.routing", lang), total=None)
            result = service.plan_transfers_for(session=session, now=_now())
    else:
        with Session(engine) as session:
            batches = service.transfer_batches(session=session, site_id=site)
        result = TransfersOut(
            batches=batches,
            late=[],
            persons=sum(b.persons for b in batches),
            vehicles=len({(b.site_id, b.vehicle) for b in batches}),
        )
    if as_json:
        print_json(result)
    else:
        _print_transfers(result, lang)


@app.command("roster")
def roster_cmd(
    site: Annotated[int | None, typer.Option("--site", help="Only this site.")] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """The quarantine roster: every stay with its status, release date and tests."""
    _, engine = _store_session(workspace, lang, as_json)
    with Session(engine) as session:
        try:
            rows = service.roster(session=session, site_id=site)
        except service.NotFoundError as exc:
            fail(str(exc), as_json=as_json, code=4)
    if as_json:
        print_json({"roster": rows})
        return
    table = Table(title=t("quarantine.roster.title", lang))
    for key in ("person", "site", "status", "due", "tests"):
        table.add_column(t(f"quarantine.col.{key}", lang))
    for r in rows[:200]:
        table.add_row(
            str(r.person_id),
            str(r.site_id),
            r.status,
            r.release_due_at.strftime("%Y-%m-%d"),
            f"{r.tests} ({r.last_test or '-'})",
        )
    out.print(table)


@app.command("admit")
def admit_cmd(
    persons: Annotated[list[int], typer.Argument(help="Person ids arriving at their site.")],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Admit arriving persons (all or none); the release date counts from now."""
    _, engine = _store_session(workspace, lang, as_json)
    try:
        with Session(engine) as session, session.begin():
            done = service.admit(session=session, person_ids=persons, at=_now())
    except service.NotFoundError as exc:
        fail(str(exc), as_json=as_json, code=4)
    if as_json:
        print_json({"admitted": done})
    else:
        out.print(t("quarantine.admitted", lang, n=len(done)))


@app.command("test")
def test_cmd(
    person: Annotated[int, typer.Argument(help="Person id.")],
    result: Annotated[str, typer.Option("--result", help="negative, positive or invalid.")],
    day: Annotated[str | None, typer.Option("--date", help="Test date (default today).")] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Record a test during a stay (one per day; a second one that day replaces it)."""
    _, engine = _store_session(workspace, lang, as_json)
    try:
        tested = date.fromisoformat(day) if day else date.today()
    except ValueError:
        fail(f"--date must be an ISO date (YYYY-MM-DD), got {day!r}", as_json=as_json, code=2)
    try:
        with Session(engine) as session, session.begin():
            test_id = service.record_test(
                session=session, person_id=person, tested_on=tested, result=result, now=_now()
            )
    except service.NotFoundError as exc:
        fail(str(exc), as_json=as_json, code=4)
    except service.QuarantineInputError as exc:
        fail(str(exc), as_json=as_json, code=2)
    if as_json:
        print_json(
            {"test_id": test_id, "person_id": person, "date": tested.isoformat(), "result": result}
        )
    else:
        out.print(t("quarantine.tested", lang, person=person, day=tested, result=result))


@app.command("release")
def release_cmd(
    today: Annotated[
        str | None, typer.Option("--today", help="Local date (default today).")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Release the stays due by today whose last test is negative."""
    _, engine = _store_session(workspace, lang, as_json)
    try:
        day = date.fromisoformat(today) if today else date.today()
    except ValueError:
        fail(f"--today must be an ISO date (YYYY-MM-DD), got {today!r}", as_json=as_json, code=2)
    with Session(engine) as session, session.begin():
        result = service.release_due(session=session, today=day, now=_now())
    if as_json:
        print_json(result)
    else:
        out.print(
            t("quarantine.released", lang, today=day, n=len(result.released), held=len(result.held))
        )


@app.command("sites")
def sites_cmd(
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Rooms, occupied and left per quarantine site."""
    _, engine = _store_session(workspace, lang, as_json)
    with Session(engine) as session:
        rows = service.site_occupancy(session=session)
    if as_json:
        print_json({"sites": rows})
        return
    table = Table(title=t("quarantine.sites.title", lang))
    for key in ("site", "rooms", "occupied", "left", "accessible_left"):
        table.add_column(t(f"quarantine.col.{key}", lang), justify="right")
    for r in rows:
        table.add_row(
            f"{r.site_id} {r.name}", str(r.rooms), str(r.occupied), str(r.left),
            str(r.accessible_left),
        )  # fmt: skip
    out.print(table)
