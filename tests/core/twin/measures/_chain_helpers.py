"""Shared builders for the case-management tests: small populations, quiet params, scripts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from epicontrol.core.twin.measures import MeasureContext, build_measure, registry_of
from epicontrol.core.twin.measures.registry import SYMPTOMATIC
from epicontrol.core.twin.params import TwinParams, load_preset
from epicontrol.core.twin.population import Population, population_from_arrays
from epicontrol.core.twin.sim import Sim

#: One age bin, no transmission, fixed durations: states move only as the test says.
QUIET: dict[str, Any] = {
    "age.cutoffs": [0],
    "age.rel_susceptibility": [1.0],
    "age.p_symptomatic": [0.0],
    "age.p_severe": [0.0],
    "age.p_critical": [0.0],
    "age.p_death": [0.0],
    "layers.community.contacts": [10.0],
    "layers.community.weekend_factor": 1.0,
    "transmission.dispersion": 0.0,
    "durations.exposed_to_infectious": {"dist": "fixed", "mean": 2.0},
    "durations.infectious_to_symptomatic": {"dist": "fixed", "mean": 1.0},
    "durations.asymptomatic_to_recovered": {"dist": "fixed", "mean": 20.0},
    "durations.mild_to_recovered": {"dist": "fixed", "mean": 20.0},
    "durations.symptomatic_to_severe": {"dist": "fixed", "mean": 1.0},
    "durations.severe_to_recovered": {"dist": "fixed", "mean": 20.0},
    "layers.household.beta": 0.0,
    "layers.school.beta": 0.0,
    "layers.work.beta": 0.0,
    "layers.community.beta": 0.0,
}


def quiet_params(**changes: Any) -> TwinParams:
    """No transmission; E for 2 days, IP 1 day, then 20 days infectious (fixed)."""
    return load_preset("wild_type").updated({**QUIET, **changes})


def grid_population(
    n: int,
    *,
    household: int = 3,
    team: int = 0,
    school: int = 0,
    communities: int = 10,
) -> Population:
    """Households of consecutive ids; teams (or classes) of every third agent, across households.

    Agent ``i`` works in team ``(i // 3) // team`` when ``i % 3 == 0`` (so a
    team mixes households) and goes to class ``(i // 3) // school`` when
    ``i % 3 == 1``; communities are consecutive blocks.
    """
    ids = np.arange(n)
    work = np.where(ids % 3 == 0, (ids // 3) // team, -1) if team else None
    cls = np.where(ids % 3 == 1, (ids // 3) // school, -1) if school else None
    return population_from_arrays(
        age=np.full(n, 35),
        household=ids // household,
        community=ids * communities // n,
        work_group=work,
        school_group=cls,
    )


def members(pop: Population, layer: str, agent: int) -> set[int]:
    """The other members of ``agent``'s group in ``layer`` (independent of the CSR)."""
    of = {"household": pop.household, "school": pop.school_group, "work": pop.work_group}[layer]
    if of[agent] < 0:
        return set()
    return set(np.flatnonzero(of == of[agent]).tolist()) - {agent}


class ScriptedDiagnoses:
    """A measure that diagnoses given agents on given days at given hours (runs first)."""

    def __init__(
        self,
        script: Mapping[int, Sequence[tuple[int, float]]],
        found_by: int = SYMPTOMATIC,
    ) -> None:
        self.script = script
        self.found_by = found_by

    def apply(self, sim: Sim, day: int) -> None:
        todo = self.script.get(day, ())
        if todo:
            ids = [i for i, _ in todo]
            hours = [h for _, h in todo]
            registry_of(sim).diagnose_at(sim, ids, day, self.found_by, hours)


class ScriptedRequests:
    """A measure that puts quarantine requests in the registry's queue on given days."""

    def __init__(self, script: Mapping[int, Sequence[tuple[Iterable[int], int]]]) -> None:
        self.script = script

    def apply(self, sim: Sim, day: int) -> None:
        for ids, kind in self.script.get(day, ()):
            registry_of(sim).request_quarantine(np.asarray(list(ids)), day, kind)


def chain(
    kinds: Mapping[str, Mapping[str, Any]],
    *,
    context: MeasureContext | None = None,
    before: Sequence[Any] = (),
) -> list[Any]:
    """``before`` (scripted measures) then the named measures, fresh from their configs."""
    return [*before, *(build_measure(k, dict(v), context=context) for k, v in kinds.items())]


def run_days(sim: Sim, days: int) -> list[NDArray[np.uint8]]:
    """Step ``days`` days; the isolation status of every agent after each day's measures."""
    out = []
    for _ in range(days):
        sim.step()
        out.append(sim.isolation.copy())
    return out
