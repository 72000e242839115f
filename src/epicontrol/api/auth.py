"""Password login, access tokens (JWT, HS256) and the role dependencies.

``POST /api/auth/login`` checks the password against the argon2id hash and
returns an access token in JSON and, for the browser, as an HttpOnly
``SameSite=Lax`` cookie.  Every request is resolved to a
:class:`~epicontrol.domains.users.schemas.Viewer`: from the
``Authorization: Bearer`` header or the cookie, else the anonymous public.
The token names the account and its ``token_version``; the account is read
on every request, so a deactivated account or a bumped version (logout
everywhere) stops working at once.  A write authenticated by the cookie must
come from the same origin (the ``Origin`` header, when sent, must match).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import jwt
from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ..domains.users import service as users
from ..domains.users.models import PUBLIC, ROLES, User
from ..domains.users.schemas import UserOut, UtcDateTime, Viewer
from .deps import DbSession, RequestId, api_settings
from .settings import ApiSettings

ALGORITHM = "HS256"
ISSUER = "epicontrol"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class LoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_at: UtcDateTime
    user: UserOut


class MeOut(BaseModel):
    user_id: int | None
    name: str
    role: str
    department: str | None
    community_id: int | None
    facility_id: int | None
    reveals_personal_data: bool


def _unauthorized(message: str) -> HTTPException:
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED, detail=message, headers={"WWW-Authenticate": "Bearer"}
    )


def issue_token(user: User, *, secret: str, minutes: int) -> tuple[str, datetime]:
    """A signed access token for ``user`` and its expiry (naive UTC)."""
    now = datetime.now(UTC)
    expires = now + timedelta(minutes=minutes)
    claims = {
        "iss": ISSUER,
        "sub": str(user.id),
        "name": user.name,
        "role": user.role,
        "ver": user.token_version,
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    token = jwt.encode(claims, secret, algorithm=ALGORITHM)
    return token, expires.replace(tzinfo=None, microsecond=0)


def decode_token(token: str, *, secret: str) -> dict[str, Any]:
    """The claims of a valid token; :class:`jwt.InvalidTokenError` otherwise."""
    claims: dict[str, Any] = jwt.decode(
        token,
        secret,
        algorithms=[ALGORITHM],
        issuer=ISSUER,
        options={"require": ["exp", "iat", "sub", "iss"]},
    )
    return claims


def _token_of(request: Request, cfg: ApiSettings) -> tuple[str | None, bool]:
    """The presented token and whether it came from the cookie."""
    header = request.headers.get("authorization")
    if header:
        scheme, _, value = header.partition(" ")
        if scheme.lower() != "bearer" or not value.strip():
            raise _unauthorized("Authorization: expected 'Bearer <token>'")
        return value.strip(), False
    cookie = request.cookies.get(cfg.cookie_name)
    return (cookie, True) if cookie else (None, False)


def _same_origin(request: Request) -> bool:
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    host = request.headers.get("host", "")
    return origin.split("://", 1)[-1].rstrip("/") == host


def viewer_from_request(request: Request, session: Session) -> Viewer:
    """Resolve the caller: a valid token's account, or the public when none is sent.

    Usable by the web layer too (it passes its own session).
    """
    cfg = api_settings(request)
    token, from_cookie = _token_of(request, cfg)
    if token is None:
        return Viewer.public()
    try:
        claims = decode_token(token, secret=request.app.state.secret)
        user_id = int(claims["sub"])
    except (jwt.InvalidTokenError, ValueError, KeyError):
        if from_cookie:
            return Viewer.public()  # a stale browser cookie: treat as logged out
        raise _unauthorized("token: invalid or expired, log in again") from None
    user = session.get(User, user_id)
    if user is None or not user.active or user.token_version != claims.get("ver"):
        if from_cookie:
            return Viewer.public()
        raise _unauthorized("token: revoked or account inactive, log in again")
    if from_cookie and request.method in UNSAFE_METHODS and not _same_origin(request):
        raise HTTPException(status.HTTP_403_FORBIDDEN, detail="origin: cross-site write refused")
    return users.viewer_of(user)


def optional_viewer(request: Request, session: DbSession) -> Viewer:
    """The caller, or the anonymous public."""
    viewer = viewer_from_request(request, session)
    request.state.viewer = viewer
    return viewer


OptionalViewer = Annotated[Viewer, Depends(optional_viewer, scope="function")]


async def current_user(viewer: OptionalViewer) -> Viewer:
    """The authenticated caller; 401 for the public."""
    if viewer.is_public:
        raise _unauthorized("authentication required: log in at POST /api/auth/login")
    return viewer


CurrentUser = Annotated[Viewer, Depends(current_user, scope="function")]


def require_roles(*roles: str) -> Callable[[Viewer], Awaitable[Viewer]]:
    """A dependency that lets only ``roles`` through (403 for the others, 401 for the public)."""
    unknown = set(roles) - set(ROLES) - {PUBLIC}
    if unknown:
        raise ValueError(f"require_roles: unknown roles {sorted(unknown)}")

    async def dependency(viewer: CurrentUser) -> Viewer:
        if viewer.role not in roles:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN,
                detail=f"role: {viewer.role} may not do this (allowed: {', '.join(roles)})",
            )
        return viewer

    return dependency


def set_auth_cookie(response: Response, token: str, cfg: ApiSettings) -> None:
    """Put the access token in the browser's HttpOnly cookie."""
    response.set_cookie(
        cfg.cookie_name,
        token,
        max_age=cfg.token_minutes * 60,
        httponly=True,
        samesite="lax",
        secure=cfg.cookie_secure,
        path="/",
    )


def clear_auth_cookie(response: Response, cfg: ApiSettings) -> None:
    response.delete_cookie(cfg.cookie_name, path="/", httponly=True, samesite="lax")


def login(
    *, request: Request, session: Session, name: str, password: str, request_id: str = ""
) -> tuple[User, str, datetime]:
    """Check the password; the account, a new token and its expiry.  401 on failure.

    Successful logins are audited (``auth.login``); failures are not written
    (a failed login must not be able to fill the store).
    """
    cfg = api_settings(request)
    user = users.authenticate(session=session, name=name, password=password)
    if user is None:
        raise _unauthorized("name or password is wrong, or the account is inactive")
    token, expires = issue_token(user, secret=request.app.state.secret, minutes=cfg.token_minutes)
    users.record_audit(
        session=session,
        viewer=users.viewer_of(user),
        action="auth.login",
        entity="user",
        entity_id=user.id,
        before=None,
        after=None,
        request_id=request_id or None,
    )
    return user, token, expires


router = APIRouter(prefix="/api/auth", tags=["auth"])


@router.post(
    "/login",
    responses={401: {"description": "Wrong name or password"}},
)
def post_login(
    body: LoginIn, request: Request, response: Response, session: DbSession, rid: RequestId
) -> TokenOut:
    """Log in with name and password: a bearer token, also set as an HttpOnly cookie."""
    user, token, expires = login(
        request=request, session=session, name=body.name, password=body.password, request_id=rid
    )
    set_auth_cookie(response, token, api_settings(request))
    return TokenOut(access_token=token, expires_at=expires, user=users.user_out(user))


@router.post("/logout", status_code=204, responses={204: {"description": "Logged out"}})
def post_logout(request: Request, response: Response) -> Response:
    """Clear the browser cookie (a bearer token simply stops being sent)."""
    clear_auth_cookie(response, api_settings(request))
    response.status_code = 204
    return response


@router.post("/logout-all", status_code=204, responses={401: {"description": "Not logged in"}})
def post_logout_all(
    request: Request, response: Response, viewer: CurrentUser, session: DbSession
) -> Response:
    """Revoke every token of the caller's account (all browsers and scripts)."""
    user = session.get(User, viewer.user_id)
    if user is not None:
        user.token_version += 1
        session.flush()
    clear_auth_cookie(response, api_settings(request))
    response.status_code = 204
    return response


@router.get("/me")
def get_me(viewer: OptionalViewer) -> MeOut:
    """Who the caller is (role ``public`` without a token) and what their role reveals."""
    return MeOut(
        user_id=viewer.user_id,
        name=viewer.name,
        role=viewer.role,
        department=viewer.department,
        community_id=viewer.community_id,
        facility_id=viewer.facility_id,
        reveals_personal_data=viewer.reveals_personal_data,
    )
