"""``epicontrol twin run`` and ``epicontrol twin compare``: scenario ensembles on the city.

``run SCENARIO.yaml`` runs a scenario's ensemble (:mod:`epicontrol.core.twin.scenario`)
on the workspace's city — or the city the scenario names — and writes the
tables, the JSON summary and the charts (PNG and self-contained HTML) under
``--out`` (default ``<workspace>/reports/twin/<scenario file name>``).
``run --agents N --days D --disease sir|seir --mixing homogeneous --r0 R``
is the quick mode without a city (homogeneous mixing; see the scenario
module for the R0 → β conversion).  ``compare A.yaml B.yaml`` runs both on
the same city with the same seeds (common random numbers: B takes A's seed,
runs and horizon) and prints the key outcomes of A and B with their 90 %
intervals and the paired difference B − A.

Exit codes as everywhere: 2 bad input (an option, the scenario file: the
message names the YAML path and the rule), 3 the workspace holds no city.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Annotated, Any, Final

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.twin.ensemble import (
    CENSORED,
    KEY_OUTCOMES,
    EnsembleResult,
    TwinCity,
    compare_ensembles,
    run_ensemble,
)
from ..core.twin.scenario import Scenario, load_scenario, parse_quick, run_quick
from ..i18n import t
from ..twin.charts import png_lang, write_html, write_png
from ..twin.city import LoadedCity, NoCityError, generated_city, load_workspace_city
from ..twin.output import write_ensemble, write_json
from .common import JsonOpt, LangOpt, WorkspaceOpt, fail, open_store, out, print_json, progress_bar

#: Daily series in the JSON output (every series is in the Parquet files).
DAILY: Final = (
    "new_infections",
    "community",
    "diagnosed",
    "hospital",
    "icu",
    "central_quarantine",
    "tracer_workload",
    "rt",
    "cum_infections",
)
PERCENT: Final = ("attack_rate",)
DECIMALS: Final = {"peak_tracer_workload": 2, "serial_interval": 1}


# --------------------------------------------------------------------------- loading


def _read(path: Path, *, as_json: bool) -> Scenario:
    if not path.is_file():
        fail(f"{path}: no such file", as_json=as_json, code=2)
    try:
        return load_scenario(path)
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)


def city_key(scenario: Scenario, path: Path, settings: Settings) -> tuple[Any, ...]:
    """What identifies the scenario's city: a workspace path or generator inputs."""
    spec = scenario.city
    if spec is None:
        return ("workspace", settings.workspace.resolve())
    if spec.generate is not None:
        return ("generate", spec.generate.population, spec.generate.seed)
    ws = Path(spec.workspace or ".")
    return ("workspace", (ws if ws.is_absolute() else path.parent / ws).resolve())


def load_city(key: tuple[Any, ...], settings: Settings, *, as_json: bool) -> LoadedCity:
    """The city of ``city_key`` (exit 3 when a workspace holds none)."""
    if key[0] == "generate":
        return generated_city(int(key[1]), int(key[2]))
    workspace = Path(key[1])
    ws_settings = (
        settings
        if workspace == settings.workspace.resolve()
        else Settings(workspace=workspace, lang=settings.lang)
    )
    engine = open_store(ws_settings)
    try:
        with Session(engine) as session:
            return load_workspace_city(
                session, workspace=ws_settings.workspace, lake_dir=ws_settings.lake_dir
            )
    except NoCityError:
        fail(t("twin.run.no_city", settings.lang, workspace=workspace), as_json=as_json, code=3)
    finally:
        engine.dispose()


def _city_for(loaded: LoadedCity, scenario: Scenario, source: str, *, as_json: bool) -> TwinCity:
    try:
        return loaded.for_scenario(scenario.activity, scenario.twin_params(source=source))
    except ValueError as exc:
        message = str(exc) if str(exc).startswith(source) else f"{source}: {exc}"
        fail(message, as_json=as_json, code=2)


def ensemble(
    scenario: Scenario,
    city: TwinCity,
    *,
    source: str,
    lang: str,
    as_json: bool,
    quiet: bool = False,
) -> EnsembleResult:
    """Run the ensemble with a progress bar (stderr); bad input exits 2."""
    total = scenario.runs * scenario.horizon
    ctx = nullcontext(None) if quiet else progress_bar()
    with ctx as progress:
        on_day: Callable[[int, int], None] | None = None
        if progress is not None:
            task = progress.add_task(
                t("twin.run.progress", lang, scenario=scenario.name), total=total
            )

            def on_day(run: int, day: int) -> None:
                progress.update(task, completed=run * scenario.horizon + day)

        try:
            return run_ensemble(scenario, city, source=source, on_day=on_day)
        except ValueError as exc:
            fail(str(exc), as_json=as_json, code=2)


# --------------------------------------------------------------------------- formatting


def fmt_value(name: str, value: float | None, lang: str) -> str:
    if value is None:
        return t("twin.not_reached", lang)
    if name in PERCENT:
        return f"{value:.1%}"
    digits = DECIMALS.get(name, 0)
    return f"{value:,.{digits}f}"


def fmt_summary(name: str, s: dict[str, Any] | None, lang: str) -> str:
    """``median (lo–hi)``, with how many runs reached an outcome that some did not."""
    if s is None or (s["reached"] == 0 and name not in CENSORED):
        return "—"
    text = f"{fmt_value(name, s['median'], lang)} ({fmt_value(name, s['lo'], lang)}–"
    text += f"{fmt_value(name, s['hi'], lang)})"
    if s["reached"] < s["runs"] and name in CENSORED:
        text += " " + t("twin.reached", lang, reached=s["reached"], runs=s["runs"])
    return text


def fmt_diff(name: str, s: dict[str, Any] | None, lang: str) -> str:
    if s is None:
        return "—"

    def one(v: float | None) -> str:
        if v is None:
            return t("twin.not_reached", lang)
        digits = DECIMALS.get(name, 0) + (3 if name in PERCENT else 0)
        v = round(v, digits) + 0.0  # no "-0"
        if v == 0:
            v = 0.0
        if name in PERCENT:
            return f"{v:+.1%}"
        return f"{v:+,.{DECIMALS.get(name, 0)}f}"

    return f"{one(s['median'])} ({one(s['lo'])} – {one(s['hi'])})"


def measures_text(scenario: Scenario, lang: str) -> str:
    kinds = [t(f"twin.kind.{m.kind}", lang) for _, m in scenario.sorted_measures()]
    return t("surveil.sep", lang).join(kinds) if kinds else t("twin.run.no_measures", lang)


def seeding_text(scenario: Scenario, result: EnsembleResult, lang: str) -> str:
    parts = []
    for s in scenario.seeding:
        if s.district is None:
            where = t("twin.run.anywhere", lang)
        elif isinstance(s.district, int):
            where = result.district_names[s.district]
        else:
            where = s.district
        parts.append(t("twin.run.seed_entry", lang, day=s.day, district=where, count=s.count))
    return "; ".join(parts)


def notes(result: EnsembleResult, lang: str) -> list[str]:
    si_mean, si_sd = result.serial_interval
    sc = result.scenario
    finds = any(m.kind in ("symptomatic_testing", "mass_testing") for m in sc.measures)
    series = t(f"twin.run.series.{sc.rt.series}", lang)
    source = t(f"twin.run.si.{'scenario' if sc.rt.si_mean else 'preset'}", lang)
    return [
        t(
            "twin.run.rt_note",
            lang,
            mean=si_mean,
            sd=si_sd,
            source=source,
            window=sc.rt.window,
            series=series,
        ),
        t(f"twin.run.community_note.{'found' if finds else 'onset'}", lang),
    ]


def _city_label(result: EnsembleResult, city: TwinCity, lang: str) -> str:
    return city.name_en if lang == "en" and city.name_en else result.city_name


# --------------------------------------------------------------------------- run


def _quick(
    *,
    agents: int,
    days: int | None,
    disease: str,
    mixing: str,
    r0: float | None,
    infectious_days: int,
    latent_days: int,
    initial: int,
    runs: int | None,
    seed: int | None,
    lang: str,
    as_json: bool,
) -> None:
    if days is None or r0 is None:
        fail("the quick mode needs --days and --r0", as_json=as_json, code=2)
    try:
        spec = parse_quick(
            agents=agents,
            days=days,
            disease=disease,
            mixing=mixing,
            r0=r0,
            infectious_days=infectious_days,
            latent_days=latent_days,
            initial=initial,
            runs=runs or 1,
            seed=seed or 0,
        )
    except ValueError as exc:
        fail(str(exc), as_json=as_json, code=2)
    with progress_bar() as progress:
        task = progress.add_task(t("twin.quick.progress", lang), total=spec.runs * spec.days)

        def on_day(run: int, day: int) -> None:
            progress.update(task, completed=run * spec.days + day)

        result = run_quick(spec, on_day=on_day)
    doc = {"mode": "quick", **result.summary()}
    if as_json:
        print_json(doc)
        return
    out.print(
        t(
            "twin.quick.title",
            lang,
            agents=spec.agents,
            disease=spec.disease.upper(),
            r0=spec.r0,
            days=spec.days,
            runs=spec.runs,
        )
    )
    out.print(
        t(
            "twin.quick.result",
            lang,
            attack=doc["attack_rate"],
            analytic=doc["analytic_attack_rate"],
            peak=doc["peak_day"],
            wall=doc["wall_s"],
        )
    )


def render_run(result: EnsembleResult, city: TwinCity, files: dict[str, str], lang: str) -> None:
    sc = result.scenario
    out.rule(
        t(
            "twin.run.title",
            lang,
            scenario=sc.name,
            city=_city_label(result, city, lang),
            agents=result.agents,
            runs=len(result.runs),
            horizon=sc.horizon,
        )
    )
    out.print(t("twin.run.seeding", lang, seeding=seeding_text(sc, result, lang)))
    out.print(t("twin.run.measures", lang, measures=measures_text(sc, lang)))
    table = Table(t("twin.col.outcome", lang), t("twin.col.median", lang))
    for name, s in result.outcomes().items():
        table.add_row(t(f"twin.outcome.{name}", lang), fmt_summary(name, s, lang))
    out.print(table)
    d_table = Table(t("district", lang), t("twin.col.median", lang), title=None)
    for row in result.district_outcomes():
        d_table.add_row(row["district"], fmt_summary("infections", row["infections"], lang))
    out.print(f"[bold]{t('twin.districts.title', lang)}[/]")
    out.print(d_table)
    for note in notes(result, lang):
        out.print(note)
    per = result.wall_s / max(len(result.runs), 1)
    out.print(t("twin.run.wall", lang, seconds=result.wall_s, per=per))
    out.print(t("twin.run.charts", lang, png=files["png"], html=files["html"]))
    out.print(t("twin.run.written", lang, path=files["dir"]))


def outcome_rows(result: EnsembleResult, lang: str) -> list[list[str]]:
    return [
        [t(f"twin.outcome.{name}", lang), fmt_summary(name, s, lang)]
        for name, s in result.outcomes().items()
    ]


def run_cmd(
    scenario_file: Annotated[
        Path | None, typer.Argument(help="Scenario YAML (omit with --agents: quick mode).")
    ] = None,
    runs: Annotated[int | None, typer.Option("--runs", help="Runs (overrides the file).")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default <workspace>/reports/twin/<name>)."),
    ] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed (overrides the file).")] = None,
    agents: Annotated[
        int | None, typer.Option("--agents", help="Quick mode: number of agents, no city.")
    ] = None,
    days: Annotated[int | None, typer.Option("--days", help="Quick mode: days.")] = None,
    disease: Annotated[str, typer.Option("--disease", help="Quick mode: sir or seir.")] = "sir",
    mixing: Annotated[
        str, typer.Option("--mixing", help="Quick mode: homogeneous (one pool).")
    ] = "homogeneous",
    r0: Annotated[float | None, typer.Option("--r0", help="Quick mode: R0.")] = None,
    infectious_days: Annotated[
        int, typer.Option("--infectious-days", help="Quick mode: fixed infectious period.")
    ] = 5,
    latent_days: Annotated[
        int, typer.Option("--latent-days", help="Quick mode, seir: fixed latent period.")
    ] = 3,
    initial: Annotated[
        int, typer.Option("--initial", help="Quick mode: agents infected on day 0.")
    ] = 10,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Run a scenario's ensemble (or the quick mode with --agents); tables, JSON and charts."""
    if lang not in ("zh-CN", "en"):
        fail(f"--lang must be zh-CN or en, got {lang!r}", as_json=as_json, code=2)
    settings = Settings(workspace=workspace, lang=lang)
    if scenario_file is None and agents is None:
        fail(t("twin.run.need_input", lang), as_json=as_json, code=2)
    if scenario_file is not None and agents is not None:
        fail("give a SCENARIO.yaml or --agents (the quick mode), not both", as_json=as_json, code=2)
    if agents is not None:
        _quick(
            agents=agents,
            days=days,
            disease=disease,
            mixing=mixing,
            r0=r0,
            infectious_days=infectious_days,
            latent_days=latent_days,
            initial=initial,
            runs=runs,
            seed=seed,
            lang=lang,
            as_json=as_json,
        )
        return
    assert scenario_file is not None
    if days is not None or r0 is not None:
        fail("--days and --r0 belong to the quick mode (--agents)", as_json=as_json, code=2)
    scenario = _read(scenario_file, as_json=as_json)
    source = scenario_file.name
    try:
        scenario = scenario.with_overrides(runs=runs, seed=seed)
    except ValueError as exc:
        fail(str(exc).replace("scenario: ", "--"), as_json=as_json, code=2)
    loaded = load_city(city_key(scenario, scenario_file, settings), settings, as_json=as_json)
    city = _city_for(loaded, scenario, source, as_json=as_json)
    result = ensemble(scenario, city, source=source, lang=lang, as_json=as_json)
    out_dir = output or workspace / "reports" / "twin" / scenario_file.stem
    files = write_ensemble(result, out_dir)
    title = f"{scenario.name} — {_city_label(result, city, lang)}"
    label = [(scenario.name, result)]
    png_title = f"{scenario.name} — {_city_label(result, city, png_lang(lang))}"
    files["png"] = str(write_png(out_dir / "chart.png", label, lang=lang, title=png_title))
    files["html"] = str(
        write_html(
            out_dir / "chart.html",
            label,
            lang=lang,
            title=title,
            header=[t("twin.col.outcome", lang), t("twin.col.median", lang)],
            table=outcome_rows(result, lang),
            notes=notes(result, lang),
        )
    )
    files["dir"] = str(out_dir)
    if as_json:
        print_json({**result.to_dict(daily=DAILY), "files": files, "png_lang": png_lang(lang)})
        return
    render_run(result, city, files, lang)


# --------------------------------------------------------------------------- compare


def comparison_rows(
    a: EnsembleResult, b: EnsembleResult, lang: str
) -> tuple[dict[str, Any], list[list[str]]]:
    comp = compare_ensembles(a, b)
    rows = [
        [
            t(f"twin.outcome.{name}", lang),
            fmt_summary(name, c["a"], lang),
            fmt_summary(name, c["b"], lang),
            fmt_diff(name, c["difference"], lang),
        ]
        for name, c in comp.items()
    ]
    return comp, rows


def compare_scenarios(
    a: Scenario,
    b: Scenario,
    loaded: LoadedCity,
    *,
    sources: tuple[str, str],
    lang: str,
    as_json: bool,
    out_dir: Path,
    quiet: bool = False,
) -> dict[str, Any]:
    """Run A and B on one city with A's seed, runs and horizon; write files; the document."""
    changed = (b.seed, b.runs, b.horizon) != (a.seed, a.runs, a.horizon)
    try:
        b = b.with_overrides(seed=a.seed, runs=a.runs, horizon=a.horizon)
    except ValueError as exc:
        fail(f"{sources[1]}: {exc}", as_json=as_json, code=2)
    city_a = _city_for(loaded, a, sources[0], as_json=as_json)
    city_b = _city_for(loaded, b, sources[1], as_json=as_json)
    res_a = ensemble(a, city_a, source=sources[0], lang=lang, as_json=as_json, quiet=quiet)
    res_b = ensemble(b, city_b, source=sources[1], lang=lang, as_json=as_json, quiet=quiet)
    comp, rows = comparison_rows(res_a, res_b, lang)
    files = {
        "a": write_ensemble(res_a, out_dir / "a"),
        "b": write_ensemble(res_b, out_dir / "b"),
    }

    def title_in(lang_: str) -> str:
        return t(
            "twin.compare.title",
            lang_,
            a=a.name,
            b=b.name,
            city=_city_label(res_a, city_a, lang_),
            agents=res_a.agents,
            runs=a.runs,
            horizon=a.horizon,
        )

    title = title_in(lang)
    pair = [(f"A {a.name}", res_a), (f"B {b.name}", res_b)]
    note_list = [t("twin.compare.crn", lang)]
    if changed:
        note_list.append(t("twin.compare.aligned", lang, seed=a.seed, runs=a.runs))
    note_list += notes(res_a, lang)[:1]
    header = [
        t("twin.col.outcome", lang),
        f"A {a.name}",
        f"B {b.name}",
        t("twin.col.difference", lang),
    ]
    png = write_png(out_dir / "compare.png", pair, lang=lang, title=title_in(png_lang(lang)))
    page = write_html(
        out_dir / "compare.html",
        pair,
        lang=lang,
        title=title,
        header=header,
        table=rows,
        notes=note_list,
    )
    doc: dict[str, Any] = {
        "a": res_a.to_dict(daily=DAILY),
        "b": res_b.to_dict(daily=DAILY),
        "comparison": comp,
        "key_outcomes": list(KEY_OUTCOMES),
        "common_random_numbers": res_a.seeds == res_b.seeds,
        "aligned_b": changed,
        "files": {
            "png": str(png),
            "html": str(page),
            "dir": str(out_dir),
            "a": files["a"],
            "b": files["b"],
        },
        "png_lang": png_lang(lang),
        "wall_s": round(res_a.wall_s + res_b.wall_s, 3),
    }
    doc["files"]["comparison"] = str(
        write_json(out_dir / "comparison.json", {k: doc[k] for k in ("comparison", "key_outcomes")})
    )
    doc["_render"] = (title, header, rows, note_list)
    return doc


def render_compare(doc: dict[str, Any]) -> None:
    title, header, rows, note_list = doc["_render"]
    out.rule(title)
    table = Table(*header)
    for row in rows:
        table.add_row(*row)
    out.print(table)
    for n in note_list:
        out.print(n)
    out.print(f"{doc['files']['png']}\n{doc['files']['html']}")


def compare_cmd(
    scenario_a: Annotated[Path, typer.Argument(help="Scenario A (YAML), the reference.")],
    scenario_b: Annotated[Path, typer.Argument(help="Scenario B (YAML).")],
    runs: Annotated[int | None, typer.Option("--runs", help="Runs of both.")] = None,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of both.")] = None,
    output: Annotated[
        Path | None,
        typer.Option("--out", help="Output directory (default <workspace>/reports/twin/...)."),
    ] = None,
    workspace: WorkspaceOpt = Path("var"),
    as_json: JsonOpt = False,
    lang: LangOpt = "zh-CN",
) -> None:
    """Compare two scenarios on the same city with the same seeds: outcomes, bands, charts."""
    if lang not in ("zh-CN", "en"):
        fail(f"--lang must be zh-CN or en, got {lang!r}", as_json=as_json, code=2)
    settings = Settings(workspace=workspace, lang=lang)
    a = _read(scenario_a, as_json=as_json)
    b = _read(scenario_b, as_json=as_json)
    try:
        a = a.with_overrides(runs=runs, seed=seed)
        b = b.with_overrides(runs=runs, seed=seed)
    except ValueError as exc:
        fail(str(exc).replace("scenario: ", "--"), as_json=as_json, code=2)
    key_a = city_key(a, scenario_a, settings)
    if city_key(b, scenario_b, settings) != key_a:
        fail(t("twin.compare.city_differs", lang), as_json=as_json, code=2)
    started = time.perf_counter()
    loaded = load_city(key_a, settings, as_json=as_json)
    out_dir = output or workspace / "reports" / "twin" / f"{scenario_a.stem}-vs-{scenario_b.stem}"
    doc = compare_scenarios(
        a,
        b,
        loaded,
        sources=(scenario_a.name, scenario_b.name),
        lang=lang,
        as_json=as_json,
        out_dir=out_dir,
    )
    doc["wall_s"] = round(time.perf_counter() - started, 3)
    if as_json:
        print_json({k: v for k, v in doc.items() if k != "_render"})
        return
    render_compare(doc)
