"""``/api/zones`` (signed-in, scoped: a grid worker sees the zones on, in or above their
community), ``/api/zones/geojson`` and the public ``/api/public/zones``."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, TypeAdapter

from ...api import queries
from ...api.auth import CurrentUser, OptionalViewer
from ...api.deps import DbSession, PageDep, PathId
from ...api.pagination import Paged
from ...i18n import t
from . import queries as zone_queries
from .schemas import ZoneOut
from .service import ZoneError

router = APIRouter(prefix="/api", tags=["zones"])
ZoneLevel = Literal["lockdown", "control", "prevention"]


class PublicZone(BaseModel):
    """A current risk zone in plain language (no case or person data)."""

    area_name: str
    area_name_en: str | None
    level: str
    since: date
    lon: float | None
    lat: float | None
    advice_zh: str
    advice_en: str


def _fingerprint(session: DbSession) -> tuple[Any, ...]:
    return zone_queries.zones_fingerprint(session)


def _listed(
    session: DbSession, *, level: str | None, active: bool | None, on: date | None
) -> list[ZoneOut]:
    return zone_queries.listed_zones(session=session, level=level, active=active, on=on)


def _zones(
    session: DbSession, viewer: Any, *, level: str | None, active: bool | None, on: date | None
) -> list[ZoneOut]:
    try:
        zones = _listed(session, level=level, active=active, on=on)
    except ZoneError:
        return []  # no city yet: no zones
    scope = queries.zone_ids_in_scope(session, viewer)
    return zones if scope is None else [z for z in zones if z.id in scope]


@router.get("/zones")
def list_zones(
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    level: Annotated[ZoneLevel | None, Query()] = None,
    active: Annotated[bool | None, Query(description="Only zones not lifted.")] = None,
    on: Annotated[date | None, Query(description="Levels as at the end of this local day.")] = None,
) -> Paged[ZoneOut]:
    """Zones in the caller's scope with residents and special-population counts."""
    zones = _zones(session, viewer, level=level, active=active, on=on)
    items = zones[page.offset : page.offset + page.limit]
    return Paged[ZoneOut](items=items, total=len(zones), limit=page.limit, offset=page.offset)


@router.get("/zones/geojson")
def zones_geojson(
    session: DbSession,
    viewer: CurrentUser,
    active: Annotated[bool, Query()] = True,
    on: Annotated[date | None, Query()] = None,
) -> dict[str, Any]:
    """The zones in scope as a GeoJSON FeatureCollection (polygons or centroids)."""
    try:
        collection = zone_queries.zones_geojson(session=session, active=active, on=on)
    except ZoneError:
        return {"type": "FeatureCollection", "features": []}
    scope = queries.zone_ids_in_scope(session, viewer)
    if scope is not None:
        collection["features"] = [f for f in collection["features"] if f["id"] in scope]
    return collection


@router.get("/zones/{zone_id}", responses={404: {"description": "No such zone in scope"}})
def get_zone(zone_id: PathId, session: DbSession, viewer: CurrentUser) -> ZoneOut:
    for zone in _zones(session, viewer, level=None, active=None, on=None):
        if zone.id == zone_id:
            return zone
    raise queries.ScopeNotFound(f"zone {zone_id} does not exist")


#: Per-process cache of the public list as JSON, keyed by the zones' fingerprint.
_PUBLIC: dict[tuple[Any, ...], bytes] = {}
_PUBLIC_LIST = TypeAdapter(list[PublicZone])


@router.get("/public/zones", tags=["public"], response_model=list[PublicZone])
def public_zones(session: DbSession, _viewer: OptionalViewer) -> Response:
    """Current risk zones and what residents there must do (no login needed)."""
    key = _fingerprint(session)
    body = _PUBLIC.get(key)
    if body is None:
        try:
            zones = _listed(session, level=None, active=True, on=None)
        except ZoneError:
            zones = []
        items = [
            PublicZone(
                area_name=z.area_name,
                area_name_en=z.area_name_en,
                level=z.level,
                since=z.level_day,
                lon=z.lon,
                lat=z.lat,
                advice_zh=t(f"users.public.advice.{z.level}", "zh-CN"),
                advice_en=t(f"users.public.advice.{z.level}", "en"),
            )
            for z in zones
        ]
        body = _PUBLIC_LIST.dump_json(items)
        if zones:  # no city yet: not kept, so a city made while serving is seen at once
            if len(_PUBLIC) > 16:
                _PUBLIC.clear()
            _PUBLIC[key] = body
    return Response(content=body, media_type="application/json")
