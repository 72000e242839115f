"""The digital-twin part of ``epicontrol demo``: no measures vs the plans' full package.

The shipped scenarios ``no_measures.yaml`` and ``full_package.yaml``
(:func:`epicontrol.core.twin.scenario.shipped_scenario`) run on the demo
city — the workspace the demo generated, with the tracers, rooms and beds on
record — with the same seeds (common random numbers), :data:`RUNS` runs of
:data:`HORIZON` days each, so the step stays within a few seconds on the
50,000-person city.  The comparison table, the PNG and the HTML charts go to
``<workspace>/reports/twin/demo``.
"""

from __future__ import annotations

import time
from typing import Any, Final

from pydantic import BaseModel
from rich.table import Table

from ..config import Settings
from ..core.twin.scenario import load_scenario, shipped_scenario
from ..i18n import t
from .common import out
from .twin import compare_scenarios, load_city

RUNS: Final = 4
HORIZON: Final = 90


class TwinDemo(BaseModel):
    """What the twin demo ran and found."""

    a: str
    b: str
    runs: int
    horizon: int
    agents: int
    seconds: float
    comparison: dict[str, Any]
    files: dict[str, Any]
    header: list[str]
    rows: list[list[str]]
    notes: list[str]


def twin_demo(settings: Settings, *, runs: int = RUNS, horizon: int = HORIZON) -> TwinDemo:
    """Compare the two shipped scenarios on the workspace's city (see the module docstring)."""
    started = time.perf_counter()
    a = load_scenario(shipped_scenario("no_measures")).with_overrides(runs=runs, horizon=horizon)
    b = load_scenario(shipped_scenario("full_package")).with_overrides(runs=runs, horizon=horizon)
    loaded = load_city(("workspace", settings.workspace.resolve()), settings, as_json=False)
    doc = compare_scenarios(
        a,
        b,
        loaded,
        sources=("no_measures.yaml", "full_package.yaml"),
        lang=settings.lang,
        as_json=False,
        out_dir=settings.workspace / "reports" / "twin" / "demo",
    )
    _title, header, rows, notes = doc["_render"]
    return TwinDemo(
        a=a.name,
        b=b.name,
        runs=runs,
        horizon=horizon,
        agents=doc["a"]["city"]["agents"],
        seconds=round(time.perf_counter() - started, 2),
        comparison=doc["comparison"],
        files=doc["files"],
        header=header,
        rows=rows,
        notes=notes,
    )


def render_twin(demo: TwinDemo, lang: str) -> None:
    """The comparison table of the twin demo."""
    title = t("twin.demo.title", lang, runs=demo.runs, horizon=demo.horizon, seconds=demo.seconds)
    out.print(f"[bold]{title}[/]")
    out.print(t("twin.demo.package", lang))
    table = Table(*demo.header)
    for row in demo.rows:
        table.add_row(*row)
    out.print(table)
    for note in demo.notes:
        out.print(note)
    out.print(t("twin.run.charts", lang, png=demo.files["png"], html=demo.files["html"]))
