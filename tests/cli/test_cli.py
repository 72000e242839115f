"""The commands, end to end, on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from epicontrol.cli.main import app
from epicontrol.store import lake

runner = CliRunner()


def run(*args: str, code: int = 0, env: dict[str, str] | None = None) -> dict:  # type: ignore[type-arg]
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout) if "--json" in args else {}


@pytest.fixture()
def store_env(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    """Environment naming the store: the workspace's SQLite file or a fresh PG schema."""
    if backend == "sqlite":
        return {"EPICONTROL_DATABASE_URL": ""}
    from tests.conftest import fresh_database_url

    return {"EPICONTROL_DATABASE_URL": fresh_database_url(backend, tmp_path, request)}


def test_generate_summary_person_and_replace(tmp_path: Path, store_env: dict[str, str]) -> None:
    ws = str(tmp_path / "ws")
    out = run(
        "city", "generate", "-n", "3000", "-d", "2", "-s", "5", "-w", ws, "--json", env=store_env
    )
    for key in ("persons", "households", "buildings", "venues", "checkins", "database", "lake"):
        assert key in out
    assert out["persons"] == 3000
    assert out["checkins"] >= 3 * 3000 * 2
    backend = "postgresql" if store_env["EPICONTROL_DATABASE_URL"] else "sqlite"
    assert out["database"].startswith(backend)
    assert Path(out["lake"]) == (tmp_path / "ws" / "lake").resolve()
    assert lake.partition_days(Path(out["lake"]), "checkins") == [0, 1]

    summary = run("city", "summary", "-w", ws, "--json", env=store_env)
    assert summary["population"] == 3000
    assert summary["city"]["seed"] == 5 and summary["city"]["days"] == 2
    assert {r["measure"] for r in summary["provision"]} == {
        "quarantine_rooms",
        "hospital_beds",
        "icu_beds",
    }

    person = run("city", "person", "1", "-w", ws, "--json", env=store_env)
    assert person["masked"] is True and "*" in person["id_number"]
    missing = run("city", "person", "99999", "-w", ws, "--json", code=4, env=store_env)
    assert "does not exist" in missing["error"]

    refused = run(
        "city", "generate", "-n", "3000", "-d", "1", "-w", ws, "--json", code=3, env=store_env
    )
    assert "--replace" in refused["error"]
    again = run(
        "city", "generate", "-n", "2000", "-d", "1", "-w", ws, "--replace", "--json", env=store_env
    )
    assert again["persons"] == 2000
    assert lake.partition_days(Path(out["lake"]), "checkins") == [0]
    assert run("city", "summary", "-w", ws, "--json", env=store_env)["population"] == 2000


def test_bad_options_are_reported(tmp_path: Path) -> None:
    bad = run("city", "generate", "-n", "5", "-w", str(tmp_path), "--json", code=2)
    assert "population must be between 1000" in bad["error"]
    result = runner.invoke(app, ["city", "summary", "-w", str(tmp_path), "--lang", "fr"])
    assert result.exit_code == 1 and "--lang must be zh-CN or en" in result.stderr
    none = run(
        "city",
        "summary",
        "-w",
        str(tmp_path / "empty"),
        "--json",
        "--lang",
        "en",
        code=3,
        env={"EPICONTROL_DATABASE_URL": ""},
    )
    assert "holds no city yet" in none["error"]


def test_db_commands(tmp_path: Path) -> None:
    env = {"EPICONTROL_DATABASE_URL": ""}
    ws = str(tmp_path)
    up = run("db", "upgrade", "-w", ws, "--json", env=env)
    assert up["revision"] == up["head"] is not None
    down = run("db", "downgrade", "base", "-w", ws, "--json", env=env)
    assert down["revision"] is None
    assert run("db", "current", "-w", ws, "--json", env=env)["revision"] is None


def test_demo_in_english_and_json(tmp_path: Path) -> None:
    ws = tmp_path / "demo"
    # the demo always uses the embedded store, whatever the environment says
    env = {"EPICONTROL_DATABASE_URL": "postgresql+psycopg://nobody@127.0.0.1:1/none"}
    result = runner.invoke(
        app, ["demo", "-w", str(ws), "-n", "2500", "-d", "2", "--lang", "en"], env=env
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    assert "Facilities against the standards" in result.stdout
    assert "Zhongzhou" in result.stdout
    out = run("demo", "-w", str(ws), "-n", "2500", "-d", "2", "--json", env=env)
    assert out["summary"]["population"] == 2500
    assert out["generate"]["database"].startswith("sqlite")
    assert sum(r["checkins"] for r in out["lake"]["day0_by_venue_type"]) > 2500 * 3 * 0.9
    assert out["person_sample"]["age"] >= 18
    assert out["person_sample"]["phone"][3:7] == "****"
    (ws / "notes.txt").write_text("mine")
    refused = run("demo", "-w", str(ws), "-n", "2500", "-d", "1", "--json", code=3)
    assert "not an epicontrol workspace" in refused["error"]


def test_import_command(tmp_path: Path, store_env: dict[str, str]) -> None:
    from tests.domains.city.test_import import city_files, write_city

    ws = str(tmp_path / "ws")
    good = write_city(tmp_path / "good")
    first = run("city", "import", str(good), "-w", ws, "--json", env=store_env)
    assert first["unchanged"] is False and first["counts"]["persons"] > 0
    again = run("city", "import", str(good), "-w", ws, "--json", env=store_env)
    assert again["unchanged"] is True and again["counts"] == first["counts"]
    summary = run("city", "summary", "-w", ws, "--json", env=store_env)
    assert summary["city"]["source"] == "imported"
    assert summary["population"] == first["counts"]["persons"]

    files = city_files()
    files["persons.csv"][1]["sex"] = "X"
    bad = write_city(tmp_path / "bad", files)
    other_ws = str(tmp_path / "ws2")
    env = store_env if not store_env["EPICONTROL_DATABASE_URL"] else {"EPICONTROL_DATABASE_URL": ""}
    rejected = run(
        "city", "import", str(bad), "-w", other_ws, "--json", "--lang", "en", code=4, env=env
    )
    assert rejected["error"].startswith("Import rejected: 1 rows")
    assert rejected["errors"] == [
        {
            "file": "persons.csv",
            "line": 3,
            "field": "sex",
            "rule": "must be one of: F, M",
            "value": "X",
        }
    ]
    conflict = run("city", "import", str(bad), "-w", ws, "--json", code=3, env=store_env)
    assert "already holds a city" in conflict["error"]


def test_demo_shows_the_alert_of_an_injected_outbreak(tmp_path: Path) -> None:
    out = run("demo", "-w", str(tmp_path / "d"), "-n", "4000", "-d", "14", "--json")
    drill = out["surveillance"]
    alert = drill["alert"]
    assert alert["area_id"] == drill["community_id"]
    assert alert["level"] in ("blue", "yellow", "orange", "red")
    assert {"fever_clinic", "pharmacy_fever_drug"} <= set(alert["signals"])
    assert any(r["kind"] == "community" for r in alert["recipients"])
    assert alert["message_zh"] and alert["message_en"]
    assert 0 <= alert["latency_seconds"] < 3600 and alert["within_standard"] is True
    traced = out["tracing"]
    assert len(traced) == 3
    for case in traced:
        assert set(case["counts"]) >= {"close", "secondary", "general", "yellow_code"}
        assert case["by_relation"]["close"].get("household", 0) >= 0
        assert Path(case["report_html"]).is_file() and Path(case["report_json"]).is_file()
    # the first case's own venues are the risk venues: someone stayed there 4 h or more
    assert traced[0]["counts"]["yellow_code"] > 0
    # the response continues from the traced cases
    case_ids = sorted(c["case_id"] for c in traced)
    zones = out["zones"]
    assert zones["case_ids"] == case_ids
    levels = zones["levels"]
    assert levels["lockdown"]["units"] >= len(case_ids) and levels["lockdown"]["residents"] > 0
    assert all(z["source_case_ids"] for z in zones["lockdown"])
    tasks = out["tasks"]
    assert sorted(c["case_id"] for c in tasks["cases"]) == case_ids
    assert all(len(c["tasks"]) == 12 for c in tasks["cases"])
    plan = out["testing"]["plan"]
    assert out["testing"]["scope"] == "zones"
    assert plan["residents"] == sum(v["residents"] for v in levels.values())
    assert sum(s["pools"] for s in plan["sites"]) == plan["pooling"]["pools"] > 0
    quarantine = out["quarantine"]["assignment"]
    assert quarantine["persons"] > 0 and quarantine["assigned"] == quarantine["max_assignable"]
    resources = out["resources"]
    assert resources["zone_residents"] > 0
    assert "n95" in {k["item"] for k in resources["key_items"]}
    for k in resources["key_items"]:
        if k["min_days"] is not None and k["min_days"] < k["alarm_days"]:
            assert k["min_district"] in k["short_districts"]
    for s in resources["staffing"]:
        assert (s["shortfall"] > 0) == bool(s["districts"])
    special = out["special"]
    assert special["plan"] is not None and special["requests"]
    assert all(r["due_at"] for r in special["requests"])
    report = out["report"]
    assert Path(report["files"]["html"]).is_file()
    assert {k["key"] for k in report["kpis"]} >= {"alert_latency", "on_time", "quarantine"}
