"""Page CUSUM (Poisson / NB) and the NB GLR-CUSUM against R surveillance::algo.glrnb."""

from __future__ import annotations

import json
from typing import Any

import numpy as np
import pytest
from scipy import stats

from epicontrol.core.surveillance.cusum import cusum, glr_nbinom
from tests.peers import peer_vectors_dir

DAYS = np.datetime64("2024-01-01") + np.arange(120)


def peer(name: str) -> dict[str, Any]:
    path = peer_vectors_dir() / name
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def counts(seed: int = 1, n: int = 120, lam: float = 8.0) -> np.ndarray:
    return np.random.default_rng(seed).poisson(lam, n).astype(float)


# --------------------------------------------------------------------------- GLR


def test_glrnb_reproduces_r_test_vector() -> None:
    """R test-algo.glrnb.R: NB intercept chart, alpha 0.2, c.ARL 5, known seasonal mu0."""
    case = peer("surveillance_expected_glrnb.json")
    x = np.asarray(case["input"]["observed_x"], dtype=float)
    mu0 = np.asarray(case["input"]["mu0"], dtype=float)
    expected = np.asarray(case["expected"]["upperbound"])
    weeks = np.datetime64("2020-01-06") + 7 * np.arange(len(x))
    res = glr_nbinom(x, weeks, mu0=mu0[None, :], dispersion=case["input"]["alpha"], c_arl=5.0)
    dev = np.abs(res.statistic[0] - expected)
    assert dev.max() < 1e-6  # 7 significant digits in the vector
    np.testing.assert_allclose(res.statistic[0], expected, rtol=1e-6, atol=1e-7)
    alarms = np.flatnonzero(res.alarm[0]) + 1
    np.testing.assert_array_equal(alarms, case["derived_not_in_test"]["alarm_times_1based"])
    assert res.evaluated.all() and (res.threshold == 5.0).all()


def _glr_brute(x: np.ndarray, mu0: np.ndarray, d: float) -> np.ndarray:
    """max over k of the profile log-LR, kappa >= 0 by bounded optimisation."""
    from scipy.optimize import minimize_scalar

    def lnk(kappa: float, xs: np.ndarray, ms: np.ndarray) -> float:
        if d == 0:
            return float(np.sum(kappa * xs - (np.exp(kappa) - 1) * ms))
        return float(
            np.sum(kappa * xs + (xs + 1 / d) * np.log((1 + d * ms) / (1 + d * ms * np.exp(kappa))))
        )

    out = np.zeros(len(x))
    for n in range(len(x)):
        best = -np.inf
        for k in range(n + 1):
            xs, ms = x[k : n + 1], mu0[k : n + 1]
            r = minimize_scalar(
                lambda v, xs=xs, ms=ms: -lnk(v, xs, ms),
                bounds=(0, 5),
                method="bounded",
                options={"xatol": 1e-10},
            )
            best = max(best, -r.fun, 0.0)
        out[n] = best
    return out


@pytest.mark.parametrize("d", [0.0, 0.3])
def test_glr_equals_brute_force_profile_likelihood(d: float) -> None:
    x = counts(5, 30, 4.0)
    x[20:] += 5
    mu0 = np.full(30, 4.0)
    res = glr_nbinom(x, DAYS[:30], mu0=mu0, dispersion=d, c_arl=1e9)
    np.testing.assert_allclose(res.statistic[0], _glr_brute(x, mu0, d), atol=1e-7)


def test_glr_small_dispersion_tends_to_poisson() -> None:
    x = counts(6, 60)
    a = glr_nbinom(x, DAYS[:60], mu0=8.0, dispersion=0.0, c_arl=1e9).statistic
    b = glr_nbinom(x, DAYS[:60], mu0=8.0, dispersion=1e-9, c_arl=1e9).statistic
    np.testing.assert_allclose(a, b, atol=1e-5)


def test_glr_restarts_after_alarm() -> None:
    x = counts(7)
    x[50:55] += 25
    mu0 = np.full(120, 8.0)
    res = glr_nbinom(x, DAYS, mu0=mu0, dispersion=0.1)
    first = int(np.flatnonzero(res.alarm[0])[0])
    assert 50 <= first <= 52
    rest = glr_nbinom(x[first + 1 :], DAYS[first + 1 :], mu0=mu0[first + 1 :], dispersion=0.1)
    np.testing.assert_allclose(res.statistic[0, first + 1 :], rest.statistic[0], atol=1e-12)
    np.testing.assert_array_equal(res.alarm[0, first + 1 :], rest.alarm[0])


def test_glr_in_control_constant_is_zero_and_spike_alarms() -> None:
    flat = np.full(120, 8.0)
    res = glr_nbinom(flat, DAYS, mu0=8.0, dispersion=0.2)
    assert not res.alarm.any() and np.allclose(res.statistic, 0.0)
    spike = flat.copy()
    spike[60] = 60.0
    assert glr_nbinom(spike, DAYS, mu0=8.0, dispersion=0.2).alarm[0, 60]
    dec = glr_nbinom(np.r_[flat[:60], np.zeros(60)], DAYS, mu0=8.0, dispersion=0.0, direction="dec")
    assert dec.alarm[0, 60:].any() and not dec.alarm[0, :60].any()


def test_glr_baseline_estimate_and_window() -> None:
    x = counts(8)
    res = glr_nbinom(x, DAYS, baseline=28)
    assert not res.evaluated[0, :28].any() and res.evaluated[0, 28:].all()
    assert np.isnan(res.statistic[0, :28]).all()
    full = glr_nbinom(x, DAYS, mu0=8.0, dispersion=0.0, c_arl=1e9)
    windowed = glr_nbinom(x, DAYS, mu0=8.0, dispersion=0.0, c_arl=1e9, window=10)
    assert (windowed.statistic <= full.statistic + 1e-12).all()
    np.testing.assert_allclose(windowed.statistic[0, :11], full.statistic[0, :11])


def test_glr_matrix_equals_per_series() -> None:
    m = np.vstack([counts(s) for s in range(4)])
    m[1, 70:80] += 10
    mu = np.full_like(m, 8.0)
    disp = np.array([0.0, 0.1, 0.2, 0.05])
    whole = glr_nbinom(m, DAYS, mu0=mu, dispersion=disp)
    for i in range(4):
        one = glr_nbinom(m[i], DAYS, mu0=mu[i], dispersion=disp[i])
        np.testing.assert_array_equal(whole.statistic[i], one.statistic[0])
        np.testing.assert_array_equal(whole.alarm[i], one.alarm[0])


# --------------------------------------------------------------------------- Page


@pytest.mark.parametrize(("kind", "d"), [("poisson", None), ("nbinom", 0.25)])
def test_reference_value_is_the_log_likelihood_ratio(kind: Any, d: float | None) -> None:
    """c·(y - k) is the log LR of mu1 = ratio·mu0 against mu0 (one step per series)."""
    mu0, ratio = 6.0, 1.5
    y = np.arange(0.0, 30.0)
    res = cusum(y[:, None], DAYS[:1], kind=kind, mu0=mu0, ratio=ratio, dispersion=d, h=1e9)
    if d is None:
        llr = stats.poisson.logpmf(y, ratio * mu0) - stats.poisson.logpmf(y, mu0)
        c = np.log(ratio)
    else:
        r = 1 / d
        llr = stats.nbinom.logpmf(y, r, r / (r + ratio * mu0))
        llr -= stats.nbinom.logpmf(y, r, r / (r + mu0))
        c = np.log(ratio) + np.log((1 + d * mu0) / (1 + d * ratio * mu0))
    np.testing.assert_allclose(c * res.statistic[:, 0], np.maximum(llr, 0.0), atol=1e-10)


def test_page_recursion_by_hand() -> None:
    mu0, ratio = 4.0, 2.0
    k = (ratio * mu0 - mu0) / np.log(ratio)
    y = np.array([3, 9, 10, 2, 12, 14, 0, 1, 1, 1], dtype=float)
    res = cusum(y, DAYS[:10], mu0=mu0, ratio=ratio, h=6.0)
    s, expect = 0.0, []
    for v in y:
        s = max(0.0, s + v - k)
        expect.append(s)
    np.testing.assert_allclose(res.statistic[0], expect)
    np.testing.assert_array_equal(res.alarm[0], np.asarray(expect) >= 6.0)
    assert (res.threshold == 6.0).all()
    reset = cusum(y, DAYS[:10], mu0=mu0, ratio=ratio, h=6.0, reset=True)
    first = int(np.flatnonzero(reset.alarm[0])[0])
    assert reset.statistic[0, first + 1] == pytest.approx(max(0.0, y[first + 1] - k))


def test_default_h_is_llr_decision_interval() -> None:
    res = cusum(counts(), DAYS, mu0=8.0, ratio=1.5)
    np.testing.assert_allclose(res.threshold, 5.0 / np.log(1.5))
    res = cusum(counts(), DAYS, mu0=8.0, ratio=1.5, llr_h=3.0)
    np.testing.assert_allclose(res.threshold, 3.0 / np.log(1.5))


def test_page_constant_never_alarms_and_spike_alarms() -> None:
    flat = np.full(120, 8.0)
    kinds: tuple[Any, ...] = ("poisson", "nbinom")
    for kind in kinds:
        res = cusum(flat, DAYS, kind=kind)
        assert not res.alarm.any() and np.allclose(res.statistic[res.evaluated], 0.0)
    spike = counts(9)
    spike[80] += 60
    assert cusum(spike, DAYS).alarm[0, 80]
    assert cusum(spike, DAYS, kind="nbinom").alarm[0, 80]


def test_page_baseline_estimates() -> None:
    x = counts(10)
    res = cusum(x, DAYS, baseline=28, ratio=2.0)
    mu0 = x[:28].mean()
    assert not res.evaluated[0, :28].any() and res.evaluated[0, 28:].all()
    k = mu0 / np.log(2.0)
    assert res.statistic[0, 28] == pytest.approx(max(0.0, x[28] - k))
    zero = np.zeros(120)
    zero[100] = 13.0  # mu0 floored at 0.5/28; h = 5/log(1.5) = 12.3 cases
    res = cusum(zero, DAYS)
    floor = 0.5 / 28
    assert res.statistic[0, 100] == pytest.approx(13.0 - 0.5 * floor / np.log(1.5))
    assert res.alarm[0, 100] and not res.alarm[0, :100].any()
    assert cusum(zero, DAYS, reset=True).alarm[0].sum() == 1


def test_page_matrix_equals_per_series() -> None:
    m = np.vstack([counts(s) for s in range(5)])
    m[3, 60:70] += 8
    whole = cusum(m, DAYS, kind="nbinom")
    for i in range(5):
        one = cusum(m[i], DAYS, kind="nbinom")
        np.testing.assert_array_equal(whole.statistic[i], one.statistic[0])
        np.testing.assert_array_equal(whole.threshold[i], one.threshold[0])
        np.testing.assert_array_equal(whole.alarm[i], one.alarm[0])


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"kind": "gauss"}, "kind must be 'poisson' or 'nbinom'"),
        ({"ratio": 1.0}, "ratio must be > 1"),
        ({"mu0": -1.0}, "mu0 must be > 0"),
        ({"mu0": [1.0, 2.0]}, "one value per series"),
        ({"h": 0.0, "mu0": 3.0}, "h must be > 0"),
        ({"dispersion": 0.1}, "dispersion applies to kind='nbinom' only"),
        ({"kind": "nbinom", "mu0": 3.0}, "give dispersion"),
        ({"kind": "nbinom", "mu0": 3.0, "dispersion": -0.1}, "dispersion must be >= 0"),
        ({"baseline": 1}, "baseline must be an int >= 2"),
        ({"baseline": 500}, "too short"),
        ({"llr_h": -1.0}, "llr_h must be > 0"),
    ],
)
def test_page_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        cusum(counts(), DAYS, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"mu0": 3.0}, "dispersion must be given with mu0"),
        ({"mu0": 0.0, "dispersion": 0.1}, "mu0 must be finite and > 0"),
        ({"mu0": 3.0, "dispersion": -1.0}, "dispersion must be >= 0"),
        ({"c_arl": 0.0}, "c_arl must be > 0"),
        ({"direction": "up"}, "direction must be 'inc' or 'dec'"),
        ({"mtilde": 0}, "mtilde must be an int >= 1"),
        ({"window": 0}, "window must be an int >= mtilde"),
        ({"baseline": 200}, "too short"),
    ],
)
def test_glr_bad_parameters(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        glr_nbinom(counts(), DAYS, **kwargs)


def test_bad_counts_and_dates() -> None:
    x = counts()
    for fn in (cusum, glr_nbinom):
        with pytest.raises(ValueError, match="counts must be >= 0"):
            fn(-x, DAYS)
        with pytest.raises(ValueError, match="one date per time step"):
            fn(x, DAYS[:10])
        with pytest.raises(ValueError, match="equally spaced"):
            fn(x, np.sort(np.r_[DAYS[:60], DAYS[61:], DAYS[-1] + 3]))
