"""Metapopulation SEIR against analytic results, conservation and its own ODE."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from epicontrol.core.twin.metapop import (
    Metapopulation,
    SEIRParams,
    commuting_mobility,
    final_size,
    gravity_mobility,
    growth_rate,
    simulate_ode,
    simulate_tau_leap,
)


def _one(n: int) -> Metapopulation:
    return Metapopulation(("A",), np.array([n]), np.ones((1, 1)))


def _fixed_point_final_size(r0: float) -> float:
    z = 0.99
    for _ in range(10_000):
        z = 1.0 - np.exp(-r0 * z)
    return float(z)


@pytest.mark.parametrize("r0", [1.5, 2.5, 4.0])
def test_ode_final_size_of_one_population(r0: float) -> None:
    n = 10_000_000
    res = simulate_ode(_one(n), SEIRParams(r0=r0), days=1500, initial_infectious=[10])
    z = _fixed_point_final_size(r0)
    assert final_size(r0) == pytest.approx(z, rel=1e-10)
    assert res.total_attack_rate == pytest.approx(z, abs=2e-5)
    assert res.I[-1, 0] < 1e-3 * n * 1e-3  # the epidemic is over


@pytest.mark.parametrize(("r0", "latent", "infectious"), [(2.5, 3.0, 5.0), (1.8, 5.2, 2.9)])
def test_ode_initial_growth_rate_solves_the_characteristic_equation(
    r0: float, latent: float, infectious: float
) -> None:
    # (r + σ)(r + γ) = R0 σ γ  <=>  r^2 + (σ + γ) r + σ γ (1 - R0) = 0
    s, g = 1 / latent, 1 / infectious
    r_ref = max(np.roots([1.0, s + g, s * g * (1 - r0)]).real)
    assert growth_rate(r0, latent, infectious) == pytest.approx(r_ref, rel=1e-12)
    res = simulate_ode(
        _one(10**12),
        SEIRParams(r0=r0, latent_period=latent, infectious_period=infectious),
        days=120,
        initial_infectious=[1000],
    )
    inc = res.total_incidence
    window = np.flatnonzero((inc > 1e5) & (inc < 1e8))  # past the transient, far from saturation
    slope = np.polyfit(window, np.log(inc[window]), 1)[0]
    assert slope == pytest.approx(r_ref, rel=2e-3)


def test_ode_matches_an_independent_solve_ivp_reference() -> None:
    pop = np.array([300_000, 1_200_000, 50_000])
    m = np.array([[0.8, 0.15, 0.05], [0.05, 0.9, 0.05], [0.2, 0.2, 0.6]])
    mp = Metapopulation(("A", "B", "C"), pop, m)
    p = SEIRParams(r0=2.2, latent_period=2.5, infectious_period=4.0, coupling=0.7)
    res = simulate_ode(mp, p, days=200, initial_infectious=[0, 5, 0], initial_exposed=[3, 0, 0])
    mc = 0.3 * np.eye(3) + 0.7 * m
    beta = 2.2 / 4.0

    def rhs(_t: float, y: np.ndarray) -> np.ndarray:  # type: ignore[type-arg]
        s, e, i = y[0:3], y[3:6], y[6:9]
        lam = np.array(
            [
                beta * sum(mc[a, j] * (mc[:, j] @ i) / (mc[:, j] @ pop) for j in range(3))
                for a in range(3)
            ]
        )
        return np.concatenate([-lam * s, lam * s - e / 2.5, e / 2.5 - i / 4.0, lam * s])

    y0 = np.concatenate([pop - [3, 5, 0], [3, 0, 0], [0, 5, 0], [0, 0, 0]]).astype(float)
    ref = solve_ivp(
        rhs, (0, 200), y0, method="LSODA", t_eval=np.arange(201), rtol=1e-11, atol=1e-10
    )
    np.testing.assert_allclose(res.S, ref.y[0:3].T, rtol=1e-6)
    np.testing.assert_allclose(res.I, ref.y[6:9].T, rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(res.incidence, np.diff(ref.y[9:12].T, axis=0), rtol=1e-6, atol=1e-6)


def test_population_is_conserved() -> None:
    pop = np.array([500_000, 80_000, 1_000_000, 20_000])
    rng = np.random.default_rng(1)
    m = rng.random((4, 4)) + 3 * np.eye(4)
    mp = Metapopulation(tuple("ABCD"), pop, m / m.sum(axis=1, keepdims=True))
    p = SEIRParams(r0=3.0)
    res = simulate_ode(mp, p, days=300, initial_infectious=[10, 0, 0, 0])
    np.testing.assert_allclose(
        res.S + res.E + res.I + res.R, np.broadcast_to(pop, res.S.shape), rtol=1e-9
    )
    np.testing.assert_allclose(
        res.incidence.sum(axis=0), pop - 10 * np.eye(4)[0] - res.S[-1], rtol=1e-7
    )
    ens = simulate_tau_leap(mp, p, days=300, initial_infectious=[10, 0, 0, 0], runs=3, seed=5)
    np.testing.assert_array_equal(ens.final.sum(axis=1), np.broadcast_to(pop, (3, 4)))
    np.testing.assert_array_equal(
        ens.incidence.sum(axis=1), pop - [10, 0, 0, 0] - ens.final[:, 0, :]
    )
    assert np.all(ens.incidence >= 0)


def test_identity_mobility_makes_districts_independent() -> None:
    pop = np.array([2_000_000, 700_000, 90_000])
    seeds = np.array([20, 0, 7])
    for mp in (
        Metapopulation(("A", "B", "C"), pop, np.eye(3)),
        Metapopulation(("A", "B", "C"), pop, np.full((3, 3), 1 / 3)),
    ):
        coupling = 1.0 if np.allclose(mp.mobility, np.eye(3)) else 0.0
        p = SEIRParams(r0=2.0, coupling=coupling)
        res = simulate_ode(mp, p, days=250, initial_infectious=seeds)
        assert np.all(res.incidence[:, 1] == 0) and res.attack_rate[1] == 0
        for k in (0, 2):
            alone = simulate_ode(_one(int(pop[k])), p, days=250, initial_infectious=[seeds[k]])
            np.testing.assert_allclose(
                res.incidence[:, k], alone.incidence[:, 0], rtol=1e-6, atol=1e-6
            )
        ens = simulate_tau_leap(mp, p, days=100, initial_infectious=seeds, runs=2, seed=1)
        assert np.all(ens.incidence[:, :, 1] == 0)


def test_mobility_spreads_the_epidemic_but_keeps_r0() -> None:
    pop = np.array([1_000_000, 1_000_000])
    m = np.array([[0.999, 0.001], [0.001, 0.999]])
    mp = Metapopulation(("A", "B"), pop, m)
    p = SEIRParams(r0=2.5)
    res = simulate_ode(mp, p, days=600, initial_infectious=[10, 0])
    z = _fixed_point_final_size(2.5)
    np.testing.assert_allclose(res.attack_rate, [z, z], atol=1e-4)
    assert res.district_peak_day[1] > res.district_peak_day[0]
    # R0 = spectral radius of the next-generation matrix = beta * infectious period
    n_eff = pop @ m
    k = 2.5 * np.array(
        [
            [sum(m[i, j] * pop[i] * m[kk, j] / n_eff[j] for j in range(2)) for kk in range(2)]
            for i in range(2)
        ]
    )
    assert max(abs(np.linalg.eigvals(k))) == pytest.approx(2.5)


def test_tau_leap_ensemble_mean_is_close_to_the_ode_for_large_populations() -> None:
    pop = np.array([3_000_000, 2_000_000, 1_000_000])
    m = np.array([[0.85, 0.1, 0.05], [0.1, 0.85, 0.05], [0.1, 0.1, 0.8]])
    mp = Metapopulation(("A", "B", "C"), pop, m)
    p = SEIRParams(r0=2.0, latent_period=2.0, infectious_period=4.0)
    seeds = np.array([2000, 500, 0])
    ode = simulate_ode(mp, p, days=120, initial_infectious=seeds)
    ens = simulate_tau_leap(
        mp, p, days=120, initial_infectious=seeds, runs=8, seed=42, steps_per_day=24
    )
    ar = ens.attack_rate
    se = ar.std(axis=0, ddof=1) / np.sqrt(ens.runs)
    # stage probabilities sigma*h, gamma*h keep R0, so the final size has no step bias
    assert np.all(np.abs(ar.mean(axis=0) - ode.attack_rate) < 4 * se + 1e-4)
    coarse = simulate_tau_leap(
        mp, p, days=120, initial_infectious=seeds, runs=4, seed=1, steps_per_day=2
    )
    ar2 = coarse.attack_rate
    assert np.all(
        np.abs(ar2.mean(axis=0) - ode.attack_rate) < 4 * ar2.std(axis=0, ddof=1) / 2 + 1e-4
    )
    mean_curve = ens.total_incidence.mean(axis=0)
    assert np.max(np.abs(mean_curve - ode.total_incidence)) < 0.03 * ode.peak_size
    assert abs(np.mean(ens.peak_day) - ode.peak_day) <= 1.5


def test_tau_leap_is_reproducible_per_seed_and_per_run() -> None:
    mp = Metapopulation(("A", "B"), np.array([10_000, 5_000]), np.array([[0.9, 0.1], [0.2, 0.8]]))
    p = SEIRParams(r0=2.0)
    a = simulate_tau_leap(mp, p, days=60, initial_infectious=[5, 0], runs=4, seed=9)
    b = simulate_tau_leap(mp, p, days=60, initial_infectious=[5, 0], runs=4, seed=9)
    c = simulate_tau_leap(mp, p, days=60, initial_infectious=[5, 0], runs=2, seed=9)
    d = simulate_tau_leap(mp, p, days=60, initial_infectious=[5, 0], runs=4, seed=10)
    np.testing.assert_array_equal(a.incidence, b.incidence)
    np.testing.assert_array_equal(a.incidence[:2], c.incidence)
    assert not np.array_equal(a.incidence, d.incidence)
    assert not np.array_equal(a.incidence[0], a.incidence[1])
    table = a.to_arrow()
    assert table.num_rows == 4 * 60 * 2
    assert table.column("incidence").to_numpy().sum() == a.incidence.sum()
    summary = a.summary()
    assert summary["runs"] == 4 and len(summary["daily_incidence"]["mean"]) == 60


def test_mobility_builders() -> None:
    pop = np.array([100, 200, 50])
    home = np.array([0, 0, 0, 1, 1, 2])
    work = np.array([1, 1, 0, 2, 1, 0])
    m = commuting_mobility(home, work, pop, away_fraction=0.5)
    np.testing.assert_allclose(m.sum(axis=1), 1.0)
    assert m[0, 1] == pytest.approx(0.5 * 2 / 100)
    assert m[1, 2] == pytest.approx(0.5 * 1 / 200)
    assert m[2, 0] == pytest.approx(0.5 * 1 / 50)
    assert m[0, 2] == 0.0
    g = gravity_mobility(pop, [119.0, 119.1, 119.5], [26.0, 26.0, 26.0], travel_fraction=0.2)
    np.testing.assert_allclose(g.sum(axis=1), 1.0)
    np.testing.assert_allclose(np.diag(g), 0.8)
    assert g[0, 1] > g[0, 2]  # nearer and bigger gets more
    Metapopulation(("a", "b", "c"), pop, g)


def test_bad_input_is_rejected() -> None:
    with pytest.raises(ValueError, match="exactly one of r0 and beta"):
        SEIRParams(r0=2.0, beta=0.4)
    with pytest.raises(ValueError, match="latent_period must be > 0"):
        SEIRParams(latent_period=0)
    with pytest.raises(ValueError, match=r"coupling must be in \[0, 1\]"):
        SEIRParams(coupling=1.5)
    with pytest.raises(ValueError, match="rows must sum to 1"):
        Metapopulation(("A", "B"), np.array([10, 10]), np.array([[0.5, 0.4], [0, 1]]))
    with pytest.raises(ValueError, match="population must be > 0"):
        Metapopulation(("A", "B"), np.array([10, 0]), np.eye(2))
    mp = Metapopulation(("A", "B"), np.array([10, 10]), np.eye(2))
    with pytest.raises(ValueError, match="must not exceed the population"):
        simulate_ode(mp, SEIRParams(), days=10, initial_infectious=[11, 0])
    with pytest.raises(ValueError, match="one value per district"):
        simulate_ode(mp, SEIRParams(), days=10, initial_infectious=[1])
    with pytest.raises(ValueError, match="days must be a whole number"):
        simulate_tau_leap(mp, SEIRParams(), days=0, initial_infectious=[1, 0])
    with pytest.raises(ValueError, match="steps_per_day must be >= 1 / latent_period"):
        simulate_tau_leap(
            mp, SEIRParams(latent_period=0.5), days=5, initial_infectious=[1, 0], steps_per_day=1
        )
    with pytest.raises(ValueError, match="unknown district code"):
        mp.index("Z")
