"""``/api/city``, ``/api/areas``, ``/api/persons``, ``/api/facilities``.

Areas and the city summary are public; persons are scoped (a grid worker sees
their community's residents only) and masked per role; facilities need a
signed-in user.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request

from ...api import queries
from ...api.auth import CurrentUser, OptionalViewer
from ...api.deps import MAX_ID, DbSession, PageDep, PathId
from ...api.pagination import Paged
from . import service
from .schemas import CitySummary

router = APIRouter(prefix="/api", tags=["city"])

Level = Literal["city", "district", "street", "community", "compound", "building"]
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"description": "Not found (or outside the caller's scope)"}
}


@router.get("/city", responses={404: {"description": "No city in the store yet"}})
def get_city(request: Request, session: DbSession, _viewer: OptionalViewer) -> CitySummary:
    """The city: districts, counts and provision against the standards (public)."""
    if service.get_city(session=session) is None:
        raise queries.ScopeNotFound("the store holds no city yet")
    return service.city_summary(session=session, standards=request.app.state.settings.standards)


@router.get("/areas")
def list_areas(
    session: DbSession,
    viewer: OptionalViewer,
    page: PageDep,
    level: Annotated[Level | None, Query()] = None,
    parent_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Paged[queries.AreaOut]:
    """Areas of the hierarchy (public), filtered by level and parent."""
    total, items = queries.list_areas(
        session=session,
        viewer=viewer,
        window=queries.Window(page.limit, page.offset),
        level=level,
        parent_id=parent_id,
    )
    return Paged[queries.AreaOut](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/areas/{area_id}", responses=NOT_FOUND)
def get_area(area_id: PathId, session: DbSession, _viewer: OptionalViewer) -> queries.AreaOut:
    return queries.get_area(session=session, area_id=area_id)


@router.get("/persons", responses={403: {"description": "The role may not read persons"}})
def list_persons(
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    community_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    building_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    special_tier: Annotated[Literal["red", "yellow", "green"] | None, Query()] = None,
) -> Paged[queries.PersonRow]:
    """Residents in scope; phone and ID number masked unless the role reveals them."""
    total, items = queries.list_persons(
        session=session,
        viewer=viewer,
        window=queries.Window(page.limit, page.offset),
        community_id=community_id,
        building_id=building_id,
        special_tier=special_tier,
    )
    return Paged[queries.PersonRow](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/persons/{person_id}", responses=NOT_FOUND)
def get_person(person_id: PathId, session: DbSession, viewer: CurrentUser) -> queries.PersonRow:
    return queries.get_person(session=session, viewer=viewer, person_id=person_id)


@router.get("/facilities")
def list_facilities(
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    kind: Annotated[
        Literal["hospital", "quarantine_site", "lab", "sampling_site"] | None,
        Query(),
    ] = None,
) -> Paged[queries.FacilityOut]:
    """Hospitals, quarantine sites, labs and sampling sites with their capacities."""
    total, items = queries.list_facilities(
        session=session, viewer=viewer, window=queries.Window(page.limit, page.offset), kind=kind
    )
    return Paged[queries.FacilityOut](
        items=items, total=total, limit=page.limit, offset=page.offset
    )


@router.get("/facilities/{facility_id}", responses=NOT_FOUND)
def get_facility(
    facility_id: PathId, session: DbSession, _viewer: CurrentUser
) -> queries.FacilityOut:
    return queries.get_facility(session=session, facility_id=facility_id)
