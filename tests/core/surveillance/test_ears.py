"""EARS C1/C2/C3 against R surveillance::earsC (peer vector) and the formulas."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy.stats import norm

from epicontrol.core.surveillance.ears import ears_c1, ears_c2, ears_c3
from tests.peers import peer_vectors_dir

DAYS = np.datetime64("2024-01-01") + np.arange(60)


def peer(name: str) -> dict[str, Any]:
    path = peer_vectors_dir() / name
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def series(seed: int = 1, n: int = 60, lam: float = 10.0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(lam, n).astype(float)


def test_c1_reproduces_r_earsc_upperbounds_salm_newport() -> None:
    """R test-earsC.R: salmNewport summed over states, C1, alpha 0.05, ISO year 2011."""
    case = peer("surveillance_expected_earsC.json")
    x = np.asarray(case["input"]["observed"], dtype=float)
    dates = np.asarray(case["input"]["epoch"], dtype="datetime64[D]")
    monitored = np.asarray(case["control"]["range_1based"]) - 1
    res = ears_c1(x, dates, alpha=0.05, baseline=7, min_sigma=0.0)
    got = res.threshold[0, monitored[:4]]
    assert np.max(np.abs(got - case["expected"]["upperbound_first4"])) < 1e-6
    # the peers' independent check, at full precision
    np.testing.assert_allclose(got, [3.27885359, 3.27885359, 3.43651727, 3.85561664], atol=1e-8)
    # every monitored week: mean + z * sd of the 7 weeks before it
    z = norm.ppf(0.95)
    for t in monitored:
        ref = x[t - 7 : t]
        assert res.threshold[0, t] == pytest.approx(ref.mean() + z * ref.std(ddof=1), abs=1e-12)
        assert res.alarm[0, t] == (x[t] > res.threshold[0, t])


def test_default_range_length_as_r() -> None:
    """R: C1 with baseline 10 and no range returns length(observed) - 10 rows."""
    x = series()
    assert ears_c1(x, DAYS, baseline=10).evaluated.sum() == len(x) - 10
    assert ears_c2(x, DAYS, baseline=10).evaluated.sum() == len(x) - 12
    assert ears_c3(x, DAYS, baseline=10).evaluated.sum() == len(x) - 14


def test_default_alpha_is_r_default() -> None:
    x = series()
    a = ears_c1(x, DAYS)
    b = ears_c1(x, DAYS, alpha=0.001)
    np.testing.assert_array_equal(a.threshold, b.threshold)
    c = ears_c3(x, DAYS)
    d = ears_c3(x, DAYS, alpha=0.025)
    np.testing.assert_array_equal(c.threshold, d.threshold)


def test_c2_matches_formula_with_guard_band() -> None:
    x = series(2)
    res = ears_c2(x, DAYS, baseline=7, alpha=0.05, min_sigma=0.5)
    z = norm.ppf(0.95)
    for t in range(9, len(x)):
        ref = x[t - 9 : t - 2]
        sigma = max(ref.std(ddof=1), 0.5)
        assert res.threshold[0, t] == pytest.approx(ref.mean() + z * sigma, abs=1e-12)
        assert res.statistic[0, t] == pytest.approx((x[t] - ref.mean()) / sigma, abs=1e-12)
    assert not res.evaluated[0, :9].any() and np.isnan(res.threshold[0, :9]).all()


def test_c3_matches_r_formula() -> None:
    x = series(3)
    res = ears_c3(x, DAYS, baseline=7, alpha=0.05, min_sigma=0.1)
    z = norm.ppf(0.95)

    def c2(s: int) -> tuple[float, float]:
        ref = x[s - 9 : s - 2]
        sigma = max(ref.std(ddof=1), 0.1)
        return (x[s] - ref.mean()) / sigma, sigma

    for t in range(11, len(x)):
        e2, e1, e0 = (max(0.0, c2(s)[0] - 1.0) for s in (t - 2, t - 1, t))
        upper = max(0.0, x[t] + c2(t)[1] * (z - e2 - e1))
        assert res.threshold[0, t] == pytest.approx(upper, abs=1e-12)
        assert res.statistic[0, t] == pytest.approx(e2 + e1 + e0, abs=1e-12)
        assert res.alarm[0, t] == (x[t] > upper)


@pytest.mark.parametrize("detector", [ears_c1, ears_c2, ears_c3])
def test_constant_series_never_alarms(detector: Any) -> None:
    x = np.full(60, 7.0)
    assert not detector(x, DAYS).alarm.any()
    assert not detector(x, DAYS, min_sigma=0.5).alarm.any()
    if detector is not ears_c3:  # flat baseline: the bound is the mean
        res = detector(x, DAYS)
        np.testing.assert_allclose(res.threshold[res.evaluated], 7.0)


def test_spike_alarms() -> None:
    x = series(4)
    x[40] = 60.0
    assert ears_c1(x, DAYS).alarm[0, 40]
    assert ears_c2(x, DAYS).alarm[0, 40]
    # C3 (as R) reacts to the excess of the two previous days: the day after the spike
    assert ears_c3(x, DAYS).alarm[0, 41]
    assert ears_c1(x, DAYS).alarm[0].sum() == 1


@pytest.mark.parametrize("detector", [ears_c1, ears_c2, ears_c3])
def test_matrix_equals_per_series(detector: Any) -> None:
    m = np.vstack([series(s) for s in range(5)])
    m[2, 30] = 50.0
    whole = detector(m, DAYS, alpha=0.05)
    for i in range(m.shape[0]):
        one = detector(m[i], DAYS, alpha=0.05)
        for field in ("statistic", "threshold", "p_value"):
            np.testing.assert_array_equal(getattr(whole, field)[i], getattr(one, field)[0])
        np.testing.assert_array_equal(whole.alarm[i], one.alarm[0])
        np.testing.assert_array_equal(whole.evaluated[i], one.evaluated[0])
    assert np.isnan(whole.p_value).all()


def test_weekly_dates_accepted() -> None:
    weeks = np.datetime64("2024-01-01") + 7 * np.arange(60)
    assert ears_c1(series(), weeks).evaluated.sum() == 53


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"baseline": 2}, "baseline must be >= 3"),
        ({"min_sigma": -1.0}, "min_sigma must be finite and >= 0"),
        ({"baseline": 1500}, "too short"),
        ({"alpha": 0.0}, r"alpha must be in \(0, 1\)"),
        ({"alpha": 1.5}, r"alpha must be in \(0, 1\)"),
    ],
)
def test_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        ears_c1(series(), DAYS, **kwargs)


def test_bad_inputs() -> None:
    x = series()
    with pytest.raises(ValueError, match="counts must be >= 0"):
        ears_c1(-x, DAYS)
    with pytest.raises(ValueError, match="counts must be 1-D"):
        ears_c2(x.reshape(2, 3, 10), DAYS)
    with pytest.raises(ValueError, match="finite"):
        ears_c1(np.where(x > 12, np.nan, x), DAYS)
    with pytest.raises(ValueError, match="one date per time step"):
        ears_c1(x, DAYS[:-1])
    with pytest.raises(ValueError, match="equally spaced"):
        ears_c1(x, DAYS[::-1])
    with pytest.raises(ValueError, match="too short"):
        ears_c3(x[:11], DAYS[:11])
    with pytest.raises(TypeError, match="baseline must be an int"):
        ears_c1(x, DAYS, baseline=7.5)  # type: ignore[arg-type]
