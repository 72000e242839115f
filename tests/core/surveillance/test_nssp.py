"""NSSP-ESSENCE detectors (EWMA, regression, switch, negative binomial, Serfling).

Side by side with the peer pynssp 0.1.0 on its own simulated weekly series
(``load_simulated_ts``: 2 scenarios × 313 weeks) and on deterministic daily
series (numpy seed; weekday pattern, seasonality, negative-binomial noise and an
outbreak; 156 weeks ≈ 3 years) — pynssp ships no daily data.  The peer tests
skip when pynssp is not installed (``pytest.importorskip`` at their top); the
other tests (matrix = per-series calls, input checks, helpers) always run.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import warnings
from functools import cache
from typing import Any

import numpy as np
import pytest
from numpy.typing import NDArray
from scipy import special, stats

from epicontrol.core.surveillance import _nssp
from epicontrol.core.surveillance.base import DetectionResult
from epicontrol.core.surveillance.ewma import alert_levels, ewma, ewma_detail
from epicontrol.core.surveillance.nbinom import nbinom, nbinom_detail, nbinom_quantile
from epicontrol.core.surveillance.regression import regression, regression_detail
from epicontrol.core.surveillance.serfling import epidemic_period, serfling, serfling_detail
from epicontrol.core.surveillance.switch import switch, switch_detail

TOL = 1e-6
START = np.datetime64("2021-01-04")  # a Monday; weeks end on Sundays as pynssp wants


def daily_series() -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    """Three deterministic daily series (sparse, medium, large with a strong weekday effect)."""
    rng = np.random.default_rng(20240601)
    T = 7 * 156
    dates = START + np.arange(T)
    dow = (dates.astype(np.int64) + 3) % 7
    season = 1.0 + 0.3 * np.cos(2 * np.pi * np.arange(T) / 365.25)
    rows = []
    for level, weekend, size in ((2.0, 0.6, 5.0), (40.0, 0.5, 20.0), (400.0, 0.3, 100.0)):
        mu = level * np.where(dow >= 5, weekend, 1.0) * season
        mu[600:614] += level * np.linspace(0.0, 2.0, 14)  # outbreak
        rows.append(rng.negative_binomial(size, size / (size + mu)))
    return dates, np.asarray(rows, dtype=np.float64)


def weekly_series() -> tuple[NDArray[np.datetime64], NDArray[np.float64]]:
    """The daily series summed by week (Monday … Sunday), dated by the Sunday."""
    dates, daily = daily_series()
    return dates[6::7], daily.reshape(daily.shape[0], -1, 7).sum(axis=2)


# ------------------------------------------------------------------ the peer


def pynssp() -> Any:
    """pynssp's detector module; skips the calling test when pynssp is not installed."""
    pytest.importorskip("pynssp")
    pytest.importorskip("pandas")
    import pynssp.detectors as detectors

    return detectors


@cache
def simulated() -> tuple[tuple[NDArray[np.datetime64], NDArray[np.float64]], ...]:
    """pynssp's two weekly scenarios as (dates, counts)."""
    from pynssp.data import load_simulated_ts

    df = load_simulated_ts()
    out = []
    for sid in ("Scenario #1", "Scenario #2"):
        s = df[df["id"] == sid]
        out.append((s["date"].to_numpy().astype("datetime64[D]"), s["cases"].to_numpy(float)))
    return tuple(out)


@cache
def peer(name: str, y: tuple[float, ...], dates: tuple[str, ...], **kw: Any) -> Any:
    """pynssp's output data frame for one series (cached: pynssp takes ~1 s a series)."""
    import pandas as pd
    import pynssp.detectors as det

    fn = {
        "ewma": det.alert_ewma,
        "regression": det.alert_regression,
        "switch": det.alert_switch,
        "nbinom": det.alert_nbinom,
        "serfling": det.alert_serfling,
    }[name]
    df = pd.DataFrame({"date": pd.to_datetime(list(dates)), "count": np.asarray(y, dtype=int)})
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        out = fn(df, **kw)
    return out.reset_index(drop=True)


def run_peer(name: str, y: NDArray[np.float64], d: NDArray[np.datetime64], **kw: Any) -> Any:
    return peer(name, tuple(y.tolist()), tuple(str(x) for x in d), **kw)


def cases() -> list[tuple[str, NDArray[np.datetime64], NDArray[np.float64]]]:
    dates, daily = daily_series()
    return [(f"daily-{i}", dates, daily[i]) for i in range(daily.shape[0])]


def assert_close(ours: NDArray[np.float64], theirs: Any, what: str, tol: float = TOL) -> float:
    ref = np.asarray(theirs, dtype=np.float64)
    assert np.array_equal(np.isnan(ours), np.isnan(ref)), f"{what}: NaN pattern differs"
    both = ~np.isnan(ref)
    dev = float(np.max(np.abs(ours[both] - ref[both]))) if both.any() else 0.0
    assert dev <= tol, f"{what}: max deviation {dev:.3g} > {tol}"
    return dev


def assert_nssp_alerts(detail: Any, ref: Any, what: str) -> None:
    """Statistic, p-value, expected to 1e-6; colours and red alarms identical."""
    r = detail.result
    assert_close(r.statistic[0], ref["test_statistic"], f"{what} statistic")
    assert_close(r.p_value[0], ref["p_value"], f"{what} p-value")
    assert_close(detail.expected[0], ref["baseline_expected"], f"{what} baseline_expected")
    colours = ref["alert"].to_numpy(str)
    assert np.array_equal(detail.level[0], colours), f"{what}: alert colours differ"
    assert np.array_equal(r.alarm[0], colours == "red"), f"{what}: alarm days differ"
    assert np.array_equal(r.evaluated[0], colours != "grey")


@pytest.mark.parametrize("which", [0, 1])
def test_ewma_matches_pynssp_on_simulated_weekly(which: int) -> None:
    pynssp()
    d, y = simulated()[which]
    ref = run_peer("ewma", y, d)
    assert_nssp_alerts(ewma_detail(y, d), ref, f"scenario {which + 1}")
    assert (ref["alert"] == "red").sum() > 10  # the comparison covers alarms


@pytest.mark.parametrize("case", range(3))
def test_ewma_matches_pynssp_on_daily(case: int) -> None:
    pynssp()
    name, d, y = cases()[case]
    assert_nssp_alerts(ewma_detail(y, d), run_peer("ewma", y, d), name)


@pytest.mark.parametrize("case", range(3))
def test_regression_matches_pynssp_on_daily(case: int) -> None:
    pynssp()
    name, d, y = cases()[case]
    ref = run_peer("regression", y, d)
    det = regression_detail(y, d)
    assert_nssp_alerts(det, ref, name)
    assert det.sigma is not None and det.adjusted_r_squared is not None
    assert_close(det.sigma[0], ref["sigma"], f"{name} sigma")
    assert_close(det.adjusted_r_squared[0], ref["adjusted_r_squared"], f"{name} adj. R²")


def test_regression_fails_on_weekly_in_pynssp_and_is_refused_here() -> None:
    det = pynssp()
    import pandas as pd

    d, y = simulated()[0]
    df = pd.DataFrame({"date": pd.to_datetime(d), "count": y.astype(int)})
    with pytest.raises(KeyError):  # no weekday columns: pynssp has no weekly regression
        det.alert_regression(df)
    with pytest.raises(ValueError, match="needs consecutive daily"):
        regression(y, d)


@pytest.mark.parametrize("case", range(3))
def test_switch_matches_pynssp_on_daily(case: int) -> None:
    pynssp()
    name, d, y = cases()[case]
    ref = run_peer("switch", y, d)
    det = switch_detail(y, d)
    assert_nssp_alerts(det, ref, name)
    names = {"EWMA": "ewma", "Adaptive Multiple Regression": "regression"}
    theirs = ref["detector"].map(names).fillna("").to_numpy(str)
    assert det.detector is not None
    assert np.array_equal(det.detector[0], theirs)


def test_the_daily_cases_exercise_both_branches_of_the_switch() -> None:
    d, daily = daily_series()
    used = switch_detail(daily, d).detector
    assert used is not None
    assert (used[0] == "ewma").mean() > 0.9  # sparse series: EWMA
    assert (used[2] == "regression").mean() > 0.9  # strong weekday pattern: regression
    assert {"ewma", "regression"} <= set(used[1].tolist())


NBINOM_SIMULATED = [
    (0, "2019-12-29", True),
    (0, "2020-12-27", True),
    (0, "2018-12-30", False),
    (1, "2019-12-29", True),
    (1, "2022-12-25", True),
    (1, "2018-12-30", False),
]


@pytest.mark.parametrize(("which", "end", "time_term"), NBINOM_SIMULATED)
def test_nbinom_matches_pynssp_on_simulated(which: int, end: str, time_term: bool) -> None:
    pynssp()
    d, y = simulated()[which]
    ref = run_peer("nbinom", y, d, baseline_end=end, include_time=time_term)
    det = nbinom_detail(y, d, baseline_end=end, include_time=time_term)
    est = ref["estimate"].to_numpy(float)
    rel = np.max(np.abs(det.expected[0] - est) / est)
    assert rel <= TOL, f"estimate: max relative deviation {rel:.3g}"
    assert np.array_equal(det.result.threshold[0], ref["threshold"].to_numpy(float))
    assert np.array_equal(det.result.alarm[0], ref["alarm"].to_numpy(bool))
    assert np.array_equal(det.result.statistic[0], y)


@pytest.mark.parametrize("case", range(3))
def test_nbinom_matches_pynssp_on_weekly_sums(case: int) -> None:
    pynssp()
    d, weekly = weekly_series()
    y = weekly[case]
    end = str(d[103])
    ref = run_peer("nbinom", y, d, baseline_end=end)
    det = nbinom_detail(y, d, baseline_end=end)
    est = ref["estimate"].to_numpy(float)
    assert np.max(np.abs(det.expected[0] - est) / est) <= TOL
    assert np.array_equal(det.result.threshold[0], ref["threshold"].to_numpy(float))
    assert np.array_equal(det.result.alarm[0], ref["alarm"].to_numpy(bool))


@pytest.mark.parametrize("which", [0, 1])
@pytest.mark.parametrize("end", ["2018-12-30", "2019-06-30", "2020-12-27", "2022-12-25"])
def test_serfling_matches_pynssp_on_simulated(which: int, end: str) -> None:
    pynssp()
    d, y = simulated()[which]
    ref = run_peer("serfling", y, d, baseline_end=end)
    det = serfling_detail(y, d, baseline_end=end)
    assert_close(det.expected[0], ref["estimate"], "estimate")
    assert_close(det.result.threshold[0], ref["threshold"], "threshold")
    assert np.array_equal(det.result.alarm[0], ref["alarm"].to_numpy(bool))
    assert np.array_equal(epidemic_period(d), ref["epidemic_period"].to_numpy(bool))


@pytest.mark.parametrize("case", range(3))
def test_serfling_matches_pynssp_on_weekly_sums(case: int) -> None:
    pynssp()
    d, weekly = weekly_series()
    end = str(d[103])
    ref = run_peer("serfling", weekly[case], d, baseline_end=end)
    det = serfling_detail(weekly[case], d, baseline_end=end)
    assert_close(det.result.threshold[0], ref["threshold"], "threshold")
    assert np.array_equal(det.result.alarm[0], ref["alarm"].to_numpy(bool))


# ------------------------------------------------------------------ many series at once


FIELDS = [f.name for f in dataclasses.fields(DetectionResult)]


def assert_same(a: DetectionResult, b: DetectionResult, row: int | None = None) -> None:
    """Field by field equality (NaN equal); ``row`` selects one row of ``a``."""
    for field in FIELDS:
        x, y = getattr(a, field), getattr(b, field)
        if row is not None:
            x = x[row : row + 1]
        assert np.array_equal(x, y, equal_nan=x.dtype.kind == "f"), field


@pytest.mark.parametrize(
    "fn",
    [ewma, regression, switch, lambda c, d: ewma(c, d, b=14, g=0, w1=0.3, w2=0.8)],
    ids=["ewma", "regression", "switch", "ewma-params"],
)
def test_a_matrix_gives_the_per_series_results_daily(fn: Any) -> None:
    d, daily = daily_series()
    whole = fn(daily, d)
    for i in range(daily.shape[0]):
        assert_same(whole, fn(daily[i], d), row=i)


@pytest.mark.parametrize("name", ["nbinom", "serfling"])
def test_a_matrix_gives_the_per_series_results_weekly(name: str) -> None:
    d, weekly = weekly_series()
    end = d[103]
    fn = nbinom if name == "nbinom" else serfling
    whole = fn(weekly, d, baseline_end=end)
    for i in range(weekly.shape[0]):
        assert_same(whole, fn(weekly[i], d, baseline_end=end), row=i)


def test_blocks_of_one_series_give_the_same_results(monkeypatch: pytest.MonkeyPatch) -> None:
    from epicontrol.core.surveillance import ewma as ewma_mod
    from epicontrol.core.surveillance import regression as regression_mod
    from epicontrol.core.surveillance import switch as switch_mod

    d, daily = daily_series()
    reference = switch(daily, d)
    for mod in (ewma_mod, regression_mod, switch_mod):
        monkeypatch.setattr(mod, "chunks", lambda n: _nssp.chunks(n, 1))
    assert_same(switch(daily, d), reference)


# ------------------------------------------------------------------ contract and helpers


def test_result_contract_and_first_evaluated_step() -> None:
    d, daily = daily_series()
    for g in (0, 2, 5):
        r = ewma(daily, d, g=g)
        first = int(np.argmax(r.evaluated[0]))
        assert first == 11 + g  # pynssp's loops start at min_baseline + g
        assert not r.alarm[:, :first].any() and np.isnan(r.p_value[:, :first]).all()
        assert (r.alarm == (r.p_value < 0.01)).all()
        big = r.evaluated & (np.abs(r.p_value - 0.01) > 1e-9)
        assert np.array_equal((r.statistic > r.threshold)[big], r.alarm[big])
    weekly_d, weekly = weekly_series()
    r = nbinom(weekly, weekly_d, baseline_end=weekly_d[103])
    assert r.evaluated.all() and np.isnan(r.p_value).all()
    assert np.array_equal(r.alarm, weekly > r.threshold)


def test_alert_levels_are_pynssps_colours() -> None:
    p = np.array([[np.nan, 0.001, 0.01, 0.03, 0.05, 0.5]])
    result = DetectionResult(p, p, p, p < 0.01, ~np.isnan(p))
    assert alert_levels(result).tolist() == [["grey", "red", "yellow", "yellow", "blue", "blue"]]


def test_t_cdf_kernel_agrees_with_scipy() -> None:
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(0, 3, 2000), [-40.0, -2.5, 0.0, 1e-9, 2.5, 40.0, 1e6]])
    for k in (3, 4, 9, 10, 20, 27, 28, 100):  # the detectors use 3 … 28
        ours = np.array([_nssp.t_cdf(v, k) for v in x])
        assert np.max(np.abs(ours - special.stdtr(k, x))) < 1e-14


def test_special_functions_agree_with_scipy() -> None:
    rng = np.random.default_rng(5)
    theta = np.exp(rng.uniform(np.log(1e-3), np.log(1e9), 500))
    y = np.floor(np.exp(rng.uniform(0.0, np.log(2e3), 500)))
    for th, k in zip(theta, y, strict=True):
        ref_psi = special.digamma(k + th) - special.digamma(th)
        assert abs(_nssp.psi_diff(k, th) - ref_psi) <= 1e-12 * max(1.0, abs(ref_psi)) + 1e-13
        ref_lg = math.fsum(np.log(th + np.arange(k)))  # log Γ(k+θ) - log Γ(θ), no cancellation
        assert abs(_nssp.lgamma_diff(k, th) - ref_lg) <= 1e-11 * max(1.0, abs(ref_lg))
        assert abs(_nssp.trigamma(th) - special.polygamma(1, th)) <= 1e-13 * special.polygamma(
            1, th
        )


def test_nbinom_quantile_equals_scipy_ppf() -> None:
    rng = np.random.default_rng(4)
    n = 20_000
    size = np.where(rng.random(n) < 0.2, 1e8, np.exp(rng.uniform(np.log(0.3), np.log(300), n)))
    mean = np.exp(rng.uniform(np.log(0.01), np.log(5000), n))
    for q in (0.05, 0.5, 0.95, 0.999):
        ref = stats.nbinom.ppf(q, size, size / (size + mean))
        assert np.array_equal(nbinom_quantile(q, size, mean), ref)
    assert nbinom_quantile(0.95, 10.0, 0.0) == 0.0
    with pytest.raises(ValueError, match="0 < q < 1"):
        nbinom_quantile(1.0, 1.0, 1.0)


# weekly sums on which a Newton step clipped in θ alone (not along its direction) stalled
STALLED = np.array(
    [270, 215, 281, 232, 220, 247, 207, 139, 212, 207, 171, 193, 175, 163, 167, 172, 189, 174,
     162, 212, 145, 176, 203, 196, 216, 242, 228, 289, 233, 256, 274, 282, 304, 374, 352, 275,
     301, 389, 359, 344, 401, 387, 350, 403, 374, 346, 343, 387, 285, 270, 290, 277, 300, 257,
     233, 224, 204, 206, 211, 213, 167, 154, 178, 165, 165, 157, 157, 138, 138, 148, 159, 207,
     191, 167, 243, 196, 207, 213, 233, 295, 290, 256, 274, 278, 314, 349, 309, 384, 346, 298,
     347, 347, 359, 355, 374, 374, 365, 315, 305, 250, 300, 321, 274, 279],
    dtype=np.float64,
)  # fmt: skip


def test_the_dispersion_fit_reaches_the_maximum_likelihood() -> None:
    """Newton decrement ~0 at the fit (or θ held at its cap with the score pointing outward)."""
    from epicontrol.core.surveillance import nbinom as nb_mod

    rng = np.random.default_rng(11)
    t = np.arange(1, 105, dtype=np.float64)
    X = np.column_stack(
        [np.ones(104), t / 156, np.cos(2 * np.pi * t / 52.18), np.sin(2 * np.pi * t / 52.18)]
    )
    g, h = np.empty(5), np.empty((5, 5))
    capped = 0
    series = [STALLED]
    for i in range(300):
        level = np.exp(rng.uniform(np.log(1.0), np.log(3000.0)))
        mu = level * (1 + 0.4 * np.cos(2 * np.pi * t / 52.18 + i))
        size = np.exp(rng.uniform(np.log(2.0), np.log(1e4)))
        series.append(rng.negative_binomial(size, size / (size + mu)).astype(np.float64))
    for i, y in enumerate(series):
        par = nb_mod._nb_mle(y, X)
        nb_mod._nb_eval(y, X, par, g, h)
        free = 5 if par[4] < nb_mod._U_MAX else 4
        decrement = g[:free] @ np.linalg.solve(-h[:free, :free], g[:free])
        assert decrement < 1e-9, (i, par, g)
        if free == 4:
            capped += 1
            assert g[4] > 0
    assert 0 < capped < 300  # both regimes are exercised


def test_an_all_zero_baseline_is_not_evaluated() -> None:
    d, weekly = weekly_series()
    counts = weekly[:2].copy()
    counts[0, :110] = 0.0
    r = nbinom(counts, d, baseline_end=d[103])
    assert not r.evaluated[0].any() and not r.alarm[0].any()
    assert r.evaluated[1].all()


# ------------------------------------------------------------------ bad input


def test_bad_input_is_refused_with_the_rule() -> None:
    d, daily = daily_series()
    y = daily[1]
    wd, weekly = weekly_series()
    checks: list[tuple[Any, type[Exception], str]] = [
        (lambda: ewma(y, d, b=6), ValueError, "b must be >= 7"),
        (lambda: ewma(y, d, g=-1), ValueError, "g must be >= 0"),
        (lambda: ewma(y, d, b=28.0), TypeError, "b must be an integer"),
        (lambda: ewma(y, d, w1=0.0), ValueError, r"0 < w1 <= 1"),
        (lambda: ewma(y, d, w2=1.5), ValueError, r"0 < w2 <= 1"),
        (lambda: ewma(y[:30], d[:30]), ValueError, r"at least b \+ g \+ 1 = 31 time steps"),
        (lambda: ewma(y, d + np.arange(d.size) % 2), ValueError, "consecutive"),
        (lambda: ewma(y[::2], d[::2]), ValueError, "daily .* or weekly"),
        (lambda: ewma(-y, d), ValueError, ">= 0"),
        (lambda: ewma(np.where(y > 5, np.nan, y), d), ValueError, "finite"),
        (lambda: ewma(y, d[1:]), ValueError, "one date per time step"),
        (lambda: ewma(np.ones((2, 2, 40)), d[:40]), ValueError, "1-D .* or 2-D"),
        (lambda: regression(y, d, b=20), ValueError, "multiple of 7"),
        (lambda: regression(y, d, b=7), ValueError, "b must be >= 14"),
        (lambda: regression(weekly[1], wd), ValueError, "needs consecutive daily"),
        (lambda: switch(weekly[1], wd), ValueError, "needs consecutive daily"),
        (lambda: switch(y, d, w1=2.0), ValueError, r"0 < w1 <= 1"),
        (lambda: nbinom(weekly + 0.5, wd, baseline_end=wd[103]), ValueError, "integers"),
        (lambda: nbinom(y, d, baseline_end=d[800]), ValueError, "needs consecutive weekly"),
        (lambda: nbinom(weekly, wd, baseline_end=wd[102]), ValueError, "at least 104 weeks"),
        (lambda: nbinom(weekly, wd, baseline_end="soon"), ValueError, "baseline_end must be"),
        (lambda: serfling(weekly, wd, baseline_end=wd[50]), ValueError, "at least 104"),
        (lambda: serfling(y, d, baseline_end=d[800]), ValueError, "needs consecutive weekly"),
    ]
    for call, kind, message in checks:
        with pytest.raises(kind, match=message):
            call()
