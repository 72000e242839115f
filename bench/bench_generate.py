"""Benchmark `epicontrol city generate`: wall time, peak memory, lake and store size.

Each run is a fresh process (`python -m epicontrol.cli.main city generate ...
--replace --json`) under a small wrapper that reads the child's peak RSS from
``getrusage(RUSAGE_CHILDREN)``.  Prints one JSON line per run and a Markdown
row with the medians for BENCHMARKS.md.

    .venv/bin/python bench/bench_generate.py --population 1000000 --days 14 --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
from pathlib import Path

WRAPPER = """
import json, resource, subprocess, sys
proc = subprocess.run(sys.argv[1:], capture_output=True, text=True)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
sys.stdout.write(json.dumps({"code": proc.returncode, "stdout": proc.stdout,
                             "stderr": proc.stderr[-2000:], "maxrss_kb": usage.ru_maxrss}))
"""


def du(path: Path) -> int:
    """Bytes under ``path`` (a file or a directory)."""
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workspace", type=Path, default=Path("bench/out/generate"))
    parser.add_argument("--database-url", default="", help="Store URL (default: SQLite)")
    args = parser.parse_args()

    env = {**os.environ, "EPICONTROL_DATABASE_URL": args.database_url}
    cmd = [
        sys.executable, "-m", "epicontrol.cli.main", "city", "generate",
        "-n", str(args.population), "-d", str(args.days), "-s", str(args.seed),
        "-w", str(args.workspace), "--replace", "--json",
    ]  # fmt: skip
    runs = []
    for i in range(args.runs):
        raw = subprocess.run(
            [sys.executable, "-c", WRAPPER, *cmd],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        wrapped = json.loads(raw.stdout)
        if wrapped["code"] != 0:
            sys.exit(f"run {i} failed:\n{wrapped['stderr']}")
        result = json.loads(wrapped["stdout"])
        run = {
            "run": i,
            "seconds": result["seconds"],
            "timings": result["timings"],
            "peak_rss_gb": round(wrapped["maxrss_kb"] / 1024**2, 2),
            "checkins": result["checkins"],
            "persons": result["persons"],
            "lake_mb": round(du(args.workspace / "lake") / 1024**2, 1),
            "sqlite_mb": round(
                sum(du(p) for p in args.workspace.glob("epicontrol.db*")) / 1024**2, 1
            ),
        }
        print(json.dumps(run), flush=True)
        runs.append(run)

    def med(key: str) -> float:
        return statistics.median(r[key] for r in runs)

    def med_t(key: str) -> float:
        return statistics.median(r["timings"][key] for r in runs)

    store = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"| {args.population:,} × {args.days} d | {store} | {med('seconds'):.0f} s "
        f"(generate {med_t('generate'):.0f}, lake {med_t('lake'):.0f}, "
        f"database {med_t('database'):.0f}) | {med('peak_rss_gb'):.2f} GB | "
        f"{runs[0]['checkins']:,} | {med('lake_mb'):,.0f} MB | {med('sqlite_mb'):,.0f} MB | "
        f"{len(runs)} | {platform.processor() or platform.machine()}, {os.cpu_count()} cores |"
    )


if __name__ == "__main__":
    main()
