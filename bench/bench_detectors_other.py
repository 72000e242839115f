"""Time EARS C1-C3, CUSUM and the improved Farrington on 10,000 series.

The NSSP detectors are in ``bench_surveillance.py`` (side by side with pynssp);
this covers the others on a comparable matrix: 10,000 daily series × 1,092
days (weekday pattern, negative-binomial noise), median of 3 calls on the
whole matrix; Farrington on the weekly sums of ``--farrington-series`` of
them (it is the slow one), with Noufaily's settings and the ``muan`` threshold.

    .venv/bin/python bench/bench_detectors_other.py
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time

import numpy as np

from epicontrol.core.surveillance import cusum, ears, farrington


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--days", type=int, default=1_092)
    parser.add_argument("--farrington-series", type=int, default=1_000)
    args = parser.parse_args()
    rng = np.random.default_rng(1)
    n, t_len = args.series, args.days
    dow = np.array([1.25, 1.1, 1.0, 1.0, 1.0, 0.85, 0.8])
    mu = rng.uniform(2, 40, size=(n, 1)) * dow[np.arange(t_len) % 7][None, :]
    x = rng.poisson(rng.gamma(8, mu / 8)).astype(float)
    dates = np.datetime64("2023-01-02") + np.arange(t_len)
    rows = {}
    for name, func in (
        ("ears-c1", ears.ears_c1),
        ("ears-c2", ears.ears_c2),
        ("ears-c3", ears.ears_c3),
        ("cusum", cusum.cusum),
    ):
        func(x[:10], dates)  # compile
        times = []
        for _ in range(3):
            t0 = time.perf_counter()
            func(x, dates)
            times.append(time.perf_counter() - t0)
        rows[name] = statistics.median(times)
    weeks = t_len // 7
    weekly = x[:, : weeks * 7].reshape(n, weeks, 7).sum(axis=2)
    wdates = np.datetime64("2023-01-02") + 7 * np.arange(weeks)
    params = {**farrington.NOUFAILY_DEFAULTS, "threshold_method": "muan", "b": 2}
    m = min(args.farrington_series, n)
    t0 = time.perf_counter()
    farrington.farrington_flexible(weekly[:m], wdates, **params)
    far = time.perf_counter() - t0
    for name, sec in rows.items():
        print(f"| {name} | {n:,} × {t_len} days | {sec:.2f} s |")
    print(
        f"| farrington (muan) | {m:,} × {weeks} weeks | {far:.2f} s "
        f"(≈ {far * n / m:.0f} s for {n:,}) |"
    )
    print(
        json.dumps(
            {
                "seconds": rows,
                "farrington": {"series": m, "seconds": far},
                "load_average": os.getloadavg(),
            }
        )
    )


if __name__ == "__main__":
    main()
