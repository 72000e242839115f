"""``epicontrol surveil``, end to end on a generated city (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from typer.testing import CliRunner

from epicontrol.cli.city import app as city_app
from epicontrol.cli.surveil import app, outbreak_demo
from epicontrol.config import Settings

runner = CliRunner()


def run(*args: str, code: int = 0, env: dict[str, str] | None = None) -> Any:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == code, (result.stdout, result.stderr, result.exception)
    return json.loads(result.stdout) if "--json" in args else result.stdout


@pytest.fixture()
def store_env(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> dict[str, str]:
    if backend == "sqlite":
        return {"EPICONTROL_DATABASE_URL": ""}
    from tests.conftest import fresh_database_url

    return {"EPICONTROL_DATABASE_URL": fresh_database_url(backend, tmp_path, request)}


@pytest.fixture()
def workspace(tmp_path: Path, store_env: dict[str, str]) -> Path:
    ws = tmp_path / "ws"
    result = runner.invoke(
        city_app, ["generate", "-n", "3000", "-d", "14", "-s", "2", "-w", str(ws)], env=store_env
    )
    assert result.exit_code == 0, (result.stdout, result.stderr)
    return ws


def test_outbreak_drill_alert_lifecycle_through_the_cli(
    workspace: Path, store_env: dict[str, str]
) -> None:
    env = store_env
    ws = str(workspace)
    settings = Settings(
        workspace=workspace, database_url=env["EPICONTROL_DATABASE_URL"] or None, lang="en"
    )
    demo = outbreak_demo(settings)
    alert = demo.alert
    assert demo.day == 14 and demo.date.isoformat() == "2026-11-16"
    assert alert.area_id == demo.community_id and alert.level in ("yellow", "orange")
    assert {"fever_clinic", "pharmacy_fever_drug"} <= set(alert.signals)
    assert alert.within_standard and 0 <= alert.latency_seconds < 3600
    assert alert.message_en.startswith(f"[{alert.level.capitalize()} alert]")
    assert any(r["kind"] == "community" for r in alert.recipients)
    assert demo.injected["fever_clinic"]["count"] > demo.injected["fever_clinic"]["baseline_mean"]
    assert demo.batch.rows > 0 and demo.batch.alert_latency_seconds is not None

    listed = run("alerts", "list", "--status", "open", "-w", ws, "--json", env=env)
    assert alert.id in [a["id"] for a in listed["alerts"]]
    shown = run("alerts", "show", str(alert.id), "-w", ws, "--json", env=env)
    assert shown["message_zh"] == alert.message_zh and shown["events"][0]["action"] == "raise"
    assert shown["version"] == 1

    bad = run("alerts", "close", str(alert.id), "--outcome", "false_alarm", "--by", "x",
              "-w", ws, "--json", code=2, env=env)  # fmt: skip
    assert "is raised: it can move to acknowledged, not to closed" in bad["error"]
    acked = run("alerts", "ack", str(alert.id), "--by", "duty officer", "--note", "seen",
                "-w", ws, "--json", env=env)  # fmt: skip
    assert acked["status"] == "acknowledged" and acked["version"] == 2
    stale = run("alerts", "investigate", str(alert.id), "--by", "epi", "--expect-version", "1",
                "-w", ws, "--json", code=3, env=env)  # fmt: skip
    assert "is at version 2, not 1" in stale["error"]
    run("alerts", "investigate", str(alert.id), "--by", "epi", "-w", ws, "--json", env=env)
    closed = run("alerts", "close", str(alert.id), "--outcome", "outbreak_confirmed",
                 "--by", "epi", "-w", ws, "--json", env=env)  # fmt: skip
    assert closed["status"] == "closed" and closed["outcome"] == "outbreak_confirmed"
    assert [e["to_status"] for e in closed["events"]] == [
        "raised",
        "acknowledged",
        "investigating",
        "closed",
    ]
    assert closed["events"][1]["actor"] == "duty officer"
    missing = run("alerts", "show", "99999", "-w", ws, "--json", code=4, env=env)
    assert "alert 99999 does not exist" in missing["error"]
    text = run("alerts", "show", str(alert.id), "-w", ws, "--lang", "en", env=env)
    assert "within the 1-hour standard" in text and "outbreak_confirmed" in text

    # the same feed again: unchanged; a bad feed: every row reported, exit 4
    again = run("ingest", demo.feed, "-w", ws, "--json", env=env)
    assert again["unchanged"] is True and again["batch_id"] == demo.batch.batch_id
    bad_feed = workspace / "bad.csv"
    bad_feed.write_text(
        "area,signal,date,count\nnowhere,fever_clinic,2026-11-17,3\n"
        f"{shown['area_code']},fever_clinic,2026-11-17,-2\n",
        encoding="utf-8",
    )
    rejected = run("ingest", str(bad_feed), "-w", ws, "--lang", "en", "--json", code=4, env=env)
    assert rejected["error"] == "Feed rejected: 2 errors; nothing was written"
    assert [(e["line"], e["field"]) for e in rejected["errors"]] == [(2, "area"), (3, "count")]
    human = runner.invoke(app, ["ingest", str(bad_feed), "-w", ws, "--lang", "en"], env=env)
    assert human.exit_code == 4 and "must be an integer between 0" in human.stderr
    assert run("alerts", "list", "--level", "pink", "-w", ws, "--json", code=2, env=env)


def write_series(path: Path, header: str, rows: list[str]) -> Path:
    path.write_text("\n".join([header, *rows]) + "\n", encoding="utf-8")
    return path


def test_detect_one_series_and_many(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    days = np.datetime64("2024-01-01") + np.arange(60)
    counts = rng.poisson(10, 60)
    counts[-1] = 60
    one = write_series(
        tmp_path / "one.csv", "date,count", [f"{d},{c}" for d, c in zip(days, counts, strict=True)]
    )
    out = run("detect", "--input", str(one), "--detector", "ears-c1", "--json", "-w", str(tmp_path))
    rows = out["rows"]
    assert out["detector"] == "ears-c1" and len(rows) == 60 - 7
    assert rows[0]["date"] == "2024-01-08" and rows[-1]["alarm"] is True
    assert rows[-1]["count"] == 60 and rows[-1]["threshold"] < 60 and rows[0]["area"] is None
    assert set(rows[0]) == {
        "area", "signal", "date", "count", "statistic", "threshold", "p_value", "alarm",
    }  # fmt: skip
    tuned = run("detect", "-i", str(one), "-d", "ears-c2", "--baseline", "10", "--alpha", "0.01",
                "--json")  # fmt: skip
    assert tuned["params"] == {"baseline": 10, "alpha": 0.01} and len(tuned["rows"]) == 60 - 12

    many = write_series(
        tmp_path / "many.csv",
        "area,signal,date,count",
        [
            f"A{a},fever_clinic,{d},{c + a}"
            for a in range(3)
            for d, c in zip(days, counts, strict=True)
        ],
    )
    out = run("detect", "-i", str(many), "-d", "ewma", "--guard", "3", "--json")
    assert {r["area"] for r in out["rows"]} == {"A0", "A1", "A2"}
    assert all(r["p_value"] is not None for r in out["rows"])
    text = run("detect", "-i", str(many), "-d", "switch")
    assert "alarms" in text or "报警" in text


def test_detect_reports_bad_input_and_bad_options(tmp_path: Path) -> None:
    days = np.datetime64("2024-01-01") + np.arange(20)
    good = write_series(tmp_path / "g.csv", "date,count", [f"{d},5" for d in days])
    unknown = run("detect", "-i", str(good), "-d", "magic", "--json", code=2)
    assert "--detector must be one of ears-c1" in unknown["error"]
    no_alpha = run("detect", "-i", str(good), "-d", "ewma", "--alpha", "0.05", "--json", code=2)
    assert "ewma has no --alpha" in no_alpha["error"]
    bad_param = run("detect", "-i", str(good), "-d", "cusum", "-p", "speed=3", "--json", code=2)
    assert "unknown parameter(s) speed" in bad_param["error"]
    nb = run("detect", "-i", str(good), "-d", "nbinom", "--json", code=2)
    assert "needs --baseline-end" in nb["error"]
    too_short = run("detect", "-i", str(good), "-d", "farrington", "--json", code=2)
    assert too_short["error"].startswith("farrington:")
    gap = write_series(
        tmp_path / "gap.csv", "date,count", ["2024-01-01,3", "2024-01-02,4", "2024-01-04,5", "x,1"]
    )
    rejected = run("detect", "-i", str(gap), "-d", "ears-c1", "--json", code=4)
    got = {(e["line"], e["field"]) for e in rejected["errors"]}
    assert got == {(5, "date"), (4, "date")}
    assert any("consecutive days" in e["rule"] for e in rejected["errors"])
    wrong = write_series(tmp_path / "w.csv", "day,n", ["1,2"])
    assert run("detect", "-i", str(wrong), "-d", "ears-c1", "--json", code=4)["errors"]
    absent = str(tmp_path / "nope.csv")
    missing = run("detect", "-i", absent, "-d", "ears-c1", "--lang", "en", "--json", code=2)
    assert "no such file" in missing["error"]


def test_evaluate_prints_the_table(tmp_path: Path) -> None:
    out = run("evaluate", "-d", "ears-c2", "-d", "cusum", "-r", "2", "--json")
    assert [s["detector"] for s in out["summaries"]] == ["ears-c2", "cusum"]
    for s in out["summaries"]:
        assert {"pod", "fpr", "sensitivity", "specificity", "median_delay_days"} <= set(s)
        assert s["outbreaks"] == 24 * 2 * 2
    assert len(out["grid"]["scenarios"]) == 24 and out["seed"] == 1
    text = run("evaluate", "-d", "ears-c3", "-r", "1", "--lang", "en")
    assert "POD" in text and "ears-c3" in text
    assert "--detector must be among" in run("evaluate", "-d", "x", "--json", code=2)["error"]
    assert "replicates" in run("evaluate", "-r", "0", "--json", code=2)["error"]


def test_late_data_misses_the_one_hour_standard(workspace: Path, store_env: dict[str, str]) -> None:
    from sqlalchemy.orm import Session

    from epicontrol.cli.common import open_store
    from epicontrol.domains.surveillance.detection import write_outbreak_feed

    settings = Settings(
        workspace=workspace, database_url=store_env["EPICONTROL_DATABASE_URL"] or None
    )
    with Session(open_store(settings)) as session:
        feed = write_outbreak_feed(
            session=session, lake_dir=settings.lake_dir, directory=workspace / "feeds", seed=3
        )
    arrived = "2020-01-01T08:00:00+08:00"  # the feed waited years before reaching the centre
    ws = str(workspace)
    out = run("ingest", str(feed.path), "--received-at", arrived, "-w", ws, "--json", env=store_env)
    assert out["received_at"] == "2020-01-01T00:00:00" and out["alerts_raised"] >= 1
    shown = run("alerts", "show", str(out["alert_ids"][0]), "-w", ws, "--json", env=store_env)
    assert shown["within_standard"] is False and shown["latency_seconds"] > 3600
    bad = run("ingest", str(feed.path), "--received-at", "yesterday", "-w", ws, "--json", code=2)
    assert "--received-at must be ISO 8601" in bad["error"]
