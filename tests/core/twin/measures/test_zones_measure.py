"""Three zones in the twin against the zone engine run independently and hand-worked timelines."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.twin.measures import MeasureContext, build_measure, registry_of
from epicontrol.core.twin.measures.registry import SYMPTOMATIC
from epicontrol.core.twin.measures.zones import (
    DEFAULT_REDUCTION,
    ThreeZones,
    agent_buildings,
    area_graph_from_tables,
)
from epicontrol.core.twin.sim import Sim
from epicontrol.core.zones import Footprints, ZoneState, default_rules, delineate, run, surge_days

from ._area_helpers import C, L, P, context, drive, residents_of, still_params, tiny_graph, town

GRAPH = tiny_graph()
ONES = [1.0, 1.0, 1.0, 1.0]


def zone_run(
    params: dict[str, object], cases: dict[int, list[int]], days: int, per_building: int = 4
) -> tuple[Sim, ThreeZones, list[dict[int, int]]]:
    """Levels by unit at the end of each day; ``cases`` diagnosed by hand on their day."""
    pop = town(per_building)
    zones = build_measure("zones", params, context=context(pop, GRAPH))
    sim = Sim(pop, still_params(), measures=[zones])
    reg = registry_of(sim)
    out: list[dict[int, int]] = []

    def before(day: int) -> None:
        if day in cases:
            reg.diagnose(sim, cases[day], day, SYMPTOMATIC)

    for day in range(days):
        drive(sim, [day], before)
        out.append(dict(zip(zones.unit.tolist(), zones.level.tolist(), strict=True)))
    return sim, zones, out


def engine_levels(home: int, days: int) -> list[dict[int, int]]:
    """The same case through delineate + engine.run, computed without the measure."""
    rules = default_rules()
    d = delineate(GRAPH, Footprints.of(home_building=[home]), rules.delineation)
    n = len(d.unit)
    state = ZoneState.of(level=d.level, clear_days=[-1] * n, group=d.group)
    steps = run(
        state,
        new_cases=np.zeros((days, n), np.int64),
        city_cases=[1] + [0] * (days - 1),
        rules=rules,
    )
    return [
        {u: lv for u, lv in zip(d.unit.tolist(), s.state.level.tolist(), strict=True) if lv < 3}
        for s in steps
    ]


def test_one_case_is_zoned_and_lifted_as_the_engine_runs_it() -> None:
    expected = engine_levels(9, 20)
    # the known timeline (docs/zones.md): 7 clear days, lifting order within the street
    assert expected[0] == {9: L, 10: C, 11: P, 12: P, 13: P}
    assert expected[7] == {9: C, 10: C, 11: P, 12: P, 13: P}
    assert expected[8] == {9: C, 10: P, 11: P, 12: P, 13: P}
    assert expected[14] == dict.fromkeys((9, 10, 11, 12, 13), P) and expected[15] == {}
    sim, _, got = zone_run({"draw_delay_hours": 0}, {0: [0]}, 20)
    assert got == expected
    figs = registry_of(sim).figures(20)
    assert figs["zones_lockdown"].tolist() == [1] * 7 + [0] * 13
    assert figs["zones_control"].tolist() == [1] * 7 + [2] + [1] * 6 + [0] * 6
    assert figs["zones_prevention"].tolist() == [3] * 8 + [4] * 6 + [5] + [0] * 5
    assert figs["residents_lockdown"].tolist() == [4] * 7 + [0] * 13
    assert figs["residents_prevention"][14] == 20
    assert figs["zones_drawn"].tolist() == [5] + [0] * 19
    assert figs["zones_lifted"][15] == 5 and figs["zones_lifted"].sum() == 5


@pytest.mark.parametrize(("hours", "shift"), [(6.0, 1), (24.0, 1), (30.0, 2), (48.0, 2)])
def test_zones_are_drawn_the_days_the_delay_says(hours: float, shift: int) -> None:
    expected = engine_levels(9, 18)
    _, _, got = zone_run({"draw_delay_hours": hours}, {0: [0]}, 18 + shift)
    assert got[:shift] == [{}] * shift
    assert got[shift:] == expected


def test_a_second_case_at_home_restarts_every_clock_of_its_zones() -> None:
    expected = engine_levels(9, 20)
    _, _, got = zone_run({"draw_delay_hours": 0}, {0: [0], 3: [1]}, 23)
    assert got[:3] == expected[:3]
    assert got[3:] == expected[:20]


def test_a_case_in_a_control_zone_escalates_it_and_delays_the_street() -> None:
    # case A at 9 on day 0; case B at 10 (control) on day 2: worked by hand from the rules
    _, _, got = zone_run({"draw_delay_hours": 0}, {0: [0], 2: [4]}, 19)
    assert got[1] == {9: L, 10: C, 11: P, 12: P, 13: P}
    assert got[2] == {9: L, 10: L, 11: C, 12: P, 13: P}  # 10 by new case, 11 by B's zones
    assert got[6] == got[2]
    assert got[7] == {9: C, 10: L, 11: C, 12: P, 13: P}  # 9 keeps its day-0 clock
    assert got[9] == {9: C, 10: C, 11: C, 12: P, 13: P}  # 11 blocked by lockdown 10
    assert got[10] == {9: C, 10: C, 11: P, 12: P, 13: P}
    assert got[14] == {9: P, 10: C, 11: P, 12: P, 13: P}
    assert got[16] == dict.fromkeys((9, 10, 11, 12, 13), P)
    assert got[17] == {} and got[18] == {}


def test_residents_keep_the_factors_of_their_level_and_get_everything_back() -> None:
    sim, _, _ = zone_run({"draw_delay_hours": 0}, {0: [0]}, 1)
    cm = sim.contact_mult
    lock, ctrl, prev = (DEFAULT_REDUCTION[k] for k in ("lockdown", "control", "prevention"))
    home, near, street, other = (residents_of(sim.pop, b) for b in (9, 10, 12, 14))
    seen: dict[int, tuple[list[float], list[float], list[float]]] = {}
    for day in range(1, 17):
        drive(sim, [day])
        seen[day] = (cm[:, home[1]].tolist(), cm[:, near[0]].tolist(), cm[:, street[0]].tolist())
        assert (cm[:, other] == 1).all()  # street 3 is never zoned
        for group in (home, near, street):  # every resident of a unit alike
            assert (cm[:, group] == cm[:, group[:1]]).all()
    assert seen[3] == (list(lock), list(lock), list(prev))  # a drawn control: lockdown 4 days
    assert seen[4][1] == pytest.approx(ctrl) and seen[7][1] == pytest.approx(ctrl)
    assert seen[7][0] == pytest.approx(ctrl)  # downgraded: no lockdown days again
    assert seen[8][1] == list(prev)
    assert seen[15] == (ONES, ONES, ONES) and seen[16] == (ONES, ONES, ONES)
    assert sim.contact_mult.min() == 1.0


def test_custom_reduction_and_compound_units() -> None:
    sim, zones, got = zone_run(
        {"draw_delay_hours": 0, "unit": "compound", "reduction": {"lockdown": [0.5, 0, 0, 0]}},
        {0: [0]},
        1,
    )
    assert got[0] == {6: L, 7: C}  # compound 6 (buildings 9-11) and its neighbour 7
    figs = registry_of(sim).figures(1)
    assert figs["residents_lockdown"][0] == 12 and figs["residents_control"][0] == 8
    lock = residents_of(sim.pop, 11)
    assert sim.contact_mult[:, lock].T.tolist() == [[0.5, 0, 0, 0]] * 4
    ctrl = residents_of(sim.pop, 13)
    assert sim.contact_mult[:, ctrl[0]].tolist() == [0.5, 0, 0, 0]  # as lockdown, 4 days
    assert zones.residents([6]).tolist() == list(range(12))


def test_city_surge_escalates_prevention_and_freezes_downgrades() -> None:
    # 1, 2, 3 new cases on days 0-2: a rise of >= 50 % two days running on day 2
    cases = {0: [0], 1: [20, 24], 2: [1, 2, 3]}
    sim, _, got = zone_run({"draw_delay_hours": 0}, cases, 12)
    series = [1, 2, 3] + [0] * 9
    assert (
        registry_of(sim).figures(12)["zones_surge"].tolist()
        == surge_days(series, default_rules()).tolist()
    )
    assert got[1][11] == P and got[1][14] == L
    assert P not in got[2].values()  # every prevention zone went to control
    assert got[8][14] == L  # drawn on day 1, due on day 8, but downgrades are frozen days 2-8
    assert got[9][14] == C


def test_rules_file_without_redelineation(tmp_path: Path) -> None:
    rules = tmp_path / "rules.toml"
    rules.write_text("version = 1\n[escalation.new_case]\nredelineate = false\n", encoding="utf-8")
    _, _, got = zone_run(
        {"draw_delay_hours": 0, "rules_file": str(rules)}, {0: [0], 2: [4], 3: [20]}, 4
    )
    assert got[2] == {9: L, 10: L, 11: P, 12: P, 13: P}  # escalated, no new zones around 10
    assert got[3][14] == L and got[3][15] == C  # a case outside every zone is still drawn


def test_city_helpers_map_tables_and_buildings() -> None:
    ids = sorted(PARENT_IDS)
    areas = pa.table(
        {
            "id": pa.array(ids, pa.int32()),
            "parent_id": pa.array([None if p < 0 else p for p in PARENT_IDS.values()]),
            "level": pa.array([LEVEL_NAMES[lv] for lv in LEVEL_OF.values()]),
        }
    )
    edges = np.array([(9, 10), (10, 11), (11, 12), (12, 13), (13, 14), (14, 15), (6, 7), (7, 8)])
    adjacency = pa.table({"area_a": edges[:, 0], "area_b": edges[:, 1]})
    graph = area_graph_from_tables(areas, adjacency)
    for name in ("parent", "level", "indptr", "indices"):
        assert np.array_equal(getattr(graph, name), getattr(GRAPH, name))
    assert agent_buildings(graph, [9, 15, 6, 99, -1]).tolist() == [9, 15, -1, -1, -1]
    with pytest.raises(ValueError, match="areas: missing columns level"):
        area_graph_from_tables(areas.drop(["level"]), adjacency)


PARENT_IDS = {0: -1, 1: 0, 2: 1, 3: 1, 4: 2, 5: 3, 6: 4, 7: 4, 8: 5}
PARENT_IDS.update({9: 6, 10: 6, 11: 6, 12: 7, 13: 7, 14: 8, 15: 8})
LEVEL_OF = {i: (5 if i >= 9 else [0, 1, 2, 2, 3, 3, 4, 4, 4][i]) for i in PARENT_IDS}
LEVEL_NAMES = ("city", "district", "street", "community", "compound", "building")


def test_unplaced_cases_draw_nothing() -> None:
    pop = town(4)
    ab = agent_buildings(GRAPH, pop.building)
    ab[:4] = -1  # building 9's residents have no known building
    ctx = MeasureContext(area_graph=GRAPH, agent_building=ab)
    zones = build_measure("zones", {"draw_delay_hours": 0}, context=ctx)
    sim = Sim(pop, still_params(), measures=[zones])
    drive(sim, [0], lambda d: registry_of(sim).diagnose(sim, [0, 8], d, SYMPTOMATIC))
    figs = registry_of(sim).figures(1)
    assert figs["zones_unplaced_cases"][0] == 1
    assert figs["zones_lockdown"][0] == 1 and zones.unit[zones.level == L].tolist() == [11]


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"reduction": {"lockdown": [1, 0, 0]}}, r"zones\.reduction: lockdown must have 4"),
        ({"reduction": {"curfew": [1, 0, 0, 0]}}, r"zones\.reduction\.curfew\.\[key\]"),
        ({"draw_delay_hours": -1}, r"zones\.draw_delay_hours: Input should be greater"),
        ({"unit": "street"}, r"zones\.unit: Input should be"),
        ({"colour": "red"}, r"zones\.colour: Extra inputs"),
        ({"control_as_lockdown_days": 1.5}, r"zones\.control_as_lockdown_days"),
        ({"rules_file": "/nonexistent/rules.toml"}, r"zones\.rules_file: rules\.toml"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, object], match: str) -> None:
    pop = town(2)
    with pytest.raises(ValueError, match=match):
        build_measure("zones", params, context=context(pop, GRAPH))


def test_bad_context_names_it() -> None:
    with pytest.raises(ValueError, match=r"zones\.context: the zones measure needs"):
        build_measure("zones", {}, context=MeasureContext())
    pop = town(2)
    short = MeasureContext(area_graph=GRAPH, agent_building=np.array([9, 10]))
    sim = Sim(pop, still_params(), measures=[build_measure("zones", {}, context=short)])
    with pytest.raises(ValueError, match=r"zones\.context\.agent_building: must hold one"):
        sim.step()
    wrong = MeasureContext(area_graph=GRAPH, agent_building=np.full(pop.n, 6))
    sim = Sim(pop, still_params(), measures=[build_measure("zones", {}, context=wrong)])
    with pytest.raises(ValueError, match=r"agent 0 has 6, not a building"):
        sim.step()
