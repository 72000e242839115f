"""Who is asking (:class:`Viewer`, the scope passed down to every query) and user I/O."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

from .models import PUBLIC


def _utc_iso(value: datetime) -> str:
    if value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    return value.isoformat() + "Z"


#: A store time (naive UTC) sent as RFC 3339 with ``Z``.
UtcDateTime = Annotated[datetime, PlainSerializer(_utc_iso, when_used="json")]

#: Roles that see phones and ID numbers whole: the commander (signs off
#: measures, calls people) and the epidemiologist (tracing needs to reach
#: contacts).  Every other role sees them masked (:mod:`epicontrol.privacy`).
REVEAL_ROLES: Final = ("commander", "epidemiologist")
#: Roles that see the whole city (no scope).
CITY_ROLES: Final = ("commander", "epidemiologist")


@dataclass(frozen=True)
class Viewer:
    """The authenticated caller (or the anonymous public) and the scope of their role.

    A grid worker is limited to ``community_id``, a department officer to
    ``department``, a facility manager to ``facility_id``; commanders and
    epidemiologists see the whole city; ``public`` sees only public data.
    """

    user_id: int | None
    name: str
    role: str
    department: str | None = None
    community_id: int | None = None
    facility_id: int | None = None

    @classmethod
    def public(cls) -> Viewer:
        return cls(user_id=None, name="public", role=PUBLIC)

    @property
    def is_public(self) -> bool:
        return self.role == PUBLIC

    @property
    def reveals_personal_data(self) -> bool:
        """Whether phones and ID numbers are shown whole to this viewer."""
        return self.role in REVEAL_ROLES

    @property
    def whole_city(self) -> bool:
        return self.role in CITY_ROLES

    def as_dict(self) -> dict[str, Any]:
        return {
            "user_id": self.user_id,
            "name": self.name,
            "role": self.role,
            "department": self.department,
            "community_id": self.community_id,
            "facility_id": self.facility_id,
        }


Department = Literal[
    "health", "police", "transport", "education", "commerce", "civil_affairs", "community"
]


class UserIn(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.@\-]+$")
    password: str = Field(min_length=8, max_length=256)
    role: Literal[
        "commander", "epidemiologist", "department_officer", "grid_worker", "facility_manager"
    ]
    display_name: str | None = Field(None, max_length=100)
    department: Department | None = None
    community_id: int | None = Field(None, ge=0, le=2_147_483_647)
    facility_id: int | None = Field(None, ge=0, le=2_147_483_647)


class UserOut(BaseModel):
    id: int
    name: str
    display_name: str | None
    role: str
    department: str | None
    community_id: int | None
    facility_id: int | None
    active: bool
    created_at: UtcDateTime
