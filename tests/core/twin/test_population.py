"""Agents from arrays and from the generated city."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.city.schemas import OCCUPATION
from epicontrol.core.twin.population import (
    ALL_DAYS_MASK,
    WEEKDAYS_MASK,
    build_groups,
    population_from_arrays,
    population_from_city,
)


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=5_000, days=1, seed=3))


def test_groups_csr() -> None:
    of = np.array([2, -1, 0, 2, 1, -1, 0], dtype=np.int32)
    g = build_groups(of, 4)
    assert g.count == 4
    assert g.sizes().tolist() == [2, 1, 2, 0]
    for k in range(4):
        members = g.members[g.offsets[k] : g.offsets[k + 1]]
        assert members.tolist() == np.flatnonzero(of == k).tolist()


def test_from_arrays_renumbers_and_defaults() -> None:
    pop = population_from_arrays(
        age=np.array([30, 5, 70, 40]),
        household=np.array([10, 10, 7, 99]),
        community=np.array([5, 5, 9, 9]),
        district=np.array([0, 0, 1, 1]),
        school_group=np.array([-1, 42, -1, -1]),
        work_group=np.array([3, -1, -1, 3]),
        district_names=("A", "B"),
    )
    assert pop.n == 4 and pop.n_households == 3 and pop.n_communities == 2
    assert pop.household.tolist() == [1, 1, 0, 2]
    assert pop.school_group.tolist() == [-1, 0, -1, -1] and pop.n_school_groups == 1
    assert pop.work_group.tolist() == [0, -1, -1, 0] and pop.n_work_groups == 1
    assert (pop.active_days == WEEKDAYS_MASK).all()
    assert pop.agents_in_district("B").tolist() == [2, 3]
    hh = pop.groups("household")
    assert hh.members[hh.offsets[1] : hh.offsets[2]].tolist() == [0, 1]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"age": np.array([30, 200]), "household": np.array([0, 1])}, "age must be integers"),
        ({"age": np.array([30, 20]), "household": np.array([0])}, "household must have one value"),
        ({"age": np.array([30, 20]), "household": np.array([0, -1])}, "household must be >= 0"),
        (
            {"age": np.array([30]), "household": np.array([0]), "work_group": np.array([-2])},
            r"work_group must be >= -1",
        ),
        (
            {
                "age": np.array([30]),
                "household": np.array([0]),
                "work_group": np.array([1]),
                "school_group": np.array([1]),
            },
            "both a school_group and a work_group",
        ),
        (
            {"age": np.array([30]), "household": np.array([0]), "active_days": np.array([300])},
            "active_days must be",
        ),
        (
            {"age": np.array([1, 2]), "household": np.array([0, 1]), "district": np.array([0, 2]),
             "district_names": ("a", "b")},
            "district_names must name every district",
        ),
    ],
)  # fmt: skip
def test_from_arrays_rejects(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        population_from_arrays(**kwargs)  # type: ignore[arg-type]


def test_from_city(city: GeneratedCity) -> None:
    pop = population_from_city(city)
    persons = city.persons
    assert pop.n == persons.num_rows
    assert pop.n_households == city.households.num_rows
    np.testing.assert_array_equal(pop.age, persons.column("age").to_numpy())
    # District and community of each agent, checked against the city's activity model.
    home = city.activity.home_units  # (community, street, district), 0-based per level
    np.testing.assert_array_equal(pop.district, home[:, 2])
    _, dense = np.unique(home[:, 0], return_inverse=True)
    np.testing.assert_array_equal(pop.community, dense)
    assert pop.n_districts == 13 and pop.district_names[0] == "中洲区"
    areas = city.areas
    assert pop.community_area_ids.tolist() == sorted(
        set(city.community_ids[np.unique(home[:, 0])].tolist())
    )
    d_names = dict(
        zip(areas.column("id").to_pylist(), areas.column("name").to_pylist(), strict=True)
    )
    assert [d_names[i] for i in pop.district_area_ids] == list(pop.district_names)
    # School classes hold pupils, work teams workers; nobody is in both.
    pupils = np.isin(
        pop.occupation, [OCCUPATION[o] for o in ("preschool", "student", "university_student")]
    )
    assert (pop.school_group[~pupils] == -1).all()
    assert (pop.school_group[pupils] >= 0).mean() > 0.95
    assert (pop.work_group[pupils] == -1).all()
    has_group = persons.column("group_id").is_valid().to_numpy(zero_copy_only=False)
    np.testing.assert_array_equal((pop.school_group >= 0) | (pop.work_group >= 0), has_group)
    # Six-day workers get one day off; the others Monday to Friday.
    six = np.isin(pop.occupation, [OCCUPATION["service_worker"], OCCUPATION["health_worker"]])
    assert six.any()
    off = ALL_DAYS_MASK & ~pop.active_days[six].astype(np.int64)
    assert (np.bitwise_count(off) == 1).all()
    assert (pop.active_days[~six] == WEEKDAYS_MASK).all()
    # Group CSRs agree with the per-agent ids.
    work = pop.groups("work")
    assert work.sizes().sum() == (pop.work_group >= 0).sum()
    g = int(np.argmax(work.sizes()))
    assert (pop.work_group[work.members[work.offsets[g] : work.offsets[g + 1]]] == g).all()
