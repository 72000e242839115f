"""``epicontrol trace`` end to end on a generated city (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.cli.main import app as main_app
from epicontrol.cli.trace import app
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing.models import Case, Contact, Investigation
from epicontrol.store import lake
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()


@dataclass
class Workspace:
    path: Path
    env: dict[str, str]
    engine: Engine

    def run(self, *args: str, code: int = 0, workspace: Path | None = None) -> Any:
        argv = [*args, "-w", str(workspace or self.path)]
        result = runner.invoke(app, argv, env=self.env)
        assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
        return json.loads(result.stdout) if "--json" in args else result

    def count(self, model: type) -> int:
        with Session(self.engine) as session:
            return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.fixture(scope="module")
def ws(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Workspace]:
    """A 3,000-person, 4-day city generated through the CLI, once per backend."""
    path = tmp_path_factory.mktemp("trace") / "ws"
    if backend == "sqlite":
        env = {"EPICONTROL_DATABASE_URL": ""}
        url = f"sqlite:///{path / 'epicontrol.db'}"
    else:
        url = fresh_database_url(backend, path.parent, request)
        env = {"EPICONTROL_DATABASE_URL": url}
    argv = ["city", "generate", "-n", "3000", "-d", "4", "-s", "11", "-w", str(path), "--json"]
    result = runner.invoke(main_app, argv, env=env)
    assert result.exit_code == 0, (result.stdout, result.stderr)
    engine = make_engine(url)
    yield Workspace(path, env, engine)
    engine.dispose()


def workers(ws: Workspace, n: int, offset: int = 0) -> list[int]:
    with Session(ws.engine) as session:
        return list(
            session.scalars(
                select(Person.id)
                .where(Person.org_venue_id.is_not(None), Person.age.between(25, 55))
                .order_by(Person.id)
                .offset(offset)
                .limit(n)
            )
        )


def test_trace_case_json_and_rerun(ws: Workspace) -> None:
    pid = workers(ws, 1)[0]
    first = ws.run("case", str(pid), "--onset", "2026-11-04", "--json")
    for category in ("close", "secondary", "general", "yellow_code"):
        assert first["counts"][category] == len(first[category])
    assert first["close"] and first["general"] and first["yellow_code"] == []
    entry = first["close"][0]
    assert {"person_id", "relation", "first_exposure", "venue_id", "priority"} <= set(entry)
    assert entry["first_exposure"].endswith("+08:00")
    assert {c["relation"] for c in first["close"]} <= {
        "household",
        "classmate",
        "colleague",
        "venue",
    }
    assert first["window_start"] == "2026-11-02T00:00:00+08:00"
    assert first["replaced_investigation_id"] is None

    venue = next(c["venue_id"] for c in first["close"] + first["general"] if c["venue_id"])
    again = ws.run(
        "case", str(pid), "--onset", "2026-11-04", "--isolated", "2026-11-05T12:00",
        "--overlap-minutes", "30", "--yellow-hours", "0.25", "--risk-venues", str(venue),
        "--json", "--lang", "en",
    )  # fmt: skip
    assert again["case_id"] == first["case_id"]
    assert again["replaced_investigation_id"] == first["investigation_id"]
    assert again["rules"]["overlap_minutes"] == 30 and again["risk_venues"] == [venue]
    assert again["yellow_code"] and again["counts"]["yellow_code"] == len(again["yellow_code"])
    assert all(c["overlap_minutes"] >= 30 for c in again["close"] if c["relation"] == "venue")
    assert again["window_end"] == "2026-11-05T12:00:00+08:00"
    with Session(ws.engine) as session:
        current = session.scalars(
            select(Investigation).where(
                Investigation.case_id == first["case_id"], Investigation.status == "current"
            )
        ).all()
        assert [i.id for i in current] == [again["investigation_id"]]
        stored = session.scalar(
            select(func.count()).select_from(Contact).where(Contact.case_id == first["case_id"])
        )
        assert stored == sum(again["counts"].values())

    human = ws.run("case", str(pid), "--onset", "2026-11-04", "--lang", "en")
    assert f"person {pid}" in human.stdout and "Infectious window" in human.stdout


def test_trace_run_batch_is_idempotent(ws: Workspace, tmp_path: Path) -> None:
    a, b, c = workers(ws, 3, offset=10)
    cases = tmp_path / "cases.csv"
    cases.write_text(
        "person_id,status,onset,sample,isolated,report\n"
        f"{a},confirmed,2026-11-04,2026-11-04T20:00,2026-11-05T09:00,2026-11-05T10:00\n"
        f"{b},asymptomatic,,2026-11-03,,\n"
        f"{c},suspected,2026-11-05,,,\n",
        encoding="utf-8",
    )
    first = ws.run("run", "--cases", str(cases), "--json")
    assert [r["line"] for r in first["cases"]] == [2, 3, 4]
    assert [r["person_id"] for r in first["cases"]] == [a, b, c]
    assert first["distinct"]["persons"] >= max(sum(r["counts"].values()) for r in first["cases"])
    assert first["distinct"]["close"] <= sum(r["counts"]["close"] for r in first["cases"])
    cases_before = ws.count(Case)
    second = ws.run("run", "--cases", str(cases), "--json")
    assert [r["replaced_investigation_id"] for r in second["cases"]] == [
        r["investigation_id"] for r in first["cases"]
    ]
    assert [r["counts"] for r in second["cases"]] == [r["counts"] for r in first["cases"]]
    assert second["index_built"] is False
    assert ws.count(Case) == cases_before
    with Session(ws.engine) as session:
        case = session.scalars(select(Case).where(Case.person_id == b)).one()
        assert case.status == "asymptomatic" and case.onset_at is None
        assert case.source == "batch:cases.csv"

    human = ws.run("run", "--cases", str(cases), "--lang", "en")
    assert "Traced 3 cases" in human.stdout and "Distinct persons" in human.stdout


def test_bad_batches_write_nothing(ws: Workspace, tmp_path: Path) -> None:
    a, b = workers(ws, 2, offset=20)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "person_id,status,onset\n"
        f"{a},confirmed,2026-11-04\n"
        "88888888,confirmed,2026-11-04\n"
        f"{b},confirmed,2026-12-24\n"
        f"{b},confirmed,yesterday\n",
        encoding="utf-8",
    )
    counts = (ws.count(Case), ws.count(Investigation), ws.count(Contact))
    out = ws.run("run", "--cases", str(bad), "--json", "--lang", "en", code=4)
    assert out["error"] == "Case file rejected: 3 errors; nothing was written"
    assert [(e["line"], e["field"], e["rule"].split(" (")[0]) for e in out["errors"]] == [
        (3, "person_id", "unknown person id"),
        (4, "onset", "must be within the lake's check-ins"),
        (5, "onset", "must be an ISO date"),
    ]
    assert (ws.count(Case), ws.count(Investigation), ws.count(Contact)) == counts
    human = ws.run("run", "--cases", str(bad), code=4)
    assert "病例文件被拒绝" in human.stderr and "unknown person id" in human.stderr
    missing = ws.run("run", "--cases", str(tmp_path / "none.csv"), "--json", code=2)
    assert "not a file" in missing["error"]


def test_case_errors(ws: Workspace, tmp_path: Path) -> None:
    pid = workers(ws, 1)[0]
    unknown = ws.run("case", "99999999", "--onset", "2026-11-04", "--json", code=4)
    assert unknown["error"] == "person_id: unknown person id (got 99999999)"
    outside = ws.run("case", str(pid), "--onset", "2026-12-01", "--json", code=2)
    assert (
        "onset: must be within the lake's check-ins (2026-11-02 to 2026-11-05)"
        in (outside["error"])
    )
    bad_date = ws.run("case", str(pid), "--onset", "11/04", "--json", code=2)
    assert bad_date["error"].startswith("--onset must be an ISO date")
    no_sample = ws.run("case", str(pid), "--asymptomatic", "--json", code=2)
    assert "sample: is required for an asymptomatic case" in no_sample["error"]
    rules = ws.run("case", str(pid), "--onset", "2026-11-04", "--overlap-minutes", "0",
                   "--json", code=2)  # fmt: skip
    assert rules["error"].startswith("--overlap-minutes must be between 1 and 1440")
    venues = ws.run("case", str(pid), "--onset", "2026-11-04", "--risk-venues", "a,b",
                    "--json", code=2)  # fmt: skip
    assert "--risk-venues must be venue ids" in venues["error"]
    empty = ws.run("case", "1", "--onset", "2026-11-04", "--json", code=3,
                   workspace=tmp_path / "empty")  # fmt: skip
    assert "holds no city yet" in empty["error"] or "no check-ins" in empty["error"]


def test_bad_checkins_are_named(ws: Workspace, tmp_path: Path) -> None:
    copy = tmp_path / "copy"
    shutil.copytree(ws.path, copy)
    epoch = lake.read_epoch(copy / "lake")
    bad = pa.table(
        {
            "person_id": pa.array([5, 6], pa.int32()),
            "venue_id": pa.array([1, 2], pa.int32()),
            "t_in": pa.array([4 * 1440 + 600, 4 * 1440 + 700], pa.int32()),
            "t_out": pa.array([4 * 1440 + 660, 4 * 1440 + 650], pa.int32()),
        }
    )
    lake.write_partition(copy / "lake", "checkins", 4, [bad], epoch)
    pid = workers(ws, 1)[0]
    out = ws.run("case", str(pid), "--onset", "2026-11-04", "--json", "--lang", "en", code=4,
                 workspace=copy)  # fmt: skip
    assert out["error"] == "Bad check-ins: 1 rows break a rule; no index was built"
    assert out["errors"][0]["file"] == "lake/checkins/day=4/part-0.parquet"
    assert out["errors"][0]["line"] == 2 and out["errors"][0]["field"] == "t_out"
    assert out["errors"][0]["rule"] == "must be after t_in (time out before time in)"


def test_report_command(ws: Workspace, tmp_path: Path) -> None:
    pid = workers(ws, 1, offset=30)[0]
    case = ws.run("case", str(pid), "--onset", "2026-11-03", "--json")
    out = ws.run("report", str(case["case_id"]), "--out", str(tmp_path), "--json", "--lang", "en")
    assert out["counts"] == case["counts"]
    assert Path(out["html"]) == (tmp_path / f"case-{case['case_id']}.html").resolve()
    report = json.loads(Path(out["json"]).read_text(encoding="utf-8"))
    assert report["case_id"] == case["case_id"] and set(report["summary"]) == {"zh-CN", "en"}
    assert out["summary"] == report["summary"]["en"]
    assert sorted(c["person_id"] for c in report["contacts"]["close"]) == sorted(
        c["person_id"] for c in case["close"]
    )
    html = Path(out["html"]).read_text(encoding="utf-8")
    assert f"Case {case['case_id']}: tracing report" in html
    default = ws.run("report", str(case["case_id"]))
    assert "流调报告已写入" in default.stdout
    assert (ws.path / "reports" / "tracing" / f"case-{case['case_id']}.html").exists()
    missing = ws.run("report", "987654", "--json", code=4)
    assert missing["error"] == "case 987654 does not exist"


def test_assist_export_and_import(ws: Workspace, tmp_path: Path) -> None:
    pid = workers(ws, 1, offset=40)[0]
    ws.run("case", str(pid), "--onset", "2026-11-04", "--json")
    with Session(ws.engine) as session:
        person = session.get(Person, pid)
        assert person is not None
        building = session.get(Area, person.building_id)
        assert building is not None and building.parent_id is not None
        area = session.get(Area, building.parent_id)
        while area is not None and area.level != "district":
            area = session.get(Area, area.parent_id) if area.parent_id is not None else None
        assert area is not None
        district = area.code
    out = ws.run("assist", "export", "--jurisdiction", district, "--out", str(tmp_path), "--json")
    assert out["jurisdiction"] == district and out["files"]
    assert all(f["destination"] != district for f in out["files"] if f["kind"] == "district")
    rows = []
    for f in out["files"]:
        with Path(f["path"]).open(encoding="utf-8", newline="") as handle:
            got = list(csv.DictReader(handle))
        assert len(got) == f["rows"]
        rows += got
    received = tmp_path / "received.csv"
    ids = [r["id_number"] for r in rows[:3]]
    received.write_text(
        "id_number,phone,name\n"
        + "".join(f"{i},,\n" for i in ids)
        + "11010519491231002X,,someone\n",
        encoding="utf-8",
    )
    matched = ws.run("assist", "import", str(received), "--from", "云江市", "--out",
                     str(tmp_path / "matches.csv"), "--json")  # fmt: skip
    assert (matched["rows"], matched["matched"], matched["unmatched"]) == (4, 3, 1)
    assert [m["status"] for m in matched["results"]] == ["matched"] * 3 + ["unmatched"]
    assert all(m["known_contact"] for m in matched["results"][:3])
    assert (tmp_path / "matches.csv").read_text(encoding="utf-8").count("\n") == 5
    human = ws.run("assist", "import", str(received), "--lang", "en")
    assert "4 rows: 3 matched, 0 ambiguous, 1 unmatched (received before)" in human.stdout

    bad = tmp_path / "bad.csv"
    bad.write_text("id_number,phone,name\n123,,\n,,x\n", encoding="utf-8")
    rejected = ws.run("assist", "import", str(bad), "--json", "--lang", "en", code=4)
    assert rejected["error"] == "Assistance list rejected: 2 errors; nothing was recorded"
    assert [(e["line"], e["field"]) for e in rejected["errors"]] == [(2, "id_number"), (3, "")]
    nowhere = ws.run("assist", "export", "--jurisdiction", "X9", "--out", str(tmp_path),
                     "--json", code=2)  # fmt: skip
    assert "jurisdiction: must be a district code" in nowhere["error"]


def test_chains_command(ws: Workspace, tmp_path: Path) -> None:
    import xml.etree.ElementTree as ET

    a = workers(ws, 1, offset=90)[0]
    first = ws.run("case", str(a), "--onset", "2026-11-03", "--json")
    home = [c for c in first["close"] if c["relation"] == "household"]
    assert home, "the worker lives with someone"
    b = home[0]["person_id"]
    second = ws.run("case", str(b), "--onset", "2026-11-05", "--json")
    out = ws.run("chains", "--out", str(tmp_path), "--json", "--lang", "en")
    graph = out["graph"]
    assert out["n_cases"] == graph["n_cases"] == ws.count(Case)
    assert out["n_edges"] == len(graph["edges"]) >= 1
    ca, cb = first["case_id"], second["case_id"]
    # the earlier window (a's) is the possible infector
    edge = [e for e in graph["edges"] if (e["source"], e["target"]) == (ca, cb)]
    assert edge and edge[0]["relation"] == "household"
    assert not [e for e in graph["edges"] if (e["source"], e["target"]) == (cb, ca)]
    nodes = {n["case_id"]: n for n in graph["nodes"]}
    assert nodes[ca]["cluster"] == nodes[cb]["cluster"]
    assert 1 <= nodes[cb]["generation"] <= nodes[ca]["generation"] + 1
    sizes = {c["cluster"]: c["size"] for c in graph["clusters"]}
    assert sizes[nodes[ca]["cluster"]] >= 2 and sum(sizes.values()) == out["n_cases"]
    doc = ET.parse(out["graphml_path"]).getroot()
    ns = {"g": "http://graphml.graphdrawing.org/xmlns"}
    pairs = {(e.get("source"), e.get("target")) for e in doc.iterfind(".//g:edge", ns)}
    assert (f"c{ca}", f"c{cb}") in pairs and len(pairs) == out["n_edges"]
    saved = json.loads(Path(out["json_path"]).read_text(encoding="utf-8"))
    assert saved["edges"] == graph["edges"] and saved["categories"] == ["close"]
    human = ws.run("chains", "--out", str(tmp_path), "--lang", "en")
    assert "Transmission chains" in human.stdout
    bad = ws.run("chains", "--categories", "close,cousin", "--json", code=2)
    assert "--categories categories must be a non-empty subset" in bad["error"]


def test_confirmed_case_opens_its_playbook(ws: Workspace, tmp_path: Path) -> None:
    from epicontrol.domains.tasks.models import Task

    pid = workers(ws, 1, offset=120)[0]
    first = ws.run("case", str(pid), "--onset", "2026-11-04", "--json")
    kinds = {(x["kind"], x["department"]) for x in first["tasks"]}
    assert len(first["tasks"]) == len(kinds) == 12
    assert ("onsite_health", "health") in kinds and ("transfer_contacts", "transport") in kinds
    due = {x["kind"]: datetime.fromisoformat(x["due_at"]) for x in first["tasks"]}
    assert due["transfer_contacts"] - due["onsite_health"] == timedelta(hours=5)
    with Session(ws.engine) as session:
        stored = session.scalars(select(Task).where(Task.case_id == first["case_id"])).all()
    assert {x.id for x in stored} == {x["task_id"] for x in first["tasks"]}
    # re-tracing does not duplicate the tasks; a suspected case gets none
    again = ws.run("case", str(pid), "--onset", "2026-11-04", "--json")
    assert [x["task_id"] for x in again["tasks"]] == [x["task_id"] for x in first["tasks"]]
    other = workers(ws, 1, offset=121)[0]
    suspected = ws.run("case", str(other), "--onset", "2026-11-04", "--suspected", "--json")
    assert suspected["tasks"] == []
    bad = ws.run("case", str(other), "--onset", "2026-11-04", "--playbook", "9+9",
                 "--json", code=2)  # fmt: skip
    assert bad["error"].startswith("--playbook")
    none = workers(ws, 1, offset=122)[0]
    skipped = ws.run("case", str(none), "--onset", "2026-11-04", "--playbook", "none", "--json")
    assert skipped["tasks"] == []
