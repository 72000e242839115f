"""``/api/cases`` and ``/api/contacts``: scoped to the caller (a grid worker sees the
cases living in their community and the contacts routed to it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query

from ...api import queries
from ...api.auth import CurrentUser
from ...api.deps import MAX_ID, DbSession, PageDep, PathId
from ...api.pagination import Paged

router = APIRouter(prefix="/api", tags=["tracing"])


@router.get("/cases", responses={403: {"description": "The role may not read cases"}})
def list_cases(
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    status: Annotated[Literal["confirmed", "suspected", "asymptomatic"] | None, Query()] = None,
    community_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    reported_from: Annotated[
        datetime | None, Query(description="Reported at or after (UTC).")
    ] = None,
    reported_to: Annotated[datetime | None, Query(description="Reported before (UTC).")] = None,
) -> Paged[queries.CaseRow]:
    """Cases in scope, newest report first."""
    total, items = queries.list_cases(
        session=session,
        viewer=viewer,
        window=queries.Window(page.limit, page.offset),
        status=status,
        community_id=community_id,
        reported_from=queries.naive_utc(reported_from),
        reported_to=queries.naive_utc(reported_to),
    )
    return Paged[queries.CaseRow](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/cases/{case_id}", responses={404: {"description": "No such case in scope"}})
def get_case(case_id: PathId, session: DbSession, viewer: CurrentUser) -> queries.CaseRow:
    return queries.get_case(session=session, viewer=viewer, case_id=case_id)


@router.get("/contacts", responses={403: {"description": "The role may not read contacts"}})
def list_contacts(
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    case_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    category: Annotated[
        Literal["close", "secondary", "general", "yellow_code"] | None, Query()
    ] = None,
    community_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
) -> Paged[queries.ContactRow]:
    """Contacts of the current investigations in scope, highest priority first."""
    total, items = queries.list_contacts(
        session=session,
        viewer=viewer,
        window=queries.Window(page.limit, page.offset),
        case_id=case_id,
        category=category,
        community_id=community_id,
    )
    return Paged[queries.ContactRow](items=items, total=total, limit=page.limit, offset=page.offset)
