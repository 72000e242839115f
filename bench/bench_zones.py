"""Benchmark the three-zone engine: delineation and one day of rules for a large city.

Setup (not timed): a synthetic hierarchy of ``--buildings`` buildings (10 per
compound, 10 compounds per community, 10 communities per street, 10 streets
per district) laid out hierarchically on the plane, with same-level adjacency
from the Delaunay triangulation of the centroids (the generator's
:func:`epicontrol.core.city.geography.adjacency_edges`); ``--venues`` venues
in random buildings; one resident per ``--persons-per-building``; a check-in
index (:class:`epicontrol.core.tracing.index.CheckinIndex`) of ``--days``
days with ``--visits`` check-ins per person per day (a work stay of 8 h,
the rest 10-120 min).

Timed, ``--rounds`` times (median reported):

* *footprints* — the check-ins of ``--cases`` cases' 5-day infectious
  windows read from the index (``of_person``) and clipped, venue → building;
* *delineate* — :func:`epicontrol.core.zones.delineate` at building level;
* *rules* — one :func:`epicontrol.core.zones.step` over every zone (50 zones
  with a new case, 14 days of city counts ending in a surge).

    .venv/bin/python bench/bench_zones.py
    .venv/bin/python bench/bench_zones.py --buildings 100000 --cases 500 --rounds 5
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from epicontrol.core.city.geography import adjacency_edges
from epicontrol.core.tracing.index import CheckinIndex
from epicontrol.core.zones import (
    AreaGraph,
    Footprints,
    ZoneState,
    default_rules,
    delineate,
    step,
)

FANOUT = 10
MINUTES_PER_DAY = 1440


def build_city(n_buildings: int, seed: int) -> tuple[AreaGraph, dict[str, int]]:
    """Hierarchy city → districts → streets → communities → compounds → buildings."""
    rng = np.random.default_rng(seed)
    counts = [n_buildings]
    while counts[-1] > FANOUT and len(counts) < 5:
        counts.append(-(-counts[-1] // FANOUT))
    counts = counts[::-1]  # district .. building
    while len(counts) < 5:
        counts.insert(0, 1)
    ids, parents, levels, xy = [0], [-1], [0], [np.zeros((1, 2))]
    prev_first, prev_n, radius = 0, 1, 1.0
    edges = []
    for depth, n in enumerate(counts, start=1):
        first = len(ids)
        parent = prev_first + np.minimum(np.arange(n) // FANOUT, prev_n - 1)
        if depth == 1:
            parent = np.zeros(n, np.int64)
        radius /= np.sqrt(FANOUT) if depth > 1 else 1.0
        pts = xy[-1][parent - prev_first] + rng.uniform(-radius, radius, (n, 2))
        ids.extend(range(first, first + n))
        parents.extend(parent.tolist())
        levels.extend([depth] * n)
        xy.append(pts)
        edges.append(adjacency_edges(pts) + first)
        prev_first, prev_n = first, n
    e = np.concatenate(edges)
    graph = AreaGraph.build(
        area_id=np.array(ids), parent_id=np.array(parents), level=np.array(levels),
        edge_a=e[:, 0], edge_b=e[:, 1],
    )  # fmt: skip
    sizes = dict(
        zip(("districts", "streets", "communities", "compounds", "buildings"), counts, strict=True)
    )
    return graph, {**sizes, "edges": len(e)}


def build_checkins(
    n_persons: int, n_venues: int, days: int, visits: int, seed: int
) -> tuple[CheckinIndex, int]:
    rng = np.random.default_rng(seed + 1)
    work = rng.integers(0, n_venues, n_persons)
    tables = []
    for day in range(days):
        base = day * MINUTES_PER_DAY
        person = np.repeat(np.arange(n_persons, dtype=np.int32), visits)
        venue = rng.integers(0, n_venues, n_persons * visits).astype(np.int32)
        venue[::visits] = work  # the first visit of the day is the work stay
        start = base + rng.integers(7 * 60, 21 * 60, len(person))
        dur = rng.integers(10, 120, len(person))
        dur[::visits] = 480
        start[::visits] = base + 9 * 60
        tables.append(
            pa.table(
                {
                    "person_id": person,
                    "venue_id": venue,
                    "t_in": start.astype(np.int32),
                    "t_out": (start + dur).astype(np.int32),
                }
            )
        )
    index = CheckinIndex.build(tables, n_persons=n_persons, n_venues=n_venues)
    return index, sum(t.num_rows for t in tables)


def footprints(
    index: CheckinIndex,
    cases: np.ndarray,
    person_building: np.ndarray,
    venue_building: np.ndarray,
    window: tuple[int, int],
) -> Footprints:
    t0, t1 = window
    vc, vb, vm = [], [], []
    for k, p in enumerate(cases.tolist()):
        venue, t_in, t_out = index.of_person(p, t0, t1)
        vc.append(np.full(len(venue), k, np.int64))
        vb.append(venue_building[venue])
        vm.append(np.minimum(t_out, t1).astype(np.int64) - np.maximum(t_in, t0))
    return Footprints.of(
        home_building=person_building[cases],
        visit_case=np.concatenate(vc),
        visit_building=np.concatenate(vb),
        visit_minutes=np.concatenate(vm),
    )


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--buildings", type=int, default=100_000)
    parser.add_argument("--cases", type=int, default=500)
    parser.add_argument("--venues", type=int, default=20_000)
    parser.add_argument("--persons-per-building", type=int, default=2)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--visits", type=int, default=4)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    t = time.perf_counter()
    graph, sizes = build_city(args.buildings, args.seed)
    buildings = graph.ids_of_level(5)
    rng = np.random.default_rng(args.seed + 2)
    n_persons = len(buildings) * args.persons_per_building
    person_building = np.repeat(buildings, args.persons_per_building)
    venue_building = buildings[rng.integers(0, len(buildings), args.venues)]
    index, n_checkins = build_checkins(n_persons, args.venues, args.days, args.visits, args.seed)
    setup = time.perf_counter() - t
    rules = default_rules()
    window = ((args.days - 5) * MINUTES_PER_DAY, args.days * MINUTES_PER_DAY)
    city_counts = np.array([2, 3, 3, 4, 5, 5, 6, 8, 9, 10, 12, 14, 21, 32])

    timings: dict[str, list[float]] = {"footprints": [], "delineate": [], "rules": [], "total": []}
    result: dict[str, Any] = {}
    for r in range(args.rounds):
        cases = np.random.default_rng(args.seed + 10 + r).choice(
            n_persons, args.cases, replace=False
        )
        t0 = time.perf_counter()
        fp = footprints(index, cases, person_building, venue_building, window)
        t1 = time.perf_counter()
        drawn = delineate(graph, fp, rules.delineation)
        t2 = time.perf_counter()
        state = ZoneState.of(
            level=drawn.level, clear_days=np.full(len(drawn.unit), 6), group=drawn.group
        )
        new = np.zeros(len(drawn.unit), np.int64)
        new[np.random.default_rng(r).choice(len(drawn.unit), 50, replace=False)] = 1
        stepped = step(state, new_cases=new, city_cases=city_counts, rules=rules)
        t3 = time.perf_counter()
        for key, value in zip(timings, (t1 - t0, t2 - t1, t3 - t2, t3 - t0), strict=True):
            timings[key].append(value)
        result = {
            "visits": len(fp.visit_case),
            "zones": drawn.counts(),
            "sources": len(drawn.source_row),
            "transitions": len(stepped.transitions),
            "surge": stepped.surge,
        }
    medians = {k: statistics.median(v) for k, v in timings.items()}
    report = {
        "benchmark": "zones",
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
        },
        "loadavg": os.getloadavg(),
        "args": vars(args),
        "city": {**sizes, "persons": n_persons, "venues": args.venues, "checkins": n_checkins},
        "setup_seconds": round(setup, 2),
        "median_seconds": {k: round(v, 4) for k, v in medians.items()},
        "runs_seconds": {k: [round(x, 4) for x in v] for k, v in timings.items()},
        "result": result,
        "target_seconds": 1.0,
        "meets_target": medians["total"] < 1.0,
    }
    print(
        f"## Zones: {sizes['buildings']:,} buildings, {args.cases} cases "
        f"(median of {args.rounds})\n"
    )
    print("| step | median (s) | runs (s) |")
    print("|---|---:|---|")
    for key in timings:
        runs = ", ".join(f"{x:.3f}" for x in timings[key])
        print(f"| {key} | {medians[key]:.3f} | {runs} |")
    z = result["zones"]
    print(
        f"\n{result['visits']:,} check-ins of the cases; zones: {z['lockdown']:,} lockdown, "
        f"{z['control']:,} control, {z['prevention']:,} prevention; "
        f"{result['transitions']:,} transitions; load average {os.getloadavg()[0]:.2f}\n"
    )
    print(json.dumps(report))
    return report


if __name__ == "__main__":
    main()
