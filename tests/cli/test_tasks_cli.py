"""``epicontrol tasks`` end to end with --json (SQLite and PostgreSQL)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli.demo_tasks import DRILL_EVIDENCE, render_tasks, tasks_demo
from epicontrol.cli.main import app
from epicontrol.config import Settings
from epicontrol.domains.city.models import City
from epicontrol.domains.tracing.models import Case
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade
from tests.conftest import fresh_database_url
from tests.domains.tasks.conftest import add_cases

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine
    cases: list[int]

    def run(self, *args: str, code: int = 0) -> Any:
        argv = ["tasks", *args, "-w", str(self.path)]
        result = runner.invoke(app, argv, env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A store with a city and three cases reported 2026-11-05 10:00 local (UTC+8)."""
    path = tmp_path_factory.mktemp("tasks") / "ws"
    path.mkdir()
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{(path / 'epicontrol.db').resolve()}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as session, session.begin():
        cases = add_cases(session)
    yield Workspace(path, env, engine, cases)
    engine.dispose()


def test_open_list_complete_escalate_kpi(ws: Workspace) -> None:
    case = ws.cases[0]
    opened = ws.run("open", str(case), "--json")
    assert opened["created"] == 12 and opened["playbook"] == "1+4+6+24"
    assert opened["trigger_at"] == "2026-11-05T10:00:00+08:00"
    due = {t["kind"]: t["due_at"] for t in opened["tasks"]}
    assert due["onsite_health"] == "2026-11-05T11:00:00+08:00"
    assert due["transfer_contacts"] == "2026-11-05T16:00:00+08:00"
    assert due["key_population_community"] == "2026-11-06T10:00:00+08:00"
    assert ws.run("open", str(case), "--json")["created"] == 0  # idempotent

    listed = ws.run("list", "--overdue", "--case", str(case), "--now", "2026-11-05T12:30", "--json")
    assert listed["now"] == "2026-11-05T12:30:00+08:00"
    rows = {r["task"]["kind"]: r for r in listed["tasks"]}
    assert set(rows) == {"onsite_health", "onsite_police"}
    assert rows["onsite_health"]["overdue_hours"] == pytest.approx(1.5)
    assert rows["onsite_health"]["level_due"] == 2
    live = ws.run("list", "--case", str(case), "--now", "2026-11-05T12:30", "--json")
    clock = {r["task"]["kind"]: r for r in live["tasks"]}
    assert clock["core_information"]["remaining_hours"] == pytest.approx(1.5)
    police = ws.run("list", "--department", "police", "--case", str(case), "--json")
    assert {r["task"]["department"] for r in police["tasks"]} == {"police"}

    onsite = rows["onsite_police"]["task"]["id"]
    started = ws.run("start", str(onsite), "--at", "2026-11-05T10:20", "--by", "police", "--json")
    assert started["task"]["status"] == "in_progress"
    done = ws.run(
        "complete",
        str(onsite),
        "--evidence",
        "on site, log 5",
        "--by",
        "police 7",
        "--at",
        "2026-11-05T10:50",
        "--expect-version",
        "2",
        "--json",
    )
    assert done["task"]["status"] == "done" and done["task"]["completed_by"] == "police 7"
    assert done["overdue_hours"] == 0

    escalated = ws.run("escalate", "--now", "2026-11-05T12:30", "--json")
    got = {(e["kind"], e["to_level"], e["to"]) for e in escalated["escalations"]}
    assert got == {("onsite_health", 1, "department_head"), ("onsite_health", 2, "commander")}
    assert ws.run("escalate", "--now", "2026-11-05T12:30", "--json")["escalations"] == []

    kpi = ws.run("kpi", "--now", "2026-11-05T12:30", "--json")
    row = next(r for r in kpi["rows"] if r["kind"] == "onsite_police")
    assert (row["done"], row["done_on_time"], row["on_time_rate"]) == (1, 1, 1.0)
    assert row["median_hours"] == pytest.approx(50 / 60, abs=1e-3)
    health = next(r for r in kpi["rows"] if r["kind"] == "onsite_health")
    assert (health["open_overdue"], health["on_time_rate"]) == (1, 0.0)
    # the human table renders in both languages
    assert "按时率" in ws.run("kpi", "--now", "2026-11-05T12:30")
    assert "On time" in ws.run("kpi", "--now", "2026-11-05T12:30", "--lang", "en")
    assert "已超时" in ws.run("list", "--overdue", "--now", "2026-11-05T12:30")


def test_errors_have_codes(ws: Workspace, tmp_path: Path) -> None:
    assert "error" in ws.run("open", "999", "--json", code=4)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[playbook]\nname = "x"\ntitle_zh = "x"\ntitle_en = "x"\n\n[[steps]]\nkey = "a"\n'
        'title_zh = "a"\ntitle_en = "a"\ndue_hours = 1\n',
        encoding="utf-8",
    )
    out = ws.run("open", str(ws.cases[1]), "--playbook", str(bad), "--json", code=2)
    assert "department: is missing" in out["error"] and "bad.toml:7" in out["error"]
    assert "--now" in ws.run("list", "--now", "tomorrow", "--json", code=2)["error"]
    assert "status" in ws.run("list", "--status", "late", "--json", code=2)["error"]
    opened = ws.run("open", str(ws.cases[2]), "--playbook", "2+4+24", "--json")
    task = opened["tasks"][0]["id"]
    ws.run("complete", str(task), "--evidence", "ok", "--json")
    assert "it is done" in ws.run("start", str(task), "--json", code=4)["error"]
    other = opened["tasks"][1]["id"]
    stale = ws.run("start", str(other), "--expect-version", "7", "--json", code=3)
    assert "version" in stale["error"]
    assert ws.run("complete", "99999", "--evidence", "x", "--json", code=4)["error"]


def test_playbooks_list_and_validate(ws: Workspace, tmp_path: Path) -> None:
    listed = ws.run("playbooks", "--json")
    assert [p["name"] for p in listed["playbooks"]] == ["1+4+6+24", "2+4+24"]
    cyc = tmp_path / "cyc.toml"
    cyc.write_text(
        '[playbook]\nname = "c"\ntitle_zh = "c"\ntitle_en = "c"\n'
        + "".join(
            f'[[steps]]\nkey = "{k}"\ntitle_zh = "{k}"\ntitle_en = "{k}"\n'
            f'department = "police"\ndue_hours = 2\ndepends_on = ["{d}"]\n'
            for k, d in (("a", "b"), ("b", "a"))
        ),
        encoding="utf-8",
    )
    assert "dependency cycle a → b → a" in ws.run("playbooks", str(cyc), "--json", code=2)["error"]
    text = ws.run("playbooks", "--lang", "en")
    assert "1+4+6+24" in text and "Transport" in text


def test_demo_on_a_generated_city(tmp_path: Path) -> None:
    path = tmp_path / "ws"
    argv = ["city", "generate", "-n", "3000", "-d", "2", "-s", "3", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env={"EPICONTROL_DATABASE_URL": ""})
    assert result.exit_code == 0, result.stderr
    settings = Settings(workspace=path, lang="en")
    engine = make_engine(settings.resolved_database_url())
    with Session(engine) as session, session.begin():
        city = session.get(City, 1) or session.scalars(select(City)).one()
        reported = city.epoch_utc + timedelta(days=1, hours=9)
        for i, pid in enumerate((5, 500, 1500)):
            session.add(
                Case(
                    person_id=pid,
                    status="confirmed",
                    onset_at=city.epoch_utc + timedelta(days=1),
                    reported_at=reported + timedelta(minutes=30 * i),
                    source="test",
                    created_at=reported,
                    updated_at=reported,
                )
            )
    demo = tasks_demo(settings, drill_hours=7.0, seed=2)
    assert [c.created for c in demo.cases] == [12, 12, 12]
    now = datetime.fromisoformat(demo.now)
    for case in demo.cases:
        trigger = datetime.fromisoformat(case.trigger_at)
        by_id = {c.task.id: c.task for c in case.tasks}
        for c in case.tasks:
            task = c.task
            assert task.due_at - trigger in {timedelta(hours=h) for h in (1, 4, 6, 24)}
            if task.status == "done":
                assert task.completed_at is not None and task.completed_at <= now
                assert task.evidence == DRILL_EVIDENCE
                for dep in task.depends_on:  # prerequisites were reported first
                    before = by_id[dep].completed_at
                    assert before is not None and before <= task.completed_at
            assert c.overdue == (task.status != "done" and now > task.due_at)
    kpis = demo.kpis
    assert kpis.overall.total == 36
    assert kpis.overall.done == sum(c.task.status == "done" for x in demo.cases for c in x.tasks)
    assert kpis.overall.open_overdue == sum(c.overdue for x in demo.cases for c in x.tasks)
    assert sum(r.total for r in kpis.departments) == 36
    with redirect_stdout(io.StringIO()):
        for lang in ("zh-CN", "en"):
            render_tasks(demo, lang)
    # running it again adds no tasks and re-escalates nothing
    again = tasks_demo(settings, drill_hours=7.0, seed=2)
    assert [c.created for c in again.cases] == [0, 0, 0]
    assert again.escalations == []
    assert again.kpis.overall == kpis.overall
    engine.dispose()
