"""``epicontrol zones`` end to end on a generated city (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli.main import app
from epicontrol.domains.city.models import City, Person
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine

    def run(self, *args: str, code: int = 0) -> Any:
        env = {**self.env, "COLUMNS": "240"}
        result = runner.invoke(app, [*args, "-w", str(self.path)], env=env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A 3,000-person, 4-day city with two traced cases, once per backend."""
    path = tmp_path_factory.mktemp("zones") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{path / 'epicontrol.db'}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "4", "-s", "11", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    engine = make_engine(url)
    w = Workspace(path, env, engine)
    with Session(engine) as session:
        day0 = session.scalars(select(City.epoch_utc)).one() + timedelta(hours=8)
        pids = list(
            session.scalars(
                select(Person.id).where(Person.age.between(25, 55)).order_by(Person.id).limit(2)
            )
        )
    onset = (day0 + timedelta(days=2)).date().isoformat()
    for pid in pids:
        w.run("trace", "case", str(pid), "--onset", onset, "--reported", onset + "T20:00", "--json")
    yield w
    engine.dispose()


def test_delineate_list_evaluate_history_geojson(ws: Workspace, tmp_path: Path) -> None:
    ws.run("zones", "delineate", "--json", code=2)  # neither --case nor --all
    out = ws.run("zones", "delineate", "--all", "--json")
    assert len(out["cases"]) == 2 and out["created"] > 0 and out["checkins"]
    assert out["units"]["lockdown"] >= 2
    again = ws.run("zones", "delineate", "--case", str(out["cases"][0]), "--json")
    assert again["cases"] == [] and again["skipped"] == [out["cases"][0]] and again["created"] == 0

    listed = ws.run("zones", "list", "--active", "--json")["zones"]
    assert len(listed) == out["created"]
    lockdown = ws.run("zones", "list", "--level", "lockdown", "--json")["zones"]
    assert len(lockdown) == out["units"]["lockdown"]
    assert all(
        z["residents"] >= 0 and set(z["special"]) == {"red", "yellow", "green"} for z in listed
    )
    day = listed[0]["level_day"]

    seventh = (date.fromisoformat(day) + timedelta(days=7)).isoformat()
    result = ws.run("zones", "evaluate", "--date", seventh, "--json")
    assert len(result["days"]) == 8
    moved = [c for d in result["days"] for c in d["transitions"]]
    assert {c["rule_id"] for c in moved if c["from_level"] == "lockdown"} == {"lockdown-to-control"}
    assert sum(c["from_level"] == "lockdown" for c in moved) == len(lockdown)
    again = ws.run("zones", "evaluate", "--date", seventh, "--json")
    assert again["days"][0]["already_evaluated"] and again["active"] == result["active"]
    text = ws.run("zones", "evaluate", "--date", seventh, "--lang", "en")
    assert "evaluated before; nothing changed" in " ".join(text.stdout.split())

    zone = lockdown[0]["id"]
    history = ws.run("zones", "history", str(zone), "--json")["history"]
    assert [h["rule_id"] for h in history] == ["delineation", "lockdown-to-control"]
    ws.run("zones", "history", "999999", "--json", code=4)
    table = ws.run("zones", "history", str(zone), "--lang", "zh-CN")
    assert "封控区 → 管控区" in table.stdout

    path = tmp_path / "zones.geojson"
    written = ws.run("zones", "geojson", "-o", str(path), "--json")
    collection = json.loads(path.read_text(encoding="utf-8"))
    assert collection["type"] == "FeatureCollection"
    assert written["features"] == len(collection["features"]) > 0
    assert {f["properties"]["geometry_source"] for f in collection["features"]} == {"centroid"}
    shown = ws.run("zones", "list", "--active", "--lang", "en")
    assert "Lockdown" in shown.stdout or "Control" in shown.stdout


def test_bad_input(ws: Workspace, tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text(
        '[[downgrade]]\nid = "x"\nfrom = "lockdown"\nto = "control"\ndays_without_case = -2\n',
        encoding="utf-8",
    )
    error = ws.run("zones", "delineate", "--all", "--rules", str(bad), "--json", code=2)
    assert error["key"] == "downgrade[0].days_without_case" and error["rule_id"] == "x"
    assert "rules.toml" in error["error"]
    error = ws.run("zones", "delineate", "--case", "424242", "--json", code=4)
    assert "case_id: unknown case id(s) 424242" in error["error"]
    error = ws.run("zones", "evaluate", "--date", "2026-13-01", "--json", code=2)
    assert "--date must be an ISO date" in error["error"]
    ws.run("zones", "list", "--level", "red", "--json", code=2)
    ws.run("zones", "delineate", "--all", "--unit", "street", "--json", code=2)
    checked = ws.run("zones", "rules", "--check", str(tmp_path / "none.toml"), "--json", code=2)
    assert "cannot be read" in checked["error"]
    default = tmp_path / "default.toml"
    ws.run("zones", "rules", "-o", str(default))
    ok = ws.run("zones", "rules", "--check", str(default), "--json")
    assert ok["rule_ids"][0] == "lockdown-to-control" and ok["stay_minutes"] == 240


def test_demo_zones_from_the_traced_cases(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from epicontrol.cli.demo_tracing import tracing_demo
    from epicontrol.cli.demo_zones import render_zones, zones_demo
    from epicontrol.config import Settings

    path = tmp_path / "demo"
    argv = ["city", "generate", "-n", "3000", "-d", "4", "-s", "5", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env={"EPICONTROL_DATABASE_URL": ""})
    assert result.exit_code == 0, result.stdout
    settings = Settings(workspace=path, lang="en", database_url=None)
    traced = tracing_demo(settings, cases=2, days=4)
    demo = zones_demo(settings)
    assert demo.case_ids == sorted(c.case_id for c in traced)
    assert demo.delineation.cases == demo.case_ids and demo.unit == "building"
    assert demo.levels["lockdown"].units >= 2 and demo.lockdown
    assert demo.levels["lockdown"].residents >= len(traced)  # the cases live there
    again = zones_demo(settings)  # the cases are delineated once
    assert again.delineation.cases == [] and again.levels == demo.levels
    for lang, word in (("en", "Lockdown"), ("zh-CN", "封控区")):
        render_zones(demo, lang)
        assert word in capsys.readouterr().out
