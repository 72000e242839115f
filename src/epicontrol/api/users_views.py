"""``/api/users``: the accounts (commanders list and add them; everyone sees themself)."""

from __future__ import annotations

from fastapi import APIRouter, status

from ..domains.users import service as users
from ..domains.users.schemas import UserIn, UserOut
from .audit import Commander
from .deps import DbSession, PageDep, RequestId
from .pagination import Paged

router = APIRouter(prefix="/api/users", tags=["users"])


@router.get("")
def list_users(session: DbSession, _viewer: Commander, page: PageDep) -> Paged[UserOut]:
    """Every account (commanders only)."""
    rows = users.list_users(session=session)
    items = [users.user_out(u) for u in rows[page.offset : page.offset + page.limit]]
    return Paged[UserOut](items=items, total=len(rows), limit=page.limit, offset=page.offset)


@router.post("", status_code=status.HTTP_201_CREATED)
def add_user(body: UserIn, session: DbSession, viewer: Commander, rid: RequestId) -> UserOut:
    """Add an account (commanders only; audited as ``user.add``)."""
    user = users.create_user(session=session, data=body, actor=viewer)
    return users.user_out(user)
