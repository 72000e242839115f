"""Invariants of the synthetic city generator."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from epicontrol.core.city.checkins import DAY_END, MINUTES_PER_DAY
from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.city.schemas import (
    AREA_LEVELS,
    OCCUPATION,
    SIGNALS,
    VENUE_TYPES,
    SpecialFlag,
    tier_of,
)

N = 6_000


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=N, days=3, seed=7))


def col(table: pa.Table, name: str) -> np.ndarray:
    return table.column(name).to_numpy(zero_copy_only=False)


def test_ids_are_dense_from_zero(city: GeneratedCity) -> None:
    for name in ("areas", "households", "persons", "venues", "groups", "facilities"):
        ids = col(getattr(city, name), "id")
        assert np.array_equal(ids, np.arange(len(ids))), name
    assert city.persons.num_rows == N


def test_every_person_in_one_household_and_its_building(city: GeneratedCity) -> None:
    hh = col(city.persons, "household_id")
    building = col(city.persons, "building_id")
    hh_building = col(city.households, "building_id")
    assert np.array_equal(building, hh_building[hh])
    sizes = np.bincount(hh, minlength=city.households.num_rows)
    assert np.array_equal(sizes, col(city.households, "size"))
    assert sizes.min() >= 1
    levels = col(city.areas, "level")
    assert (levels[building] == "building").all()


def test_household_sizes_are_realistic(city: GeneratedCity) -> None:
    sizes = col(city.households, "size")
    assert 2.4 < sizes.mean() < 2.9  # China 2020 census: 2.62
    assert 0.20 < (sizes == 1).mean() < 0.31


def test_area_populations_sum_to_the_city(city: GeneratedCity) -> None:
    levels = col(city.areas, "level")
    pop = col(city.areas, "population")
    parent = city.areas.column("parent_id").fill_null(-1).to_numpy()
    assert pop[levels == "city"].tolist() == [N]
    for level in AREA_LEVELS[1:]:
        assert pop[levels == level].sum() == N, level
    # each unit holds exactly what its children hold
    for level in AREA_LEVELS[1:]:
        children = levels == level
        rolled = np.bincount(parent[children], weights=pop[children], minlength=len(pop))
        parents = np.unique(parent[children])
        assert np.array_equal(rolled[parents], pop[parents])
    households = col(city.areas, "households")
    assert households[levels == "city"].tolist() == [city.households.num_rows]


def test_hierarchy_and_adjacency_levels(city: GeneratedCity) -> None:
    levels = col(city.areas, "level")
    parent = city.areas.column("parent_id").fill_null(-1).to_numpy()
    index = np.array([AREA_LEVELS.index(v) for v in levels])
    has_parent = parent >= 0
    assert (index[parent[has_parent]] == index[has_parent] - 1).all()
    assert (levels == "district").sum() == 13
    a = col(city.adjacency, "area_a")
    b = col(city.adjacency, "area_b")
    assert (a < b).all()
    assert (levels[a] == levels[b]).all()
    assert len(np.unique(np.stack([a, b], axis=1), axis=0)) == len(a)
    # every district touches at least one other
    d = np.flatnonzero(levels == "district")
    touched = np.union1d(a[np.isin(a, d)], b[np.isin(b, d)])
    assert set(touched) == set(d)


def test_generation_is_deterministic_for_a_seed(city: GeneratedCity) -> None:
    again = generate_city(CityParams(population=N, days=3, seed=7))
    for name in ("areas", "adjacency", "households", "persons", "venues", "groups", "facilities"):
        assert getattr(city, name).equals(getattr(again, name)), name
    day = pa.Table.from_batches(list(city.checkins_for_day(1)))
    assert day.equals(pa.Table.from_batches(list(again.checkins_for_day(1))))
    other = generate_city(CityParams(population=N, days=3, seed=8))
    assert not other.persons.equals(city.persons)


def test_checkins_do_not_depend_on_chunking(city: GeneratedCity) -> None:
    whole = pa.Table.from_batches(list(city.checkins_for_day(2)))
    chunked = pa.Table.from_batches(list(city.checkins_for_day(2, chunk=777)))
    assert whole.equals(chunked)


def test_checkins_ordered_non_overlapping_and_within_the_day(city: GeneratedCity) -> None:
    total = 0
    for day in range(3):
        t = pa.Table.from_batches(list(city.checkins_for_day(day)))
        person = col(t, "person_id")
        t_in = col(t, "t_in")
        t_out = col(t, "t_out")
        venue = col(t, "venue_id")
        assert (np.diff(person) >= 0).all()
        same = person[1:] == person[:-1]
        assert (t_in[1:][same] >= t_out[:-1][same]).all(), "a person's visits overlap"
        assert (t_out > t_in).all()
        assert (t_in >= day * MINUTES_PER_DAY + 6 * 60).all()
        assert (t_out <= day * MINUTES_PER_DAY + DAY_END).all()
        assert ((venue >= 0) & (venue < city.venues.num_rows)).all()
        assert t.schema.field("t_in").type == pa.int32()
        total += t.num_rows
    assert total / (N * 3) >= 3.0


def test_workers_and_pupils_check_in_at_their_organisation(city: GeneratedCity) -> None:
    monday = pa.Table.from_batches(list(city.checkins_for_day(0)))  # 2026-11-02 is a Monday
    assert city.params.start.weekday() == 0
    org = city.persons.column("org_venue_id").fill_null(-1).to_numpy()
    occ = col(city.persons, "occupation")
    pupils = np.flatnonzero(occ == "student")
    at_org = org[col(monday, "person_id")] == col(monday, "venue_id")
    went = np.zeros(N, dtype=bool)
    went[col(monday, "person_id")[at_org]] = True
    assert 0.9 < went[pupils].mean() < 0.99  # 5 % absent


def test_organisations_match_occupations(city: GeneratedCity) -> None:
    vtype = col(city.venues, "type")
    org = city.persons.column("org_venue_id").fill_null(-1).to_numpy()
    group = city.persons.column("group_id").fill_null(-1).to_numpy()
    occ = col(city.persons, "occupation")
    expected = {
        "student": {"school"},
        "preschool": {"school"},
        "university_student": {"university"},
        "office_worker": {"office"},
        "factory_worker": {"factory"},
        "health_worker": {"hospital"},
        "service_worker": {"restaurant", "market", "pharmacy", "mall"},
    }
    for name, types in expected.items():
        members = occ == name
        assert members.any(), name
        assert set(np.unique(vtype[org[members]])) <= types, name
    for name in ("infant", "retired", "unemployed"):
        assert (org[occ == name] == -1).all()
    # a person's group belongs to the person's organisation
    g_venue = col(city.groups, "venue_id")
    has = group >= 0
    assert np.array_equal(g_venue[group[has]], org[has])
    assert ((group >= 0) == (org >= 0)).all()
    # a class holds pupils of one school and at most 50
    kinds = col(city.groups, "kind")
    sizes = np.bincount(group[has], minlength=city.groups.num_rows)
    assert sizes[kinds == "class"].max() <= 50


def test_ages_occupations_and_special_flags(city: GeneratedCity) -> None:
    age = col(city.persons, "age")
    assert age.min() >= 0 and age.max() <= 100
    assert 0.12 < (age < 15).mean() < 0.24
    assert 0.14 < (age >= 60).mean() < 0.26
    occ = col(city.persons, "occupation")
    assert (age[occ == "student"] >= 6).all() and (age[occ == "student"] <= 17).all()
    assert (age[occ == "retired"] >= 55).all()
    flags = col(city.persons, "special_flags")
    tiers = city.persons.column("special_tier").to_pylist()
    assert tiers == [tier_of(int(f)) for f in flags]
    alone = (flags & SpecialFlag.LIVING_ALONE_ELDERLY) > 0
    size = col(city.households, "size")[col(city.persons, "household_id")]
    assert np.array_equal(alone, (size == 1) & (age >= 65))
    pregnant = (flags & SpecialFlag.PREGNANCY) > 0
    sex = col(city.persons, "sex")
    assert (sex[pregnant] == "F").all()
    assert set(np.unique(occ)) <= set(OCCUPATION)


def test_phones_and_id_numbers(city: GeneratedCity) -> None:
    age = col(city.persons, "age")
    phone = city.persons.column("phone")
    assert phone.null_count == int((age < 12).sum())
    lengths = pc.utf8_length(phone.drop_null()).to_numpy()
    assert (lengths == 11).all()
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    sex = col(city.persons, "sex")
    for i, number in enumerate(city.persons.column("id_number").to_pylist()[:500]):
        assert len(number) == 18
        total = sum(int(c) * w for c, w in zip(number[:17], weights, strict=True))
        assert number[17] == "10X98765432"[total % 11]
        assert int(number[16]) % 2 == (1 if sex[i] == "M" else 0)
        birth_year = int(number[6:10])
        assert abs((2026 - birth_year) - age[i]) <= 1


def test_venues_and_facilities(city: GeneratedCity) -> None:
    vtype = col(city.venues, "type")
    assert set(np.unique(vtype)) == set(VENUE_TYPES)
    levels = col(city.areas, "level")
    assert (levels[col(city.venues, "building_id")] == "building").all()
    f = city.facilities.to_pylist()
    kinds = {r["kind"] for r in f}
    assert kinds == {"hospital", "quarantine_site", "lab", "sampling_site"}
    for r in f:
        if r["kind"] == "hospital":
            assert 0 <= r["icu_beds"] <= r["beds"]
            assert vtype[r["venue_id"]] == "hospital"
        elif r["kind"] == "quarantine_site":
            assert 0 <= r["accessible_rooms"] <= r["rooms"]
    assert sum(1 for r in f if r.get("subtype") == "designated") == 1


def test_syndromic_counts(city: GeneratedCity) -> None:
    communities = set(np.flatnonzero(col(city.areas, "level") == "community"))
    saturday = city.syndromic_day(5)
    assert city.params.start.weekday() == 0
    assert saturday.num_rows == len(communities) * len(SIGNALS)
    assert set(col(saturday, "area_id")) == communities
    absences = pc.filter(saturday, pc.equal(saturday["signal"], "school_absence"))
    assert pc.sum(absences["count"]).as_py() == 0
    counts = col(saturday, "count")
    assert (counts >= 0).all()
    assert city.syndromic_day(0).equals(city.syndromic_day(0))


def test_bad_params_are_rejected() -> None:
    with pytest.raises(ValueError, match="population must be between 1000"):
        generate_city(CityParams(population=10))
    with pytest.raises(ValueError, match="days must be between 0 and 366"):
        generate_city(CityParams(population=5000, days=-1))


def test_some_working_age_residents_are_registered_elsewhere(city: GeneratedCity) -> None:
    home = city.persons.column("home_jurisdiction").to_pylist()
    age = col(city.persons, "age")
    elsewhere = np.array([h is not None for h in home])
    assert 0.01 < elsewhere.mean() < 0.03  # 3 % of the 18-59 year-olds
    assert ((age[elsewhere] >= 18) & (age[elsewhere] < 60)).all()
    assert {h for h in home if h is not None} <= set(city.params.neighbour_cities)
