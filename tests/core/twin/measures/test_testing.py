"""Symptomatic testing: who seeks a test and when, the lab's turnaround, sensitivity, triggers."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pytest

from epicontrol.core.twin.measures import build_measure, registry_of
from epicontrol.core.twin.measures.registry import SYMPTOMATIC
from epicontrol.core.twin.params import HOME_QUARANTINE
from epicontrol.core.twin.sim import Sim

from ._chain_helpers import chain, grid_population, quiet_params

N = 20_000
#: Everybody symptomatic: infected day 0, infectious day 2, onset day 3 (seen from day 4).
SYMPTOMATIC_ALL = {"age.p_symptomatic": [1.0]}


def symptomatic_sim(
    n: int = N, severe: bool = False, before: tuple[Any, ...] = (), **params: Any
) -> Sim:
    changes: dict[str, Any] = dict(SYMPTOMATIC_ALL)
    if severe:  # severe the day after onset: admitted from day 4, seen from day 5
        changes["age.p_severe"] = [1.0]
    measures = chain({"symptomatic_testing": params}, before=before)
    sim = Sim(grid_population(n), quiet_params(**changes), seed=5, measures=measures)
    sim.seed_infections(np.arange(n))
    return sim


def binomial_ok(k: float, n: float, p: float) -> bool:
    return abs(k - n * p) <= 4 * math.sqrt(n * p * (1 - p)) + 1e-9


def test_daily_test_probability_after_seek_delay() -> None:
    sim = symptomatic_sim(test_prob=0.2, turnaround_hours=0)
    sim.run(8)
    figs = registry_of(sim).figures(8)
    tests = figs["tests"]
    assert tests[:4].tolist() == [0, 0, 0, 0]
    left = N
    for d in range(4, 8):  # each day a fifth of those still untested (results same day)
        assert binomial_ok(tests[d], left, 0.2), (d, tests[d], left)
        left -= int(tests[d])
    np.testing.assert_array_equal(figs["positives"], tests)  # sensitivity 1, same day
    np.testing.assert_array_equal(figs["diagnosed"], tests)
    reg = registry_of(sim)
    assert (reg.found_by[reg.t_diagnosed >= 0] == SYMPTOMATIC).all()
    late = symptomatic_sim(test_prob=1.0, seek_delay=3, turnaround_hours=0)
    late.run(7)
    assert registry_of(late).figures(7)["tests"].tolist() == [0] * 6 + [N]


@pytest.mark.parametrize("turnaround", [0.0, 12.0, 30.0])
def test_result_day_and_hour_follow_turnaround(turnaround: float) -> None:
    """All sampled on day 4 at a uniform hour h; the result comes at h + turnaround."""
    sim = symptomatic_sim(test_prob=1.0, turnaround_hours=turnaround)
    sim.run(7)
    reg = registry_of(sim)
    assert registry_of(sim).figures(7)["tests"][4] == N
    lag = reg.t_diagnosed - 4
    hour = reg.report_hour.astype(np.float64)
    whole = math.floor(turnaround / 24)
    rest = turnaround - 24 * whole
    assert set(np.unique(lag).tolist()) <= {whole, whole + 1}
    # h = absolute result hour − turnaround must lie on day 4
    h = 24 * lag + hour - turnaround
    assert h.min() >= 0 and h.max() < 24
    assert binomial_ok((lag == whole + 1).sum(), N, rest / 24)
    assert abs(h.mean() - 12) < 4 * math.sqrt(24**2 / 12 / N)


def test_admitted_cases_always_tested_on_admission() -> None:
    sim = symptomatic_sim(severe=True, test_prob=0.0, turnaround_hours=0)
    sim.run(7)
    figs = registry_of(sim).figures(7)
    assert figs["tests_admitted"].tolist() == [0] * 5 + [N, 0]
    assert figs["tests"].tolist() == [0] * 5 + [N, 0]
    assert (registry_of(sim).t_diagnosed == 5).all()
    off = symptomatic_sim(severe=True, test_prob=0.0, test_admitted=False)
    off.run(7)
    assert registry_of(off).figures(7)["tests"].sum() == 0


def test_sensitivity_and_retest_after_negative() -> None:
    sim = symptomatic_sim(test_prob=1.0, sensitivity=0.7, turnaround_hours=0)
    sim.run(6)
    figs = registry_of(sim).figures(6)
    assert figs["tests"][4] == N
    assert binomial_ok(figs["positives"][4], N, 0.7)
    assert figs["tests"][5] == N - figs["positives"][4]  # the negatives seek again next day
    assert binomial_ok(figs["positives"][5], figs["tests"][5], 0.7)


def test_start_day_and_trigger() -> None:
    sim = symptomatic_sim(test_prob=1.0, turnaround_hours=0, start_day=6)
    sim.run(7)
    assert registry_of(sim).figures(7)["tests"].tolist() == [0] * 6 + [N]

    class MildFirstHalf:  # the first half never becomes severe (the severity hook)
        def start(self, s: Sim) -> None:
            s.rel_sev[: N // 2] = 0.0

        def apply(self, s: Sim, day: int) -> None:
            pass

    def run(trigger: int) -> np.ndarray:
        s = symptomatic_sim(severe=True, before=(MildFirstHalf(),), test_prob=1.0,
                        turnaround_hours=0, start_after_diagnoses=trigger)  # fmt: skip
        s.run(8)
        return registry_of(s).figures(8)["tests"]

    # without a trigger everybody is tested on day 4, while still mild
    assert run(0).tolist() == [0, 0, 0, 0, N, 0, 0, 0]
    # with one: only admissions until the 100th diagnosis (day 5), the mild half from day 6
    assert run(100).tolist() == [0, 0, 0, 0, 0, N // 2, N // 2, 0]


def test_quarantined_symptomatic_are_tested() -> None:
    class QuarantineFirstHalf:
        def start(self, s: Sim) -> None:
            registry_of(s).isolate(s, np.arange(N // 2), HOME_QUARANTINE)

        def apply(self, s: Sim, day: int) -> None:
            pass

    sim = symptomatic_sim(before=(QuarantineFirstHalf(),), test_prob=0.0, turnaround_hours=0)
    sim.run(5)
    reg = registry_of(sim)
    assert reg.figures(5)["tests"][4] == N // 2
    assert (reg.t_diagnosed[: N // 2] == 4).all() and (reg.t_diagnosed[N // 2 :] == -1).all()
    assert not reg.community[: N // 2].any()


def test_same_seed_same_figures() -> None:
    def run(seed: int) -> dict[str, np.ndarray]:
        measures = chain({"symptomatic_testing": {"sensitivity": 0.8}})
        sim = Sim(grid_population(5000), quiet_params(**SYMPTOMATIC_ALL), seed=seed,
                  measures=measures)  # fmt: skip
        sim.seed_infections(np.arange(5000))
        sim.run(10)
        return registry_of(sim).figures(10)

    a, b, c = run(3), run(3), run(4)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert not np.array_equal(a["tests"], c["tests"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"test_prob": 1.2}, r"symptomatic_testing\.test_prob: .*less than or equal to 1"),
        ({"seek_delay": 0}, r"symptomatic_testing\.seek_delay: .*greater than or equal to 1"),
        ({"sensitivity": 0}, r"symptomatic_testing\.sensitivity: .*greater than 0"),
        ({"turnaround_hours": -1}, r"symptomatic_testing\.turnaround_hours: "),
        ({"start_day": -2}, r"symptomatic_testing\.start_day: "),
        ({"prob": 0.3}, r"symptomatic_testing\.prob: Extra inputs"),
    ],
)
def test_bad_params(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_measure("symptomatic_testing", params)
