"""Benchmark quarantine assignment (HiGHS) and transfer planning (OR-Tools routing).

Instance (seeded): ``--households`` households (sizes 1 + Poisson(1.86), at most 8:
≈ 2.86 persons each, so 3,500 households ≈ 10,000 contacts) living around
``--clusters`` case locations (σ 3 km) in a 60 × 60 km city; ``--sites`` sites
uniform in the city with 150 rooms on average (Dirichlet(5) split), partly
occupied so that the rooms left are ``--slack`` × the contacts; 40 % of the
sites accessible with 3–8 % accessible rooms; 2 % of the persons need one.

Per round (``--rounds``, default 3, medians reported): the assignment of the
large instance (seconds, objective, proven bound, gap, bound source), the
transfer plan of its result (seconds, batches, late persons), and a small
instance (``--small-households``, ≈ 300 persons) against the exact optimum of
the full model solved by scipy's MILP (no pruning, gap 0).

    .venv/bin/python bench/bench_quarantine.py
    .venv/bin/python bench/bench_quarantine.py --slack 1.3 --rounds 3
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

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from epicontrol.core.operations.assignment import AssignmentOptions, assign
from epicontrol.core.operations.transfers import TransferOptions, plan_transfers


def instance(seed: int, households: int, sites: int, slack: float, clusters: int) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    sizes = np.clip(rng.poisson(1.86, households) + 1, 1, 8)
    hid = np.repeat(np.arange(households), sizes)
    n = len(hid)
    centres = rng.uniform(0, 60, (clusters, 2))
    c = rng.integers(0, clusters, households)
    hx = centres[c, 0] + rng.normal(0, 3.0, households)
    hy = centres[c, 1] + rng.normal(0, 3.0, households)
    rooms_total = np.round(rng.dirichlet(np.full(sites, 5.0)) * 150 * sites).astype(int)
    free_share = slack * n / rooms_total.sum()
    occupied = np.clip(rng.beta(2, 2, sites) * 2 * (1 - free_share), 0, 0.98)
    rooms = np.floor(rooms_total * (1 - occupied)).astype(int)
    accessible = rng.random(sites) < 0.4
    acc_rooms = np.where(accessible, np.floor(rooms * rng.uniform(0.03, 0.08, sites)), 0)
    return dict(
        person_ids=np.arange(n),
        household_ids=hid,
        x=hx[hid],
        y=hy[hid],
        needs_accessible=rng.random(n) < 0.02,
        site_ids=np.arange(sites),
        site_x=rng.uniform(0, 60, sites),
        site_y=rng.uniform(0, 60, sites),
        rooms=rooms,
        accessible=accessible,
        accessible_rooms=acc_rooms.astype(int),
    )


def exact(inst: dict[str, Any]) -> tuple[int, float]:
    """Lexicographic optimum of the full model with scipy's MILP (independent code)."""
    from scipy.optimize import Bounds, LinearConstraint, milp
    from scipy.sparse import coo_matrix

    hid, need = inst["household_ids"], inst["needs_accessible"]
    m = len(inst["site_ids"])
    acc_site = inst["accessible"] | (inst["accessible_rooms"] > 0)
    hh = []
    for h in np.unique(hid):
        mem = np.flatnonzero(hid == h)
        d = np.hypot(
            inst["x"][mem][:, None] - inst["site_x"], inst["y"][mem][:, None] - inst["site_y"]
        ).sum(axis=0)
        hh.append((len(mem), int(need[mem].sum()), d))
    cols = [(h, k) for h in range(len(hh)) for k in range(m) if not hh[h][1] or acc_site[k]]
    rows, cs, vals = [], [], []
    H = len(hh)
    for c, (h, k) in enumerate(cols):
        rows += [h, H + k, H + m + k]
        cs += [c, c, c]
        vals += [1.0, float(hh[h][0]), float(hh[h][1])]
    a = coo_matrix((vals, (rows, cs)), shape=(H + 2 * m, len(cols))).tocsr()
    cons = LinearConstraint(a, -np.inf, np.concatenate([np.ones(H), inst["rooms"],
                                                        inst["accessible_rooms"]]))  # fmt: skip
    size = np.array([hh[h][0] for h, _ in cols], float)
    cost = np.array([hh[h][2][k] for h, k in cols])
    integ = np.ones(len(cols))
    first = milp(-size, constraints=cons, integrality=integ, bounds=Bounds(0, 1))
    best = round(-first.fun)
    second = milp(
        cost, constraints=[cons, LinearConstraint(size[None, :], best, np.inf)],
        integrality=integ, bounds=Bounds(0, 1), options={"mip_rel_gap": 0},
    )  # fmt: skip
    return best, float(second.fun)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--households", type=int, default=3500)
    ap.add_argument("--sites", type=int, default=200)
    ap.add_argument("--slack", type=float, default=1.6)
    ap.add_argument("--clusters", type=int, default=20)
    ap.add_argument("--time-limit", type=float, default=9.0)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--small-households", type=int, default=105)
    ap.add_argument("--small-sites", type=int, default=10)
    args = ap.parse_args()
    rounds: list[dict[str, Any]] = []
    for r in range(args.rounds):
        inst = instance(args.seed + r, args.households, args.sites, args.slack, args.clusters)
        t = time.perf_counter()
        res = assign(**inst, options=AssignmentOptions(time_limit=args.time_limit))
        seconds = time.perf_counter() - t
        placed = res.site >= 0
        hid = inst["household_ids"][placed]
        _, first = np.unique(hid, return_index=True)
        stops = np.flatnonzero(placed)[first]
        t = time.perf_counter()
        plan = plan_transfers(
            res.site[stops], inst["x"][stops], inst["y"][stops],
            np.bincount(np.unique(hid, return_inverse=True)[1]), np.full(len(stops), 360),
            inst["site_ids"], inst["site_x"], inst["site_y"], ready=30,
            options=TransferOptions(),
        )  # fmt: skip
        t_plan = time.perf_counter() - t
        small = instance(1000 + r, args.small_households, args.small_sites, 1.1, 4)
        t = time.perf_counter()
        sres = assign(**small)
        t_small = time.perf_counter() - t
        persons, optimum = exact(small)
        rounds.append(
            {
                "persons": res.persons,
                "assigned": res.assigned,
                "seconds": round(seconds, 3),
                "objective": res.total_cost,
                "bound": res.bound,
                "gap": res.gap,
                "bound_source": res.bound_source,
                "lp_seconds": res.stats.get("lp_seconds"),
                "transfer_seconds": round(t_plan, 3),
                "batches": len(plan.batches),
                "late_persons": int(
                    sum(
                        n
                        for n, rr in zip(
                            np.bincount(np.unique(hid, return_inverse=True)[1]),
                            plan.late_reason,
                            strict=True,
                        )
                        if rr
                    )
                ),
                "small_persons": sres.persons,
                "small_seconds": round(t_small, 3),
                "small_objective": sres.total_cost,
                "small_optimum": optimum,
                "small_exact": bool(
                    sres.assigned == persons and abs(sres.total_cost - optimum) <= 1e-6 * optimum
                ),
            }
        )
        print(f"round {r + 1}: {rounds[-1]}", file=sys.stderr)

    def med(key: str) -> float:
        return float(statistics.median(float(x[key]) for x in rounds))

    summary = {
        "machine": {
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "loadavg": os.getloadavg(),
            "python": platform.python_version(),
        },
        "args": vars(args),
        "median": {
            k: med(k)
            for k in (
                "persons",
                "seconds",
                "objective",
                "bound",
                "gap",
                "transfer_seconds",
                "batches",
                "late_persons",
                "small_seconds",
            )
        },
        "small_all_exact": all(x["small_exact"] for x in rounds),
        "rounds": rounds,
    }
    m = summary["median"]
    print("| instance | persons | seconds | objective (person-km) | bound | gap |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| {args.households} households, {args.sites} sites, slack {args.slack} | "
          f"{m['persons']:.0f} | {m['seconds']:.2f} | {m['objective']:,.1f} | {m['bound']:,.1f} "
          f"| {m['gap']:.4%} |")  # fmt: skip
    print(f"| transfers ({m['batches']:.0f} batches, {m['late_persons']:.0f} late) | | "
          f"{m['transfer_seconds']:.2f} | | | |")  # fmt: skip
    print(f"| small, {args.small_households} households vs exact MILP | "
          f"{rounds[0]['small_persons']} | {m['small_seconds']:.2f} | exact: "
          f"{summary['small_all_exact']} | | 0 |")  # fmt: skip
    print(json.dumps(summary, indent=2, default=str))


if __name__ == "__main__":
    main()
