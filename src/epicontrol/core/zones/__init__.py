"""Three-zone engine (三区): delineation on the area graph and the rule engine.

* :mod:`.graph` — the area hierarchy and same-level adjacency as arrays;
* :mod:`.delineation` — lockdown, control and prevention units around cases;
* :mod:`.rules` — the declarative rules (TOML) and their defaults;
* :mod:`.engine` — one day of escalations, downgrades and lifting (pure);
* :mod:`.members` — buildings and residents (by special tier) of zones.
"""

from __future__ import annotations

from .delineation import REASONS, Delineation, Footprints, delineate
from .engine import StepResult, Transitions, ZoneState, run, step, surge_days
from .graph import AreaGraph, FieldError
from .members import member_counts, zone_buildings
from .rules import (
    STATES,
    UNITS,
    ZONE_LEVELS,
    DelineationParams,
    RulesError,
    ZoneRules,
    default_rules,
    default_rules_text,
    load_rules,
    parse_rules,
)

__all__ = [
    "REASONS",
    "STATES",
    "UNITS",
    "ZONE_LEVELS",
    "AreaGraph",
    "Delineation",
    "DelineationParams",
    "FieldError",
    "Footprints",
    "RulesError",
    "StepResult",
    "Transitions",
    "ZoneRules",
    "ZoneState",
    "default_rules",
    "default_rules_text",
    "delineate",
    "load_rules",
    "member_counts",
    "parse_rules",
    "run",
    "step",
    "surge_days",
    "zone_buildings",
]
