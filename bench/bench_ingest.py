"""Benchmark `epicontrol surveil ingest`: a one-day batch of a large city → alerts stored.

Builds once a workspace with a city of ``--communities`` communities (13
districts, 10 communities per street) and ``--history`` days of syndromic
counts in the lake (the generator's negative-binomial baseline model), and a
feed for the next day: every community × 4 signals (fever clinic, pharmacy
fever-drug sales, school absence, laboratory positives), with outbreaks
injected into ``--outbreaks`` communities.  Each run resets the surveillance
tables and the ingested lake files, then runs the command in a fresh process:

    python -c 'from epicontrol.cli.surveil import app; app()' ingest FEED -w WS --json

and reads the figures the command reports: ``stored`` = from the start of the
ingest to the alerts committed (reading and validating every row, writing the
lake file, reading back and evaluating the affected series, trigger, alerts
and routing, commit); ``total`` = the same up to the alerts flushed, before
the commit.  The process wall time (interpreter start and imports included)
is reported too.  Then the same ingest is timed inside one process after a
warm-up (``warm``: imports and first-use costs paid, as in a long-running
service).  Prints one JSON line per run and the medians.

    .venv/bin/python bench/bench_ingest.py --communities 3000 --runs 5
    .venv/bin/python bench/bench_ingest.py --communities 3000 --runs 5 \\
        --database-url postgresql+psycopg://postgres@127.0.0.1:5432/test  # schema bench_ingest
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
from sqlalchemy import delete, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from epicontrol.core.city.schemas import SIGNALS
from epicontrol.core.city.syndromic import community_effects, syndromic_for_day
from epicontrol.domains.city.models import Area, City
from epicontrol.domains.surveillance.models import Alert, AlertEvent, SurveillanceBatch
from epicontrol.store import lake
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import downgrade, upgrade

START = date(2026, 11, 2)
EPOCH = datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=8)))
RUNNER = "from epicontrol.cli.surveil import app; app()"


def build(workspace: Path, url: str, communities: int, history: int, outbreaks: int) -> Path:
    """The city, its lake history and tomorrow's feed; returns the feed's path."""
    shutil.rmtree(workspace, ignore_errors=True)
    workspace.mkdir(parents=True)
    engine = make_engine(url)
    if not url.startswith("sqlite"):
        downgrade(engine, "base")
    upgrade(engine)
    rng = np.random.default_rng(1)
    population = rng.integers(1_500, 6_000, communities).astype(np.int64)
    pupils = (population * rng.uniform(0.08, 0.14, communities)).astype(np.int64)
    with Session(engine) as session, session.begin():
        session.add(
            City(
                id=0,
                name="基准市",
                name_en="Bench City",
                epoch_utc=EPOCH.astimezone(UTC).replace(tzinfo=None),
                timezone="Asia/Shanghai",
                utc_offset_minutes=480,
                source="generated",
                seed=1,
                days=history,
                created_at=datetime.now(UTC).replace(tzinfo=None),
            )
        )
        rows = [Area(id=0, code="C0", level="city", parent_id=None, name="基准市")]
        streets = (communities + 9) // 10
        for d in range(13):
            rows.append(Area(id=1 + d, code=f"D{d}", level="district", parent_id=0, name=f"区{d}"))
        for s in range(streets):
            rows.append(
                Area(id=14 + s, code=f"S{s}", level="street", parent_id=1 + s % 13, name=f"街道{s}")
            )
        first = 14 + streets
        for c in range(communities):
            rows.append(
                Area(
                    id=first + c,
                    code=f"COM{c:05d}",
                    level="community",
                    parent_id=14 + c // 10,
                    name=f"社区{c}",
                    name_en=f"Community {c}",
                    population=int(population[c]),
                )
            )
        session.add_all(rows)
    engine.dispose()
    ids = np.arange(first, first + communities, dtype=np.int32)
    effects = community_effects(communities, 1)

    def day_table(day: int) -> pa.Table:
        return syndromic_for_day(
            community_ids=ids,
            population=population,
            pupils=pupils,
            effects=effects,
            start=START,
            day=day,
            seed=1,
        )

    for day in range(history):
        lake.write_partition(workspace / "lake", "syndromic", day, [day_table(day)], EPOCH)
    today = day_table(history)
    counts = today.column("count").to_numpy().reshape(communities, len(SIGNALS)).copy()
    hit = rng.choice(communities, outbreaks, replace=False)
    counts[hit, 0] = counts[hit, 0] * 4 + 10  # fever clinic
    counts[hit, 1] = counts[hit, 1] * 3 + 20  # pharmacy
    lab = rng.poisson(0.01, communities)
    lab[hit[: max(1, outbreaks // 3)]] += 2
    when = (START + timedelta(days=history)).isoformat()
    feed = workspace / f"feed-day-{history}.csv"
    with feed.open("w", encoding="utf-8") as out:
        out.write("area,signal,date,count\n")
        for c in range(communities):
            code = f"COM{c:05d}"
            for j, signal in enumerate(SIGNALS):
                out.write(f"{code},{signal},{when},{counts[c, j]}\n")
            out.write(f"{code},lab_positive,{when},{lab[c]}\n")
    return feed


def reset(workspace: Path, url: str) -> None:
    """Forget every ingest: surveillance tables emptied, ingested lake files removed."""
    engine = make_engine(url)
    with Session(engine) as session, session.begin():
        session.execute(delete(AlertEvent))
        session.execute(delete(Alert))
        session.execute(delete(SurveillanceBatch))
    engine.dispose()
    shutil.rmtree(workspace / "lake" / "syndromic_ingest", ignore_errors=True)


def warm_runs(workspace: Path, url: str, database_url: str, feed: Path, runs: int) -> list[float]:
    """In one process (as a long-running service would): one warm-up, then ``runs`` ingests."""
    from epicontrol.cli.surveil import run_ingest
    from epicontrol.config import Settings
    from epicontrol.domains.surveillance.routing import SurveillanceConfig

    settings = Settings(workspace=workspace, database_url=database_url or None)
    times = []
    for i in range(runs + 1):
        reset(workspace, url)
        result = run_ingest(settings, feed, config=SurveillanceConfig())
        if i:
            times.append(result.timings["stored"])
            print(json.dumps({"warm_run": i, "stored_s": result.timings["stored"]}))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--communities", type=int, default=3_000)
    parser.add_argument("--history", type=int, default=28, help="Days of history in the lake.")
    parser.add_argument("--outbreaks", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--workspace", type=Path, default=Path("bench/out/ingest"))
    parser.add_argument("--database-url", default="", help="Store URL (default: SQLite)")
    parser.add_argument("--pg-schema", default="bench_ingest", help="PostgreSQL schema to use")
    args = parser.parse_args()

    if args.database_url:  # its own schema, so nothing else in that database is touched
        admin = make_engine(args.database_url)
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{args.pg_schema}"'))
        admin.dispose()
        args.database_url = (
            make_url(args.database_url)
            .update_query_dict({"options": f"-csearch_path={args.pg_schema}"})
            .render_as_string(hide_password=False)
        )
    url = args.database_url or f"sqlite:///{(args.workspace / 'epicontrol.db').resolve()}"
    t0 = time.perf_counter()
    feed = build(args.workspace, url, args.communities, args.history, args.outbreaks)
    print(f"# built in {time.perf_counter() - t0:.1f} s: {feed}", file=sys.stderr)
    env = {**os.environ, "EPICONTROL_DATABASE_URL": args.database_url}
    cmd = [sys.executable, "-c", RUNNER, "ingest", str(feed), "-w", str(args.workspace), "--json"]
    runs = []
    for i in range(args.runs):
        reset(args.workspace, url)
        started = time.perf_counter()
        proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(f"run {i} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr[-3000:]}")
        out = json.loads(proc.stdout)
        run = {
            "run": i,
            "rows": out["rows"],
            "series": out["evaluated_series"],
            "alarms": out["alarms"],
            "alerts": out["alerts_raised"],
            "stored_s": out["timings"]["stored"],
            "total_s": out["timings"]["total"],
            "timings": out["timings"],
            "commit_to_alert_s": out["alert_latency_seconds"],
            "process_wall_s": round(wall, 3),
        }
        runs.append(run)
        print(json.dumps(run))
    warm = warm_runs(args.workspace, url, args.database_url, feed, args.runs)
    med = {
        k: round(statistics.median(r[k] for r in runs), 3)
        for k in ("stored_s", "total_s", "commit_to_alert_s", "process_wall_s")
    }
    med["warm_stored_s"] = round(statistics.median(warm), 3)
    phases = {
        k: round(statistics.median(r["timings"][k] for r in runs), 3)
        for k in ("validate", "lake", "detect", "alerts")
    }
    store = "PostgreSQL" if args.database_url else "SQLite"
    summary = {"median": med, "phases": phases, "runs": len(runs), "store": store}
    print(json.dumps(summary))
    print(
        f"| {args.communities:,} communities × 4 signals, 1 day "
        f"({runs[0]['rows']:,} rows, {args.history} days of history) | {store} | "
        f"{med['stored_s']:.2f} s (validate {phases['validate']:.2f}, lake {phases['lake']:.2f}, "
        f"detect {phases['detect']:.2f}, alerts {phases['alerts']:.2f}) | "
        f"{med['warm_stored_s']:.2f} s | {runs[0]['alerts']} alerts | "
        f"{med['process_wall_s']:.1f} s | {len(runs)} | "
        f"{platform.machine()}, {os.cpu_count()} cores |"
    )


if __name__ == "__main__":
    main()
