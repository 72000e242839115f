"""The run's case registry: diagnoses, isolation order, release and figures."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.twin.disease import IS, R
from epicontrol.core.twin.measures import build_measure, measure_class, registry_of
from epicontrol.core.twin.measures.registry import MASS_TESTING, SYMPTOMATIC
from epicontrol.core.twin.params import (
    CENTRAL_QUARANTINE,
    HOME_QUARANTINE,
    ISOLATED,
    NO_ISOLATION,
    load_preset,
)
from epicontrol.core.twin.population import population_from_arrays
from epicontrol.core.twin.sim import Sim


def small_sim(n: int = 100) -> Sim:
    pop = population_from_arrays(age=np.full(n, 30), household=np.arange(n) // 4)
    return Sim(pop, load_preset("omicron"), seed=3)


def test_diagnose_isolates_once_and_counts_community_cases() -> None:
    sim = small_sim()
    reg = registry_of(sim)
    assert registry_of(sim) is reg  # one per run
    reg.isolate(sim, [5], CENTRAL_QUARANTINE)
    new = reg.diagnose(sim, [7, 5, 7, 9], 2, SYMPTOMATIC)
    assert new.tolist() == [5, 7, 9]
    assert (sim.isolation[[5, 7, 9]] == ISOLATED).all()
    assert reg.community[[5, 7, 9]].tolist() == [False, True, True]
    again = reg.diagnose(sim, [7, 11], 3, MASS_TESTING)
    assert again.tolist() == [11]  # 7 keeps its first diagnosis
    assert reg.t_diagnosed[7] == 2 and reg.found_by[11] == MASS_TESTING
    assert reg.diagnosed_on(2).tolist() == [5, 7, 9]
    assert reg.diagnosed_on(4).size == 0
    figs = reg.figures(5)
    assert figs["diagnosed"].tolist() == [0, 0, 3, 1, 0]
    assert figs["community_cases"].tolist() == [0, 0, 2, 1, 0]


def test_isolation_never_lowered_and_release_only_at_status() -> None:
    sim = small_sim()
    reg = registry_of(sim)
    assert reg.isolate(sim, [1, 2], CENTRAL_QUARANTINE).tolist() == [1, 2]
    assert reg.isolate(sim, [1, 3], HOME_QUARANTINE).tolist() == [3]
    assert sim.isolation[1] == CENTRAL_QUARANTINE
    reg.isolate(sim, [2], ISOLATED)
    assert reg.release(sim, [1, 2, 3], CENTRAL_QUARANTINE).tolist() == [1]
    assert sim.isolation[[1, 2, 3]].tolist() == [NO_ISOLATION, ISOLATED, HOME_QUARANTINE]
    with pytest.raises(ValueError, match="status must be 1 to 3"):
        reg.isolate(sim, [1], NO_ISOLATION)


def test_recovered_cases_leave_isolation_at_start_of_day() -> None:
    sim = small_sim()
    reg = registry_of(sim)
    reg.diagnose(sim, [4, 6], 0, SYMPTOMATIC)
    sim.state[4] = R  # the test plays the engine's part
    sim.state[6] = IS
    reg.start_day(sim, 1)
    assert sim.isolation[4] == NO_ISOLATION and sim.isolation[6] == ISOLATED


def test_figures_add_and_set() -> None:
    sim = small_sim()
    reg = registry_of(sim)
    reg.add("tests", 1, 3)
    reg.add("tests", 1, 2)
    reg.set("rooms", 0, 9)
    reg.set("rooms", 0, 8)
    reg.add("late", 10, 1)  # beyond the horizon asked for: left out
    figs = reg.figures(3)
    assert figs["tests"].tolist() == [0, 5, 0]
    assert figs["rooms"].tolist() == [8, 0, 0]
    assert figs["late"].tolist() == [0, 0, 0]


def test_bad_input() -> None:
    sim = small_sim()
    reg = registry_of(sim)
    with pytest.raises(ValueError, match="found_by must be"):
        reg.diagnose(sim, [1], 0, 7)
    with pytest.raises(ValueError, match=r"ids must be agent ids in \[0, 100\)"):
        reg.diagnose(sim, [100], 0, SYMPTOMATIC)
    with pytest.raises(ValueError, match="measure kind must be one of vaccination"):
        measure_class("curfew")
    with pytest.raises(ValueError, match="measure kind must be one of"):
        build_measure("curfew", {})
