"""School closure: no school-layer infections while closed, triggers, districts, reopening."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.twin.measures import build_measure, registry_of
from epicontrol.core.twin.measures.registry import SYMPTOMATIC
from epicontrol.core.twin.params import SCHOOL
from epicontrol.core.twin.population import Population, population_from_arrays
from epicontrol.core.twin.sim import Sim

from ._area_helpers import drive, still_params


def pupils(n: int = 4000) -> Population:
    """Pupils living alone in classes of 40 mixing both districts; 4 communities per district."""
    ids = np.arange(n)
    district = ids % 2
    return population_from_arrays(
        age=np.full(n, 10),
        household=ids,
        community=district * 4 + (ids // 2) % 4,
        district=district,
        school_group=ids // 40,
        active_days=np.full(n, 0b1111111),
    )


SCHOOL_ONLY = {
    "layers.school.beta": 0.02,
    "layers.school.attendance": 1.0,
    "durations.asymptomatic_to_recovered": {"dist": "fixed", "mean": 5.0},
}


def school_run(params: dict[str, object] | None, days: int = 16) -> Sim:
    measures = [] if params is None else [build_measure("school_closure", params)]
    sim = Sim(pupils(), still_params(**SCHOOL_ONLY), seed=11, measures=measures)
    sim.seed_infections(np.arange(0, 4000, 97))
    sim.run(days)
    return sim


def test_closure_stops_school_infections_from_its_day_and_reopening_restores_them() -> None:
    open_ = school_run(None).results().new_infections_by_layer[:, SCHOOL]
    assert open_[:4].sum() > 50 and open_[8:12].sum() > 50
    closed = school_run({}).results().new_infections_by_layer[:, SCHOOL]
    assert closed.sum() == 0
    later = school_run({"start_day": 4, "days": 4})
    by_layer = later.results().new_infections_by_layer[:, SCHOOL]
    assert by_layer[:4].sum() > 0 and by_layer[4:8].sum() == 0 and by_layer[8:].sum() > 0
    figs = registry_of(later).figures(16)
    assert figs["schools_closed"].tolist() == [0] * 4 + [2] * 4 + [0] * 8
    assert figs["pupils_home"].tolist() == [0] * 4 + [4000] * 4 + [0] * 8


def test_district_closure_keeps_its_pupils_home_only() -> None:
    sim = school_run({"districts": ["district 0"]})
    layer, district = sim.infection_layer, sim.pop.district
    assert ((layer == SCHOOL) & (district == 0)).sum() == 0
    assert ((layer == SCHOOL) & (district == 1)).sum() > 50
    assert (sim.area_mult[SCHOOL, :4] == 0).all() and (sim.area_mult[SCHOOL, 4:] == 1).all()
    assert (sim.layer_factor == 1).all()
    figs = registry_of(sim).figures(16)
    assert (figs["schools_closed"] == 1).all() and (figs["pupils_home"] == 2000).all()


def test_case_triggers_per_district_with_delay_and_reopening() -> None:
    closure = build_measure(
        "school_closure",
        {"after_cases": 3, "delay_days": 2, "days": 3, "districts": ["district 0", "district 1"]},
    )
    sim = Sim(pupils(), still_params(), measures=[closure])
    reg = registry_of(sim)
    cases = {1: [1, 3], 2: [5, 2], 4: [4, 6]}  # odd ids live in district 1
    seen = []

    def before(day: int) -> None:
        if day in cases:
            reg.diagnose(sim, cases[day], day, SYMPTOMATIC)

    for day in range(10):
        drive(sim, [day], before)
        seen.append((sim.area_mult[SCHOOL, 0], sim.area_mult[SCHOOL, 4]))
    # district 1 reaches 3 cases on day 2 → closed days 4-6; district 0 on day 4 → days 6-8
    assert seen == [(1, 1)] * 4 + [(1, 0)] * 2 + [(0, 0)] + [(0, 1)] * 2 + [(1, 1)]
    figs = reg.figures(10)
    assert figs["schools_closed"].tolist() == [0, 0, 0, 0, 1, 1, 2, 1, 1, 0]


def test_city_trigger_counts_todays_cases_and_partial_factor() -> None:
    closure = build_measure("school_closure", {"after_cases": 2, "delay_days": 0, "factor": 0.25})
    sim = Sim(pupils(), still_params(), measures=[closure])
    reg = registry_of(sim)
    factors = []
    for day in range(4):
        drive(sim, [day], lambda d: reg.diagnose(sim, [d], d, SYMPTOMATIC) if d < 3 else None)
        factors.append(float(sim.layer_factor[SCHOOL]))
    assert factors == [1.0, 0.25, 0.25, 0.25]  # the second case (day 1) closes the same day


@pytest.mark.parametrize(
    ("params", "match"),
    [
        ({"start_day": 3, "after_cases": 5}, r"school_closure\.after_cases: give either"),
        ({"delay_days": 2}, r"school_closure\.delay_days: only with after_cases"),
        ({"factor": 2}, r"school_closure\.factor: Input should be less"),
        ({"days": 0}, r"school_closure\.days: Input should be greater"),
        ({"districts": ["a", "a"]}, r"school_closure\.districts: each district once"),
        ({"weeks": 2}, r"school_closure\.weeks: Extra inputs"),
    ],
)
def test_bad_params_name_the_field(params: dict[str, object], match: str) -> None:
    with pytest.raises(ValueError, match=match):
        build_measure("school_closure", params)


def test_unknown_district_is_named_at_start() -> None:
    sim = Sim(pupils(40), still_params(), measures=[build_measure("school_closure", {
        "districts": ["Nanshan"]})])  # fmt: skip
    with pytest.raises(ValueError, match=r"school_closure\.districts: unknown district 'Nanshan'"):
        sim.step()
