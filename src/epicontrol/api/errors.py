"""Map the services' exceptions to HTTP answers: a message naming the field, never a 500.

- not found (``LookupError`` subclasses of the services) → 404
- refused by the scope (``PermissionError``) → 403
- stale version / invalid state transition / uniqueness conflict → 409
- bad input (the services' ``*InputError``, ``ValueError`` subclasses) → 422, in the
  shape of FastAPI's validation errors (``detail: [{loc, msg, type}]``)
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError

from ..domains.board.scope import BoardInputError, BoardNotFound
from ..domains.campaigns.service import CampaignConflict, CampaignInputError, CampaignNotFound
from ..domains.city.service import NotFoundError as CityNotFound
from ..domains.quarantine.service import NotFoundError as QuarantineNotFound
from ..domains.quarantine.service import QuarantineInputError
from ..domains.surveillance.service import AlertNotFound, StaleAlert
from ..domains.surveillance.service import InvalidTransition as AlertTransition
from ..domains.tasks.common import InvalidTransition as TaskTransition
from ..domains.tasks.common import StaleTask, TaskInputError, TaskNotFound
from ..domains.tracing.service import NotFoundError as TracingNotFound
from ..domains.tracing.service import TracingInputError
from ..domains.users.service import UserExists, UserInputError
from ..domains.zones.service import NotFoundError as ZoneNotFound
from ..domains.zones.service import ZoneError, ZoneInputError
from .queries import AccessDenied, ScopeNotFound

NOT_FOUND: tuple[type[Exception], ...] = (
    BoardNotFound,
    CampaignNotFound,
    CityNotFound,
    QuarantineNotFound,
    AlertNotFound,
    TaskNotFound,
    TracingNotFound,
    ZoneNotFound,
    ScopeNotFound,
)
CONFLICT: tuple[type[Exception], ...] = (
    StaleAlert,
    StaleTask,
    StaleDataError,
    AlertTransition,
    TaskTransition,
    CampaignConflict,
    UserExists,
    ZoneError,
)
BAD_INPUT: tuple[type[Exception], ...] = (
    BoardInputError,
    CampaignInputError,
    QuarantineInputError,
    TaskInputError,
    TracingInputError,
    UserInputError,
    ZoneInputError,
)


class ErrorOut(BaseModel):
    """The body of every error answer but 422 (which has FastAPI's validation shape)."""

    detail: str
    error: str | None = None
    field: str | None = None


#: Documented on every operation (the app's default responses).
COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    400: {"model": ErrorOut, "description": "Malformed header (e.g. If-Match)"},
    401: {"model": ErrorOut, "description": "Not logged in, or the token is invalid"},
    403: {"model": ErrorOut, "description": "The role or scope does not allow this"},
    404: {"model": ErrorOut, "description": "Not found (or outside the caller's scope)"},
    409: {"model": ErrorOut, "description": "Conflict: stale version or invalid transition"},
    428: {"model": ErrorOut, "description": "If-Match required"},
}


def _field(exc: Exception) -> str | None:
    field = getattr(exc, "field", None)
    return str(field) if field is not None else None


def _body(exc: Exception, kind: str) -> dict[str, Any]:
    body: dict[str, Any] = {"detail": str(exc) or kind, "error": kind}
    field = _field(exc)
    if field is not None:
        body["field"] = field
    return body


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def not_found(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body(exc, "not_found"), status_code=404)

    async def forbidden(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body(exc, "forbidden"), status_code=403)

    async def conflict(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(_body(exc, "conflict"), status_code=409)

    async def integrity(_: Request, exc: Exception) -> JSONResponse:
        return JSONResponse(
            {"detail": "the change conflicts with stored records", "error": "conflict"},
            status_code=409,
        )

    async def bad_input(_: Request, exc: Exception) -> JSONResponse:
        # the shape of FastAPI's own validation errors, so clients parse one format
        field = _field(exc)
        loc = ["body", field] if field else ["body"]
        detail = [{"loc": loc, "msg": str(exc), "type": "value_error"}]
        return JSONResponse({"detail": detail}, status_code=422)

    for cls in NOT_FOUND:
        app.add_exception_handler(cls, not_found)
    for cls in CONFLICT:
        app.add_exception_handler(cls, conflict)
    for cls in BAD_INPUT:
        app.add_exception_handler(cls, bad_input)
    app.add_exception_handler(AccessDenied, forbidden)
    app.add_exception_handler(IntegrityError, integrity)
