"""``/api/quarantine``: site occupancy (rooms left) and the roster of stays, scoped
(a facility manager sees their site, a grid worker their community's residents)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from ...api import queries
from ...api.auth import CurrentUser
from ...api.deps import MAX_ID, DbSession, PageDep
from ...api.pagination import Paged
from . import service
from .schemas import RosterEntry, SiteOccupancy

router = APIRouter(prefix="/api/quarantine", tags=["quarantine"])


@router.get("/sites")
def list_sites(session: DbSession, viewer: CurrentUser) -> list[SiteOccupancy]:
    """Quarantine sites with rooms, occupied and left (accessible rooms too)."""
    sites = service.site_occupancy(session=session)
    if viewer.role == "facility_manager":
        return [s for s in sites if s.site_id == viewer.facility_id]
    return sites


@router.get(
    "/roster",
    responses={403: {"description": "The role may not read the roster (or not this site)"}},
)
def roster(
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    site_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    status: Annotated[str | None, Query(max_length=16)] = None,
) -> Paged[RosterEntry]:
    """Stays (assigned, admitted, released) with their tests and transfer batch."""
    site, persons = queries.roster_scope(session, viewer, site_id)
    rows = service.roster(session=session, site_id=site)
    if persons is not None:
        rows = [r for r in rows if r.person_id in persons]
    if status is not None:
        rows = [r for r in rows if r.status == status]
    items = rows[page.offset : page.offset + page.limit]
    return Paged[RosterEntry](items=items, total=len(rows), limit=page.limit, offset=page.offset)
