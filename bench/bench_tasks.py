"""Time the SLA clocks and KPIs: the core on 10⁶ tasks, the service on a store of 500 cases.

Core: :func:`escalation_levels` and :func:`task_kpis` on ``--tasks`` random
tasks (seed 1; 84 department × kind groups, two or three escalation rules
each).  Service (SQLite file in a temporary directory, or ``--database-url``):
``--cases`` cases get the 1+4+6+24 playbook (12 tasks each) with
``open_case_playbook``; then ``list_tasks(overdue_at=…)`` with the clocks,
``escalate_overdue`` (first run: every overdue task reaches its levels) and
``kpis`` are timed at a time when the 1, 4 and 6 h steps are overdue.  Each
figure is the median of ``--runs`` runs (opening and escalating on a fresh
store each run).

    .venv/bin/python bench/bench_tasks.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from epicontrol.core.operations.kpi import task_kpis
from epicontrol.core.operations.playbook import default_playbook
from epicontrol.core.operations.sla import escalation_levels, rule_matrix
from epicontrol.domains.city.models import Area, City, Household, Person
from epicontrol.domains.tasks import service
from epicontrol.domains.tracing.models import Case
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade

REPORTED = datetime(2026, 11, 5, 2, 0)


def median_of(runs: int, fn: Callable[[], Any]) -> tuple[float, list[float], Any]:
    times: list[float] = []
    result: Any = None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), times, result


def core_rows(n: int, runs: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(1)
    h = 3600
    trig = rng.integers(0, 30 * 24 * h, n).astype(np.int64)
    due = trig + rng.choice([1, 2, 4, 6, 24], n) * h
    status = rng.choice([0, 1, 2, 3], n, p=[0.2, 0.1, 0.65, 0.05])
    comp = trig + (rng.lognormal(0, 0.8, n) * 3 * h).astype(np.int64)
    groups = rng.integers(0, 84, n)
    rules = rule_matrix([[0.0, 1.0], [0.0, 2.0, 4.0]] * (n // 2) + [[0.0]] * (n % 2))
    now = int(30 * 24 * h)
    active = status < 2
    esc_s, esc_t, levels = median_of(runs, lambda: escalation_levels(due, now, rules, active))
    kpi_s, kpi_t, table = median_of(
        runs,
        lambda: task_kpis(
            groups=groups, status=status, triggered=trig, due=due, completed=comp, now=now
        ),
    )
    return [
        {
            "what": f"core escalation_levels, {n:,} tasks",
            "seconds": round(esc_s, 4),
            "runs_s": [round(v, 4) for v in esc_t],
            "result": f"{int((levels > 0).sum()):,} tasks to escalate",
        },
        {
            "what": f"core task_kpis, {n:,} tasks, {table.groups.size} groups",
            "seconds": round(kpi_s, 4),
            "runs_s": [round(v, 4) for v in kpi_t],
            "result": f"on-time rate {float(np.nanmean(table.on_time_rate)):.3f} (mean of groups)",
        },
    ]


def _store(url: str, cases: int) -> tuple[Any, list[int]]:
    engine = make_engine(url)
    upgrade(engine)
    with Session(engine) as s, s.begin():
        s.add(
            City(
                id=1,
                name="基准市",
                name_en="Bench",
                epoch_utc=datetime(2026, 11, 1, 16),
                timezone="Asia/Shanghai",
                utc_offset_minutes=480,
                source="generated",
                seed=1,
                days=0,
                created_at=REPORTED,
            )
        )
        s.add(Area(id=1, code="B1", level="building", name="1", population=cases, households=1))
        s.flush()
        s.add(Household(id=1, building_id=1, size=1))
        s.flush()
        s.add_all(
            Person(
                id=i,
                code=f"P{i}",
                household_id=1,
                building_id=1,
                age=40,
                sex="M",
                occupation="office",
            )
            for i in range(cases)
        )
        s.flush()
        s.add_all(
            Case(
                person_id=i,
                status="confirmed",
                onset_at=REPORTED,
                source="bench",
                reported_at=REPORTED + timedelta(minutes=i),
                created_at=REPORTED,
                updated_at=REPORTED,
            )
            for i in range(cases)
        )
    with Session(engine) as s:
        ids = [c.id for c in s.query(Case).order_by(Case.id)]
    return engine, ids


def service_rows(cases: int, runs: int, database_url: str | None) -> list[dict[str, Any]]:
    book = default_playbook("1+4+6+24")
    now = REPORTED + timedelta(hours=12)
    timings: dict[str, list[float]] = {"open": [], "list": [], "escalate": [], "kpis": []}
    result: dict[str, Any] = {}
    for run in range(runs):
        with tempfile.TemporaryDirectory() as tmp:
            url = database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
            engine, ids = _store(url, cases)
            with Session(engine) as s, s.begin():
                t0 = time.perf_counter()
                for cid in ids:
                    service.open_case_playbook(
                        session=s, case_id=cid, playbook=book, trigger_at=None, actor="bench"
                    )
                timings["open"].append(time.perf_counter() - t0)
            with Session(engine) as s:
                t0 = time.perf_counter()
                overdue = service.task_clocks(service.list_tasks(session=s, overdue_at=now), now)
                timings["list"].append(time.perf_counter() - t0)
            with Session(engine) as s, s.begin():
                t0 = time.perf_counter()
                escalations = service.escalate_overdue(session=s, now=now)
                timings["escalate"].append(time.perf_counter() - t0)
            with Session(engine) as s:
                t0 = time.perf_counter()
                kpi = service.kpis(session=s, now=now)
                timings["kpis"].append(time.perf_counter() - t0)
            result = {
                "tasks": kpi.overall.total,
                "overdue": len(overdue),
                "escalations": len(escalations),
            }
            engine.dispose()
            if database_url and run < runs - 1:
                raise SystemExit("--database-url runs once: give --runs 1 on a fresh database")
    n = result["tasks"]
    labels = {
        "open": f"open_case_playbook × {cases} cases ({n:,} tasks, one transaction)",
        "list": f"list_tasks --overdue + clocks ({result['overdue']:,} tasks)",
        "escalate": f"escalate_overdue ({result['escalations']:,} escalations)",
        "kpis": f"kpis over {n:,} tasks",
    }
    return [
        {
            "what": labels[k],
            "seconds": round(statistics.median(v), 4),
            "runs_s": [round(x, 4) for x in v],
            "result": "",
        }
        for k, v in timings.items()
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tasks", type=int, default=1_000_000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    load_before = os.getloadavg()
    rows = core_rows(args.tasks, args.runs) + service_rows(args.cases, args.runs, args.database_url)
    print(f"\nSLA clocks and KPIs; median of {args.runs} runs\n")
    print("| what | seconds | result |")
    print("|---|---|---|")
    for r in rows:
        print(f"| {r['what']} | {r['seconds']:.3f} s | {r['result']} |")
    env = {
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpus": os.cpu_count(),
        "database": args.database_url or "sqlite (temporary file)",
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps({"rows": rows, "environment": env}, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
