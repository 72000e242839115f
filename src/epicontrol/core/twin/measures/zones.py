"""Three zones (三区) in the twin: drawn, escalated, downgraded and lifted by the live rules.

Each day the cases diagnosed ``draw_delay_hours`` earlier (rounded up to whole
days: the twin acts at the start of a day) go through the platform's own zone
engine, :mod:`epicontrol.core.zones`, in the order the service runs it
(:func:`epicontrol.domains.zones.service.evaluate`):

1. :func:`~epicontrol.core.zones.step` on every active zone, with the day's
   new cases inside each zone (a case is inside when its home building lies
   under the zone's unit) and the city's daily case counts: escalation on a
   new case inside, the city surge, downgrades after ``days_without_case``
   clear days and the lifting order (lockdown → control → prevention);
2. :func:`~epicontrol.core.zones.delineate` of the day's cases with the rules'
   :class:`~epicontrol.core.zones.DelineationParams`, merged into the zone set
   as the service merges it: a new unit opens a zone, a stricter level
   escalates the zone, the same level restarts its clock, a looser one
   changes nothing.  When the rules do not ``redelineate``, only the cases
   outside every active zone are drawn.

The clock of a zone is the day it entered its level (or had a new case
inside), so its ``clear_days`` on day *d* are ``d - level_day - 1`` — the
state the service derives from ``zones.level_day``.

**Footprints.**  The twin's agents have a home building but no check-ins and
no workplace building (work teams and school classes are groups without a
place), so a case's footprint is its home only: lockdown is the home unit,
control the adjacent units, prevention the rest of the prevention area.
Zones that the platform would add from the case's venue stays and visits are
not drawn (a known under-estimate of the zone set).

**Contact reduction.**  The residents of a zone (agents whose home building
lies under its unit) keep ``reduction[level]`` of their household, school,
work and community contacts, written to ``sim.contact_mult[l, i]``.  This
measure owns ``contact_mult``: it sets the factor of its residents (it does
not multiply), and puts agents whose unit leaves all zones back to 1.
Defaults follow plan 004 (Shenzhen) [2]_:

* lockdown, 区域封闭、足不出户、服务上门 (nobody leaves home, services
  delivered): household 1, school 0, work 0, community 0;
* control, 定格管理、足不出楼、错峰取物 (stay in the building, staggered
  pick-up) from day 5: household 1, school 0, work 0, community 0.1 — the
  0.1 (pick-ups and contacts inside the building) is an assumption; and
  "管控区前 4 天按照封控区管理办法": a zone drawn or escalated to control is
  managed as lockdown for its first ``control_as_lockdown_days`` (4) days (not
  a zone downgraded from lockdown, which has had its lockdown days);
* prevention, 强化社会面管控、严格限制人员聚集 (no gatherings): household,
  school and work 1, community 0.5 — an assumption.

**Delay.**  ``draw_delay_hours`` (default 6 h, the 1+4+6+24 playbook's "venues
controlled within 6 h" [3]_) is rounded up to days: a case diagnosed on day
*d* has its zones from day ``d + ceil(h / 24)`` (the next day by default; 0 h
means the same day, as the measures run after testing within a day).

Figures (:meth:`~.registry.CaseRegistry.figures`): ``zones_lockdown``,
``zones_control``, ``zones_prevention`` (active zones by level, end of day),
``residents_lockdown``, ``residents_control``, ``residents_prevention``
(agents living in them), ``zones_drawn`` (zones opened that day),
``zones_lifted``, ``zones_surge`` (1 on a city-surge day) and
``zones_unplaced_cases`` (cases without a known home building).

The cost of a day is that of the zone engine on the active zones (hundreds
to thousands), one delineation of the day's cases, and an update of the
residents of the units whose level changed (a CSR gather): independent of
the number of agents.

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022,
   附件: 封控区、管控区、防范区划定.
.. [2] City plan 004 (Shenzhen) in ``seeds/``: 规范"三区"管理.
.. [3] DESIGN.md §3: tracing playbook 1+4+6+24 (Shenzhen).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Self

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

from ...city.schemas import AREA_LEVELS, LEVEL
from ...zones import (
    AreaGraph,
    Footprints,
    RulesError,
    ZoneRules,
    ZoneState,
    default_rules,
    delineate,
    load_rules,
    step,
)
from ...zones.rules import CONTROL, LIFTED, LOCKDOWN, ZONE_LEVELS
from ..params import N_LAYERS
from .registry import parse_config, registry_of

if TYPE_CHECKING:
    from ..sim import Sim
    from . import MeasureContext

I8 = NDArray[np.int8]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]

KIND = "zones"
#: Level code of "no zone" in the per-unit arrays (the engine's ``lifted``).
NO_ZONE = LIFTED
#: Household, school, work, community contacts kept by the residents of each level.
DEFAULT_REDUCTION: dict[str, tuple[float, float, float, float]] = {
    "lockdown": (1.0, 0.0, 0.0, 0.0),
    "control": (1.0, 0.0, 0.0, 0.1),
    "prevention": (1.0, 1.0, 1.0, 0.5),
}


# --------------------------------------------------------------------------- config helpers


class ConfigModel(BaseModel):
    """Base of the measures' parameter models: frozen, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def capacity_value(kind: str, name: str, given: float | None, context: MeasureContext) -> float:
    """``given``, else ``context.capacity[name]``, else infinity (no limit); must be ≥ 0."""
    value = given if given is not None else context.capacity.get(name)
    if value is None:
        return math.inf
    v = float(value)
    if not v >= 0:  # also NaN
        raise ValueError(f"{kind}.{name}: must be a number >= 0, got {value!r}")
    return v


# --------------------------------------------------------------------------- city helpers


def area_graph_from_tables(areas: pa.Table, adjacency: pa.Table) -> AreaGraph:
    """The :class:`~epicontrol.core.zones.AreaGraph` of the city tables.

    Parameters
    ----------
    areas : table with ``id``, ``parent_id`` (null for the city) and ``level``
        (a name of :data:`~epicontrol.core.city.schemas.AREA_LEVELS`), as
        ``GeneratedCity.areas`` or the store's ``areas``.
    adjacency : table with ``area_a``, ``area_b`` (``GeneratedCity.adjacency``).
    """
    for name, table, cols in (
        ("areas", areas, ("id", "parent_id", "level")),
        ("adjacency", adjacency, ("area_a", "area_b")),
    ):
        missing = [c for c in cols if c not in table.column_names]
        if missing:
            raise ValueError(f"{name}: missing columns {', '.join(missing)}")
    codes = pc.index_in(areas.column("level"), pa.array(list(AREA_LEVELS)))
    if codes.null_count:
        raise ValueError(f"areas.level: must be one of {', '.join(AREA_LEVELS)}")
    return AreaGraph.build(
        area_id=areas.column("id").to_numpy().astype(np.int64),
        parent_id=areas.column("parent_id").fill_null(-1).to_numpy().astype(np.int64),
        level=codes.to_numpy().astype(np.int64),
        edge_a=adjacency.column("area_a").to_numpy().astype(np.int64),
        edge_b=adjacency.column("area_b").to_numpy().astype(np.int64),
    )


def agent_buildings(graph: AreaGraph, building_ids: ArrayLike) -> I64:
    """Per agent, the row of its home building in ``graph`` (its area id), -1 if unknown.

    ``building_ids`` are the agents' home buildings as area ids
    (``Population.building`` of a population built from the city's tables);
    an id that is not an area of level ``building`` in ``graph`` gives -1
    (such an agent is never a zone resident, and its cases draw no zones).
    """
    b = np.asarray(building_ids)
    if b.ndim != 1 or (b.size and not np.issubdtype(b.dtype, np.integer)):
        raise ValueError("building_ids must be a 1-D array of integers")
    b = b.astype(np.int64)
    ok = (b >= 0) & (b < graph.n_areas)
    ok[ok] = graph.level[b[ok]] == LEVEL["building"]
    return np.where(ok, b, -1).astype(np.int64)


def expand(offsets: I64, members: NDArray[Any], rows: I64) -> NDArray[Any]:
    """The members of CSR rows ``rows``: ``members[offsets[r]:offsets[r + 1]]`` concatenated."""
    start = offsets[rows]
    count = offsets[rows + 1] - start
    total = int(count.sum())
    if total == 0:
        empty: NDArray[Any] = members[:0]
        return empty
    idx = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
    out: NDArray[Any] = members[np.repeat(start, count) + idx]
    return out


# --------------------------------------------------------------------------- the measure


ZoneLevelName = Literal["lockdown", "control", "prevention"]


def _reduction_default() -> dict[ZoneLevelName, list[float]]:
    d = DEFAULT_REDUCTION
    return {
        "lockdown": list(d["lockdown"]),
        "control": list(d["control"]),
        "prevention": list(d["prevention"]),
    }


class ZonesConfig(ConfigModel):
    """Scenario parameters of ``zones`` (see the module docstring)."""

    rules_file: str | None = None
    unit: Literal["building", "compound", "community"] | None = None
    draw_delay_hours: float = Field(default=6.0, ge=0, le=14 * 24)
    reduction: dict[ZoneLevelName, list[float]] = Field(default_factory=_reduction_default)
    control_as_lockdown_days: int = Field(default=4, ge=0, le=60)

    @field_validator("reduction")
    @classmethod
    def _four_factors(
        cls, value: dict[ZoneLevelName, list[float]]
    ) -> dict[ZoneLevelName, list[float]]:
        for level, factors in value.items():
            if len(factors) != N_LAYERS or not all(0 <= f <= 1 for f in factors):
                raise ValueError(
                    f"{level} must have 4 factors in [0, 1] (household, school, work, "
                    f"community), got {factors!r}"
                )
        return _reduction_default() | dict(value)


class ThreeZones:
    """Lockdown, control and prevention zones drawn and lifted day by day (module docstring).

    Attributes (after :meth:`start`)
    ----------
    unit, level, level_day, group : per active zone, its unit (area id), level
        (0 lockdown, 1 control, 2 prevention), the day it entered its level
        and its prevention area.
    """

    def __init__(
        self,
        config: ZonesConfig,
        rules: ZoneRules,
        graph: AreaGraph,
        agent_building: I64,
    ) -> None:
        self.config = config
        self.rules = rules
        self.graph = graph
        self.agent_building = agent_building
        self.delay_days = math.ceil(config.draw_delay_hours / 24.0 - 1e-9)
        f = np.ones((NO_ZONE + 1, N_LAYERS), dtype=np.float32)
        for name, factors in config.reduction.items():
            f[ZONE_LEVELS.index(name)] = factors
        self.factors = f
        self._started = False

    @classmethod
    def from_config(cls, params: dict[str, Any], *, context: MeasureContext) -> Self:
        """A fresh measure from the scenario's ``params`` and the city's area graph."""
        config = parse_config(ZonesConfig, params, KIND)
        try:
            rules = load_rules(Path(config.rules_file)) if config.rules_file else default_rules()
            rules = rules.with_unit(config.unit)
        except RulesError as exc:
            raise ValueError(f"{KIND}.rules_file: {exc}") from None
        graph, ab = context.area_graph, context.agent_building
        if not isinstance(graph, AreaGraph) or ab is None:
            raise ValueError(
                f"{KIND}.context: the zones measure needs the city's area_graph and "
                "agent_building (MeasureContext)"
            )
        return cls(config, rules, graph, np.asarray(ab))

    # ------------------------------------------------------------------ state
    def start(self, sim: Sim) -> None:
        """Create the run's state: each agent's unit and the residents of every unit."""
        n, graph = sim.pop.n, self.graph
        ab = self.agent_building
        if ab.shape != (n,) or (n and not np.issubdtype(ab.dtype, np.integer)):
            raise ValueError(
                f"{KIND}.context.agent_building: must hold one integer per agent ({n})"
            )
        ab = ab.astype(np.int64)
        known = ab >= 0
        ids = ab[known]
        top = max(graph.n_areas - 1, 0)
        bad = (ids >= graph.n_areas) | (graph.level[np.minimum(ids, top)] != LEVEL["building"])
        if bad.any():
            i = int(np.flatnonzero(known)[int(np.argmax(bad))])
            raise ValueError(
                f"{KIND}.context.agent_building: agent {i} has {ab[i]}, not a building "
                "of the area graph (use agent_buildings)"
            )
        ul = self.rules.delineation.unit_level
        unit = np.full(n, -1, np.int64)
        unit[known] = graph.ancestor(ab[known], ul)
        self.agent_unit = unit
        n_areas = graph.n_areas
        placed = unit >= 0
        counts = np.bincount(unit[placed], minlength=n_areas).astype(np.int64)
        self.unit_offsets = np.zeros(n_areas + 1, np.int64)
        np.cumsum(counts, out=self.unit_offsets[1:])
        order = np.argsort(np.where(placed, unit, -1), kind="stable").astype(np.int32)
        self.unit_members = order[n - int(placed.sum()) :]
        self.unit_residents = counts
        self.zone_of_unit = np.full(n_areas, -1, np.int64)
        self.unit_eff = np.full(n_areas, NO_ZONE, np.int8)
        e64 = np.zeros(0, np.int64)
        self.unit, self.level_day, self.group, self.strict_until = e64, e64, e64, e64
        self.level = np.zeros(0, np.int8)
        self.city_cases: list[int] = []
        self._started = True

    def active_zones(self) -> tuple[I64, I8, I64]:
        """``(unit, level, level_day)`` of every active zone (copies)."""
        return self.unit.copy(), self.level.copy(), self.level_day.copy()

    def residents(self, units: ArrayLike) -> I32:
        """Agents living under each of ``units`` (area ids at the zone unit level), by unit."""
        u = np.asarray(units, dtype=np.int64)
        return np.asarray(expand(self.unit_offsets, self.unit_members, u), dtype=np.int32)

    def effective_level(self, day: int) -> I8:
        """Level whose contact factors apply to each active zone's residents on ``day``."""
        eff = self.level.copy()
        eff[(self.level == CONTROL) & (day < self.strict_until)] = LOCKDOWN
        return eff

    # ------------------------------------------------------------------ daily
    def apply(self, sim: Sim, day: int) -> None:
        reg = registry_of(sim)
        reg.start_day(sim, day)
        if not self._started:
            raise RuntimeError("zones: start(sim) must run before apply")
        src = day - self.delay_days
        cases = reg.diagnosed_on(src) if src >= 0 else np.zeros(0, np.int32)
        self.city_cases.append(len(cases))
        case_unit = self.agent_unit[cases]
        placed = case_unit >= 0
        reg.add("zones_unplaced_cases", day, int((~placed).sum()))
        homes = self.agent_building[cases[placed]]
        case_unit = case_unit[placed]
        rules = self.rules
        n_before = len(self.unit)
        inside_zone = (
            self.zone_of_unit[case_unit] if n_before else np.full(len(case_unit), -1, np.int64)
        )
        old_units = self.unit
        surge = False

        # 1. the rules on the active zones
        if n_before:
            inside = np.bincount(inside_zone[inside_zone >= 0], minlength=n_before)
            state = ZoneState(
                level=self.level,
                clear_days=np.maximum(day - self.level_day - 1, -1),
                group=self.group,
            )
            res = step(
                state,
                new_cases=inside.astype(np.int64),
                city_cases=np.asarray(self.city_cases, np.int64),
                rules=rules,
            )
            surge = res.surge
            t = res.transitions
            moved = np.zeros(n_before, np.bool_)
            moved[t.zone] = True
            level_day = self.level_day.copy()
            level_day[moved | ((inside > 0) & (level_day < day))] = day
            strict = self.strict_until.copy()
            into_control = t.to_level == CONTROL
            by_downgrade = t.rule < len(rules.downgrades)
            strict[t.zone[into_control & ~by_downgrade]] = (
                day + self.config.control_as_lockdown_days
            )
            strict[t.zone[into_control & by_downgrade]] = -1
            level = res.state.level
            keep = level < LIFTED
            lifted_units = self.unit[~keep]
            self.zone_of_unit[lifted_units] = -1
            self._set_zones(
                self.unit[keep], level[keep], level_day[keep], self.group[keep], strict[keep]
            )
            reg.add("zones_lifted", day, int((~keep).sum()))
        reg.set("zones_surge", day, 1.0 if surge else 0.0)

        # 2. the day's cases drawn and merged
        if not rules.new_case.redelineate:
            homes = homes[inside_zone < 0]
        if len(homes):
            drawn = delineate(self.graph, Footprints.of(home_building=homes), rules.delineation)
            self._merge(drawn.unit, drawn.level, drawn.group, day, reg)

        # 3. residents of units whose effective level changed
        self._update_residents(sim, day, old_units)
        self._record(day, reg)

    def _set_zones(self, unit: I64, level: I8, level_day: I64, group: I64, strict: I64) -> None:
        self.unit, self.level, self.level_day, self.group, self.strict_until = (
            unit.astype(np.int64),
            level.astype(np.int8),
            level_day.astype(np.int64),
            group.astype(np.int64),
            strict.astype(np.int64),
        )
        self.zone_of_unit[self.unit] = np.arange(len(self.unit), dtype=np.int64)

    def _merge(self, units: I64, levels: I8, groups: I64, day: int, reg: Any) -> None:
        """Merge a delineation as the service does: open, escalate, restart or nothing."""
        z = self.zone_of_unit[units]
        exist = z >= 0
        ez, el = z[exist], levels[exist]
        lv, ld, st = self.level.copy(), self.level_day.copy(), self.strict_until.copy()
        esc = el < lv[ez]
        lv[ez[esc]] = el[esc]
        ld[ez[esc]] = day
        st[ez[esc]] = np.where(el[esc] == CONTROL, day + self.config.control_as_lockdown_days, -1)
        same = (el == lv[ez]) & ~esc & (day > ld[ez])
        ld[ez[same]] = day
        new = ~exist
        nl = levels[new].astype(np.int8)
        self._set_zones(
            np.concatenate([self.unit, units[new]]),
            np.concatenate([lv, nl]),
            np.concatenate([ld, np.full(int(new.sum()), day, np.int64)]),
            np.concatenate([self.group, groups[new]]),
            np.concatenate(
                [st, np.where(nl == CONTROL, day + self.config.control_as_lockdown_days, -1)]
            ),
        )
        reg.add("zones_drawn", day, int(new.sum()))

    def _update_residents(self, sim: Sim, day: int, old_units: I64) -> None:
        # the active units and the units that left the zone set today (disjoint)
        removed = old_units[self.zone_of_unit[old_units] < 0]
        cand = np.concatenate([self.unit, removed])
        if not len(cand):
            return
        z = self.zone_of_unit[cand]
        eff_zone = self.effective_level(day)
        new_eff = np.where(
            z >= 0, eff_zone[np.maximum(z, 0)] if len(eff_zone) else NO_ZONE, NO_ZONE
        )
        changed = new_eff != self.unit_eff[cand]
        if not changed.any():
            return
        units = cand[changed]
        self.unit_eff[units] = new_eff[changed]
        agents = expand(self.unit_offsets, self.unit_members, units)
        if len(agents):
            lv = self.unit_eff[self.agent_unit[agents]]
            sim.contact_mult[:, agents] = self.factors[lv].T

    def _record(self, day: int, reg: Any) -> None:
        res = self.unit_residents[self.unit]
        for code, name in enumerate(ZONE_LEVELS):
            at = self.level == code
            reg.set(f"zones_{name}", day, int(at.sum()))
            reg.set(f"residents_{name}", day, int(res[at].sum()))


def zones_measure(sim: Sim) -> ThreeZones | None:
    """The run's :class:`ThreeZones` measure (None when the run has none)."""
    return next((m for m in sim.measures if isinstance(m, ThreeZones)), None)


__all__ = [
    "DEFAULT_REDUCTION",
    "KIND",
    "ConfigModel",
    "ThreeZones",
    "ZonesConfig",
    "agent_buildings",
    "area_graph_from_tables",
    "capacity_value",
    "expand",
    "zones_measure",
]
