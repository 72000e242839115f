"""Campaign plans: 24-hour finish, lab assignment (validator, independent LP), shortfalls."""

from __future__ import annotations

import itertools
import math
from dataclasses import replace

import numpy as np
import pytest
from scipy.optimize import linprog

from epicontrol.core.operations.campaign import (
    LATE_COST_PER_HOUR,
    UNASSIGNED_COST,
    CampaignInput,
    CampaignParams,
    CampaignPlan,
    RoundRule,
    _simulate,
    plan_campaign,
    round_days,
)


def instance(
    *,
    communities: int = 4,
    units: int = 3,
    unit_size: int = 300,
    site_cap: int = 250,
    labs: tuple[int, ...] = (1000, 1000),
    sites: bool = True,
    seed: int = 0,
) -> CampaignInput:
    rng = np.random.default_rng(seed)
    n_units = communities * units
    unit = np.repeat(np.arange(n_units), unit_size) + 100
    community = (unit - 100) // units
    person = np.arange(len(unit)) * 3 + 7
    household = np.arange(len(unit)) // 3
    building = np.arange(len(unit)) // 30
    lon = 119.30 + rng.uniform(-0.05, 0.05, n_units)
    lat = 26.08 + rng.uniform(-0.05, 0.05, n_units)
    n_sites = communities if sites else 0
    n_labs = len(labs)
    return CampaignInput(
        person=person,
        household=household,
        building=building,
        unit=unit,
        community=community,
        unit_id=np.arange(n_units) + 100,
        unit_lon=lon,
        unit_lat=lat,
        site_facility=np.arange(n_sites) + 500,
        site_community=np.arange(n_sites),
        site_lon=lon[::units][:n_sites],
        site_lat=lat[::units][:n_sites],
        site_samples_per_hour=np.full(n_sites, site_cap),
        lab_facility=np.arange(n_labs) + 900,
        lab_lon=119.30 + np.linspace(-0.1, 0.1, n_labs),
        lab_lat=np.full(n_labs, 26.10),
        lab_tests_per_day=np.array(labs, np.int64),
    )


def hourly_capacity(plan: CampaignPlan, data: CampaignInput) -> np.ndarray:
    """Independent: the daily tests less the reserve, spread over the hours, floor-cumulative."""
    p = plan.params
    hours = math.ceil(p.deadline_hours + p.late_horizon_hours)
    per_day = np.floor(data.lab_tests_per_day * p.lab_share).astype(int) - plan.retest_reserve
    out = np.zeros((len(per_day), hours), int)
    for lab, c in enumerate(per_day):
        for h in range(hours):
            out[lab, h] = (c * (h + 1)) // 24 - (c * h) // 24
    return out


def validate(plan: CampaignPlan, data: CampaignInput, samplers: int) -> None:
    """Every constraint of a plan, checked without the planner's code."""
    p = plan.params
    k = p.pool_size
    # members: every resident once, pools of at most k within one site
    assert sorted(plan.member_person.tolist()) == sorted(data.person.tolist())
    sizes = np.bincount(plan.member_pool)
    assert (sizes == plan.pool_size).all() and sizes.max() <= k
    # samplers: the teams fit the samplers available, shifts fit the teams
    assert plan.site_team.sum() <= max(samplers, 0)
    assert (plan.site_samplers <= plan.site_team[:, None]).all()
    assert (plan.site_samplers.sum(axis=1) <= plan.site_team * p.shifts_per_sampler).all()
    # sites: sampling inside the window and the site's capacity
    done = np.isfinite(plan.site_finish)
    assert (plan.site_finish[done] <= p.sampling_hours + 1e-9).all()
    speed = plan.site_residents[done] / np.maximum(
        plan.site_finish[done] - plan.site_start[done], 1e-9
    )
    assert (speed <= plan.site_capacity[done] * (1 + 1e-6) + 1e-6).all()
    # labs: a test starts after arrival, hourly capacity respected, results after the run
    cap = hourly_capacity(plan, data)
    tested = plan.pool_lab >= 0
    assert (plan.pool_test[tested] >= np.ceil(plan.pool_arrival[tested] - 1e-9)).all()
    assert (plan.pool_arrival[tested] >= plan.pool_dispatch[tested]).all()
    counts = np.zeros_like(cap)
    np.add.at(counts, (plan.pool_lab[tested], plan.pool_test[tested].astype(int)), 1)
    assert (counts <= cap).all()
    assert np.allclose(plan.pool_result[tested], plan.pool_test[tested] + 1 + p.lab_run_hours)
    assert plan.lab_pools.sum() == tested.sum()


def test_plan_finishes_within_24_hours() -> None:
    data = instance()
    plan = plan_campaign(data)
    assert plan.samplers == math.ceil(3600 * 10 / 10_000)
    validate(plan, data, plan.samplers)
    assert plan.feasible and plan.unsampled == 0 and plan.lab_tests_short == 0
    assert plan.finish <= 24.0
    assert plan.sampling_finish <= 12.0
    # households of 3 are kept whole: pools of 9, 100 per community of 900
    assert len(plan.pool_site) == 400 and set(plan.pool_size.tolist()) == {9}
    assert (plan.site_kind == 0).all()


def test_lab_assignment_is_optimal_against_an_independent_lp() -> None:
    """Tight labs far apart: the flow's cost equals an LP over (group, lab, hour) variables."""
    data = instance(communities=3, units=2, unit_size=200, labs=(150, 400, 90), site_cap=300)
    params = CampaignParams(late_horizon_hours=12.0)
    plan = plan_campaign(data, params)
    validate(plan, data, plan.samplers)
    sampled = np.isfinite(plan.pool_dispatch)
    keys = sorted(
        {
            (int(s), float(d))
            for s, d in zip(plan.pool_site[sampled], plan.pool_dispatch[sampled], strict=True)
        }
    )
    supply = [int(((plan.pool_site == s) & (plan.pool_dispatch == d)).sum()) for s, d in keys]
    cap = hourly_capacity(plan, data)
    n_l, n_h = cap.shape
    cols: list[tuple[int, int, int]] = []
    cost: list[float] = []
    for g, (s, d) in enumerate(keys):
        for lab in range(n_l):
            minutes = plan.transport[s, lab]
            arrive = math.ceil(d + minutes / 60 - 1e-9)
            for h in range(arrive, n_h):
                late = max(
                    math.ceil(h + 1 + params.lab_run_hours - params.deadline_hours - 1e-9), 0
                )
                cols.append((g, lab, h))
                cost.append(round(minutes) + 60 * h + LATE_COST_PER_HOUR * late)
    n_f = len(cols)
    n_g = len(keys)
    c = np.array(cost + [UNASSIGNED_COST] * n_g, float)
    a_eq = np.zeros((n_g, n_f + n_g))
    for j, (g, _, _) in enumerate(cols):
        a_eq[g, j] = 1
    a_eq[np.arange(n_g), n_f + np.arange(n_g)] = 1
    a_ub = np.zeros((n_l * n_h, n_f + n_g))
    for j, (_, lab, h) in enumerate(cols):
        a_ub[lab * n_h + h, j] = 1
    lp = linprog(
        c, A_ub=a_ub, b_ub=cap.ravel(), A_eq=a_eq, b_eq=supply, bounds=(0, None), method="highs"
    )
    assert lp.status == 0
    assert plan.flow_cost == pytest.approx(lp.fun, rel=1e-9)


def test_sampler_shortfall_is_reported_with_numbers() -> None:
    data = instance()
    enough = plan_campaign(data, samplers=100)
    needed = int(enough.site_team.sum())
    short = plan_campaign(data, samplers=needed - 2)
    validate(short, data, needed - 2)
    assert not short.feasible
    assert short.samplers_needed == needed and short.samplers_short == 2
    assert short.unsampled > 0
    # the unsampled residents are exactly what the two missing samplers would have sampled
    assert enough.unsampled == 0 and enough.samplers_short == 0


def test_sampler_allocation_is_optimal_by_brute_force() -> None:
    """Every way to give 0..5 samplers to 3 uneven sites: none samples more residents."""
    data = instance(communities=3, units=1, unit_size=1, sites=True)
    residents = np.array([1400, 650, 2300])
    capacity = np.array([250, 150, 400])
    params = CampaignParams()
    data = replace(
        data,
        person=np.arange(residents.sum()),
        household=np.arange(residents.sum()),
        building=np.arange(residents.sum()),
        unit=np.repeat(np.arange(3) + 100, residents),
        community=np.repeat(np.arange(3), residents),
        site_samples_per_hour=capacity,
    )
    for available in range(0, 6):
        plan = plan_campaign(data, params, samplers=available)
        best = 0
        for y in itertools.product(range(available + 1), repeat=3):
            if sum(y) > available:
                continue
            _, samples = _simulate(residents, capacity, np.array(y), params)
            best = max(best, int(samples.sum()))
        assert residents.sum() - plan.unsampled == best, available


def test_lab_shortfall_when_labs_are_too_small() -> None:
    data = instance(labs=(60, 40))
    plan = plan_campaign(data, CampaignParams(late_horizon_hours=0.0))
    validate(plan, data, plan.samplers)
    assert not plan.feasible
    assert plan.unsampled == 0
    # two labs test 100 pools a day less the re-test reserve: 400 pools cannot be done
    assert plan.lab_tests_short == plan.pools_untested + plan.pools_late >= 400 - 100
    assert plan.lab_pools.sum() <= 100


def test_temporary_points_for_lockdown_and_siteless_communities() -> None:
    data = instance(sites=False)
    plan = plan_campaign(data)
    assert (plan.site_kind == 1).all() and len(plan.site_kind) == 12
    assert sorted(plan.site_unit.tolist()) == list(range(100, 112))
    door = np.zeros(len(data.person), bool)
    door[:300] = True  # unit 100 is in a lockdown zone: sampled door to door
    plan = plan_campaign(replace(instance(), door_to_door=door))
    assert plan.site_kind.sum() == 1 and plan.site_unit[plan.site_kind == 1].tolist() == [100]
    # a site too small for its community in the window: the rest go to temporary points
    # (a sampler at a site of 60 an hour samples 480 a day: more samplers than the standard)
    plan = plan_campaign(instance(site_cap=60), samplers=20)
    assert plan.site_kind.sum() > 0 and plan.feasible


def test_round_days_daily_then_every_two_or_three() -> None:
    assert round_days(10).tolist() == [0, 1, 2, 3, 4, 5, 6, 8, 10, 12]
    assert round_days(6, RoundRule(4, 3)).tolist() == [0, 1, 2, 3, 6, 9]
    with pytest.raises(ValueError, match="interval_days must be >= 1"):
        round_days(3, RoundRule(7, 0))


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"pool_size": 0}, "pool_size must be an integer >= 1, got 0"),
        ({"sampling_hours": 30.0}, "sampling_hours must be <= deadline_hours"),
        ({"shift_hours": 3.0}, "shift_hours must be a whole multiple of pickup_interval_hours"),
        ({"lab_share": 0.0}, "lab_share must be in \\(0, 1\\]"),
        ({"road_factor": 0.5}, "road_factor must be >= 1"),
        ({"keep_households": 1}, "keep_households must be True or False"),
    ],
)
def test_bad_params_name_the_field(change: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan_campaign(instance(), replace(CampaignParams(), **change))  # type: ignore[arg-type]


def test_bad_input_names_the_field() -> None:
    data = instance()
    with pytest.raises(
        ValueError, match="site_samples_per_hour must be >= 0, got -5 \\(site 500\\)"
    ):
        plan_campaign(replace(data, site_samples_per_hour=np.array([-5, 250, 250, 250])))
    with pytest.raises(ValueError, match="lab_tests_per_day must be >= 0"):
        plan_campaign(replace(data, lab_tests_per_day=np.array([-1, 10])))
    with pytest.raises(ValueError, match="unit must be one of unit_id, got 111"):
        plan_campaign(
            replace(
                data,
                unit_id=data.unit_id[:-1],
                unit_lon=data.unit_lon[:-1],
                unit_lat=data.unit_lat[:-1],
            )
        )
    with pytest.raises(ValueError, match="person must not repeat a person id"):
        plan_campaign(replace(data, person=np.zeros(len(data.person), np.int64)))
    with pytest.raises(ValueError, match="samplers must be an integer >= 0"):
        plan_campaign(data, samplers=-1)
