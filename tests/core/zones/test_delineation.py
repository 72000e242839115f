"""Delineation on the tiny hand-made graph (conftest) against answers worked out by hand."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.zones import (
    REASONS,
    AreaGraph,
    DelineationParams,
    FieldError,
    Footprints,
    RulesError,
    delineate,
)

L, C, P = 0, 1, 2


def zones(d: object) -> dict[int, int]:
    return dict(zip(d.unit.tolist(), d.level.tolist(), strict=True))  # type: ignore[attr-defined]


def sources(d: object) -> set[tuple[int, int, str, int]]:
    return {
        (int(d.unit[r]), int(c), REASONS[int(why)], int(m))  # type: ignore[attr-defined]
        for r, c, why, m in zip(
            d.source_row,
            d.source_case,
            d.source_reason,
            d.source_minutes,
            strict=True,  # type: ignore[attr-defined]
        )
    }


CASE_A = Footprints.of(
    home_building=[9],
    visit_case=[0, 0, 0],
    visit_building=[12, 12, 15],
    visit_minutes=[150, 100, 30],
)


def test_buildings_home_stayed_adjacent_visited_street(graph: AreaGraph) -> None:
    d = delineate(graph, CASE_A, DelineationParams())
    # lockdown: home 9, stayed 12 (150 + 100 = 250 min ≥ 240); control: neighbours of
    # 9 and 12 (10, 11, 13) and the visited 15; prevention: the rest of both streets (14)
    assert zones(d) == {9: L, 10: C, 11: C, 12: L, 13: C, 14: P, 15: C}
    assert sources(d) == {
        (9, 0, "home", 0),
        (10, 0, "adjacent", 0),
        (11, 0, "adjacent", 0),
        (12, 0, "stayed", 250),
        (13, 0, "adjacent", 0),
        (14, 0, "street", 0),
        (15, 0, "visited", 30),
    }
    assert d.group.tolist() == [2, 2, 2, 2, 2, 3, 3]
    assert d.counts() == {"lockdown": 2, "control": 4, "prevention": 1}
    assert list(zip(d.street_group.tolist(), d.street_case.tolist(), strict=True)) == [
        (2, 0),
        (3, 0),
    ]


def test_stay_threshold_and_prevention_only_around_lockdown(graph: AreaGraph) -> None:
    d = delineate(
        graph, CASE_A, DelineationParams(stay_minutes=251, prevention_around_control=False)
    )
    # 250 min is below the threshold: 12 is only visited (control); the street of 15 is
    # not drawn, and street 2 holds every unit not already stricter
    assert zones(d) == {9: L, 10: C, 11: P, 12: C, 13: P, 15: C}


def test_two_cases_overlap_to_the_strictest_level(graph: AreaGraph) -> None:
    fp = Footprints.of(
        home_building=[9, 14],
        visit_case=[0, 0, 0],
        visit_building=[12, 12, 15],
        visit_minutes=[150, 100, 30],
    )
    d = delineate(graph, fp, DelineationParams())
    # case 1 lives in 14 (case 0 made it prevention): lockdown wins; 13 is adjacent to
    # both cases' lockdown units, 15 visited by case 0 and adjacent for case 1
    assert zones(d) == {9: L, 10: C, 11: C, 12: L, 13: C, 14: L, 15: C}
    src = sources(d)
    assert (14, 1, "home", 0) in src and not any(s[0] == 14 and s[1] == 0 for s in src)
    assert {(13, 0, "adjacent", 0), (13, 1, "adjacent", 0)} <= src
    assert {(15, 0, "visited", 30), (15, 1, "adjacent", 0)} <= src


def test_compound_unit_sums_dwell_over_its_buildings(graph: AreaGraph) -> None:
    fp = Footprints.of(
        home_building=[9],
        visit_case=[0, 0, 0],
        visit_building=[12, 13, 15],
        visit_minutes=[100, 150, 30],
    )
    assert zones(delineate(graph, fp, DelineationParams())) == {
        9: L, 10: C, 11: P, 12: C, 13: C, 14: P, 15: C,
    }  # fmt: skip
    d = delineate(graph, fp, DelineationParams(unit="compound"))
    # compound 7 holds 12 and 13: 250 min, stayed; compound 8 visited (30 min)
    assert zones(d) == {6: L, 7: L, 8: C}
    assert (7, 0, "stayed", 250) in sources(d)


def test_prevention_radius_and_community_unit(graph: AreaGraph) -> None:
    fp = Footprints.of(home_building=[9])
    # radius 1 above a building = its compound: 11 is adjacent-free prevention
    d = delineate(graph, fp, DelineationParams(prevention_level=None, prevention_radius=1))
    assert zones(d) == {9: L, 10: C, 11: P}
    d = delineate(graph, fp, DelineationParams(unit="community"))
    assert zones(d) == {4: L}  # communities 4 and 5 are not adjacent; street 2 has only 4
    # district as the prevention area: every building of the city
    d = delineate(graph, fp, DelineationParams(prevention_level="district"))
    assert set(zones(d)) == set(range(9, 16))


def test_no_cases_no_zones(graph: AreaGraph) -> None:
    d = delineate(graph, Footprints.of(home_building=np.zeros(0, np.int64)), DelineationParams())
    assert len(d.unit) == 0 and d.counts() == {"lockdown": 0, "control": 0, "prevention": 0}


def test_bad_input_names_the_field(graph: AreaGraph) -> None:
    with pytest.raises(
        FieldError, match=r"home_building\[1\]: must be an area of level building, got 6"
    ):
        delineate(graph, Footprints.of(home_building=[9, 6]), DelineationParams())
    with pytest.raises(FieldError, match=r"home_building\[0\]: must be a known area id .*got 99"):
        delineate(graph, Footprints.of(home_building=[99]), DelineationParams())
    bad_visit = Footprints.of(
        home_building=[9], visit_case=[0], visit_building=[77], visit_minutes=[5]
    )
    with pytest.raises(FieldError, match=r"visit_building\[0\]"):
        delineate(graph, bad_visit, DelineationParams())
    bad_case = Footprints.of(
        home_building=[9], visit_case=[1], visit_building=[10], visit_minutes=[5]
    )
    with pytest.raises(FieldError, match=r"visit_case\[0\]: must be a case position"):
        delineate(graph, bad_case, DelineationParams())
    with pytest.raises(RulesError, match="stay_minutes: must be an integer from 1"):
        delineate(graph, Footprints.of(home_building=[9]), DelineationParams(stay_minutes=0))
    with pytest.raises(RulesError, match="prevention_level: must be a level above the unit"):
        DelineationParams(unit="compound", prevention_level="compound").validate()


def test_graph_checks() -> None:
    with pytest.raises(FieldError, match=r"edge_b.*same level"):
        AreaGraph.build(
            area_id=[0, 1, 2], parent_id=[-1, 0, 1], level=[0, 1, 2], edge_a=[1], edge_b=[2]
        )
    with pytest.raises(FieldError, match=r"parent_id\[1\]: must be a known area of a higher level"):
        AreaGraph.build(area_id=[0, 1], parent_id=[-1, 1], level=[0, 1], edge_a=[], edge_b=[])
    with pytest.raises(FieldError, match="area id 1 appears twice"):
        AreaGraph.build(
            area_id=[0, 1, 1], parent_id=[-1, 0, 0], level=[0, 1, 1], edge_a=[], edge_b=[]
        )
