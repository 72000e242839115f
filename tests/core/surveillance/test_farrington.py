"""Farrington / Noufaily against R surveillance's farringtonFlexible unit tests and analytics."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest

from epicontrol.core.surveillance.farrington import (
    NOUFAILY_DEFAULTS,
    assign_weights,
    farrington_flexible,
    noufaily,
    reference_time_points,
    seasonal_blocks,
    threshold_delta,
    threshold_noufaily,
)
from tests.core.surveillance import farrington_oracle as oracle
from tests.peers import peer_vectors_dir

WEEKS = np.datetime64("2010-01-04") + 7 * np.arange(6 * 52)


def peer(name: str) -> dict[str, Any]:
    path = peer_vectors_dir() / name
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def unit_cases(prefix: str) -> list[dict[str, Any]]:
    cases = peer("surveillance_expected_farrington_units.json")["cases"]
    return [c for c in cases if c["function"].startswith(prefix)]


def agona() -> tuple[np.ndarray, np.ndarray]:
    data = peer("surveillance_dataset_salmonella.agona.json")
    x = np.asarray(data["observed"], dtype=float)
    return x, np.asarray(data["dates_as_built_in_test_farringtonFlexible"], dtype="datetime64[D]")


def weekly(seed: int = 1, n: int = 6 * 52, base: float = 10.0) -> np.ndarray:
    t = np.arange(n)
    lam = base * np.exp(0.4 * np.sin(2 * np.pi * t / 52))
    return np.random.default_rng(seed).poisson(lam).astype(float)


# --------------------------------------------------------------------------- R unit cases


def test_assign_weights_r_cases() -> None:
    cases = unit_cases("algo.farrington.assign.weights")
    assert len(cases) == 2
    for case in cases:
        got = assign_weights(case["input"]["s"], case["input"]["weightsThreshold"])
        np.testing.assert_allclose(got, case["expected"]["weights"], rtol=0, atol=1.5e-8)


def test_threshold_delta_r_cases() -> None:
    cases = [
        c
        for c in unit_cases("algo.farrington.threshold.farrington")
        if "lower" in c.get("expected", {})
    ]
    assert {c["input"]["skewness.transform"] for c in cases} == {"none", "1/2", "2/3"}
    for case in cases:
        i, e = case["input"], case["expected"]
        got = threshold_delta(
            i["predFit"], i["predSeFit"], i["phi"], i["skewness.transform"], i["alpha"], i["y"]
        )
        want = [e["lower"], e["upper"], e["prob"], e["score"]]
        np.testing.assert_allclose(np.asarray(got, dtype=float), want, rtol=0, atol=1e-6)
        # the 7-digit vectors were reproduced to < 5e-8
        assert np.max(np.abs(np.asarray(got, dtype=float) - want)) < 5e-8


def test_threshold_delta_bad_exponent_r_case() -> None:
    (case,) = [
        c for c in unit_cases("algo.farrington.threshold.farrington") if "error" in c["expected"]
    ]
    i = case["input"]
    with pytest.raises(ValueError, match="no proper exponent"):
        threshold_delta(i["predFit"], i["predSeFit"], i["phi"], i["skewness.transform"], 0.05, 8)


def test_threshold_noufaily_r_cases() -> None:
    cases = unit_cases("algo.farrington.threshold.noufaily")
    assert {(c["input"]["method"], c["input"]["phi"]) for c in cases} == {
        ("muan", 1.0),
        ("muan", 1.5),
        ("nbPlugin", 1.0),
        ("nbPlugin", 1.5),
    }
    for case in cases:
        i, e = case["input"], case["expected"]
        got = threshold_noufaily(
            i["predFit_value"], i["predSeFit_value"], i["phi"], i["alpha"], i["y"], i["method"]
        )
        want = [e["lower"], e["upper"], e["prob"], e["score"]]
        assert np.max(np.abs(np.asarray(got, dtype=float) - want)) < 5e-8


def test_reference_time_points_r_cases() -> None:
    cases = unit_cases("algo.farrington.referencetimepoints")
    for case in cases:
        i, e = case["input"], case["expected"]
        day = i["dayToConsider"]
        if i["epochAsDate"]:
            got = reference_time_points(np.datetime64(day), i["b"], i["freq"])
            assert [str(d) for d in np.sort(got)] == e["reference_dates_sorted"]
            weekdays = (got.astype("datetime64[D]").astype(np.int64) + 4) % 7  # 0 = Sunday
            assert (weekdays == 4).all()  # Thursday, like 2013-06-06
        else:
            got = reference_time_points(int(day), i["b"], i["freq"])
            if "reference_timepoints" in e:
                assert got.tolist() == e["reference_timepoints"]
            else:
                assert (got < 1).any() == e["any_less_than_1"]


def test_reference_time_points_leap_day() -> None:
    got = reference_time_points(np.datetime64("2016-02-29"), 1)  # a Monday
    # 2015-02-29 -> 2015-03-01 (R seq.Date), a Sunday -> nearest Monday 2015-03-02
    assert str(got[1]) == "2015-03-02"


def test_blocks_r_case() -> None:
    (case,) = unit_cases("blocks(")
    i = case["input"]
    dates = np.datetime64("1990-06-07") + 7 * np.arange(1301)
    refs = np.asarray(i["referenceTimePoints"], dtype="datetime64[D]")
    day = np.datetime64(i["dayToConsider"])
    b, w = i["b"], i["w"]
    for p in i["p"]:
        blocks = seasonal_blocks(refs, dates, day, b, w, p)
        assert np.sum(blocks == p) == w + 1 + b * (2 * w + 1) == 25
        if p == 8:
            assert len(np.unique(blocks[~np.isnan(blocks)])) == case["expected"]["levels_for_p8"]
            _, sizes = np.unique(blocks[~np.isnan(blocks) & (blocks != p)], return_counts=True)
            assert (np.abs(np.diff(sizes))[: p - 2] <= b).all()
    with pytest.raises(ValueError, match="too big"):
        seasonal_blocks(refs, dates, day, b, w, 60)


def test_some_reference_points_missing_r_case() -> None:
    (case,) = [c for c in unit_cases("farringtonFlexible(salm, control=list(range=250")]
    x, dates = agona()
    with pytest.raises(ValueError, match=case["expected"]["error_matches"]):
        farrington_flexible(x, dates, monitor=[249], b=10, w=3, no_periods=10)


def test_nbplugin_alarm_properties_r_case() -> None:
    """R: nbPlugin, alpha 0.1: no alarm where observed == 0; alarms == observed > upperbound."""
    x, dates = agona()
    res = farrington_flexible(x, dates, threshold_method="nbPlugin", alpha=0.1)
    ev = res.evaluated[0]
    assert ev.sum() == len(x) - (52 * 5 + 3)
    assert not (res.alarm[0] & (x == 0)).any()
    with np.errstate(invalid="ignore"):
        above = ev & (x > res.threshold[0])
    assert res.alarm[0].sum() == above.sum() > 0


# --------------------------------------------------------------------------- GLM and analytics


def test_irls_matches_statsmodels_quasi_poisson() -> None:
    sm = pytest.importorskip("statsmodels.api")
    x, dates = agona()
    design = oracle._step_design(dates, 280, 5, 3, 10, 26)
    assert design is not None
    y = x[design.used]
    ones = np.ones((1, y.size))
    fit = oracle._irls(design.x_trend, y[None], ones, 0 * ones)
    ref = sm.GLM(y, design.x_trend, family=sm.families.Poisson()).fit(scale="X2", tol=1e-13)
    np.testing.assert_allclose(fit.beta[0], ref.params, atol=1e-8)
    np.testing.assert_allclose(fit.hat[0], ref.get_influence().hat_matrix_diag, atol=1e-6)
    # R (and we) take the working weights of the last IRLS step: equal at convergence
    assert fit.disp[0] == pytest.approx(ref.scale, rel=1e-4)
    assert fit.converged[0]


SETTINGS: list[dict[str, Any]] = [
    {},
    dict(NOUFAILY_DEFAULTS),
    {**NOUFAILY_DEFAULTS, "threshold_method": "muan", "b": 2, "monitor": np.arange(110, 312, 3)},
    {"powertrans": "none", "reweight": False},
    {"powertrans": "1/2", "trend": False, "b": 3, "w": 2},
    {"no_periods": 4, "weights_threshold": 1.0, "alpha": 0.01, "limit54": (3, 2)},
]


@pytest.mark.parametrize("kw", SETTINGS)
def test_arrow_kernel_equals_dense_glm(kw: dict[str, Any]) -> None:
    """The numba kernel gives the dense-design implementation's results."""
    rng = np.random.default_rng(11)
    n = 24
    t = np.arange(WEEKS.size)
    level = rng.uniform(0.3, 60.0, (n, 1))
    season = 1.0 + rng.uniform(0, 0.6, (n, 1)) * np.cos(2 * np.pi * t / 52.18)
    trend = 1.0 + rng.uniform(-0.002, 0.004, (n, 1)) * t
    mu = level * season * trend
    x = rng.negative_binomial(4.0, 4.0 / (4.0 + mu)).astype(float)
    x[rng.random(x.shape) < 0.01] *= 4  # outbreaks for the re-weighting
    x[0] = 0.0  # an all-zero series
    pop = rng.uniform(1e4, 2e4, x.shape)
    for extra in ({}, {"population": pop}):
        new = farrington_flexible(x, WEEKS, **kw, **extra)
        ref = oracle.farrington_dense(x, WEEKS, **kw, **extra)
        assert ref.evaluated.sum() > 600 and ref.alarm.sum() > 3
        np.testing.assert_array_equal(new.evaluated, ref.evaluated)
        np.testing.assert_array_equal(new.alarm, ref.alarm)
        for a, r in ((new.statistic, ref.statistic), (new.threshold, ref.threshold)):
            np.testing.assert_allclose(a, r, rtol=1e-7, atol=1e-9, equal_nan=True)
        np.testing.assert_allclose(new.p_value, ref.p_value, rtol=1e-6, atol=1e-12, equal_nan=True)


def test_constant_series_never_alarms() -> None:
    x = np.full(WEEKS.size, 10.0)
    for kw in ({}, NOUFAILY_DEFAULTS, {"powertrans": "none"}, {"threshold_method": "muan"}):
        res = farrington_flexible(x, WEEKS, **kw)
        assert res.evaluated[0, 52 * 5 + 3 :].all()
        assert not res.alarm.any()
        assert (res.threshold[res.evaluated] >= 10.0).all()


def test_spike_alarms_and_not_before() -> None:
    x = weekly(2)
    x[300] = 60.0
    for res in (farrington_flexible(x, WEEKS), noufaily(x, WEEKS)):
        assert res.alarm[0, 300]
        assert res.statistic[0, 300] > 1.0
        assert res.p_value[0, 300] < 1e-6


def test_limit54_blocks_bound_and_alarm() -> None:
    x = np.zeros(WEEKS.size)
    x[300] = 4.0  # 4 < 5 cases in the last 4 weeks
    res = farrington_flexible(x, WEEKS)
    assert not res.alarm.any() and np.isnan(res.threshold[0, 300])
    assert res.evaluated[0, 300]
    res = farrington_flexible(x, WEEKS, limit54=(0, 4))
    assert res.alarm[0, 300] and np.isfinite(res.threshold[0, 300])


def test_matrix_equals_per_series_and_monitor_subset() -> None:
    m = np.vstack([weekly(s, base=3.0 + 4 * s) for s in range(4)])
    m[1, 290:294] += 25
    for kw in ({}, NOUFAILY_DEFAULTS):
        whole = farrington_flexible(m, WEEKS, **kw)
        for i in range(m.shape[0]):
            one = farrington_flexible(m[i], WEEKS, **kw)
            for field in ("statistic", "threshold", "p_value"):
                np.testing.assert_allclose(
                    getattr(whole, field)[i],
                    getattr(one, field)[0],
                    rtol=1e-9,
                    atol=1e-12,
                    equal_nan=True,
                )
            np.testing.assert_array_equal(whole.alarm[i], one.alarm[0])
        some = farrington_flexible(m, WEEKS, monitor=[300, 290], **kw)
        assert some.evaluated.sum() == 2 * m.shape[0]
        for k in (290, 300):
            np.testing.assert_allclose(some.threshold[:, k], whole.threshold[:, k], equal_nan=True)


def test_noufaily_preset() -> None:
    x = weekly(3)
    a = noufaily(x, WEEKS, alpha=0.01)
    b = farrington_flexible(
        x,
        WEEKS,
        alpha=0.01,
        no_periods=10,
        past_weeks_not_included=26,
        threshold_method="nbPlugin",
        weights_threshold=2.58,
    )
    np.testing.assert_array_equal(a.threshold, b.threshold)
    assert np.nanmax(a.threshold) == np.floor(np.nanmax(a.threshold))  # NB quantiles are counts


def test_population_offset_scales_prediction() -> None:
    x = weekly(4)
    plain = farrington_flexible(x, WEEKS, limit54=(0, 4), trend=False, reweight=False)
    same = farrington_flexible(
        x, WEEKS, population=np.full(WEEKS.size, 1e5), limit54=(0, 4), trend=False, reweight=False
    )
    np.testing.assert_allclose(same.threshold, plain.threshold, rtol=1e-9, equal_nan=True)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"b": 0}, "b must be an int >= 1"),
        ({"w": -1}, "w must be an int >= 0"),
        ({"no_periods": 0}, "no_periods must be an int >= 1"),
        ({"past_weeks_not_included": -2}, "past_weeks_not_included must be an int >= 0"),
        ({"alpha": 1.0}, r"alpha must be in \(0, 1\)"),
        ({"p_threshold_trend": 2.0}, r"p_threshold_trend must be in \[0, 1\]"),
        ({"limit54": (5, 0)}, "limit54 must be"),
        ({"powertrans": "3/4"}, "powertrans must be"),
        ({"threshold_method": "exact"}, "threshold_method must be"),
        ({"b": 6}, "counts too short"),
        ({"population": -1.0}, "population must be finite and > 0"),
        ({"monitor": [2.5]}, "monitor must hold integer indices"),
        ({"monitor": [400]}, "monitor indices must be in"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        farrington_flexible(weekly(), WEEKS, **kwargs)


def test_bad_counts_and_dates() -> None:
    x = weekly()
    with pytest.raises(ValueError, match="counts must be >= 0"):
        farrington_flexible(-x, WEEKS)
    with pytest.raises(ValueError, match="counts must be 1-D"):
        farrington_flexible(x.reshape(1, 1, -1), WEEKS)
    with pytest.raises(ValueError, match="7 day"):
        farrington_flexible(x, np.datetime64("2010-01-04") + np.arange(x.size))
    with pytest.raises(ValueError, match="one date per time step"):
        farrington_flexible(x, WEEKS[1:])
    with pytest.raises(ValueError, match=r"alpha must be in \(0, 1\)"):
        threshold_noufaily(1.0, 0.1, 1.0, 0.0, 3)
    with pytest.raises(ValueError, match="method must be"):
        threshold_noufaily(1.0, 0.1, 1.0, 0.05, 3, "delta")  # type: ignore[arg-type]
