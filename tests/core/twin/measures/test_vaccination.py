"""Vaccination: coverage by age band, oldest first, protection lag, efficacy against infection
and severe disease measured on runs of the engine (checked within their sampling error)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from epicontrol.core.twin.disease import EVER_INFECTED, EVER_SEVERE, EVER_SYMPTOMATIC, SEV, D
from epicontrol.core.twin.measures import build_measure, registry_of
from epicontrol.core.twin.measures.vaccination import EFFICACY_INFECTION, EFFICACY_SEVERE
from epicontrol.core.twin.population import Population, population_from_arrays
from epicontrol.core.twin.sim import Sim

from ._area_helpers import drive, still_params


def ages(n: int, seed: int = 0) -> Population:
    ids = np.arange(n)
    age = np.random.default_rng(seed).integers(0, 100, n)
    return population_from_arrays(age=age, household=ids)


def test_coverage_by_band_is_exact_and_protection_sets_the_factors() -> None:
    pop = ages(5000)
    vac = build_measure(
        "vaccination", {"coverage": {"60": 0.9, "12": 0.5}, "days_to_protection": 0}
    )
    sim = Sim(pop, still_params(), seed=2, measures=[vac])
    drive(sim, [0])
    protected = sim.rel_sus < 1
    for lo, hi, share in ((0, 12, 0.0), (12, 60, 0.5), (60, 121, 0.9)):
        band = (pop.age >= lo) & (pop.age < hi)
        assert protected[band].sum() == round(share * band.sum())
    assert np.allclose(sim.rel_sus[protected], 1 - EFFICACY_INFECTION)
    assert np.allclose(sim.rel_sev[protected], 1 - EFFICACY_SEVERE)
    assert (sim.rel_sus[~protected] == 1).all() and (sim.rel_sev[~protected] == 1).all()
    figs = registry_of(sim).figures(1)
    assert figs["doses"][0] == figs["vaccinated"][0] == figs["protected"][0] == protected.sum()
    assert abs(EFFICACY_SEVERE - (1 - 0.125 / 0.341)) < 5e-4


def test_doses_go_oldest_first_and_protect_after_the_lag() -> None:
    pop = ages(3000)
    vac = build_measure(
        "vaccination",
        {"coverage": {"0": 0.5}, "doses_per_day": 400, "start_day": 2, "days_to_protection": 3},
    )
    sim = Sim(pop, still_params(), seed=2, measures=[vac])
    vac_queue_head = np.zeros(0, np.int64)

    def before(day: int) -> None:
        nonlocal vac_queue_head
        if day == 3:  # two of the next in line die before their turn
            vac_queue_head = vac.queue[:2].copy()
            sim.state[vac_queue_head] = D

    protected_by_day = []
    for day in range(9):
        drive(sim, [day], before)
        protected_by_day.append(int((sim.rel_sus < 1).sum()))
    assert protected_by_day == [0, 0, 0, 0, 0, 400, 800, 1200, 1498]
    first = np.flatnonzero(vac.vaccinated_day == 2)
    later = np.flatnonzero(vac.vaccinated_day > 2)
    assert len(first) == 400 and pop.age[first].min() >= pop.age[later].max()
    assert (vac.vaccinated_day[vac_queue_head] == -1).all()
    figs = registry_of(sim).figures(9)
    assert figs["doses"].tolist() == [0, 0, 400, 400, 400, 298, 0, 0, 0]  # 1500 less the dead
    assert figs["vaccinated"][-1] == 1498 and figs["protected"][4] == 0


def test_same_seed_same_vaccinees() -> None:
    def chosen(seed: int) -> np.ndarray:
        vac = build_measure("vaccination", {"coverage": {"30": 0.4}, "doses_per_day": 50})
        sim = Sim(ages(2000), still_params(), seed=seed, measures=[vac])
        drive(sim, range(3))
        return vac.vaccinated_day.copy()

    assert np.array_equal(chosen(7), chosen(7))
    assert not np.array_equal(chosen(7), chosen(8))


def log_ratio(a: int, n_a: int, b: int, n_b: int) -> tuple[float, float]:
    """ln(1 - a/n_a) / ln(1 - b/n_b) and its delta-method standard error."""
    pa, pb = a / n_a, b / n_b
    la, lb = -math.log1p(-pa), -math.log1p(-pb)
    var_a, var_b = pa / ((1 - pa) * n_a), pb / ((1 - pb) * n_b)
    r = la / lb
    return r, r * math.sqrt(var_a / la**2 + var_b / lb**2)


def test_infection_among_the_vaccinated_is_reduced_by_the_efficacy() -> None:
    # one well-mixed community: every susceptible faces the same force of infection,
    # so P(escape) = exp(-rel_sus Λ) and ln(1 - AR_vacc) / ln(1 - AR_unvacc) = 1 - VE
    n, ve = 20_000, 0.6
    params = still_params(
        **{
            "layers.community.beta": 0.045,
            "durations.asymptomatic_to_recovered": {"dist": "fixed", "mean": 5.0},
        }
    )
    vac = build_measure(
        "vaccination",
        {"coverage": {"0": 0.5}, "efficacy_infection": ve, "days_to_protection": 0},
    )
    sim = Sim(ages(n), params, seed=4, measures=[vac])
    seeds = np.arange(0, n, 100)
    sim.seed_infections(seeds)
    sim.run(60)
    ever = (sim.history & EVER_INFECTED) != 0
    vacc = vac.vaccinated_day >= 0
    keep = np.ones(n, bool)
    keep[seeds] = False
    a, n_a = int((ever & vacc & keep).sum()), int((vacc & keep).sum())
    b, n_b = int((ever & ~vacc & keep).sum()), int((~vacc & keep).sum())
    assert 0.2 < b / n_b < 0.95  # an epidemic that leaves both groups informative
    ratio, se = log_ratio(a, n_a, b, n_b)
    assert abs(ratio - (1 - ve)) < 4 * se


def test_severity_among_the_vaccinated_is_reduced_by_the_efficacy() -> None:
    n, ve = 20_000, 0.7
    params = still_params(
        **{
            "age.p_symptomatic": [1.0],
            "age.p_severe": [0.4],
            "durations.infectious_to_symptomatic": {"dist": "fixed", "mean": 1.0},
        }
    )
    vac = build_measure(
        "vaccination",
        {"coverage": {"0": 0.5}, "efficacy_severe": ve, "days_to_protection": 0},
    )
    sim = Sim(ages(n), params, seed=5, measures=[vac])
    sim.seed_infections(np.arange(n))  # everybody infected: severity drawn at onset (day 2)
    sim.run(4)
    symp = (sim.history & EVER_SYMPTOMATIC) != 0
    assert symp.all()
    severe = (sim.history & EVER_SEVERE) != 0
    # severe is decided at onset: the agents bound for it are in the symptomatic → severe branch
    bound = severe | (sim.next_state == SEV)
    vacc = vac.vaccinated_day >= 0
    p_v, p_u = bound[vacc].mean(), bound[~vacc].mean()
    n_v, n_u = int(vacc.sum()), int((~vacc).sum())
    se = math.sqrt(p_v * (1 - p_v) / n_v / p_u**2 + p_v**2 * p_u * (1 - p_u) / n_u / p_u**4)
    assert abs(p_u - 0.4) < 4 * math.sqrt(0.24 / n_u)
    assert abs(p_v / p_u - (1 - ve)) < 4 * se


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({}, r"vaccination\.coverage: Field required"),
        ({"coverage": {}}, r"vaccination\.coverage: give at least one age band"),
        ({"coverage": {"130": 0.5}}, r"vaccination\.coverage: age band lower limits"),
        ({"coverage": {"60": 1.2}}, r"vaccination\.coverage: the share of band 60"),
        ({"coverage": {"sixty": 0.5}}, r"vaccination\.coverage\.sixty\.\[key\]"),
        ({"coverage": {"60": 0.8}, "efficacy_infection": 1.5}, r"vaccination\.efficacy_inf"),
        ({"coverage": {"60": 0.8}, "doses_per_day": 0}, r"vaccination\.doses_per_day"),
        ({"coverage": {"60": 0.8}, "days_to_protection": -1}, r"vaccination\.days_to_prot"),
        ({"coverage": {"60": 0.8}, "dose": 2}, r"vaccination\.dose: Extra inputs"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_measure("vaccination", params)
