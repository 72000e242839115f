"""``epicontrol resources``: capacity forecast, stockpiles, staffing (and distribution).

Exit codes as everywhere: 2 bad input (options, a bad file, negative stock,
unknown item or area), 3 workspace conflict (no city, a reference recorded
for another movement), 4 not found / rejected.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..core.resources.forecast import CARE_LEVELS, CapacityParams, GrowthParams
from ..core.resources.staffing import ROLES
from ..domains.city.importing.base import RowError
from ..domains.resources import forecast as forecast_service
from ..domains.resources import service, staffing
from ..domains.resources.schemas import (
    BatchOut,
    ForecastOut,
    MovementIn,
    StaffingReport,
    StockReport,
    SupplyRules,
)
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
    help="Resources (保供): hospital capacity forecast, stockpiles, staffing, distribution.",
    no_args_is_help=True,
)
stock_app = typer.Typer(
    help="Stockpiles at city, district and community level: receive, issue, import, status.",
    no_args_is_help=True,
)
app.add_typer(stock_app, name="stock")

CatalogueOpt = Annotated[
    Path | None, typer.Option("--catalogue", help="Item catalogue (TOML); default: shipped.")
]
OnOpt = Annotated[str | None, typer.Option("--on", help="Local day (ISO date); default: today.")]


def _reject(errors: Sequence[RowError], header: str, as_json: bool, code: int = 2) -> NoReturn:
    if as_json:
        fail(header, as_json=True, code=code, errors=[dataclasses.asdict(e) for e in errors])
    err.print(f"[bold red]error:[/] {header}", highlight=False)
    table = Table("file", "line", "field", "rule", "value")
    for e in errors[:200]:
        table.add_row(e.file, str(e.line or ""), e.field, e.rule, e.value or "")
    err.print(table)
    raise typer.Exit(code)


def _service_error(exc: Exception, as_json: bool) -> NoReturn:
    if isinstance(exc, service.ResourceInputError):
        if exc.errors:
            _reject(exc.errors, str(exc), as_json)
        fail(str(exc), as_json=as_json, code=2, field=exc.field)
    fail(str(exc), as_json=as_json, code=3)


ERRORS = (service.ResourceInputError, service.ResourceError, service.ResourceConflict)


def _day(value: str | None, option: str, as_json: bool) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be an ISO date (2026-11-05), got {value!r}", as_json=as_json, code=2)


def _fmt_days(days: float | None) -> str:
    return "∞" if days is None else f"{days:.1f}"


# --------------------------------------------------------------------------- forecast


def print_forecast(result: ForecastOut, lang: str, *, table: bool = True) -> None:
    """The forecast's basis, first alert per level and a table by district."""
    if result.projection == "external":
        how = t("resources.forecast.external", lang)
    elif result.doubling_time is None:
        how = t("resources.forecast.flat", lang)
    else:
        key = "resources.forecast.fitted" if result.fitted else "resources.forecast.given"
        how = t(key, lang, dt=result.doubling_time)
    out.print(t("resources.forecast.title", lang, alert=result.alert_occupancy), style="bold")
    out.print(
        t(
            "resources.forecast.basis",
            lang,
            start=result.start,
            last=result.last_observed,
            observed=result.observed_cases,
            end=result.end,
            projected=result.projected_cases,
            how=how,
        )
    )
    for level in CARE_LEVELS:
        first = result.first_alert[level]
        name = t(f"resources.level.{level}", lang)
        if first is None:
            out.print(
                t("resources.forecast.first.none", lang, level=name, alert=result.alert_occupancy)
            )
        else:
            out.print(
                t(
                    "resources.forecast.first",
                    lang,
                    level=name,
                    district=first[0],
                    day=first[1],
                    alert=result.alert_occupancy,
                )
            )
    if not table:
        return
    grid = Table()
    grid.add_column(t("district", lang))
    for level in CARE_LEVELS:
        grid.add_column(
            t("resources.forecast.col.capacity", lang, level=t(f"resources.level.{level}", lang)),
            justify="right",
        )
        grid.add_column(t("resources.forecast.col.peak", lang), justify="right")
        grid.add_column(t("resources.forecast.col.alert", lang))
    for d in result.districts:
        cells = [d.district_name if lang == "zh-CN" else (d.district_name_en or d.district_name)]
        for level in CARE_LEVELS:
            cap = getattr(d.capacity, level)
            alert = getattr(d.first_alert, level)
            cells += [
                "—" if cap is None else f"{cap:g}",
                f"{getattr(d.peak_census, level):.1f}",
                (
                    t("resources.forecast.unknown", lang)
                    if cap is None
                    else str(alert)
                    if alert
                    else t("resources.forecast.none", lang)
                ),
            ]
        grid.add_row(*cells)
    out.print(grid)


@app.command("forecast")
def forecast(
    cases: Annotated[
        Path | None,
        typer.Option("--cases", help="CSV date,district,cases[,projected] instead of the store."),
    ] = None,
    from_store: Annotated[
        bool, typer.Option("--from-store", help="Daily cases from the store (the default).")
    ] = False,
    horizon: Annotated[int, typer.Option("--horizon", help="Days to project.")] = 30,
    doubling_time: Annotated[
        float | None,
        typer.Option("--doubling-time", help="Doubling time in days (default: fitted)."),
    ] = None,
    window: Annotated[int, typer.Option("--window", help="Days the growth is fitted on.")] = 14,
    end: Annotated[
        str | None, typer.Option("--end", help="Last observed day (default: last case).")
    ] = None,
    alert: Annotated[
        float | None, typer.Option("--alert", help="Occupancy alert (default 0.85).")
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    lang: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Admissions and census of ward beds, ICU and ventilators by district; 85 % alert day."""
    settings = settings_for(workspace, lang)
    if cases is not None and from_store:
        fail("give --cases FILE or --from-store, not both", as_json=as_json, code=2)
    if horizon < 0 or horizon > 365:
        fail(f"--horizon must be 0..365 days, got {horizon}", as_json=as_json, code=2)
    growth = GrowthParams(window_days=window, doubling_time=doubling_time)
    try:
        growth.validate()
        params = CapacityParams(
            alert_occupancy=alert
            if alert is not None
            else settings.standards.hospital_alert_occupancy
        )
        params.validate()
    except ValueError as exc:
        fail(f"--{str(exc).replace('_', '-')}", as_json=as_json, code=2)
    last = _day(end, "--end", as_json)
    engine = open_store(settings)
    with progress_bar() as progress, Session(engine) as session:
        progress.add_task(t("resources.loading", lang), total=None)
        try:
            result = forecast_service.forecast_capacity(
                session=session,
                horizon=horizon,
                growth=growth,
                params=params,
                cases_file=cases,
                end=last,
            )
        except ERRORS as exc:
            progress.stop()
            _service_error(exc, as_json)
    if as_json:
        print_json(result)
    else:
        print_forecast(result, lang)


# --------------------------------------------------------------------------- stock


def _print_batch(result: BatchOut, lang: str) -> None:
    out.print(
        t(
            "resources.stock.recorded",
            lang,
            recorded=result.recorded,
            duplicates=result.duplicates,
            source=result.source,
        )
    )
    for m in result.movements[:20]:
        out.print(
            t(
                "resources.stock.balance",
                lang,
                area=m.area_code,
                item=m.item,
                kind=t(f"resources.kind.{m.kind}", lang),
                quantity=m.quantity,
                balance=m.balance,
            )
        )


def _move(
    kind: str,
    area: str,
    item: str,
    quantity: float,
    reference: str | None,
    at: str | None,
    note: str,
    catalogue: Path | None,
    workspace: Path,
    lang: str,
    as_json: bool,
) -> None:
    settings = settings_for(workspace, lang)
    when: datetime | None = None
    if at is not None:
        try:
            when = datetime.fromisoformat(at)
        except ValueError:
            fail(f"--at must be an ISO date or date-time, got {at!r}", as_json=as_json, code=2)
    engine = open_store(settings)
    movement = MovementIn(
        area=area,
        item=item,
        kind=kind,
        quantity=quantity,
        at=when,
        reference=reference,
        note=note,
    )
    try:
        with Session(engine) as session, session.begin():
            result = service.record_movements(
                session=session,
                movements=[movement],
                rules=SupplyRules(catalogue=catalogue),
                source="command line",
            )
    except ERRORS as exc:
        _service_error(exc, as_json)
    if as_json:
        print_json(result)
    else:
        _print_batch(result, lang)


AreaOpt = Annotated[
    str, typer.Option("--area", help="Area code (or id): city, district or community.")
]
ItemOpt = Annotated[str, typer.Option("--item", help="Item code of the catalogue (n95, grain...).")]
QuantityOpt = Annotated[float, typer.Option("--quantity", help="Units, > 0.")]
ReferenceOpt = Annotated[
    str | None, typer.Option("--reference", help="Delivery note: re-sending it records nothing.")
]
AtOpt = Annotated[str | None, typer.Option("--at", help="When the goods moved (local ISO time).")]
NoteOpt = Annotated[str, typer.Option("--note", help="Free text.")]


@stock_app.command("receive")
def receive(
    area: AreaOpt,
    item: ItemOpt,
    quantity: QuantityOpt,
    reference: ReferenceOpt = None,
    at: AtOpt = None,
    note: NoteOpt = "",
    catalogue: CatalogueOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    lang: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Record a receipt (入库) at a holding area."""
    _move("receipt", area, item, quantity, reference, at, note, catalogue, workspace, lang, as_json)


@stock_app.command("issue")
def issue(
    area: AreaOpt,
    item: ItemOpt,
    quantity: QuantityOpt,
    reference: ReferenceOpt = None,
    at: AtOpt = None,
    note: NoteOpt = "",
    catalogue: CatalogueOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    lang: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Record an issue (出库); stock never goes negative."""
    _move("issue", area, item, quantity, reference, at, note, catalogue, workspace, lang, as_json)


@stock_app.command("import")
def import_(
    file: Annotated[
        Path, typer.Argument(help="CSV area,item,kind,quantity[,at][,reference][,note]")
    ],
    catalogue: CatalogueOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    lang: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Record a file of receipts and issues, all or nothing (re-importing records nothing)."""
    settings = settings_for(workspace, lang)
    engine = open_store(settings)
    try:
        with progress_bar() as progress, Session(engine) as session, session.begin():
            progress.add_task(file.name, total=None)
            result = service.import_movements(
                session=session, path=file, rules=SupplyRules(catalogue=catalogue)
            )
    except ERRORS as exc:
        _service_error(exc, as_json)
    if as_json:
        print_json(result)
    else:
        _print_batch(result, lang)


def print_stock(
    report: StockReport, lang: str, *, alarms_only: bool = False, limit: int = 60
) -> None:
    """The basis, a table of holdings and the reorder plan."""
    out.print(t("resources.stock.title", lang, on=report.on), style="bold")
    out.print(
        t(
            "resources.stock.basis",
            lang,
            residents=report.zone_residents,
            source=t(f"resources.source.{report.zone_source}", lang),
            cases=report.active_cases,
            staff=report.staff,
        )
    )
    rows = [r for r in report.rows if r.alarm or not alarms_only]
    table = Table()
    for key in ("level", "area", "item", "stock", "burn", "days", "standard", "reorder"):
        table.add_column(
            t(f"resources.stock.col.{key}", lang),
            justify="right" if key in ("stock", "burn", "days", "reorder") else "left",
        )
    for r in rows[:limit]:
        name = r.area_name if lang == "zh-CN" else (r.area_name_en or r.area_name)
        days = _fmt_days(r.days_of_supply)
        table.add_row(
            t(f"resources.tier.{r.level}", lang),
            name,
            f"{r.item} ({r.unit})",
            f"{r.stock:g}",
            f"{r.burn_per_day:g}",
            f"[red]{days}[/]" if r.alarm else days,
            f"{r.alarm_days:g}",
            f"{r.reorder:g}" if r.reorder else "",
        )
    out.print(table)
    out.print(t("resources.stock.alarms", lang, n=report.alarms))
    plan = Table(title=t("resources.stock.reorder.title", lang))
    plan.add_column(t("resources.stock.col.level", lang))
    plan.add_column(t("resources.stock.col.item", lang))
    plan.add_column(t("resources.stock.col.reorder", lang), justify="right")
    for level, items in report.reorder.items():
        for item, qty in sorted(items.items()):
            plan.add_row(t(f"resources.tier.{level}", lang), item, f"{qty:g}")
    out.print(plan)


@stock_app.command("status")
def status(
    on: OnOpt = None,
    level: Annotated[
        str | None, typer.Option("--level", help="city, district or community.")
    ] = None,
    area: Annotated[str | None, typer.Option("--area", help="One holding area (code).")] = None,
    items: Annotated[str | None, typer.Option("--items", help="Item codes: n95,grain,...")] = None,
    alarms_only: Annotated[
        bool, typer.Option("--alarms-only", help="Only holdings below standard.")
    ] = False,
    catalogue: CatalogueOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    lang: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Days of supply per item and level, alarms below the standard, the reorder plan."""
    settings = settings_for(workspace, lang)
    day = _day(on, "--on", as_json)
    engine = open_store(settings)
    wanted = [i.strip() for i in items.split(",") if i.strip()] if items else None
    with progress_bar() as progress, Session(engine) as session:
        progress.add_task(t("resources.loading", lang), total=None)
        try:
            report = service.stock_status(
                session=session,
                rules=SupplyRules(catalogue=catalogue),
                on=day,
                level=level,
                area=area,
                items=wanted,
            )
        except ERRORS as exc:
            progress.stop()
            _service_error(exc, as_json)
    if alarms_only:
        report = report.model_copy(update={"rows": [r for r in report.rows if r.alarm]})
    if as_json:
        print_json(report)
    else:
        print_stock(report, lang, alarms_only=alarms_only)


# --------------------------------------------------------------------------- staff


def print_staffing(report: StaffingReport, lang: str) -> None:
    """Totals per role and the districts short of each."""
    out.print(t("resources.staff.title", lang, on=report.on), style="bold")
    table = Table()
    for key in ("role", "required", "on_record", "shortfall", "districts"):
        table.add_column(
            t(f"resources.staff.col.{key}", lang),
            justify="left" if key in ("role", "districts") else "right",
        )
    for role in ROLES:
        tot = report.totals[role]
        short = [r.district_code for r in report.rows if r.role == role and r.shortfall > 0]
        shown = ", ".join(short[:6]) + (f" (+{len(short) - 6})" if len(short) > 6 else "")
        table.add_row(
            t(f"resources.role.{role}", lang),
            str(tot["required"]),
            str(tot["on_record"]),
            f"[red]{tot['shortfall']}[/]" if tot["shortfall"] else "0",
            shown,
        )
    out.print(table)


@app.command("staff")
def staff(
    import_file: Annotated[
        Path | None, typer.Option("--import", help="CSV district,role,count to record first.")
    ] = None,
    on: OnOpt = None,
    workspace: WorkspaceOpt = Path("var"),
    lang: LangOpt = "zh-CN",
    as_json: JsonOpt = False,
) -> None:
    """Staff and ambulances the standards require by district, against the staff on record."""
    settings = settings_for(workspace, lang)
    day = _day(on, "--on", as_json)
    engine = open_store(settings)
    imported = None
    try:
        with progress_bar() as progress, Session(engine) as session, session.begin():
            progress.add_task(t("resources.loading", lang), total=None)
            if import_file is not None:
                imported = staffing.import_staff(session=session, path=import_file)
            report = staffing.staffing_report(session=session, on=day)
    except ERRORS as exc:
        _service_error(exc, as_json)
    if as_json:
        doc: dict[str, Any] = {"report": report.model_dump(mode="json")}
        if imported is not None:
            doc["imported"] = imported.model_dump(mode="json")
        print_json(doc)
        return
    if imported is not None:
        out.print(t("resources.staff.imported", lang, **imported.model_dump()))
    print_staffing(report, lang)


# ``resources distribute`` and ``resources nodes`` live in their own module and
# register themselves on this app.
from . import resources_distribute as _distribute  # noqa: E402,F401
