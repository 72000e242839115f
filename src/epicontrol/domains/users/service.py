"""Accounts (argon2id hashes, roles and scopes) and the append-only audit log.

Services flush, never commit: the CLI command or the request owns the
transaction.  Bad input raises :class:`UserInputError` naming the field.
"""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.operations.playbook import DEPARTMENTS
from ..city.models import Area, Facility
from .models import ROLES, AuditEntry, User
from .schemas import UserIn, UserOut, Viewer

_HASHER = PasswordHasher()
#: A valid hash of a random password: verified against when the name is unknown,
#: so that a login takes as long for an unknown name as for a wrong password.
_DUMMY_HASH = _HASHER.hash("epicontrol-dummy-password-not-used")


class UserInputError(ValueError):
    """Bad input: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class UserExists(UserInputError):
    """The login name is taken."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (salted; parameters of argon2-cffi's defaults)."""
    return _HASHER.hash(password)


def _check_scope(session: Session, data: UserIn) -> None:
    if data.role not in ROLES:
        raise UserInputError("role", f"must be one of {', '.join(ROLES)}, got {data.role!r}")
    scoped = {
        "department": data.department is not None,
        "community_id": data.community_id is not None,
        "facility_id": data.facility_id is not None,
    }
    wanted = {
        "department_officer": "department",
        "grid_worker": "community_id",
        "facility_manager": "facility_id",
    }.get(data.role)
    for field, given in scoped.items():
        if field == wanted and not given:
            raise UserInputError(field, f"a {data.role} must be given their {field}")
        if field != wanted and given:
            raise UserInputError(field, f"only applies to another role, not to {data.role}")
    if data.department is not None and data.department not in DEPARTMENTS:
        raise UserInputError(
            "department", f"must be one of {', '.join(DEPARTMENTS)}, got {data.department!r}"
        )
    if data.community_id is not None:
        area = session.get(Area, data.community_id)
        if area is None or area.level != "community":
            raise UserInputError(
                "community_id", f"no community with id {data.community_id} in the store"
            )
    if data.facility_id is not None and session.get(Facility, data.facility_id) is None:
        raise UserInputError("facility_id", f"no facility with id {data.facility_id}")


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        name=user.name,
        display_name=user.display_name,
        role=user.role,
        department=user.department,
        community_id=user.community_id,
        facility_id=user.facility_id,
        active=user.active,
        created_at=user.created_at,
    )


def create_user(
    *, session: Session, data: UserIn, actor: Viewer | None = None, at: datetime | None = None
) -> User:
    """Add an account (audited).  Raises :class:`UserExists` when the name is taken."""
    _check_scope(session, data)
    if session.scalars(select(User).where(User.name == data.name)).first() is not None:
        raise UserExists("name", f"an account named {data.name!r} exists already")
    now = at or utcnow()
    user = User(
        name=data.name,
        display_name=data.display_name,
        password_hash=hash_password(data.password),
        role=data.role,
        department=data.department,
        community_id=data.community_id,
        facility_id=data.facility_id,
        active=True,
        token_version=0,
        created_at=now,
        updated_at=now,
    )
    session.add(user)
    session.flush()
    record_audit(
        session=session,
        viewer=actor or Viewer(user_id=None, name="system", role="system"),
        action="user.add",
        entity="user",
        entity_id=user.id,
        before=None,
        after=user_out(user).model_dump(mode="json"),
        at=now,
    )
    return user


def authenticate(*, session: Session, name: str, password: str) -> User | None:
    """The active account ``name`` if ``password`` matches its hash, else ``None``.

    An outdated hash (argon2 parameters changed) is re-hashed on success.
    """
    user = session.scalars(select(User).where(User.name == name)).first()
    if user is None:
        with contextlib.suppress(VerificationError):
            _HASHER.verify(_DUMMY_HASH, password)
        return None
    try:
        _HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if not user.active:
        return None
    if _HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.flush()
    return user


def set_active(*, session: Session, user_id: int, active: bool, actor: Viewer) -> User:
    """(De)activate an account; deactivation revokes its tokens.  Audited."""
    user = session.get(User, user_id)
    if user is None:
        raise UserInputError("user_id", f"no account with id {user_id}")
    before = user_out(user).model_dump(mode="json")
    user.active = active
    user.token_version += 1
    user.updated_at = utcnow()
    session.flush()
    record_audit(
        session=session,
        viewer=actor,
        action="user.activate" if active else "user.deactivate",
        entity="user",
        entity_id=user.id,
        before=before,
        after=user_out(user).model_dump(mode="json"),
    )
    return user


def list_users(*, session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.id)).all())


def viewer_of(user: User) -> Viewer:
    """The scope object of an account."""
    return Viewer(
        user_id=user.id,
        name=user.name,
        role=user.role,
        department=user.department,
        community_id=user.community_id,
        facility_id=user.facility_id,
    )


def record_audit(
    *,
    session: Session,
    viewer: Viewer,
    action: str,
    entity: str,
    entity_id: object,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    request_id: str | None = None,
    at: datetime | None = None,
) -> AuditEntry:
    """Append one audit row in the caller's transaction (there is no update or delete)."""
    entry = AuditEntry(
        at=at or utcnow(),
        user_id=viewer.user_id,
        actor=viewer.name,
        role=viewer.role,
        action=action,
        entity=entity,
        entity_id=None if entity_id is None else str(entity_id),
        before=before,
        after=after,
        request_id=request_id,
    )
    session.add(entry)
    session.flush()
    return entry


def list_audit(
    *,
    session: Session,
    limit: int,
    offset: int,
    entity: str | None = None,
    entity_id: str | None = None,
    actor: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> tuple[int, Sequence[AuditEntry]]:
    """Audit rows, newest first, with the total matching count."""
    where: list[Any] = []
    if entity is not None:
        where.append(AuditEntry.entity == entity)
    if entity_id is not None:
        where.append(AuditEntry.entity_id == entity_id)
    if actor is not None:
        where.append(AuditEntry.actor == actor)
    if since is not None:
        where.append(AuditEntry.at >= since)
    if until is not None:
        where.append(AuditEntry.at < until)
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*where)) or 0
    rows = session.scalars(
        select(AuditEntry).where(*where).order_by(AuditEntry.id.desc()).limit(limit).offset(offset)
    ).all()
    return int(total), rows
