"""Benchmark the mass-testing campaign plan (issue 5: 500,000 residents under 5 s).

A synthetic city of ``--population`` persons is generated in memory
(``generate_city``, one day, no lake); its communities are taken in id order
until ``--residents`` persons are covered (the zone set), with the city's
sampling sites inside the set and every lab.  The plan
(:func:`epicontrol.core.operations.campaign.plan_campaign`: sites, pools,
sampler shifts, lab min-cost flow, schedule) is timed ``--runs`` times after
one untimed warm-up (numba's cached pool kernel); the median is reported
with the plan's figures.

    .venv/bin/python bench/bench_campaign.py
    .venv/bin/python bench/bench_campaign.py --population 3000000 --residents 500000 --runs 5
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
import pyarrow.compute as pc

from epicontrol.core.city.generator import generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.city.schemas import LEVEL
from epicontrol.core.operations.campaign import CampaignInput, CampaignParams, plan_campaign


def zone_set(population: int, residents: int, seed: int) -> CampaignInput:
    """The first communities of a generated city holding ``residents`` persons."""
    city = generate_city(CityParams(population=population, days=1, seed=seed))
    a = city.areas
    ids = a.column("id").to_numpy().astype(np.int64)
    n = int(ids.max()) + 1
    parent = np.full(n, -1, np.int64)
    parent[ids] = pc.fill_null(a.column("parent_id"), -1).to_numpy().astype(np.int64)
    level = np.full(n, -1, np.int64)
    level[ids] = [LEVEL[v] for v in a.column("level").to_pylist()]
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    lon[ids] = a.column("lon").to_numpy(zero_copy_only=False)
    lat[ids] = a.column("lat").to_numpy(zero_copy_only=False)

    def up(node: np.ndarray, target: str) -> np.ndarray:
        out = node.copy()
        for _ in range(len(LEVEL)):
            move = level[out] > LEVEL[target]
            if not move.any():
                break
            out[move] = parent[out[move]]
        return out

    p = city.persons
    building = p.column("building_id").to_numpy().astype(np.int64)
    community = up(building, "community")
    unit = up(building, "compound")
    counts = np.bincount(community, minlength=n)
    comms = np.flatnonzero(counts)
    chosen = comms[np.cumsum(counts[comms]) <= residents]
    inside = np.isin(community, chosen)
    f = city.facilities
    kind = np.array(f.column("kind").to_pylist(), object)
    f_b = f.column("building_id").to_numpy().astype(np.int64)
    f_comm = up(f_b, "community")
    site = (kind == "sampling_site") & np.isin(f_comm, chosen)
    lab = kind == "lab"
    units = np.unique(unit[inside])
    f_id = f.column("id").to_numpy().astype(np.int64)
    return CampaignInput(
        person=p.column("id").to_numpy().astype(np.int64)[inside],
        household=p.column("household_id").to_numpy().astype(np.int64)[inside],
        building=building[inside],
        unit=unit[inside],
        community=community[inside],
        unit_id=units,
        unit_lon=lon[units],
        unit_lat=lat[units],
        site_facility=f_id[site],
        site_community=f_comm[site],
        site_lon=lon[f_b[site]],
        site_lat=lat[f_b[site]],
        site_samples_per_hour=pc.fill_null(f.column("samples_per_hour"), 0)
        .to_numpy()
        .astype(np.int64)[site],
        lab_facility=f_id[lab],
        lab_lon=lon[f_b[lab]],
        lab_lat=lat[f_b[lab]],
        lab_tests_per_day=pc.fill_null(f.column("tests_per_day"), 0)
        .to_numpy()
        .astype(np.int64)[lab],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--population", type=int, default=2_500_000)
    ap.add_argument("--residents", type=int, default=500_000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--samplers", type=int, default=None)
    args = ap.parse_args()
    t0 = time.perf_counter()
    data = zone_set(args.population, args.residents, args.seed)
    prepare = time.perf_counter() - t0
    params = CampaignParams()
    plan_campaign(data, params, samplers=args.samplers)  # warm-up (numba cache)
    seconds: list[float] = []
    plan = None
    for _ in range(args.runs):
        t0 = time.perf_counter()
        plan = plan_campaign(data, params, samplers=args.samplers)
        seconds.append(time.perf_counter() - t0)
    assert plan is not None
    figures: dict[str, Any] = {
        "population": args.population,
        "residents": plan.residents,
        "sites": len(plan.site_kind),
        "temporary_sites": int(plan.site_kind.sum()),
        "pools": len(plan.pool_site),
        "mean_pool_size": round(plan.residents / len(plan.pool_site), 3),
        "labs": int((plan.lab_pools > 0).sum()),
        "samplers": plan.samplers,
        "samplers_needed": plan.samplers_needed,
        "unsampled": plan.unsampled,
        "sampling_finish_h": round(plan.sampling_finish, 2),
        "finish_h": round(plan.finish, 2),
        "lab_tests_short": plan.lab_tests_short,
        "feasible": plan.feasible,
        "plan_seconds": [round(s, 3) for s in seconds],
        "plan_median_s": round(statistics.median(seconds), 3),
        "stage_seconds": {k: round(v, 3) for k, v in plan.solve_seconds.items()},
        "prepare_s": round(prepare, 1),
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
    }
    print("| measure | value |\n|---|---|")
    for key, value in figures.items():
        print(f"| {key} | {value} |")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
