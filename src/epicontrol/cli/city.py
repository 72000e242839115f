"""``epicontrol city``: generate, import and inspect a city."""

from __future__ import annotations

import dataclasses
import shutil
import time
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.city.generator import generate_city
from ..core.city.params import CityParams
from ..domains.city import service as city_service
from ..domains.city.schemas import CitySummary
from ..i18n import t
from ..store import lake
from ..store.migrate import downgrade, upgrade
from .common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    display_url,
    err,
    fail,
    open_store,
    out,
    print_json,
    progress_bar,
    settings_for,
)

app = typer.Typer(help="Generate, import and inspect the city (城市数据).", no_args_is_help=True)


def _drop_city(settings: Settings, engine: Engine) -> Engine:
    """Empty the store for --replace; returns the engine to use from now on.

    The workspace's own SQLite file is deleted and made anew (dropping tables
    of a multi-gigabyte file would rewrite it page by page); any other store
    is downgraded to empty and migrated up again.
    """
    if settings.database_url:
        downgrade(engine, "base")
        upgrade(engine)
        return engine
    engine.dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{settings.sqlite_path}{suffix}").unlink(missing_ok=True)
    return open_store(settings)


def run_generate(
    settings: Settings,
    *,
    population: int,
    days: int,
    seed: int,
    replace: bool,
    as_json: bool,
) -> dict[str, Any]:
    """Generate a city into the workspace: lake first, then one database transaction.

    If the database write fails, the lake partitions written by this run are
    removed, so the workspace is left as it was.
    """
    lang = settings.lang
    params = CityParams(population=population, days=days, seed=seed)
    try:
        params.validate()
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    engine = open_store(settings)
    lake_dir = settings.lake_dir
    with Session(engine) as session:
        has_city = city_service.get_city(session=session) is not None
    has_lake = any(lake.partition_days(lake_dir, name) for name in lake.DATASETS)
    if has_city or has_lake:
        if not replace:
            fail(t("error.exists", lang, workspace=settings.workspace), as_json=as_json, code=3)
        engine = _drop_city(settings, engine)
        shutil.rmtree(lake_dir, ignore_errors=True)

    started = time.perf_counter()
    with progress_bar() as progress:
        steps = ("areas", "households", "venues", "persons", "activity")
        task = progress.add_task(t("generate.step.areas", lang), total=len(steps))

        def on_step(name: str) -> None:
            progress.update(task, description=t(f"generate.step.{name}", lang))
            if name != "areas":
                progress.advance(task)

        city = generate_city(params, progress=on_step)
        progress.update(task, completed=len(steps))
        t_generated = time.perf_counter()

        lake_task = progress.add_task(t("generate.lake", lang), total=days)
        try:
            checkins = city_service.write_lake(
                city=city,
                lake_dir=lake_dir,
                days=days,
                on_day=lambda _d, _rows: progress.advance(lake_task),
            )
            t_lake = time.perf_counter()
            total_rows = sum(
                getattr(city, n).num_rows
                for n in (
                    "areas",
                    "adjacency",
                    "households",
                    "venues",
                    "groups",
                    "persons",
                    "facilities",
                )
            )
            db_task = progress.add_task(t("generate.db", lang), total=total_rows)
            with Session(engine) as session, session.begin():
                counts = city_service.create_city(
                    session=session,
                    city=city,
                    days=days,
                    on_progress=lambda _n, rows: progress.advance(db_task, rows),
                )
        except BaseException:
            shutil.rmtree(lake_dir, ignore_errors=True)
            raise
    finished = time.perf_counter()
    seconds = finished - started
    buildings = int((city.areas.column("level").to_numpy(zero_copy_only=False) == "building").sum())
    return {
        "persons": counts.persons,
        "households": counts.households,
        "buildings": buildings,
        "areas": counts.areas,
        "venues": counts.venues,
        "groups": counts.groups,
        "facilities": counts.facilities,
        "checkins": checkins,
        "days": days,
        "seed": seed,
        "epoch": city.epoch.isoformat(),
        "database": display_url(settings.resolved_database_url()),
        "lake": str(lake_dir.resolve()),
        "seconds": round(seconds, 2),
        "timings": {
            "generate": round(t_generated - started, 2),
            "lake": round(t_lake - t_generated, 2),
            "database": round(finished - t_lake, 2),
        },
    }


@app.command("generate")
def generate_cmd(
    population: Annotated[int, typer.Option("--population", "-n", help="Residents.")] = 50_000,
    days: Annotated[int, typer.Option("--days", "-d", help="Days of check-ins.")] = 14,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed.")] = 1,
    replace: Annotated[
        bool, typer.Option("--replace", help="Replace the city already in the workspace.")
    ] = False,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Generate the synthetic city "Minjiang" (deterministic for a seed)."""
    settings = settings_for(workspace, lang)
    result = run_generate(
        settings, population=population, days=days, seed=seed, replace=replace, as_json=as_json
    )
    if as_json:
        print_json(result)
        return
    out.print(
        t("generate.done", settings.lang, persons=result["persons"], seconds=result["seconds"])
    )
    table = Table(show_header=False, box=None)
    for key, value in result.items():
        table.add_row(key, f"{value:,}" if isinstance(value, int) else str(value))
    out.print(table)


@app.command("import")
def import_cmd(
    directory: Annotated[Path, typer.Argument(help="Directory with the CSV files.")],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Import a real city from CSV files (all-or-nothing; a re-import changes nothing)."""
    from ..domains.city import importing

    settings = settings_for(workspace, lang)
    if not directory.is_dir():
        fail(f"{directory}: not a directory", as_json=as_json, code=2)
    engine = open_store(settings)
    try:
        with progress_bar() as progress, Session(engine) as session, session.begin():
            task = progress.add_task(t("import.reading", lang), total=None)

            def on_rows(table: str, rows: int) -> None:
                progress.update(task, description=t("import.writing", lang, table=table))
                progress.advance(task, rows)

            result = importing.import_city(
                session=session, directory=directory, on_progress=on_rows
            )
    except importing.ImportRejected as exc:
        errors = [dataclasses.asdict(e) for e in exc.errors]
        if as_json:
            fail(t("import.rejected", lang, n=len(errors)), as_json=True, code=4, errors=errors)
        err.print(t("import.rejected", lang, n=len(errors)))
        table = Table("file", "line", "field", "rule", "value")
        for e in exc.errors[:200]:
            table.add_row(e.file, str(e.line), e.field, e.rule, str(e.value or ""))
        err.print(table)
        raise typer.Exit(4) from None
    except importing.ImportConflict as exc:
        fail(str(exc), as_json=as_json, code=3)
    if as_json:
        print_json(result)
    elif result.unchanged:
        out.print(t("import.unchanged", lang))
    else:
        summary = ", ".join(f"{k} {v:,}" for k, v in result.counts.items())
        out.print(t("import.done", lang, summary=summary))


def load_summary(settings: Settings, *, as_json: bool) -> CitySummary:
    engine = open_store(settings)
    with Session(engine) as session:
        try:
            return city_service.city_summary(session=session, standards=settings.standards)
        except city_service.CityError:
            fail(
                t("error.no_city", settings.lang, workspace=settings.workspace),
                as_json=as_json,
                code=3,
            )


def render_summary(summary: CitySummary, lang: str) -> None:
    """Districts and facilities against the standards, as rich tables."""
    en = lang == "en"
    d_table = Table(title=t("districts.title", lang))
    for key in (
        "district",
        "kind",
        "population",
        "households",
        "streets",
        "communities",
        "buildings",
        "venues",
    ):
        d_table.add_column(t(key, lang), justify="left" if key in ("district", "kind") else "right")
    for d in summary.districts:
        d_table.add_row(
            (d.name_en or d.name) if en else d.name,
            t(f"kind.{d.kind}", lang) if d.kind else "",
            f"{d.population:,}",
            f"{d.households:,}",
            f"{d.streets:,}",
            f"{d.communities:,}",
            f"{d.buildings:,}",
            f"{d.venues:,}",
        )
    d_table.add_row(
        t("total", lang),
        "",
        f"{summary.population:,}",
        f"{summary.households:,}",
        f"{summary.areas['street']:,}",
        f"{summary.areas['community']:,}",
        f"{summary.areas['building']:,}",
        f"{sum(summary.venues.values()):,}",
        style="bold",
    )
    out.print(d_table)

    measures = ("quarantine_rooms", "hospital_beds", "icu_beds")
    f_table = Table(title=t("facilities.title", lang))
    f_table.add_column(t("district", lang))
    for m in measures:
        std = next(r.standard_per_10k for r in summary.provision if r.measure == m)
        f_table.add_column(
            f"{t('measure.' + m, lang)}\n({t('standard', lang)} {std:g})", justify="right"
        )
    by = {(r.district_id, r.measure): r for r in summary.provision}
    for d in summary.districts:
        cells = []
        for m in measures:
            r = by[(d.id, m)]
            per = "—" if r.per_10k is None else f"{r.per_10k:.1f}"
            if r.shortfall > 0:
                cells.append(f"[red]{per}  {t('shortfall', lang)} {r.shortfall:,}[/]")
            else:
                cells.append(f"[green]{per}[/]")
        f_table.add_row((d.name_en or d.name) if en else d.name, *cells)
    out.print(f_table)
    for m in measures:
        rows = [r for r in summary.provision if r.measure == m and r.shortfall > 0]
        if rows:
            out.print(
                t(
                    "short.summary",
                    lang,
                    measure=t("measure." + m, lang),
                    n=len(rows),
                    gap=f"{sum(r.shortfall for r in rows):,}",
                )
            )


@app.command("summary")
def summary_cmd(
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Districts, venues and facilities against the standards (per 10,000)."""
    settings = settings_for(workspace, lang)
    summary = load_summary(settings, as_json=as_json)
    if as_json:
        print_json(summary)
    else:
        render_summary(summary, settings.lang)


@app.command("person")
def person_cmd(
    person_id: Annotated[int, typer.Argument(help="Person id.")],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Show one resident; phone and ID number are masked."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    with Session(engine) as session:
        try:
            person = city_service.get_person(session=session, person_id=person_id)
        except city_service.NotFoundError as exc:
            fail(str(exc), as_json=as_json, code=4)
    if as_json:
        print_json(person)
        return
    table = Table(show_header=False, box=None)
    for key, value in person.model_dump().items():
        table.add_row(key, str(value))
    out.print(table)
