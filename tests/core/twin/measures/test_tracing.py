"""Contact tracing: playbook delays, tracer capacity and backlog, who is found, fallback."""

from __future__ import annotations

import math

import numpy as np
import pytest

from epicontrol.core.twin.measures import MeasureContext, build_measure, registry_of
from epicontrol.core.twin.measures.tracing import ContactTracing, playbook_stages
from epicontrol.core.twin.params import (
    CENTRAL_QUARANTINE,
    COMMUNITY,
    HOME_QUARANTINE,
    ISOLATED,
    NO_ISOLATION,
)
from epicontrol.core.twin.sim import Sim

from ._chain_helpers import (
    ScriptedDiagnoses,
    chain,
    grid_population,
    members,
    quiet_params,
    run_days,
)

#: Tracing that finds only what a test asks for.
NO_COMMUNITY = {"p_community": 0.0, "community_contacts": 0.0}
ROOMY = {"rooms": 100_000, "test_days": []}


def close_and_secondary(pop, cases, layers=("household", "work")):  # type: ignore[no-untyped-def]
    """Expected close and secondary contacts with p = 1 in ``layers`` (sets)."""
    close: set[int] = set()
    for c in cases:
        for layer in layers:
            close |= members(pop, layer, c)
    close -= set(cases)
    secondary: set[int] = set()
    for x in close:
        for layer in layers:
            secondary |= members(pop, layer, x)
    return close, secondary - close - set(cases)


def ids_at(status_row: np.ndarray, status: int) -> set[int]:
    return set(np.flatnonzero(status_row == status).tolist())


def test_shipped_playbook_stages() -> None:
    assert playbook_stages("1+4+6+24") == {"onsite": 1, "core": 4, "close": 6, "secondary": 24}
    assert playbook_stages("2+4+24") == {"onsite": 2, "core": 4, "close": 8, "secondary": 24}


def test_close_at_6h_secondary_at_24h_day_by_day() -> None:
    pop = grid_population(3000, household=3, team=5)
    a, b = 0, 300  # A reported at 03:00 on day 2: close at 09:00 (day 2), secondary 03:00 day 3
    script = {2: [(a, 3.0), (b, 20.0)]}  # B at 20:00: close 02:00 day 3, secondary 20:00 day 3
    measures = chain(
        {"contact_tracing": {"tracers": 100, **NO_COMMUNITY}, "quarantine": ROOMY},
        before=[ScriptedDiagnoses(script)],
    )
    sim = Sim(pop, quiet_params(), seed=1, measures=measures)
    rows = run_days(sim, 5)
    close_a, sec_a = close_and_secondary(pop, [a])
    close_b, sec_b = close_and_secondary(pop, [b])
    assert len(close_a) == 6 and len(sec_a) == 8  # 2 household + 4 team; their households
    assert ids_at(rows[1], NO_ISOLATION) == set(range(pop.n))
    assert ids_at(rows[2], ISOLATED) == {a, b}
    assert ids_at(rows[2], CENTRAL_QUARANTINE) == close_a
    assert ids_at(rows[2], HOME_QUARANTINE) == set()
    assert ids_at(rows[3], CENTRAL_QUARANTINE) == close_a | close_b
    assert ids_at(rows[3], HOME_QUARANTINE) == sec_a | sec_b
    figs = registry_of(sim).figures(5)
    assert figs["cases_traced"].tolist() == [0, 0, 2, 0, 0]
    assert figs["traced_contacts"].tolist() == [0, 0, len(close_a), len(close_b), 0]
    assert figs["traced_secondary"].tolist() == [0, 0, 0, len(sec_a) + len(sec_b), 0]
    assert figs["traced_infected"].sum() == 0  # nobody is infected


@pytest.mark.parametrize(("hour", "close_day", "secondary_day"), [(15.0, 4, 5), (17.0, 5, 5)])
def test_2_4_24_hands_close_contacts_over_at_8h(
    hour: float, close_day: int, secondary_day: int
) -> None:
    pop = grid_population(600, household=3, team=5)
    case = 30
    measures = chain(
        {"contact_tracing": {"playbook": "2+4+24", "tracers": 10, **NO_COMMUNITY}},
        before=[ScriptedDiagnoses({4: [(case, hour)]})],
    )
    sim = Sim(pop, quiet_params(), seed=2, measures=measures)
    rows = run_days(sim, 7)
    close, sec = close_and_secondary(pop, [case])
    for d in range(7):  # without a quarantine measure: home quarantine for both kinds
        expect = (close if d >= close_day else set()) | (sec if d >= secondary_day else set())
        assert ids_at(rows[d], HOME_QUARANTINE) == expect, d


def test_case_found_after_tracing_ran_is_taken_next_day_at_midnight() -> None:
    """A diagnosis by a measure after tracing (e.g. quarantine testing) waits for the next day."""
    pop = grid_population(600, household=3, team=5)
    case = 60
    late = ScriptedDiagnoses({2: [(case, 1.0)]})
    tracing = build_measure("contact_tracing", {"tracers": 10, **NO_COMMUNITY})
    sim = Sim(pop, quiet_params(), seed=3, measures=[tracing, late])
    rows = run_days(sim, 5)
    close, sec = close_and_secondary(pop, [case])
    assert ids_at(rows[2], HOME_QUARANTINE) == set()
    assert ids_at(rows[3], HOME_QUARANTINE) == close  # taken at 00:00 day 3, close at 06:00
    assert ids_at(rows[4], HOME_QUARANTINE) == close | sec  # secondary at 24:00 = day 4
    assert registry_of(sim).figures(5)["cases_traced"].tolist() == [0, 0, 0, 1, 0]


def test_backlog_evolves_exactly_fifo() -> None:
    pop = grid_population(3000, household=3)
    k = [5, 0, 1, 0, 0, 3, 0, 0]
    cap = 2
    cases: list[list[tuple[int, float]]] = []
    nxt = 0
    for count in k:  # distinct households, hours rising within a day
        cases.append([(3 * (nxt + j), 1.0 + j) for j in range(count)])
        nxt += count
    script = {d: c for d, c in enumerate(cases) if c}
    measures = chain(
        {
            "contact_tracing": {
                "tracers": 2,
                "cases_per_tracer_per_day": 1.0,
                "depth": 1,
                **NO_COMMUNITY,
            }
        },
        before=[ScriptedDiagnoses(script)],
    )
    sim = Sim(pop, quiet_params(), seed=4, measures=measures)
    rows = run_days(sim, len(k))
    # the queue by hand: FIFO, cap a day
    queue: list[tuple[int, float]] = []
    backlog, traced, workload, take_day = [], [], [], {}
    for d in range(len(k)):
        queue += cases[d]
        workload.append(len(queue) / cap)
        taken, queue = queue[:cap], queue[cap:]
        for agent, hour in taken:
            # taken on report day: clock at the report hour; from the backlog: at 00:00
            take_day[agent] = d + math.floor(((hour if (agent, hour) in cases[d] else 0) + 6) / 24)
        traced.append(len(taken))
        backlog.append(len(queue))
    figs = registry_of(sim).figures(len(k))
    assert figs["tracing_backlog"].tolist() == backlog == [3, 1, 0, 0, 0, 1, 0, 0]
    assert figs["cases_traced"].tolist() == traced
    assert figs["tracer_workload"].tolist() == workload
    assert figs["tracing_capacity"].tolist() == [2.0] * len(k)
    for agent, d in take_day.items():  # the household member agent+1 is quarantined that day
        assert rows[d][agent + 1] == HOME_QUARANTINE
        assert d == 0 or rows[d - 1][agent + 1] == NO_ISOLATION


def test_capacity_defaults_and_fractional_days() -> None:
    pop = grid_population(20_000)
    m = build_measure("contact_tracing", {})
    m.start(Sim(pop, quiet_params(), seed=0))
    assert m.tracers == 4 and m.capacity == 2.0  # 2 per 10 000 residents × 0.5 cases a day
    ctx = MeasureContext(capacity={"tracers": 10})
    m = build_measure("contact_tracing", {}, context=ctx)
    m.start(Sim(pop, quiet_params(), seed=0))
    assert m.capacity == 5.0
    m = build_measure("contact_tracing", {"tracers": 1})
    m.start(Sim(pop, quiet_params(), seed=0))
    assert [m.day_capacity(d) for d in range(6)] == [0, 1, 0, 1, 0, 1]
    m = build_measure("contact_tracing", {"tracers": 1, "cases_per_tracer_per_day": 2.5})
    m.start(Sim(pop, quiet_params(), seed=0))
    assert [m.day_capacity(d) for d in range(4)] == [2, 3, 2, 3]


def test_households_always_traced_and_layer_probabilities() -> None:
    pop = grid_population(30_000, household=4, team=10, school=10)
    cases = np.arange(0, 30_000, 60)  # the first agent of every other team, one case per team
    base = {"tracers": 10_000, "depth": 1, **NO_COMMUNITY}
    script = {0: [(int(c), 5.0) for c in cases]}

    def traced(**params: float) -> set[int]:
        measures = chain(
            {"contact_tracing": {**base, **params}}, before=[ScriptedDiagnoses(script)]
        )
        sim = Sim(pop, quiet_params(), seed=5, measures=measures)
        return ids_at(run_days(sim, 1)[0], HOME_QUARANTINE)

    households = set().union(*(members(pop, "household", int(c)) for c in cases))
    assert traced(p_household=1.0, p_school=0.0, p_work=0.0) == households
    got = traced(p_household=1.0, p_school=0.0, p_work=0.5)
    team_only = set().union(*(members(pop, "work", int(c)) for c in cases)) - households
    assert got - households <= team_only
    share = len(got & team_only) / len(team_only)
    se = math.sqrt(0.25 / len(team_only))
    assert abs(share - 0.5) < 4 * se
    assert traced(p_household=0.0, p_school=1.0, p_work=0.0) == set()  # cases are no pupils


def test_depth_2_adds_close_contacts_households_and_teams() -> None:
    pop = grid_population(6000, household=3, team=4)
    cases = [0, 1, 900, 2400, 4501]
    script = {0: [(c, 2.0) for c in cases]}
    close, sec = close_and_secondary(pop, cases)
    for depth in (1, 2):
        measures = chain(
            {
                "contact_tracing": {"tracers": 100, "depth": depth, **NO_COMMUNITY},
                "quarantine": ROOMY,
            },
            before=[ScriptedDiagnoses(script)],
        )
        sim = Sim(pop, quiet_params(), seed=6, measures=measures)
        rows = run_days(sim, 2)
        assert ids_at(rows[1], CENTRAL_QUARANTINE) == close
        assert ids_at(rows[1], HOME_QUARANTINE) == (sec if depth == 2 else set())
        assert len(sec) > len(close) > 0


def test_community_infector_infectees_and_random_contacts() -> None:
    n = 50_000
    pop = grid_population(n, household=1, communities=10)
    only_community = {"tracers": 10_000, "depth": 1, "p_household": 0.0, "p_work": 0.0}

    def run(params: dict[str, float], cases: list[int], chains: bool) -> tuple[Sim, set[int]]:
        measures = chain(
            {"contact_tracing": {**only_community, **params}},
            before=[ScriptedDiagnoses({0: [(c, 1.0) for c in cases]})],
        )
        sim = Sim(pop, quiet_params(), seed=7, measures=measures)
        if chains:  # the test plays the engine: 10 was infected by 500, and infected 700, 800
            sim.infected_by[[10, 700, 800, 900]] = [500, 10, 10, 10]
            sim.infection_layer[[10, 700, 800, 900]] = [COMMUNITY, COMMUNITY, COMMUNITY, 0]
        return sim, ids_at(run_days(sim, 1)[0], HOME_QUARANTINE)

    _, got = run({"p_community": 1.0, "community_contacts": 0.0}, [10], True)
    assert got == {500, 700, 800}  # 900 was infected at home, not in the community
    _, got = run({"p_community": 0.0, "community_contacts": 0.0}, [10], True)
    assert got == set()
    cases = list(range(0, n, 250))  # 200 cases
    _, got = run({"p_community": 0.0, "community_contacts": 4.0}, cases, False)
    comm = pop.community
    assert set(comm[list(got)].tolist()) <= set(comm[cases].tolist())
    per_case = len(got) / len(cases)  # Poisson(4) per case (rare duplicates)
    assert abs(per_case - 4.0) < 4 * math.sqrt(4.0 / len(cases))
    # default mean: p_community × daily community contacts (10) × 2 window days
    _, got = run({"p_community": 0.3}, cases, False)
    assert abs(len(got) / len(cases) - 6.0) < 4 * math.sqrt(6.0 / len(cases))


def test_without_quarantine_measure_home_quarantine_ends_after_home_days() -> None:
    pop = grid_population(900, household=3)
    measures = chain(
        {"contact_tracing": {"tracers": 10, "home_days": 5, "depth": 1, **NO_COMMUNITY}},
        before=[ScriptedDiagnoses({1: [(30, 4.0)]})],
    )
    sim = Sim(pop, quiet_params(), seed=8, measures=measures)
    rows = run_days(sim, 9)
    status = [int(r[31]) for r in rows]
    assert status == [0] + [HOME_QUARANTINE] * 5 + [0, 0, 0]
    assert registry_of(sim).figures(9)["home_quarantine"].tolist() == [0, 2, 2, 2, 2, 2, 0, 0, 0]


def test_same_seed_same_figures() -> None:
    pop = grid_population(20_000, household=3, team=10, communities=5)
    script = {d: [(int(i), 7.5) for i in range(d * 97, 20_000, 1999)] for d in range(4)}

    def run(seed: int) -> dict[str, np.ndarray]:
        measures = chain(
            {"contact_tracing": {"tracers": 3}, "quarantine": {"rooms": 50}},
            before=[ScriptedDiagnoses(script)],
        )
        sim = Sim(pop, quiet_params(), seed=seed, measures=measures)
        sim.run(8)
        return registry_of(sim).figures(8)

    a, b, c = run(11), run(11), run(12)
    assert a.keys() == b.keys()
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert a["tracing_backlog"].max() > 0 and a["no_room"].sum() > 0
    assert not np.array_equal(a["traced_contacts"], c["traced_contacts"])


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"p_household": 1.5}, r"contact_tracing\.p_household: .*less than or equal to 1"),
        ({"playbook": "3+3"}, r"contact_tracing\.playbook: "),
        ({"depth": 3}, r"contact_tracing\.depth: "),
        ({"tracers": 0}, r"contact_tracing\.tracers: .*greater than 0"),
        ({"close_hours": 30}, r"contact_tracing: secondary_hours \(24\) must not be before"),
        ({"tracer": 3}, r"contact_tracing\.tracer: Extra inputs"),
    ],
)
def test_bad_params(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_measure("contact_tracing", params)
    with pytest.raises(ValueError, match=r"contact_tracing\.tracers: the context"):
        ContactTracing.from_config({}, context=MeasureContext(capacity={"tracers": -1}))
