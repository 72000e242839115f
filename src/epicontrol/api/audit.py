"""``GET /api/audit`` (commanders only) and the helper views use to audit a write."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel

from ..domains.users import service as users
from ..domains.users.schemas import UtcDateTime, Viewer
from .auth import require_roles
from .deps import DbSession, PageDep
from .pagination import Paged


class AuditOut(BaseModel):
    id: int
    at: UtcDateTime
    user_id: int | None
    actor: str
    role: str
    action: str
    entity: str
    entity_id: str | None
    before: Any
    after: Any
    request_id: str | None


def audit_write(
    session: DbSession,
    viewer: Viewer,
    request_id: str,
    *,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    """Append the audit row of a write, in the request's transaction."""
    users.record_audit(
        session=session,
        viewer=viewer,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        request_id=request_id or None,
    )


router = APIRouter(prefix="/api", tags=["audit"])
Commander = Annotated[Viewer, Depends(require_roles("commander"), scope="function")]


@router.get("/audit")
def list_audit(
    session: DbSession,
    _viewer: Commander,
    page: PageDep,
    entity: Annotated[str | None, Query(max_length=32)] = None,
    entity_id: Annotated[str | None, Query(max_length=64)] = None,
    actor: Annotated[str | None, Query(max_length=64)] = None,
    since: Annotated[datetime | None, Query(description="From (UTC, inclusive).")] = None,
    until: Annotated[datetime | None, Query(description="Until (UTC, exclusive).")] = None,
) -> Paged[AuditOut]:
    """The audit log, newest first (commanders only)."""
    total, rows = users.list_audit(
        session=session,
        limit=page.limit,
        offset=page.offset,
        entity=entity,
        entity_id=entity_id,
        actor=actor,
        since=since.replace(tzinfo=None) if since else None,
        until=until.replace(tzinfo=None) if until else None,
    )
    items = [
        AuditOut(
            id=r.id,
            at=r.at,
            user_id=r.user_id,
            actor=r.actor,
            role=r.role,
            action=r.action,
            entity=r.entity,
            entity_id=r.entity_id,
            before=r.before,
            after=r.after,
            request_id=r.request_id,
        )
        for r in rows
    ]
    return Paged[AuditOut](items=items, total=total, limit=page.limit, offset=page.offset)
