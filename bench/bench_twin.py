"""Benchmark the twin's agent-based engine against Covasim 4.0.1 and Starsim 3.7.2.

Each measurement is a fresh process (peak RSS from ``getrusage``), run in
rounds so that every engine sees the same machine load; figures are medians
over ``--rounds`` (default 3).

* *ours* — the generated city of ``--population`` persons (untimed setup:
  ``generate_city`` + ``population_from_city``), the ``--preset`` (default
  ``omicron``; Covasim's own defaults are wild type, so ``--preset
  wild_type`` is the like-for-like comparison), 100 seeded infections, household
  / school / work / community layers, no measures; a 2,000-agent warm-up run
  first loads numba's cached kernels; the timed part is ``Sim(...).run(days)``.
* *covasim* — ``cv.Sim(pop_type='hybrid', pop_size=N, n_days=D,
  pop_infected=100)``: household / school / work / community layers, default
  (wild-type) parameters, no interventions; ``initialize()`` (population
  building) timed apart from ``run()``.
* *starsim* — ``ss.Sim`` with ``ss.SIR`` (day-scale beta 0.0125, 10-day
  infection) on ``ss.RandomNet(n_contacts=10)``, ``dt = 1 day``; ``init()``
  timed apart from ``run()``.

With ``--measures tracing`` every engine runs the same package (PEERS.md's
comparable configuration): symptomatic testing with probability 0.2 a day
and a 1-day delay to the result; contact tracing of household contacts with
probability 1.0, school and work 0.5, community 0.3 (Covasim: ``test_prob``
+ ``contact_tracing`` with 0–2-day trace times; ours: ``symptomatic_testing``
+ ``contact_tracing`` with the 1+4+6+24 stage delays and unlimited tracers,
as Covasim has no capacity); traced contacts in 14-day (home) quarantine.
Covasim 3.1.9 runs too when ``--covasim3-python`` exists (default
``bench/.venv-covasim3/bin/python``: ``python3 -m venv bench/.venv-covasim3
&& bench/.venv-covasim3/bin/pip install covasim==3.1.9``).  Starsim has no
such interventions; it runs its SIR as without measures, for scale.

Agent-days per second = N × D / run seconds.  Peers run with the Python of
``--peer-python`` (default ``bench/.venv-peers/bin/python``; create it with
``python3 -m venv bench/.venv-peers && bench/.venv-peers/bin/pip install
covasim==4.0.1 starsim==3.7.2``).  Every child gets ``OMP_WAIT_POLICY=passive``
(numba's OpenMP threads spin otherwise, which stalls parallel regions for up
to a second on a shared, oversubscribed machine).

    .venv/bin/python bench/bench_twin.py --population 1000000 --days 60 120
    .venv/bin/python bench/bench_twin.py --population 1000000 --days 60 --peers none
    .venv/bin/python bench/bench_twin.py --population 1000000 --days 120 --measures tracing
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]

COVASIM = r"""
import json, resource, sys, time
import covasim as cv
n, days, seed, measures = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
iv = []
if measures == "tracing":
    iv = [cv.test_prob(symp_prob=0.2, asymp_prob=0.0, test_delay=1),
          cv.contact_tracing(trace_probs=dict(h=1.0, s=0.5, w=0.5, c=0.3),
                             trace_time=dict(h=0, s=1, w=1, c=2))]
t0 = time.perf_counter()
sim = cv.Sim(pop_size=n, pop_type="hybrid", n_days=days, pop_infected=100, rand_seed=seed,
             verbose=0, interventions=iv, quar_period=14)
sim.initialize()
t1 = time.perf_counter()
sim.run()
t2 = time.perf_counter()
r = sim.results
print(json.dumps({"version": cv.__version__, "init_s": t1 - t0, "run_s": t2 - t1,
                  "attack_rate": float(r["cum_infections"][-1]) / n,
                  "diagnosed": float(r["cum_diagnoses"][-1]),
                  "quarantined": float(r["cum_quarantined"][-1]),
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))
"""

STARSIM = r"""
import json, resource, sys, time
import starsim as ss
n, days, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
t0 = time.perf_counter()
sim = ss.Sim(n_agents=n, start=ss.days(0), stop=ss.days(days), dt=ss.days(1), rand_seed=seed,
             verbose=0, networks=ss.RandomNet(n_contacts=10),
             diseases=ss.SIR(beta=ss.perday(0.0125), dur_inf=ss.lognorm_ex(mean=ss.days(10)),
                             init_prev=ss.bernoulli(p=100 / n)))
sim.init()
t1 = time.perf_counter()
sim.run()
t2 = time.perf_counter()
r = sim.results.sir
print(json.dumps({"version": ss.__version__, "init_s": t1 - t0, "run_s": t2 - t1,
                  "attack_rate": float(r.cum_infections[-1]) / n if "cum_infections" in r else None,
                  "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2}))
"""


def comparable_measures() -> list[Any]:
    """Covasim's comparable configuration in our measures (see the module docstring)."""
    from epicontrol.core.twin.measures import build_measure

    return [
        build_measure(
            "symptomatic_testing",
            {"test_prob": 0.2, "seek_delay": 1, "turnaround_hours": 24.0, "sensitivity": 1.0},
        ),
        build_measure(
            "contact_tracing",
            {
                "p_household": 1.0,
                "p_school": 0.5,
                "p_work": 0.5,
                "p_community": 0.3,
                "tracers": 1e9,  # Covasim's tracing has no capacity limit
                "depth": 1,
                "home_days": 14,
            },
        ),
    ]


def ours(args: argparse.Namespace) -> dict[str, Any]:
    """Child: one timed run of our engine on the generated city."""
    import numba as nb

    from epicontrol.core.city.generator import generate_city
    from epicontrol.core.city.params import CityParams
    from epicontrol.core.twin.layers import activity_from_city
    from epicontrol.core.twin.params import load_preset
    from epicontrol.core.twin.population import population_from_arrays, population_from_city
    from epicontrol.core.twin.sim import Sim

    params = load_preset(args.preset)
    t0 = time.perf_counter()
    city = generate_city(CityParams(population=args.population, days=7, seed=1))
    pop = population_from_city(city)
    activity = activity_from_city(city, pop, params) if args.checkins else None
    setup = time.perf_counter() - t0
    warm = population_from_arrays(
        age=(nb_range := __import__("numpy").arange(2000)) % 90, household=nb_range // 3
    )
    w = Sim(warm, params, seed=0)
    w.seed_random(5)
    w.run(5)
    sim = Sim(
        pop,
        params,
        seed=args.seed,
        start_weekday=city.params.start.weekday(),
        activity=activity,
        measures=comparable_measures() if args.measures == "tracing" else (),
    )
    sim.seed_random(100)
    t1 = time.perf_counter()
    res = sim.run(args.days[0])
    run_s = time.perf_counter() - t1
    summary = res.summary()
    extra: dict[str, Any] = {}
    if args.measures == "tracing":
        import numpy as np

        from epicontrol.core.twin.measures import registry_of

        figs = registry_of(sim).figures(res.days)
        extra = {
            "diagnosed": float(figs["diagnosed"].sum()),
            "quarantined": float(figs.get("traced_contacts", np.zeros(1)).sum()),
        }
    return extra | {
        "version": "(this repo)",
        "init_s": setup,
        "run_s": run_s,
        "attack_rate": summary["attack_rate"],
        "peak_hospital": summary["peak_hospital"],
        "threads": nb.get_num_threads(),
        "peak_rss_gb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2,
    }


def child(cmd: list[str], env: dict[str, str]) -> dict[str, Any]:
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=ROOT, check=False)
    lines = [ln for ln in out.stdout.splitlines() if ln.startswith("{")]
    if out.returncode != 0 or not lines:
        return {"error": (out.stderr or out.stdout).strip().splitlines()[-1:]}
    result: dict[str, Any] = json.loads(lines[-1])
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--population", type=int, default=1_000_000)
    ap.add_argument("--days", type=int, nargs="+", default=[60, 120])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--preset", default="omicron", choices=["omicron", "wild_type"])
    ap.add_argument(
        "--checkins", action="store_true", help="community layer from 7 days of check-ins"
    )
    ap.add_argument("--peers", nargs="+", default=["covasim", "starsim"],
                    help="covasim, starsim, or none")  # fmt: skip
    ap.add_argument("--peer-python", default=str(ROOT / "bench/.venv-peers/bin/python"))
    ap.add_argument(
        "--covasim3-python",
        default=str(ROOT / "bench/.venv-covasim3/bin/python"),
        help="a Python with covasim==3.1.9 (skipped when missing)",
    )
    ap.add_argument(
        "--measures",
        default="none",
        choices=["none", "tracing"],
        help="tracing: symptomatic testing + contact tracing + 14-day quarantine in every engine",
    )
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        print(json.dumps(ours(args)))
        return

    env = {**os.environ, "OMP_WAIT_POLICY": "passive", "STARSIM_INSTALL_FONTS": "0"}
    peers = [p for p in args.peers if p != "none"]
    if peers and not Path(args.peer_python).exists():
        print(f"peers skipped: {args.peer_python} not found", file=sys.stderr)
        peers = []
    load_before = os.getloadavg()
    runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
    for r in range(args.rounds):
        for days in args.days:
            cmd = [
                *(sys.executable, __file__, "--child", "--population", str(args.population)),
                *("--days", str(days), "--preset", args.preset, "--seed", str(args.seed + r)),
                *("--measures", args.measures),
            ]
            if args.checkins:
                cmd.append("--checkins")
            jobs = [("epicontrol", cmd)]
            tail = [str(args.population), str(days), str(args.seed + r), args.measures]
            for p in peers:
                if p == "covasim":
                    jobs.append(("covasim", [args.peer_python, "-c", COVASIM, *tail]))
                    if Path(args.covasim3_python).exists():
                        jobs.append(("covasim3", [args.covasim3_python, "-c", COVASIM, *tail]))
                else:
                    jobs.append((p, [args.peer_python, "-c", STARSIM, *tail]))
            for name, c in jobs:
                res = child(c, env) | {"loadavg": os.getloadavg()[0]}
                runs.setdefault((name, days), []).append(res)
                print(f"round {r + 1} {name} {days} d: {res}", file=sys.stderr, flush=True)

    rows = []
    for (name, days), rs in runs.items():
        ok = [x for x in rs if "error" not in x]
        if not ok:
            rows.append({"engine": name, "days": days, "error": rs[0].get("error")})
            continue
        run_s = statistics.median(x["run_s"] for x in ok)
        rows.append(
            {
                "engine": name,
                "version": ok[0].get("version"),
                "days": days,
                "runs": len(ok),
                "run_s": round(run_s, 2),
                "run_s_all": [round(x["run_s"], 2) for x in ok],
                "init_s": round(statistics.median(x["init_s"] for x in ok), 2),
                "agent_days_per_s": round(args.population * days / run_s),
                "attack_rate": ok[0].get("attack_rate"),
                "peak_rss_gb": round(max(x["peak_rss_gb"] for x in ok), 2),
            }
        )
    for x in rows:
        if "run_s" in x:
            ok = [y for y in runs[(x["engine"], x["days"])] if "error" not in y]
            for key in ("diagnosed", "quarantined"):
                if key in ok[0]:
                    x[key] = round(statistics.median(y[key] for y in ok))
    for days in args.days:
        mine = next((x for x in rows if x["engine"] == "epicontrol" and x["days"] == days), None)
        for x in rows:
            if mine and "run_s" in x and "run_s" in mine and x["days"] == days:
                x["speedup_of_epicontrol"] = round(x["run_s"] / mine["run_s"], 1)
    print(
        f"\n{args.population:,} agents, preset {args.preset}, measures {args.measures}, "
        f"medians of {args.rounds} rounds\n"
    )
    print(
        "| engine | days | run s (median) | setup s | agent-days/s | × ours | attack rate "
        "| diagnosed | quarantined | peak RSS GB |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for x in rows:
        if "error" in x:
            print(f"| {x['engine']} | {x['days']} | error: {x['error']} | | | | | | | |")
            continue
        ar = x["attack_rate"]
        print(
            f"| {x['engine']} {x['version']} | {x['days']} | {x['run_s']} | {x['init_s']} | "
            f"{x['agent_days_per_s']:,} | {x.get('speedup_of_epicontrol', '')} | "
            f"{'' if ar is None else round(ar, 3)} | {x.get('diagnosed', '')} | "
            f"{x.get('quarantined', '')} | {x['peak_rss_gb']} |"
        )
    doc = {
        "benchmark": "twin_engine",
        "population": args.population,
        "days": args.days,
        "rounds": args.rounds,
        "preset": args.preset,
        "measures": args.measures,
        "checkins": args.checkins,
        "rows": rows,
        "machine": {
            "platform": platform.platform(),
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "loadavg_before": load_before,
            "loadavg_after": os.getloadavg(),
        },
        "peak_rss_gb_parent": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2, 2
        ),
    }
    print(json.dumps(doc))


if __name__ == "__main__":
    main()
