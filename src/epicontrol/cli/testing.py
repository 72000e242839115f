"""``epicontrol testing``: mass-testing campaigns (全员核酸) with pooled sampling (混采).

Exit codes as everywhere: 2 bad input (options), 3 workspace conflict (no
city, a round saved already), 4 not found / rejected (unknown area, zone or
campaign, a rejected results file).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..core.operations.campaign import CampaignParams
from ..domains.campaigns import results as results_service
from ..domains.campaigns import service
from ..domains.campaigns.schemas import PlanOut
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
    help="Mass-testing campaigns (全员核酸): plan, record results, coverage.",
    no_args_is_help=True,
)

SHOWN = 30


def _input_error(
    exc: service.CampaignInputError, header: str, as_json: bool, code: int
) -> NoReturn:
    errors = [dataclasses.asdict(e) for e in exc.errors]
    if as_json:
        fail(header, as_json=True, code=code, errors=errors)
    err.print(f"[bold red]error:[/] {header}", highlight=False)
    table = Table("file", "line", "field", "rule", "value")
    for e in exc.errors[:200]:
        table.add_row(e.file, str(e.line or ""), e.field, e.rule, e.value or "")
    err.print(table)
    raise typer.Exit(code)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M") if value else "—"


def render_plan(plan: PlanOut, lang: str, *, shown: int = SHOWN) -> None:
    """The plan as rich tables: summary, sites and shifts, labs, shortfall."""
    source = t(f"campaigns.source.{plan.source}", lang)
    out.print(f"[bold]{t('campaigns.plan.title', lang, source=source)}[/]")
    used = [lab for lab in plan.labs if lab.pools]
    out.print(
        t(
            "campaigns.plan.summary",
            lang,
            residents=plan.residents,
            sites=len(plan.sites),
            temporary=sum(s.kind == "temporary" for s in plan.sites),
            pools=plan.pooling.pools,
            k=plan.pooling.pool_size,
            labs=len(used),
        )
    )
    out.print(
        t(
            "campaigns.plan.times",
            lang,
            start=_when(plan.start),
            sampling=_when(plan.sampling_finish),
            finish=_when(plan.finish),
            deadline=_when(plan.deadline),
        )
    )
    p = plan.pooling
    out.print(
        t(
            "campaigns.plan.pooling",
            lang,
            prevalence=p.prevalence,
            tpp=p.tests_per_person,
            recall=p.recall,
            retests=p.expected_retests,
        )
    )
    s = plan.shortfall
    if plan.feasible:
        out.print(f"[green]{t('campaigns.plan.ok', lang)}[/]")
    else:
        out.print(
            "[red]"
            + t(
                "campaigns.plan.short",
                lang,
                samplers=s.samplers_short,
                needed=s.samplers_needed,
                available=s.samplers_available,
                unsampled=s.residents_unsampled,
                tests=s.lab_tests_short,
            )
            + "[/]"
        )
    sites = Table(title=t("campaigns.sites.title", lang))
    for key in ("site", "kind", "residents", "capacity", "samplers", "shifts", "pools"):
        sites.add_column(
            t(f"campaigns.col.{key}", lang),
            justify="left" if key in ("site", "kind", "shifts") else "right",
        )
    sites.add_column(t("campaigns.col.start", lang))
    sites.add_column(t("campaigns.col.finish", lang))
    for site in plan.sites[:shown]:
        sites.add_row(
            f"{site.site_no} {site.name}",
            t(f"campaigns.kind.{site.kind}", lang),
            f"{site.residents:,}",
            str(site.samples_per_hour),
            str(site.samplers),
            "/".join(str(v) for v in site.on_duty),
            f"{site.pools:,}",
            _when(site.start),
            _when(site.finish),
        )
    out.print(sites)
    if len(plan.sites) > shown:
        out.print(t("campaigns.more", lang, n=len(plan.sites) - shown))
    labs = Table(title=t("campaigns.labs.title", lang))
    for key in ("lab", "tests_per_day", "pools", "transport", "finish"):
        labs.add_column(
            t(f"campaigns.col.{key}", lang), justify="left" if key == "lab" else "right"
        )
    for lab in used[:shown]:
        labs.add_row(
            f"{lab.facility_id} {lab.name}",
            f"{lab.tests_per_day:,}",
            f"{lab.pools:,}",
            f"{lab.mean_transport_minutes or 0:.0f}",
            _when(lab.finish),
        )
    out.print(labs)
    if len(used) > shown:
        out.print(t("campaigns.more", lang, n=len(used) - shown))


@app.command("plan")
def plan_cmd(
    workspace: WorkspaceOpt = Path("var"),
    areas: Annotated[
        str | None, typer.Option("--areas", help="Area ids (any level): ID,ID,...")
    ] = None,
    zones: Annotated[str | None, typer.Option("--zones", help="Zone ids: ID,ID,...")] = None,
    pool_size: Annotated[int, typer.Option("--pool-size", help="Samples per pool.")] = 10,
    start: Annotated[
        str | None, typer.Option("--start", help="Start (local ISO time); default next hour.")
    ] = None,
    samplers: Annotated[
        int | None, typer.Option("--samplers", help="Samplers available (default 10 per 10,000).")
    ] = None,
    prevalence: Annotated[
        float, typer.Option("--prevalence", help="Expected prevalence (re-test reserve).")
    ] = 0.001,
    deadline_hours: Annotated[float, typer.Option("--deadline-hours")] = 24.0,
    sampling_hours: Annotated[float, typer.Option("--sampling-hours")] = 12.0,
    save: Annotated[bool, typer.Option("--save", help="Record the campaign.")] = False,
    round_no: Annotated[
        int | None, typer.Option("--round", help="Round number (default: the next).")
    ] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Plan a campaign: sites, sampler shifts, pools, labs, finish time or shortfall."""
    settings = settings_for(workspace, lang)
    area_ids = parse_ids("--areas", areas, as_json=as_json)
    zone_ids = parse_ids("--zones", zones, as_json=as_json)
    if bool(area_ids) == bool(zone_ids):
        fail("give exactly one of --areas and --zones", as_json=as_json, code=2)
    when = None
    if start is not None:
        try:
            when = datetime.fromisoformat(start.strip())
        except ValueError:
            fail(
                f"--start must be an ISO date-time (2026-11-05T08:00), got {start!r}",
                as_json=as_json,
                code=2,
            )
    params = CampaignParams(
        pool_size=pool_size,
        prevalence=prevalence,
        deadline_hours=deadline_hours,
        sampling_hours=sampling_hours,
    )
    try:
        params.validate()
    except ValueError as exc:
        name, _, rule = str(exc).partition(" ")
        fail(f"--{name.replace('_', '-')} {rule}", as_json=as_json, code=2)
    if samplers is not None and samplers < 0:
        fail(f"--samplers must be >= 0, got {samplers}", as_json=as_json, code=2)
    engine = open_store(settings)
    try:
        with progress_bar() as progress, Session(engine) as session, session.begin():
            task = progress.add_task(t("campaigns.plan.progress", lang), total=None)
            planned = service.plan(
                session=session,
                area_ids=area_ids,
                zone_ids=zone_ids,
                params=params,
                start=when,
                samplers=samplers,
            )
            result = planned.out
            if save:
                total = 2 * result.pooling.pools + result.residents
                progress.update(task, description=t("campaigns.save.progress", lang), total=total)
                result = service.save_plan(
                    session=session,
                    planned=planned,
                    round_no=round_no,
                    on_progress=lambda n: progress.advance(task, n),
                )
    except service.CampaignInputError as exc:
        _input_error(exc, str(exc), as_json, code=4 if "unknown" in str(exc) else 2)
    except service.CampaignConflict as exc:
        fail(str(exc), as_json=as_json, code=3)
    if as_json:
        print_json(result)
        return
    render_plan(result, lang)
    if result.saved_before:
        out.print(t("campaigns.plan.saved_before", lang, campaign=result.campaign_id))
    elif result.campaign_id is not None:
        out.print(
            t(
                "campaigns.plan.saved",
                lang,
                campaign=result.campaign_id,
                round=result.round,
                next=_when(result.next_round),
            )
        )


@app.command("results")
def results_cmd(
    file: Annotated[Path, typer.Argument(help="CSV: pool_id,result[,time][,person_id]")],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Record pool results and individual re-tests; positive pools get re-test tasks."""
    settings = settings_for(workspace, lang)
    if not file.is_file():
        fail(f"{file}: no such file", as_json=as_json, code=2)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            done = results_service.record_results(session=session, path=file)
    except service.CampaignInputError as exc:
        _input_error(exc, t("campaigns.results.rejected", lang, n=len(exc.errors)), as_json, 4)
    except service.CampaignConflict as exc:
        fail(str(exc), as_json=as_json, code=3)
    if as_json:
        print_json(done)
        return
    out.print(
        t(
            "campaigns.results.done",
            lang,
            rows=done.rows,
            pools=done.pools_recorded,
            positive=done.positive_pools,
            same=done.pools_unchanged,
            retests=done.retests_recorded,
            retests_same=done.retests_unchanged,
            tasks=done.tasks_created,
        )
    )


@app.command("coverage")
def coverage_cmd(
    campaign_id: Annotated[int, typer.Argument(help="Campaign id.")],
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Coverage per zone (sampled / residents, target 98 %) and per round."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            cov = results_service.coverage(session=session, campaign_id=campaign_id)
    except service.CampaignNotFound as exc:
        fail(str(exc), as_json=as_json, code=4)
    if as_json:
        print_json(cov)
        return
    out.print(
        f"[bold]{t('campaigns.coverage.title', lang, campaign=cov.campaign_id, round=cov.round)}[/]"
    )
    ok = t("campaigns.coverage.met" if cov.meets_target else "campaigns.coverage.not_met", lang)
    out.print(
        t(
            "campaigns.coverage.summary",
            lang,
            residents=cov.residents,
            sampled=cov.sampled,
            coverage=cov.coverage,
            target=cov.target,
            ok=ok,
            positive=cov.positive_pools,
            retests=cov.retests_done,
        )
    )
    for title, rows in (("zone", cov.zones), ("round", cov.rounds)):
        table = Table()
        table.add_column(t(f"campaigns.col.{title}", lang))
        for key in ("residents", "sampled", "coverage"):
            table.add_column(t(f"campaigns.col.{key}", lang), justify="right")
        for r in rows[:SHOWN]:
            colour = "green" if r.meets_target else "red"
            label = (
                f"{r.area_id} {r.name or ''}"
                if title == "zone"
                else f"{r.round} (#{r.campaign_id})"
            )
            table.add_row(
                label, f"{r.residents:,}", f"{r.sampled:,}", f"[{colour}]{r.coverage:.2%}[/]"
            )
        out.print(table)


@app.command("list")
def list_cmd(
    workspace: WorkspaceOpt = Path("var"),
    limit: Annotated[int | None, typer.Option("--limit")] = None,
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Campaigns, newest first."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            rows = service.list_campaigns(session=session, limit=limit)
    except service.CampaignConflict as exc:
        fail(str(exc), as_json=as_json, code=3)
    if as_json:
        print_json(rows)
        return
    if not rows:
        out.print(t("campaigns.list.none", lang))
        return
    table = Table(title=t("campaigns.list.title", lang))
    for key in ("campaign", "round", "status", "zone", "residents", "pools", "start", "finish"):
        table.add_column(t(f"campaigns.col.{key}", lang))
    for r in rows:
        scope: Any = r.zones if r.zones is not None else r.areas
        table.add_row(
            str(r.campaign_id),
            str(r.round),
            r.status,
            ",".join(map(str, scope))[:40],
            f"{r.residents:,}",
            f"{r.pools:,}",
            _when(r.start),
            _when(r.finish),
        )
    out.print(table)
