"""The twin's city: a workspace's store (or a generated city) as agents, area graph and capacities.

:func:`city_from_tables` turns the city tables (schemas of
:mod:`epicontrol.core.city.schemas`) into a :class:`~epicontrol.core.twin.ensemble.TwinCity`:

* agents — :func:`epicontrol.core.twin.population.population_from_tables`
  (persons, groups, areas);
* the area graph — :class:`epicontrol.core.zones.graph.AreaGraph` from the
  areas and their adjacency, as the zones service builds it; each agent's
  row is its home building's area id;
* capacities (``MeasureContext.capacity``) — ``quarantine_rooms`` (rooms of
  the quarantine sites), ``hospital_beds`` and ``icu_beds`` (hospitals),
  ``lab_tests_per_day`` (labs), ``sampling_sites`` and ``samples_per_hour``
  (sampling sites), and ``tracers`` and ``samplers`` — the staff on record
  (``staff_roster``) when there is any, else the staffing standards
  (DESIGN.md §3: 2 tracers per 10 000 residents, rounded up per district;
  samplers have no standard outside lockdown, so none are assumed).

:func:`load_workspace_city` reads those tables from the workspace's store;
:func:`generated_city` makes a city in memory (``city: {generate: ...}``);
:func:`checkin_activity` drives the community layer by the lake's check-ins.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.city.generator import GeneratedCity, generate_city
from ..core.city.params import CityParams
from ..core.city.schemas import LEVEL
from ..core.resources.staffing import StaffingStandards
from ..core.twin.ensemble import TwinCity
from ..core.twin.layers import CommunityActivity, activity_from_checkins, activity_from_city
from ..core.twin.measures import MeasureContext
from ..core.twin.params import TwinParams
from ..core.twin.population import Population, population_from_tables
from ..core.zones.graph import AreaGraph
from ..domains.city.models import Area, AreaAdjacency, City, Facility, Group, Person
from ..domains.resources.models import StaffRecord
from ..store import lake

#: Days of check-ins that drive the community layer (``activity: checkins``).
ACTIVITY_DAYS = 7


class NoCityError(LookupError):
    """The workspace holds no city."""


def _sum(table: pa.Table, kind: str, column: str) -> float:
    kinds = np.asarray(table.column("kind").to_pylist(), dtype=object)
    values = table.column(column).fill_null(0).to_numpy(zero_copy_only=False)
    return float(values[kinds == kind].sum()) if len(values) else 0.0


def standard_tracers(pop: Population, standards: StaffingStandards | None = None) -> float:
    """Tracers the standard asks for: ``tracers_per_10k`` per district's residents, rounded up."""
    std = standards or StaffingStandards()
    per_district = np.bincount(pop.district, minlength=pop.n_districts)
    return float(sum(math.ceil(int(n) * std.tracers_per_10k / 10_000) for n in per_district))


def city_capacity(
    facilities: pa.Table,
    pop: Population,
    *,
    tracers: float | None = None,
    samplers: float | None = None,
) -> dict[str, float]:
    """Capacities of the city's facilities and staff (see the module docstring)."""
    cap = {
        "quarantine_rooms": _sum(facilities, "quarantine_site", "rooms"),
        "hospital_beds": _sum(facilities, "hospital", "beds"),
        "icu_beds": _sum(facilities, "hospital", "icu_beds"),
        "lab_tests_per_day": _sum(facilities, "lab", "tests_per_day"),
        "samples_per_hour": _sum(facilities, "sampling_site", "samples_per_hour"),
        "sampling_sites": float(
            sum(1 for k in facilities.column("kind").to_pylist() if k == "sampling_site")
        ),
        "tracers": standard_tracers(pop) if tracers is None else float(tracers),
    }
    if samplers is not None:
        cap["samplers"] = float(samplers)
    return cap


def area_graph(areas: pa.Table, adjacency: pa.Table) -> AreaGraph:
    """The zones' area graph of the areas table and its adjacency pairs."""
    levels = np.array([LEVEL[v] for v in areas.column("level").to_pylist()], dtype=np.int64)
    return AreaGraph.build(
        area_id=areas.column("id").to_numpy().astype(np.int64),
        parent_id=areas.column("parent_id").fill_null(-1).to_numpy().astype(np.int64),
        level=levels,
        edge_a=adjacency.column("area_a").to_numpy().astype(np.int64),
        edge_b=adjacency.column("area_b").to_numpy().astype(np.int64),
    )


def city_from_tables(
    *,
    name: str,
    name_en: str = "",
    persons: pa.Table,
    groups: pa.Table,
    areas: pa.Table,
    adjacency: pa.Table,
    facilities: pa.Table,
    start_weekday: int,
    source: str,
    tracers: float | None = None,
    samplers: float | None = None,
) -> TwinCity:
    """A :class:`TwinCity` of the city tables (see the module docstring)."""
    pop = population_from_tables(persons, groups, areas)
    graph = area_graph(areas, adjacency)
    building = persons.column("building_id").to_numpy().astype(np.int64)
    context = MeasureContext(
        area_graph=graph,
        agent_building=building,
        capacity=city_capacity(facilities, pop, tracers=tracers, samplers=samplers),
    )
    return TwinCity(
        name=name,
        name_en=name_en,
        population=pop,
        context=context,
        start_weekday=start_weekday,
        source=source,
    )


@dataclass(frozen=True)
class LoadedCity:
    """A twin city and what its check-in activity needs (the lake or the generated model)."""

    twin: TwinCity
    org_venue: NDArray[np.int32]
    lake_dir: Path | None = None
    generated: GeneratedCity | None = None

    def for_scenario(self, activity: str, params: TwinParams) -> TwinCity:
        """The city with the community layer of ``activity`` (``age_table`` or ``checkins``)."""
        if activity == "age_table":
            return self.twin
        pop = self.twin.population
        if self.generated is not None:
            act = activity_from_city(self.generated, pop, params, days=ACTIVITY_DAYS)
        elif self.lake_dir is not None:
            act = checkin_activity(
                self.lake_dir, pop, self.org_venue, params, self.twin.start_weekday
            )
        else:
            raise ValueError("activity: checkins needs a workspace lake or a generated city")
        return replace(self.twin, activity=act)


def _table(session: Session, columns: Sequence[Any], names: Sequence[str], order: Any) -> pa.Table:
    rows = session.execute(select(*columns).order_by(order)).all()
    cols = list(zip(*rows, strict=True)) if rows else [() for _ in names]
    return pa.table({n: pa.array(list(c)) for n, c in zip(names, cols, strict=True)})


def load_workspace_city(session: Session, *, workspace: Path, lake_dir: Path) -> LoadedCity:
    """The store's city (:class:`NoCityError` when there is none)."""
    city = session.scalars(select(City).limit(1)).first()
    if city is None:
        raise NoCityError(f"workspace {workspace} holds no city")
    persons = _table(
        session,
        [
            Person.id,
            Person.household_id,
            Person.building_id,
            Person.age,
            Person.occupation,
            Person.group_id,
            Person.org_venue_id,
        ],
        ["id", "household_id", "building_id", "age", "occupation", "group_id", "org_venue_id"],
        Person.id,
    )
    groups = _table(session, [Group.id, Group.kind], ["id", "kind"], Group.id)
    areas = _table(
        session,
        [Area.id, Area.level, Area.parent_id, Area.name],
        ["id", "level", "parent_id", "name"],
        Area.id,
    )
    adjacency = _table(
        session,
        [AreaAdjacency.area_a, AreaAdjacency.area_b],
        ["area_a", "area_b"],
        AreaAdjacency.area_a,
    )
    facilities = _table(
        session,
        [
            Facility.kind,
            Facility.beds,
            Facility.icu_beds,
            Facility.rooms,
            Facility.tests_per_day,
            Facility.samples_per_hour,
        ],
        ["kind", "beds", "icu_beds", "rooms", "tests_per_day", "samples_per_hour"],
        Facility.id,
    )
    staff = dict(
        session.execute(
            select(StaffRecord.role, func.sum(StaffRecord.count)).group_by(StaffRecord.role)
        ).all()
    )
    local = city.epoch_utc + timedelta(minutes=city.utc_offset_minutes)
    twin = city_from_tables(
        name=city.name,
        name_en=city.name_en,
        persons=persons,
        groups=groups,
        areas=areas,
        adjacency=adjacency,
        facilities=facilities,
        start_weekday=local.weekday(),
        source=f"workspace {workspace}",
        tracers=None if staff.get("tracer") is None else float(staff["tracer"]),
        samplers=None if staff.get("sampler") is None else float(staff["sampler"]),
    )
    org = persons.column("org_venue_id").fill_null(-1).to_numpy().astype(np.int32)
    return LoadedCity(twin=twin, org_venue=org, lake_dir=lake_dir)


def generated_city(population: int, seed: int) -> LoadedCity:
    """A synthetic city made in memory (``city: {generate: {population, seed}}``)."""
    params = CityParams(population=population, days=ACTIVITY_DAYS, seed=seed)
    city = generate_city(params)
    twin = city_from_tables(
        name=params.name,
        name_en=params.name_en,
        persons=city.persons,
        groups=city.groups,
        areas=city.areas,
        adjacency=city.adjacency,
        facilities=city.facilities,
        start_weekday=params.start.weekday(),
        source=f"generated {population} persons, seed {seed}",
    )
    org = city.persons.column("org_venue_id").fill_null(-1).to_numpy().astype(np.int32)
    return LoadedCity(twin=twin, org_venue=org, generated=city)


def checkin_activity(
    lake_dir: Path,
    pop: Population,
    org_venue: NDArray[np.int32],
    params: TwinParams,
    start_weekday: int,
) -> CommunityActivity:
    """Community contacts from the first :data:`ACTIVITY_DAYS` days of the lake's check-ins."""
    days = lake.partition_days(lake_dir, "checkins")
    if not days:
        raise ValueError("activity: checkins: the workspace's lake holds no check-ins")
    n_days = min(ACTIVITY_DAYS, len(days))
    first = days[0]
    weekend = np.array([(start_weekday + first + d) % 7 >= 5 for d in range(n_days)])
    con = lake.connect(lake_dir)
    try:
        reader: Any = con.sql(
            "SELECT person_id, venue_id, t_in - ? * 1440 AS t_in FROM checkins "
            "WHERE day >= ? AND day < ? ORDER BY day",
            params=[first, first, first + n_days],
        ).to_arrow_reader(1_000_000)

        def batches() -> Iterator[pa.RecordBatch]:
            yield from reader

        return activity_from_checkins(
            batches(),
            pop=pop,
            org_venue=np.asarray(org_venue, dtype=np.int32),
            day_is_weekend=weekend,
            contacts_per_visit=params.layers.community.contacts_per_visit,
        )
    finally:
        con.close()
