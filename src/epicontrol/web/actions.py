"""The alerts inbox and the tasks board, with their buttons (htmx forms).

A button posts a small form (the record's ``version`` rides along as the
expected version, the web form's ``If-Match``) to an endpoint here, which
checks the viewer's scope, calls the surveillance or tasks service, audits
the write in the same transaction and answers with the re-rendered row.  A
stale form (someone else moved the record meanwhile) gets 409 with the row
as it is now and a message saying so; nothing is written.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.orm import Session

from ..api import queries
from ..api.deps import DbSession
from ..core.operations.playbook import DEPARTMENTS
from ..domains.surveillance import service as alerts_service
from ..domains.surveillance.models import ALERT_OUTCOMES
from ..domains.surveillance.routing import SurveillanceConfig, load_config
from ..domains.surveillance.schemas import AlertOut
from ..domains.tasks import service as tasks_service
from ..domains.tasks.common import InvalidTransition as TaskTransition
from ..domains.tasks.common import StaleTask, TaskInputError, TaskNotFound
from ..domains.tasks.schemas import TaskOut
from ..domains.users import service as users
from ..domains.users.schemas import Viewer
from ..i18n import t
from . import data
from .common import allowed, is_htmx, lang_of, login_redirect, page_viewer, render, web_state
from .routes import _has_city, forbidden, no_city

router = APIRouter(include_in_schema=False)
ALERT_FILTERS = ("open", "raised", "acknowledged", "investigating", "closed", "all")
#: The audit action of each alert move.
ALERT_ACTIONS = {
    "acknowledged": "alert.acknowledge",
    "investigating": "alert.investigate",
    "closed": "alert.close",
}


def _config(request: Request) -> SurveillanceConfig:
    return load_config(workspace=web_state(request).settings.workspace)


def _request_id(request: Request) -> str | None:
    return str(getattr(request.state, "request_id", "")) or None


def _fragment(request: Request, template: str, lang: str, status: int, **ctx: Any) -> HTMLResponse:
    return render(request, template, lang=lang, viewer=None, status_code=status, **ctx)


# --------------------------------------------------------------------------- alerts


def _alert_view(session: Session, config: SurveillanceConfig, alert_id: int) -> AlertOut:
    alert = alerts_service.get_alert(session=session, alert_id=alert_id)
    return alerts_service.alert_views(session=session, alerts=[alert], config=config)[0]


def _alert_row(session: Session, viewer: Viewer, config: SurveillanceConfig, alert_id: int) -> Any:
    view = _alert_view(session, config, alert_id)
    return {"a": view, "actions": data.alert_actions(viewer, view)}


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(request: Request, session: DbSession, status: str = "open") -> Response:
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return login_redirect(request)
    if not allowed(viewer, "alerts"):
        return forbidden(request, lang, viewer)
    if not _has_city(session):
        return no_city(request, lang, viewer, "alerts")
    chosen = status if status in ALERT_FILTERS else "open"
    config = _config(request)
    views = data.alerts_for(session, viewer, config, status=None if chosen == "all" else chosen)
    name, name_en = data.community_name(
        session, viewer.community_id if viewer.role == "grid_worker" else None
    )
    return render(
        request,
        "alerts.html.j2",
        lang=lang,
        viewer=viewer,
        page="alerts",
        rows=[{"a": a, "actions": data.alert_actions(viewer, a)} for a in views],
        filters=ALERT_FILTERS,
        chosen=chosen,
        outcomes=ALERT_OUTCOMES,
        community=(name_en if lang == "en" else name) or None,
        limit_hours=config.early_warning_hours,
    )


def _snapshot(alert: AlertOut) -> dict[str, Any]:
    return {
        "status": alert.status,
        "level": alert.level,
        "outcome": alert.outcome,
        "version": alert.version,
    }


@router.post("/alerts/{alert_id}/transition", response_class=HTMLResponse)
def alert_transition(
    request: Request,
    session: DbSession,
    alert_id: int,
    to: Annotated[str, Form(max_length=24)],
    version: Annotated[int, Form(ge=0)],
    outcome: Annotated[str | None, Form(max_length=24)] = None,
    note: Annotated[str | None, Form(max_length=1000)] = None,
) -> Response:
    """Acknowledge, investigate or close (with an outcome) alert ``alert_id``."""
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return _fragment(request, "_error.html.j2", lang, 401, error=t("web.error.login", lang))
    config = _config(request)
    denied = t("web.forbidden.text", lang, role=t(f"web.role.{viewer.role}", lang))
    try:
        data.get_alert(session, viewer, alert_id)
    except data.NotInScope:
        return _fragment(
            request, "_error.html.j2", lang, 404, error=t("web.alert.not_found", lang, id=alert_id)
        )
    except data.OutOfScope:
        return _fragment(request, "_error.html.j2", lang, 403, error=denied)
    before = _alert_view(session, config, alert_id)
    if viewer.role not in data.ALERT_MOVERS:
        return _fragment(request, "_error.html.j2", lang, 403, error=denied)
    error, code = None, 200
    try:
        alerts_service.transition_alert(
            session=session,
            alert_id=alert_id,
            to_status=to,
            actor=viewer.name,
            note=note or None,
            outcome=(outcome or None) if to == "closed" else None,
            expected_version=version,
        )
    except alerts_service.StaleAlert:
        session.rollback()
        error, code = t("web.stale", lang, what=t("web.alert.what", lang, id=alert_id)), 409
    except alerts_service.InvalidTransition as exc:
        session.rollback()
        error, code = t("web.alert.invalid", lang, reason=str(exc)), 409
    else:
        after = _alert_view(session, config, alert_id)
        users.record_audit(
            session=session,
            viewer=viewer,
            action=ALERT_ACTIONS.get(to, "alert.transition"),
            entity="alert",
            entity_id=alert_id,
            before=_snapshot(before),
            after=_snapshot(after),
            request_id=_request_id(request),
        )
    row = _alert_row(session, viewer, config, alert_id)
    if not is_htmx(request) and error is None:
        return Response(status_code=303, headers={"Location": "/alerts"})
    return _fragment(
        request, "_alert_row.html.j2", lang, code, row=row, outcomes=ALERT_OUTCOMES, error=error
    )


# --------------------------------------------------------------------------- tasks


def _task_ctx(item: data.TaskItem) -> dict[str, Any]:
    return {"t": item.task, "can_act": item.can_act}


@router.get("/tasks", response_class=HTMLResponse)
def tasks_page(request: Request, session: DbSession, status: str = "active") -> Response:
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return login_redirect(request)
    if not allowed(viewer, "tasks"):
        return forbidden(request, lang, viewer)
    if not _has_city(session):
        return no_city(request, lang, viewer, "tasks")
    chosen = status if status in ("active", "done", "cancelled", "all") else "active"
    tasks = data.tasks_for(session, viewer, status=None if chosen == "all" else chosen)
    groups = [
        (dept, [_task_ctx(x) for x in tasks if x.task.department == dept]) for dept in DEPARTMENTS
    ]
    return render(
        request,
        "tasks.html.j2",
        lang=lang,
        viewer=viewer,
        page="tasks",
        groups=[g for g in groups if g[1]],
        total=len(tasks),
        chosen=chosen,
        now=datetime.now(UTC),
    )


def _task_snapshot(task: TaskOut) -> dict[str, Any]:
    return {
        "status": task.status,
        "evidence": task.evidence,
        "completed_by": task.completed_by,
        "version": task.version,
    }


@router.post("/tasks/{task_id}/{move}", response_class=HTMLResponse)
def task_move(
    request: Request,
    session: DbSession,
    task_id: int,
    move: str,
    version: Annotated[int, Form(ge=0)],
    evidence: Annotated[str | None, Form(max_length=4000)] = None,
) -> Response:
    """Start or complete task ``task_id`` (the owning department only)."""
    lang = lang_of(request)
    viewer = page_viewer(request, session)
    if viewer.is_public:
        return _fragment(request, "_error.html.j2", lang, 401, error=t("web.error.login", lang))
    if move not in ("start", "complete"):
        return _fragment(
            request, "_error.html.j2", lang, 404, error=t("web.task.bad_move", lang, move=move)
        )
    try:
        row = data.get_task(session, viewer, task_id)
    except (data.NotInScope, TaskNotFound):
        return _fragment(
            request, "_error.html.j2", lang, 404, error=t("web.task.not_found", lang, id=task_id)
        )
    except data.OutOfScope:
        denied = t("web.forbidden.text", lang, role=t(f"web.role.{viewer.role}", lang))
        return _fragment(request, "_error.html.j2", lang, 403, error=denied)
    before = data.task_items(session, viewer, [row])[0].task
    if not queries.may_act_on_task(viewer, row):
        dept = t(f"tasks.department.{before.department}", lang)
        return _fragment(
            request,
            "_error.html.j2",
            lang,
            403,
            error=t("web.task.not_yours", lang, department=dept),
        )
    error, code = None, 200
    try:
        if move == "start":
            after = tasks_service.start_task(
                session=session, task_id=task_id, actor=viewer.name, expected_version=version
            )
        else:
            after = tasks_service.complete_task(
                session=session,
                task_id=task_id,
                evidence=evidence or "",
                actor=viewer.name,
                expected_version=version,
            )
    except StaleTask:
        session.rollback()
        error, code = t("web.stale", lang, what=t("web.task.what", lang, id=task_id)), 409
    except TaskTransition as exc:
        session.rollback()
        error, code = t("web.task.invalid", lang, reason=str(exc)), 409
    except TaskInputError as exc:
        session.rollback()
        error, code = t("web.task.bad_input", lang, reason=str(exc)), 422
    else:
        users.record_audit(
            session=session,
            viewer=viewer,
            action=f"task.{move}",
            entity="task",
            entity_id=task_id,
            before=_task_snapshot(before),
            after=_task_snapshot(after),
            request_id=_request_id(request),
        )
    item = data.task_items(
        session, viewer, [tasks_service.get_task(session=session, task_id=task_id)]
    )[0]
    if not is_htmx(request) and error is None:
        return Response(status_code=303, headers={"Location": "/tasks"})
    return _fragment(request, "_task_row.html.j2", lang, code, row=_task_ctx(item), error=error)
