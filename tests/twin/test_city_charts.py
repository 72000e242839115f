"""The twin's city (capacities, area graph, agents) and its charts (PNG, self-contained HTML)."""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pyarrow.compute as pc
import pytest
from PIL import Image

from epicontrol.core.twin.ensemble import EnsembleResult, run_ensemble
from epicontrol.core.twin.params import load_preset
from epicontrol.core.twin.scenario import parse_scenario
from epicontrol.twin import charts
from epicontrol.twin.city import LoadedCity, city_capacity, generated_city, standard_tracers
from epicontrol.twin.output import write_ensemble

#: What a self-contained page must not hold: fetched URLs, external scripts or styles.
EXTERNAL = re.compile(
    r"""(src|href)\s*=\s*["']?(https?:)?//|<link\b|@import|url\(\s*["']?https?:"""
)


@pytest.fixture(scope="module")
def city() -> LoadedCity:
    return generated_city(3000, 4)


@pytest.fixture(scope="module")
def pair(city: LoadedCity) -> tuple[EnsembleResult, EnsembleResult]:
    base = {"name": "a", "seeding": [{"count": 5}], "horizon": 30, "runs": 2, "seed": 3}
    a = parse_scenario(base)
    b = parse_scenario(
        base
        | {
            "name": "b",
            "measures": [
                {"kind": "symptomatic_testing"},
                {"kind": "contact_tracing"},
                {"kind": "quarantine"},
                {"kind": "zones"},
            ],
        }
    )
    return run_ensemble(a, city.twin), run_ensemble(b, city.twin)


def test_generated_city_capacities_and_graph(city: LoadedCity) -> None:
    gen = city.generated
    assert gen is not None
    twin = city.twin
    fac = gen.facilities
    kind = fac.column("kind")

    def total(k: str, col: str) -> float:
        return float(pc.sum(fac.filter(pc.equal(kind, k)).column(col)).as_py() or 0)

    cap = twin.context.capacity
    assert cap["quarantine_rooms"] == total("quarantine_site", "rooms") > 0
    assert cap["hospital_beds"] == total("hospital", "beds") > 0
    assert cap["icu_beds"] == total("hospital", "icu_beds")
    assert cap["lab_tests_per_day"] == total("lab", "tests_per_day")
    # no staff on record: the standard, 2 tracers per 10 000 residents per district, rounded up
    pop = twin.population
    per = np.bincount(pop.district, minlength=pop.n_districts)
    assert cap["tracers"] == sum(math.ceil(n * 2 / 10_000) for n in per) == standard_tracers(pop)
    assert "samplers" not in cap
    assert city_capacity(fac, pop, tracers=7, samplers=3)["samplers"] == 3.0
    graph = twin.context.area_graph
    building = twin.context.agent_building
    assert building is not None and len(building) == pop.n == gen.persons.num_rows
    assert (graph.level[building] == 5).all()  # every agent's row is a building
    assert twin.start_weekday == gen.params.start.weekday()
    assert pop.district_names[0] == "中洲区"
    with_checkins = city.for_scenario("checkins", load_preset("omicron"))
    assert with_checkins.activity is not None and with_checkins.activity.source == "check-ins"
    assert city.for_scenario("age_table", load_preset("omicron")).activity is None


def test_png_and_html_charts(pair: tuple[EnsembleResult, EnsembleResult], tmp_path: Path) -> None:
    a, b = pair
    labelled = [("A", a), ("B", b)]
    png = charts.write_png(tmp_path / "c.png", labelled, lang="zh-CN", title="t")
    with Image.open(png) as img:
        assert img.format == "PNG" and img.size == (1800, 800)
    assert charts.png_lang("en") == "en"
    assert charts.png_lang("zh-CN") == ("zh-CN" if charts.cjk_font() else "en")
    page = charts.write_html(
        tmp_path / "c.html", labelled, lang="en", title="A vs B", header=["x"], table=[["1"]]
    )
    text = page.read_text(encoding="utf-8")
    assert not EXTERNAL.search(text)
    if charts._echarts_source() is not None:  # built by `make web`
        assert "echarts.init" in text and text.count('class="chart"') == len(charts.PANELS)


def test_html_svg_fallback_is_well_formed(
    pair: tuple[EnsembleResult, EnsembleResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(charts, "_echarts_source", lambda: None)
    a, b = pair
    page = charts.write_html(tmp_path / "s.html", [("A", a), ("B", b)], lang="zh-CN", title="对比")
    text = page.read_text(encoding="utf-8")
    assert "<script" not in text and not EXTERNAL.search(text)
    svgs = re.findall(r"<svg.*?</svg>", text, re.S)
    assert len(svgs) == len(charts.PANELS)
    for svg in svgs:
        root = ET.fromstring(svg)  # well-formed XML
        assert root.tag.endswith("svg")
    hospital = svgs[[p.key for p in charts.PANELS].index("hospital")]
    assert "容量" in hospital and f"{a.capacity['hospital_beds']:,.0f}" in hospital
    assert hospital.count("<polyline") == 2  # A and B means


def test_ensemble_files(pair: tuple[EnsembleResult, EnsembleResult], tmp_path: Path) -> None:
    import json

    import pyarrow.parquet as pq

    _, b = pair
    files = write_ensemble(b, tmp_path / "b")
    assert set(files) == {"runs", "daily", "districts", "bands", "summary"}
    assert pq.read_table(files["daily"]).num_rows == len(b.runs) * b.days
    bands = pq.read_table(files["bands"])
    assert set(bands.column("series").to_pylist()) == set(b.series_names())
    doc = json.loads(Path(files["summary"]).read_text(encoding="utf-8"))
    assert doc["outcomes"]["infections"]["median"] == b.outcomes()["infections"]["median"]
    assert doc["city"]["agents"] == 3000
