"""Contact layers: the group index, community activity (age table or check-ins), pools."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.city.generator import generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.city.schemas import CHECKINS
from epicontrol.core.twin import kernels as K
from epicontrol.core.twin.layers import (
    activity_from_checkins,
    activity_from_city,
    activity_from_params,
    build_group_index,
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


def test_pool_sums_match_bincount() -> None:
    rng = np.random.default_rng(1)
    n = 30_000
    comm = rng.integers(0, 40, n).astype(np.int32)
    dist = (comm // 10).astype(np.int32)
    act = rng.random(n).astype(np.float32)
    cm = rng.random((4, n)).astype(np.float32)
    am = rng.random((4, 40)).astype(np.float32)
    iso = rng.integers(0, 4, n).astype(np.uint8)
    isf = rng.random((4, 4)).astype(np.float32)
    out = K.pool_sums(act, cm, am, comm, dist, iso, isf, 40 + 4 + 1, 40, 4)
    a = act.astype(np.float64) * cm[3] * am[3, comm] * isf[iso, 3]
    np.testing.assert_allclose(out[:40], np.bincount(comm, a, minlength=40), rtol=1e-5)
    np.testing.assert_allclose(out[40:44], np.bincount(dist, a, minlength=4), rtol=1e-5)
    np.testing.assert_allclose(out[44], a.sum(), rtol=1e-5)


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
    sim.seed_random(5)
    res = sim.run(30)
    assert res.new_infections_by_layer[:, 3].sum() > 0
    with pytest.raises(ValueError, match="days must be between"):
        activity_from_city(city, pop, params, days=0)
