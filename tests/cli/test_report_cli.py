"""``epicontrol report`` end to end on a generated city (SQLite and PostgreSQL), and the demo."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli.demo_report import render_report, report_demo
from epicontrol.cli.main import app
from epicontrol.config import Settings
from epicontrol.domains.board import render
from epicontrol.domains.board.scope import load_tree
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing.models import Case
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()
DAY = "2026-11-04"


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine
    url: str

    def run(self, *args: str, code: int = 0, workspace: Path | None = None) -> Any:
        argv = [*args, "-w", str(workspace or self.path)]
        result = runner.invoke(app, argv, env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A 3,000-person, 4-day city with one case traced on 2026-11-04, once per backend."""
    path = tmp_path_factory.mktemp("report") / "ws"
    if backend == "sqlite":
        url = f"sqlite:///{path / 'epicontrol.db'}"
        env = {"EPICONTROL_DATABASE_URL": ""}
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "4", "-s", "11", "-w", str(path), "--json"]
    result = runner.invoke(app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    engine = make_engine(url)
    w = Workspace(path, env, engine, url)
    with Session(engine) as session:
        pid = session.scalar(
            select(Person.id).where(Person.age.between(25, 55)).order_by(Person.id).limit(1)
        )
    w.run(
        "trace", "case", str(pid), "--onset", "2026-11-03", "--reported", f"{DAY}T10:00", "--json"
    )
    yield w
    engine.dispose()


def test_daily_writes_json_and_html_with_zero_reports(ws: Workspace, tmp_path: Path) -> None:
    out = ws.run(
        "report",
        "daily",
        "--date",
        DAY,
        "--out",
        str(tmp_path),
        "--no-pdf",
        "--json",
        "--lang",
        "en",
    )
    assert set(out["files"]) == {"json", "html"}
    assert out["new_cases"]["confirmed"] == 1
    data = json.loads(Path(out["files"]["json"]).read_text(encoding="utf-8"))
    with Session(ws.engine) as session:
        n_units = len(
            session.scalars(select(Area.id).where(Area.level.in_(["district", "community"]))).all()
        )
    assert len(data["units"]) == n_units
    assert out["zero_communities"] == sum(
        u["zero"] for u in data["units"] if u["level"] == "community"
    )
    assert data["title_zh"] and data["title_en"]  # the JSON holds both languages
    html = Path(out["files"]["html"]).read_text(encoding="utf-8")
    assert data["title_en"] in html and "<svg" in html
    assert set(out["kpis"]) == {k["key"] for k in data["board"]["kpis"]}


def test_daily_prints_the_pdf(ws: Workspace, tmp_path: Path, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("printing does not depend on the store: run once")
    if not render.CHROMIUM.exists():
        pytest.skip(f"{render.CHROMIUM} is not installed (apt-get install chromium)")
    out = ws.run("report", "daily", "--date", DAY, "--out", str(tmp_path), "--json")
    pdf = Path(out["files"]["pdf"])
    assert pdf.name == f"daily-{DAY}.zh-CN.pdf" and pdf.read_bytes().startswith(b"%PDF-")
    human = ws.run(
        "report", "daily", "--date", DAY, "--out", str(tmp_path), "--no-pdf", "--lang", "en"
    )
    assert "Key figures against the standards" in human.stdout


def test_bad_input_and_empty_workspace(ws: Workspace, tmp_path: Path) -> None:
    bad = ws.run("report", "daily", "--date", "04/11/2026", "--no-pdf", "--json", code=2)
    assert "--date" in bad["error"]
    late = ws.run("report", "daily", "--date", "2099-01-01", "--no-pdf", "--json", code=2)
    assert "after today" in late["error"]
    lang = ws.run("report", "daily", "--date", DAY, "--lang", "fr", "--json", code=2)
    assert "--lang" in lang["error"]
    empty = tmp_path / "empty"
    if ws.env.get("EPICONTROL_DATABASE_URL"):
        pytest.skip("an empty PostgreSQL workspace would need its own schema")
    none = ws.run("report", "daily", "--date", DAY, "--no-pdf", "--json", code=3, workspace=empty)
    assert "no city" in none["error"]


def test_board_command_and_grid_worker(ws: Workspace) -> None:
    board = ws.run("report", "board", "--date", DAY, "--json")
    assert board["cases"]["today"]["confirmed"] == 1
    with Session(ws.engine) as session:
        tree = load_tree(session)
        building = session.scalar(
            select(Person.building_id).join(Case, Case.person_id == Person.id).limit(1)
        )
        district = int(tree.ids_of("district")[0])
    home = int(tree.ancestor(np.array([building]), "community")[0])
    other = next(int(c) for c in tree.ids_of("community") if c != home)
    mine = ws.run("report", "board", "--date", DAY, "--community", str(home), "--json")
    assert mine["scope"]["area_id"] == home and mine["cases"]["today"]["confirmed"] == 1
    theirs = ws.run("report", "board", "--date", DAY, "--community", str(other), "--json")
    assert theirs["cases"]["total"]["confirmed"] == 0
    assert {k["key"]: k["status"] for k in theirs["kpis"]}["handover"] == "no_data"
    wrong = ws.run("report", "board", "--community", str(district), "--json", code=2)
    assert "community_id" in wrong["error"]
    gone = ws.run("report", "board", "--community", "9999999", "--json", code=4)
    assert "unknown area" in gone["error"]


def test_report_demo_writes_the_demo_day(ws: Workspace, backend: str) -> None:
    if backend != "sqlite":
        pytest.skip("the demo runs on the embedded store")
    settings = Settings(workspace=ws.path, lang="en", database_url=None)
    result = report_demo(settings, pdf=False)
    assert result.day == DAY and result.new_cases["confirmed"] == 1
    assert Path(result.files["html"]).exists() and Path(result.files["json"]).exists()
    assert [k.key for k in result.kpis][:3] == ["alert_latency", "handover", "on_time"]
    assert result.communities >= result.zero_communities >= 0
    for lang in ("zh-CN", "en"):
        render_report(result, lang)
