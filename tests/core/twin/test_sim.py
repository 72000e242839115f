"""The agent-based engine against analytic results and its own invariants."""

from __future__ import annotations

import math

import numba as nb
import numpy as np
import pytest
from scipy.optimize import brentq

from epicontrol.core.city.generator import generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.twin.disease import CRIT, IA, IP, IS, SEV, D, E, R, S
from epicontrol.core.twin.layers import DIRECT_P, CommunityActivity
from epicontrol.core.twin.params import (
    CENTRAL_QUARANTINE,
    COMMUNITY,
    HOUSEHOLD,
    TwinParams,
    load_preset,
)
from epicontrol.core.twin.population import Population, population_from_arrays, population_from_city
from epicontrol.core.twin.sim import LayerSchedule, Sim

ONE_BIN = {
    "age.cutoffs": [0],
    "age.rel_susceptibility": [1.0],
    "age.p_symptomatic": [0.0],
    "age.p_severe": [0.0],
    "age.p_critical": [0.0],
    "age.p_death": [0.0],
    "layers.community.contacts": [10.0],
    "layers.community.weekend_factor": 1.0,
    "transmission.rel_asymptomatic": 1.0,
    "transmission.dispersion": 0.0,
    "durations.exposed_to_infectious": {"dist": "fixed", "mean": 1.0},
    "durations.asymptomatic_to_recovered": {"dist": "fixed", "mean": 5.0},
    "layers.household.beta": 0.0,
    "layers.school.beta": 0.0,
    "layers.work.beta": 0.0,
    "layers.community.beta": 0.0,
}


def simple_params(**changes: float | list[float]) -> TwinParams:
    """All infections asymptomatic, infectious for exactly 5 days after 1 latent day."""
    return load_preset("wild_type").updated({**ONE_BIN, **changes})


def mixed_population(n: int, seed: int = 0) -> Population:
    """Households of 3, work teams of 20, 20 communities in 4 districts."""
    rng = np.random.default_rng(seed)
    ids = np.arange(n)
    return population_from_arrays(
        age=rng.integers(0, 95, n),
        household=ids // 3,
        community=ids // (n // 20),
        district=(ids // (n // 20)) // 5,
        work_group=np.where(ids % 3 == 0, ids // 60, -1),
        school_group=np.where(ids % 3 == 1, ids // 90, -1),
    )


def test_same_seed_same_run_any_thread_count() -> None:
    pop = mixed_population(60_000)
    params = load_preset("omicron")

    def run(threads: int, seed: int) -> Sim:
        nb.set_num_threads(threads)
        try:
            sim = Sim(pop, params, seed=seed)
            sim.seed_random(30)
            sim.run(25)
        finally:
            nb.set_num_threads(nb.config.NUMBA_NUM_THREADS)
        return sim

    a, b = run(1, 7), run(max(2, nb.config.NUMBA_NUM_THREADS), 7)
    assert a.results().new_infections.sum() > 1000
    for name in ("state", "t_infected", "infected_by", "infection_layer", "t_next", "rel_trans"):
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)
    np.testing.assert_array_equal(a.results().prevalence, b.results().prevalence)
    c = run(1, 8)
    assert not np.array_equal(a.t_infected, c.t_infected)


def test_conservation_and_outputs_consistent() -> None:
    pop = mixed_population(30_000)
    sim = Sim(pop, load_preset("wild_type"), seed=3)
    sim.seed_random(40)
    res = sim.run(60)
    assert (res.prevalence.sum(axis=1) == pop.n).all()
    assert res.new_infections.sum() > 500
    # Incidence by district and by layer add up to the incidence.
    np.testing.assert_array_equal(res.new_infections_by_district.sum(axis=1), res.new_infections)
    np.testing.assert_array_equal(res.new_infections_by_layer.sum(axis=1), res.new_infections)
    # Susceptibles fall by exactly the day's infections; cumulative = N - S.
    np.testing.assert_array_equal(-np.diff(res.prevalence[:, S]), res.new_infections[1:])
    np.testing.assert_array_equal(res.cum_infections, pop.n - res.prevalence[:, S])
    # Census columns are the severe / critical prevalence; deaths accumulate.
    np.testing.assert_array_equal(res.hospital, res.prevalence[:, SEV])
    np.testing.assert_array_equal(res.icu, res.prevalence[:, CRIT])
    np.testing.assert_array_equal(res.cum_deaths, res.prevalence[:, D])
    # Every infected agent has an infector infected earlier (or is a seed).
    inf = np.flatnonzero(sim.t_infected >= 0)
    src = sim.infected_by[inf]
    seeded = src == -2
    assert seeded.sum() == 40
    assert (sim.t_infected[src[~seeded]] < sim.t_infected[inf[~seeded]]).all()
    # last_infected: each day's transmissions, ascending.
    again = Sim(pop, load_preset("wild_type"), seed=3)
    again.seed_random(40)
    total = 0
    for _ in range(40):
        again.step()
        today = (again.t_infected == again.day - 1) & (again.infected_by >= 0)
        np.testing.assert_array_equal(again.last_infected, np.flatnonzero(today))
        total += len(again.last_infected)
    assert total == res.new_infections[:40].sum() > 100
    # The household infector of an agent lives in its household.
    hh = inf[sim.infection_layer[inf] == HOUSEHOLD]
    assert len(hh) and (pop.household[sim.infected_by[hh]] == pop.household[hh]).all()
    table = res.daily_table()
    assert table.num_rows == 60 and table.column("hospital").to_pylist() == list(res.hospital)
    dt = res.district_table()
    assert dt.num_rows == 60 * pop.n_districts
    assert sum(dt.column("new_infections").to_pylist()) == res.new_infections.sum()


def test_household_secondary_attack_rate() -> None:
    """Pairs: one index case infectious 5 days, per-contact hazard β → SAR = 1 − exp(−5β)."""
    n = 40_000
    beta = 0.1
    pop = population_from_arrays(age=np.full(n, 30), household=np.arange(n) // 2)
    sim = Sim(pop, simple_params(**{"layers.household.beta": beta}), seed=11)
    sim.seed_infections(np.arange(0, n, 2))
    sim.run(10)
    contacts = np.arange(1, n, 2)
    sar = (sim.t_infected[contacts] >= 0).mean()
    expected = 1 - math.exp(-beta * 5)
    se = math.sqrt(expected * (1 - expected) / len(contacts))
    assert abs(sar - expected) < 4 * se
    assert (sim.infection_layer[contacts][sim.t_infected[contacts] >= 0] == HOUSEHOLD).all()


@pytest.mark.parametrize("beta_c", [0.01, 0.04])
def test_one_day_infection_and_attribution_across_layers(beta_c: float) -> None:
    """Household and pool hazards compete: P = 1 − exp(−(x_h + x_c)), layer ∝ its hazard.

    Pairs (a source, a susceptible) in one pool where half the agents are
    infectious: x_h = β_h, x_c = β_c · 10 contacts · ½.  β_c = 0.01 puts the
    pool's bound on P below :data:`DIRECT_P` (thinned candidates), 0.04 above.
    """
    n, beta_h = 200_000, 0.15
    pop = population_from_arrays(age=np.full(n, 30), household=np.arange(n) // 2)
    params = simple_params(
        **{
            "layers.household.beta": beta_h,
            "layers.community.beta": beta_c,
            "layers.community.level_shares": [1.0, 0.0, 0.0],
        }
    )
    assert (1 - math.exp(-5 * beta_c) < DIRECT_P) == (beta_c == 0.01)
    sim = Sim(pop, params, seed=21)
    sim.seed_infections(np.arange(0, n, 2))
    sim.run(2)  # day 0: latent; day 1: every seed infectious with weight 1
    contacts = np.arange(1, n, 2)
    hit = sim.t_infected[contacts] == 1
    x_h, x_c = beta_h, 5 * beta_c
    p = 1 - math.exp(-(x_h + x_c))
    assert abs(hit.mean() - p) < 4 * math.sqrt(p * (1 - p) / len(contacts))
    layer = sim.infection_layer[contacts][hit]
    assert set(np.unique(layer)) == {HOUSEHOLD, COMMUNITY}
    share = x_h / (x_h + x_c)
    assert abs((layer == HOUSEHOLD).mean() - share) < 4 * math.sqrt(share * (1 - share) / hit.sum())
    by = sim.infected_by[contacts][hit]
    np.testing.assert_array_equal(by[layer == HOUSEHOLD], contacts[hit][layer == HOUSEHOLD] - 1)
    assert (by % 2 == 0).all()  # every infector is a seed


class HalveCommunity:
    """Area hook: community 1 keeps half of its community-layer contacts."""

    def apply(self, sim: Sim, day: int) -> None:
        sim.area_mult[COMMUNITY, 1] = 0.5


def test_pool_hazards_heterogeneous_activity_and_hooks() -> None:
    """Per-agent P(infection on day 1) against an independent recomputation of the pools.

    Activity 1, 4 or 16 contacts; rel_sus 0.3 for a fifth of the agents; one
    community at half contacts; pools at three levels (shares 0.5 / 0.3 / 0.2).
    """
    n, beta = 120_000, 0.01
    ids = np.arange(n)
    comm = ids // (n // 4)
    pop = population_from_arrays(
        age=np.full(n, 30), household=ids, community=comm, district=comm // 2
    )
    a = np.array([1.0, 4.0, 16.0], np.float32)[(ids // 2) % 3]
    params = simple_params(
        **{"layers.community.beta": beta, "layers.community.level_shares": [0.5, 0.3, 0.2]}
    )
    sim = Sim(pop, params, seed=5, activity=CommunityActivity(np.stack([a, a]), "test"),
              measures=[HalveCommunity()])  # fmt: skip
    sim.rel_sus[ids % 5 == 0] = 0.3
    sim.seed_infections(ids[ids % 2 == 0])
    sim.run(2)
    # Independent recomputation of each susceptible's day-1 hazard.
    m = np.where(comm == 1, 0.5, 1.0)
    am, w = a * m, (ids % 2 == 0).astype(float)
    x = np.zeros(n)
    for share, unit in ((0.5, comm), (0.3, comm // 2), (0.2, np.zeros(n, int))):
        ratio = np.bincount(unit, am * w) / np.bincount(unit, am)
        x += beta * share * am * ratio[unit]
    x *= sim.rel_sus
    p = 1 - np.exp(-x)
    sus = ids % 2 == 1
    hit = sim.t_infected == 1
    assert (sim.infection_layer[hit] == COMMUNITY).all()
    cells = (ids // 2) % 3 * 8 + comm * 2 + (ids % 5 == 0)
    for cell in np.unique(cells[sus]):
        sel = sus & (cells == cell)
        expected = p[sel].sum()
        assert abs(hit[sel].sum() - expected) < 4.5 * math.sqrt((p[sel] * (1 - p[sel])).sum())
    assert abs(hit[sus].sum() - p[sus].sum()) < 4 * math.sqrt((p[sus] * (1 - p[sus])).sum())


@pytest.mark.parametrize("r0", [1.5, 2.5])
def test_well_mixed_final_size(r0: float) -> None:
    """One community pool, SIR-like: attack rate → z = 1 − exp(−R0 z) for large N."""
    n = 60_000
    pop = population_from_arrays(age=np.full(n, 30), household=np.arange(n))
    params = simple_params(
        **{
            "layers.community.beta": r0 / (10 * 5),
            "layers.community.level_shares": [1.0, 0.0, 0.0],
        }
    )
    z = brentq(lambda x: x - (1 - math.exp(-r0 * x)), 1e-6, 1.0)
    rates = []
    for seed in (1, 2):
        sim = Sim(pop, params, seed=seed)
        sim.seed_random(60)
        res = sim.run(150)
        assert res.prevalence[-1, E] + res.prevalence[-1, IA] == 0  # epidemic over
        rates.append(res.summary()["attack_rate"])
    assert abs(float(np.mean(rates)) - z) < 0.02


def test_age_severity_matches_tables() -> None:
    n = 200_000
    rng = np.random.default_rng(5)
    pop = population_from_arrays(age=rng.integers(0, 100, n), household=np.arange(n))
    params = load_preset("wild_type")
    sim = Sim(pop, params, seed=2)
    sim.seed_infections(np.arange(n))
    res = sim.run(120)
    assert sim.census()["susceptible"] == 0 and res.prevalence[-1, [R, D]].sum() == n
    out = sim.outcomes_by_age()
    age = params.age
    for name, table in (
        ("symptomatic", age.p_symptomatic),
        ("severe", age.p_severe),
        ("critical", age.p_critical),
        ("dead", age.p_death),
    ):
        p = np.asarray(table)
        k = out["infected"]
        se = np.sqrt(p * (1 - p) / k)
        observed = out[name] / k
        assert (np.abs(observed - p) < 4.5 * se + 1e-4).all(), name
    # Census: everybody severe occupies a bed while severe.
    assert res.hospital.max() > 0 and res.icu.max() > 0


def test_layer_schedule_reduces_spread() -> None:
    pop = mixed_population(40_000)
    params = load_preset("omicron")

    def attack(measures: list[LayerSchedule]) -> float:
        sim = Sim(pop, params, seed=4, measures=measures)
        sim.seed_random(20)
        return float(sim.run(40).summary()["attack_rate"])

    base = attack([])
    reduced = attack(
        [LayerSchedule(layer, start=0, factor=0.3) for layer in ("school", "work", "community")]
    )
    late = attack([LayerSchedule("community", start=30, factor=0.3)])
    assert base > 0.5
    assert reduced < 0.5 * base
    assert reduced < late <= base


class QuarantineEveryone:
    """A measure through the isolation hook: everybody in central quarantine."""

    def start(self, sim: Sim) -> None:
        sim.isolation[:] = CENTRAL_QUARANTINE

    def apply(self, sim: Sim, day: int) -> None:
        pass


class LockCommunity:
    """A measure through the area hook: no contacts at all for one home community."""

    def __init__(self, community: int) -> None:
        self.community = community

    def apply(self, sim: Sim, day: int) -> None:
        sim.area_mult[:, self.community] = 0.0


def test_isolation_and_area_hooks() -> None:
    pop = mixed_population(30_000)
    params = load_preset("omicron")
    sim = Sim(pop, params, seed=5, measures=[QuarantineEveryone()])
    sim.seed_random(50)
    assert sim.run(30).new_infections.sum() == 0

    sim = Sim(pop, params, seed=5, measures=[LockCommunity(0)])
    seeds = sim.seed_random(50)
    res = sim.run(40)
    assert res.summary()["attack_rate"] > 0.4
    locked = pop.community == 0
    locked[seeds] = False
    assert locked.sum() > 1000 and (sim.t_infected[locked] == -1).all()


def test_per_agent_susceptibility_and_severity_hooks() -> None:
    n = 50_000
    pop = population_from_arrays(age=np.full(n, 75), household=np.arange(n))
    sim = Sim(pop, load_preset("wild_type"), seed=6)
    sim.rel_sev[: n // 2] = 0.0
    sim.seed_infections(np.arange(n))
    sim.run(60)
    ever_severe = (sim.history & 4) != 0
    assert ever_severe[: n // 2].sum() == 0 and ever_severe[n // 2 :].sum() > 1000
    # Symptom onset is recorded for the symptomatic.
    assert ((sim.t_onset >= 0) == ((sim.history & 2) != 0)).all()

    pop2 = mixed_population(20_000)
    sim = Sim(pop2, load_preset("omicron"), seed=6)
    sim.rel_sus[:] = 0.0
    sim.seed_random(20)
    assert sim.run(20).new_infections.sum() == 0


def test_generated_city_run() -> None:
    city = generate_city(CityParams(population=3_000, days=1, seed=7))
    pop = population_from_city(city)
    sim = Sim(pop, load_preset("omicron"), seed=1, start_weekday=city.params.start.weekday())
    seeds = sim.seed_random(3, district=pop.district_names[0])
    assert (pop.district[seeds] == 0).all()
    res = sim.run(30)
    assert res.new_infections.sum() > 100
    assert res.new_infections_by_district.shape == (30, 13)
    assert res.new_infections_by_layer[:, [HOUSEHOLD, COMMUNITY]].sum() > 0
    assert set(np.unique(sim.state)) <= {S, E, IP, IS, IA, SEV, CRIT, R, D}


def test_bad_input() -> None:
    pop = mixed_population(3_000)
    params = load_preset("omicron")
    with pytest.raises(ValueError, match="seed must be"):
        Sim(pop, params, seed=-1)
    with pytest.raises(ValueError, match="start_weekday"):
        Sim(pop, params, start_weekday=7)
    sim = Sim(pop, params)
    with pytest.raises(ValueError, match="ids must be agent ids"):
        sim.seed_infections(np.array([pop.n]))
    with pytest.raises(ValueError, match="count must be between"):
        sim.seed_random(0)
    with pytest.raises(ValueError, match="days must be between"):
        sim.run(-1)
    with pytest.raises(ValueError, match="layer must be one of"):
        LayerSchedule("bus", start=0, factor=0.5)
    with pytest.raises(ValueError, match="unknown district"):
        sim.seed_random(1, district="nowhere")
