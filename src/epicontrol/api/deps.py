"""Request-scoped dependencies: the transaction, the request id, the page parameters.

A request owns its transaction: :func:`get_db` opens a session, the view
calls services (which flush), and the session commits when the view returns
— before the response is sent, so an acknowledged write is durable — or
rolls back when the view raises.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Path, Query, Request
from sqlalchemy.orm import Session

from .settings import ApiSettings


def get_db(request: Request) -> Iterator[Session]:
    """One session and transaction per request: commit on success, rollback on error."""
    factory = request.app.state.sessionmaker
    session: Session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


DbSession = Annotated[Session, Depends(get_db, scope="function")]


def request_id(request: Request) -> str:
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


def page_params(
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
