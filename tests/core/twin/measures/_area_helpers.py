"""A tiny hand-made city and populations for the tests of the area-level measures.

The graph is the zone engine's test city (``tests/core/zones/conftest.py``)::

    city 0 ─ district 1 ─┬─ street 2 ─ community 4 ─┬─ compound 6 ─ buildings 9, 10, 11
                         │                           └─ compound 7 ─ buildings 12, 13
                         └─ street 3 ─ community 5 ─── compound 8 ─ buildings 14, 15

Buildings in a row 9-10-11-12-13-14-15 (each adjacent to the next; 13-14
crosses the street boundary); compounds 6-7-8 in a row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from epicontrol.core.twin.measures import MeasureContext
from epicontrol.core.twin.measures.zones import agent_buildings
from epicontrol.core.twin.params import TwinParams, load_preset
from epicontrol.core.twin.population import Population, population_from_arrays
from epicontrol.core.twin.sim import Sim
from epicontrol.core.zones import AreaGraph
from tests.core.twin.test_sim import ONE_BIN

PARENT = {0: -1, 1: 0, 2: 1, 3: 1, 4: 2, 5: 3, 6: 4, 7: 4, 8: 5}
PARENT.update({9: 6, 10: 6, 11: 6, 12: 7, 13: 7, 14: 8, 15: 8})
LEVELS = {0: 0, 1: 1, 2: 2, 3: 2, 4: 3, 5: 3, 6: 4, 7: 4, 8: 4}
LEVELS.update(dict.fromkeys(range(9, 16), 5))
EDGES = [(9, 10), (10, 11), (11, 12), (12, 13), (13, 14), (14, 15), (6, 7), (7, 8)]
BUILDINGS = tuple(range(9, 16))
#: Zone levels and "lifted".
L, C, P, LIFTED = 0, 1, 2, 3

#: One age bin, every infection asymptomatic, no transmission, infectious for 30 days.
STILL = {**ONE_BIN, "durations.asymptomatic_to_recovered": {"dist": "fixed", "mean": 30.0}}


def tiny_graph() -> AreaGraph:
    ids = np.array(sorted(PARENT))
    edges = np.array(EDGES)
    return AreaGraph.build(
        area_id=ids,
        parent_id=[PARENT[i] for i in ids],
        level=[LEVELS[i] for i in ids],
        edge_a=edges[:, 0],
        edge_b=edges[:, 1],
    )


def still_params(**changes: Any) -> TwinParams:
    """Nothing moves unless a test moves it (``changes``: dotted keys)."""
    return load_preset("wild_type").updated({**STILL, **changes})


def town(per_building: int = 4, *, school_every: int = 0) -> Population:
    """``per_building`` agents in each building 9..15, households of 2, communities 4 and 5.

    Agent ``i`` lives in ``BUILDINGS[i // per_building]``; every other agent has
    a work team (all in one team), or a school class when ``school_every``
    divides its id.
    """
    n = per_building * len(BUILDINGS)
    ids = np.arange(n)
    building = np.array(BUILDINGS)[ids // per_building]
    community = np.where(building <= 13, 4, 5)
    pupil = (ids % school_every == 0) if school_every else np.zeros(n, bool)
    return population_from_arrays(
        age=np.full(n, 35),
        household=ids // 2,
        community=community,
        building=building,
        work_group=np.where((ids % 2 == 1) & ~pupil, 0, -1),
        school_group=np.where(pupil, 0, -1),
    )


def residents_of(pop: Population, building: int) -> np.ndarray:
    return np.flatnonzero(pop.building == building)


def context(pop: Population, graph: AreaGraph, **capacity: float) -> MeasureContext:
    """The context as a scenario builds it (the twin's buildings are the graph's ids)."""
    return MeasureContext(
        area_graph=graph, agent_building=agent_buildings(graph, pop.building), capacity=capacity
    )


def drive(sim: Sim, days: Sequence[int], before: Any = None) -> None:
    """Start (once) and apply ``sim.measures`` day by day without the disease engine.

    ``before(day)`` runs at the start of each day (to diagnose or infect by hand).
    """
    if not getattr(sim, "_driven", False):
        for m in sim.measures:
            m.start(sim)
        sim._driven = True  # type: ignore[attr-defined]
    for day in days:
        sim.layer_factor[:] = 1.0
        if before is not None:
            before(day)
        for m in sim.measures:
            m.apply(sim, day)
