"""Contact layers: the group index, community activity (age table or check-ins), pools."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.city.generator import generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.city.schemas import CHECKINS
from epicontrol.core.twin.layers import (
    BLOCK,
    CommunityActivity,
    CommunityPools,
    activity_from_checkins,
    activity_from_city,
    activity_from_params,
    build_group_index,
    build_pool_index,
)
from epicontrol.core.twin.params import load_preset
from epicontrol.core.twin.population import population_from_arrays, population_from_city
from epicontrol.core.twin.sim import Sim


def small_pop():  # type: ignore[no-untyped-def]
    return population_from_arrays(
        age=np.array([30, 8, 40, 70, 25, 12]),
        household=np.array([0, 0, 1, 1, 2, 2]),
        community=np.array([0, 0, 0, 1, 1, 1]),
        district=np.array([0, 0, 0, 1, 1, 1]),
        school_group=np.array([-1, 0, -1, -1, -1, 0]),
        work_group=np.array([5, -1, 5, -1, 6, -1]),
    )


def test_group_index_one_id_space() -> None:
    pop = small_pop()
    gi = build_group_index(pop)
    assert gi.n_groups == pop.n_households + pop.n_school_groups + pop.n_work_groups == 6
    assert gi.layer_of_group.tolist() == [0, 0, 0, 1, 2, 2]
    for layer in range(3):
        for i in range(pop.n):
            g = gi.group_of[layer, i]
            if g >= 0:
                assert gi.layer_of_group[g] == layer
                assert i in gi.members[gi.offsets[g] : gi.offsets[g + 1]]
    assert gi.members[gi.offsets[3] : gi.offsets[4]].tolist() == [1, 5]  # the class
    assert gi.members[gi.offsets[4] : gi.offsets[5]].tolist() == [0, 2]  # team 5


def test_activity_from_params() -> None:
    pop = small_pop()
    params = load_preset("wild_type")
    sim = Sim(pop, params)
    act = activity_from_params(pop, params, sim.age_bin)
    c = np.asarray(params.layers.community.contacts)
    np.testing.assert_allclose(act.contacts[0], c[[3, 0, 4, 7, 2, 1]])
    np.testing.assert_allclose(
        act.contacts[1], act.contacts[0] * params.layers.community.weekend_factor, rtol=1e-6
    )


def test_activity_from_checkins_counts_visits_outside_own_org() -> None:
    pop = small_pop()
    org = np.array([100, 200, 100, -1, 101, 200], dtype=np.int32)
    rows = {  # person, venue, day
        "p": [0, 0, 0, 1, 3, 3, 3, 4],
        "v": [100, 7, 8, 200, 7, 7, 9, 7],
        "d": [0, 0, 1, 0, 0, 5, 6, 5],
    }
    t_in = np.array(rows["d"]) * 1440 + 600
    batch = pa.RecordBatch.from_arrays(
        [pa.array(rows["p"], pa.int32()), pa.array(rows["v"], pa.int32()),
         pa.array(t_in, pa.int32()), pa.array(t_in + 30, pa.int32())],
        schema=CHECKINS,
    )  # fmt: skip
    weekend = np.array([False] * 5 + [True] * 2)
    act = activity_from_checkins(
        [batch], pop=pop, org_venue=org, day_is_weekend=weekend, contacts_per_visit=2.0
    )
    # person 0: 2 weekday visits outside its org over 5 weekdays → 0.4 / day × 2 contacts
    np.testing.assert_allclose(act.contacts[0], [0.8, 0.0, 0.0, 0.4, 0.0, 0.0])
    np.testing.assert_allclose(act.contacts[1], [0.0, 0.0, 0.0, 2.0, 1.0, 0.0])
    with pytest.raises(ValueError, match="outside day_is_weekend"):
        activity_from_checkins(
            [batch], pop=pop, org_venue=org, day_is_weekend=weekend[:3], contacts_per_visit=1.0
        )
    with pytest.raises(ValueError, match="org_venue must have one value"):
        activity_from_checkins(
            [batch], pop=pop, org_venue=org[:2], day_is_weekend=weekend, contacts_per_visit=1.0
        )


def pool_case(n: int = 30_000, n_comm: int = 40, seed: int = 1):  # type: ignore[no-untyped-def]
    """Agents in random order over 40 communities nested in 4 districts, random activity."""
    rng = np.random.default_rng(seed)
    comm = rng.integers(0, n_comm, n)
    pop = population_from_arrays(
        age=rng.integers(0, 95, n), household=np.arange(n), community=comm, district=comm // 10
    )
    act = CommunityActivity(rng.random((2, n)).astype(np.float32) * 10, "test")
    isf = np.array([[1, 1, 1, 1], [1, 0, 0, 0.5], [0, 0, 0, 0.25], [0, 0, 0, 0]], np.float32)
    hooks = {
        "contact_mult": np.ones((4, n), np.float32),
        "area_mult": np.ones((4, n_comm), np.float32),
        "isolation": np.zeros(n, np.uint8),
        "rel_sus": np.ones(n, np.float32),
    }
    pools = make_pools(pop, act, isf, hooks)
    return pop, act, isf, pools, hooks, rng


def make_pools(pop, act, isf, hooks):  # type: ignore[no-untyped-def]
    return CommunityPools(
        pop, act, np.zeros(pop.n, np.int8), np.array([1.0]), isf,
        contact_mult=hooks["contact_mult"], area_mult=hooks["area_mult"],
        isolation=hooks["isolation"],
    )  # fmt: skip


def direct_sums(pop, act, isf, hooks):  # type: ignore[no-untyped-def]
    """Σ a_j m_j per unit (communities, districts, city) by bincount, both rows."""
    m = (
        hooks["contact_mult"][3].astype(np.float64)
        * hooks["area_mult"][3, pop.community]
        * isf[hooks["isolation"], 3]
    )
    out = []
    for row in range(2):
        a = act.contacts[row] * m
        out.append(
            np.r_[
                np.bincount(pop.community, a, minlength=pop.n_communities),
                np.bincount(pop.district, a, minlength=pop.n_districts),
                a.sum(),
            ]
        )
    return np.array(out)


def test_pool_sums_follow_hooks_changed_in_place() -> None:
    pop, act, isf, pools, hooks, rng = pool_case()
    n = pop.n
    assert pools.refresh(**hooks) == 0  # the sums start from the hooks given
    np.testing.assert_allclose(
        np.stack([pools.totals(0), pools.totals(1)]), direct_sums(pop, act, isf, hooks), rtol=1e-6
    )
    assert pools.refresh(**hooks) == 0  # nothing changed: nothing moved
    for _ in range(5):  # measures write the hooks in place, in any pattern
        some = rng.choice(n, 500, replace=False)
        hooks["isolation"][some] = rng.integers(0, 4, 500)
        hooks["contact_mult"][3, rng.choice(n, 300)] = rng.random(300).astype(np.float32)
        hooks["area_mult"][3, rng.choice(40, 3)] = rng.random(3).astype(np.float32)
        moved = pools.refresh(**hooks)
        assert 0 < moved <= n
        np.testing.assert_allclose(
            np.stack([pools.totals(0), pools.totals(1)]),
            direct_sums(pop, act, isf, hooks),
            rtol=1e-6,
            atol=1e-5,
        )
    # Integer sums: the same totals as a fresh cache on today's hooks, bit for bit.
    fresh = make_pools(pop, act, isf, hooks)
    np.testing.assert_array_equal(fresh.sums, pools.sums)
    assert fresh.refresh(**hooks) == 0


def test_pool_bounds_cover_every_member() -> None:
    pop, act, isf, pools, hooks, rng = pool_case(seed=2)
    hooks["area_mult"][3, :20] = 0.5
    hooks["contact_mult"][3, rng.choice(pop.n, 1000)] = 1.7
    hooks["rel_sus"][:] = rng.random(pop.n).astype(np.float32)
    hooks["isolation"][rng.choice(pop.n, 1000)] = 1
    pools.refresh(**hooks)
    ratio = rng.random(pools.index.n_units)
    m = hooks["contact_mult"][3] * hooks["area_mult"][3, pop.community] * isf[hooks["isolation"], 3]
    for row in range(2):
        bound = pools.bounds(row, ratio, hooks["area_mult"])
        x = act.contacts[row] * m * hooks["rel_sus"]
        for unit_of, first in ((pop.community, 0), (pop.district, pop.n_communities)):
            top = np.zeros(pools.index.n_units)
            np.maximum.at(top, unit_of + first, x)
            sel = slice(first, first + unit_of.max() + 1)
            assert (top[sel] * ratio[sel] <= bound[sel]).all()
            assert (bound[sel] <= 2.0 * top[sel] * ratio[sel] + 1e-12).all()  # not too loose
        assert x.max() * ratio[-1] <= bound[-1]


def test_pool_index_blocks_cover_members() -> None:
    pop, *_ = pool_case(n=70_000, n_comm=3)
    ix = build_pool_index(pop)
    assert ix.n_units == 3 + 1 + 1 and (ix.comm_district == 0).all()
    for level, (offsets, n_first) in enumerate(
        ((ix.comm_offsets, 0), (ix.dist_offsets, 3), (np.array([0, pop.n]), 4))
    ):
        unit, lo, hi = ix.blocks[level]
        assert (hi - lo <= BLOCK).all() and (hi > lo).all()
        for u in range(len(offsets) - 1):
            mine = unit == u + n_first
            np.testing.assert_array_equal(np.sort(lo[mine]), lo[mine])
            assert lo[mine][0] == offsets[u] and hi[mine][-1] == offsets[u + 1]
            np.testing.assert_array_equal(lo[mine][1:], hi[mine][:-1])
    for k in range(3):
        members = ix.comm_members[ix.comm_offsets[k] : ix.comm_offsets[k + 1]]
        np.testing.assert_array_equal(members, np.flatnonzero(pop.community == k))


def test_checkin_driven_community_layer() -> None:
    city = generate_city(CityParams(population=3_000, days=7, seed=5))
    pop = population_from_city(city)
    params = load_preset("omicron")
    act = activity_from_city(city, pop, params, days=7)
    assert act.source == "check-ins"
    weekday, weekend = act.mean()
    assert 0 < weekday < 30 and 0 < weekend < 30
    # Retired persons shop more on weekdays than workers do.
    retired = pop.occupation == 8
    workers = pop.work_group >= 0
    assert act.contacts[0, retired].mean() > act.contacts[0, workers].mean()
    sim = Sim(pop, params, seed=2, activity=act, start_weekday=city.params.start.weekday())
    sim.seed_random(20)
    res = sim.run(30)
    assert res.new_infections_by_layer[:, 3].sum() > 0
    with pytest.raises(ValueError, match="days must be between"):
        activity_from_city(city, pop, params, days=0)


def test_engine_indices_built_once_per_population() -> None:
    pop = small_pop()
    params = load_preset("omicron")
    a, b = Sim(pop, params, seed=1), Sim(pop, params, seed=2)
    assert a.groups is b.groups and a.pools.index is b.pools.index
    moved = replace(pop, community=np.array([1, 1, 1, 0, 0, 0], dtype=np.int32))
    c = Sim(moved, params)
    assert c.pools.index is not a.pools.index
    np.testing.assert_array_equal(c.pools.index.comm_members[:3], [3, 4, 5])
    np.testing.assert_array_equal(a.pools.index.comm_members[:3], [0, 1, 2])
