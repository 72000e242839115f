"""Benchmark the contact tracing engine against a DuckDB self-join baseline.

Phases, each a fresh process (peak RSS from ``getrusage``):

1. *prepare* — the city's lake and registry: with ``--lake WORKSPACE`` an
   existing workspace (``epicontrol city generate -n N -d 14 -w WORKSPACE``;
   registry read from its SQLite store), otherwise the city is generated in
   memory (``generate_city``) and its lake written with
   ``epicontrol.store.lake.write_partition`` under ``--out`` (reused if there).
2. *build* — :meth:`CheckinIndex.build` from the lake's Parquet files (read
   twice, never held in memory), then :meth:`CheckinIndex.save` under
   ``--out/index`` (skipped when saved, unless ``--rebuild``).
3. ``--rounds`` rounds (default 3), each a *trace* process then a *duckdb*
   process, so both sides see the same machine load:

   * *trace* — the saved index memory-mapped; 1,000 random cases (persons
     drawn with ``--case-seed``, windows of 3–5 days inside the lake's range);
     the mapped pages touched once and an untimed warm-up on one case (loads
     numba's cached kernels), then one
     timed run each of: first-order venue contacts (close, >= 15 min) of the
     first case and of the batch (:func:`venue_contacts`), the full trace of
     the batch (close + secondary + general + yellow code at
     ``--risk-venues`` random venues), and the full trace of one case;
   * *duckdb* — the baseline over the same Parquet, ``SET threads TO 2``: the
     cases' check-ins joined to all check-ins of the same venue, kept when
     they overlap >= 15 minutes, distinct (case, person); the first case, then
     the whole batch in one query.  ``--baseline day`` (default, the fastest
     form found) joins on venue and day partition; ``interval`` joins on
     venue and overlapping intervals.

Figures are medians over the rounds; the summary line has the ratios and
checks that both sides found the same pairs.

    .venv/bin/python bench/bench_tracing.py --population 1000000 --out bench/out/trace1m
    .venv/bin/python bench/bench_tracing.py --population 8300000 --out bench/out/trace8m
    .venv/bin/python bench/bench_tracing.py --lake bench/out/gen1m --out bench/out/trace-gen1m
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sqlite3
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

MINUTES_PER_DAY = 1440


def peak_rss_gb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2)


def lake_dir(args: argparse.Namespace) -> Path:
    return Path(args.lake) / "lake" if args.lake else Path(args.out) / "lake"


def parquet_files(lake: Path) -> list[Path]:
    files = sorted(
        (lake / "checkins").glob("day=*/part-0.parquet"),
        key=lambda p: int(p.parent.name.split("=")[1]),
    )
    if not files:
        sys.exit(f"no check-ins under {lake / 'checkins'}")
    return files


class LakeBatches:
    """Re-iterable record batches of the lake's check-ins (each pass reads the files)."""

    def __init__(self, files: list[Path]) -> None:
        self.files = files

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        for f in self.files:
            yield from pq.ParquetFile(f).iter_batches(
                batch_size=1 << 21, columns=["person_id", "venue_id", "t_in", "t_out"]
            )


# ----------------------------------------------------------------- prepare
def prepare(args: argparse.Namespace) -> dict[str, Any]:
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    reg_path = out / "registry.npz"
    t0 = time.perf_counter()
    if args.lake:
        if not reg_path.exists():
            db = sqlite3.connect(Path(args.lake) / "epicontrol.db")
            n = db.execute("SELECT count(*) FROM persons").fetchone()[0]
            n_venues = db.execute("SELECT count(*) FROM venues").fetchone()[0]
            cols = {k: np.full(n, -1, np.int32) for k in ("household", "group", "org_venue")}
            cur = db.execute(
                "SELECT id, household_id, coalesce(group_id, -1), coalesce(org_venue_id, -1) "
                "FROM persons"
            )
            while rows := cur.fetchmany(1_000_000):
                a = np.array(rows, dtype=np.int64)
                cols["household"][a[:, 0]] = a[:, 1]
                cols["group"][a[:, 0]] = a[:, 2]
                cols["org_venue"][a[:, 0]] = a[:, 3]
            g = np.array(db.execute("SELECT id, kind = 'class' FROM groups").fetchall(), np.int64)
            kind = np.ones(int(g[:, 0].max()) + 1 if len(g) else 0, np.int8)
            kind[g[:, 0]] = np.where(g[:, 1] == 1, 0, 1)
            np.savez(
                reg_path,
                household=cols["household"],
                group=cols["group"],
                org_venue=cols["org_venue"],
                group_kind=kind,
                n_venues=n_venues,
            )
    elif not reg_path.exists():
        from epicontrol.core.city.generator import generate_city
        from epicontrol.core.city.params import CityParams
        from epicontrol.core.tracing import Registry
        from epicontrol.store.lake import write_partition

        city = generate_city(CityParams(population=args.population, days=args.days, seed=args.seed))
        for day in range(args.days):
            write_partition(lake_dir(args), "checkins", day, city.checkins_for_day(day), city.epoch)
        reg = Registry.from_arrow(city.persons, city.groups)
        assert reg.group_kind is not None
        np.savez(
            reg_path,
            household=reg.household,
            group=reg.group,
            org_venue=reg.org_venue,
            group_kind=reg.group_kind,
            n_venues=city.venues.num_rows,
        )
    files = parquet_files(lake_dir(args))
    meta = pq.ParquetFile(files[0]).metadata
    return {
        "phase": "prepare",
        "seconds": round(time.perf_counter() - t0, 1),
        "lake": str(lake_dir(args)),
        "days": len(files),
        "lake_mb": round(sum(f.stat().st_size for f in files) / 1024**2, 1),
        "rows_day0": meta.num_rows,
    }


def load_registry(args: argparse.Namespace) -> tuple[Any, int]:
    from epicontrol.core.tracing import Registry

    z = np.load(Path(args.out) / "registry.npz")
    reg = Registry(z["household"], z["group"], z["org_venue"], z["group_kind"])
    return reg, int(z["n_venues"])


# ------------------------------------------------------------------- build
def build(args: argparse.Namespace) -> dict[str, Any]:
    from epicontrol.core.tracing import CheckinIndex

    reg, n_venues = load_registry(args)
    files = parquet_files(lake_dir(args))
    version = ",".join(f"{f.parent.name}:{f.stat().st_size}" for f in files)
    t0 = time.perf_counter()
    index = CheckinIndex.build(
        LakeBatches(files), n_persons=len(reg.household), n_venues=n_venues, version=version
    )
    t1 = time.perf_counter()
    index.save(Path(args.out) / "index")
    t2 = time.perf_counter()
    size = sum(f.stat().st_size for f in (Path(args.out) / "index").iterdir())
    return {
        "phase": "build",
        "checkins": index.n_checkins,
        "persons": index.n_persons,
        "venues": index.n_venues,
        "build_seconds": round(t1 - t0, 2),
        "save_seconds": round(t2 - t1, 2),
        "index_gb": round(size / 1024**3, 2),
        "peak_rss_gb": peak_rss_gb(),
    }


# ------------------------------------------------------------------- cases
def make_cases(args: argparse.Namespace, n_persons: int, t_min: int, t_max: int) -> list[Any]:
    from epicontrol.core.tracing import CaseInput

    rng = np.random.default_rng(args.case_seed)
    persons = rng.choice(n_persons, size=args.cases, replace=False)
    length = rng.integers(3 * MINUTES_PER_DAY, 5 * MINUTES_PER_DAY + 1, size=args.cases)
    start = t_min + (rng.random(args.cases) * np.maximum(t_max - t_min - length, 1)).astype(int)
    end = np.minimum(start + length, t_max)
    return [
        CaseInput(i, int(p), int(s), int(e))
        for i, (p, s, e) in enumerate(zip(persons, start, end, strict=True))
    ]


def clock(fn: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    result = fn()
    return time.perf_counter() - t, result


def loadavg() -> float:
    return round(os.getloadavg()[0], 2)


# ------------------------------------------------------------------- trace
def trace_phase(args: argparse.Namespace) -> dict[str, Any]:
    """One round: warm-up (single case), then one timed run of each measurement."""
    from epicontrol.core.tracing import CheckinIndex, TracingRules, trace, venue_contacts

    load_s, index = clock(lambda: CheckinIndex.load(Path(args.out) / "index"))
    reg, _ = load_registry(args)
    cases = make_cases(args, index.n_persons, index.t_min, index.t_max)
    rules = TracingRules()
    rng = np.random.default_rng(args.case_seed + 1)
    risk = sorted(rng.choice(index.n_venues, size=args.risk_venues, replace=False).tolist())
    th = args.threads

    res: dict[str, Any] = {"phase": "trace", "load_s": round(load_s, 3), "threads": th}
    res["loadavg_start"] = loadavg()
    # A service keeps the index mapped: fault its pages in once (every 4 KiB page).
    names = ("v_off", "v_person", "v_tin", "v_tout", "p_off", "p_venue", "p_tin", "p_tout")
    arrays = [getattr(index, a) for a in names]
    res["map_touch_s"] = round(clock(lambda: [int(a[::1024].sum()) for a in arrays])[0], 3)
    res["warmup_s"] = round(
        clock(lambda: venue_contacts(index, cases[:1], rules, general=False, threads=th))[0]
        + clock(lambda: trace(index, reg, cases[:1], rules, risk_venues=risk, threads=th))[0],
        3,
    )
    s1, one = clock(lambda: venue_contacts(index, cases[:1], rules, general=False, threads=th))
    sb, batch = clock(lambda: venue_contacts(index, cases, rules, general=False, threads=th))
    timings: dict[str, float] = {}
    sf, full = clock(
        lambda: trace(index, reg, cases, rules, risk_venues=risk, threads=th, timings=timings)
    )
    s2, _ = clock(lambda: trace(index, reg, cases[:1], rules, risk_venues=risk, threads=th))
    counts = full.group_by("category").aggregate([("person_id", "count")]).to_pylist()
    res |= {
        "first_order_single_s": round(s1, 4),
        "first_order_single_contacts": one.num_rows,
        "first_order_batch_s": round(sb, 4),
        "first_order_batch_pairs": batch.num_rows,
        "full_trace_s": round(sf, 3),
        "full_trace_phases": timings,
        "full_trace_rows": full.num_rows,
        "full_trace_by_category": {r["category"]: r["person_id_count"] for r in counts},
        "full_trace_single_s": round(s2, 4),
        "loadavg_end": loadavg(),
        "peak_rss_gb": peak_rss_gb(),
    }
    return res


# ------------------------------------------------------------------ duckdb
CASE_STAYS = """
WITH cc AS (
    SELECT k.case_id, c.person_id, c.venue_id, c.day,
           greatest(c.t_in, k.ws) AS a, least(c.t_out, k.we) AS b
    FROM checkins c JOIN cases k ON c.person_id = k.person_id
    WHERE c.t_out > k.ws AND c.t_in < k.we
)
"""
QUERIES = {
    # The strongest form found: equi-join on venue and day partition (the lake's
    # stays never cross midnight, so this finds the same pairs), overlap filter.
    "day": CASE_STAYS
    + """
SELECT DISTINCT cc.case_id, o.person_id
FROM cc JOIN checkins o ON o.venue_id = cc.venue_id AND o.day = cc.day
WHERE o.person_id <> cc.person_id AND least(cc.b, o.t_out) - greatest(cc.a, o.t_in) >= 15
""",
    # The literal interval join: same venue, intervals overlapping, overlap >= 15.
    "interval": CASE_STAYS
    + """
SELECT DISTINCT cc.case_id, o.person_id
FROM cc JOIN checkins o ON o.venue_id = cc.venue_id AND o.t_in < cc.b AND o.t_out > cc.a
WHERE o.person_id <> cc.person_id AND least(cc.b, o.t_out) - greatest(cc.a, o.t_in) >= 15
""",
}


def duckdb_phase(args: argparse.Namespace) -> dict[str, Any]:
    """One round: one timed run of the single case and of the 1,000-case batch."""
    import duckdb

    from epicontrol.core.tracing import CheckinIndex

    meta = CheckinIndex.read_meta(Path(args.out) / "index")
    cases = make_cases(args, meta["n_persons"], meta["t_min"], meta["t_max"])
    table = pa.table(
        {
            "case_id": pa.array([c.case_id for c in cases], pa.int32()),
            "person_id": pa.array([c.person_id for c in cases], pa.int32()),
            "ws": pa.array([c.window_start for c in cases], pa.int32()),
            "we": pa.array([c.window_end for c in cases], pa.int32()),
        }
    )
    con = duckdb.connect(":memory:")
    con.execute("SET threads TO 2")
    glob = (lake_dir(args) / "checkins" / "day=*" / "part-0.parquet").as_posix()
    con.execute(
        "CREATE VIEW checkins AS SELECT person_id, venue_id, t_in, t_out, day "
        f"FROM read_parquet('{glob}', hive_partitioning = true, hive_types = {{'day': INTEGER}})"
    )
    query = QUERIES[args.baseline]
    res: dict[str, Any] = {"phase": "duckdb", "query": args.baseline, "threads": 2}
    res["loadavg_start"] = loadavg()
    for name, sub in (("single", table.slice(0, 1)), ("batch", table)):
        con.register("cases", sub)
        seconds, out = clock(lambda: con.sql(query).to_arrow_table())
        res[f"{name}_s"] = round(seconds, 4)
        res[f"{name}_pairs"] = out.num_rows
        con.unregister("cases")
    res["loadavg_end"] = loadavg()
    res["peak_rss_gb"] = peak_rss_gb()
    return res


# -------------------------------------------------------------------- main
def child(phase: str, argv: list[str]) -> dict[str, Any]:
    proc = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *argv], capture_output=True, text=True
    )
    if proc.returncode != 0:
        sys.exit(f"phase {phase} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(result), flush=True)
    return result


def med(rounds: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(r[key] for r in rounds))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--population", type=int, default=1_000_000)
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--lake", default="", help="existing workspace (has lake/ and epicontrol.db)"
    )
    parser.add_argument("--out", default="bench/out/trace1m")
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--case-seed", type=int, default=7)
    parser.add_argument("--risk-venues", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs of each side")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--baseline", choices=sorted(QUERIES), default="day")
    parser.add_argument("--rebuild", action="store_true", help="build the index even if saved")
    parser.add_argument("--skip-duckdb", action="store_true")
    parser.add_argument("--phase", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase:
        os.environ.setdefault("NUMBA_NUM_THREADS", str(args.threads))
        fn = {"prepare": prepare, "build": build, "trace": trace_phase, "duckdb": duckdb_phase}
        print(json.dumps(fn[args.phase](args)))
        return

    argv = [a for a in sys.argv[1:] if a not in ("--rebuild", "--skip-duckdb")]
    machine = {
        "machine": platform.machine(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "mem_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3, 1),
        "loadavg": loadavg(),
    }
    print(json.dumps(machine), flush=True)
    child("prepare", argv)
    built = None
    if args.rebuild or not (Path(args.out) / "index" / "meta.json").exists():
        built = child("build", argv)
    ours, duck = [], []
    for _ in range(args.rounds):
        ours.append(child("trace", argv))
        if not args.skip_duckdb:
            duck.append(child("duckdb", argv))
    result: dict[str, Any] = {
        "summary": True,
        "rounds": args.rounds,
        "first_order_single_s": med(ours, "first_order_single_s"),
        "first_order_batch_s": med(ours, "first_order_batch_s"),
        "full_trace_s": med(ours, "full_trace_s"),
        "full_trace_single_s": med(ours, "full_trace_single_s"),
        "trace_peak_rss_gb": max(r["peak_rss_gb"] for r in ours),
    }
    if built:
        result |= {k: built[k] for k in ("build_seconds", "save_seconds", "peak_rss_gb")}
    if duck:
        result |= {
            "duckdb_query": args.baseline,
            "duckdb_single_s": med(duck, "single_s"),
            "duckdb_batch_s": med(duck, "batch_s"),
            "duckdb_peak_rss_gb": max(r["peak_rss_gb"] for r in duck),
            "same_pairs": all(
                d["batch_pairs"] == o["first_order_batch_pairs"]
                for d, o in zip(duck, ours, strict=True)
            ),
        }
        result["ratio_single"] = round(
            result["duckdb_single_s"] / result["first_order_single_s"], 1
        )
        result["ratio_batch"] = round(result["duckdb_batch_s"] / result["first_order_batch_s"], 1)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
