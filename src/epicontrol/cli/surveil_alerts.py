"""``epicontrol surveil alerts``: list, show and move alerts through their lifecycle."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..domains.city.models import Area
from ..domains.surveillance import service as alerts
from ..domains.surveillance.routing import SurveillanceConfig, load_config
from ..domains.surveillance.schemas import AlertOut
from ..i18n import t
from .common import (
    JsonOpt,
    LangOpt,
    WorkspaceOpt,
    fail,
    open_store,
    out,
    print_json,
    settings_for,
)

alerts_app = typer.Typer(help="Alerts and their lifecycle (预警处置).", no_args_is_help=True)

ConfigOpt = Annotated[
    Path | None,
    typer.Option(
        "--config",
        help="Surveillance config (TOML/JSON); default <workspace>/surveillance.toml if present.",
    ),
]


def config_for(settings: Settings, path: Path | None, as_json: bool) -> SurveillanceConfig:
    try:
        return load_config(path, workspace=settings.workspace)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)


_LEVEL_STYLE = {"blue": "blue", "yellow": "yellow", "orange": "dark_orange", "red": "red"}


def rank(level: str) -> int:
    return ("blue", "yellow", "orange", "red").index(level)


def alerts_table(views: list[AlertOut], lang: str) -> None:
    table = Table(title=t("surveil.alerts.title", lang))
    for col in ("id", "level", "status", "area", "signals", "date", "latency", "recipients"):
        table.add_column(t(f"surveil.col.{col}", lang))
    for a in views:
        table.add_row(
            str(a.id),
            f"[{_LEVEL_STYLE[a.level]}]{t('surveil.level.' + a.level, lang)}[/]",
            t(f"surveil.status.{a.status}", lang),
            (a.area_name_en or a.area_name) if lang == "en" else a.area_name,
            ", ".join(t(f"surveil.signal.{s}", lang) for s in a.signals),
            a.last_date.isoformat(),
            f"{a.latency_seconds:.1f} s",
            str(len(a.recipients)),
        )
    out.print(table)


def _show(view: AlertOut, lang: str) -> None:
    table = Table(show_header=False, box=None)
    table.add_row("id", f"{view.id} (version {view.version})")
    table.add_row(t("surveil.col.level", lang), t(f"surveil.level.{view.level}", lang))
    table.add_row(t("surveil.col.status", lang), t(f"surveil.status.{view.status}", lang))
    if view.outcome:
        table.add_row(t("surveil.col.outcome", lang), view.outcome)
    table.add_row(t("surveil.col.area", lang), f"{view.area_name} ({view.area_code})")
    table.add_row(
        t("surveil.col.message", lang), view.message_en if lang == "en" else view.message_zh
    )
    names = [
        (r.get("name_en") or r["name"]) if lang == "en" else r["name"] for r in view.recipients
    ]
    table.add_row(t("surveil.col.recipients", lang), "; ".join(names))
    table.add_row(
        t("surveil.col.latency", lang),
        t(
            "surveil.latency",
            lang,
            seconds=f"{view.latency_seconds:.1f}",
            ok=t("surveil.ok" if view.within_standard else "surveil.late", lang),
        ),
    )
    out.print(table)
    det = Table("signal", "date", "detector", "count", "statistic", "threshold", "p_value")
    for d in view.detections:
        det.add_row(
            d["signal"],
            d["date"],
            d.get("detector") or "",
            f"{d['count']:g}",
            _num(d.get("statistic")),
            _num(d.get("threshold")),
            _num(d.get("p_value"), 4),
        )
    out.print(det)
    if view.events:
        ev = Table("at", "actor", "action", "from", "to", "note")
        for e in view.events:
            ev.add_row(
                e.at.isoformat(timespec="seconds"),
                e.actor,
                e.action,
                f"{e.from_status or ''} {e.from_level or ''}".strip(),
                f"{e.to_status} {e.to_level}",
                e.note or "",
            )
        out.print(ev)


@alerts_app.command("list")
def alerts_list(
    status: Annotated[
        str | None,
        typer.Option("--status", help="open, raised, acknowledged, investigating, closed"),
    ] = None,
    level: Annotated[str | None, typer.Option("--level", help="blue, yellow, orange, red")] = None,
    area: Annotated[str | None, typer.Option("--area", help="Community code or id.")] = None,
    limit: Annotated[int, typer.Option("--limit", help="At most this many.")] = 100,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """List alerts, newest first."""
    settings = settings_for(workspace, lang)
    cfg = config_for(settings, config, as_json)
    engine = open_store(settings)
    with Session(engine) as session:
        area_id = _area_id(session, area, as_json) if area else None
        try:
            rows = alerts.list_alerts(
                session=session, status=status, level=level, area_id=area_id, limit=limit
            )
            views = alerts.alert_views(session=session, alerts=rows, config=cfg)
        except alerts.SurveillanceError as exc:
            fail(str(exc), as_json=as_json, code=2)
    if as_json:
        print_json({"alerts": views})
        return
    alerts_table(views, settings.lang)


def _area_id(session: Session, area: str, as_json: bool) -> int:
    found = session.scalar(select(Area.id).where(Area.code == area))
    if found is None and area.isdigit():
        found = session.scalar(select(Area.id).where(Area.id == int(area)))
    if found is None:
        fail(f"--area {area!r}: no area with this code or id", as_json=as_json, code=4)
    return int(found)


def _load_view(
    settings: Settings, alert_id: int, cfg: SurveillanceConfig, as_json: bool
) -> AlertOut:
    engine = open_store(settings)
    with Session(engine) as session:
        try:
            alert = alerts.get_alert(session=session, alert_id=alert_id)
        except alerts.AlertNotFound as exc:
            fail(str(exc), as_json=as_json, code=4)
        return alerts.alert_views(session=session, alerts=[alert], config=cfg, with_events=True)[0]


@alerts_app.command("show")
def alerts_show(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """One alert with its detections, recipients, message and audit trail."""
    settings = settings_for(workspace, lang)
    view = _load_view(settings, alert_id, config_for(settings, config, as_json), as_json)
    if as_json:
        print_json(view)
        return
    _show(view, settings.lang)


ByOpt = Annotated[str, typer.Option("--by", help="Who makes the change (recorded).")]
NoteOpt = Annotated[str | None, typer.Option("--note", help="Note for the audit trail.")]
VersionOpt = Annotated[
    int | None,
    typer.Option("--expect-version", help="Refuse if the alert is no longer at this version."),
]


def _transition(
    alert_id: int,
    to_status: str,
    *,
    by: str,
    note: str | None,
    outcome: str | None,
    expect_version: int | None,
    config: Path | None,
    workspace: Path,
    as_json: bool,
    lang: str,
) -> None:
    settings = settings_for(workspace, lang)
    cfg = config_for(settings, config, as_json)
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            alerts.transition_alert(
                session=session,
                alert_id=alert_id,
                to_status=to_status,
                actor=by,
                note=note,
                outcome=outcome,
                expected_version=expect_version,
            )
    except alerts.AlertNotFound as exc:
        fail(str(exc), as_json=as_json, code=4)
    except alerts.StaleAlert as exc:
        fail(str(exc), as_json=as_json, code=3)
    except alerts.InvalidTransition as exc:
        fail(str(exc), as_json=as_json, code=2)
    view = _load_view(settings, alert_id, cfg, as_json)
    if as_json:
        print_json(view)
        return
    out.print(
        t(
            "surveil.alert.moved",
            settings.lang,
            id=alert_id,
            status=t(f"surveil.status.{view.status}", settings.lang),
            version=view.version,
        )
    )


@alerts_app.command("ack")
def alerts_ack(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    by: ByOpt,
    note: NoteOpt = None,
    expect_version: VersionOpt = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Acknowledge a raised alert (raised → acknowledged)."""
    _transition(
        alert_id, "acknowledged", by=by, note=note, outcome=None, expect_version=expect_version,
        config=config, workspace=workspace, as_json=as_json, lang=lang,
    )  # fmt: skip


@alerts_app.command("investigate")
def alerts_investigate(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    by: ByOpt,
    note: NoteOpt = None,
    expect_version: VersionOpt = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Start the investigation (acknowledged → investigating)."""
    _transition(
        alert_id, "investigating", by=by, note=note, outcome=None, expect_version=expect_version,
        config=config, workspace=workspace, as_json=as_json, lang=lang,
    )  # fmt: skip


@alerts_app.command("close")
def alerts_close(
    alert_id: Annotated[int, typer.Argument(help="Alert id.")],
    outcome: Annotated[str, typer.Option("--outcome", help="outbreak_confirmed or false_alarm.")],
    by: ByOpt,
    note: NoteOpt = None,
    expect_version: VersionOpt = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Close an alert with its outcome (acknowledged/investigating → closed)."""
    _transition(
        alert_id, "closed", by=by, note=note, outcome=outcome, expect_version=expect_version,
        config=config, workspace=workspace, as_json=as_json, lang=lang,
    )  # fmt: skip


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"
