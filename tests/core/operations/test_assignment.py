"""Quarantine assignment: exact optimum on small instances, every constraint on random ones."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp
from scipy.sparse import coo_matrix

from epicontrol.core.operations.assignment import REASONS, AssignmentOptions, assign


def instance(seed: int, households: int, sites: int, slack: float, need_rate: float = 0.1):
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 5, households)
    hid = np.repeat(np.arange(households) + 500, sizes)
    n = len(hid)
    hx, hy = rng.uniform(0, 20, households), rng.uniform(0, 20, households)
    x = np.repeat(hx, sizes) + rng.normal(0, 0.2, n)
    y = np.repeat(hy, sizes) + rng.normal(0, 0.2, n)
    need = rng.random(n) < need_rate
    rooms = rng.multinomial(max(int(n * slack), 0), np.ones(sites) / sites)
    accessible = rng.random(sites) < 0.5
    acc_rooms = np.where(accessible, rng.integers(0, 4, sites), 0)
    acc_rooms = np.minimum(acc_rooms, rooms)
    return dict(
        person_ids=np.arange(n) * 3 + 7,
        household_ids=hid,
        x=x,
        y=y,
        needs_accessible=need,
        site_ids=np.arange(sites) + 900,
        site_x=rng.uniform(0, 20, sites),
        site_y=rng.uniform(0, 20, sites),
        rooms=rooms,
        accessible=accessible,
        accessible_rooms=acc_rooms,
    )


def hh_data(inst, share: bool = False, per_room: int = 2):
    hid = inst["household_ids"]
    ids = np.unique(hid)
    ppr = per_room if share else 1
    out = []
    for h in ids:
        members = np.flatnonzero(hid == h)
        n_need = int(inst["needs_accessible"][members].sum())
        d = np.hypot(
            inst["x"][members][:, None] - inst["site_x"][None, :],
            inst["y"][members][:, None] - inst["site_y"][None, :],
        ).sum(axis=0)
        out.append((members, -(-len(members) // ppr), -(-n_need // ppr), n_need, d))
    return out


def validate(inst, result, share: bool = False, per_room: int = 2) -> None:
    """Independent check of every rule of an assignment."""
    site, pid = result.site, inst["person_ids"]
    assert len(site) == len(pid) and len(set(pid.tolist())) == len(pid)  # nobody twice
    sid = inst["site_ids"]
    pos = {int(s): k for k, s in enumerate(sid)}
    used = np.zeros(len(sid), int)
    acc_used = np.zeros(len(sid), int)
    acc_site = inst["accessible"] | (inst["accessible_rooms"] > 0)
    cost = 0.0
    for members, r, a, n_need, d in hh_data(inst, share, per_room):
        sites = set(site[members].tolist())
        assert len(sites) == 1, "a household is split"
        s = sites.pop()
        if s < 0:
            assert all(result.reason[i] in REASONS for i in members)
            continue
        assert all(result.reason[i] == "" for i in members)
        k = pos[s]
        if n_need:
            assert acc_site[k], "needs accessibility at a site without"
        used[k] += r
        acc_used[k] += a
        cost += d[k]
        assert result.rooms[members].sum() == r
        assert result.accessible_rooms[members].sum() == a
        assert all(result.accessible_rooms[i] <= inst["needs_accessible"][i] for i in members)
    assert np.all(used <= inst["rooms"]), "over capacity"
    counted = inst["accessible_rooms"] >= 0
    assert np.all(acc_used[counted] <= inst["accessible_rooms"][counted])
    assert np.array_equal(used, result.rooms_used)
    assert result.total_cost == pytest.approx(cost, rel=1e-9, abs=1e-9)
    assert result.bound <= result.total_cost + 1e-6
    assert result.assigned == int((site >= 0).sum())


def brute_force(inst, share: bool = False, per_room: int = 2) -> tuple[int, float]:
    """Most persons, then least distance, over every placement of the households."""
    hh = hh_data(inst, share, per_room)
    m = len(inst["site_ids"])
    acc_site = inst["accessible"] | (inst["accessible_rooms"] > 0)
    best = (-1, math.inf)
    for choice in itertools.product(range(-1, m), repeat=len(hh)):
        used = np.zeros(m, int)
        acc = np.zeros(m, int)
        persons, cost, ok = 0, 0.0, True
        for (members, r, a, n_need, d), k in zip(hh, choice, strict=True):
            if k < 0:
                continue
            if n_need and not acc_site[k]:
                ok = False
                break
            used[k] += r
            acc[k] += a
            persons += len(members)
            cost += d[k]
        if not ok or np.any(used > inst["rooms"]) or np.any(acc > inst["accessible_rooms"]):
            continue
        if persons > best[0] or (persons == best[0] and cost < best[1] - 1e-12):
            best = (persons, cost)
    return best


@pytest.mark.parametrize("seed", range(12))
def test_small_instances_match_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    inst = instance(seed, households=int(rng.integers(3, 7)), sites=3, slack=rng.uniform(0.5, 1.4))
    share = seed % 3 == 0
    result = assign(**inst, options=AssignmentOptions(share_rooms=share))
    validate(inst, result, share)
    persons, cost = brute_force(inst, share)
    assert result.assigned == persons
    assert result.max_assignable == persons
    if persons:
        assert result.total_cost == pytest.approx(cost, rel=1e-9)
        assert result.status == "optimal" and result.gap <= 1e-9


def exact_milp(inst) -> tuple[int, float]:
    """The lexicographic optimum from scipy's MILP on the full model (independent code)."""
    hh = hh_data(inst)
    m = len(inst["site_ids"])
    acc_site = inst["accessible"] | (inst["accessible_rooms"] > 0)
    cols = [(h, k) for h, (_, _, _, n_need, _) in enumerate(hh) for k in range(m)]
    cols = [(h, k) for h, k in cols if not hh[h][3] or acc_site[k]]
    H, n = len(hh), len(cols)
    rows, cs, vals = [], [], []
    for c, (h, k) in enumerate(cols):
        rows += [h, H + k]
        cs += [c, c]
        vals += [1.0, float(hh[h][1])]
        if hh[h][2]:
            rows.append(H + m + k)
            cs.append(c)
            vals.append(float(hh[h][2]))
    A = coo_matrix((vals, (rows, cs)), shape=(H + 2 * m, n)).tocsr()
    ub = np.concatenate([np.ones(H), inst["rooms"], inst["accessible_rooms"]])
    cons = LinearConstraint(A, -np.inf, ub)
    size = np.array([len(hh[h][0]) for h, _ in cols], float)
    cost = np.array([hh[h][4][k] for h, k in cols])
    integrality = np.ones(n)
    first = milp(-size, constraints=cons, integrality=integrality, bounds=Bounds(0, 1))
    best = round(-first.fun)
    persons = LinearConstraint(size[None, :], best, np.inf)
    second = milp(
        cost, constraints=[cons, persons], integrality=integrality, bounds=Bounds(0, 1),
        options={"mip_rel_gap": 0},
    )  # fmt: skip
    return best, float(second.fun)


@pytest.mark.parametrize("seed", range(3))
def test_few_hundred_persons_exact_optimum(seed: int) -> None:
    inst = instance(100 + seed, households=120, sites=8, slack=[0.8, 1.05, 1.5][seed])
    result = assign(**inst)
    validate(inst, result)
    persons, cost = exact_milp(inst)
    assert result.assigned == persons
    assert result.total_cost == pytest.approx(cost, rel=1e-7)
    assert result.gap <= 1e-7


@pytest.mark.parametrize("seed", range(3))
def test_pruned_model_keeps_every_rule_and_a_valid_bound(seed: int) -> None:
    # the MIP is pruned (full_model_pairs is lowered to force it)
    inst = instance(200 + seed, households=150, sites=15, slack=1.3, need_rate=0.05)
    opts = AssignmentOptions(full_model_pairs=100, candidates=3, mip_rel_gap=0.0)
    result = assign(**inst, options=opts)
    validate(inst, result)
    # the most persons, and a bound below the true optimum (both from the full model)
    persons, optimum = exact_milp(inst)
    assert result.assigned == persons
    assert result.bound <= optimum + 1e-6
    assert result.total_cost >= optimum - 1e-6
    assert result.gap < 0.01
    assert result.stats["pricing_rounds"] >= 1


def test_reasons() -> None:
    inst = dict(
        person_ids=[1, 2, 3, 4, 5, 6, 7],
        household_ids=[10, 10, 11, 12, 13, 13, 14],
        x=[0, 0, 1, 2, 3, 3, 4],
        y=[0, 0, 1, 2, 3, 3, 4],
        needs_accessible=[False, False, True, False, True, False, False],
        site_ids=[1, 2],
        site_x=[0, 5],
        site_y=[0, 5],
        rooms=[2, 1],
        accessible=[False, False],
    )
    result = assign(**inst)
    reason = dict(zip(inst["person_ids"], result.reason, strict=True))
    assert reason[3] == "no_accessible_site" and reason[5] == "no_accessible_site"
    assert result.assigned == 3  # household 10 (2 rooms) and one of 12 / 14
    assert {reason[4], reason[7]} == {"", "no_room"}
    # accessible rooms all taken
    inst2 = {**inst, "accessible": [True, False], "accessible_rooms": [0, 0], "rooms": [9, 9]}
    r2 = assign(**inst2)
    assert r2.reason[2] == "no_accessible_room"
    # a household larger than any site
    two = {k: v[:2] for k, v in inst.items() if k in ("person_ids", "household_ids", "x", "y")}
    inst3 = {**inst, **two, "needs_accessible": [False, False], "rooms": [1, 1]}
    assert assign(**inst3).reason == ["household_too_large"] * 2
    # every room taken: no_room, not too large
    inst4 = {**inst, "rooms": [0, 0]}
    assert set(assign(**inst4).reason) == {"no_room", "no_accessible_site"}


def test_nobody_fits_still_reports_everyone() -> None:
    inst = instance(5, households=5, sites=2, slack=0.0)
    result = assign(**inst)
    assert result.assigned == 0 and all(r == "no_room" or r for r in result.reason)
    assert set(result.reason) <= set(REASONS)


def test_fixed_site_keeps_household_with_its_members() -> None:
    inst = instance(9, households=4, sites=3, slack=2.0, need_rate=0.0)
    fixed = np.full(len(inst["person_ids"]), -1)
    first = inst["household_ids"] == inst["household_ids"][0]
    fixed[first] = inst["site_ids"][2]
    result = assign(**inst, fixed_site=fixed)
    assert set(result.site[first].tolist()) <= {int(inst["site_ids"][2]), -1}


def test_road_distance_matrix() -> None:
    inst = instance(3, households=4, sites=2, slack=3.0, need_rate=0.0)
    n = len(inst["person_ids"])
    road = np.tile([10.0, 1.0], (n, 1))
    road[0, :] = [1.0, np.inf]  # the first person's household can only reach site 0
    result = assign(**inst, distance=road)
    first = inst["household_ids"] == inst["household_ids"][0]
    assert np.all(result.site[first] == inst["site_ids"][0])
    assert np.all(result.site[~first] == inst["site_ids"][1])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"rooms": [-1, 2]}, r"rooms: must be >= 0"),
        ({"person_ids": [1, 1, 2]}, r"person_id: duplicate id 1"),
        ({"site_ids": [4, 4]}, r"site_id: duplicate id 4"),
        ({"x": [0.0, float("nan"), 1.0]}, r"x: must be a finite number"),
        ({"site_y": [0.0, float("inf")]}, r"site y: must be a finite number"),
        ({"accessible_rooms": [5, 0]}, r"accessible_rooms: must be -1"),
        ({"household_ids": [1, 2]}, r"household_id: must have one value per row"),
    ],
)
def test_bad_input(change: dict, match: str) -> None:
    inst = dict(
        person_ids=[1, 2, 3],
        household_ids=[1, 1, 2],
        x=[0.0, 0.0, 1.0],
        y=[0.0, 0.0, 1.0],
        needs_accessible=[False, False, False],
        site_ids=[4, 5],
        site_x=[0.0, 1.0],
        site_y=[0.0, 1.0],
        rooms=[2, 2],
        accessible=[True, False],
        accessible_rooms=[1, 0],
    )
    with pytest.raises(ValueError, match=match):
        assign(**{**inst, **change})


def test_bad_options() -> None:
    with pytest.raises(ValueError, match="persons_per_room: must be at least 1"):
        AssignmentOptions(persons_per_room=0).validate()
