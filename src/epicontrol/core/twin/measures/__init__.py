"""Measures of the twin: modules that act on :class:`~..sim.Sim` through its hooks.

Every measure follows the platform's live rules (see each module):

* ``symptomatic_testing`` (:mod:`.testing`) — symptomatic persons seek a test
  after a delay, results come back after the lab's turnaround; positives are
  isolated and reported.
* ``mass_testing`` (:mod:`.mass_testing`) — rounds of pooled testing of the
  zones (Dorfman pools, sensitivity with dilution, turnaround).
* ``contact_tracing`` (:mod:`.tracing`) — the 1+4+6+24 playbook's delays, a
  daily capacity of tracers, close and secondary contacts.
* ``quarantine`` (:mod:`.quarantine`) — centralised quarantine limited by
  rooms (home quarantine when full), release after the quarantine period.
* ``zones`` (:mod:`.zones`) — lockdown, control and prevention zones drawn
  and lifted by :mod:`epicontrol.core.zones` day by day, with contact
  reduction per layer per zone level.
* ``school_closure`` (:mod:`.school`) and ``vaccination``
  (:mod:`.vaccination`, by age, efficacy against infection and severity).

A scenario names measures by these kinds; :func:`build_measure` makes a
fresh, unstarted measure for one run.  Measures share the run's
:class:`~.registry.CaseRegistry` (who was diagnosed, traced and isolated, and
the daily workload figures), found with :func:`~.registry.registry_of`.
Within a day they run in :data:`ORDER`: results first, then tracing, then
quarantine, then zones, so a case diagnosed today is traced, quarantined and
zoned on the days its delays say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import import_module
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray

from .registry import CaseRegistry, registry_of

#: Measure kinds → ``module:Class`` (each class has ``from_config(params, *, context)``).
KINDS: Final[dict[str, str]] = {
    "vaccination": "vaccination:Vaccination",
    "symptomatic_testing": "testing:SymptomaticTesting",
    "mass_testing": "mass_testing:MassTesting",
    "contact_tracing": "tracing:ContactTracing",
    "quarantine": "quarantine:CentralQuarantine",
    "zones": "zones:ThreeZones",
    "school_closure": "school:SchoolClosure",
}
#: The order measures run in within a day (a scenario's list is sorted by it).
ORDER: Final[tuple[str, ...]] = tuple(KINDS)


@dataclass(frozen=True)
class MeasureContext:
    """What a measure may need to know about the city beyond the population.

    Attributes
    ----------
    area_graph : the city's :class:`epicontrol.core.zones.graph.AreaGraph`
        (buildings up to districts), or None for a city without areas.
    agent_building : per agent, the row of its home building in ``area_graph``
        (-1: unknown); None without a graph.
    capacity : named capacities from the city's records and standards, e.g.
        ``quarantine_rooms``, ``tracers``, ``hospital_beds``, ``icu_beds``,
        ``samplers``, ``lab_tests_per_day``.
    """

    area_graph: Any | None = None
    agent_building: NDArray[np.int64] | None = None
    capacity: Mapping[str, float] = field(default_factory=dict)


def measure_class(kind: str) -> Any:
    """The class of a measure kind (ValueError naming the known kinds)."""
    if kind not in KINDS:
        raise ValueError(f"measure kind must be one of {', '.join(KINDS)}, got {kind!r}")
    module, name = KINDS[kind].split(":")
    return getattr(import_module(f"{__name__}.{module}"), name)


def build_measure(
    kind: str, params: Mapping[str, Any], *, context: MeasureContext | None = None
) -> Any:
    """A fresh measure of ``kind`` from its scenario parameters (validated)."""
    cls = measure_class(kind)
    return cls.from_config(dict(params), context=context or MeasureContext())


__all__ = [
    "KINDS",
    "ORDER",
    "CaseRegistry",
    "MeasureContext",
    "build_measure",
    "measure_class",
    "registry_of",
]
