"""``epicontrol twin rt`` and ``epicontrol twin metapop``: Rt estimation and district SEIR.

``rt`` reads a daily case file (CSV ``date,cases[,imported]``) and estimates
the reproduction number on sliding windows (Cori et al. 2013, as EpiEstim).
``metapop`` runs the metapopulation SEIR over the districts of the city in the
store, coupled by the commuting flows of its persons (home building →
workplace/school building) or, without them, a gravity model on the district
centroids.

Exit codes as everywhere: 2 bad input (options, a missing file), 3 workspace
conflict (no districts in the store), 4 a rejected file (with file, line,
field and rule of every bad value).
"""

from __future__ import annotations

import csv
import dataclasses
import math
from datetime import date
from pathlib import Path
from typing import Annotated, Any, NoReturn

import numpy as np
import pyarrow.parquet as pq
import typer
from numpy.typing import NDArray
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.twin.metapop import (
    EnsembleResult,
    MetapopResult,
    Metapopulation,
    SEIRParams,
    commuting_mobility,
    gravity_mobility,
    simulate_ode,
    simulate_tau_leap,
)
from ..core.twin.rt import (
    GammaPrior,
    NonParametricSI,
    ParametricSI,
    RtEstimate,
    estimate_r,
)
from ..domains.city.importing.base import RowError
from ..domains.city.models import Area, Person, Venue
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
from .twin import compare_cmd, run_cmd

app = typer.Typer(
    help="Digital twin: scenario ensembles and comparisons, Rt estimation (Cori) and "
    "metapopulation SEIR over districts.",
    no_args_is_help=True,
)
# Scenario ensembles (cli/twin.py).
app.command("run")(run_cmd)
app.command("compare")(compare_cmd)


class CaseFileError(ValueError):
    """A case or serial-interval file with rejected values."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} rejected values")
        self.errors = errors


def _reject(errors: list[RowError], *, lang: str, as_json: bool) -> NoReturn:
    header = t("twin.rt.bad_file", lang, n=len(errors))
    if as_json:
        fail(header, as_json=True, code=4, errors=[dataclasses.asdict(e) for e in errors])
    err.print(f"[bold red]error:[/] {header}", highlight=False)
    table = Table("file", "line", "field", "rule", "value")
    for e in errors[:200]:
        table.add_row(e.file, str(e.line or ""), e.field, e.rule, e.value or "")
    err.print(table)
    raise typer.Exit(4)


def read_cases(
    path: Path,
) -> tuple[NDArray[np.datetime64], NDArray[np.int64], NDArray[np.int64] | None]:
    """Dates, cases and (if the column exists) imported cases of a CSV case file.

    Rules: header with ``date`` and ``cases`` (``imported`` optional); ISO
    dates, consecutive days in ascending order; whole counts ``>= 0``;
    ``imported <= cases``.  Every bad value is reported (all or nothing).
    """
    name = path.name
    errors: list[RowError] = []
    dates: list[date] = []
    cases: list[int] = []
    imported: list[int] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip() for f in reader.fieldnames or []]
        missing = [f for f in ("date", "cases") if f not in fields]
        if missing:
            raise CaseFileError(
                [RowError(name, 1, f, "required column is missing", None) for f in missing]
            )
        has_imported = "imported" in fields
        for row in reader:
            line = reader.line_num
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            try:
                day = date.fromisoformat(row["date"])
            except ValueError:
                errors.append(
                    RowError(name, line, "date", "must be an ISO date YYYY-MM-DD", row["date"])
                )
                day = None
            if day is not None and dates and (day - dates[-1]).days != 1:
                errors.append(
                    RowError(
                        name, line, "date", "dates must be consecutive days, ascending", row["date"]
                    )
                )
            if day is not None:
                dates.append(day)
            counts: dict[str, int] = {}
            for col in ("cases", "imported") if has_imported else ("cases",):
                raw = row.get(col, "")
                if not raw.isdigit():
                    errors.append(RowError(name, line, col, "must be a whole number >= 0", raw))
                    continue
                counts[col] = int(raw)
            if "cases" in counts and "imported" in counts and counts["imported"] > counts["cases"]:
                errors.append(
                    RowError(name, line, "imported", "must be <= cases", row.get("imported"))
                )
            cases.append(counts.get("cases", 0))
            imported.append(counts.get("imported", 0))
    if not errors and len(cases) < 2:
        errors.append(RowError(name, 0, "cases", "need at least 2 days of cases", str(len(cases))))
    if errors:
        raise CaseFileError(errors)
    return (
        np.array(dates, dtype="datetime64[D]"),
        np.array(cases, dtype=np.int64),
        np.array(imported, dtype=np.int64) if has_imported else None,
    )


def read_si(path: Path) -> NDArray[np.float64]:
    """A non-parametric serial interval: CSV ``day,probability`` with days ``0, 1, 2, ...``."""
    name = path.name
    errors: list[RowError] = []
    values: list[float] = []
    with path.open(newline="", encoding="utf-8-sig") as fh:
        reader = csv.DictReader(fh)
        fields = [f.strip() for f in reader.fieldnames or []]
        missing = [f for f in ("day", "probability") if f not in fields]
        if missing:
            raise CaseFileError(
                [RowError(name, 1, f, "required column is missing", None) for f in missing]
            )
        for row in reader:
            line = reader.line_num
            row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
            if row["day"] != str(len(values)):
                errors.append(
                    RowError(
                        name, line, "day", f"must be {len(values)} (days 0, 1, 2, ...)", row["day"]
                    )
                )
            try:
                p = float(row["probability"])
                if not (math.isfinite(p) and p >= 0):
                    raise ValueError
            except ValueError:
                errors.append(
                    RowError(name, line, "probability", "must be a number >= 0", row["probability"])
                )
                p = 0.0
            values.append(p)
    if not errors:
        if len(values) < 2:
            errors.append(RowError(name, 0, "probability", "need days 0 and 1 at least", None))
        elif values[0] != 0:
            errors.append(RowError(name, 2, "probability", "must be 0 on day 0", str(values[0])))
        elif abs(sum(values) - 1) > 0.01:
            errors.append(
                RowError(
                    name, 0, "probability", "must sum to 1 (within 0.01)", f"{sum(values):.6g}"
                )
            )
    if errors:
        raise CaseFileError(errors)
    return np.array(values, dtype=np.float64)


def rt_table(result: RtEstimate, lang: str, limit: int = 400) -> Table:
    table = Table(
        t("twin.rt.window", lang),
        t("twin.rt.mean", lang),
        t("twin.rt.cri", lang),
        t("twin.rt.cv", lang),
        title=None,
    )
    lo_i, hi_i = result.quantile_levels.index(0.025), result.quantile_levels.index(0.975)
    starts, ends = result.date_start, result.date_end
    for w in range(min(limit, result.t_start.size)):
        label = (
            f"{starts[w]} – {ends[w]}"
            if starts is not None and ends is not None
            else f"{result.t_start[w]} – {result.t_end[w]}"
        )
        table.add_row(
            label,
            f"{result.mean[w]:.2f}",
            f"{result.quantiles[w, lo_i]:.2f} – {result.quantiles[w, hi_i]:.2f}",
            f"{result.posterior_cv[w]:.2f}",
        )
    return table


@app.command("rt")
def rt_cmd(
    input_file: Annotated[
        Path, typer.Option("--input", "-i", help="CSV with columns date,cases[,imported].")
    ],
    si_mean: Annotated[
        float | None, typer.Option("--si-mean", help="Serial interval mean, days (> 1).")
    ] = None,
    si_sd: Annotated[
        float | None, typer.Option("--si-sd", help="Serial interval sd, days (> 0).")
    ] = None,
    si_file: Annotated[
        Path | None,
        typer.Option("--si-file", help="Non-parametric serial interval: CSV day,probability."),
    ] = None,
    window: Annotated[int, typer.Option("--window", help="Window length in days.")] = 7,
    prior_mean: Annotated[float, typer.Option("--prior-mean", help="Gamma prior mean of R.")] = 5.0,
    prior_sd: Annotated[float, typer.Option("--prior-sd", help="Gamma prior sd of R.")] = 5.0,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Estimate Rt on sliding windows (Cori et al. 2013, as EpiEstim estimate_R)."""
    settings = settings_for(workspace, lang)
    parametric = si_mean is not None or si_sd is not None
    if parametric == (si_file is not None):
        fail("give --si-mean and --si-sd, or --si-file (one of the two)", as_json=as_json, code=2)
    if parametric and (si_mean is None or si_sd is None):
        fail("--si-mean and --si-sd go together", as_json=as_json, code=2)
    for option, path in (("--input", input_file), ("--si-file", si_file)):
        if path is not None and not path.is_file():
            fail(f"{option} {path}: no such file", as_json=as_json, code=2)
    try:
        dates, cases, imported = read_cases(input_file)
        si: ParametricSI | NonParametricSI
        if si_file is not None:
            si = NonParametricSI.of(read_si(si_file))
    except CaseFileError as exc:
        _reject(exc.errors, lang=settings.lang, as_json=as_json)
    try:
        if si_file is None:
            si = ParametricSI(float(si_mean), float(si_sd))  # type: ignore[arg-type]
        prior = GammaPrior(prior_mean, prior_sd)
        result = estimate_r(
            cases, si=si, imported=imported, window=window, prior=prior, dates=dates
        )
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    if as_json:
        print_json({"input": str(input_file), "window": window, **result.to_dict()})
        return
    out.print(t("twin.rt.title", settings.lang, method=result.method, window=window))
    out.print(t("twin.rt.si", settings.lang, mean=result.si_mean[0], sd=result.si_std[0]))
    if result.moved_first_day:
        out.print(t("twin.rt.moved", settings.lang))
    out.print(rt_table(result, settings.lang))
    lo_i, hi_i = result.quantile_levels.index(0.025), result.quantile_levels.index(0.975)
    end = result.date_end[-1] if result.date_end is not None else result.t_end[-1]
    out.print(
        t(
            "twin.rt.latest",
            settings.lang,
            end=str(end),
            mean=float(result.mean[-1]),
            lo=float(result.quantiles[-1, lo_i]),
            hi=float(result.quantiles[-1, hi_i]),
        )
    )


@dataclasses.dataclass(frozen=True)
class CityDistricts:
    """The districts of the store as a metapopulation, and where the mobility came from."""

    metapop: Metapopulation
    names: tuple[str, ...]
    mobility: str
    commuters: int


def load_districts(
    *, session: Session, mobility: str, away_fraction: float, travel_fraction: float
) -> CityDistricts:
    """Districts with residents, and their mobility matrix, from the city store.

    ``mobility``: ``commuting`` (persons' home building → their workplace or
    school venue's building, mapped to districts; see
    :func:`~epicontrol.core.twin.metapop.commuting_mobility`), ``gravity``
    (district centroids, :func:`~epicontrol.core.twin.metapop.gravity_mobility`)
    or ``auto`` (commuting when any person has a workplace or school, else gravity).
    """
    rows = session.execute(
        select(Area.id, Area.code, Area.name, Area.population, Area.lon, Area.lat)
        .where(Area.level == "district", Area.population > 0)
        .order_by(Area.id)
    ).all()
    if not rows:
        raise LookupError("no districts")
    ids = np.array([r.id for r in rows], dtype=np.int64)
    pop = np.array([r.population for r in rows], dtype=np.int64)
    codes = tuple(r.code for r in rows)
    names = tuple(r.name for r in rows)
    flows: list[Any] = []
    if mobility in ("commuting", "auto"):
        flows = list(
            session.execute(
                select(Person.building_id, Venue.building_id, func.count())
                .join(Venue, Venue.id == Person.org_venue_id)
                .group_by(Person.building_id, Venue.building_id)
            ).all()
        )
    if mobility == "commuting" or (mobility == "auto" and flows):
        areas = session.execute(select(Area.id, Area.parent_id, Area.level)).all()
        size = max(a.id for a in areas) + 1
        parent = np.full(size, -1, dtype=np.int64)
        is_district = np.zeros(size, dtype=bool)
        for a in areas:
            parent[a.id] = -1 if a.parent_id is None else a.parent_id
            is_district[a.id] = a.level == "district"
        index = np.full(size, -1, dtype=np.int64)
        index[ids] = np.arange(ids.size)
        home_b = np.array([f[0] for f in flows], dtype=np.int64)
        work_b = np.array([f[1] for f in flows], dtype=np.int64)
        counts = np.array([f[2] for f in flows], dtype=np.float64)

        def district_of(b: NDArray[np.int64]) -> NDArray[np.int64]:
            cur = b.copy()
            for _ in range(8):  # building → compound → community → street → district
                up = (cur >= 0) & ~is_district[np.maximum(cur, 0)]
                if not up.any():
                    break
                cur[up] = parent[cur[up]]
            return np.where(cur >= 0, index[np.maximum(cur, 0)], -1)

        home_d, work_d = district_of(home_b), district_of(work_b)
        keep = (home_d >= 0) & (work_d >= 0)
        matrix = commuting_mobility(
            home_d[keep], work_d[keep], pop, counts=counts[keep], away_fraction=away_fraction
        )
        source, commuters = "commuting", int(counts[keep].sum())
    else:
        lon = np.array([np.nan if r.lon is None else r.lon for r in rows], dtype=np.float64)
        lat = np.array([np.nan if r.lat is None else r.lat for r in rows], dtype=np.float64)
        matrix = gravity_mobility(pop, lon, lat, travel_fraction=travel_fraction)
        source, commuters = "gravity", 0
    return CityDistricts(Metapopulation(codes, pop, matrix), names, source, commuters)


def _district_rows(
    districts: CityDistricts, result: MetapopResult | EnsembleResult
) -> list[dict[str, Any]]:
    by_district = (
        result.incidence if isinstance(result, MetapopResult) else result.incidence.mean(axis=0)
    )
    summary = result.summary()["districts"]
    for i, row in enumerate(summary):
        row["name"] = districts.names[i]
        row["daily_incidence"] = [float(v) for v in by_district[:, i]]
    return list(summary)


@app.command("metapop")
def metapop_cmd(
    days: Annotated[int, typer.Option("--days", help="Horizon in days.")] = 120,
    r0: Annotated[float, typer.Option("--r0", help="Basic reproduction number.")] = 2.5,
    latent: Annotated[float, typer.Option("--latent", help="Mean latent period, days.")] = 3.0,
    infectious: Annotated[
        float, typer.Option("--infectious", help="Mean infectious period, days.")
    ] = 5.0,
    coupling: Annotated[
        float, typer.Option("--coupling", help="Scale of travel between districts, 0..1.")
    ] = 1.0,
    mobility: Annotated[
        str, typer.Option("--mobility", help="auto, commuting or gravity.")
    ] = "auto",
    away_fraction: Annotated[
        float, typer.Option("--away-fraction", help="Share of a commuter's day at work.")
    ] = 1 / 3,
    travel_fraction: Annotated[
        float, typer.Option("--travel-fraction", help="Gravity model: share of time away.")
    ] = 0.1,
    seed_district: Annotated[
        str | None,
        typer.Option(
            "--seed-district", help="District code of the first cases (default: largest)."
        ),
    ] = None,
    initial: Annotated[
        int, typer.Option("--initial", help="Infectious persons seeded on day 0.")
    ] = 10,
    stochastic: Annotated[
        bool, typer.Option("--stochastic", help="Tau-leaping ensemble instead of the ODE.")
    ] = False,
    runs: Annotated[int, typer.Option("--runs", help="Stochastic runs.")] = 100,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the stochastic runs.")] = 0,
    steps_per_day: Annotated[
        int, typer.Option("--steps-per-day", help="Tau-leap steps per day.")
    ] = 4,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Write daily incidence by district to this Parquet file."),
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Metapopulation SEIR over the city's districts (ODE, or tau-leaping with --stochastic)."""
    settings = settings_for(workspace, lang)
    if mobility not in ("auto", "commuting", "gravity"):
        fail(
            f"--mobility must be auto, commuting or gravity, got {mobility!r}",
            as_json=as_json,
            code=2,
        )
    if initial < 1:
        fail(f"--initial must be >= 1, got {initial}", as_json=as_json, code=2)
    try:
        params = SEIRParams(
            r0=r0, latent_period=latent, infectious_period=infectious, coupling=coupling
        )
    except ValueError as exc:
        fail(f"--{str(exc).replace('_period', '').replace('_', '-')}", as_json=as_json, code=2)
    engine = open_store(settings)
    try:
        with Session(engine) as session:
            districts = load_districts(
                session=session,
                mobility=mobility,
                away_fraction=away_fraction,
                travel_fraction=travel_fraction,
            )
    except LookupError:
        fail(t("twin.metapop.no_districts", settings.lang), as_json=as_json, code=3)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    mp = districts.metapop
    if seed_district is None:
        k = int(np.argmax(mp.population))
    else:
        try:
            k = mp.index(seed_district)
        except ValueError as exc:
            fail(f"--seed-district: {exc}", as_json=as_json, code=4)
    seeds = np.zeros(mp.size, dtype=np.int64)
    seeds[k] = min(initial, int(mp.population[k]))
    result: MetapopResult | EnsembleResult
    try:
        if stochastic:
            with progress_bar() as progress:
                task = progress.add_task(
                    t("twin.metapop.runs", settings.lang, runs=runs), total=runs
                )

                def on_progress(done: int, total: int) -> None:
                    progress.update(task, completed=done, total=total)

                result = simulate_tau_leap(
                    mp,
                    params,
                    days=days,
                    initial_infectious=seeds,
                    runs=runs,
                    seed=seed,
                    steps_per_day=steps_per_day,
                    on_progress=on_progress,
                )
        else:
            result = simulate_ode(mp, params, days=days, initial_infectious=seeds)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(result.to_arrow(), output)
    summary = result.summary()
    summary["districts"] = _district_rows(districts, result)
    doc = {
        "params": {
            "r0": params.basic_reproduction_number,
            "beta": params.beta_per_day,
            "latent_period": latent,
            "infectious_period": infectious,
            "coupling": coupling,
        },
        "mobility": {
            "source": districts.mobility,
            "commuters": districts.commuters,
            "away_fraction": away_fraction if districts.mobility == "commuting" else None,
            "travel_fraction": travel_fraction if districts.mobility == "gravity" else None,
            "matrix": mp.mobility.tolist(),
        },
        "seed_district": mp.codes[k],
        "initial_infectious": int(seeds[k]),
        "output": None if output is None else str(output),
        **summary,
    }
    if as_json:
        print_json(doc)
        return
    _render_metapop(doc, districts, stochastic, settings.lang)


def _render_metapop(
    doc: dict[str, Any], districts: CityDistricts, stochastic: bool, lang: str
) -> None:
    model = "tau-leaping" if stochastic else "ODE"
    out.print(
        t(
            "twin.metapop.title",
            lang,
            model=model,
            districts=districts.metapop.size,
            days=doc["days"],
            r0=doc["params"]["r0"],
        )
    )
    source = (
        t(f"twin.metapop.mobility.{districts.mobility}", lang, commuters=districts.commuters)
        if districts.mobility == "commuting"
        else t("twin.metapop.mobility.gravity", lang)
    )
    out.print(t("twin.metapop.mobility", lang, source=source))
    out.print(
        t("twin.metapop.seed", lang, district=doc["seed_district"], n=doc["initial_infectious"])
    )

    def fmt(value: Any, pct: bool = False, digits: int = 0) -> str:
        if isinstance(value, dict):
            m, lo, hi = value["mean"], value["lo"], value["hi"]
            if pct:
                return f"{m:.1%} ({lo:.1%}–{hi:.1%})"
            return f"{m:,.{digits}f} ({lo:,.{digits}f}–{hi:,.{digits}f})"
        return f"{value:.1%}" if pct else f"{value:,.{digits}f}"

    table = Table(
        t("district", lang),
        t("population", lang),
        t("twin.metapop.attack", lang),
        t("twin.metapop.peak_day", lang),
    )
    for row in doc["districts"]:
        peak = row.get("peak_day")
        if peak is None:
            peak = int(np.argmax(row["daily_incidence"]))
        table.add_row(
            f"{row['name']} ({row['code']})",
            f"{row['population']:,}",
            fmt(row["attack_rate"], pct=True),
            str(peak),
        )
    out.print(table)
    out.print(
        t(
            "twin.metapop.total",
            lang,
            attack=fmt(doc["attack_rate"], pct=True),
            peak_day=fmt(doc["peak_day"]),
            peak_size=fmt(doc["peak_size"]),
        )
    )
    if doc["output"]:
        out.print(t("twin.metapop.written", lang, path=doc["output"]))
