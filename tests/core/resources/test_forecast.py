"""Capacity forecast: CHIME agreement, census arithmetic, growth model, alert days."""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
import pytest

from epicontrol.core.resources.forecast import (
    CHIME_DISPOSITIONS,
    CapacityParams,
    ChimeInputs,
    Disposition,
    GrowthParams,
    Severity,
    capacity_forecast,
    census_from_admissions,
    chime_sir,
    growth_projection,
)

TODAY = date(2020, 4, 10)


def _chime_pair(
    *,
    doubling_time: float | None = 4.0,
    first_hospitalized: int | None = None,
    mitigation: int | None = -5,
    relative_contact_rate: float = 0.3,
    n_days: int = 60,
    current_hospitalized: int = 69,
    population: int = 3_600_000,
    market_share: float = 0.15,
) -> tuple[object, ChimeInputs]:
    parameters = pytest.importorskip("penn_chime.model.parameters")
    p = parameters.Parameters(
        current_hospitalized=current_hospitalized,
        current_date=TODAY,
        date_first_hospitalized=(
            None if first_hospitalized is None else TODAY - timedelta(days=first_hospitalized)
        ),
        doubling_time=doubling_time,
        hospitalized=parameters.Disposition.create(days=7, rate=0.025),
        icu=parameters.Disposition.create(days=9, rate=0.0075),
        ventilated=parameters.Disposition.create(days=10, rate=0.005),
        infectious_days=14,
        market_share=market_share,
        n_days=n_days,
        mitigation_date=None if mitigation is None else TODAY + timedelta(days=mitigation),
        population=population,
        recovered=0,
        relative_contact_rate=relative_contact_rate,
    )
    if mitigation is None:
        p.mitigation_date = None  # CHIME's Parameters defaults it to today; its Sir allows None
    ours = ChimeInputs(
        population=population,
        current_hospitalized=current_hospitalized,
        infectious_days=14,
        market_share=market_share,
        relative_contact_rate=relative_contact_rate,
        n_days=n_days,
        hospitalized=Disposition(0.025, 7),
        icu=Disposition(0.0075, 9),
        ventilated=Disposition(0.005, 10),
        doubling_time=doubling_time,
        first_hospitalized_days_ago=first_hospitalized,
        mitigation_day=mitigation,
    )
    return p, ours


@pytest.mark.parametrize(
    "kw",
    [
        {"doubling_time": 4.0, "mitigation": -5},
        {"doubling_time": 3.0, "mitigation": 7, "relative_contact_rate": 0.5},
        {"doubling_time": 6.0, "mitigation": None},
        {"doubling_time": None, "first_hospitalized": 20, "mitigation": -3},
        {
            "doubling_time": None,
            "first_hospitalized": 12,
            "mitigation": None,
            "current_hospitalized": 30,
        },
    ],
    ids=["mitigated-past", "mitigated-future", "no-mitigation", "fit-doubling", "fit-no-mit"],
)
def test_chime_agreement(kw: dict[str, object]) -> None:
    sir = pytest.importorskip("penn_chime.model.sir")
    p, ours = _chime_pair(**kw)  # type: ignore[arg-type]
    theirs = sir.Sir(p)
    mine = chime_sir(ours)
    raw = theirs.raw
    assert mine.i_day == theirs.i_day
    assert mine.doubling_time == pytest.approx(p.doubling_time, abs=1e-12)
    np.testing.assert_array_equal(mine.day, raw["day"])
    for ours_key, their_key in (
        ("susceptible", "susceptible"),
        ("infected", "infected"),
        ("recovered", "recovered"),
    ):
        np.testing.assert_allclose(getattr(mine, ours_key), raw[their_key], rtol=0, atol=1e-6)
    for name in CHIME_DISPOSITIONS:
        np.testing.assert_allclose(
            mine.admits(name)[1:], raw[f"admits_{name}"][1:], rtol=0, atol=1e-6
        )
        assert math.isnan(mine.admits(name)[0]) and math.isnan(raw[f"admits_{name}"][0])
        np.testing.assert_allclose(mine.census_of(name), raw[f"census_{name}"], rtol=0, atol=1e-6)
    assert mine.beta == pytest.approx(theirs.beta, rel=1e-12)
    assert mine.beta_t == pytest.approx(theirs.beta_t, rel=1e-12)
    # the curves are not trivial: a real epidemic with a census in the hundreds
    assert mine.census_of("hospitalized").max() > 100


def test_chime_inputs_rules() -> None:
    _, ours = _chime_pair()
    with pytest.raises(ValueError, match="market_share must be in"):
        chime_sir(ChimeInputs(**{**ours.__dict__, "market_share": 0.0}))
    with pytest.raises(ValueError, match="exactly one of doubling_time"):
        chime_sir(ChimeInputs(**{**ours.__dict__, "first_hospitalized_days_ago": 3}))
    with pytest.raises(ValueError, match=r"icu\.days must be an integer >= 1"):
        chime_sir(ChimeInputs(**{**ours.__dict__, "icu": Disposition(0.1, 0)}))


def test_census_by_hand() -> None:
    a = np.array([[3.0, 0.0], [1.0, 2.0], [0.0, 0.0], [5.0, 1.0]])
    c = census_from_admissions(a, 2)
    np.testing.assert_allclose(c, [[3, 0], [4, 2], [1, 2], [5, 1]])
    np.testing.assert_allclose(census_from_admissions(a, 10), np.cumsum(a, axis=0))
    with pytest.raises(ValueError, match="los_days must be an integer >= 1"):
        census_from_admissions(a, 0)


def test_growth_with_doubling_time() -> None:
    obs = np.array([[1.0, 0.0], [1.0, 1.0], [2.0, 0.0], [2.0, 2.0]])
    p = growth_projection(obs, 3, GrowthParams(doubling_time=2.0))
    np.testing.assert_array_equal(p.cases[:4], obs)
    r = math.log(2) / 2
    t = np.arange(-3, 1, dtype=float)
    level = obs.sum() / np.exp(r * t).sum()  # Poisson MLE of the level at a fixed rate
    city = level * np.exp(r * np.arange(1, 4))
    np.testing.assert_allclose(p.cases[4:].sum(axis=1), city)
    np.testing.assert_allclose(p.cases[4:, 0] / p.cases[4:].sum(axis=1), 6 / 9)
    assert p.doubling_time == pytest.approx(2.0)
    assert not p.fitted


def test_growth_fit_recovers_doubling_time() -> None:
    t = np.arange(14)
    expected = 5.0 * 2 ** (t / 3.0)
    obs = np.stack([expected * 0.25, expected * 0.75], axis=1)
    p = growth_projection(obs, 5)
    assert p.fitted
    assert p.doubling_time == pytest.approx(3.0, rel=1e-6)
    future = 5.0 * 2 ** (np.arange(14, 19) / 3.0)
    np.testing.assert_allclose(p.cases[14:].sum(axis=1), future, rtol=1e-6)


def test_growth_needs_data_or_doubling_time() -> None:
    obs = np.zeros((10, 2))
    obs[-1, 0] = 3
    with pytest.raises(ValueError, match="give doubling_time"):
        growth_projection(obs, 5)
    with pytest.raises(ValueError, match="cases must be finite and >= 0"):
        growth_projection(-obs, 5, GrowthParams(doubling_time=2))
    p = growth_projection(obs, 2, GrowthParams(doubling_time=1.0), population=[4, 100])
    assert p.cases[:, 0].sum() == pytest.approx(4.0)  # capped by the residents
    assert p.cases[:, 1].sum() == 0


def test_capacity_forecast_alert_day_by_hand() -> None:
    cases = np.array([[10.0, 0.0]] * 6)
    params = CapacityParams(
        general=Severity(0.2, 3),
        icu=Severity(0.1, 2),
        ventilated=Severity(0.05, 2),
        alert_occupancy=0.85,
        admission_delay_days=1,
    )
    cap = np.array([[7.0, 5.0], [2.0, 0.0], [np.nan, 1.0]])
    f = capacity_forecast(cases, cap, params)
    # general: admissions 0,2,2,2,2,2 ; census 0,2,4,6,6,6 ; 6/7 = 0.857 >= 0.85 from day 3
    np.testing.assert_allclose(f.census[0, :, 0], [0, 2, 4, 6, 6, 6])
    assert f.first_alert_day[0].tolist() == [3, -1]
    # icu: census 0,1,2,2,.. against 2 beds: 100 % from day 2
    assert f.first_alert_day[1].tolist() == [2, -1]
    # unknown ventilator capacity never alerts; none needed where there are no cases
    assert f.first_alert_day[2].tolist() == [-1, -1]
    assert np.isnan(f.occupancy[2, :, 0]).all() and np.isnan(f.occupancy[1, :, 1]).all()
    assert f.peak[0, 0] == 6 and f.peak_day[0, 0] == 3


def test_capacity_rules() -> None:
    with pytest.raises(ValueError, match=r"ventilated\.share must be <= icu\.share"):
        capacity_forecast(
            [[1.0]], [[1.0], [1.0], [1.0]], CapacityParams(ventilated=Severity(0.5, 3))
        )
    with pytest.raises(ValueError, match=r"capacity must have shape \(3, 1\)"):
        capacity_forecast([[1.0]], [[1.0]])
