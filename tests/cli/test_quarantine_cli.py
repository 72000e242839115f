"""``epicontrol quarantine assign --contacts FILE --sites FILE --json`` and its bad input."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from epicontrol.cli.main import app

CONTACTS = """person_id,household_id,x,y,needs_accessible
1,10,0,0,0
2,10,0,0,1
3,11,5,5,0
4,12,9,9,no
5,13,9,9,0
"""
SITES = """site_id,x,y,rooms,accessible,accessible_rooms
100,1,1,3,1,1
200,8,8,1,0,
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def run(*args: str):
    return CliRunner().invoke(app, ["quarantine", "assign", *args, "--json", "--lang", "en"])


def test_file_mode_json(tmp_path: Path) -> None:
    res = run(
        "--contacts", str(write(tmp_path, "c.csv", CONTACTS)),
        "--sites", str(write(tmp_path, "s.csv", SITES)),
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    site = {a["person_id"]: a["site_id"] for a in doc["assignments"]}
    # household 10 (one needs the accessible room) and 11 fill site 100; one of 12/13 at 200
    assert site[1] == site[2] == 100 and site[3] == 100
    assert len(doc["assignments"]) == 4
    assert [u["reason"] for u in doc["unassigned"]] == ["no_room"]
    assert doc["status"] == "optimal" and doc["gap"] < 1e-9
    assert doc["total_cost"] >= doc["bound"] - 1e-9
    assert doc["rooms_used"] == {"100": 3, "200": 1}


def test_bad_rows_name_file_line_field(tmp_path: Path) -> None:
    bad_sites = "site_id,x,y,rooms,accessible\n100,1,nan,-3,1\n100,8,8,1,maybe\n"
    res = run(
        "--contacts", str(write(tmp_path, "c.csv", CONTACTS + "1,14,1,1,0\n")),
        "--sites", str(write(tmp_path, "s.csv", bad_sites)),
    )  # fmt: skip
    assert res.exit_code == 4
    doc = json.loads(res.stdout)
    found = {(e["file"], e["line"], e["field"]) for e in doc["errors"]}
    assert ("c.csv", 7, "person_id") in found
    assert found == {("c.csv", 7, "person_id")}  # the contacts file is rejected first
    res = run(
        "--contacts", str(write(tmp_path, "c2.csv", CONTACTS)),
        "--sites", str(write(tmp_path, "s.csv", bad_sites)),
    )  # fmt: skip
    doc = json.loads(res.stdout)
    found = {(e["line"], e["field"]): e["rule"] for e in doc["errors"]}
    assert "finite" in found[(2, "y")] and found[(2, "rooms")] == "must be >= 0"
    assert "appears again" in found[(3, "site_id")] and (3, "accessible") in found


def test_missing_column_and_options(tmp_path: Path) -> None:
    res = run(
        "--contacts", str(write(tmp_path, "c.csv", "person_id,x,y\n1,0,0\n")),
        "--sites", str(write(tmp_path, "s.csv", SITES)),
    )  # fmt: skip
    assert res.exit_code == 4
    fields = {e["field"] for e in json.loads(res.stdout)["errors"]}
    assert {"household_id", "needs_accessible"} <= fields
    res = run("--contacts", str(tmp_path / "c.csv"))
    assert res.exit_code == 2 and "go together" in json.loads(res.stdout)["error"]


def test_demo_and_store_commands(tmp_path: Path, capsys) -> None:
    from epicontrol.cli.demo_quarantine import quarantine_demo, render_quarantine
    from epicontrol.cli.demo_tracing import tracing_demo
    from epicontrol.config import Settings

    path = tmp_path / "demo"
    env = {"EPICONTROL_DATABASE_URL": ""}
    argv = ["city", "generate", "-n", "3000", "-d", "4", "-s", "5", "-w", str(path), "--json"]
    result = CliRunner().invoke(app, argv, env=env)
    assert result.exit_code == 0, result.stdout
    settings = Settings(workspace=path, lang="en", database_url=None)
    traced = tracing_demo(settings, cases=2, days=4)
    demo = quarantine_demo(settings)
    a = demo.assignment
    assert a.persons > 0 and a.assigned == a.max_assignable
    assert a.assigned + len(a.unassigned) == a.persons
    assert demo.transfers is not None and demo.transfers.persons == a.assigned
    assert sum(s.occupied for s in demo.sites) == sum(p.rooms for p in a.placements)
    for lang, word in (("en", "Centralised quarantine"), ("zh-CN", "集中隔离")):
        render_quarantine(demo, lang)
        assert word in capsys.readouterr().out
    again = quarantine_demo(settings)  # nobody new
    assert again.assignment.assigned == 0 and again.assignment.run_id is None

    def cli(*args: str, code: int = 0) -> dict:
        res = CliRunner().invoke(app, ["quarantine", *args, "-w", str(path), "--json"], env=env)
        assert res.exit_code == code, res.stdout
        return json.loads(res.stdout)

    sites = cli("sites")["sites"]
    assert sum(s["occupied"] for s in sites) == sum(p.rooms for p in a.placements)
    roster = cli("roster")["roster"]
    assert len(roster) == a.assigned
    first = roster[0]["person_id"]
    assert cli("admit", str(first))["admitted"]
    assert cli("test", str(first), "--result", "negative")["result"] == "negative"
    cli("test", str(first), "--result", "maybe", code=2)
    cli("admit", "99999999", code=4)
    assert cli("release")["released"] == []  # not due for 14 days
    batches = cli("transfers")["batches"]
    assert len(batches) == len(demo.transfers.batches)
    more = cli("assign", "--from-store", "--case", str(traced[0].case_id))
    assert more["assignment"]["assigned"] == 0
