"""Supply service: the three-tier network's nodes and the daily distribution plan.

:func:`ensure_nodes` derives the default network from the city when the store
has none (one centre on the city, a hub per district, a point per community;
deterministic); :func:`import_nodes` reads a CSV of nodes, all or nothing,
with row-level errors, and a re-import changes nothing.  :func:`plan_day`
reads the day's lockdown and control zones (or explicit areas), their
households and the nodes, calls
:func:`epicontrol.core.resources.distribution.plan_distribution` and stores
the plan, replacing an earlier plan of the same day.  Services flush, never
commit.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from ...core.city.schemas import LEVEL
from ...core.resources.distribution import (
    CLASSES,
    REASONS,
    DistributionPlan,
    Households,
    Network,
    Options,
    basket_kg,
    plan_distribution,
)
from ...core.zones import zone_buildings
from ..city.importing.base import RowError
from ..city.models import Area, City, Household, Person
from ..tracing.context import Clock
from ..zones.queries import active_zones, zone_members
from ..zones.service import CityArrays, load_city
from .models import SupplyNode, SupplyPlan, SupplyPlanLeg, SupplyPlanPoint, SupplyUnserved
from .schemas import (
    Coverage,
    LegOut,
    NodeIn,
    NodeOut,
    NodesResult,
    PhaseOut,
    PlanOut,
    PointOut,
    SupplySettings,
    UnservedOut,
)

I64 = NDArray[np.int64]
Progress = Callable[[str], None]
NODE_COLUMNS: Final = (
    "code",
    "level",
    "area_code",
    "name",
    "capacity_kg",
    "vehicles",
    "vehicle_kg",
    "workers",
    "doors_per_round",
)
OPTIONAL_COLUMNS: Final = ("lon", "lat")
#: Special tiers first within a household group (red, yellow, green, none).
TIER_PRIORITY: Final = {"red": 0, "yellow": 1, "green": 2}
#: Unserved households listed in a plan's output (all are stored).
SHOWN_UNSERVED: Final = 1000
CHUNK: Final = 1000


class SupplyError(RuntimeError):
    """The workspace cannot be planned (no city)."""


class SupplyInputError(ValueError):
    """Bad input: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class NodesRejected(ValueError):
    """The node file breaks rules; nothing was written.  ``errors`` lists every value."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        shown = "; ".join(str(e) for e in self.errors[:20])
        super().__init__(f"supply nodes rejected: {len(self.errors)} errors: {shown}")


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _city(session: Session) -> City:
    city = session.scalars(select(City).limit(1)).first()
    if city is None:
        raise SupplyError("the store holds no city yet: run `epicontrol city generate` or import")
    return city


# --------------------------------------------------------------------------- nodes


def _node_out(node: SupplyNode, area_code: str) -> NodeOut:
    return NodeOut(
        id=node.id,
        code=node.code,
        level=node.level,
        area_id=node.area_id,
        area_code=area_code,
        name=node.name,
        capacity_kg=node.capacity_kg,
        vehicles=node.vehicles,
        vehicle_kg=node.vehicle_kg,
        workers=node.workers,
        doors_per_round=node.doors_per_round,
        lon=node.lon,
        lat=node.lat,
        source=node.source,
    )


def list_nodes(*, session: Session, level: str | None = None) -> list[NodeOut]:
    """The nodes (of one ``level``), by level then code."""
    query = select(SupplyNode, Area.code).join(Area, Area.id == SupplyNode.area_id)
    if level is not None:
        query = query.where(SupplyNode.level == level)
    rows = session.execute(query).all()
    order = {name: i for i, name in enumerate(("city", "district", "community"))}
    rows = sorted(rows, key=lambda r: (order[r[0].level], r[0].code))
    return [_node_out(n, code) for n, code in rows]


def default_node_rows(session: Session, settings: SupplySettings) -> list[NodeIn]:
    """The default network of the store's city (see :class:`SupplySettings`)."""
    _city(session)
    basket = basket_kg(settings.standard_tuples())
    rows: list[NodeIn] = []
    areas = session.execute(
        select(Area.code, Area.level, Area.name, Area.population, Area.lon, Area.lat)
        .where(Area.level.in_(("city", "district", "community")))
        .order_by(Area.id)
    ).all()
    districts = sum(1 for a in areas if a[1] == "district")
    for code, level, name, population, lon, lat in areas:
        if level == "city":
            cap = math.ceil(settings.centre_share * population * basket)
            # a truck serves one hub for its stage: at least one per district
            vehicles = max(math.ceil(cap / (settings.truck_kg * 2)), districts)
            vkg, workers, prefix, label = settings.truck_kg, 0, "C", "保供中心"
        elif level == "district":
            cap = math.ceil(settings.hub_share * population * basket)
            vehicles = max(math.ceil(cap / (settings.van_kg * 3)), 1)
            vkg, workers, prefix, label = settings.van_kg, 0, "H", "中转站"
        else:
            cap = math.ceil(settings.point_share * population * basket)
            vehicles, vkg, workers = 0, 0.0, settings.workers_per_point
            prefix, label = "P", "保供点"
        rows.append(
            NodeIn(
                code=f"{prefix}-{code}",
                level=level,
                area_code=code,
                name=f"{name}{label}",
                capacity_kg=float(cap),
                vehicles=vehicles,
                vehicle_kg=vkg,
                workers=workers,
                doors_per_round=settings.doors_per_round if level == "community" else 0,
                lon=lon,
                lat=lat,
            )
        )
    return rows


def ensure_nodes(*, session: Session, settings: SupplySettings) -> NodesResult:
    """Derive the default network when the store has no supply node (else nothing)."""
    have = session.scalar(select(SupplyNode.id).limit(1))
    if have is not None:
        n = len(session.scalars(select(SupplyNode.id)).all())
        return NodesResult(created=0, updated=0, unchanged=n, nodes=n)
    return _upsert(session, default_node_rows(session, settings), "default", file="(default)")


def import_nodes(*, session: Session, path: Path) -> NodesResult:
    """Import supply nodes from a CSV file (columns :data:`NODE_COLUMNS`, optional lon/lat).

    A node is keyed by (level, area): an existing node there is updated, else one
    is created; nodes not in the file are kept.  Every row is checked first
    (:class:`NodesRejected` lists file, line, field and rule); nothing is written
    unless the whole file is good, and importing the same file again changes nothing.
    """
    _city(session)
    name = path.name
    errors: list[RowError] = []
    if not path.is_file():
        raise NodesRejected([RowError(name, 0, "", "file does not exist")])
    try:
        with path.open(newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in NODE_COLUMNS if c not in header]
            unknown = [c for c in header if c not in NODE_COLUMNS + OPTIONAL_COLUMNS]
            if missing:
                errors.append(RowError(name, 1, ",".join(missing), "required column(s) missing"))
            if unknown:
                errors.append(RowError(name, 1, ",".join(unknown), "unknown column(s)"))
            if errors:
                raise NodesRejected(errors)
            raw = [(reader.line_num, row) for row in reader if any(v.strip() for v in row)]
    except UnicodeDecodeError as exc:
        raise NodesRejected([RowError(name, 0, "", f"must be UTF-8 text ({exc.reason})")]) from None
    codes = dict(session.execute(select(Area.code, Area.level)).all())
    rows: list[NodeIn] = []
    seen_code: dict[str, int] = {}
    seen_area: dict[tuple[str, str], int] = {}
    for line, values in raw:
        if len(values) != len(header):
            errors.append(
                RowError(name, line, "", f"must have {len(header)} fields, has {len(values)}")
            )
            continue
        record = {h: v.strip() for h, v in zip(header, values, strict=True)}
        data: dict[str, object] = {k: v for k, v in record.items() if v != ""}
        code, key = record.get("code", ""), (record.get("level", ""), record.get("area_code", ""))
        if code in seen_code:
            errors.append(
                RowError(name, line, "code", f"appears twice (line {seen_code[code]})", code)
            )
        seen_code.setdefault(code, line)
        if key in seen_area:
            errors.append(
                RowError(
                    name,
                    line,
                    "area_code",
                    f"one {key[0]} node per area (line {seen_area[key]} has it)",
                    key[1],
                )
            )
        seen_area.setdefault(key, line)
        try:
            node = NodeIn.model_validate(data)
        except ValidationError as exc:
            for e in exc.errors():
                field = ".".join(str(p) for p in e["loc"])
                errors.append(RowError(name, line, field, e["msg"], record.get(field)))
            continue
        level = codes.get(node.area_code)
        if level is None:
            errors.append(
                RowError(name, line, "area_code", "must be a known area code", node.area_code)
            )
        elif level != node.level:
            errors.append(
                RowError(
                    name,
                    line,
                    "area_code",
                    f"must be an area of level {node.level}",
                    node.area_code,
                )
            )
        if node.level in ("city", "district") and node.vehicles > 0 and node.vehicle_kg <= 0:
            errors.append(
                RowError(
                    name, line, "vehicle_kg", "must be > 0 when vehicles > 0", str(node.vehicle_kg)
                )
            )
        rows.append(node)
    if errors:
        raise NodesRejected(errors)
    return _upsert(session, rows, "imported", file=name)


def _upsert(session: Session, rows: list[NodeIn], source: str, *, file: str) -> NodesResult:
    area_id = dict(session.execute(select(Area.code, Area.id)).all())
    existing = {(n.level, n.area_id): n for n in session.scalars(select(SupplyNode))}
    by_code = {n.code: n for n in existing.values()}
    errors: list[RowError] = []
    created = updated = unchanged = 0
    now = utcnow()
    for k, row in enumerate(rows):
        aid = area_id[row.area_code]
        node = existing.get((row.level, aid))
        other = by_code.get(row.code)
        if other is not None and other is not node:
            errors.append(
                RowError(file, k + 2, "code", "is already the code of another node", row.code)
            )
            continue
        values = row.model_dump(exclude={"area_code"})
        if node is None:
            session.add(SupplyNode(**values, area_id=aid, source=source, updated_at=now))
            created += 1
            continue
        if all(getattr(node, key) == value for key, value in values.items()):
            unchanged += 1
            continue
        for key, value in values.items():
            setattr(node, key, value)
        node.source, node.updated_at = source, now
        updated += 1
    if errors:
        raise NodesRejected(errors)
    session.flush()
    total = len(session.scalars(select(SupplyNode.id)).all())
    return NodesResult(created=created, updated=updated, unchanged=unchanged, nodes=total)


# --------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class ZoneHouseholds:
    """Households in the day's zones: id, building, size, class (0 lockdown, 1 control)."""

    source: str
    zones: int
    household_id: I64
    building_id: I64
    size: I64
    klass: I64
    community_id: I64


def _chunks(values: Sequence[int]) -> list[list[int]]:
    unique = sorted(set(values))
    return [unique[i : i + CHUNK] for i in range(0, len(unique), CHUNK)]


def zone_households(
    *,
    session: Session,
    day: date,
    lockdown_areas: Sequence[int] | None = None,
    control_areas: Sequence[int] | None = None,
    city: CityArrays | None = None,
) -> ZoneHouseholds:
    """Households of the lockdown and control zones active on ``day`` (from the zones
    domain), or of the explicit areas given; a household in both counts as lockdown."""
    city = city or load_city(session)
    graph = city.graph
    units: list[int] = []
    klass: list[int] = []
    if lockdown_areas is None and control_areas is None:
        zones = [
            z
            for z in active_zones(session=session, on=day, city=city)
            if z.level in ("lockdown", "control")
        ]
        members = zone_members(session=session, zone_ids=[z.id for z in zones], city=city)
        level = {z.id: CLASSES.index(z.level) for z in zones}
        zone_class = np.array([level[z] for z in members.building_zone.tolist()], np.int64)
        building = members.building_id
        source, n_zones = "zones", len(zones)
    else:
        for name, ids, k in (
            ("lockdown_areas", lockdown_areas, 0),
            ("control_areas", control_areas, 1),
        ):
            arr = np.asarray(list(ids or []), np.int64)
            bad = (arr < 0) | (arr >= graph.n_areas)
            if len(arr) and (bad.any() or (graph.level[np.where(bad, 0, arr)] < 0).any()):
                first = int(arr[np.flatnonzero(bad | (graph.level[np.where(bad, 0, arr)] < 0))[0]])
                raise SupplyInputError(name, f"must be known area ids, got {first}")
            units += arr.tolist()
            klass += [k] * len(arr)
        u = np.asarray(units, np.int64)
        pos, building = zone_buildings(graph, u, graph.level[u].astype(np.int64))
        zone_class = np.asarray(klass, np.int64)[pos]
        source, n_zones = "areas", len(units)
    # strictest class per building
    best: dict[int, int] = {}
    for b, k in zip(building.tolist(), zone_class.tolist(), strict=True):
        best[b] = min(k, best.get(b, 1))
    rows: list[tuple[int, int, int]] = []
    for chunk in _chunks(list(best)):
        rows += [
            (r[0], r[1], r[2])
            for r in session.execute(
                select(Household.id, Household.building_id, Household.size).where(
                    Household.building_id.in_(chunk)
                )
            )
        ]
    rows.sort()
    hid = np.array([r[0] for r in rows], np.int64)
    bid = np.array([r[1] for r in rows], np.int64)
    size = np.array([r[2] for r in rows], np.int64)
    cls = np.array([best[b] for b in bid.tolist()], np.int64)
    community = graph.ancestor(bid, LEVEL["community"]) if len(bid) else np.zeros(0, np.int64)
    return ZoneHouseholds(source, n_zones, hid, bid, size, cls, community)


def _priority(session: Session, zh: ZoneHouseholds) -> I64:
    """Per household the most urgent special tier of its members (red 0 ... none 3)."""
    best: dict[int, int] = {}
    for chunk in _chunks(zh.building_id.tolist()):
        for hh, tier in session.execute(
            select(Person.household_id, Person.special_tier).where(
                Person.building_id.in_(chunk), Person.special_tier.is_not(None)
            )
        ):
            best[hh] = min(TIER_PRIORITY.get(tier or "", 3), best.get(hh, 3))
    return np.array([best.get(h, 3) for h in zh.household_id.tolist()], np.int64)


def _km(lon1: NDArray[np.float64], lat1: NDArray[np.float64], lon2: NDArray[np.float64],
        lat2: NDArray[np.float64]) -> NDArray[np.float64]:  # fmt: skip
    """Great-circle distance (haversine), km."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return np.asarray(2 * 6371.0 * np.arcsin(np.sqrt(np.clip(a, 0, 1))), np.float64)


@dataclass(frozen=True)
class _Net:
    network: Network
    centres: list[SupplyNode]
    hubs: list[SupplyNode]
    points: list[SupplyNode]
    point_of_community: dict[int, int]


def _network(session: Session, settings: SupplySettings, city: CityArrays) -> _Net:
    nodes = list(session.scalars(select(SupplyNode).order_by(SupplyNode.id)))
    area_xy = {
        a: (lon, lat)
        for a, lon, lat in session.execute(
            select(Area.id, Area.lon, Area.lat).where(
                Area.level.in_(("city", "district", "community"))
            )
        )
    }
    centres = [n for n in nodes if n.level == "city"]
    hubs = [n for n in nodes if n.level == "district"]
    points = [n for n in nodes if n.level == "community"]

    def xy(ns: list[SupplyNode]) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        lon = [n.lon if n.lon is not None else area_xy.get(n.area_id, (None, None))[0] for n in ns]
        lat = [n.lat if n.lat is not None else area_xy.get(n.area_id, (None, None))[1] for n in ns]
        return (
            np.array([np.nan if v is None else v for v in lon], np.float64),
            np.array([np.nan if v is None else v for v in lat], np.float64),
        )

    c_lon, c_lat = xy(centres)
    h_lon, h_lat = xy(hubs)
    p_lon, p_lat = xy(points)
    f = settings.road_factor
    l1c = np.repeat(np.arange(len(centres), dtype=np.int64), len(hubs))
    l1h = np.tile(np.arange(len(hubs), dtype=np.int64), len(centres))
    km1 = np.nan_to_num(_km(c_lon[l1c], c_lat[l1c], h_lon[l1h], h_lat[l1h]), nan=0.0)
    hub_district = np.array([n.area_id for n in hubs], np.int64)
    point_district = city.graph.ancestor(
        np.array([n.area_id for n in points], np.int64), LEVEL["district"]
    )
    l2h: list[int] = []
    l2p: list[int] = []
    l2k: list[float] = []
    for p in range(len(points)):
        km = np.nan_to_num(
            _km(h_lon, h_lat, np.full(len(hubs), p_lon[p]), np.full(len(hubs), p_lat[p])), nan=0.0
        )
        own = np.flatnonzero(hub_district == point_district[p]).tolist()
        others = [h for h in np.argsort(km, kind="stable").tolist() if h not in own]
        for h in sorted(own + others[: settings.extra_hubs]):
            l2h.append(h)
            l2p.append(p)
            l2k.append(float(km[h]))
    net = Network.of(
        centre_capacity_kg=[n.capacity_kg for n in centres],
        centre_vehicles=[n.vehicles for n in centres],
        centre_vehicle_kg=[n.vehicle_kg for n in centres],
        hub_capacity_kg=[n.capacity_kg for n in hubs],
        hub_vehicles=[n.vehicles for n in hubs],
        hub_vehicle_kg=[n.vehicle_kg for n in hubs],
        point_capacity_kg=[n.capacity_kg for n in points],
        point_workers=[n.workers for n in points],
        point_doors_per_round=[n.doors_per_round for n in points],
        leg1_centre=l1c,
        leg1_hub=l1h,
        leg1_hours=km1 * f / settings.truck_kmh,
        leg2_hub=np.asarray(l2h, np.int64),
        leg2_point=np.asarray(l2p, np.int64),
        leg2_hours=np.asarray(l2k, np.float64) * f / settings.van_kmh,
    )
    return _Net(net, centres, hubs, points, {n.area_id: i for i, n in enumerate(points)})


def plan_day(
    *,
    session: Session,
    settings: SupplySettings | None = None,
    day: date | None = None,
    lockdown_areas: Sequence[int] | None = None,
    control_areas: Sequence[int] | None = None,
    progress: Progress | None = None,
) -> PlanOut:
    """Plan ``day``'s distribution to the households of its lockdown and control zones.

    Without area ids the zones active on ``day`` come from the zones domain;
    with ``lockdown_areas`` / ``control_areas`` (area ids of any level) those
    areas are planned instead.  Re-planning a day replaces its plan.
    """
    settings = settings or SupplySettings()
    note = progress or (lambda _step: None)
    city_row = _city(session)
    clock = Clock.of(city_row)
    day = day or datetime.now(clock.tz).date()
    note("zones")
    city = load_city(session)
    zh = zone_households(
        session=session, day=day, lockdown_areas=lockdown_areas, control_areas=control_areas,
        city=city,
    )  # fmt: skip
    priority = _priority(session, zh)
    note("network")
    ensure_nodes(session=session, settings=settings)
    net = _network(session, settings, city)
    point = np.array(
        [net.point_of_community.get(c, -1) for c in zh.community_id.tolist()], np.int64
    )
    households = Households.of(
        point=point, klass=zh.klass, size=zh.size, priority=priority,
        n_points=net.network.n_points,
    )  # fmt: skip
    note("solve")
    timing = settings.timing()
    try:
        timing.validate()
    except ValueError as exc:
        raise SupplyInputError(str(exc).split(" ")[0], str(exc)) from None
    standard = settings.standard_tuples()
    plan = plan_distribution(
        net.network, households, timing=timing, basket=basket_kg(standard),
        options=Options(time_limit=settings.time_limit),
    )  # fmt: skip
    note("store")
    return _store(session, settings, day, zh, net, point, plan, standard)


def _store(
    session: Session,
    settings: SupplySettings,
    day: date,
    zh: ZoneHouseholds,
    net: _Net,
    point: I64,
    plan: DistributionPlan,
    standard: dict[str, tuple[float, str]],
) -> PlanOut:
    old = session.scalar(select(SupplyPlan.id).where(SupplyPlan.day == day))
    if old is not None:
        for model in (SupplyPlanLeg, SupplyPlanPoint, SupplyUnserved):
            session.execute(delete(model).where(model.plan_id == old))
        session.execute(delete(SupplyPlan).where(SupplyPlan.id == old))
    served, klass = plan.served, zh.klass
    counts = {
        "households_lockdown": int((klass == 0).sum()),
        "served_lockdown": int((served & (klass == 0)).sum()),
        "households_control": int((klass == 1).sum()),
        "served_control": int((served & (klass == 1)).sum()),
    }
    phases = [PhaseOut(**vars(p)) for p in plan.phases]
    row = SupplyPlan(
        day=day,
        created_at=utcnow(),
        zone_source=zh.source,
        gap=float(plan.gap),
        seconds=float(plan.seconds),
        phases=json.dumps([p.model_dump() for p in phases]),
        params=settings.model_dump_json(),
        **counts,
    )
    session.add(row)
    session.flush()
    n = net.network
    legs: list[dict[str, object]] = []
    for k in range(len(n.leg1_hours)):
        if plan.leg1_vehicles[k] or plan.leg1_kg[k] > 0:
            legs.append(dict(
                plan_id=row.id, from_node_id=net.centres[n.leg1_centre[k]].id,
                to_node_id=net.hubs[n.leg1_hub[k]].id, tier=1, hours=float(n.leg1_hours[k]),
                vehicles=int(plan.leg1_vehicles[k]),
                trips=int(plan.leg1_vehicles[k] * plan.leg1_trips_per_vehicle[k]),
                kg=round(float(plan.leg1_kg[k]), 3),
            ))  # fmt: skip
    for k in range(len(n.leg2_hours)):
        if plan.leg2_trips[k] or plan.leg2_kg[k] > 0:
            legs.append(dict(
                plan_id=row.id, from_node_id=net.hubs[n.leg2_hub[k]].id,
                to_node_id=net.points[n.leg2_point[k]].id, tier=2, hours=float(n.leg2_hours[k]),
                vehicles=0, trips=int(plan.leg2_trips[k]), kg=round(float(plan.leg2_kg[k]), 3),
            ))  # fmt: skip
    if legs:
        session.execute(insert(SupplyPlanLeg), legs)
    points: list[dict[str, object]] = []
    has = point >= 0
    for p in np.unique(point[has]).tolist():
        at = point == p
        kg = float((zh.size[at & served]).sum() * plan.basket_kg)
        points.append(dict(
            plan_id=row.id, node_id=net.points[p].id,
            households_lockdown=int((at & (klass == 0)).sum()),
            served_lockdown=int((at & served & (klass == 0)).sum()),
            households_control=int((at & (klass == 1)).sum()),
            served_control=int((at & served & (klass == 1)).sum()),
            rounds=int(plan.point_rounds[p]), kg=round(kg, 3),
        ))  # fmt: skip
    if points:
        session.execute(insert(SupplyPlanPoint), points)
    left = np.flatnonzero(~served)
    unserved = [
        dict(
            plan_id=row.id,
            household_id=int(zh.household_id[i]),
            node_id=net.points[point[i]].id if point[i] >= 0 else None,
            community_id=int(zh.community_id[i]),
            zone_class=CLASSES[int(klass[i])],
            size=int(zh.size[i]),
            reason=REASONS[int(plan.reason[i])],
        )
        for i in left.tolist()
    ]
    for i in range(0, len(unserved), 20_000):
        session.execute(insert(SupplyUnserved), unserved[i : i + 20_000])
    session.flush()
    return get_plan(session=session, day=day, plan_id=row.id, zones=zh.zones, standard=standard)


def get_plan(
    *,
    session: Session,
    day: date,
    plan_id: int | None = None,
    zones: int | None = None,
    standard: dict[str, tuple[float, str]] | None = None,
    shown_unserved: int = SHOWN_UNSERVED,
) -> PlanOut:
    """The stored plan of ``day`` (:class:`LookupError` when there is none)."""
    query = select(SupplyPlan).where(
        SupplyPlan.id == plan_id if plan_id is not None else SupplyPlan.day == day
    )
    row = session.scalars(query).first()
    if row is None:
        raise LookupError(f"day: no distribution plan for {day.isoformat()}")
    params = SupplySettings.model_validate_json(row.params)
    standard = standard or params.standard_tuples()
    code = dict(session.execute(select(SupplyNode.id, SupplyNode.code)).all())
    area_of = dict(session.execute(select(SupplyNode.id, SupplyNode.area_id)).all())
    legs = [
        LegOut(
            tier=leg.tier,
            from_node=code[leg.from_node_id],
            to_node=code[leg.to_node_id],
            hours=round(leg.hours, 3),
            vehicles=leg.vehicles,
            trips=leg.trips,
            kg=leg.kg,
        )
        for leg in session.scalars(
            select(SupplyPlanLeg)
            .where(SupplyPlanLeg.plan_id == row.id)
            .order_by(SupplyPlanLeg.tier, SupplyPlanLeg.from_node_id, SupplyPlanLeg.to_node_id)
        )
    ]
    points = [
        PointOut(
            node=code[p.node_id],
            community_id=area_of[p.node_id],
            households_lockdown=p.households_lockdown,
            served_lockdown=p.served_lockdown,
            households_control=p.households_control,
            served_control=p.served_control,
            rounds=p.rounds,
            kg=p.kg,
        )
        for p in session.scalars(
            select(SupplyPlanPoint)
            .where(SupplyPlanPoint.plan_id == row.id)
            .order_by(SupplyPlanPoint.node_id)
        )
    ]
    by_reason: dict[str, int] = {}
    for (reason,) in session.execute(
        select(SupplyUnserved.reason).where(SupplyUnserved.plan_id == row.id)
    ):
        by_reason[reason] = by_reason.get(reason, 0) + 1
    unserved = [
        UnservedOut(
            household_id=u.household_id,
            community_id=u.community_id,
            node=code.get(u.node_id) if u.node_id is not None else None,
            zone_class=u.zone_class,
            size=u.size,
            reason=u.reason,
        )
        for u in session.scalars(
            select(SupplyUnserved)
            .where(SupplyUnserved.plan_id == row.id)
            .order_by(SupplyUnserved.zone_class.desc(), SupplyUnserved.household_id)
            .limit(shown_unserved)
        )
    ]
    persons = sum(p.kg for p in points) / basket_kg(standard) if points else 0.0
    items = {name: round(persons * amount, 3) for name, (amount, _) in standard.items()}
    phases = [PhaseOut(**p) for p in json.loads(row.phases)]

    def cov(total: int, served: int) -> Coverage:
        return Coverage(households=total, served=served, rate=served / total if total else 1.0)

    return PlanOut(
        plan_id=row.id,
        day=row.day,
        created_at=row.created_at,
        zone_source=row.zone_source,
        zones=zones if zones is not None else 0,
        lockdown=cov(row.households_lockdown, row.served_lockdown),
        control=cov(row.households_control, row.served_control),
        deadline_hours=params.deadline_hours,
        gap=row.gap,
        optimal=row.gap == 0.0,
        seconds=row.seconds,
        phases=phases,
        items=items,
        unserved_by_reason=dict(sorted(by_reason.items())),
        legs=legs,
        points=points,
        unserved=unserved,
    )
