"""Buildings and residents of zones on the tiny graph."""

from __future__ import annotations

import pytest

from epicontrol.core.zones import AreaGraph, FieldError, member_counts, zone_buildings


def test_buildings_of_units_at_several_levels(graph: AreaGraph) -> None:
    zone, building = zone_buildings(graph, [7, 9, 5], [4, 5, 3])
    assert list(zip(zone.tolist(), building.tolist(), strict=True)) == [
        (0, 12), (0, 13), (1, 9), (2, 14), (2, 15),
    ]  # fmt: skip


def test_residents_and_tiers(graph: AreaGraph) -> None:
    persons = [9, 9, 12, 13, 13, 14, 10]
    tiers = [0, -1, 1, 2, 2, -1, 0]
    residents, by_tier = member_counts(
        graph, [9, 7, 8], [5, 4, 4], person_building=persons, person_tier=tiers
    )
    assert residents.tolist() == [2, 3, 1]
    assert by_tier.tolist() == [[1, 0, 0], [0, 1, 2], [0, 0, 0]]
    with pytest.raises(
        FieldError, match=r"person_building\[0\]: must be an area of level building"
    ):
        member_counts(graph, [9], [5], person_building=[6], person_tier=[-1])
    with pytest.raises(FieldError, match=r"unit\[0\]: area 9 is not of level 4"):
        member_counts(graph, [9], [4], person_building=[9], person_tier=[-1])
