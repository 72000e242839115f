"""Time the three-tier distribution plan: 13 districts, 300 hubs/points, 200,000 households.

The network is Fuzhou-like (seed 1): one city centre, 13 district hubs (seven
urban districts within ~15 km of the centre, six counties 30-70 km out) and
286 community points around their hubs (300 nodes in all); 200,000 zone
households (60 % lockdown, 40 % control) spread over the points, sizes drawn
from the generator's household-size distribution.  Each point may be served
by its own district's hub and the nearest other one (``--extra-hubs``).
Capacities are scaled to the day's demand by ``--scenarios`` factors (1.3:
ample, every lockdown household can be served; 1.0: just enough in
aggregate; 0.85: short, the plan must say who cannot be served and why).
Times are of :func:`plan_distribution` (both HiGHS phases, reasons included),
median of ``--runs`` runs, with the solver's optimality gap.

    .venv/bin/python bench/bench_distribution.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from typing import Any

import numpy as np

from epicontrol.core.resources.distribution import (
    REASONS,
    Households,
    Network,
    Options,
    plan_distribution,
)

SIZES = np.arange(1, 9)
SIZE_P = np.array([0.25, 0.32, 0.2, 0.12, 0.06, 0.025, 0.015, 0.01])
BASKET = 1.7
#: Share of the communities per district: urban districts hold most (about 62 % of residents).
WEIGHTS = np.r_[[0.11] * 7, [0.0383] * 6]


def instance(
    *, households: int, points: int, factor: float, extra_hubs: int, seed: int = 1
) -> tuple[Network, Households]:
    rng = np.random.default_rng(seed)
    angle = np.linspace(0, 2 * np.pi, 13, endpoint=False)
    radius = np.r_[rng.uniform(4, 15, 7), rng.uniform(30, 70, 6)]
    hub_xy = np.c_[radius * np.cos(angle), radius * np.sin(angle)]
    pt_hub = np.r_[np.arange(13), rng.choice(13, points - 13, p=WEIGHTS / WEIGHTS.sum())]
    spread = np.where(pt_hub < 7, 3.0, 8.0)
    pt_xy = hub_xy[pt_hub] + rng.normal(0, 1, (points, 2)) * spread[:, None]
    share = rng.dirichlet(np.ones(points) * 3)
    hp = rng.choice(points, households, p=share)
    size = rng.choice(SIZES, households, p=SIZE_P / SIZE_P.sum())
    klass = (rng.random(households) < 0.4).astype(np.int64)
    demand_pt = np.bincount(hp, weights=size * BASKET, minlength=points)
    hh_pt = np.bincount(hp, minlength=points)
    demand_hub = np.bincount(pt_hub, weights=demand_pt, minlength=13)
    t1 = np.hypot(*hub_xy.T) * 1.3 / 40
    l2h: list[int] = []
    l2p: list[int] = []
    l2t: list[float] = []
    for p in range(points):
        d = np.hypot(*(hub_xy - pt_xy[p]).T) * 1.3
        others = [h for h in np.argsort(d).tolist() if h != pt_hub[p]][:extra_hubs]
        for h in sorted([int(pt_hub[p]), *others]):
            l2h.append(h)
            l2p.append(p)
            l2t.append(float(d[h] / 25))
    f = factor
    net = Network.of(
        centre_capacity_kg=[demand_hub.sum() * f],
        centre_vehicles=[int(np.ceil(demand_hub.sum() * f / 5000 / 2)) + 13],
        centre_vehicle_kg=[5000.0],
        hub_capacity_kg=demand_hub * f,
        hub_vehicles=np.ceil(demand_hub * f / 1500 / 2.5).astype(np.int64) + 1,
        hub_vehicle_kg=np.full(13, 1500.0),
        point_capacity_kg=demand_pt * f + 10,
        point_workers=np.ceil(hh_pt * f / (10 * 10)).astype(np.int64),
        point_doors_per_round=np.full(points, 10),
        leg1_centre=np.zeros(13, np.int64),
        leg1_hub=np.arange(13),
        leg1_hours=t1,
        leg2_hub=l2h,
        leg2_point=l2p,
        leg2_hours=l2t,
    )
    hh = Households.of(
        point=hp, klass=klass, size=size, priority=rng.integers(0, 4, households), n_points=points
    )
    return net, hh


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--households", type=int, default=200_000)
    ap.add_argument("--points", type=int, default=286)
    ap.add_argument("--scenarios", default="1.3,1.0,0.85")
    ap.add_argument("--extra-hubs", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=15.0)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows: list[dict[str, Any]] = []
    for factor in (float(v) for v in args.scenarios.split(",")):
        net, hh = instance(
            households=args.households, points=args.points, factor=factor,
            extra_hubs=args.extra_hubs,
        )  # fmt: skip
        times: list[float] = []
        plan = None
        for _ in range(args.runs):
            t0 = time.perf_counter()
            plan = plan_distribution(net, hh, options=Options(time_limit=args.time_limit))
            times.append(time.perf_counter() - t0)
        assert plan is not None
        lock = hh.klass == 0
        reasons = np.bincount(plan.reason[plan.reason >= 0], minlength=len(REASONS))
        rows.append(
            {
                "capacity_factor": factor,
                "nodes": 1 + net.n_hubs + net.n_points,
                "legs": len(net.leg1_hours) + len(net.leg2_hours),
                "households": len(hh.point),
                "median_s": round(statistics.median(times), 2),
                "runs_s": [round(t, 2) for t in times],
                "lockdown_served": int((plan.served & lock).sum()),
                "lockdown": int(lock.sum()),
                "control_served": int((plan.served & ~lock).sum()),
                "control": int((~lock).sum()),
                "gap_lockdown": plan.phases[0].gap,
                "gap_control": plan.phases[1].gap,
                "status": [p.status for p in plan.phases],
                "unserved_by_reason": {
                    REASONS[i]: int(c) for i, c in enumerate(reasons.tolist()) if c
                },
            }
        )
    print("| capacity × demand | nodes | households | median s (3 runs) | lockdown served | "
          "control served | gap lockdown | gap control |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(
            f"| {r['capacity_factor']} | {r['nodes']} | {r['households']:,} | {r['median_s']} | "
            f"{r['lockdown_served']:,}/{r['lockdown']:,} | {r['control_served']:,}/{r['control']:,}"
            f" | {r['gap_lockdown']:.2e} | {r['gap_control']:.2e} |"
        )
    doc = {
        "bench": "distribution",
        "rows": rows,
        "time_limit_s": args.time_limit,
        "loadavg": os.getloadavg(),
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(),
                    "processor": platform.processor(), "python": platform.python_version()},
    }  # fmt: skip
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
