"""Mass testing: who is found, tests against Dorfman's expectation, capacity and timing."""

from __future__ import annotations

import math

import numpy as np
import pytest

from epicontrol.core.operations.pooling import dorfman_accuracy, dorfman_tests_per_person
from epicontrol.core.twin.disease import CRIT, IA, IP, IS, SEV, E, R
from epicontrol.core.twin.measures import MeasureContext, build_measure, registry_of
from epicontrol.core.twin.measures.mass_testing import due_offsets
from epicontrol.core.twin.measures.registry import MASS_TESTING, SYMPTOMATIC
from epicontrol.core.twin.params import load_preset
from epicontrol.core.twin.population import Population, population_from_arrays
from epicontrol.core.twin.sim import Sim

from ._area_helpers import context, drive, residents_of, still_params, tiny_graph, town

GRAPH = tiny_graph()


def singles(n: int, districts: int = 1) -> Population:
    """``n`` agents living alone, ``districts`` districts of consecutive ids."""
    ids = np.arange(n)
    return population_from_arrays(
        age=np.full(n, 40),
        household=ids,
        community=ids // 100,
        district=ids * districts // n,
        building=ids // 5,
    )


def city_testing(pop: Population, days: int, infected: np.ndarray | None = None, **params: object):
    mt = build_measure("mass_testing", {"target": "city", **params}, context=MeasureContext())
    sim = Sim(pop, still_params(), measures=[mt])
    if infected is not None:
        sim.state[infected] = IA
    drive(sim, range(days))
    return sim, mt, registry_of(sim).figures(days)


def test_individual_tests_find_exactly_the_pcr_positive_residents_of_the_zones() -> None:
    pop = town(6)
    zones = build_measure("zones", {"draw_delay_hours": 0}, context=context(pop, GRAPH))
    once = {"daily_days": 1, "interval_days": 0}
    mt = build_measure(
        "mass_testing",
        {
            "pool_size": 1,
            "sensitivity": 1.0,
            "coverage": 1.0,
            "schedule": dict.fromkeys(("lockdown", "control", "prevention"), once),
        },
        context=MeasureContext(),
    )
    sim = Sim(pop, still_params(), measures=[mt, zones])  # the run's order
    reg = registry_of(sim)
    zoned = np.concatenate([residents_of(pop, b) for b in (9, 10, 11, 12, 13)])
    outside = np.concatenate([residents_of(pop, b) for b in (14, 15)])
    states = {1: IP, 2: IS, 3: IA, 7: SEV, 8: CRIT, 9: E, 13: R, 20: IA, 25: E}
    states |= {int(outside[0]): IA, int(outside[3]): IS}

    def before(day: int) -> None:
        if day == 0:
            reg.diagnose(sim, [0], 0, SYMPTOMATIC)  # draws the zones of building 9
        if day == 1:
            for i, s in states.items():
                sim.state[i] = s

    drive(sim, range(2), before)
    positive = {i for i, s in states.items() if s in (IP, IS, IA, SEV, CRIT) and i in zoned}
    found = set(np.flatnonzero(reg.found_by == MASS_TESTING).tolist())
    assert found == positive == {1, 2, 3, 7, 8, 20}
    assert (reg.t_diagnosed[sorted(found)] == 1).all()  # sampled on day 1, results at 12:00
    assert (reg.report_hour[sorted(found)] == 12).all()
    figs = reg.figures(2)
    assert figs["mass_sampled"].tolist() == [0, len(zoned) - 1]  # all but the case
    assert figs["mass_tests"].tolist() == [0, len(zoned) - 1]
    assert figs["mass_positives"].tolist() == [0, 6]
    assert figs["mass_round_done_hours"].tolist() == [0, 12]


@pytest.mark.parametrize(
    ("sensitivity", "specificity", "dilution"), [(1.0, 1.0, 0.0), (0.9, 0.99, 0.5)]
)
def test_pooled_tests_match_dorfman(
    sensitivity: float, specificity: float, dilution: float
) -> None:
    n, k, p = 20_000, 10, 0.03
    rng = np.random.default_rng(5)
    infected = rng.choice(n, size=int(p * n), replace=False)
    sim, _, figs = city_testing(
        singles(n),
        3,
        infected,
        pool_size=k,
        coverage=1.0,
        sensitivity=sensitivity,
        specificity=specificity,
        dilution=dilution,
    )
    tests = figs["mass_tests"].sum()
    expected = dorfman_tests_per_person(
        p, k, sensitivity=sensitivity, specificity=specificity, dilution=dilution
    )
    q = expected - 1 / k  # P(pool positive); tests per person = 1/k + k × positive pools / n
    se = math.sqrt(k * q * (1 - q) / n)
    assert abs(tests / n - expected) < 4 * se
    recall = dorfman_accuracy(
        p, k, sensitivity=sensitivity, specificity=specificity, dilution=dilution
    ).sensitivity
    found = (registry_of(sim).found_by == MASS_TESTING).sum()
    m = len(infected)
    assert abs(found / m - recall) < 4 * math.sqrt(max(recall * (1 - recall), 0) / m) + 1e-9
    assert set(np.flatnonzero(registry_of(sim).found_by).tolist()) <= set(infected.tolist())


def test_sampler_capacity_spreads_a_round_over_days() -> None:
    _, mt, figs = city_testing(
        singles(350), 6, coverage=1.0, samplers=2, samples_per_sampler_per_day=50
    )
    assert figs["mass_sampled"].tolist() == [100, 100, 100, 50, 0, 0]
    assert figs["mass_queue"].tolist() == [250, 150, 50, 0, 0, 0]
    assert figs["mass_tests"].tolist() == [10, 10, 10, 5, 0, 0]
    assert mt.round_log == [(0, 3 * 24 + 12.0)]
    assert figs["mass_round_done_hours"].tolist() == [0, 0, 0, 84, 0, 0]
    # the same capacity from the city's records
    mt2 = build_measure(
        "mass_testing",
        {"target": "city", "coverage": 1.0, "samples_per_sampler_per_day": 50},
        context=MeasureContext(capacity={"samplers": 2}),
    )
    sim2 = Sim(singles(350), still_params(), measures=[mt2])
    drive(sim2, range(6))
    assert registry_of(sim2).figures(6)["mass_sampled"].tolist() == [100, 100, 100, 50, 0, 0]


def test_lab_capacity_and_turnaround_delay_results() -> None:
    _, mt, figs = city_testing(singles(350), 10, coverage=1.0, lab_tests_per_day=4)
    assert figs["mass_tests"].tolist() == [4] * 8 + [3, 0]
    assert figs["mass_lab_backlog"][0] == 31 and figs["mass_lab_backlog"][8] == 0
    assert mt.round_log == [(0, 8 * 24 + 12.0)]
    # one positive in a pool of 10: pool result at 30 h, re-test result at 60 h: day 2, 12:00
    sim, mt, figs = city_testing(
        singles(50), 5, np.array([17]), coverage=1.0, sensitivity=1.0, turnaround_hours=30
    )
    reg = registry_of(sim)
    assert reg.t_diagnosed[17] == 2 and reg.report_hour[17] == 12
    assert figs["mass_tests"].tolist() == [5, 10, 0, 0, 0]  # 5 pools; 10 re-tests from 30 h
    assert mt.round_log == [(0, 60.0)]
    assert figs["mass_round_done_hours"][2] == 60.0 and figs["mass_positives"][2] == 1


def test_rounds_intervals_coverage_and_districts() -> None:
    pop = singles(2000, districts=2)
    mt = build_measure(
        "mass_testing",
        {
            "target": "districts",
            "districts": ["district 1"],
            "start_day": 2,
            "rounds": 3,
            "interval_days": 3,
            "coverage": 0.9,
        },
        context=MeasureContext(),
    )
    sim = Sim(pop, still_params(), measures=[mt])
    drive(sim, range(12))
    figs = registry_of(sim).figures(12)
    sampled = figs["mass_sampled"]
    assert np.flatnonzero(sampled).tolist() == [2, 5, 8]
    assert figs["mass_rounds"].sum() == 3
    se = math.sqrt(0.9 * 0.1 / 1000)
    assert all(abs(s / 1000 - 0.9) < 4 * se for s in sampled[[2, 5, 8]])
    assert not mt.queued.any()


def test_zone_levels_follow_their_schedules() -> None:
    assert np.flatnonzero(due_offsets(np.arange(16), 7, 2)).tolist() == [
        0,
        1,
        2,
        3,
        4,
        5,
        6,
        8,
        10,
        12,
        14,
    ]
    assert np.flatnonzero(due_offsets(np.arange(16), 4, 0)).tolist() == [0, 1, 2, 3]
    assert np.flatnonzero(due_offsets(np.arange(-2, 8), 0, 3)).tolist() == [2, 5, 8]
    pop = town(4)
    zones = build_measure("zones", {"draw_delay_hours": 0}, context=context(pop, GRAPH))
    mt = build_measure(
        "mass_testing",
        {"schedule": {"prevention": {"daily_days": 4, "interval_days": 0}}, "coverage": 1.0},
        context=MeasureContext(),
    )
    sim = Sim(pop, still_params(), measures=[mt, zones])
    drive(sim, range(8), lambda d: registry_of(sim).diagnose(sim, [0], d, SYMPTOMATIC))
    sampled = registry_of(sim).figures(8)["mass_sampled"]
    assert sampled.tolist() == [0, 12, 12, 12, 12, 0, 0, 0]  # buildings 11-13, days 1-4


def test_same_seed_same_result_in_a_running_epidemic() -> None:
    def once(seed: int) -> tuple[np.ndarray, dict[str, np.ndarray]]:
        pop = town(80)
        zones = build_measure("zones", {}, context=context(pop, GRAPH))
        mt = build_measure("mass_testing", {"sensitivity": 0.8}, context=MeasureContext())
        sim = Sim(pop, load_preset("omicron"), seed=seed, measures=[mt, zones])
        sim.seed_random(5)
        reg = registry_of(sim)
        sim.step()
        reg.diagnose(sim, np.flatnonzero(sim.state != 0)[:1], 0, SYMPTOMATIC)
        sim.run(20)
        return reg.t_diagnosed.copy(), reg.figures(21)

    a, fa = once(3)
    b, fb = once(3)
    assert np.array_equal(a, b) and fa.keys() == fb.keys()
    assert all(np.array_equal(fa[k], fb[k]) for k in fa)
    assert fa["mass_sampled"].sum() > 0 and fa["mass_positives"].sum() > 0
    c, _ = once(4)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"pool_size": 0}, r"mass_testing\.pool_size: Input should be greater"),
        ({"coverage": 1.5}, r"mass_testing\.coverage"),
        ({"target": "districts"}, r"mass_testing\.districts: target 'districts' needs"),
        ({"districts": ["a"]}, r"mass_testing\.districts: only for target 'districts'"),
        ({"rounds": 2}, r"mass_testing\.rounds: only for target 'city' or 'districts'"),
        ({"target": "city", "schedule": {}}, r"mass_testing\.schedule: only for target 'zones'"),
        (
            {"schedule": {"lockdown": {"daily_days": -1, "interval_days": 2}}},
            r"mass_testing\.schedule\.lockdown\.daily_days",
        ),
        ({"turnaround_hours": -1}, r"mass_testing\.turnaround_hours"),
        ({"samplers": -3}, r"mass_testing\.samplers"),
        ({"pool": 10}, r"mass_testing\.pool: Extra inputs"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_measure("mass_testing", params, context=MeasureContext())


def test_bad_run_setup_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"mass_testing\.lab_tests_per_day: must be a number"):
        build_measure(
            "mass_testing", {}, context=MeasureContext(capacity={"lab_tests_per_day": -1})
        )
    sim = Sim(singles(10), still_params(), measures=[build_measure("mass_testing", {})])
    with pytest.raises(ValueError, match=r"mass_testing\.target: 'zones' needs a zones measure"):
        sim.step()
    mt = build_measure("mass_testing", {"target": "districts", "districts": ["Futian"]})
    sim = Sim(singles(10), still_params(), measures=[mt])
    with pytest.raises(ValueError, match=r"mass_testing\.districts: unknown district 'Futian'"):
        sim.step()
