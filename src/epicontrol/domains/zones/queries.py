"""Reading the zones: lists, members, resident counts by special tier, history, GeoJSON.

These are the functions other parts call (testing campaigns, resources, the
daily report); their signatures are kept stable:

* :func:`active_zones` — zones active now, or on a past day (from the history);
* :func:`zone_members` — buildings and persons of zones, as arrays;
* :func:`zone_counts` — residents and special-population persons by tier;
* :func:`zone_history` — every change with its rule and reason;
* :func:`zones_geojson` — a GeoJSON FeatureCollection (polygons where the
  areas have geometry, else the centroid point).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from ...core.city.schemas import LEVEL, TIERS
from ...core.zones import member_counts, zone_buildings
from ..city.models import Area, Person
from .models import Zone, ZoneChange, ZoneSource
from .schemas import ChangeOut, TierCounts, ZoneOut
from .service import CityArrays, NotFoundError, change_out, load_city

I64 = NDArray[np.int64]


@dataclass(frozen=True)
class ZoneMembers:
    """Buildings and persons of a set of zones (a unit can be in several zones)."""

    zone_ids: list[int]
    building_zone: I64
    building_id: I64
    person_zone: I64
    person_id: I64

    def buildings(self, zone_id: int) -> I64:
        return np.asarray(self.building_id[self.building_zone == zone_id], np.int64)

    def persons(self, zone_id: int) -> I64:
        return np.asarray(self.person_id[self.person_zone == zone_id], np.int64)


def _zones_by_id(session: Session, zone_ids: Sequence[int]) -> list[Zone]:
    unique = sorted(set(zone_ids))
    found: dict[int, Zone] = {}
    for i in range(0, len(unique), 1000):
        for z in session.scalars(select(Zone).where(Zone.id.in_(unique[i : i + 1000]))):
            found[z.id] = z
    missing = [z for z in unique if z not in found]
    if missing:
        raise NotFoundError(f"zone_id: unknown zone id(s) {', '.join(map(str, missing[:20]))}")
    return [found[z] for z in unique]


def zone_members(
    *, session: Session, zone_ids: Sequence[int], city: CityArrays | None = None
) -> ZoneMembers:
    """Building ids and person ids (residents) of each of ``zone_ids``.

    Returns parallel arrays ``(building_zone, building_id)`` and
    ``(person_zone, person_id)``, sorted by zone then id.  Raises
    :class:`NotFoundError` for unknown zone ids.
    """
    zones = _zones_by_id(session, zone_ids)
    city = city or load_city(session)
    ids = np.array([z.id for z in zones], np.int64)
    pos, building = zone_buildings(
        city.graph,
        [z.area_id for z in zones],
        [LEVEL[z.unit_level] for z in zones],
    )
    building_zone = ids[pos]
    unique = np.unique(building).tolist()
    pid_parts: list[tuple[int, int]] = []
    for i in range(0, len(unique), 1000):
        pid_parts += session.execute(
            select(Person.id, Person.building_id).where(
                Person.building_id.in_(unique[i : i + 1000])
            )
        ).all()
    pid = np.array([r[0] for r in pid_parts], np.int64)
    bid = np.array([r[1] for r in pid_parts], np.int64)
    by_building = np.argsort(building, kind="stable")
    sorted_building = building[by_building]
    lo = np.searchsorted(sorted_building, bid, "left")
    count = np.searchsorted(sorted_building, bid, "right") - lo
    offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
    person_zone = building_zone[by_building][np.repeat(lo, count) + offsets]
    person_id = np.repeat(pid, count)
    order = np.lexsort((person_id, person_zone))
    return ZoneMembers(
        zone_ids=ids.tolist(),
        building_zone=building_zone,
        building_id=building,
        person_zone=person_zone[order],
        person_id=person_id[order],
    )


def zone_counts(
    *, session: Session, zone_ids: Sequence[int], city: CityArrays | None = None
) -> dict[int, tuple[int, TierCounts]]:
    """Residents of each zone and its special-population persons by tier (red/yellow/green)."""
    zones = _zones_by_id(session, zone_ids)
    if not zones:
        return {}
    city = city or load_city(session)
    tier_code = {name: i for i, name in enumerate(TIERS)}
    rows = session.execute(
        select(Person.building_id, Person.special_tier, func.count()).group_by(
            Person.building_id, Person.special_tier
        )
    ).all()
    count = np.array([r[2] for r in rows], np.int64)
    building = np.repeat(np.array([r[0] for r in rows], np.int64), count)
    tier = np.repeat(np.array([tier_code.get(r[1] or "", -1) for r in rows], np.int64), count)
    out: dict[int, tuple[int, TierCounts]] = {}
    # zones sharing a unit (a lifted zone and a later one) are counted one unit level at a time
    by_area: dict[tuple[int, str], list[Zone]] = {}
    for z in zones:
        by_area.setdefault((z.area_id, z.unit_level), []).append(z)
    keys = list(by_area)
    residents, tiers = member_counts(
        city.graph,
        [k[0] for k in keys],
        [LEVEL[k[1]] for k in keys],
        person_building=building,
        person_tier=tier,
    )
    for k, key in enumerate(keys):
        for z in by_area[key]:
            out[z.id] = (
                int(residents[k]),
                TierCounts(**dict(zip(TIERS, tiers[k].tolist(), strict=True))),
            )
    return out


def _level_on(session: Session, zone_ids: list[int], on: date) -> dict[int, str]:
    """Each zone's state (level or ``lifted``) on day ``on``, from the history."""
    out: dict[int, str] = {}
    for i in range(0, len(zone_ids), 1000):
        rows = session.execute(
            select(ZoneChange.zone_id, ZoneChange.to_level)
            .where(ZoneChange.zone_id.in_(zone_ids[i : i + 1000]), ZoneChange.day <= on)
            .order_by(ZoneChange.zone_id, ZoneChange.day, ZoneChange.id)
        ).all()
        for zid, level in rows:
            out[zid] = level
    return out


def list_zones(
    *,
    session: Session,
    level: str | None = None,
    active: bool | None = None,
    on: date | None = None,
    city: CityArrays | None = None,
) -> list[ZoneOut]:
    """Zones (all, or only ``active`` ones, of one ``level``), with counts and sources.

    ``on`` (a local day) gives each zone's level as it was at the end of that
    day; zones not yet opened then are left out and, with ``active``, zones
    already lifted then too.
    """
    city = city or load_city(session)
    query = select(Zone, Area).join(Area, Area.id == Zone.area_id).order_by(Zone.id)
    if on is None and active:
        query = query.where(Zone.status == "active")
    rows: list[tuple[Zone, Area]] = [(z, a) for z, a in session.execute(query).all()]
    state = {z.id: (z.level if z.status == "active" else "lifted") for z, _ in rows}
    if on is not None:
        state = _level_on(session, [z.id for z, _ in rows], on)
    rows = [(z, a) for z, a in rows if z.id in state]
    if active:
        rows = [(z, a) for z, a in rows if state[z.id] != "lifted"]
    if level is not None:
        rows = [(z, a) for z, a in rows if (state[z.id] if on else z.level) == level]
    ids = [z.id for z, _ in rows]
    counts = zone_counts(session=session, zone_ids=ids, city=city) if ids else {}
    sources: dict[int, list[int]] = {}
    for i in range(0, len(ids), 1000):
        for zid, cid in session.execute(
            select(ZoneSource.zone_id, ZoneSource.case_id)
            .where(ZoneSource.zone_id.in_(ids[i : i + 1000]))
            .order_by(ZoneSource.zone_id, ZoneSource.case_id)
        ):
            sources.setdefault(zid, []).append(cid)
    clock = city.clock
    out = []
    for z, a in rows:
        residents, special = counts[z.id]
        shown = state[z.id] if on is not None and state[z.id] != "lifted" else z.level
        status = "active" if (state[z.id] != "lifted") else "lifted"
        out.append(
            ZoneOut(
                id=z.id,
                area_id=z.area_id,
                area_code=a.code,
                area_name=a.name,
                area_name_en=a.name_en,
                unit_level=z.unit_level,
                level=shown,
                status=status,
                level_day=z.level_day,
                opened_at=clock.from_store(z.opened_at),
                changed_at=clock.from_store(z.changed_at),
                lifted_at=None if z.lifted_at is None else clock.from_store(z.lifted_at),
                source_case_ids=sources.get(z.id, []),
                residents=residents,
                special=special,
                lon=a.lon,
                lat=a.lat,
            )
        )
    return out


#: Per-process cache of zone lists, keyed by the query and the zones' fingerprint.
_LISTED: dict[tuple[Any, ...], list[ZoneOut]] = {}


def zones_fingerprint(session: Session) -> tuple[Any, ...]:
    """Changes whenever a zone is opened, changed or lifted (each writes history); and
    names the store, so that two stores read by one process are never mixed up."""
    zones = session.execute(select(func.count(Zone.id), func.max(Zone.changed_at))).one()
    history = session.execute(select(func.count(ZoneChange.id), func.max(ZoneChange.id))).one()
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    return (str(engine.url), *zones, *history)


def listed_zones(
    *,
    session: Session,
    level: str | None = None,
    active: bool | None = None,
    on: date | None = None,
) -> list[ZoneOut]:
    """:func:`list_zones` (which reads the whole city for its resident counts), reused in
    this process while the zones are unchanged (:func:`zones_fingerprint`; the resident
    counts are those of when the list was made).  For the service's reads; the
    commands call :func:`list_zones`."""
    key = (level, active, on, zones_fingerprint(session))
    cached = _LISTED.get(key)
    if cached is None:
        cached = list_zones(session=session, level=level, active=active, on=on)
        if len(_LISTED) > 64:
            _LISTED.clear()
        _LISTED[key] = cached
    return cached


def active_zones(
    *, session: Session, on: date | None = None, city: CityArrays | None = None
) -> list[ZoneOut]:
    """Zones active now (``on=None``) or at the end of local day ``on``, with their counts."""
    return list_zones(session=session, active=True, on=on, city=city)


def zone_history(*, session: Session, zone_id: int | None = None) -> list[ChangeOut]:
    """Every change of one zone (or of all zones), oldest first."""
    city = load_city(session)
    query = (
        select(ZoneChange, Zone.area_id)
        .join(Zone, Zone.id == ZoneChange.zone_id)
        .order_by(ZoneChange.day, ZoneChange.id)
    )
    if zone_id is not None:
        if session.get(Zone, zone_id) is None:
            raise NotFoundError(f"zone_id: unknown zone id {zone_id}")
        query = query.where(ZoneChange.zone_id == zone_id)
    return [change_out(row, area, city.clock) for row, area in session.execute(query).all()]


def zones_geojson(
    *, session: Session, active: bool = True, on: date | None = None
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the zones: the unit's polygon where ``areas.geometry``
    holds one, else its centroid point (``properties.geometry_source`` says which)."""
    zones = list_zones(session=session, active=active, on=on)
    geometry: dict[int, str | None] = {}
    ids = sorted({z.area_id for z in zones})
    for i in range(0, len(ids), 1000):
        for aid, geo in session.execute(
            select(Area.id, Area.geometry).where(Area.id.in_(ids[i : i + 1000]))
        ):
            geometry[aid] = geo
    features = []
    for z in zones:
        geo = geometry.get(z.area_id)
        if geo:
            shape, source = json.loads(geo), "polygon"
        elif z.lon is not None and z.lat is not None:
            shape, source = {"type": "Point", "coordinates": [z.lon, z.lat]}, "centroid"
        else:
            shape, source = None, "none"
        features.append(
            {
                "type": "Feature",
                "id": z.id,
                "geometry": shape,
                "properties": {
                    "zone_id": z.id,
                    "level": z.level,
                    "status": z.status,
                    "unit_level": z.unit_level,
                    "area_id": z.area_id,
                    "area_code": z.area_code,
                    "name": z.area_name,
                    "name_en": z.area_name_en,
                    "level_day": z.level_day.isoformat(),
                    "residents": z.residents,
                    "special_red": z.special.red,
                    "special_yellow": z.special.yellow,
                    "special_green": z.special.green,
                    "source_case_ids": z.source_case_ids,
                    "geometry_source": source,
                },
            }
        )
    return {"type": "FeatureCollection", "features": features}
