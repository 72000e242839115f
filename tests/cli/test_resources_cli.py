"""``epicontrol resources`` end to end on a generated city (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli.main import app
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.resources.models import StaffRecord, StockMovement
from epicontrol.domains.tracing.models import Case
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["resources", *args, "-w", str(self.path)], env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result

    def count(self, model: type) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("resources") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{path / 'epicontrol.db'}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "1", "-s", "11", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    engine = make_engine(url)
    yield Workspace(path, env, engine)
    engine.dispose()


def test_stock_commands(ws: Workspace, tmp_path: Path) -> None:
    got = ws.run(
        "stock",
        "receive",
        "--area",
        "MJ-01",
        "--item",
        "n95",
        "--quantity",
        "500",
        "--reference",
        "DN-7",
        "--json",
    )
    assert got["recorded"] == 1 and got["movements"][0]["balance"] == 500
    again = ws.run(
        "stock",
        "receive",
        "--area",
        "MJ-01",
        "--item",
        "n95",
        "--quantity",
        "500",
        "--reference",
        "DN-7",
        "--json",
    )
    assert again["recorded"] == 0 and again["duplicates"] == 1
    ws.run(
        "stock",
        "receive",
        "--area",
        "MJ-01",
        "--item",
        "n95",
        "--quantity",
        "501",
        "--reference",
        "DN-7",
        "--json",
        code=3,
    )
    before = ws.count(StockMovement)
    bad = ws.run(
        "stock", "issue", "--area", "MJ-01", "--item", "n95", "--quantity", "501", "--json", code=2
    )
    assert "stock cannot go negative" in bad["errors"][0]["rule"]
    assert (
        "area"
        in ws.run(
            "stock", "issue", "--area", "XX", "--item", "n95", "--quantity", "1", "--json", code=2
        )["errors"][0]["field"]
    )
    assert (
        ws.run(
            "stock",
            "receive",
            "--area",
            "MJ-01",
            "--item",
            "gold",
            "--quantity",
            "1",
            "--json",
            code=2,
        )["errors"][0]["field"]
        == "item"
    )
    assert ws.count(StockMovement) == before
    path = tmp_path / "m.csv"
    path.write_text("area,item,kind,quantity\nMJ,grain,receipt,1000\nMJ,grain,issue,10\n", "utf-8")
    assert ws.run("stock", "import", str(path), "--json")["recorded"] == 2
    assert ws.run("stock", "import", str(path), "--json")["duplicates"] == 2
    status = ws.run("stock", "status", "--on", "2026-11-20", "--items", "n95,grain", "--json")
    rows = {(r["area_code"], r["item"]): r for r in status["rows"]}
    assert rows[("MJ-01", "n95")]["stock"] == 500 and rows[("MJ", "grain")]["stock"] == 990
    assert rows[("MJ", "grain")]["days_of_supply"] is None  # nobody in lockdown: not burnt
    assert ws.run("stock", "status", "--on", "20-11-2026", "--json", code=2)["error"].startswith(
        "--on"
    )
    text = ws.run("stock", "status", "--lang", "en").stdout
    assert "Stockpiles" in text and "Reorder plan" in text


def test_staff_command(ws: Workspace, tmp_path: Path) -> None:
    path = tmp_path / "staff.csv"
    path.write_text("district,role,count\nMJ-01,tracer,40\nMJ-02,community_worker,2\n", "utf-8")
    doc = ws.run("staff", "--import", str(path), "--on", "2026-11-20", "--json")
    assert doc["imported"]["changed"] == 2
    rows = {(r["district_code"], r["role"]): r for r in doc["report"]["rows"]}
    assert rows[("MJ-01", "tracer")]["shortfall"] == 0
    assert (
        rows[("MJ-02", "community_worker")]["shortfall"]
        == rows[("MJ-02", "community_worker")]["required"] - 2
    )
    assert ws.run("staff", "--import", str(path), "--json")["imported"]["unchanged"] == 2
    bad = tmp_path / "bad.csv"
    bad.write_text("district,role,count\nMJ-01,tracer,many\nMJ-01,wizard,1\n", "utf-8")
    before = ws.count(StaffRecord)
    doc = ws.run("staff", "--import", str(bad), "--json", code=2)
    assert [(e["line"], e["field"]) for e in doc["errors"]] == [(2, "count"), (3, "role")]
    assert ws.count(StaffRecord) == before
    assert "Staffing" in ws.run("staff", "--lang", "en").stdout


def test_forecast_command(ws: Workspace, tmp_path: Path) -> None:
    assert "no cases" in ws.run("forecast", "--json", code=2)["error"]
    with Session(ws.engine) as session, session.begin():
        pids = session.scalars(select(Person.id).order_by(Person.id).limit(12)).all()
        days = [10, 11, 11, 12, 12, 12, 13, 13, 13, 13, 13, 13]  # 1, 2, 3, 6 cases a day
        for day, pid in zip(days, pids, strict=True):
            at = datetime(2026, 11, day, 2)
            session.add(
                Case(
                    person_id=pid,
                    status="confirmed",
                    onset_at=at,
                    reported_at=at,
                    source="test",
                    created_at=at,
                    updated_at=at,
                )
            )
    doc = ws.run("forecast", "--horizon", "10", "--json")
    assert doc["fitted"] and doc["horizon"] == 10 and doc["doubling_time"] > 0
    assert doc["observed_cases"] == 12 and len(doc["districts"]) == 13
    assert set(doc["first_alert"]) == {"general", "icu", "ventilated"}
    given = ws.run("forecast", "--from-store", "--doubling-time", "2", "--horizon", "5", "--json")
    assert given["doubling_time"] == pytest.approx(2.0) and not given["fitted"]
    assert ws.run("forecast", "--doubling-time", "0", "--json", code=2)["error"].startswith(
        "--doubling-time"
    )
    assert ws.run("forecast", "--horizon", "-1", "--json", code=2)["error"].startswith("--horizon")
    with Session(ws.engine) as session:
        district = session.scalars(select(Area.code).where(Area.level == "district")).first()
    path = tmp_path / "c.csv"
    path.write_text(f"date,district,cases\n2026-11-01,{district},5\n2026-11-02,NOPE,1\n", "utf-8")
    doc = ws.run("forecast", "--cases", str(path), "--json", code=2)
    assert doc["errors"][0]["line"] == 3 and doc["errors"][0]["field"] == "district"
    assert ws.run("forecast", "--cases", str(path), "--from-store", "--json", code=2)["error"]
    text = ws.run("forecast", "--doubling-time", "3", "--lang", "en").stdout
    assert "Capacity forecast" in text


def test_demo_resources(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from epicontrol.cli.demo_resources import render_resources, resources_demo
    from epicontrol.cli.demo_tracing import tracing_demo
    from epicontrol.cli.demo_zones import zones_demo
    from epicontrol.config import Settings

    path = tmp_path / "demo"
    argv = ["city", "generate", "-n", "3000", "-d", "4", "-s", "5", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env={"EPICONTROL_DATABASE_URL": ""})
    assert result.exit_code == 0, result.stdout
    settings = Settings(workspace=path, lang="en", database_url=None)
    tracing_demo(settings, cases=2, days=4)
    zones_demo(settings)
    demo = resources_demo(settings, horizon=20)
    assert demo.seeded and demo.doubling_assumed and demo.doubling_time == 3.0
    assert demo.observed_cases == 2 and demo.zone_residents > 0
    assert {a.level for a in demo.first_alerts} == {"general", "icu", "ventilated"}
    items = {k.item: k for k in demo.key_items}
    # the deliberately short district hubs alarm on N95 (their staff burn it)
    assert set(demo.short_districts) <= set(items["n95"].short_districts)
    assert items["vegetables"].min_days is not None  # the lockdown zones burn living supplies
    staff = {s.role: s for s in demo.staffing}
    assert staff["community_worker"].shortfall == 0  # seeded at the normal-times standards
    assert staff["sampler"].required > 0 and staff["sampler"].shortfall == staff["sampler"].required
    engine = make_engine(f"sqlite:///{path / 'epicontrol.db'}")
    moved = Workspace(path, {"EPICONTROL_DATABASE_URL": ""}, engine).count(StockMovement)
    again = resources_demo(settings, horizon=20)  # seeds once
    assert not again.seeded and again.key_items == demo.key_items
    assert Workspace(path, {}, engine).count(StockMovement) == moved
    engine.dispose()
    for lang, word in (("en", "Days of supply"), ("zh-CN", "重点物资")):
        render_resources(demo, lang)
        assert word in capsys.readouterr().out
