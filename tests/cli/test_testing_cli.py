"""``epicontrol testing`` end to end on a generated city (SQLite, PostgreSQL); the demo part."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli import demo_testing
from epicontrol.cli.main import app
from epicontrol.config import Settings
from epicontrol.domains.campaigns.models import CampaignPool
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing.models import Case
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine
    url: str

    def run(self, *args: str, code: int = 0) -> Any:
        result = runner.invoke(app, ["testing", *args, "-w", str(self.path)], env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("testing") / "ws"
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
    yield Workspace(path, env, engine, url)
    engine.dispose()


def communities(ws: Workspace) -> list[int]:
    with Session(ws.engine) as session:
        return list(
            session.scalars(select(Area.id).where(Area.level == "community").order_by(Area.id))
        )


def test_plan_save_results_coverage_list(ws: Workspace, tmp_path: Path) -> None:
    area = communities(ws)[0]
    common = ("--areas", str(area), "--start", "2026-11-10T08:00", "--samplers", "10")
    plan = ws.run("plan", *common, "--json")
    assert plan["campaign_id"] is None and plan["feasible"] is True
    assert plan["start"] == "2026-11-10T08:00:00+08:00"
    assert plan["finish"] <= plan["deadline"]
    assert {"sites", "labs", "shortfall", "pooling"} <= plan.keys()
    saved = ws.run("plan", *common, "--save", "--json")
    assert saved["round"] == 1 and saved["campaign_id"] is not None
    again = ws.run("plan", *common, "--save", "--json")
    assert again["saved_before"] is True and again["campaign_id"] == saved["campaign_id"]
    text = ws.run("plan", *common, "--lang", "en")
    assert "Mass-testing plan" in text.stdout and "Finishes within the deadline" in text.stdout
    with Session(ws.engine) as session:
        pools = list(
            session.scalars(
                select(CampaignPool.id)
                .where(CampaignPool.campaign_id == saved["campaign_id"])
                .order_by(CampaignPool.id)
            )
        )
    file = tmp_path / "r.csv"
    file.write_text(
        "pool_id,result\n"
        + "".join(f"{p},{'positive' if i == 0 else 'negative'}\n" for i, p in enumerate(pools))
    )
    done = ws.run("results", str(file), "--json")
    assert done["pools_recorded"] == len(pools) and done["positive_pools"] == 1
    assert done["tasks_created"] >= 1
    assert ws.run("results", str(file), "--json")["pools_unchanged"] == len(pools)
    cov = ws.run("coverage", str(saved["campaign_id"]), "--json")
    assert cov["coverage"] == 1.0 and cov["meets_target"] is True
    assert cov["zones"][0]["area_id"] == area
    listed = ws.run("list", "--json")
    assert listed[0]["campaign_id"] == saved["campaign_id"] and listed[0]["status"] == "completed"
    assert "Coverage" in ws.run("coverage", str(saved["campaign_id"]), "--lang", "en").stdout


def test_bad_input_exit_codes(ws: Workspace, tmp_path: Path) -> None:
    assert "ids separated by commas" in ws.run("plan", "--areas", "x,y", "--json", code=2)["error"]
    both = ws.run("plan", "--areas", "1", "--zones", "1", "--json", code=2)
    assert both["error"] == "give exactly one of --areas and --zones"
    assert (
        "pool-size" in ws.run("plan", "--areas", "1", "--pool-size", "0", "--json", code=2)["error"]
    )
    unknown = ws.run("plan", "--areas", "99999999", "--json", code=4)
    assert unknown["errors"][0]["field"] == "areas" and "unknown area id" in unknown["error"]
    bad = tmp_path / "bad.csv"
    bad.write_text("pool_id,result\nx,negative\n")
    rejected = ws.run("results", str(bad), "--json", code=4)
    assert rejected["errors"][0] == {
        "file": "bad.csv",
        "line": 2,
        "field": "pool_id",
        "rule": "must be an integer",
        "value": "x",
    }
    assert ws.run("results", str(tmp_path / "none.csv"), "--json", code=2)["error"].endswith(
        "no such file"
    )
    assert "does not exist" in ws.run("coverage", "999999", "--json", code=4)["error"]


def test_demo_part_plans_the_cases_home_communities(ws: Workspace) -> None:
    with Session(ws.engine) as session, session.begin():
        person = session.scalars(select(Person).order_by(Person.id).limit(1)).one()
        now = datetime(2026, 11, 2)
        session.add(
            Case(
                person_id=person.id,
                status="confirmed",
                onset_at=now,
                reported_at=now,
                source="test",
                created_at=now,
                updated_at=now,
            )
        )
    settings = Settings(workspace=ws.path, database_url=ws.url)
    result = demo_testing.testing_demo(settings, start=datetime(2026, 11, 20, 8))
    assert result.scope in ("zones", "communities")
    assert result.plan.campaign_id is not None and result.plan.residents > 0
    assert result.plan.finish is not None
    for lang in ("zh-CN", "en"):
        demo_testing.render_testing(result, lang)
