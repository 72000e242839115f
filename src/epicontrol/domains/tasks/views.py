"""``/api/tasks``: deadline tasks of the departments, start and complete (If-Match, audited).

Thin router: scope from :mod:`epicontrol.api.queries` (a department officer
sees and changes only their department's tasks), lifecycle from
:mod:`.service` (optimistic lock on ``version``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from ...api import queries
from ...api.audit import audit_write
from ...api.auth import CurrentUser
from ...api.cityfacts import city_facts
from ...api.deps import MAX_ID, DbSession, PageDep, PathId, RequestId
from ...api.etag import IfMatch, expected_version, set_etag
from ...api.pagination import Paged
from ...domains.users.schemas import Viewer
from . import service
from .common import tasks_out
from .models import Task
from .schemas import TaskOut

router = APIRouter(prefix="/api/tasks", tags=["tasks"])

Department = Literal[
    "health", "police", "transport", "education", "commerce", "civil_affairs", "community"
]
WRITE_RESPONSES: dict[int | str, dict[str, str]] = {
    403: {"description": "The role or department may not change this task"},
    404: {"description": "No such task in scope"},
    409: {"description": "Stale If-Match, or a transition the lifecycle does not allow"},
    428: {"description": "If-Match missing"},
}


class CompleteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    evidence: str = Field(min_length=1, max_length=4000, description="What shows the task done.")


class StartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(None, max_length=2000)


@router.get("")
def list_tasks(
    request: Request,
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    status: Annotated[
        Literal["active", "open", "in_progress", "done", "cancelled"] | None, Query()
    ] = None,
    department: Annotated[Department | None, Query()] = None,
    case_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    due_before: Annotated[datetime | None, Query(description="Due before (UTC).")] = None,
    due_after: Annotated[datetime | None, Query(description="Due at or after (UTC).")] = None,
) -> Paged[TaskOut]:
    """Tasks in the caller's scope by due time."""
    total, rows = queries.list_task_rows(
        session=session,
        viewer=viewer,
        window=queries.Window(page.limit, page.offset),
        status=status,
        department=department,
        case_id=case_id,
        due_before=queries.naive_utc(due_before),
        due_after=queries.naive_utc(due_after),
    )
    items = tasks_out(session=session, tasks=rows, tz=city_facts(request).tz(session))
    return Paged[TaskOut](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{task_id}", responses={404: {"description": "No such task in scope"}})
def get_task(
    task_id: PathId,
    request: Request,
    response: Response,
    session: DbSession,
    viewer: CurrentUser,
) -> TaskOut:
    """One task; the ``ETag`` header carries its version."""
    task = queries.get_task_row(session=session, viewer=viewer, task_id=task_id)
    set_etag(response, task.version)
    return tasks_out(session=session, tasks=[task], tz=city_facts(request).tz(session))[0]


def _writable(session: DbSession, viewer: Viewer, task_id: int) -> Task:
    task = queries.get_task_row(session=session, viewer=viewer, task_id=task_id)
    if not queries.may_act_on_task(viewer, task):
        raise queries.AccessDenied(
            f"role: {viewer.role} may not change task {task_id} of department {task.department}"
        )
    return task


def _audited(out: TaskOut) -> dict[str, object]:
    return out.model_dump(
        mode="json",
        include={
            "id",
            "status",
            "version",
            "started_at",
            "completed_at",
            "completed_by",
            "evidence",
        },
    )


@router.post("/{task_id}/start", responses=WRITE_RESPONSES)
def start(
    task_id: PathId,
    request: Request,
    response: Response,
    session: DbSession,
    viewer: CurrentUser,
    rid: RequestId,
    body: StartIn | None = None,
    if_match: IfMatch = None,
) -> TaskOut:
    """Start a task (open → in progress); audited."""
    task = _writable(session, viewer, task_id)
    version = expected_version(if_match)
    before = tasks_out(session=session, tasks=[task], tz=city_facts(request).tz(session))[0]
    out = service.start_task(
        session=session, task_id=task_id, actor=viewer.name, expected_version=version
    )
    audit_write(
        session,
        viewer,
        rid,
        action="task.start",
        entity="task",
        entity_id=task_id,
        before=_audited(before),
        after=_audited(out) | ({"note": body.note} if body and body.note else {}),
    )
    set_etag(response, out.version)
    return out


@router.post("/{task_id}/complete", responses=WRITE_RESPONSES)
def complete(
    task_id: PathId,
    body: CompleteIn,
    request: Request,
    response: Response,
    session: DbSession,
    viewer: CurrentUser,
    rid: RequestId,
    if_match: IfMatch = None,
) -> TaskOut:
    """Complete a task with evidence (prerequisites must be finished); audited."""
    task = _writable(session, viewer, task_id)
    version = expected_version(if_match)
    before = tasks_out(session=session, tasks=[task], tz=city_facts(request).tz(session))[0]
    out = service.complete_task(
        session=session,
        task_id=task_id,
        evidence=body.evidence,
        actor=viewer.name,
        expected_version=version,
    )
    audit_write(
        session,
        viewer,
        rid,
        action="task.complete",
        entity="task",
        entity_id=task_id,
        before=_audited(before),
        after=_audited(out),
    )
    set_etag(response, out.version)
    return out
