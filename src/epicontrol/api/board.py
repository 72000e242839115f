"""``GET /api/board``: today's city board (or a community's), from the process's cache.

The board (KPIs against the standards, cases, zones, open alerts, the
epidemic curve with Rt, the day's syndromic counts) is built by
:func:`~epicontrol.domains.board.service.city_board` and kept per process by
:class:`~epicontrol.domains.board.cache.BoardCache`: its figures are at most
``board_ttl_seconds`` (default 30 s) plus one build old, and never more than
three times that.  The body's ``as_of`` is the moment they were read; the
``Age`` header says how many seconds ago the board was computed.

A grid worker gets their community's board; the city roles get the city's,
or a community's with ``community_id``; officers and facility managers the
city's.  The public gets 401 (its page is ``/api/public/zones``).
"""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from starlette.concurrency import run_in_threadpool

from ..domains.board.cache import BoardCache, CachedBoard
from ..domains.board.schemas import BoardOut
from ..domains.users.schemas import Viewer
from .auth import CurrentUser
from .deps import MAX_ID
from .queries import ScopeNotFound, allow

router = APIRouter(prefix="/api", tags=["board"])

BOARD_ROLES = (
    "commander",
    "epidemiologist",
    "department_officer",
    "grid_worker",
    "facility_manager",
)


def board_cache(request: Request) -> BoardCache:
    """The app's board cache (made by ``create_app``)."""
    cache: BoardCache = request.app.state.board_cache
    return cache


def board_scope(viewer: Viewer, community_id: int | None) -> int | None:
    """The community whose board ``viewer`` gets (None: the city's)."""
    allow(viewer, BOARD_ROLES, "the board")
    if viewer.role == "grid_worker":
        if community_id is not None and community_id != viewer.community_id:
            raise ScopeNotFound(f"community_id: community {community_id} is not in your scope")
        if viewer.community_id is None:
            raise ScopeNotFound("community_id: this grid worker has no community")
        return viewer.community_id
    if community_id is not None and not viewer.whole_city:
        raise ScopeNotFound(f"community_id: community {community_id} is not in your scope")
    return community_id


async def cached_board(request: Request, community_id: int | None) -> CachedBoard:
    """The cached board of a scope; built in the thread pool when there is none to serve."""
    cache = board_cache(request)
    entry = cache.ready(community_id)
    if entry is None:
        entry = await run_in_threadpool(cache.get, community_id)
    return entry


@router.get(
    "/board",
    response_model=BoardOut,
    responses={404: {"description": "Unknown community, or not in the caller's scope"}},
)
async def get_board(
    request: Request,
    viewer: CurrentUser,
    community_id: Annotated[
        int | None,
        Query(ge=0, le=MAX_ID, description="A community's board (city roles; default the city)."),
    ] = None,
) -> Response:
    """Today's board of the caller's scope; figures at most ``board_ttl_seconds`` plus one
    build old (``as_of`` in the body, ``Age`` in the headers)."""
    key = board_scope(viewer, community_id)
    entry = await cached_board(request, key)
    cache = board_cache(request)
    age = cache.age(entry)
    return Response(
        content=entry.json,
        media_type="application/json",
        headers={
            "Age": str(math.floor(age)),
            "Cache-Control": f"private, max-age={max(math.floor(cache.ttl_seconds - age), 0)}",
        },
    )
