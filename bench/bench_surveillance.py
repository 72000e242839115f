"""Benchmark the NSSP-ESSENCE detectors against pynssp on many daily series.

Generates ``--series`` daily series × 156 weeks (1,092 days, ~3 years;
deterministic: numpy ``default_rng(--seed)``) with a per-series level
(log-uniform 0.5 … 500 a day), a weekday pattern (weekend factor 0.4 … 0.9),
annual seasonality, negative-binomial noise and 0 … 3 injected outbreaks
(7 … 21 days, peak 1 … 3 × the level).  The daily detectors (EWMA,
regression, switch) run on the daily matrix; the weekly ones (negative
binomial, Serfling) on the weekly sums (weeks ending Sunday, as pynssp wants),
with the first 104 weeks as baseline.

Each of our detectors is timed over all series (median of ``--runs`` runs,
after one warm-up run that compiles the numba kernels).  pynssp is timed
series by series on ``--sample`` series per detector; its time for all series
is *extrapolated* (median per series × number of series).  Our alarms are
compared with pynssp's (red ``alert`` for EWMA/regression/switch, ``alarm``
for the weekly detectors) on that sample.

Prints a Markdown table and one JSON document.

    .venv/bin/python bench/bench_surveillance.py
    .venv/bin/python bench/bench_surveillance.py --series 10000 --runs 3 --sample 5
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import platform
import statistics
import time
import warnings
from collections.abc import Callable
from typing import Any

import numba
import numpy as np
from numpy.typing import NDArray

from epicontrol.core.surveillance.base import DetectionResult
from epicontrol.core.surveillance.ewma import ewma
from epicontrol.core.surveillance.nbinom import nbinom
from epicontrol.core.surveillance.regression import regression
from epicontrol.core.surveillance.serfling import serfling
from epicontrol.core.surveillance.switch import switch

START = np.datetime64("2021-01-04")  # a Monday: weeks Mon … Sun, labelled by their Sunday
WEEKS = 156
BASELINE_WEEKS = 104


def generate(
    n: int, seed: int
) -> tuple[
    NDArray[np.float64], NDArray[np.datetime64], NDArray[np.float64], NDArray[np.datetime64]
]:
    """Daily counts (n × 1092) and dates, weekly sums (n × 156) and week-ending Sundays."""
    rng = np.random.default_rng(seed)
    T = 7 * WEEKS
    dates = START + np.arange(T)
    dow = (dates.astype(np.int64) + 3) % 7
    day = np.arange(T)
    level = np.exp(rng.uniform(np.log(0.5), np.log(500.0), n))
    weekend = rng.uniform(0.4, 0.9, n)
    amp = rng.uniform(0.0, 0.4, n)
    phase = rng.uniform(0.0, 2 * np.pi, n)
    size = rng.uniform(5.0, 50.0, n)
    mu = level[:, None] * np.where(dow[None, :] >= 5, weekend[:, None], 1.0)
    mu = mu * (1.0 + amp[:, None] * np.cos(2 * np.pi * day[None, :] / 365.25 + phase[:, None]))
    outbreaks = rng.integers(0, 4, n)
    for s in np.flatnonzero(outbreaks):
        for _ in range(outbreaks[s]):
            length = int(rng.integers(7, 22))
            start = int(rng.integers(200, T - length))
            peak = rng.uniform(1.0, 3.0) * level[s]
            shape = 1.0 - np.abs(np.linspace(-1.0, 1.0, length))
            mu[s, start : start + length] += peak * shape
    counts = rng.negative_binomial(size[:, None], size[:, None] / (size[:, None] + mu))
    daily = counts.astype(np.float64)
    weekly = daily.reshape(n, WEEKS, 7).sum(axis=2)
    week_dates = dates[6::7]
    return daily, dates, weekly, week_dates


def timed(fn: Callable[[], DetectionResult], runs: int) -> tuple[float, DetectionResult]:
    """Median wall time of ``runs`` calls after one warm-up call; the last result."""
    result = fn()
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), result


def pynssp_runner(name: str) -> Callable[[NDArray[Any], NDArray[Any], str], Any] | None:
    """A function (counts, dates, baseline_end) -> (alarm, p or threshold) for one series."""
    try:
        import pandas as pd
        from pynssp.detectors.ewma import alert_ewma
        from pynssp.detectors.nbinom import alert_nbinom
        from pynssp.detectors.regression import alert_regression
        from pynssp.detectors.serfling import alert_serfling
        from pynssp.detectors.switch import alert_switch
    except ImportError:
        return None

    def run(y: NDArray[Any], d: NDArray[Any], end: str) -> tuple[NDArray[Any], NDArray[Any]]:
        df = pd.DataFrame({"date": pd.to_datetime(d), "count": y.astype(np.int64)})
        with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            if name == "ewma":
                r = alert_ewma(df)
            elif name == "regression":
                r = alert_regression(df)
            elif name == "switch":
                r = alert_switch(df)
            elif name == "nbinom":
                r = alert_nbinom(df, baseline_end=end)
            else:
                r = alert_serfling(df, baseline_end=end)
        if name in ("nbinom", "serfling"):
            return r["alarm"].to_numpy(bool), r["threshold"].to_numpy(float)
        return (r["alert"] == "red").to_numpy(bool), r["p_value"].to_numpy(float)

    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--series", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sample", type=int, default=5, help="series per detector for pynssp")
    parser.add_argument("--seed", type=int, default=20240601)
    args = parser.parse_args()

    load_before = os.getloadavg()
    daily, dates, weekly, week_dates = generate(args.series, args.seed)
    end = str(week_dates[BASELINE_WEEKS - 1])
    ours: dict[str, tuple[Callable[[], DetectionResult], NDArray[Any], NDArray[Any]]] = {
        "ewma": (lambda: ewma(daily, dates), daily, dates),
        "regression": (lambda: regression(daily, dates), daily, dates),
        "switch": (lambda: switch(daily, dates), daily, dates),
        "nbinom": (lambda: nbinom(weekly, week_dates, baseline_end=end), weekly, week_dates),
        "serfling": (lambda: serfling(weekly, week_dates, baseline_end=end), weekly, week_dates),
    }
    sample = np.unique(np.linspace(0, args.series - 1, args.sample).astype(int))
    rows = []
    for name, (fn, counts, d) in ours.items():
        seconds, result = timed(fn, args.runs)
        row: dict[str, Any] = {
            "detector": name,
            "series": args.series,
            "steps": int(counts.shape[1]),
            "ours_s": round(seconds, 3),
            "alarms": int(result.alarm.sum()),
        }
        runner = pynssp_runner(name)
        if runner is not None:
            per_series, equal, max_dev = [], 0, 0.0
            for s in sample:
                t0 = time.perf_counter()
                alarm, value = runner(counts[s], d, end)
                per_series.append(time.perf_counter() - t0)
                equal += bool(np.array_equal(alarm, result.alarm[s]))
                mine = result.threshold[s] if name in ("nbinom", "serfling") else result.p_value[s]
                both = np.isfinite(value) & np.isfinite(mine)
                if both.any():
                    max_dev = max(max_dev, float(np.max(np.abs(value[both] - mine[both]))))
            per = statistics.median(per_series)
            row.update(
                pynssp_per_series_s=round(per, 4),
                pynssp_extrapolated_s=round(per * args.series, 1),
                speedup=round(per * args.series / seconds, 1),
                sample=len(sample),
                alarms_equal=equal,
                max_abs_diff=max_dev,
                compared="threshold" if name in ("nbinom", "serfling") else "p_value",
            )
        rows.append(row)

    total = sum(r["ours_s"] for r in rows)
    env = {
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "numba_threads": numba.get_num_threads(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "load_average_before": [round(v, 2) for v in load_before],
        "load_average_after": [round(v, 2) for v in os.getloadavg()],
        "seed": args.seed,
        "runs": args.runs,
    }
    print(
        f"\n{args.series:,} daily series × {7 * WEEKS} days "
        f"(weekly detectors: {WEEKS} weeks, baseline {BASELINE_WEEKS}); "
        f"ours: median of {args.runs} runs; pynssp: {len(sample)} series per detector, "
        f"extrapolated to {args.series:,}\n"
    )
    print(
        "| detector | ours, all series | pynssp per series | pynssp extrapolated | speed-up "
        "| alarms equal (sample) | max abs diff (sample) |"
    )
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        if "pynssp_per_series_s" in r:
            print(
                f"| {r['detector']} | {r['ours_s']:.2f} s | {r['pynssp_per_series_s']:.3f} s "
                f"| {r['pynssp_extrapolated_s']:,.0f} s (extrapolated) | {r['speedup']:,.0f}× "
                f"| {r['alarms_equal']}/{r['sample']} "
                f"| {r['max_abs_diff']:.1e} ({r['compared']}) |"
            )
        else:
            print(f"| {r['detector']} | {r['ours_s']:.2f} s | — | — | — | — | — |")
    print(f"| **all five** | **{total:.2f} s** | | | | | |\n")
    print(json.dumps({"rows": rows, "total_ours_s": round(total, 3), "environment": env}, indent=2))


if __name__ == "__main__":
    main()
