"""Rt (Cori et al. 2013) against EpiEstim 3.0.0's own expectations and epyestim 0.1."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy import stats

from epicontrol.core.twin.rt import (
    QUANTILES,
    GammaPrior,
    NonParametricSI,
    ParametricSI,
    SampledSI,
    UncertainSI,
    default_windows,
    estimate_r,
    overall_infectivity,
    split_incidence,
)
from tests.peers import peer_vectors_dir

COLUMNS = [
    "Quantile.0.025(R)",
    "Quantile.0.05(R)",
    "Quantile.0.25(R)",
    "Median(R)",
    "Quantile.0.75(R)",
    "Quantile.0.95(R)",
    "Quantile.0.975(R)",
]
FLU2009_SI = [0.0, 0.233, 0.359, 0.198, 0.103, 0.053, 0.027, 0.014, 0.007, 0.003, 0.002, 0.001]


def _vector(name: str) -> dict[str, Any]:
    return json.loads((peer_vectors_dir() / f"epiestim_expected_{name}.json").read_text())


def _si(call: dict[str, Any]) -> ParametricSI | NonParametricSI:
    cfg = call["config"]
    if call["method"] == "parametric_si":
        return ParametricSI(cfg["mean_si"], cfg["std_si"])
    return NonParametricSI.of(cfg["si_distr"])


@pytest.mark.parametrize(
    "name",
    ["example1", "example2", "example3", "backcompat_x1", "backcompat_x2", "backcompat_x3"],
)
def test_matches_epiestim_exactly(name: str) -> None:
    data = _vector(name)
    exp = data["expected"]
    imported = exp["I_imported"] if name == "example2" else None
    dates = exp["dates"] if isinstance(exp["dates"][0], str) else None
    cfg = data["call"]["config"]
    windows: dict[str, Any] = {}
    if isinstance(cfg.get("t_start"), list):
        windows = {"t_start": np.array(cfg["t_start"]), "t_end": np.array(cfg["t_end"])}
    r = estimate_r(exp["I"], si=_si(data["call"]), imported=imported, dates=dates, **windows)
    R = exp["R"]
    np.testing.assert_array_equal(r.t_start, R["t_start"])
    np.testing.assert_array_equal(r.t_end, R["t_end"])
    np.testing.assert_allclose(r.mean, R["Mean(R)"], rtol=1e-10)
    np.testing.assert_allclose(r.std, R["Std(R)"], rtol=1e-10)
    np.testing.assert_allclose(r.quantiles, np.column_stack([R[c] for c in COLUMNS]), rtol=1e-10)
    np.testing.assert_allclose(r.median, R["Median(R)"], rtol=1e-10)
    np.testing.assert_allclose(r.si_distr, exp["si_distr"], rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(r.si_mean, exp["SI.Moments"]["Mean"], rtol=1e-12)
    np.testing.assert_allclose(r.si_std, exp["SI.Moments"]["Std"], rtol=1e-12)
    np.testing.assert_array_equal(r.local, exp["I_local"])
    np.testing.assert_array_equal(r.imported, exp["I_imported"])
    # the posterior is the gamma (shape, scale) that gives these moments
    np.testing.assert_allclose(r.shape * r.scale, r.mean, rtol=1e-14)
    np.testing.assert_allclose(stats.gamma(r.shape, scale=r.scale).ppf(0.975), r.quantiles[:, -1])
    if dates is not None:
        assert r.date_start is not None and r.date_end is not None
        assert str(r.date_start[0]) == dates[0 + R["t_start"][0] - 1]
        assert str(r.date_end[-1]) == dates[-1]
    table = r.to_arrow()
    assert table.num_rows == len(R["t_start"])
    np.testing.assert_allclose(
        table.column("q0.975").to_numpy(), R["Quantile.0.975(R)"], rtol=1e-10
    )


def test_closed_form_by_hand() -> None:
    # two days, one window [2, 2]: Λ_2 = w_1 I_1; shape = a + L_2; scale = 1/(1/b + Λ_2)
    r = estimate_r([4, 6], si=NonParametricSI.of([0.0, 0.6, 0.4]), t_start=[2], t_end=[2])
    prior = GammaPrior()
    assert prior.shape == 1.0 and prior.scale == 5.0
    assert r.shape[0] == 1.0 + 6
    assert r.scale[0] == pytest.approx(1 / (1 / 5 + 0.6 * 4))
    assert r.local.tolist() == [0, 6] and r.imported.tolist() == [4, 0]


def test_overall_infectivity_is_the_convolution() -> None:
    rng = np.random.default_rng(3)
    inc = rng.integers(0, 50, 40)
    w = np.array(FLU2009_SI)
    lam = overall_infectivity(inc, w)
    for t in range(40):
        ref = sum(w[s] * inc[t - s] for s in range(1, min(t, w.size - 1) + 1))
        assert lam[t] == pytest.approx(ref, rel=1e-12, abs=1e-12)


def test_imported_cases_infect_but_are_not_counted_as_offspring() -> None:
    cases = np.array([2, 0, 5, 7, 3, 9, 4, 6, 8, 5])
    imported = np.array([2, 0, 5, 0, 0, 0, 0, 0, 0, 0])
    si = ParametricSI(3.0, 1.5)
    with_imp = estimate_r(cases, si=si, imported=imported)
    without = estimate_r(cases, si=si)
    # same infectivity (all cases infect), fewer local offspring -> lower R
    np.testing.assert_allclose(with_imp.infectivity, without.infectivity)
    assert np.all(with_imp.mean <= without.mean)
    assert with_imp.shape[0] == 1 + (cases - imported)[1:8].sum()
    local, imp, moved = split_incidence([3, 1], [1, 0])
    assert moved and local.tolist() == [0, 1] and imp.tolist() == [3, 0]


def test_uncertain_si_from_epiestims_sampled_si_matches_within_monte_carlo_error() -> None:
    # Example 4 is stochastic (R's RNG).  Its 100 sampled SI distributions are given, so the
    # exact mixture mean over them must be within Monte-Carlo error of EpiEstim's sample mean.
    data = _vector("example4")
    exp = data["expected"]
    r = estimate_r(exp["I"], si=SampledSI.of(exp["si_distr"], 100), rng=np.random.default_rng(1))
    se = np.array(exp["R"]["Std(R)"]) / np.sqrt(100 * 100)
    exact_mixture_mean = (r.shape * r.scale).mean(axis=0)
    assert np.all(np.abs(exact_mixture_mean - exp["R"]["Mean(R)"]) < 4 * se)
    assert np.all(np.abs(r.mean - exp["R"]["Mean(R)"]) < 6 * se)
    np.testing.assert_allclose(r.std, exp["R"]["Std(R)"], rtol=0.06)
    # moments of the given rows; EpiEstim reports the sampled means (equal unless truncated at T)
    assert np.all(r.si_mean <= np.array(exp["SI.Moments"]["Mean"]) + 1e-9)
    np.testing.assert_allclose(r.si_mean, exp["SI.Moments"]["Mean"], rtol=0.1)


def test_uncertain_si_sampling_is_close_to_epiestim_and_reproducible() -> None:
    data = _vector("example4")
    cfg, exp = data["call"]["config"], data["expected"]
    names = ["mean_si", "std_mean_si", "min_mean_si", "max_mean_si"]
    names += ["std_si", "std_std_si", "min_std_si", "max_std_si"]
    si = UncertainSI(*[cfg[k] for k in names], n1=1000, n2=50)
    r = estimate_r(exp["I"], si=si, rng=np.random.default_rng(7))
    # EpiEstim's own estimate (n1 = 100) carries Monte-Carlo error of a few per cent
    np.testing.assert_allclose(r.mean, exp["R"]["Mean(R)"], rtol=0.10)
    np.testing.assert_allclose(r.std, exp["R"]["Std(R)"], rtol=0.15)
    np.testing.assert_allclose(
        r.quantiles, np.column_stack([exp["R"][c] for c in COLUMNS]), rtol=0.12
    )
    assert np.all((r.si_mean >= 1) & (r.si_mean <= 4.2)) and r.si_mean.size == 1000
    assert np.all((r.si_std >= 0.5) & (r.si_std <= 2.5))
    again = estimate_r(exp["I"], si=si, rng=np.random.default_rng(7))
    np.testing.assert_array_equal(r.mean, again.mean)
    with pytest.raises(ValueError, match="needs rng"):
        estimate_r(exp["I"], si=si)


def test_matches_epyestims_deterministic_core() -> None:
    # epyestim.estimate_r.estimate_r is the Cori posterior on a given incidence series (its
    # bagging_r adds bootstrap, smoothing and deconvolution on top).  It counts every case of the
    # window as an offspring and uses trailing rolling windows; EpiEstim's windows start on day 2,
    # so the windows ending on day 8 .. T are the same computation.
    pd = pytest.importorskip("pandas")
    epyestim_r = pytest.importorskip("epyestim.estimate_r")
    data = _vector("example1")
    exp = data["expected"]
    series = pd.Series(exp["I"], index=pd.to_datetime(exp["dates"]), dtype=float)
    w = np.array(FLU2009_SI)
    prior = GammaPrior(5.0, 5.0)
    theirs = epyestim_r.estimate_r(
        series, w, a_prior=prior.shape, b_prior=prior.scale, window_size=7
    )
    ours = estimate_r(exp["I"], si=NonParametricSI.of(w), dates=exp["dates"], prior=prior)
    theirs = theirs.loc[pd.to_datetime(ours.date_end)]
    np.testing.assert_allclose(ours.shape, theirs["a_posterior"].to_numpy(), rtol=1e-12)
    np.testing.assert_allclose(ours.scale, theirs["b_posterior"].to_numpy(), rtol=1e-12)
    their_q = np.column_stack(
        [
            epyestim_r.gamma_quantiles(q, theirs["a_posterior"], theirs["b_posterior"])
            for q in QUANTILES
        ]
    )
    np.testing.assert_allclose(ours.quantiles, their_q, rtol=1e-12)
    lam = epyestim_r.overall_infectivity(series, w).to_numpy()
    np.testing.assert_allclose(ours.infectivity, lam, rtol=1e-12, atol=1e-12)


def test_default_windows_and_bad_input() -> None:
    ts, te = default_windows(32)
    assert ts[0] == 2 and ts[-1] == 26 and np.all(te - ts == 6)
    si = ParametricSI(2.6, 1.5)
    with pytest.raises(ValueError, match="at least window"):
        estimate_r([1, 2, 3, 4, 5, 6, 7], si=si)
    with pytest.raises(ValueError, match="no negative count"):
        estimate_r([1, 2, -3, 4, 5, 6, 7, 8], si=si)
    with pytest.raises(ValueError, match="whole numbers"):
        estimate_r([1, 2, 3.5, 4, 5, 6, 7, 8], si=si)
    with pytest.raises(ValueError, match="imported must be <= cases"):
        estimate_r([1, 2, 3, 4, 5, 6, 7, 8], imported=[0, 3, 0, 0, 0, 0, 0, 0], si=si)
    with pytest.raises(ValueError, match="t_start must be >= 2"):
        estimate_r([1] * 10, si=si, t_start=[1], t_end=[5])
    with pytest.raises(ValueError, match="t_end must be <= the number of days"):
        estimate_r([1] * 10, si=si, t_start=[2], t_end=[11])
    with pytest.raises(ValueError, match="both t_start and t_end"):
        estimate_r([1] * 10, si=si, t_start=[2])
    with pytest.raises(ValueError, match="consecutive days"):
        estimate_r([1] * 8, si=si, dates=[f"2020-01-0{d}" for d in (1, 2, 3, 4, 5, 6, 7, 9)])
    with pytest.raises(ValueError, match="mean_prior must be > 0"):
        GammaPrior(0.0, 5.0)
    with pytest.raises(ValueError, match="mean_si must be > 1"):
        ParametricSI(0.5, 1.0)
