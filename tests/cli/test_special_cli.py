"""``epicontrol special`` end to end: ledger, helpers, requests and their clocks (--json)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine
from typer.testing import CliRunner

from epicontrol.cli.main import app
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


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    path = tmp_path_factory.mktemp("special") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{path / 'epicontrol.db'}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "1", "-s", "4", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    engine = make_engine(url)
    yield Workspace(path, env, engine)
    engine.dispose()


def test_ledger_helpers_requests_and_kpis(ws: Workspace) -> None:
    out = ws.run("special", "ledger", "--sync", "--actor", "chief", "--json")
    ledger = out["ledger"]
    assert out["synced"]["enrolled"] == len(ledger) > 0
    red = next(e for e in ledger if e["tier"] == "red")
    com = red["community_id"]
    mine = ws.run(
        "special", "ledger", "--role", "grid_worker", "--viewer-community", str(com), "--json"
    )["ledger"]
    assert {e["community_id"] for e in mine} == {com}
    other = next(e for e in ledger if e["community_id"] != com)
    denied = ws.run(
        "special", "requests", "open", str(other["person_id"]), "--kind", "food",
        "--role", "grid_worker", "--viewer-community", str(com), "--json", code=4,
    )  # fmt: skip
    assert "may not see community" in denied["error"]
    helper = ws.run(
        "special", "helpers", "add", "--name", "Li", "--phone", "13812345678",
        "--community", str(com), "--json",
    )  # fmt: skip
    assert helper["phone"] == "138****5678"
    assigned = ws.run(
        "special", "helpers", "assign", str(helper["id"]), str(red["person_id"]), "--json"
    )
    assert assigned[0]["helper"]["id"] == helper["id"]
    r = ws.run(
        "special", "requests", "open", str(red["person_id"]), "--kind", "medicine",
        "--at", "2026-03-02T08:00", "--key", "k1", "--json",
    )  # fmt: skip
    assert r["due_at"].startswith("2026-03-02T10:00")
    again = ws.run(
        "special", "requests", "open", str(red["person_id"]), "--kind", "medicine",
        "--at", "2026-03-02T08:00", "--key", "k1", "--json",
    )  # fmt: skip
    assert again["id"] == r["id"]
    overdue = ws.run(
        "special", "requests", "list", "--overdue", "--now", "2026-03-02T11:00", "--json"
    )
    assert [x["id"] for x in overdue] == [r["id"]] and overdue[0]["clock"]["overdue_minutes"] == 60
    esc = ws.run("special", "requests", "escalate", "--now", "2026-03-02T11:00", "--json")
    assert [(e["request_id"], e["level"]) for e in esc] == [(r["id"], 1)]
    assert ws.run("special", "requests", "escalate", "--now", "2026-03-02T11:00", "--json") == []
    done = ws.run(
        "special", "requests", "respond", str(r["id"]), "--at", "2026-03-02T11:30", "--json"
    )
    assert done["clock"]["state"] == "late" and done["clock"]["response_minutes"] == 210
    closed = ws.run(
        "special", "requests", "close", str(r["id"]), "--at", "2026-03-02T12:00", "--json"
    )
    assert closed["status"] == "done"
    kpi = ws.run("special", "requests", "kpi", "--now", "2026-03-02T12:00", "--json")
    assert kpi["overall"]["requests"] == 1 and kpi["overall"]["on_time_rate"] == 0.0
    assert kpi["overall"]["median_minutes"] == 210.0
    assert "及时率" in ws.run("special", "requests", "kpi").stdout
    assert "On time" in ws.run("special", "requests", "kpi", "--lang", "en").stdout


def test_bad_input_and_not_in_ledger(ws: Workspace) -> None:
    ws.run("special", "ledger", "--sync", "--json")
    ledger = ws.run("special", "ledger", "--json")["ledger"]
    pid = ledger[0]["person_id"]
    bad = ws.run("special", "requests", "open", str(pid), "--kind", "taxi", "--json", code=2)
    assert bad["field"] == "kind"
    bad = ws.run("special", "requests", "open", str(pid), "--kind", "food", "--at", "noon",
                 "--json", code=2)  # fmt: skip
    assert "--at must be an ISO date" in bad["error"]
    in_ledger = {e["person_id"] for e in ledger}
    outsider = next(p for p in range(3000) if p not in in_ledger)
    missing = ws.run("special", "requests", "open", str(outsider), "--kind", "food", "--json",
                     code=4)  # fmt: skip
    assert "not in the special-population ledger" in missing["error"]
    assert ws.run("special", "requests", "respond", "999999", "--json", code=4)["error"]
    denied = ws.run("special", "ledger", "--role", "public", "--json", code=4)
    assert "has no access" in denied["error"]


def test_demo_on_a_small_city(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from datetime import datetime

    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from epicontrol.cli.demo_special import render_special, special_demo
    from epicontrol.config import Settings
    from epicontrol.domains.city.models import Person
    from epicontrol.domains.tracing.models import Case

    path = tmp_path / "demo"
    argv = ["city", "generate", "-n", "3000", "-d", "1", "-s", "4", "-w", str(path), "--json"]
    assert runner.invoke(app, argv, env={"EPICONTROL_DATABASE_URL": ""}).exit_code == 0
    settings = Settings(workspace=path, database_url=None)
    engine = make_engine(settings.resolved_database_url())
    with Session(engine) as s, s.begin():
        pid = s.scalar(select(Person.id).where(Person.age >= 30).order_by(Person.id).limit(1))
        when = datetime(2026, 3, 2, 1, 0)
        s.add(Case(person_id=pid, status="confirmed", onset_at=when, reported_at=when,
                   source="test", created_at=when, updated_at=when))  # fmt: skip
    engine.dispose()
    first = special_demo(settings, time_limit=5.0)
    assert first.plan is not None and first.note == "case_areas"
    assert first.plan.lockdown.households > 0
    assert first.requests and all(r.tier in ("red", "yellow") for r in first.requests)
    assert {r.clock.state for r in first.requests} >= {"on_time"}
    again = special_demo(settings, time_limit=5.0)
    assert [r.id for r in again.requests] == [r.id for r in first.requests]
    assert again.escalations == []  # escalated once already
    render_special(first, "en")
    render_special(first, "zh-CN")
    text = capsys.readouterr().out
    assert "Supply drill" in text and "保供演示" in text
