"""``/api/alerts``: the alerts inbox and the alert lifecycle (acknowledge, investigate, close).

Thin router: the scope comes from :mod:`epicontrol.api.queries`, the
transitions from :func:`.service.transition_alert` (optimistic lock on
``version``); every transition is audited.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy.orm import Session

from ...api import queries
from ...api.audit import audit_write
from ...api.auth import CurrentUser
from ...api.cityfacts import city_facts
from ...api.deps import MAX_ID, DbSession, PageDep, PathId, RequestId
from ...api.etag import IfMatch, expected_version, set_etag
from ...api.pagination import Paged
from . import service
from .routing import SurveillanceConfig, load_config
from .schemas import AlertOut

router = APIRouter(prefix="/api/alerts", tags=["alerts"])

#: Who moves an alert: the city roles any, officers and grid workers those in their scope.
TRANSITION_ROLES = ("commander", "epidemiologist", "department_officer", "grid_worker")
ACTIONS = {"acknowledge": "acknowledged", "investigate": "investigating", "close": "closed"}


class TransitionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: Literal["acknowledge", "investigate", "close"]
    outcome: Literal["outbreak_confirmed", "false_alarm"] | None = Field(
        None, description="Required when closing."
    )
    note: str | None = Field(None, max_length=2000)

    @model_validator(mode="after")
    def _outcome_only_when_closing(self) -> TransitionIn:
        if self.action == "close" and self.outcome is None:
            raise ValueError("outcome: closing an alert needs an outcome")
        if self.action != "close" and self.outcome is not None:
            raise ValueError("outcome: is given only when closing")
        return self


def _config(request: Request) -> SurveillanceConfig:
    cached: SurveillanceConfig | None = getattr(request.app.state, "surveillance_config", None)
    if cached is None:
        cached = load_config(workspace=request.app.state.settings.workspace)
        request.app.state.surveillance_config = cached
    return cached


def _epoch(request: Request, session: Session) -> date | None:
    """The city's day 0 from the process's cache (None: let the service read it)."""
    facts = city_facts(request).get(session)
    return None if facts is None else facts.epoch


@router.get("")
def list_alerts(
    request: Request,
    session: DbSession,
    viewer: CurrentUser,
    page: PageDep,
    status: Annotated[
        Literal["open", "raised", "acknowledged", "investigating", "closed"] | None, Query()
    ] = None,
    level: Annotated[Literal["blue", "yellow", "orange", "red"] | None, Query()] = None,
    area_id: Annotated[int | None, Query(ge=0, le=MAX_ID)] = None,
    raised_from: Annotated[datetime | None, Query(description="Raised at or after (UTC).")] = None,
    raised_to: Annotated[datetime | None, Query(description="Raised before (UTC).")] = None,
) -> Paged[AlertOut]:
    """Alerts in the caller's scope, newest first (``status=open``: not closed)."""
    total, rows = queries.list_alert_rows(
        session=session,
        viewer=viewer,
        window=queries.Window(page.limit, page.offset),
        status=status,
        level=level,
        area_id=area_id,
        raised_from=queries.naive_utc(raised_from),
        raised_to=queries.naive_utc(raised_to),
    )
    items = service.alert_views(
        session=session, alerts=rows, config=_config(request), epoch=_epoch(request, session)
    )
    return Paged[AlertOut](items=items, total=total, limit=page.limit, offset=page.offset)


@router.get("/{alert_id}", responses={404: {"description": "No such alert in scope"}})
def get_alert(
    alert_id: PathId, request: Request, response: Response, session: DbSession, viewer: CurrentUser
) -> AlertOut:
    """One alert with its events; the ``ETag`` header carries its version."""
    alert = queries.get_alert_row(session=session, viewer=viewer, alert_id=alert_id)
    out = service.alert_views(
        session=session,
        alerts=[alert],
        config=_config(request),
        with_events=True,
        epoch=_epoch(request, session),
    )[0]
    set_etag(response, alert.version)
    return out


@router.post(
    "/{alert_id}/transition",
    responses={
        404: {"description": "No such alert in scope"},
        409: {"description": "Stale If-Match or a transition the lifecycle does not allow"},
        428: {"description": "If-Match missing"},
    },
)
def transition(
    alert_id: PathId,
    body: TransitionIn,
    request: Request,
    response: Response,
    session: DbSession,
    viewer: CurrentUser,
    rid: RequestId,
    if_match: IfMatch = None,
) -> AlertOut:
    """Acknowledge, investigate or close (with an outcome) an alert; audited."""
    queries.allow(viewer, TRANSITION_ROLES, "alerts")
    version = expected_version(if_match)
    alert = queries.get_alert_row(session=session, viewer=viewer, alert_id=alert_id)
    config = _config(request)
    epoch = _epoch(request, session)
    before = service.alert_views(session=session, alerts=[alert], config=config, epoch=epoch)[0]
    moved = service.transition_alert(
        session=session,
        alert_id=alert_id,
        to_status=ACTIONS[body.action],
        actor=viewer.name,
        note=body.note,
        outcome=body.outcome,
        expected_version=version,
    )
    after = service.alert_views(session=session, alerts=[moved], config=config, epoch=epoch)[0]
    audit_write(
        session,
        viewer,
        rid,
        action=f"alert.{body.action}",
        entity="alert",
        entity_id=alert_id,
        before=_audited(before),
        after=_audited(after),
    )
    set_etag(response, moved.version)
    return after


def _audited(alert: AlertOut) -> dict[str, object]:
    return alert.model_dump(
        mode="json", include={"id", "status", "outcome", "level", "version", "closed_at"}
    )
