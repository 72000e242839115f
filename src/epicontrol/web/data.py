"""The pages' data, read through the API's scoped queries and the domain services.

Every function takes the :class:`~epicontrol.domains.users.schemas.Viewer`
and goes through :mod:`epicontrol.api.queries` (the scope rules of the API,
in the query layer), so a grid worker's page never holds another community's
records — hiding links is not the protection:

* grid worker — cases living in their community, zones on or above it,
  alerts of its areas, the community department's tasks about its residents;
* department officer — tasks of their department, alerts routed to it;
* facility manager — their own quarantine site;
* commander, epidemiologist — the whole city.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..api import queries
from ..domains.city.models import Area, Person
from ..domains.quarantine.schemas import SiteOccupancy
from ..domains.quarantine.service import site_occupancy
from ..domains.surveillance import service as alerts_service
from ..domains.surveillance.models import Alert
from ..domains.surveillance.routing import SurveillanceConfig
from ..domains.surveillance.schemas import AlertOut
from ..domains.tasks.common import tasks_out
from ..domains.tasks.models import Task
from ..domains.tasks.schemas import TaskOut
from ..domains.users.schemas import Viewer
from ..domains.zones.queries import zones_geojson

#: Most rows a page lists.
LIST_LIMIT = 500
#: Most cases drawn on the map and listed.
CASE_LIMIT = 5000
#: Roles that move alerts through their lifecycle (a grid worker: their community's).
ALERT_MOVERS = ("commander", "epidemiologist", "grid_worker")

OutOfScope = queries.AccessDenied
NotInScope = queries.ScopeNotFound


def community_name(session: Session, community_id: int | None) -> tuple[str, str]:
    """``(name, name_en)`` of a community, empty when unknown."""
    if community_id is None:
        return "", ""
    area = session.get(Area, community_id)
    return (area.name, area.name_en or area.name) if area is not None else ("", "")


# --------------------------------------------------------------------------- cases


@dataclass(frozen=True)
class CaseRow:
    id: int
    person_id: int
    status: str
    onset: datetime | None
    reported: datetime
    community_id: int | None
    lon: float | None
    lat: float | None


def cases_for(session: Session, viewer: Viewer) -> list[CaseRow]:
    """The cases in the viewer's scope (naive UTC times), newest report first, with the
    position of their home building."""
    _, rows = queries.list_cases(
        session=session, viewer=viewer, window=queries.Window(limit=CASE_LIMIT, offset=0)
    )
    person_ids = sorted({r.person_id for r in rows})
    where: dict[int, tuple[float | None, float | None]] = {}
    for i in range(0, len(person_ids), 1000):
        for pid, lon, lat in session.execute(
            select(Person.id, Area.lon, Area.lat)
            .join(Area, Area.id == Person.building_id)
            .where(Person.id.in_(person_ids[i : i + 1000]))
        ):
            where[pid] = (lon, lat)
    return [
        CaseRow(
            id=r.id,
            person_id=r.person_id,
            status=r.status,
            onset=r.onset_at,
            reported=r.reported_at,
            community_id=r.community_id,
            lon=where.get(r.person_id, (None, None))[0],
            lat=where.get(r.person_id, (None, None))[1],
        )
        for r in rows
    ]


def check_case(session: Session, viewer: Viewer, case_id: int) -> None:
    """:class:`NotInScope` when the case does not exist or lies outside the viewer's scope;
    :class:`OutOfScope` when the role opens no case records."""
    queries.get_case(session=session, viewer=viewer, case_id=case_id)


# --------------------------------------------------------------------------- zones / map


def zones_for(session: Session, viewer: Viewer) -> dict[str, Any]:
    """The active zones' GeoJSON; a grid worker's only those on, in or above their community."""
    collection = zones_geojson(session=session, active=True)
    keep = queries.zone_ids_in_scope(session, viewer)
    if keep is not None:
        collection["features"] = [
            f for f in collection["features"] if int(f["properties"]["zone_id"]) in keep
        ]
    return collection


def map_payload(
    zones: dict[str, Any], cases: list[CaseRow], lang: str, level_names: dict[str, str]
) -> dict[str, Any]:
    """What ``app.js`` draws: the polygons to register, the points and their extent."""
    polygons: list[dict[str, Any]] = []
    points: list[dict[str, Any]] = []
    for f in zones["features"]:
        p = f["properties"]
        name = p["name_en"] if lang == "en" and p.get("name_en") else p["name"]
        geometry = f["geometry"]
        if geometry is None:
            continue
        item = {
            "name": f"{name} #{p['zone_id']}",
            "level": p["level"],
            "level_name": level_names.get(p["level"], p["level"]),
            "residents": p["residents"],
        }
        if geometry["type"] in ("Polygon", "MultiPolygon"):
            polygons.append(
                {"type": "Feature", "geometry": geometry, "properties": {"name": item["name"]}}
            )
            points.append({**item, "polygon": True, "value": None})
        elif geometry["type"] == "Point":
            lon, lat = geometry["coordinates"][:2]
            points.append({**item, "polygon": False, "value": [lon, lat, p["residents"]]})
    case_points = [
        {"name": f"#{c.id}", "status": c.status, "value": [c.lon, c.lat]}
        for c in cases
        if c.lon is not None and c.lat is not None
    ]
    coords = [tuple(p["value"][:2]) for p in points if p["value"]]
    coords += [tuple(c["value"]) for c in case_points]
    for poly in polygons:
        coords += list(_polygon_coords(poly["geometry"]))
    bounds = None
    if coords:
        lons = [float(c[0]) for c in coords]
        lats = [float(c[1]) for c in coords]
        pad_lon = max((max(lons) - min(lons)) * 0.08, 0.005)
        pad_lat = max((max(lats) - min(lats)) * 0.08, 0.005)
        bounds = [
            [min(lons) - pad_lon, max(lats) + pad_lat],
            [max(lons) + pad_lon, min(lats) - pad_lat],
        ]
    return {
        "geojson": {"type": "FeatureCollection", "features": polygons},
        "zones": points,
        "cases": case_points,
        "bounds": bounds,
    }


def _polygon_coords(geometry: dict[str, Any]) -> list[tuple[float, float]]:
    rings = geometry["coordinates"]
    if geometry["type"] == "Polygon":
        rings = [rings]
    return [(float(x), float(y)) for poly in rings for ring in poly for x, y, *_ in ring]


# --------------------------------------------------------------------------- alerts


def alerts_for(
    session: Session,
    viewer: Viewer,
    config: SurveillanceConfig,
    *,
    status: str | None = "open",
) -> list[AlertOut]:
    """Alerts in the viewer's scope, newest first."""
    _, rows = queries.list_alert_rows(
        session=session,
        viewer=viewer,
        window=queries.Window(limit=LIST_LIMIT, offset=0),
        status=status,
    )
    return alerts_service.alert_views(session=session, alerts=rows, config=config)


def get_alert(session: Session, viewer: Viewer, alert_id: int) -> Alert:
    """Alert ``alert_id`` if the viewer may see it, else :class:`NotInScope`."""
    return queries.get_alert_row(session=session, viewer=viewer, alert_id=alert_id)


def alert_actions(viewer: Viewer, alert: AlertOut) -> list[str]:
    """The lifecycle moves the viewer may make on ``alert`` (one it sees: in scope)."""
    if viewer.role not in ALERT_MOVERS:
        return []
    return list(alerts_service.TRANSITIONS[alert.status])


# --------------------------------------------------------------------------- tasks


@dataclass(frozen=True)
class TaskItem:
    task: TaskOut
    can_act: bool


def tasks_for(session: Session, viewer: Viewer, *, status: str | None = "active") -> list[TaskItem]:
    """Tasks in the viewer's scope by due time, with whether the viewer may move each."""
    _, rows = queries.list_task_rows(
        session=session,
        viewer=viewer,
        window=queries.Window(limit=LIST_LIMIT, offset=0),
        status=status,
    )
    return task_items(session, viewer, rows)


def task_items(session: Session, viewer: Viewer, rows: list[Task]) -> list[TaskItem]:
    views = tasks_out(session=session, tasks=rows)
    return [
        TaskItem(task=v, can_act=queries.may_act_on_task(viewer, row))
        for row, v in zip(rows, views, strict=True)
    ]


def get_task(session: Session, viewer: Viewer, task_id: int) -> Task:
    """Task ``task_id`` if the viewer may see it, else :class:`NotInScope`."""
    return queries.get_task_row(session=session, viewer=viewer, task_id=task_id)


# --------------------------------------------------------------------------- quarantine


def sites_for(session: Session, viewer: Viewer) -> list[SiteOccupancy]:
    """Quarantine sites: a facility manager's own, every site for the city roles."""
    sites = site_occupancy(session=session)
    if viewer.role == "facility_manager":
        return [s for s in sites if s.site_id == viewer.facility_id]
    return sites if viewer.whole_city else []
