"""``epicontrol twin run`` / ``twin compare``: scenarios on a generated city, files, quick mode."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest
from PIL import Image
from typer.testing import CliRunner

from epicontrol.cli.main import app as main_app
from epicontrol.cli.twin import DAILY
from epicontrol.core.twin.ensemble import KEY_OUTCOMES, OUTCOMES
from tests.conftest import fresh_database_url

runner = CliRunner()
EXTERNAL = re.compile(
    r"""(src|href)\s*=\s*["']?(https?:)?//|<link\b|@import|url\(\s*["']?https?:"""
)

NONE = """
name: none
seeding: [{district: 中洲区, count: 4}]
horizon: 25
runs: 2
seed: 9
"""
PACKAGE = """
name: package
seeding: [{district: 中洲区, count: 4}]
measures:
  - {kind: symptomatic_testing, test_prob: 0.5}
  - {kind: contact_tracing}
  - {kind: quarantine}
  - {kind: zones}
  - {kind: mass_testing}
  - {kind: school_closure, after_cases: 1}
horizon: 25
runs: 2
seed: 9
"""


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(main_app, ["twin", *args, "-w", str(self.path)], env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("twin") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
    else:
        env = {"EPICONTROL_DATABASE_URL": fresh_database_url(backend, path.parent, request)}
    argv = ["city", "generate", "-n", "3000", "-d", "2", "-s", "5", "-w", str(path), "--json"]
    result = runner.invoke(main_app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    yield Workspace(path, env)


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_run_json_files_and_charts(ws: Workspace, tmp_path: Path) -> None:
    path = write(tmp_path, "package.yaml", PACKAGE)
    out = tmp_path / "out"
    doc = ws.run("run", str(path), "--out", str(out), "--json")
    assert doc["scenario"] == "package" and doc["runs"] == 2 and doc["horizon"] == 25
    assert doc["city"]["agents"] == 3000 and doc["city"]["source"].startswith("workspace")
    assert set(doc["outcomes"]) == set(OUTCOMES)
    for s in doc["outcomes"].values():
        assert set(s) == {"median", "lo", "hi", "mean", "reached", "runs"}
    assert set(doc["daily"]) == {"day", *DAILY}
    assert len(doc["daily"]["new_infections"]["mean"]) == 25
    assert {"tracers", "quarantine_rooms", "hospital_beds"} <= set(doc["capacity"])
    assert [m["kind"] for m in doc["measures"]][:2] == ["symptomatic_testing", "mass_testing"]
    assert doc["districts"][0]["district"] == "中洲区"
    assert len(doc["districts"][0]["daily_mean"]) == 25
    files = doc["files"]
    for key in ("runs", "daily", "districts", "bands", "summary", "png", "html"):
        assert Path(files[key]).is_file(), key
    assert pq.read_table(files["runs"]).num_rows == 2
    with Image.open(files["png"]) as img:
        assert img.format == "PNG"
    html = Path(files["html"]).read_text(encoding="utf-8")
    assert not EXTERNAL.search(html) and "package" in html
    human = ws.run("run", str(path), "--out", str(tmp_path / "h"), "--lang", "en")
    assert "Twin run: package" in human.stdout and "Days until no community cases" in human.stdout
    again = json.loads(Path(tmp_path / "h" / "summary.json").read_text(encoding="utf-8"))
    assert again["outcomes"] == doc["outcomes"]  # same scenario, same outputs


def test_compare_json_and_common_seeds(ws: Workspace, tmp_path: Path) -> None:
    a = write(tmp_path, "none.yaml", NONE)
    b = write(tmp_path, "package.yaml", PACKAGE.replace("seed: 9", "seed: 4"))
    out = tmp_path / "cmp"
    doc = ws.run("compare", str(a), str(b), "--out", str(out), "--json")
    assert doc["common_random_numbers"] is True and doc["aligned_b"] is True
    assert doc["a"]["seeds"] == doc["b"]["seeds"] and doc["b"]["seed"] == 9
    assert set(doc["comparison"]) == set(KEY_OUTCOMES)
    inf = doc["comparison"]["infections"]
    assert set(inf) == {"a", "b", "difference"}
    assert inf["a"]["median"] == doc["a"]["outcomes"]["infections"]["median"]
    for key in ("png", "html", "comparison"):
        assert Path(doc["files"][key]).is_file()
    assert Path(doc["files"]["a"]["daily"]).is_file() and Path(doc["files"]["b"]["bands"]).is_file()
    html = Path(doc["files"]["html"]).read_text(encoding="utf-8")
    assert not EXTERNAL.search(html)
    with Image.open(doc["files"]["png"]) as img:
        assert img.size == (1800, 800)
    assert "情景对比" in html and "共同随机数" in html  # zh-CN by default


def test_quick_mode(ws: Workspace) -> None:
    doc = ws.run(
        "run", "--agents", "20000", "--days", "80", "--disease", "sir", "--mixing",
        "homogeneous", "--r0", "2.5", "--seed", "3", "--json",
    )  # fmt: skip
    assert doc["mode"] == "quick" and doc["agents"] == 20000
    assert 0.84 < doc["attack_rate"] < 0.94 and doc["analytic_attack_rate"] == pytest.approx(
        0.8926, abs=1e-3
    )
    assert len(doc["daily_incidence"]) == 80 and doc["wall_s"] > 0
    assert doc["peak_day"] == max(range(80), key=lambda d: doc["daily_incidence"][d])
    ws.run("run", "--agents", "20000", "--days", "80", "--r0", "2.5", "--mixing", "city", code=2)
    ws.run("run", "--agents", "20000", "--r0", "2.5", code=2)  # no --days


def test_generated_city_and_checkin_activity(ws: Workspace, tmp_path: Path) -> None:
    gen = write(
        tmp_path,
        "gen.yaml",
        "name: gen\ncity: {generate: {population: 1500, seed: 2}}\nhorizon: 10\nruns: 1\n",
    )
    doc = ws.run("run", str(gen), "--out", str(tmp_path / "g"), "--json")
    assert doc["city"]["agents"] == 1500 and doc["city"]["source"].startswith("generated")
    # the workspace named in the file (relative to it), with the lake driving the community layer
    (tmp_path / "sub").mkdir()
    rel = os.path.relpath(ws.path, tmp_path / "sub")
    text = NONE + f"activity: checkins\ncity: {{workspace: {rel}}}\n"
    lake = write(tmp_path / "sub", "lake.yaml", text)
    result = runner.invoke(
        main_app,
        ["twin", "run", str(lake), "-w", str(tmp_path / "elsewhere"), "--json"],
        env=ws.env,
    )
    assert result.exit_code == 0, result.stdout
    doc = json.loads(result.stdout)
    assert doc["city"]["agents"] == 3000 and str(ws.path.resolve()) in doc["city"]["source"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (NONE + "measures: [{kind: curfew}]\n", r"measures\[0\]\.kind: must be one of"),
        (NONE.replace("中洲区", "鼓楼区"), r"seeding\[0\]\.district: unknown district '鼓楼区'"),
        (NONE + "measures: [{kind: quarantine, roomz: 3}]\n", r"measures\[0\]\.roomz: "),
        (NONE + "horizon2: 3\n", r"horizon2: unknown key"),
        (NONE + "params: {layers.household.betta: 1}\n", r"params\.layers\.household\.betta"),
    ],
)
def test_bad_scenarios_exit_2_naming_the_field(
    ws: Workspace, tmp_path: Path, text: str, message: str
) -> None:
    path = write(tmp_path, "bad.yaml", text)
    doc = ws.run("run", str(path), "--json", code=2)
    assert re.search(message, doc["error"]), doc["error"]
    assert doc["error"].startswith("bad.yaml: ")


def test_other_bad_input(ws: Workspace, tmp_path: Path) -> None:
    assert "no such file" in ws.run("run", str(tmp_path / "x.yaml"), "--json", code=2)["error"]
    ws.run("run", code=2)
    ws.run("run", str(write(tmp_path, "n.yaml", NONE)), "--agents", "100", code=2)
    gen = write(tmp_path, "g.yaml", NONE + "city: {generate: {population: 1000}}\n")
    n = write(tmp_path, "n.yaml", NONE)
    doc = ws.run("compare", str(n), str(gen), "--json", "--lang", "en", code=2)
    assert "same city" in doc["error"]
    empty = tmp_path / "empty"
    result = runner.invoke(
        main_app,
        ["twin", "run", str(n), "-w", str(empty), "--json", "--lang", "en"],
        env={"EPICONTROL_DATABASE_URL": ""},
    )
    assert result.exit_code == 3 and "holds no city" in json.loads(result.stdout)["error"]


def test_every_measure_kind_and_outcome_has_labels() -> None:
    from epicontrol.core.twin.measures import KINDS
    from epicontrol.i18n import MESSAGES

    for key in [f"twin.kind.{k}" for k in KINDS] + [f"twin.outcome.{o}" for o in OUTCOMES]:
        assert MESSAGES[key]["zh-CN"] and MESSAGES[key]["en"], key
