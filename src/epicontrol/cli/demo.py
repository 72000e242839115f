"""``epicontrol demo``: generate a city into a fresh workspace and show it."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Annotated

import pyarrow as pa
import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..domains.city import service as city_service
from ..domains.city.models import Person, Venue
from ..domains.surveillance.service import SurveillanceError
from ..i18n import t
from ..store import lake
from . import demo_testing
from .city import load_summary, render_summary, run_generate
from .common import JsonOpt, LangOpt, fail, open_store, out, print_json
from .demo_quarantine import quarantine_demo, render_quarantine
from .demo_report import render_report, report_demo
from .demo_resources import render_resources, resources_demo
from .demo_special import render_special, special_demo
from .demo_tasks import render_tasks, tasks_demo
from .demo_tracing import render_tracing, tracing_demo
from .demo_twin import render_twin, twin_demo
from .demo_zones import render_zones, zones_demo
from .surveil import OutbreakDemo, outbreak_demo

WORKSPACE_FILES = {
    "epicontrol.db",
    "epicontrol.db-wal",
    "epicontrol.db-shm",
    "lake",
    "feeds",
    "reports",
}


def _fresh(workspace: Path, as_json: bool) -> None:
    """Empty ``workspace`` if it only holds an earlier epicontrol workspace."""
    if not workspace.exists():
        return
    names = {p.name for p in workspace.iterdir()}
    if names - WORKSPACE_FILES:
        fail(
            f"{workspace} holds files that are not an epicontrol workspace "
            f"({', '.join(sorted(names - WORKSPACE_FILES))}); choose another --workspace",
            as_json=as_json,
            code=3,
        )
    shutil.rmtree(workspace)


def demo(
    workspace: Annotated[
        Path, typer.Option("--workspace", "-w", help="Fresh workspace for the demo city.")
    ] = Path("var/demo"),
    population: Annotated[int, typer.Option("--population", "-n")] = 50_000,
    days: Annotated[int, typer.Option("--days", "-d")] = 14,
    seed: Annotated[int, typer.Option("--seed", "-s")] = 1,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Generate a 50,000-person city into a fresh workspace (SQLite + lake) and summarise it."""
    if lang not in ("zh-CN", "en"):
        fail(f"--lang must be zh-CN or en, got {lang!r}", as_json=as_json, code=2)
    _fresh(workspace, as_json)
    # The demo always runs on the embedded store, whatever EPICONTROL_DATABASE_URL says.
    settings = Settings(workspace=workspace, lang=lang, database_url=None)
    generated = run_generate(
        settings, population=population, days=days, seed=seed, replace=False, as_json=as_json
    )
    summary = load_summary(settings, as_json=as_json)

    engine = open_store(settings)
    with Session(engine) as session:
        venues = session.execute(select(Venue.id, Venue.type)).all()
        adult = session.scalar(
            select(Person.id).where(Person.id >= population // 2, Person.age >= 18).limit(1)
        )
        person = city_service.get_person(session=session, person_id=adult or 0)
    venue_table = pa.table(
        {"id": pa.array([v[0] for v in venues], pa.int32()), "type": [v[1] for v in venues]}
    )
    con = lake.connect(settings.lake_dir)
    con.register("venue_types", venue_table)
    busiest = con.execute(
        """
        SELECT v.type, count(*) AS checkins, count(DISTINCT c.person_id) AS persons,
               round(avg(c.t_out - c.t_in), 1) AS mean_minutes
        FROM checkins c JOIN venue_types v ON v.id = c.venue_id
        WHERE c.day = 0 GROUP BY v.type ORDER BY checkins DESC
        """
    ).fetchall()
    syndromic_rows = con.execute("SELECT count(*) FROM syndromic").fetchone()
    n_syndromic = int(syndromic_rows[0]) if syndromic_rows else 0
    con.close()

    # Tracing: a few confirmed cases, traced and reported.
    traced = tracing_demo(settings, days=days)
    # Response: zones around the cases, their deadline tasks, a testing campaign.
    zones = zones_demo(settings)
    tasks = tasks_demo(settings)
    quarantine = quarantine_demo(settings)
    testing = demo_testing.testing_demo(settings)
    # Resources: hospital capacity forecast, stockpiles, staffing against the standards.
    resources = resources_demo(settings)
    # Supply to the zones' households and special-population requests with their clocks.
    special = special_demo(settings)
    # The day's report (日报, zero reports included) as HTML and PDF.
    report = report_demo(settings)

    # Surveillance: tomorrow's feed with an outbreak in the most populous community.
    outbreak: OutbreakDemo | None = None
    outbreak_note = ""
    try:
        outbreak = outbreak_demo(settings)
    except SurveillanceError as exc:  # e.g. too few days of history for the detectors
        outbreak_note = str(exc)
    # Digital twin: the same city forward, no measures vs the plans' full package.
    twin = twin_demo(settings)

    if as_json:
        print_json(
            {
                "generate": generated,
                "summary": summary,
                "lake": {
                    "checkins": generated["checkins"],
                    "syndromic_rows": n_syndromic,
                    "day0_by_venue_type": [
                        {"type": r[0], "checkins": r[1], "persons": r[2], "mean_minutes": r[3]}
                        for r in busiest
                    ],
                },
                "person_sample": person,
                "tracing": traced,
                "zones": zones,
                "tasks": tasks,
                "quarantine": quarantine,
                "testing": testing,
                "resources": resources,
                "special": special,
                "report": report,
                "surveillance": outbreak if outbreak is not None else {"error": outbreak_note},
                "twin": twin,
            }
        )
        return

    name = summary.city.name_en if lang == "en" else summary.city.name
    out.rule(t("demo.title", lang, name=name, persons=summary.population))
    out.print(t("generate.done", lang, persons=generated["persons"], seconds=generated["seconds"]))
    out.print(f"database: {generated['database']}\nlake: {generated['lake']}")
    render_summary(summary, lang)

    tiers = Table(title=t("special.title", lang))
    for tier in summary.special_tiers:
        tiers.add_column(t(f"tier.{tier}", lang), justify="right")
    tiers.add_row(*(f"{v:,}" for v in summary.special_tiers.values()))
    out.print(tiers)

    out.print(f"[bold]{t('lake.title', lang)}[/]")
    per = generated["checkins"] / max(generated["persons"] * max(days, 1), 1)
    out.print(t("lake.checkins", lang, rows=generated["checkins"], days=days, per=per))
    out.print(t("lake.syndromic", lang, rows=n_syndromic))
    b_table = Table(title=t("lake.busiest", lang))
    for col in ("type", "checkins", "persons", "mean_minutes"):
        b_table.add_column(col, justify="left" if col == "type" else "right")
    for r in busiest:
        b_table.add_row(r[0], f"{r[1]:,}", f"{r[2]:,}", f"{r[3]}")
    out.print(b_table)

    render_tracing(traced, lang)
    render_zones(zones, lang)
    render_tasks(tasks, lang)
    render_quarantine(quarantine, lang)
    demo_testing.render_testing(testing, lang)
    render_resources(resources, lang)
    render_special(special, lang)
    render_report(report, lang)
    if outbreak is not None:
        render_outbreak(outbreak, lang)
    else:
        out.print(f"[bold]{t('demo.surveillance', lang)}[/]: {outbreak_note}")

    p_table = Table(title=t("person.sample", lang), show_header=False)
    for key in (
        "id",
        "code",
        "age",
        "sex",
        "occupation",
        "community",
        "building",
        "phone",
        "id_number",
        "special_tier",
    ):
        p_table.add_row(key, str(getattr(person, key)))
    out.print(p_table)
    render_twin(twin, lang)


def render_outbreak(outbreak: OutbreakDemo, lang: str) -> None:
    """The injected outbreak and the alert it raised: level, recipients, message, latency."""
    alert = outbreak.alert
    out.print(f"[bold]{t('demo.surveillance', lang)}[/]")
    out.print(t("surveil.demo.injected", lang, community=outbreak.community, date=outbreak.date))
    level = t(f"surveil.level.{alert.level}", lang)
    out.print(t("surveil.demo.alert", lang, level=level, seconds=alert.latency_seconds))
    table = Table(show_header=False)
    table.add_row(t("demo.alert.signals", lang), ", ".join(alert.signals))
    recipients = ", ".join(
        str(r["name_en"] if lang == "en" and r.get("name_en") else r["name"])
        for r in alert.recipients
    )
    table.add_row(t("demo.alert.recipients", lang), recipients)
    table.add_row(
        t("demo.alert.message", lang), alert.message_en if lang == "en" else alert.message_zh
    )
    verdict = t("ok" if alert.within_standard else "shortfall", lang)
    table.add_row(t("demo.alert.latency", lang), f"{alert.latency_seconds:.2f} s ({verdict})")
    out.print(table)
