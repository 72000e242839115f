"""Transfer batches: seats, pick-up order, times and deadlines checked by a validator."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from epicontrol.core.operations.transfers import (
    LATE_REASONS,
    TransferOptions,
    plan_transfers,
)


def minutes(km: float, opts: TransferOptions) -> int:
    return math.ceil(km * opts.detour / opts.speed_kmh * 60 - 1e-9)


def validate(stops, plan, opts: TransferOptions, ready: int) -> None:
    """Independent check of every batch and every stop."""
    site, x, y, persons, deadline, sid, sx, sy = stops
    pos = {int(s): k for k, s in enumerate(sid)}
    carried = np.zeros(len(site), int)
    by_vehicle: dict[tuple[int, int], list] = {}
    for b in plan.batches:
        assert 1 <= b.persons <= opts.seats
        assert sum(b.loads) == b.persons
        k = pos[b.site]
        here = (sx[k], sy[k])
        t = b.depart
        assert b.depart >= ready
        for s, when, load in zip(b.stops, b.pickups, b.loads, strict=True):
            assert int(site[s]) == b.site
            if (x[s], y[s]) != here:
                leg = np.hypot(x[s] - here[0], y[s] - here[1])
                if here == (sx[k], sy[k]):  # from the site: the site leg rule
                    leg = np.hypot(x[s] - sx[k], y[s] - sy[k])
                t += minutes(leg, opts)
            assert when >= t, "picked up before the vehicle can be there"
            t = when + opts.stop_minutes
            here = (x[s], y[s])
            carried[s] += load
        back = minutes(np.hypot(here[0] - sx[k], here[1] - sy[k]), opts)
        assert b.arrive >= t + back
        if b.on_time:
            assert b.arrive <= min(int(deadline[s]) for s in b.stops)
        by_vehicle.setdefault((b.site, b.vehicle), []).append(b)
    for trips in by_vehicle.values():  # one vehicle does one trip at a time
        trips.sort(key=lambda b: b.depart)
        for a, c in itertools.pairwise(trips):
            assert c.depart >= a.arrive
    assert np.array_equal(carried, persons), "every person is carried exactly once"
    for i, r in enumerate(plan.late_reason):
        assert r in ("", *LATE_REASONS)
        if r == "":
            assert plan.stop_arrive[i] <= deadline[i]
        if r == "too_far":
            assert plan.earliest_arrival[i] > deadline[i]


def random_stops(seed: int, k: int, m: int):
    rng = np.random.default_rng(seed)
    return (
        rng.integers(0, m, k) + 10,
        rng.uniform(0, 30, k),
        rng.uniform(0, 30, k),
        rng.integers(1, 14, k),
        rng.integers(120, 420, k),
        np.arange(m) + 10,
        rng.uniform(0, 30, m),
        rng.uniform(0, 30, m),
    )


@pytest.mark.parametrize("seed", range(5))
def test_random_plans_respect_seats_order_and_deadlines(seed: int) -> None:
    stops = random_stops(seed, 60, 4)
    opts = TransferOptions(seats=8, vehicles_per_site=None if seed % 2 else 3)
    plan = plan_transfers(*stops, ready=30, options=opts)
    validate(stops, plan, opts, ready=30)
    assert plan.stats["batches"] == len(plan.batches)


def test_late_reasons() -> None:
    opts = TransferOptions(seats=4, speed_kmh=30, detour=1.0, stop_minutes=10)
    # site at 0,0; stop 0 is 100 km away (200 min each way), stop 1 nearby, stop 2 expired
    stops = (
        np.array([1, 1, 1]),
        np.array([100.0, 1.0, 1.0]),
        np.array([0.0, 0.0, 0.0]),
        np.array([2, 3, 1]),
        np.array([300, 300, 10]),
        np.array([1]),
        np.array([0.0]),
        np.array([0.0]),
    )
    plan = plan_transfers(*stops, ready=30, options=opts)
    assert plan.late_reason == ["too_far", "", "deadline_passed"]
    assert plan.earliest_arrival[0] == 30 + 200 + 10 + 200
    validate(stops, plan, opts, ready=30)
    late = [b for b in plan.batches if not b.on_time]
    assert sorted(s for b in late for s in b.stops) == [0, 2]


def test_too_few_vehicles() -> None:
    opts = TransferOptions(seats=2, detour=1.0, stop_minutes=5, vehicles_per_site=1)
    k = 6
    stops = (
        np.ones(k, int),
        np.full(k, 10.0),
        np.arange(k, dtype=float),
        np.full(k, 2),
        np.full(k, 60),  # 20 min each way + 5: one vehicle serves one stop in time
        np.array([1]),
        np.array([0.0]),
        np.array([0.0]),
    )
    plan = plan_transfers(*stops, ready=0, options=opts)
    validate(stops, plan, opts, ready=0)
    assert plan.late_reason.count("no_vehicle") >= 4


def test_large_household_is_split() -> None:
    opts = TransferOptions(seats=3)
    stops = (np.array([1]), np.array([1.0]), np.array([1.0]), np.array([8]), np.array([300]),
             np.array([1]), np.array([0.0]), np.array([0.0]))  # fmt: skip
    plan = plan_transfers(*stops, ready=0, options=opts)
    validate(stops, plan, opts, ready=0)
    assert sorted(b.persons for b in plan.batches) == [2, 3, 3]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"options": TransferOptions(seats=0)}, "seats: must be at least 1"),
        ({"options": TransferOptions(speed_kmh=0)}, "speed_kmh: must be a positive"),
    ],
)
def test_bad_options(kwargs: dict, match: str) -> None:
    stops = random_stops(0, 3, 1)
    with pytest.raises(ValueError, match=match):
        plan_transfers(*stops, **kwargs)


def test_bad_stops() -> None:
    site, x, y, p, d, sid, sx, sy = random_stops(0, 3, 1)
    with pytest.raises(ValueError, match="persons: every stop must have at least 1"):
        plan_transfers(site, x, y, np.array([1, 0, 1]), d, sid, sx, sy)
    with pytest.raises(ValueError, match="site: unknown site id 99"):
        plan_transfers(np.array([99, 10, 10]), x, y, p, d, sid, sx, sy)
    with pytest.raises(ValueError, match="x: must be finite"):
        plan_transfers(site, np.array([np.nan, 1, 1]), y, p, d, sid, sx, sy)
