"""``epicontrol twin rt`` / ``twin metapop`` end to end on a generated city (both databases)."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli.main import app as main_app
from epicontrol.cli.twin_rt import app
from epicontrol.domains.city.models import Area
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url
from tests.peers import peer_vectors_dir

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    url: str

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [*args, "-w", str(self.path)], env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("twin") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{path / 'epicontrol.db'}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "1", "-s", "5", "-w", str(path), "--json"]
    result = runner.invoke(main_app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    yield Workspace(path, env, url)


def _flu2009(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    data = json.loads((peer_vectors_dir() / "epiestim_expected_example3.json").read_text())
    exp = data["expected"]
    path = tmp_path / "cases.csv"
    with path.open("w", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["date", "cases"])
        writer.writerows(zip(exp["dates"], exp["I"], strict=True))
    return path, exp


def test_rt_json_matches_epiestim(ws: Workspace, tmp_path: Path) -> None:
    path, exp = _flu2009(tmp_path)
    doc = ws.run("rt", "--input", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--json")
    assert doc["method"] == "parametric_si"
    means = [w["mean"] for w in doc["windows"]]
    np.testing.assert_allclose(means, exp["R"]["Mean(R)"], rtol=1e-10)
    np.testing.assert_allclose(
        [w["q0.975"] for w in doc["windows"]], exp["R"]["Quantile.0.975(R)"], rtol=1e-10
    )
    assert doc["windows"][0]["date_start"] == "2009-04-28"
    assert doc["windows"][-1]["date_end"] == "2009-05-28"
    human = ws.run("rt", "--input", str(path), "--si-mean", "2.6", "--si-sd", "1.5", "--lang", "en")
    assert "Latest window (to 2009-05-28)" in human.stdout


def test_rt_non_parametric_si_file_and_imported(ws: Workspace, tmp_path: Path) -> None:
    si = tmp_path / "si.csv"
    w = [0.0, 0.233, 0.359, 0.198, 0.103, 0.053, 0.027, 0.014, 0.007, 0.003, 0.002, 0.001]
    si.write_text("day,probability\n" + "".join(f"{k},{p}\n" for k, p in enumerate(w)))
    path, _ = _flu2009(tmp_path)
    doc = ws.run("rt", "--input", str(path), "--si-file", str(si), "--json")
    ref = json.loads((peer_vectors_dir() / "epiestim_expected_example1.json").read_text())
    np.testing.assert_allclose(
        [x["mean"] for x in doc["windows"]], ref["expected"]["R"]["Mean(R)"], rtol=1e-10
    )
    imp = tmp_path / "imp.csv"
    imp.write_text(
        "date,cases,imported\n2020-01-01,3,3\n"
        + "".join(f"2020-01-{d:02d},{d},1\n" for d in range(2, 12))
    )
    doc = ws.run("rt", "--input", str(imp), "--si-mean", "3", "--si-sd", "1", "--json")
    assert doc["imported"][:2] == [3, 1] and doc["local"][:2] == [0, 1]


def test_rt_rejects_bad_files_and_options(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,cases,imported\n2020-01-01,3,1\n2020-01-03,x,0\n2020-01-04,2,5\n")
    doc = ws.run("rt", "--input", str(bad), "--si-mean", "3", "--si-sd", "1", "--json", code=4)
    rules = {(e["line"], e["field"], e["rule"]) for e in doc["errors"]}
    assert (3, "date", "dates must be consecutive days, ascending") in rules
    assert (3, "cases", "must be a whole number >= 0") in rules
    assert (4, "imported", "must be <= cases") in rules
    path, _ = _flu2009(tmp_path)
    doc = ws.run("rt", "--input", str(path), "--json", code=2)
    assert "--si-mean" in doc["error"]
    doc = ws.run("rt", "--input", str(path), "--si-mean", "0.5", "--si-sd", "1", "--json", code=2)
    assert "mean_si must be > 1" in doc["error"]
    doc = ws.run(
        "rt",
        "--input",
        str(tmp_path / "none.csv"),
        "--si-mean",
        "3",
        "--si-sd",
        "1",
        "--json",
        code=2,
    )
    assert "no such file" in doc["error"]


def test_metapop_ode_and_stochastic_on_the_city(ws: Workspace, tmp_path: Path) -> None:
    engine = make_engine(ws.url)
    with Session(engine) as session:
        districts = session.execute(
            select(Area.code, Area.population).where(Area.level == "district", Area.population > 0)
        ).all()
    engine.dispose()
    doc = ws.run("metapop", "--days", "150", "--r0", "2.5", "--json")
    assert doc["mobility"]["source"] == "commuting" and doc["mobility"]["commuters"] > 0
    assert {d["code"] for d in doc["districts"]} == {c for c, _ in districts}
    matrix = np.array(doc["mobility"]["matrix"])
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    assert np.all(np.diag(matrix) < 1)  # commuters cross districts
    assert 0.85 < doc["attack_rate"] < 0.9  # close to the final size 0.893 by day 150
    assert doc["peak_day"] == int(np.argmax(doc["daily_incidence"]))
    code = min(districts, key=lambda d: d[1])[0]
    out = tmp_path / "inc.parquet"
    sto = ws.run(
        "metapop",
        "--days",
        "60",
        "--stochastic",
        "--runs",
        "3",
        "--seed",
        "4",
        "--seed-district",
        code,
        "--out",
        str(out),
        "--json",
    )
    assert sto["seed_district"] == code and sto["runs"] == 3
    assert set(sto["attack_rate"]) == {"mean", "lo", "hi"}
    table = pq.read_table(out)
    assert table.num_rows == 3 * 60 * len(districts)
    again = ws.run(
        "metapop",
        "--days",
        "60",
        "--stochastic",
        "--runs",
        "3",
        "--seed",
        "4",
        "--seed-district",
        code,
        "--json",
    )
    assert again["daily_incidence"] == sto["daily_incidence"]
    grav = ws.run("metapop", "--days", "30", "--mobility", "gravity", "--json")
    assert grav["mobility"]["source"] == "gravity"
    human = ws.run("metapop", "--days", "30", "--lang", "en")
    assert "Metapopulation SEIR (ODE" in human.stdout
    doc = ws.run("metapop", "--seed-district", "nowhere", "--json", code=4)
    assert "unknown district code" in doc["error"]
    doc = ws.run("metapop", "--r0", "-1", "--json", code=2)
    assert "r0 must be >= 0" in doc["error"]


def test_metapop_without_a_city_is_a_workspace_conflict(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["metapop", "--json", "--lang", "en", "-w", str(tmp_path / "empty")],
        env={"EPICONTROL_DATABASE_URL": ""},
    )
    assert result.exit_code == 3, result.stdout
    assert "no district" in json.loads(result.stdout)["error"]
