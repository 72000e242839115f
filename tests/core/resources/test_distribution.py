"""Three-tier distribution: plans checked by an independent validator, optimal vs brute force."""

from __future__ import annotations

import heapq
import itertools
import math

import numpy as np
import pytest

from epicontrol.core.resources.distribution import (
    REASONS,
    DistributionPlan,
    Households,
    Network,
    Options,
    Timing,
    basket_kg,
    plan_distribution,
    trips_per_vehicle,
)

BASKET = 1.7


def network(**over: object) -> Network:
    base: dict[str, object] = dict(
        centre_capacity_kg=[10_000.0],
        centre_vehicles=[4],
        centre_vehicle_kg=[2_000.0],
        hub_capacity_kg=[3_000.0, 3_000.0],
        hub_vehicles=[2, 2],
        hub_vehicle_kg=[500.0, 500.0],
        point_capacity_kg=[2_000.0, 2_000.0, 2_000.0],
        point_workers=[2, 2, 2],
        point_doors_per_round=[5, 5, 5],
        leg1_centre=[0, 0],
        leg1_hub=[0, 1],
        leg1_hours=[0.5, 1.0],
        leg2_hub=[0, 0, 1, 1],
        leg2_point=[0, 1, 1, 2],
        leg2_hours=[0.25, 0.5, 0.4, 0.3],
    )
    base.update(over)
    return Network.of(**base)  # type: ignore[arg-type]


def validate(net: Network, hh: Households, timing: Timing, plan: DistributionPlan) -> None:
    """Independent check: conservation, capacities, an explicit schedule within the deadline."""
    eps = 1e-6
    kg = hh.size * BASKET
    # every household is served or has a reason, never both
    assert ((plan.reason >= 0) != plan.served).all()
    assert (hh.point[plan.served] >= 0).all()
    assert (plan.reason[hh.point < 0] == REASONS.index("no_point")).all()
    # stage 1: trucks dedicated to a leg, trip k delivered at k(2T+L)+T+L <= W1
    w1, w2, ll = timing.stage1_hours, timing.stage2_hours, timing.handling_hours
    for c in range(net.n_centres):
        legs = np.flatnonzero(net.leg1_centre == c)
        assert plan.leg1_vehicles[legs].sum() <= net.centre_vehicles[c]
        assert plan.leg1_kg[legs].sum() <= net.centre_capacity_kg[c] + eps
    for a in range(len(net.leg1_hours)):
        t = net.leg1_hours[a]
        trips = 0
        while trips * (2 * t + ll) + t + ll <= w1 + 1e-9:
            trips += 1
        carried = trips * plan.leg1_vehicles[a] * net.centre_vehicle_kg[net.leg1_centre[a]]
        assert plan.leg1_kg[a] <= carried + eps
    # stage 2: van trips list-scheduled on the hub's vans, every delivery <= W2
    for h in range(net.n_hubs):
        inflow = plan.leg1_kg[net.leg1_hub == h].sum()
        out = plan.leg2_kg[net.leg2_hub == h].sum()
        assert inflow == pytest.approx(out, abs=1e-3)
        assert inflow <= net.hub_capacity_kg[h] + eps
        free = [0.0] * int(net.hub_vehicles[h])
        heapq.heapify(free)
        for b in np.flatnonzero(net.leg2_hub == h):
            assert plan.leg2_kg[b] <= plan.leg2_trips[b] * net.hub_vehicle_kg[h] + eps
            for _ in range(int(plan.leg2_trips[b])):
                start = heapq.heappop(free)
                t = net.leg2_hours[b]
                assert start + t + ll <= w2 + 1e-9, "a van trip arrives after the window"
                heapq.heappush(free, start + 2 * t + ll)
    # points: inflow = baskets of the served households; doors within rounds before the deadline
    rounds = 0
    start3 = w1 + w2 + timing.point_hours
    while start3 + (rounds + 1) * timing.round_hours <= timing.deadline_hours + 1e-9:
        rounds += 1
    for p in range(net.n_points):
        at = plan.served & (hh.point == p)
        inflow = plan.leg2_kg[net.leg2_point == p].sum()
        assert inflow == pytest.approx(kg[at].sum(), abs=1e-3)
        assert inflow <= net.point_capacity_kg[p] + eps
        assert at.sum() <= net.point_workers[p] * rounds * net.point_doors_per_round[p]
        assert plan.point_served[p] == at.sum()


def households(points: list[int], sizes: list[int], klass: list[int]) -> Households:
    return Households.of(point=points, klass=klass, size=sizes, n_points=3)


def test_trips_per_vehicle_by_hand() -> None:
    # T=0.5, L=0.5: deliveries at 1.0, 2.5, 4.0 -> 3 in a 4 h window; T=4 never arrives
    assert trips_per_vehicle([0.5, 1.0, 4.0, 0.0], 0.5, 4.0).tolist() == [3, 2, 0, 8]


def test_basket_is_the_design_standard() -> None:
    assert basket_kg() == pytest.approx(1.7)
    with pytest.raises(ValueError, match=r"standard.grain must be a finite number >= 0"):
        basket_kg({"grain": (-1.0, "kg")})


def test_ample_network_serves_everyone_and_validates() -> None:
    net = network()
    hh = households([0, 0, 1, 1, 2, 2, 2], [3, 1, 2, 4, 1, 2, 5], [0, 0, 0, 1, 0, 1, 1])
    plan = plan_distribution(net, hh)
    assert plan.served.all()
    assert plan.optimal and plan.gap == 0.0
    validate(net, hh, Timing(), plan)


def brute_force(net: Network, hh: Households, timing: Timing) -> tuple[int, int]:
    """Best (lockdown served, control served) by enumerating served subsets.

    Each point has one leg here; for a subset, the fewest van trips per point are
    ceil(kg / van_kg), a hub's round trips must fit its van-hour budget (the rule of
    the module docstring, written out again here), and a hub needs
    ceil(kg / (truck kg x trips per truck)) trucks.
    """
    t1 = trips_per_vehicle(net.leg1_hours, timing.handling_hours, timing.stage1_hours)
    rounds = timing.rounds_per_worker
    best = (-1, -1)
    n = len(hh.point)
    for mask in itertools.product((0, 1), repeat=n):
        s = np.array(mask, bool)
        kg_p = np.bincount(hh.point[s], weights=hh.size[s] * BASKET, minlength=net.n_points)
        n_p = np.bincount(hh.point[s], minlength=net.n_points)
        if (kg_p > net.point_capacity_kg + 1e-9).any():
            continue
        if (n_p > net.point_workers * rounds * net.point_doors_per_round).any():
            continue
        ok = True
        trucks = 0
        total = 0.0
        for h in range(net.n_hubs):
            legs = np.flatnonzero(net.leg2_hub == h)
            kg_h = sum(kg_p[net.leg2_point[b]] for b in legs)
            if kg_h > net.hub_capacity_kg[h] + 1e-9:
                ok = False
                break
            # the documented van rule: sum of round trips within the hub's budget
            v, ll = float(net.hub_vehicles[h]), timing.handling_hours
            fits = [b for b in legs if net.leg2_hours[b] + ll <= timing.stage2_hours]
            budget = v * timing.stage2_hours - max(
                (v * (net.leg2_hours[b] + ll) - (2 * net.leg2_hours[b] + ll) for b in fits),
                default=math.inf,
            )
            hours = 0.0
            for b in legs:
                trips = math.ceil(kg_p[net.leg2_point[b]] / net.hub_vehicle_kg[h] - 1e-9)
                if trips and b not in fits:
                    ok = False
                hours += trips * (2 * net.leg2_hours[b] + ll)
            if hours > budget + 1e-9:
                ok = False
            a = int(np.flatnonzero(net.leg1_hub == h)[0])
            if kg_h > 0:
                if t1[a] == 0:
                    ok = False
                else:
                    trucks += math.ceil(kg_h / (net.centre_vehicle_kg[0] * t1[a]) - 1e-9)
            total += kg_h
        if not ok or trucks > net.centre_vehicles[0] or total > net.centre_capacity_kg[0] + 1e-9:
            continue
        score = (int((s & (hh.klass == 0)).sum()), int((s & (hh.klass == 1)).sum()))
        best = max(best, score)
    return best


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_small_instances_are_optimal_against_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    # tight: the van budget and the hub/point capacities bind
    net = network(
        hub_capacity_kg=[float(rng.integers(15, 30)), float(rng.integers(15, 30))],
        hub_vehicles=[1, 1],
        hub_vehicle_kg=[float(rng.integers(6, 12)), float(rng.integers(6, 12))],
        point_capacity_kg=[float(v) for v in rng.integers(8, 20, 3)],
        point_workers=[1, 1, 1],
        point_doors_per_round=[1, 1, 1],
        leg2_hub=[0, 1, 1],
        leg2_point=[0, 1, 2],
        leg2_hours=[1.0, 0.8, 1.2],
        centre_vehicles=[2],
        centre_vehicle_kg=[10.0],
    )
    timing = Timing(round_hours=5.0)  # 3 rounds per worker
    n = 11
    hh = Households.of(
        point=rng.integers(0, 3, n),
        klass=rng.integers(0, 2, n),
        size=rng.integers(1, 5, n),
        n_points=3,
    )
    plan = plan_distribution(net, hh, timing=timing)
    validate(net, hh, timing, plan)
    assert plan.optimal
    got = (int((plan.served & (hh.klass == 0)).sum()), int((plan.served & (hh.klass == 1)).sum()))
    assert got == brute_force(net, hh, timing)
    assert not (plan.reason == REASONS.index("not_optimal")).any()


def test_reasons_name_the_binding_resource() -> None:
    timing = Timing()
    # point 2 only reachable from hub 1 over a leg longer than the window: travel time
    net = network(leg2_hours=[0.25, 0.5, 0.4, 9.0])
    hh = households([2, 0], [2, 2], [0, 0])
    plan = plan_distribution(net, hh, timing=timing)
    validate(net, hh, timing, plan)
    assert REASONS[plan.reason[0]] == "travel_time" and plan.served[1]
    # one worker, one door per round: 10 rounds -> 10 households, the rest delivery_rounds
    net = network(point_workers=[1, 2, 2], point_doors_per_round=[1, 5, 5])
    hh = households([0] * 12, [1] * 12, [0] * 12)
    plan = plan_distribution(net, hh, timing=timing)
    validate(net, hh, timing, plan)
    assert plan.served.sum() == timing.rounds_per_worker
    assert {REASONS[r] for r in plan.reason[~plan.served]} == {"delivery_rounds"}
    # hub 0 can move 10 kg a day: point 0 (only hub 0) is short of hub capacity
    net = network(hub_capacity_kg=[10.0, 3000.0])
    hh = households([0] * 4, [2] * 4, [0] * 4)
    plan = plan_distribution(net, hh, timing=timing)
    validate(net, hh, timing, plan)
    assert plan.served.sum() == 2  # 2 x 3.4 kg <= 10 < 3 x 3.4
    assert {REASONS[r] for r in plan.reason[~plan.served]} == {"hub_capacity"}
    # vans: one van of 4 kg, one trip possible in the window -> vehicle_capacity
    net = network(hub_vehicles=[1, 1], hub_vehicle_kg=[4.0, 500.0], leg2_hours=[1.7, 0.5, 0.4, 0.3])
    hh = households([0] * 3, [2] * 3, [0] * 3)
    plan = plan_distribution(net, hh, timing=timing)
    validate(net, hh, timing, plan)
    assert plan.served.sum() == 1
    assert {REASONS[r] for r in plan.reason[~plan.served]} == {"vehicle_capacity"}
    # the centre supplies 5 kg: centre_capacity; households without a point: no_point
    net = network(centre_capacity_kg=[5.0])
    hh = households([1, 1, -1], [2, 2, 1], [0, 1, 0])
    plan = plan_distribution(net, hh, timing=timing)
    validate(net, hh, timing, plan)
    assert plan.served.tolist() == [True, False, False]
    assert [REASONS[r] for r in plan.reason[1:]] == ["centre_capacity", "no_point"]


def test_lockdown_first_then_special_tier_within_a_group() -> None:
    # room for exactly two 1-person households at point 0
    net = network(point_capacity_kg=[2 * BASKET + 0.1, 2000.0, 2000.0])
    hh = Households.of(
        point=[0, 0, 0, 0], klass=[1, 0, 0, 0], size=[1, 1, 1, 1], priority=[0, 3, 0, 3],
        n_points=3,
    )  # fmt: skip
    plan = plan_distribution(net, hh)
    validate(net, hh, Timing(), plan)
    # lockdown before control; within lockdown the red-tier household (priority 0) first,
    # then the lowest index
    assert plan.served.tolist() == [False, True, True, False]


def test_bad_input_names_the_field() -> None:
    with pytest.raises(ValueError, match=r"hub_capacity_kg must be finite and >= 0"):
        network(hub_capacity_kg=[-1.0, 3000.0])
    with pytest.raises(ValueError, match=r"leg2_point must index a point \(< 3\)"):
        network(leg2_point=[0, 1, 1, 7])
    with pytest.raises(ValueError, match=r"point_workers must have one value per point"):
        network(point_workers=[1, 2])
    with pytest.raises(ValueError, match=r"leg1: each \(centre, hub\) pair may appear once"):
        network(leg1_centre=[0, 0], leg1_hub=[0, 0])
    with pytest.raises(ValueError, match=r"households.size must be >= 1"):
        Households.of(point=[0], klass=[0], size=[0], n_points=3)
    with pytest.raises(ValueError, match=r"stage1_hours \+ stage2_hours \+ point_hours must be <"):
        plan_distribution(network(), households([0], [1], [0]), timing=Timing(stage1_hours=20))
    with pytest.raises(ValueError, match=r"time_limit must be > 0"):
        plan_distribution(network(), households([0], [1], [0]), options=Options(time_limit=0))
