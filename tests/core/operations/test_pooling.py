"""Dorfman pooled testing: closed forms, simulation, recall, pool size and pool formation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import binom

from epicontrol.core.operations.pooling import (
    dorfman_accuracy,
    dorfman_tests_per_person,
    form_pools,
    optimal_pool_size,
    pool_detection,
    simulate_dorfman,
)


@pytest.mark.parametrize("p", [0.0, 0.001, 0.01, 0.05, 0.2])
@pytest.mark.parametrize("k", [2, 5, 10, 20])
def test_perfect_test_is_dorfmans_closed_form(p: float, k: int) -> None:
    assert dorfman_tests_per_person(p, k) == pytest.approx(1 / k + 1 - (1 - p) ** k, abs=1e-12)


def test_individual_testing_costs_one_test() -> None:
    assert dorfman_tests_per_person(0.3, 1, sensitivity=0.9) == 1.0


def test_dorfman_1943_optimum() -> None:
    # Dorfman's table: p = 0.01 → k = 11, 0.196 tests per person; p = 0.05 → k = 5, 0.426
    assert optimal_pool_size(0.01)[0] == 11
    assert optimal_pool_size(0.01)[1] == pytest.approx(0.1956, abs=1e-4)
    k, e = optimal_pool_size(0.05)
    assert (k, round(e, 3)) == (5, 0.426)
    # pooling stops paying above p ≈ 0.31 (1 - 1/3**(1/3))
    assert optimal_pool_size(0.35)[0] == 1


def test_imperfect_test_closed_form_by_enumeration() -> None:
    """Enumerate every infection pattern of a pool of 4 and sum the probabilities."""
    p, k, se, sp, delta = 0.1, 4, 0.9, 0.97, 0.3
    det = pool_detection(k, se, delta)
    tests = recall_num = 0.0
    for pattern in itertools.product((0, 1), repeat=k):
        d = sum(pattern)
        prob = p**d * (1 - p) ** (k - d)
        called = det[d] if d else 1 - sp
        tests += prob * (1 + k * called)
        if pattern[0]:
            recall_num += prob * called * se
    acc = dorfman_accuracy(p, k, sensitivity=se, specificity=sp, dilution=delta)
    assert acc.tests_per_person == pytest.approx(tests / k, abs=1e-12)
    assert acc.sensitivity == pytest.approx(recall_num / p, abs=1e-12)
    assert dorfman_tests_per_person(
        p, k, sensitivity=se, specificity=sp, dilution=delta
    ) == pytest.approx(tests / k)


def test_recall_without_dilution_is_sensitivity_squared() -> None:
    acc = dorfman_accuracy(0.02, 10, sensitivity=0.95, specificity=0.99)
    assert acc.sensitivity == pytest.approx(0.95**2)
    # a negative is reported positive only when its pool and its re-test both are
    called = binom.pmf(0, 9, 0.02) * 0.01 + (1 - binom.pmf(0, 9, 0.02)) * 0.95
    assert acc.specificity == pytest.approx(1 - 0.01 * called)


@pytest.mark.parametrize(
    ("p", "k", "se", "sp", "delta"),
    [(0.01, 10, 1.0, 1.0, 0.0), (0.02, 10, 0.9, 0.99, 0.0), (0.05, 8, 0.95, 0.995, 0.2)],
)
def test_simulation_agrees_with_the_closed_forms(
    p: float, k: int, se: float, sp: float, delta: float
) -> None:
    n = 400_000
    sim = simulate_dorfman(
        p, k, n, sensitivity=se, specificity=sp, dilution=delta, rng=np.random.default_rng(5)
    )
    acc = dorfman_accuracy(p, k, sensitivity=se, specificity=sp, dilution=delta)
    # tests per person: standard error of a mean of n/k pool costs (each ≤ 1 + k)
    sd = np.sqrt(acc.positive_pools * (1 - acc.positive_pools)) * k / np.sqrt(n / k) / k
    assert abs(sim.tests_per_person - acc.tests_per_person) < 5 * sd + 1e-9
    se_recall = np.sqrt(acc.sensitivity * (1 - acc.sensitivity) / max(sim.positives, 1))
    assert abs(sim.recall - acc.sensitivity) < 5 * se_recall + 1e-9


def test_dilution_lowers_recall() -> None:
    plain = dorfman_accuracy(0.01, 10, sensitivity=0.95)
    diluted = dorfman_accuracy(0.01, 10, sensitivity=0.95, dilution=0.1)
    assert diluted.sensitivity < plain.sensitivity
    assert pool_detection(10, 0.95, 0.1)[1] == pytest.approx(0.95 * 0.1**0.1)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"p": 1.5, "k": 10}, "prevalence must be a probability in \\[0, 1\\], got 1.5"),
        ({"p": 0.01, "k": 0}, "pool_size must be an integer >= 1, got 0"),
        (
            {"p": 0.01, "k": 10, "sensitivity": 0.0},
            "sensitivity must be a probability in \\(0, 1\\]",
        ),
        ({"p": 0.01, "k": 10, "dilution": -1.0}, "dilution must be a number >= 0"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        dorfman_tests_per_person(**kwargs)  # type: ignore[arg-type]


def _city(rng: np.random.Generator, n_households: int) -> tuple[np.ndarray, ...]:
    sizes = rng.choice(
        [1, 2, 3, 4, 5, 6, 12], size=n_households, p=[0.25, 0.3, 0.2, 0.13, 0.06, 0.04, 0.02]
    )
    household = np.repeat(np.arange(n_households), sizes)
    building = household // 7
    site = building // 5
    person = rng.permutation(len(household)) + 1000
    return site, building, household, person


def test_pools_keep_households_and_sites() -> None:
    rng = np.random.default_rng(3)
    site, building, household, person = _city(rng, 3000)
    k = 10
    order, pool = form_pools(site, building, household, person, k)
    assert sorted(order.tolist()) == list(range(len(person)))
    assert (np.diff(pool) >= 0).all()
    sizes = np.bincount(pool)
    assert sizes.max() <= k and sizes.min() >= 1
    # one site per pool
    s = site[order]
    assert all(len(set(s[pool == j])) == 1 for j in range(0, pool.max() + 1, 7))
    # a household of at most k persons is in one pool
    h = household[order]
    hh_sizes = np.bincount(household)
    for hh in np.flatnonzero(hh_sizes <= k)[:500]:
        assert len(set(pool[h == hh])) == 1
    # nearly full pools: at most one non-full pool per site beyond the look-ahead misses
    assert len(person) / sizes.size > 9.5


def test_pools_without_households_are_runs_of_k() -> None:
    site = np.array([0] * 23 + [1] * 5)
    z = np.arange(28)
    order, pool = form_pools(site, z, z, z, 10, keep_households=False)
    assert np.bincount(pool).tolist() == [10, 10, 3, 5]
    assert order.tolist() == list(range(28))


def test_form_pools_bad_input() -> None:
    with pytest.raises(ValueError, match="building must be a 1-d array of 3 values"):
        form_pools([0, 0, 0], [1, 2], [0, 1, 2], [0, 1, 2], 10)
    with pytest.raises(ValueError, match="pool_size must be an integer >= 1"):
        form_pools([0], [0], [0], [0], 0)
