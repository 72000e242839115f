"""ORM models of the command centre's users and of the append-only audit log.

A user has one role (:data:`ROLES`) and, for the scoped roles, the scope the
role is limited to: a department officer's ``department``, a grid worker's
``community_id`` (an area of level ``community``), a facility manager's
``facility_id``.  Passwords are stored as argon2id hashes only.
``token_version`` revokes every token issued before it was bumped (password
change, deactivation).

``audit_log`` is append-only: every write through the API adds one row (who,
when, what, before → after as JSON, the request id).  The migration adds
triggers on SQLite and PostgreSQL that refuse ``UPDATE`` and ``DELETE``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Final

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from ...core.operations.playbook import DEPARTMENTS
from ...store.base import Base

#: Roles of an account (DESIGN.md §1); the anonymous public has no account.
ROLES: Final = (
    "commander",
    "epidemiologist",
    "department_officer",
    "grid_worker",
    "facility_manager",
)
#: The role of a request without a valid token.
PUBLIC: Final = "public"


def _in(column: str, values: tuple[str, ...]) -> str:
    quoted = ", ".join(f"'{v}'" for v in values)
    return f"{column} IN ({quoted})"


class User(Base):
    """An account: a unique login name, an argon2 hash, a role and its scope."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(24))
    department: Mapped[str | None] = mapped_column(String(16))
    community_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    facility_id: Mapped[int | None] = mapped_column(ForeignKey("facilities.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_version: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=False))

    __table_args__ = (
        CheckConstraint(_in("role", ROLES), name="role"),
        CheckConstraint(
            "department IS NULL OR " + _in("department", DEPARTMENTS), name="department"
        ),
        CheckConstraint(
            "(role = 'department_officer') = (department IS NOT NULL)", name="department_scope"
        ),
        CheckConstraint(
            "(role = 'grid_worker') = (community_id IS NOT NULL)", name="community_scope"
        ),
        CheckConstraint(
            "(role = 'facility_manager') = (facility_id IS NOT NULL)", name="facility_scope"
        ),
        CheckConstraint("token_version >= 0", name="token_version"),
        Index("ix_users_role", "role"),
    )


class AuditEntry(Base):
    """One audited write (append-only): who, when, what, on which record, before → after."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=False))
    #: The account that acted (null for the system, e.g. a CLI bootstrap).
    user_id: Mapped[int | None] = mapped_column(Integer)
    actor: Mapped[str] = mapped_column(String(64))
    role: Mapped[str] = mapped_column(String(24))
    #: ``alert.acknowledge``, ``task.complete``, ``zone.evaluate``, ``user.add``...
    action: Mapped[str] = mapped_column(String(48))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str | None] = mapped_column(String(64))
    before: Mapped[Any] = mapped_column(JSON, nullable=True)
    after: Mapped[Any] = mapped_column(JSON, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(64))

    __table_args__ = (
        Index("ix_audit_log_at", "at"),
        Index("ix_audit_log_entity", "entity", "entity_id"),
        Index("ix_audit_log_user_id", "user_id"),
    )
