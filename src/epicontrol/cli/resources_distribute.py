"""``epicontrol resources distribute`` and ``resources nodes``: the three-tier supply plan.

Registered on the ``epicontrol resources`` Typer app (``cli/resources.py``
imports this module).  Exit codes: 2 bad input, 3 workspace conflict (no
city), 4 not found / rejected (a rejected node file).
"""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..domains.supply import service
from ..domains.supply.schemas import PlanOut, SupplySettings
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
from .resources import app

nodes_app = typer.Typer(
    help="Supply nodes of the three-tier network (保供节点).", no_args_is_help=True
)
app.add_typer(nodes_app, name="nodes")

STEPS = ("zones", "network", "solve", "store")


def render_plan(plan: PlanOut, lang: str, *, rows: int = 20) -> None:
    """Coverage, solver gap, goods, legs, points and who cannot be served (and why)."""
    out.rule(t("supply.title", lang, day=plan.day.isoformat(),
               source=t(f"supply.source.{plan.zone_source}", lang)))  # fmt: skip
    for level, cov in (("lockdown", plan.lockdown), ("control", plan.control)):
        out.print(
            t("supply.coverage", lang, level=t(f"supply.level.{level}", lang),
              served=cov.served, households=cov.households, hours=plan.deadline_hours,
              rate=cov.rate)
        )  # fmt: skip
    optimal = t("supply.optimal", lang) if plan.optimal else ""
    out.print(t("supply.solver", lang, seconds=plan.seconds, gap=plan.gap, optimal=optimal))
    out.print(t("supply.items", lang, **{k: plan.items.get(k, 0.0) for k in
                                         ("mask", "vegetables", "grain", "meat")}))  # fmt: skip
    if plan.unserved_by_reason:
        n = sum(plan.unserved_by_reason.values())
        detail = ", ".join(
            f"{t(f'supply.reason.{r}', lang)} {c:,}" for r, c in plan.unserved_by_reason.items()
        )
        out.print(t("supply.unserved", lang, n=n, detail=detail))
    legs = Table()
    for key in ("tier", "from", "to", "vehicles", "trips", "kg"):
        legs.add_column(t(f"supply.col.{key}", lang), justify="right" if key in
                        ("vehicles", "trips", "kg") else "left")  # fmt: skip
    for leg in plan.legs[:rows]:
        legs.add_row(str(leg.tier), leg.from_node, leg.to_node, str(leg.vehicles or "-"),
                     str(leg.trips), f"{leg.kg:,.1f}")  # fmt: skip
    if plan.legs:
        out.print(legs)
    points = Table()
    for key in ("point", "lockdown", "control", "rounds", "kg"):
        points.add_column(t(f"supply.col.{key}", lang))
    for p in plan.points[:rows]:
        points.add_row(
            p.node, f"{p.served_lockdown}/{p.households_lockdown}",
            f"{p.served_control}/{p.households_control}", str(p.rounds), f"{p.kg:,.1f}",
        )  # fmt: skip
    if plan.points:
        out.print(points)
    if plan.unserved:
        table = Table()
        for key in ("household", "point", "reason"):
            table.add_column(t(f"supply.col.{key}", lang))
        for u in plan.unserved[:rows]:
            table.add_row(
                f"{u.household_id} ({u.zone_class}, {u.size})", u.node or "-",
                t(f"supply.reason.{u.reason}", lang),
            )  # fmt: skip
        out.print(table)


@app.command("distribute")
def distribute(
    day: Annotated[
        str | None, typer.Option("--date", help="Local day to plan (default today).")
    ] = None,
    lockdown: Annotated[
        str | None,
        typer.Option("--lockdown-areas", help="Plan these areas as lockdown instead of the zones."),
    ] = None,
    control: Annotated[
        str | None, typer.Option("--control-areas", help="... and these as control zones.")
    ] = None,
    time_limit: Annotated[float, typer.Option("--time-limit", help="Solver budget, s.")] = 15.0,
    extra_hubs: Annotated[
        int, typer.Option("--extra-hubs", help="Hubs of other districts a point may use.")
    ] = 1,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Plan the day's deliveries to households in lockdown and control zones (≤ 24 h)."""
    settings = settings_for(workspace, lang)
    when: date | None = None
    if day is not None:
        try:
            when = date.fromisoformat(day)
        except ValueError:
            fail(f"--date must be an ISO date (2026-11-05), got {day!r}", as_json=as_json, code=2)
    if time_limit <= 0:
        fail(f"--time-limit must be > 0, got {time_limit}", as_json=as_json, code=2)
    if extra_hubs < 0:
        fail(f"--extra-hubs must be >= 0, got {extra_hubs}", as_json=as_json, code=2)
    lock_ids = parse_ids("--lockdown-areas", lockdown, as_json=as_json, what="area ids")
    ctrl_ids = parse_ids("--control-areas", control, as_json=as_json, what="area ids")
    supply = SupplySettings(time_limit=time_limit, extra_hubs=extra_hubs)
    engine = open_store(settings)
    try:
        with progress_bar() as progress, Session(engine) as session, session.begin():
            task = progress.add_task(t("supply.progress.zones", lang), total=len(STEPS))

            def step(name: str) -> None:
                progress.update(
                    task, description=t(f"supply.progress.{name}", lang),
                    completed=STEPS.index(name),
                )  # fmt: skip

            plan = service.plan_day(
                session=session, settings=supply, day=when, lockdown_areas=lock_ids,
                control_areas=ctrl_ids, progress=step,
            )  # fmt: skip
            progress.update(task, completed=len(STEPS))
    except service.SupplyInputError as exc:
        fail(str(exc), as_json=as_json, code=2, field=exc.field)
    except service.SupplyError as exc:
        fail(str(exc), as_json=as_json, code=3)
    finally:
        engine.dispose()
    if as_json:
        print_json(plan)
        return
    render_plan(plan, lang)


@nodes_app.command("import")
def nodes_import(
    path: Annotated[
        Path,
        typer.Argument(
            help="CSV: code, level, area_code, name, capacity_kg, "
            "vehicles, vehicle_kg, workers, doors_per_round"
        ),
    ],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Import supply nodes (all or nothing; importing the same file again changes nothing)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            result = service.import_nodes(session=session, path=path)
    except service.NodesRejected as exc:
        header = t("supply.nodes.rejected", lang, n=len(exc.errors))
        if as_json:
            fail(header, as_json=True, code=4,
                 errors=[dataclasses.asdict(e) for e in exc.errors])  # fmt: skip
        err.print(f"[bold red]error:[/] {header}")
        for e in exc.errors[:200]:
            err.print(f"  {e}", highlight=False)
        raise typer.Exit(4) from None
    except service.SupplyError as exc:
        fail(str(exc), as_json=as_json, code=3)
    finally:
        engine.dispose()
    if as_json:
        print_json(result)
        return
    out.print(t("supply.nodes.done", lang, **result.model_dump()))


@nodes_app.command("list")
def nodes_list(
    level: Annotated[str | None, typer.Option("--level", help="city, district, community.")] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """The supply nodes (derived from the city the first time when there are none)."""
    settings = settings_for(workspace, lang)
    if level is not None and level not in ("city", "district", "community"):
        fail(f"--level must be city, district or community, got {level!r}", as_json=as_json, code=2)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            service.ensure_nodes(session=session, settings=SupplySettings())
            rows = service.list_nodes(session=session, level=level)
    except service.SupplyError as exc:
        fail(str(exc), as_json=as_json, code=3)
    finally:
        engine.dispose()
    if as_json:
        print_json(rows)
        return
    table = Table()
    for col in ("code", "level", "name", "capacity_kg", "vehicles", "vehicle_kg", "workers"):
        table.add_column(col)
    for n in rows:
        table.add_row(n.code, n.level, n.name, f"{n.capacity_kg:,.0f}", str(n.vehicles),
                      f"{n.vehicle_kg:,.0f}", str(n.workers))  # fmt: skip
    out.print(table)
