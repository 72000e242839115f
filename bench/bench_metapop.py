"""Benchmark the metapopulation SEIR (issue 6, item 2): city and province scale.

Two synthetic metapopulations: ``--districts`` (default 13, a city: 8.3 M
residents, the Fuzhou-sized city) and ``--province-districts`` (default 100,
a province: 40 M residents), with district populations drawn from a
log-normal law, centroids scattered over ~150 km (resp. ~500 km) and a
gravity-model mobility matrix
(:func:`epicontrol.core.twin.metapop.gravity_mobility`, 10 % of time away).
Each is run ``--days`` (365) days from 10 infectious persons in district 0,
R0 2.5, latent 3 d, infectious 5 d:

* the ODE (:func:`~epicontrol.core.twin.metapop.simulate_ode`, DOP853,
  rtol 1e-10), and
* tau-leaping (:func:`~epicontrol.core.twin.metapop.simulate_tau_leap`),
  ``--runs`` (100) runs at ``--steps-per-day`` (4).

Each measure is timed ``--repeat`` (3) times after one untimed warm-up
(numba's cached kernel); the median is reported, with the load average and
the machine.

    .venv/bin/python bench/bench_metapop.py
    .venv/bin/python bench/bench_metapop.py --runs 20 --repeat 3
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

from epicontrol.core.twin.metapop import (
    Metapopulation,
    SEIRParams,
    final_size,
    gravity_mobility,
    simulate_ode,
    simulate_tau_leap,
)


def synthetic(n: int, total: int, spread_deg: float, seed: int) -> Metapopulation:
    """``n`` districts with ``total`` residents and gravity mobility."""
    rng = np.random.default_rng(seed)
    weights = rng.lognormal(0.0, 0.6, n)
    pop = np.maximum((weights / weights.sum() * total).astype(np.int64), 1000)
    lon = 119.3 + rng.uniform(-spread_deg, spread_deg, n)
    lat = 26.1 + rng.uniform(-spread_deg, spread_deg, n)
    m = gravity_mobility(pop, lon, lat, travel_fraction=0.1)
    return Metapopulation(tuple(f"D{i:03d}" for i in range(n)), pop, m)


def timed(fn: Any, repeat: int) -> tuple[float, Any]:
    fn()  # warm-up (numba cache, imports)
    times, result = [], None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--districts", type=int, default=13)
    ap.add_argument("--city-population", type=int, default=8_300_000)
    ap.add_argument("--province-districts", type=int, default=100)
    ap.add_argument("--province-population", type=int, default=40_000_000)
    ap.add_argument("--days", type=int, default=365)
    ap.add_argument("--runs", type=int, default=100)
    ap.add_argument("--steps-per-day", type=int, default=4)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()

    params = SEIRParams(r0=2.5, latent_period=3.0, infectious_period=5.0)
    rows: list[dict[str, Any]] = []
    for label, n, total, spread in (
        ("city", args.districts, args.city_population, 0.7),
        ("province", args.province_districts, args.province_population, 2.5),
    ):
        mp = synthetic(n, total, spread, args.seed)
        seeds = np.zeros(n, np.int64)
        seeds[0] = 10
        ode_s, ode = timed(
            lambda mp=mp, seeds=seeds: simulate_ode(
                mp, params, days=args.days, initial_infectious=seeds
            ),
            args.repeat,
        )
        tau_s, ens = timed(
            lambda mp=mp, seeds=seeds: simulate_tau_leap(
                mp,
                params,
                days=args.days,
                initial_infectious=seeds,
                runs=args.runs,
                seed=args.seed,
                steps_per_day=args.steps_per_day,
            ),
            args.repeat,
        )
        steps = args.runs * args.days * args.steps_per_day * n
        rows.append(
            {
                "scale": label,
                "districts": n,
                "population": int(mp.population.sum()),
                "days": args.days,
                "ode_s": round(ode_s, 4),
                "ode_attack_rate": round(ode.total_attack_rate, 5),
                "ode_peak_day": ode.peak_day,
                "tau_runs": args.runs,
                "tau_steps_per_day": args.steps_per_day,
                "tau_s": round(tau_s, 3),
                "tau_ms_per_run": round(1000 * tau_s / args.runs, 2),
                "tau_district_steps_per_s": round(steps / tau_s),
                "tau_attack_rate_mean": round(float(ens.total_attack_rate.mean()), 5),
                "tau_peak_day_mean": round(float(ens.peak_day.mean()), 1),
                "final_size_analytic": round(final_size(2.5), 5),
            }
        )
    figures = {
        "benchmark": "metapop",
        "repeat": args.repeat,
        "rows": rows,
        "loadavg": [round(x, 2) for x in os.getloadavg()],
        "machine": f"{platform.machine()} {os.cpu_count()} cpus, {platform.python_version()}",
    }
    cols = list(rows[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for row in rows:
        print("| " + " | ".join(str(row[c]) for c in cols) + " |")
    print(f"\nmedian of {args.repeat}; load average {figures['loadavg']}; {figures['machine']}\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
