"""Time every detector on 10,000 daily series × 3 years in one run (target: < 20 s in all).

``bench_surveillance.py`` compares the five NSSP detectors with pynssp side by
side; this script times all ten detectors of the registry on one matrix:
10,000 daily series × 1,092 days (weekday pattern, negative-binomial noise;
seed 1).  The daily detectors (EARS C1–C3, CUSUM, EWMA, regression, switch)
run on the daily matrix; the weekly ones (negative binomial, Serfling with 104
baseline weeks, and the improved Farrington with Noufaily's settings, the
``muan`` threshold and 2 years back) on the 156 weekly sums.  Each figure is
the median of ``--runs`` calls on the whole matrix after one warm-up call
(which compiles the numba kernels).

    .venv/bin/python bench/bench_detectors_other.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import time
from collections.abc import Callable
from typing import Any

import numba
import numpy as np

from epicontrol.core.surveillance import (
    cusum,
    ears,
    ewma,
    farrington,
    nbinom,
    regression,
    serfling,
    switch,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1_092)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n, t_len = args.series, args.days
    dow = np.array([1.25, 1.1, 1.0, 1.0, 1.0, 0.85, 0.8])
    mu = rng.uniform(2, 40, size=(n, 1)) * dow[np.arange(t_len) % 7][None, :]
    x = rng.poisson(rng.gamma(8, mu / 8)).astype(float)
    dates = np.datetime64("2023-01-02") + np.arange(t_len)  # a Monday
    weeks = t_len // 7
    weekly = x[:, : weeks * 7].reshape(n, weeks, 7).sum(axis=2)
    wdates = dates[6::7][:weeks]  # week-ending Sundays
    end = str(wdates[103])
    far = {**farrington.NOUFAILY_DEFAULTS, "threshold_method": "muan", "b": 2}
    detectors: dict[str, tuple[str, Callable[[], Any]]] = {
        "ears-c1": ("daily", lambda: ears.ears_c1(x, dates)),
        "ears-c2": ("daily", lambda: ears.ears_c2(x, dates)),
        "ears-c3": ("daily", lambda: ears.ears_c3(x, dates)),
        "cusum": ("daily", lambda: cusum.cusum(x, dates)),
        "ewma": ("daily", lambda: ewma.ewma(x, dates)),
        "regression": ("daily", lambda: regression.regression(x, dates)),
        "switch": ("daily", lambda: switch.switch(x, dates)),
        "nbinom": ("weekly", lambda: nbinom.nbinom(weekly, wdates, baseline_end=end)),
        "serfling": ("weekly", lambda: serfling.serfling(weekly, wdates, baseline_end=end)),
        "farrington": ("weekly", lambda: farrington.farrington_flexible(weekly, wdates, **far)),
    }
    load_before = os.getloadavg()
    rows: list[dict[str, Any]] = []
    for name, (freq, fn) in detectors.items():
        fn()  # warm-up: compile
        times = []
        for _ in range(args.runs):
            t0 = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t0)
        rows.append(
            {
                "detector": name,
                "data": freq,
                "seconds": round(statistics.median(times), 3),
                "runs_s": [round(v, 3) for v in times],
                "alarms": int(result.alarm.sum()),
            }
        )
    total = sum(r["seconds"] for r in rows)
    print(f"\n{n:,} series × {t_len} days (weekly: {weeks} weeks); median of {args.runs}\n")
    print("| detector | data | seconds | alarms |")
    print("|---|---|---|---|")
    for r in rows:
        print(f"| {r['detector']} | {r['data']} | {r['seconds']:.2f} s | {r['alarms']:,} |")
    print(f"| **all ten** | | **{total:.2f} s** | |\n")
    env = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
    }
    print(json.dumps({"rows": rows, "total_s": round(total, 3), "environment": env}, indent=2))


if __name__ == "__main__":
    main()
