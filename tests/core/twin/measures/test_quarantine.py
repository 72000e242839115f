"""Centralised quarantine: rooms, overflow, periods, tests during the stay; the full chain."""

from __future__ import annotations

import math

import numpy as np
import pytest

from epicontrol.core.twin.measures import MeasureContext, build_measure, registry_of
from epicontrol.core.twin.measures.registry import (
    CLOSE_CONTACT,
    QUARANTINE_TESTING,
    SECONDARY_CONTACT,
)
from epicontrol.core.twin.params import (
    CENTRAL_QUARANTINE,
    HOME_QUARANTINE,
    ISOLATED,
    load_preset,
)
from epicontrol.core.twin.sim import Sim
from tests.core.twin.test_sim import mixed_population

from ._chain_helpers import ScriptedRequests, chain, grid_population, quiet_params, run_days


def quarantine_sim(script, n: int = 400, **params):  # type: ignore[no-untyped-def]
    measures = chain({"quarantine": params}, before=[ScriptedRequests(script)])
    return Sim(grid_population(n), quiet_params(), seed=1, measures=measures)


def test_rooms_limit_and_overflow_home() -> None:
    script = {
        0: [(range(7), CLOSE_CONTACT)],
        1: [(range(10, 16), CLOSE_CONTACT), ([20, 21, 3], SECONDARY_CONTACT)],
    }
    sim = quarantine_sim(script, rooms=10, test_days=[])
    rows = run_days(sim, 3)
    assert set(np.flatnonzero(rows[0] == CENTRAL_QUARANTINE)) == set(range(7))
    assert set(np.flatnonzero(rows[1] == CENTRAL_QUARANTINE)) == {*range(7), 10, 11, 12}
    # no room for 13–15; 3 is in a room already and stays there
    assert set(np.flatnonzero(rows[1] == HOME_QUARANTINE)) == {13, 14, 15, 20, 21}
    figs = registry_of(sim).figures(3)
    assert figs["quarantine_admissions"].tolist() == [7, 3, 0]
    assert figs["no_room"].tolist() == [0, 3, 0]
    assert figs["home_admissions"].tolist() == [0, 5, 0]
    assert figs["central_quarantine"].tolist() == [7, 10, 10]
    assert figs["home_quarantine"].tolist() == [0, 5, 5]
    assert figs["quarantine_rooms"].tolist() == [10, 10, 10]


def test_periods_release_and_upgrade() -> None:
    script = {
        1: [([5], CLOSE_CONTACT), ([8, 9], SECONDARY_CONTACT)],
        2: [([9], CLOSE_CONTACT)],  # 9 at home becomes a close contact: a room, clock anew
    }
    sim = quarantine_sim(script, rooms=5, central_days=3, home_days=2, secondary_days=4,
                         test_days=[])  # fmt: skip
    rows = run_days(sim, 9)
    c, h = CENTRAL_QUARANTINE, HOME_QUARANTINE
    assert [int(r[5]) for r in rows] == [0, c, c, c, h, h, 0, 0, 0]
    assert [int(r[8]) for r in rows] == [0, h, h, h, h, 0, 0, 0, 0]
    assert [int(r[9]) for r in rows] == [0, h, c, c, c, h, h, 0, 0]
    figs = registry_of(sim).figures(9)
    assert figs["quarantine_released"].tolist() == [0, 0, 0, 0, 0, 1, 1, 1, 0]
    # without a room a close contact stays home for central + home days
    sim = quarantine_sim({1: [([5], CLOSE_CONTACT)]}, rooms=0, central_days=3, home_days=2)
    assert [int(r[5]) for r in run_days(sim, 8)] == [0, h, h, h, h, h, 0, 0]


@pytest.mark.parametrize(
    ("test_days", "turnaround", "found_day", "samples"),
    [
        ([1, 4], 0.0, 3, 400),
        ([1, 4], 24.0, 4, 400),
        ([1, 3], 0.0, None, 400),
        (list(range(1, 15)), 0.0, 3, 700 + 400),  # the found leave after 4 samples
    ],
)
def test_quarantine_testing_finds_the_infectious(
    test_days: list[int], turnaround: float, found_day: int | None, samples: int
) -> None:
    """Infected on day 0, latent 2 days: samples from stay day 4 (day 3) find them."""
    sim = quarantine_sim({0: [(range(200), CLOSE_CONTACT)]}, n=2000, rooms=500,
                         test_days=test_days, turnaround_hours=turnaround)  # fmt: skip
    sim.seed_infections(np.arange(0, 200, 2))
    rows = run_days(sim, 7)
    reg = registry_of(sim)
    infected, clean = np.arange(0, 200, 2), np.arange(1, 200, 2)
    assert (reg.t_diagnosed[clean] == -1).all()
    figs = reg.figures(7)
    assert figs["quarantine_tests"].sum() == samples
    if found_day is None:  # a latent infection is not detected
        assert (reg.t_diagnosed[infected] == -1).all()
        return
    assert (reg.t_diagnosed[infected] == found_day).all()
    assert (reg.found_by[infected] == QUARANTINE_TESTING).all()
    assert not reg.community[infected].any()  # found in quarantine: no community case
    assert (rows[found_day][infected] == ISOLATED).all()
    assert figs["central_quarantine"][found_day] == 100  # their rooms are free
    assert figs["quarantine_positives"][found_day] == 100


def test_quarantine_test_sensitivity() -> None:
    sim = quarantine_sim({0: [(range(2000), CLOSE_CONTACT)]}, n=4000, rooms=4000,
                         test_days=[4], sensitivity=0.6, turnaround_hours=0)  # fmt: skip
    sim.seed_infections(np.arange(2000))
    sim.run(5)
    found = (registry_of(sim).t_diagnosed[:2000] == 3).mean()
    assert abs(found - 0.6) < 4 * math.sqrt(0.24 / 2000)


def test_rooms_default_from_context_or_standard() -> None:
    pop = grid_population(20_000)
    m = build_measure("quarantine", {}, context=MeasureContext(capacity={"quarantine_rooms": 7}))
    m.start(Sim(pop, quiet_params(), seed=0))
    assert m.rooms == 7
    m = build_measure("quarantine", {})
    m.start(Sim(pop, quiet_params(), seed=0))
    assert m.rooms == 30  # 15 per 10 000 residents
    assert build_measure("quarantine", {"rooms": 3}, context=MeasureContext(
        capacity={"quarantine_rooms": 7})).config.rooms == 3  # fmt: skip


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"rooms": -1}, r"quarantine\.rooms: .*greater than or equal to 0"),
        ({"central_days": 0}, r"quarantine\.central_days: "),
        ({"test_days": [0, 2]}, r"quarantine: test_days must be days of the stay"),
        ({"test_days": [2, 2]}, r"quarantine: test_days must not repeat"),
        ({"secondary": "hotel"}, r"quarantine\.secondary: "),
        ({"sensitivity": 0}, r"quarantine\.sensitivity: "),
        ({"room": 3}, r"quarantine\.room: Extra inputs"),
    ],
)
def test_bad_params(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_measure("quarantine", params)


def test_full_chain_lowers_attack_rate_and_is_reproducible() -> None:
    pop = mixed_population(20_000)
    params = load_preset("wild_type")
    kinds = {
        "symptomatic_testing": {},
        "contact_tracing": {"tracers": 20},
        "quarantine": {"rooms": 60},
    }

    def run(measures: list[object]) -> tuple[Sim, float]:
        sim = Sim(pop, params, seed=9, measures=measures)
        sim.seed_random(20)
        return sim, float(sim.run(50).summary()["attack_rate"])

    _, base = run([])
    _, testing_only = run(chain({"symptomatic_testing": {}}))
    a, with_chain = run(chain(kinds))
    b, again = run(chain(kinds))
    assert base > 0.05
    assert with_chain < 0.5 * testing_only < 0.5 * base  # tracing and quarantine add to testing
    fa, fb = registry_of(a).figures(50), registry_of(b).figures(50)
    assert again == with_chain and fa.keys() == fb.keys()
    for name in fa:
        np.testing.assert_array_equal(fa[name], fb[name], err_msg=name)
    np.testing.assert_array_equal(a.t_infected, b.t_infected)
    # the chain worked as a chain: cases traced, rooms full at times, never over-full
    assert fa["cases_traced"].sum() > 0 and fa["traced_infected"].sum() > 0
    assert fa["quarantine_positives"].sum() > 0
    assert fa["central_quarantine"].max() <= 60 and fa["no_room"].sum() > 0
    assert ((a.isolation == CENTRAL_QUARANTINE).sum()) <= 60
    assert (a.isolation[registry_of(a).t_diagnosed < 0] != ISOLATED).all()
