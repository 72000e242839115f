"""``epicontrol zones``: three-zone management (三区) — delineate, evaluate, list, history, GeoJSON.

Exit codes as everywhere: 2 bad input (options, a bad rules file, a case in
an unknown building), 3 workspace conflict (no city), 4 not found (unknown
case or zone).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Annotated, NoReturn

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.zones import STATES, RulesError, ZoneRules, default_rules_text, load_rules
from ..domains.tracing.context import LakeIndex, TracingError, open_lake
from ..domains.zones import queries, service
from ..domains.zones.schemas import ChangeOut, ZoneOut
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
    help="Three-zone management (三区): lockdown, control and prevention zones.",
    no_args_is_help=True,
)

RulesOpt = Annotated[
    Path | None,
    typer.Option("--rules", help="Zone rules file (TOML); default: the shipped rules."),
]


def _rules(path: Path | None, as_json: bool, unit: str | None = None) -> ZoneRules:
    try:
        return load_rules(path).with_unit(unit)
    except RulesError as exc:
        fail(str(exc), as_json=as_json, code=2, key=exc.key, rule_id=exc.rule_id)


def _date(value: str, option: str, as_json: bool) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be an ISO date (2026-11-05), got {value!r}", as_json=as_json, code=2)


def _service_error(exc: Exception, as_json: bool) -> NoReturn:
    if isinstance(exc, service.NotFoundError):
        fail(str(exc), as_json=as_json, code=4)
    if isinstance(exc, service.ZoneInputError):
        fail(str(exc), as_json=as_json, code=2, field=exc.field)
    if isinstance(exc, RulesError):
        fail(str(exc), as_json=as_json, code=2, key=exc.key, rule_id=exc.rule_id)
    fail(str(exc), as_json=as_json, code=3)


def _lake(settings: Settings, engine: Engine, as_json: bool) -> LakeIndex | None:
    """The check-in index (built once per lake version); ``None`` when the lake has none."""
    with progress_bar() as progress, Session(engine) as session:
        task = progress.add_task(t("tracing.index.load", settings.lang), total=None)

        def on_index(done: int, total: int) -> None:
            description = t("tracing.index.build", settings.lang)
            progress.update(task, description=description, completed=done, total=total)

        try:
            service.load_city(session)
            return open_lake(session=session, lake_dir=settings.lake_dir, on_index=on_index)
        except service.ZoneError as exc:
            fail(str(exc), as_json=as_json, code=3)
        except TracingError as exc:
            err.print(t("zones.no_checkins", settings.lang, error=exc), highlight=False)
            return None


def _level(name: str, lang: str) -> str:
    return t(f"zones.level.{name}", lang)


def zones_table(zones: list[ZoneOut], lang: str, limit: int = 200) -> Table:
    table = Table(title=t("zones.list.title", lang))
    for key in ("id", "level", "area", "since", "cases", "residents", "red", "yellow", "green"):
        table.add_column(t(f"zones.col.{key}", lang), justify="right" if key != "area" else "left")
    for z in zones[:limit]:
        name = z.area_name if lang != "en" else (z.area_name_en or z.area_name)
        table.add_row(
            str(z.id),
            _level(z.level if z.status == "active" else "lifted", lang),
            f"{name} ({z.area_code})",
            z.level_day.isoformat(),
            ", ".join(map(str, z.source_case_ids[:5]))
            + ("…" if len(z.source_case_ids) > 5 else ""),
            f"{z.residents:,}",
            str(z.special.red),
            str(z.special.yellow),
            str(z.special.green),
        )
    return table


def summary_table(zones: list[ZoneOut], lang: str) -> Table:
    table = Table(title=t("zones.summary.title", lang))
    for key in ("level", "units", "residents", "red", "yellow", "green"):
        table.add_column(t(f"zones.col.{key}", lang), justify="right")
    for level in STATES[:3]:
        rows = [z for z in zones if z.level == level]
        table.add_row(
            _level(level, lang),
            str(len(rows)),
            f"{sum(z.residents for z in rows):,}",
            str(sum(z.special.red for z in rows)),
            str(sum(z.special.yellow for z in rows)),
            str(sum(z.special.green for z in rows)),
        )
    return table


def history_table(changes: list[ChangeOut], lang: str, limit: int = 300) -> Table:
    table = Table(title=t("zones.history.title", lang))
    for key in ("day", "zone", "area", "change", "rule", "reason"):
        table.add_column(t(f"zones.col.{key}", lang))
    for c in changes[:limit]:
        start = _level(c.from_level, lang) if c.from_level else t("zones.opened", lang)
        table.add_row(
            c.day.isoformat(),
            str(c.zone_id),
            str(c.area_id),
            f"{start} → {_level(c.to_level, lang)}",
            c.rule_id,
            c.reason,
        )
    return table


@app.command("delineate")
def delineate_cmd(
    case: Annotated[list[int] | None, typer.Option("--case", help="Case id (repeatable).")] = None,
    all_cases: Annotated[
        bool, typer.Option("--all", help="Every confirmed/asymptomatic case without zones yet.")
    ] = False,
    unit: Annotated[
        str | None,
        typer.Option("--unit", help="Smallest unit: building, compound or community."),
    ] = None,
    rules_file: RulesOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Draw the lockdown, control and prevention zones of cases (a case is drawn once)."""
    settings = settings_for(workspace, lang)
    if bool(case) == all_cases:
        fail(t("zones.delineate.need_cases", settings.lang), as_json=as_json, code=2)
    if unit is not None and unit not in ("building", "compound", "community"):
        fail(
            f"--unit must be building, compound or community, got {unit!r}", as_json=as_json, code=2
        )
    rules = _rules(rules_file, as_json, unit)
    engine = open_store(settings)
    lake = _lake(settings, engine, as_json)
    with progress_bar() as progress:
        task = progress.add_task(t("zones.progress.delineate", settings.lang), total=3)

        def on_progress(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            with Session(engine) as session, session.begin():
                result = service.delineate(
                    session=session,
                    rules=rules,
                    lake=lake,
                    case_ids=None if all_cases else case,
                    on_progress=on_progress,
                )
        except (
            service.NotFoundError,
            service.ZoneInputError,
            service.ZoneError,
            RulesError,
        ) as exc:
            _service_error(exc, as_json)
    if as_json:
        print_json(result)
        return
    out.print(
        t(
            "zones.delineate.done",
            settings.lang,
            cases=len(result.cases),
            unit=t(f"zones.unit.{result.unit}", settings.lang),
            skipped=len(result.skipped),
            created=result.created,
            escalated=result.escalated,
            restarted=result.restarted,
            **result.units,
        )
    )


@app.command("evaluate")
def evaluate_cmd(
    day: Annotated[str, typer.Option("--date", help="Local day to evaluate (ISO date).")],
    rules_file: RulesOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Run the zone rules for a day (and any missed days before it); a day runs once."""
    settings = settings_for(workspace, lang)
    when = _date(day, "--date", as_json)
    rules = _rules(rules_file, as_json)
    engine = open_store(settings)
    lake = _lake(settings, engine, as_json) if rules.new_case.redelineate else None
    with progress_bar() as progress:
        task = progress.add_task(t("zones.progress.evaluate", settings.lang), total=None)

        def on_day(done: int, total: int) -> None:
            progress.update(task, completed=done, total=total)

        try:
            with Session(engine) as session, session.begin():
                result = service.evaluate(
                    session=session, day=when, rules=rules, lake=lake, on_day=on_day
                )
        except (service.NotFoundError, service.ZoneInputError, service.ZoneError) as exc:
            _service_error(exc, as_json)
    if as_json:
        print_json(result)
        return
    lg = settings.lang
    for d in result.days:
        out.print(
            t(
                "zones.evaluate.day",
                lg,
                day=d.day.isoformat(),
                cases=d.city_cases,
                changes=len(d.transitions),
                surge=t("zones.evaluate.surge", lg) if d.surge else "",
                frozen=t("zones.evaluate.frozen", lg) if d.frozen else "",
                again=t("zones.evaluate.again", lg) if d.already_evaluated else "",
            )
        )
    changes = [c for d in result.days for c in d.transitions]
    if changes:
        out.print(history_table(changes, lg))
    out.print(t("zones.evaluate.active", lg, **result.active))


@app.command("list")
def list_cmd(
    level: Annotated[
        str | None, typer.Option("--level", help="lockdown, control or prevention.")
    ] = None,
    active: Annotated[bool, typer.Option("--active", help="Only zones not lifted.")] = False,
    on: Annotated[
        str | None, typer.Option("--on", help="Levels as they were at the end of this day.")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Zones with their residents and special-population persons by tier."""
    settings = settings_for(workspace, lang)
    if level is not None and level not in STATES[:3]:
        fail(
            f"--level must be lockdown, control or prevention, got {level!r}",
            as_json=as_json,
            code=2,
        )
    when = _date(on, "--on", as_json) if on else None
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            zones = queries.list_zones(session=session, level=level, active=active or None, on=when)
    except service.ZoneError as exc:
        _service_error(exc, as_json)
    if as_json:
        print_json({"zones": zones})
        return
    if not zones:
        out.print(t("zones.none", settings.lang))
        return
    out.print(summary_table(zones, settings.lang))
    out.print(zones_table(zones, settings.lang))


@app.command("history")
def history_cmd(
    zone_id: Annotated[int | None, typer.Argument(help="Zone id (default: every zone).")] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Every change of a zone (or all zones) with its rule and reason."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            changes = queries.zone_history(session=session, zone_id=zone_id)
    except (service.NotFoundError, service.ZoneError) as exc:
        _service_error(exc, as_json)
    if as_json:
        print_json({"history": changes})
        return
    if not changes:
        out.print(t("zones.none", settings.lang))
        return
    out.print(history_table(changes, settings.lang))


@app.command("geojson")
def geojson_cmd(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file (default: stdout).")
    ] = None,
    all_zones: Annotated[bool, typer.Option("--all", help="Lifted zones too.")] = False,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """The zones as a GeoJSON FeatureCollection (polygons where they exist, else points)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            collection = queries.zones_geojson(session=session, active=not all_zones)
    except service.ZoneError as exc:
        _service_error(exc, as_json)
    if output is None:
        print_json(collection)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(collection, ensure_ascii=False), encoding="utf-8")
    n = len(collection["features"])
    if as_json:
        print_json({"path": str(output.resolve()), "features": n})
        return
    out.print(t("zones.geojson.written", settings.lang, n=n, path=output))


@app.command("rules")
def rules_cmd(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the default rules to this file.")
    ] = None,
    check: Annotated[
        Path | None, typer.Option("--check", help="Check a rules file and print it as JSON.")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Print (or write) the default rules file to edit, or check an edited one."""
    settings_for(workspace, lang)
    if check is not None:
        rules = _rules(check, as_json)
        print_json(
            {
                "source": rules.source,
                "sha256": rules.sha256,
                "rule_ids": list(rules.rule_ids),
                "unit": rules.delineation.unit,
                "stay_minutes": rules.delineation.stay_minutes,
            }
        )
        return
    text = default_rules_text()
    if output is None:
        if as_json:
            print_json({"rules": text})
        else:
            typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    if as_json:
        print_json({"path": str(output.resolve())})
