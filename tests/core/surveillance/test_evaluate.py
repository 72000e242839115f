"""The Noufaily-style evaluation harness: simulation, outbreak injection, measures."""

from __future__ import annotations

import math

import numpy as np
import pytest

from epicontrol.core.surveillance.evaluate import (
    EvaluationGrid,
    Scenario,
    baseline_mean,
    evaluate_detectors,
    simulate,
)

SMALL = EvaluationGrid(
    levels=(30.0,),
    trends=(0.0,),
    seasonalities=(0, 1),
    dispersions=(1.0, 2.0),
    outbreak_sizes=(2.0, 10.0),
    replicates=30,
    weeks=320,
    eval_weeks=20,
)


def test_baseline_mean_is_the_noufaily_model() -> None:
    t = np.arange(0, 104, dtype=float)
    flat = baseline_mean(Scenario(0, 10.0, 0.0, 0, 1.0), t, (0.4, 0.3))
    assert np.allclose(flat, 10.0)
    trend = baseline_mean(Scenario(0, 10.0, 0.01, 0, 1.0), t, (0.4, 0.3))
    assert np.allclose(np.log(trend), np.log(10.0) + 0.01 * t)
    seasonal = baseline_mean(Scenario(0, 10.0, 0.0, 1, 1.0), t, (0.4, 0.3))
    want = 10.0 * np.exp(0.4 * np.cos(2 * np.pi * t / 52) + 0.3 * np.sin(2 * np.pi * t / 52))
    assert np.allclose(seasonal, want)
    assert np.allclose(seasonal[:52], seasonal[52:])  # period one year


def test_simulated_series_have_the_scenario_mean_and_dispersion() -> None:
    grid = EvaluationGrid(replicates=400, outbreak_sizes=(5.0,), weeks=200, eval_weeks=20)
    sim = simulate(Scenario(0, 40.0, 0.0, 0, 3.0), grid, frequency="weekly", length=200, seed=5)
    clean = sim.counts[:400]
    assert clean.mean() == pytest.approx(40.0, rel=0.02)
    assert clean.var() / clean.mean() == pytest.approx(3.0, rel=0.08)
    daily = simulate(Scenario(0, 70.0, 0.0, 0, 1.0), grid, frequency="daily", length=700, seed=5)
    assert daily.counts[:400].mean() == pytest.approx(10.0, rel=0.02)  # 70 a week, 10 a day
    assert (np.diff(daily.dates).astype(int) == 1).all()
    assert (np.diff(sim.dates).astype(int) == 7).all()


def test_outbreaks_start_in_the_evaluation_period_with_a_lognormal_shape() -> None:
    grid = EvaluationGrid(replicates=300, outbreak_sizes=(6.0,), weeks=300, eval_weeks=30)
    scen = Scenario(0, 25.0, 0.0, 0, 1.0)
    sim = simulate(scen, grid, frequency="weekly", length=300, seed=2)
    r = grid.replicates
    assert (sim.cases[:r] == 0).all() and (sim.start[:r] == -1).all()
    starts = sim.start[r:]
    assert (starts >= sim.eval_from).all() and (starts < 300).all()
    assert sim.eval_from == 270
    # size ~ Poisson(k · sd) with sd = √(φ μ) = 5: mean 30 cases (less the ones cut at the end)
    sizes = sim.cases[r:].sum(axis=1)
    inside = starts < 300 - 4
    assert sizes[inside].mean() == pytest.approx(30.0, rel=0.08)
    # onsets ⌊X⌋ weeks after the start, X ~ lognormal(0, 0.5): P(offset 0) = Φ(0) = 1/2
    first_week = np.array([sim.cases[r + i, s] for i, s in enumerate(starts)])
    assert first_week[inside].sum() / sizes[inside].sum() == pytest.approx(0.5, abs=0.03)
    assert (sim.end[r:] >= starts).all()
    # the same seed gives the same series, another seed others
    again = simulate(scen, grid, frequency="weekly", length=300, seed=2)
    assert np.array_equal(again.counts, sim.counts)
    other = simulate(scen, grid, frequency="weekly", length=300, seed=3)
    assert not np.array_equal(other.counts, sim.counts)


def test_past_outbreaks_contaminate_only_the_baseline_period() -> None:
    base = EvaluationGrid(replicates=50, outbreak_sizes=(5.0,), weeks=200, eval_weeks=20)
    dirty = EvaluationGrid(
        replicates=50, outbreak_sizes=(5.0,), weeks=200, eval_weeks=20, past_outbreaks=3
    )
    scen = Scenario(0, 20.0, 0.0, 0, 1.0)
    a = simulate(scen, base, frequency="weekly", length=200, seed=1)
    b = simulate(scen, dirty, frequency="weekly", length=200, seed=1)
    assert b.counts[:, : b.eval_from].sum() > a.counts[:, : a.eval_from].sum()
    assert (b.cases[:50] == 0).all()  # past outbreaks are not the evaluated outbreak


def test_the_table_is_deterministic_and_sensible() -> None:
    report = evaluate_detectors(["ears-c2", "ewma", "nbinom"], grid=SMALL, seed=11)
    again = evaluate_detectors(["ears-c2", "ewma", "nbinom"], grid=SMALL, seed=11)
    strip = [{**s.__dict__, "seconds": 0} for s in report.summaries]
    assert strip == [{**s.__dict__, "seconds": 0} for s in again.summaries]
    assert report.scenarios == again.scenarios
    assert [s.detector for s in report.summaries] == ["ears-c2", "ewma", "nbinom"]
    assert len(report.scenarios) == 3 * 4 * 2  # detectors × scenarios × sizes
    for s in report.summaries:
        for value in (s.pod, s.fpr, s.sensitivity, s.specificity):
            assert 0.0 <= value <= 1.0
        assert s.outbreaks == 4 * 2 * 30
        assert s.median_delay_days is None or s.median_delay_days >= 0
    weekly = report.summaries[2]
    assert weekly.frequency == "weekly" and weekly.nominal_alpha == 0.05
    # bigger outbreaks are found more often
    for name in ("ears-c2", "ewma"):
        rows = [m for m in report.scenarios if m.detector == name]
        small = np.mean([m.pod for m in rows if m.k == 2.0])
        big = np.mean([m.pod for m in rows if m.k == 10.0])
        assert big > small and big > 0.8
    d = report.to_dict()
    assert d["seed"] == 11 and len(d["grid"]["scenarios"]) == 4


def test_a_detector_that_never_alarms_scores_zero_detection_and_full_specificity() -> None:
    grid = EvaluationGrid(
        levels=(10.0,),
        trends=(0.0,),
        seasonalities=(0,),
        dispersions=(1.0,),
        outbreak_sizes=(3.0,),
        replicates=10,
        weeks=100,
        eval_weeks=10,
    )
    report = evaluate_detectors(
        ["ears-c1"], grid=grid, params={"ears-c1": {"alpha": 1e-300, "min_sigma": 1e6}}, seed=1
    )
    s = report.summaries[0]
    assert s.pod == 0.0 and s.fpr == 0.0 and s.specificity == 1.0 and s.sensitivity == 0.0
    assert s.median_delay_days is None and s.detected == 0
    assert s.nominal_alpha == 1e-300


def test_farrington_runs_on_weekly_series_with_monitored_weeks_only() -> None:
    grid = EvaluationGrid(
        levels=(20.0,),
        trends=(0.0,),
        seasonalities=(1,),
        dispersions=(1.5,),
        outbreak_sizes=(8.0,),
        replicates=4,
        weeks=312,
        eval_weeks=8,
    )
    report = evaluate_detectors(["farrington"], grid=grid, seed=3)
    s = report.summaries[0]
    assert s.frequency == "weekly" and s.outbreaks == 4
    assert not math.isnan(s.fpr) and s.pod > 0


def test_grid_validation() -> None:
    with pytest.raises(ValueError, match="dispersions must be >= 1"):
        EvaluationGrid(dispersions=(0.5,))
    with pytest.raises(ValueError, match="replicates must be >= 1"):
        EvaluationGrid(replicates=0)
    with pytest.raises(ValueError, match="eval_weeks"):
        EvaluationGrid(weeks=10, eval_weeks=10)
    with pytest.raises(ValueError, match="levels must not be empty"):
        EvaluationGrid(levels=())
    with pytest.raises(ValueError, match="unknown detector"):
        evaluate_detectors(["magic"], grid=SMALL)
    assert len(EvaluationGrid().scenarios()) == 24
