"""``epicontrol resources distribute`` and ``resources nodes`` end to end (both stores)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

import epicontrol.cli.resources_distribute  # noqa: F401  (registers the commands)
from epicontrol.cli.main import app
from epicontrol.domains.city.models import Area
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, [*args, "-w", str(self.path)], env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result

    def areas(self, level: str) -> list[int]:
        with Session(self.engine) as s:
            return list(s.scalars(select(Area.id).where(Area.level == level).order_by(Area.id)))


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("distribute") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{path / 'epicontrol.db'}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "1", "-s", "3", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    engine = make_engine(url)
    yield Workspace(path, env, engine)
    engine.dispose()


def test_distribute_json_plan_and_errors(ws: Workspace) -> None:
    compounds = ws.areas("compound")
    lock = ",".join(map(str, compounds[:2]))
    plan = ws.run(
        "resources", "distribute", "--date", "2026-03-02", "--lockdown-areas", lock,
        "--control-areas", str(compounds[2]), "--json",
    )  # fmt: skip
    assert plan["day"] == "2026-03-02" and plan["zone_source"] == "areas"
    assert plan["lockdown"]["households"] > 0 and plan["control"]["households"] > 0
    assert plan["gap"] >= 0.0 and plan["phases"][0]["name"] == "lockdown"
    served = plan["lockdown"]["served"] + plan["control"]["served"]
    total = plan["lockdown"]["households"] + plan["control"]["households"]
    assert served + sum(plan["unserved_by_reason"].values()) == total
    assert {"mask", "vegetables", "grain", "meat"} <= set(plan["items"])
    # the human output in both languages
    assert (
        "HiGHS"
        in ws.run("resources", "distribute", "--lockdown-areas", lock, "--lang", "en").stdout
    )
    assert "封控区" in ws.run("resources", "distribute", "--lockdown-areas", lock).stdout
    bad = ws.run("resources", "distribute", "--date", "March", "--json", code=2)
    assert "--date must be an ISO date" in bad["error"]
    bad = ws.run("resources", "distribute", "--lockdown-areas", "99999999", "--json", code=2)
    assert bad["field"] == "lockdown_areas"
    bad = ws.run("resources", "distribute", "--lockdown-areas", "x,y", "--json", code=2)
    assert "must be area ids" in bad["error"]


def test_nodes_list_and_import(ws: Workspace, tmp_path: Path) -> None:
    nodes = ws.run("resources", "nodes", "list", "--level", "district", "--json")
    assert len(nodes) == 13 and all(n["level"] == "district" for n in nodes)
    bad = tmp_path / "nodes.csv"
    bad.write_text(
        "code,level,area_code,name,capacity_kg,vehicles,vehicle_kg,workers,doors_per_round\n"
        f"{nodes[0]['code']},district,{nodes[0]['area_code']},hub,-1,2,1500,0,0\n",
        encoding="utf-8",
    )
    out = ws.run("resources", "nodes", "import", str(bad), "--json", code=4)
    assert out["errors"][0]["line"] == 2 and out["errors"][0]["field"] == "capacity_kg"
    bad.write_text(bad.read_text(encoding="utf-8").replace(",-1,", ",9000,"), encoding="utf-8")
    done = ws.run("resources", "nodes", "import", str(bad), "--json")
    assert done["updated"] == 1
    assert ws.run("resources", "nodes", "import", str(bad), "--json")["unchanged"] == 1


def test_no_city_is_a_workspace_conflict(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["resources", "distribute", "-w", str(tmp_path / "empty"), "--json"],
        env={"EPICONTROL_DATABASE_URL": ""},
    )  # fmt: skip
    assert result.exit_code == 3, result.stdout
    assert "no city" in json.loads(result.stdout)["error"]
