"""Request-scoped dependencies: the transaction, the request id, the page parameters.

A request owns its transaction: :func:`get_db` opens a session, the view
calls services (which flush), and the session commits when the view returns
— before the response is sent, so an acknowledged write is durable — or
rolls back when the view raises.  The dependencies that do no I/O are
``async`` so that they run on the event loop, not in a thread of the pool.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Annotated

import anyio
from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from .settings import ApiSettings


def _commit_close(session: Session) -> None:
    try:
        session.commit()
    finally:
        session.close()


def _rollback_close(session: Session) -> None:
    try:
        session.rollback()
    finally:
        session.close()


#: Requests that only read: on PostgreSQL their session runs in autocommit.
SAFE_METHODS = frozenset({"GET", "HEAD"})


async def get_db(request: Request) -> AsyncIterator[Session]:
    """One session and transaction per request: commit on success, rollback on error
    (a GET or HEAD on PostgreSQL reads in autocommit: no BEGIN/COMMIT round trips).

    Making the session does no I/O (it connects on its first query, in the view's
    thread), so it is made on the event loop; the commit or rollback runs in the
    thread pool, shielded from cancellation so the connection always goes back.
    """
    factory = request.app.state.sessionmaker
    if request.method in SAFE_METHODS:
        factory = getattr(request.app.state, "read_sessionmaker", None) or factory
    session: Session = factory()
    try:
        yield session
    except BaseException:
        with anyio.CancelScope(shield=True):
            await run_in_threadpool(_rollback_close, session)
        raise
    with anyio.CancelScope(shield=True):
        await run_in_threadpool(_commit_close, session)


DbSession = Annotated[Session, Depends(get_db, scope="function")]


async def request_id(request: Request) -> str:
    """The id of this request (``X-Request-ID`` from the client, or generated)."""
    return str(getattr(request.state, "request_id", ""))


RequestId = Annotated[str, Depends(request_id)]


def api_settings(request: Request) -> ApiSettings:
    value: ApiSettings = request.app.state.api_settings
    return value


@dataclass(frozen=True)
class Page:
    """``limit``/``offset`` of a list request (the response carries ``total``)."""

    limit: int
    offset: int


async def page_params(
    request: Request,
    limit: Annotated[int | None, Query(ge=1, le=10_000, description="Rows per page.")] = None,
    offset: Annotated[int, Query(ge=0, le=10_000_000, description="Rows to skip.")] = 0,
) -> Page:
    cfg = api_settings(request)
    chosen = cfg.default_page if limit is None else min(limit, cfg.max_page)
    return Page(limit=chosen, offset=offset)


PageDep = Annotated[Page, Depends(page_params)]


#: Largest id a request may name (the stores' 32-bit integer keys).
MAX_ID = 2_147_483_647
PathId = Annotated[int, Path(ge=0, le=MAX_ID, description="Record id.")]
