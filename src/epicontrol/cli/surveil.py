"""``epicontrol surveil``: ingest feeds, detect aberrations, evaluate detectors, manage alerts."""

from __future__ import annotations

import dataclasses
import math
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import typer
from pydantic import BaseModel
from rich.table import Table
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.surveillance.evaluate import EvaluationGrid, evaluate_detectors
from ..core.surveillance.registry import DETECTORS, detector, parse_param, validate_params
from ..domains.city.importing import RowError
from ..domains.surveillance import detection, ingest
from ..domains.surveillance import service as alerts
from ..domains.surveillance.models import SurveillanceBatch
from ..domains.surveillance.routing import SurveillanceConfig, load_config
from ..domains.surveillance.schemas import AlertOut, IngestResult
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
from .surveil_alerts import ConfigOpt, alerts_app, alerts_table, config_for, rank

app = typer.Typer(
    help="Surveillance and early warning (监测预警): ingest, detect, evaluate, alerts.",
    no_args_is_help=True,
)
app.add_typer(alerts_app, name="alerts")


def _reject(message: str, errors: list[RowError], as_json: bool) -> None:
    rows = [dataclasses.asdict(e) for e in errors]
    if as_json:
        fail(message, as_json=True, code=4, errors=rows)
    err.print(message)
    table = Table("file", "line", "field", "rule", "value")
    for e in errors[:200]:
        table.add_row(e.file, str(e.line), e.field, e.rule, str(e.value or ""))
    err.print(table)
    raise typer.Exit(4)


# --------------------------------------------------------------------------- ingest


def run_ingest(
    settings: Settings,
    path: Path,
    *,
    config: SurveillanceConfig,
    received_at: datetime | None = None,
    as_json: bool = False,
) -> IngestResult:
    """Ingest ``path`` in one transaction; if it fails, this run's lake file is removed.

    ``timings["stored"]`` is the time from the start to the commit of the alerts.
    """
    lang = settings.lang
    started = time.perf_counter()
    engine = open_store(settings)
    arrived = received_at or alerts.utcnow()
    if not path.is_file():
        fail(t("surveil.no_file", lang, path=path), as_json=as_json, code=2)
    batch_id = ingest.batch_id_of(path)
    written = False
    try:
        with progress_bar() as progress, Session(engine) as session:
            task = progress.add_task(t("surveil.ingest.reading", lang), total=4)

            def on_step(name: str) -> None:
                progress.update(task, description=t(f"surveil.ingest.{name}", lang))
                if name != "reading":
                    progress.advance(task)

            with session.begin():
                result = ingest.ingest_feed(
                    session=session,
                    path=path,
                    lake_dir=settings.lake_dir,
                    config=config,
                    received_at=arrived,
                    on_progress=on_step,
                )
                written = not result.unchanged
            progress.update(task, completed=4)
    except ingest.FeedRejected as exc:
        with Session(engine) as session, session.begin():
            ingest.record_rejection(
                session=session,
                batch_id=exc.batch_id,
                source=str(path),
                errors=len(exc.errors),
                received_at=arrived,
            )
        _reject(t("surveil.ingest.rejected", lang, n=len(exc.errors)), exc.errors, as_json)
        raise  # unreachable: _reject exits
    except alerts.SurveillanceError as exc:
        fail(str(exc), as_json=as_json, code=3)
    except BaseException:
        if written:  # the commit failed: unless another run committed the batch, drop its file
            with Session(engine) as session:
                other = session.get(SurveillanceBatch, batch_id)
            if other is None or other.status != "committed":
                ingest.remove_batch(settings.lake_dir, batch_id)
        raise
    result.timings["stored"] = round(time.perf_counter() - started, 4)
    return result


@app.command("ingest")
def ingest_cmd(
    file: Annotated[Path, typer.Argument(help="CSV or Parquet: area, signal, date, count.")],
    received_at: Annotated[
        str | None,
        typer.Option(
            "--received-at", help="When the data arrived (ISO 8601; default: now), for latency."
        ),
    ] = None,
    config: ConfigOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Ingest a feed: validate every row, append to the lake, re-evaluate, raise alerts."""
    settings = settings_for(workspace, lang)
    arrived: datetime | None = None
    if received_at:
        try:
            parsed = datetime.fromisoformat(received_at)
        except ValueError:
            fail(f"--received-at must be ISO 8601, got {received_at!r}", as_json=as_json, code=2)
        if parsed.tzinfo is not None:
            parsed = parsed.astimezone(UTC).replace(tzinfo=None)
        arrived = parsed
    cfg = config_for(settings, config, as_json)
    result = run_ingest(settings, file, config=cfg, received_at=arrived, as_json=as_json)
    if as_json:
        print_json(result)
        return
    if result.unchanged:
        out.print(t("surveil.ingest.unchanged", settings.lang, batch=result.batch_id[:12]))
        return
    out.print(
        t(
            "surveil.ingest.done",
            settings.lang,
            rows=result.rows,
            series=result.evaluated_series,
            raised=result.alerts_raised,
            updated=result.alerts_updated,
            seconds=result.timings.get("total", 0.0),
        )
    )
    if result.alert_ids:
        engine = open_store(settings, migrate=False)
        with Session(engine) as session:
            rows = [alerts.get_alert(session=session, alert_id=i) for i in result.alert_ids]
            views = alerts.alert_views(session=session, alerts=rows, config=cfg)
        alerts_table(sorted(views, key=lambda a: -rank(a.level))[:20], settings.lang)


# --------------------------------------------------------------------------- detect


@app.command("detect")
def detect_cmd(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="CSV: date,count or area,signal,date,count.")
    ],
    name: Annotated[str, typer.Option("--detector", "-d", help="Detector name.")],
    baseline: Annotated[
        int | None, typer.Option("--baseline", help="Baseline length (detector's own unit).")
    ] = None,
    guard: Annotated[int | None, typer.Option("--guard", help="Guard band in steps.")] = None,
    alpha: Annotated[
        float | None, typer.Option("--alpha", help="One-sided false-alarm level.")
    ] = None,
    baseline_end: Annotated[
        str | None, typer.Option("--baseline-end", help="nbinom/serfling: end of training.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="Other parameter, key=value.")
    ] = None,
    show_all: Annotated[bool, typer.Option("--all", help="Show every evaluated row.")] = False,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Run one detector on a file of series; prints the evaluated steps."""
    settings = settings_for(workspace, lang)
    if name not in DETECTORS:
        fail(
            f"--detector must be one of {', '.join(DETECTORS)}, got {name!r}",
            as_json=as_json,
            code=2,
        )
    spec = detector(name)
    params: dict[str, Any] = {}
    for option, value in (("baseline", baseline), ("guard", guard), ("alpha", alpha)):
        if value is None:
            continue
        if option not in spec.options:
            fail(
                f"{name} has no --{option} (its parameters: "
                f"{', '.join(p.name for p in spec.params)}); use --param",
                as_json=as_json,
                code=2,
            )
        params[spec.options[option]] = value
    if baseline_end is not None:
        params["baseline_end"] = baseline_end
    try:
        params.update(parse_param(p) for p in param or [])
        validate_params(name, params)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    if any(p.name == "baseline_end" for p in spec.params) and "baseline_end" not in params:
        fail(
            f"{name} needs --baseline-end DATE (the last date of its training period)",
            as_json=as_json,
            code=2,
        )
    if not input_file.is_file():
        fail(t("surveil.no_file", settings.lang, path=input_file), as_json=as_json, code=2)
    series, errors = detection.read_detect_input(input_file)
    if errors:
        _reject(t("surveil.detect.rejected", settings.lang, n=len(errors)), errors, as_json)
    try:
        with progress_bar() as progress:
            progress.add_task(t("surveil.detect.running", settings.lang, detector=name), total=None)
            rows = detection.detect_series(series, name=name, params=params)
    except (ValueError, TypeError) as exc:
        fail(f"{name}: {exc}", as_json=as_json, code=2)
    if as_json:
        print_json({"detector": name, "params": _jsonable(params), "rows": rows})
        return
    shown = rows if show_all else [r for r in rows if r.alarm]
    table = Table(title=t("surveil.detect.title", settings.lang, detector=name))
    for col in ("area", "signal", "date", "count", "statistic", "threshold", "p_value", "alarm"):
        table.add_column(col, justify="left" if col in ("area", "signal", "date") else "right")
    for r in shown[:500]:
        table.add_row(
            r.area or "",
            r.signal or "",
            r.date.isoformat(),
            f"{r.count:g}",
            _num(r.statistic),
            _num(r.threshold),
            _num(r.p_value, 4),
            "[red]●[/]" if r.alarm else "",
        )
    out.print(table)
    out.print(
        t(
            "surveil.detect.summary",
            settings.lang,
            rows=len(rows),
            alarms=sum(r.alarm for r in rows),
        )
    )


def _num(value: float | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def _jsonable(params: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.tolist() if isinstance(v, np.ndarray) else v) for k, v in params.items()}


# --------------------------------------------------------------------------- evaluate


def _finite(x: float | None) -> float | None:
    return None if x is None or (isinstance(x, float) and math.isnan(x)) else x


@app.command("evaluate")
def evaluate_cmd(
    names: Annotated[
        list[str] | None, typer.Option("--detector", "-d", help="Detector (repeat; default all).")
    ] = None,
    replicates: Annotated[
        int, typer.Option("--replicates", "-r", help="Series per scenario and outbreak size.")
    ] = EvaluationGrid.replicates,
    seed: Annotated[int, typer.Option("--seed", "-s", help="Random seed.")] = 1,
    by_scenario: Annotated[
        bool, typer.Option("--by-scenario", help="Also print every scenario's row.")
    ] = False,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Simulate Noufaily-style scenarios with outbreaks; POD, FPR, sensitivity, delay."""
    settings = settings_for(workspace, lang)
    chosen = names or list(DETECTORS)
    unknown = [n for n in chosen if n not in DETECTORS]
    if unknown:
        fail(
            f"--detector must be among {', '.join(DETECTORS)}, got {', '.join(unknown)}",
            as_json=as_json,
            code=2,
        )
    try:
        grid = EvaluationGrid(replicates=replicates)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    n_scen = len(grid.scenarios())
    with progress_bar() as progress:
        task = progress.add_task(
            t("surveil.evaluate.running", settings.lang), total=n_scen * len(chosen)
        )

        def on_progress(name: str, done: int, total: int) -> None:
            progress.update(
                task, description=f"{t('surveil.evaluate.running', settings.lang)} {name}"
            )
            progress.advance(task)

        report = evaluate_detectors(chosen, grid=grid, seed=seed, on_progress=on_progress)
    data = report.to_dict()
    if as_json:
        for row in [*data["summaries"], *data["scenarios"]]:
            for key, value in row.items():
                row[key] = _finite(value)
        print_json(data)
        return
    table = Table(title=t("surveil.evaluate.title", settings.lang, n=n_scen, r=replicates))
    cols = ("detector", "frequency", "pod", "fpr", "nominal", "sensitivity", "specificity", "delay")
    for col in cols:
        table.add_column(
            t(f"surveil.col.{col}", settings.lang),
            justify="left" if col in ("detector", "frequency") else "right",
        )
    for s in report.summaries:
        table.add_row(
            s.detector,
            s.frequency,
            _pct(s.pod),
            _pct(s.fpr),
            _pct(s.nominal_alpha),
            _pct(s.sensitivity),
            _pct(s.specificity),
            "" if s.median_delay_days is None else f"{s.median_delay_days:g}",
        )
    out.print(table)
    if by_scenario:
        detail = Table("detector", "scenario", "k", "pod", "fpr", "sens", "spec", "delay")
        for m in report.scenarios:
            detail.add_row(
                m.detector,
                m.label,
                f"{m.k:g}",
                _pct(m.pod),
                _pct(m.fpr),
                _pct(m.sensitivity),
                _pct(m.specificity),
                "" if m.median_delay_days is None else f"{m.median_delay_days:g}",
            )
        out.print(detail)
    out.print(t("surveil.evaluate.note", settings.lang, seconds=report.seconds))


def _pct(x: float | None) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    return f"{100 * x:.1f}%"


# --------------------------------------------------------------------------- demo


class OutbreakDemo(BaseModel):
    """What :func:`outbreak_demo` did and the alert it raised."""

    feed: str
    day: int
    date: date
    community_id: int
    community: str
    injected: dict[str, dict[str, float]]
    batch: IngestResult
    alert: AlertOut
    other_alerts: int


def outbreak_demo(
    settings: Settings,
    *,
    area_id: int | None = None,
    seed: int = 7,
    config: SurveillanceConfig | None = None,
) -> OutbreakDemo:
    """Inject an outbreak into one community's fever-clinic and pharmacy series and ingest it.

    Writes the next day's feed for every community of a generated workspace
    (:func:`~epicontrol.domains.surveillance.detection.write_outbreak_feed`;
    the outbreak is in ``area_id``, default the most populous community) to
    ``<workspace>/feeds/``, ingests it like ``surveil ingest`` and returns the
    alert raised for that community: level, recipients, message, latency.

    Raises ``SurveillanceError`` when the workspace has no city or no
    syndromic history, or when no alert was raised.
    """
    cfg = config or load_config(workspace=settings.workspace)
    engine = open_store(settings)
    with Session(engine) as session:
        feed = detection.write_outbreak_feed(
            session=session,
            lake_dir=settings.lake_dir,
            directory=settings.workspace / "feeds",
            area_id=area_id,
            seed=seed,
        )
    result = run_ingest(settings, feed.path, config=cfg)
    with Session(engine) as session:
        found = [
            a
            for a in alerts.list_alerts(session=session, area_id=feed.community_id, limit=10)
            if a.last_day == feed.day
        ]
        if not found:
            raise alerts.SurveillanceError(
                f"no alert was raised for community {feed.community} on day {feed.day}"
            )
        views = alerts.alert_views(session=session, alerts=found[:1], config=cfg, with_events=True)
    return OutbreakDemo(
        feed=str(feed.path),
        day=feed.day,
        date=feed.date,
        community_id=feed.community_id,
        community=feed.community,
        injected=feed.injected,
        batch=result,
        alert=views[0],
        other_alerts=max(0, len(result.alert_ids) - 1),
    )
