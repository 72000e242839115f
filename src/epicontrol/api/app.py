"""The app factory: ``create_app(settings)`` builds the command centre's FastAPI app.

The API lives under ``/api``; the web layer (``epicontrol.web.mount``), when
installed, adds the server-rendered pages on ``/`` and static files on
``/static``.  The store is not migrated here: ``epicontrol serve`` migrates
before starting the workers.

Per process, the app keeps: the connection pool (``max_in_flight`` + 2
connections, see :class:`~.settings.ApiSettings`), at most ``max_in_flight``
requests at work (:class:`AdmissionMiddleware`), the city board cache
(:class:`~epicontrol.domains.board.cache.BoardCache`, ``app.state.board_cache``)
and the city's time zone and epoch (:class:`~.cityfacts.CityFactsCache`,
``app.state.city_facts``).
"""

from __future__ import annotations

import asyncio
import uuid
import weakref
from typing import Any

from fastapi import FastAPI
from sqlalchemy import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..config import Settings
from ..domains.board.cache import BoardCache
from ..store.engine import is_sqlite, make_engine, make_sessionmaker
from . import errors
from .auth import router as auth_router
from .cityfacts import CityFactsCache
from .nul import RejectNulMiddleware
from .settings import ApiSettings, signing_secret

API_VERSION = "1"


class RequestIdMiddleware:
    """Give every request an id (``X-Request-ID`` in, or a new one) and echo it back."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = None
        for key, value in scope.get("headers", []):
            if key == b"x-request-id":
                given = value.decode("latin-1")[:64]
                break
        rid = given if given and given.isprintable() else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = rid

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", rid.encode("latin-1")))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_id)


class AdmissionMiddleware:
    """Let at most ``limit`` requests at a time into the app; the others wait on the
    event loop, holding no thread and no database connection.

    Each admitted request holds at most one pooled connection (its session), so
    with a pool of at least ``limit`` connections no request ever waits for a
    connection while holding another one, and the work of a busy process is
    queued in arrival order instead of time-sliced across dozens of threads.
    Static files are not counted.
    """

    def __init__(self, app: ASGIApp, limit: int) -> None:
        if limit < 1:
            raise ValueError(f"limit: must be at least 1, got {limit}")
        self.app = app
        self.limit = limit
        self._semaphores: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, asyncio.Semaphore]
        self._semaphores = weakref.WeakKeyDictionary()

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()  # one per event loop (tests run several)
        sem = self._semaphores.get(loop)
        if sem is None:
            sem = self._semaphores[loop] = asyncio.Semaphore(self.limit)
        return sem

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/static/"):
            await self.app(scope, receive, send)
            return
        async with self._semaphore():
            await self.app(scope, receive, send)


def _engine_for(settings: Settings, api: ApiSettings) -> Engine:
    url = settings.resolved_database_url()
    kwargs: dict[str, Any] = {}
    if not url.startswith("sqlite"):
        kwargs = {"pool_size": api.pool_size(), "max_overflow": api.max_overflow()}
    return make_engine(url, **kwargs)


def create_app(
    settings: Settings,
    *,
    engine: Engine | None = None,
    api_settings: ApiSettings | None = None,
) -> FastAPI:
    """The command centre's app over ``settings``' store (or the ``engine`` given)."""
    api = api_settings if api_settings is not None else ApiSettings()
    app = FastAPI(
        title="epicontrol command centre API",
        version=API_VERSION,
        description=(
            "REST API of the epidemic joint prevention and control command centre. "
            "Log in at POST /api/auth/login; send the token as `Authorization: Bearer`. "
            "Writes take `If-Match` with the ETag of the record and answer 409 on conflict."
        ),
        openapi_url="/api/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        responses=errors.COMMON_RESPONSES,
    )
    store = engine if engine is not None else _engine_for(settings, api)
    app.state.settings = settings
    app.state.api_settings = api
    app.state.engine = store
    app.state.sessionmaker = make_sessionmaker(store)
    # reads (GET, HEAD) on PostgreSQL run without BEGIN/COMMIT: under READ COMMITTED
    # each statement sees its own snapshot either way, and two round trips are saved
    app.state.read_sessionmaker = (
        None
        if is_sqlite(store)
        else make_sessionmaker(store.execution_options(isolation_level="AUTOCOMMIT"))
    )
    app.state.secret = signing_secret(settings, api)
    app.state.sqlite = is_sqlite(store)
    app.state.city_facts = CityFactsCache(api.city_ttl_seconds)
    app.state.board_cache = BoardCache(
        app.state.read_sessionmaker or app.state.sessionmaker,
        ttl_seconds=api.board_ttl_seconds,
        lake_dir=settings.lake_dir,
    )
    app.add_middleware(AdmissionMiddleware, limit=api.max_in_flight)
    app.add_middleware(RequestIdMiddleware)
    app.add_middleware(RejectNulMiddleware)
    errors.install(app)
    app.include_router(auth_router)
    from .routes import include_routers

    include_routers(app)

    try:
        from ..web import mount  # type: ignore[attr-defined,unused-ignore]
    except ImportError:
        pass
    else:
        mount(app, settings)
    return app
