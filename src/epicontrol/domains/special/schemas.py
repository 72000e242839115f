"""Settings, the viewer and pydantic views of the special-population ledger.

Datetimes are aware, in the city's local time; phones are masked.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from pydantic import BaseModel, Field

#: Roles that may read the ledger; a grid worker only their own community's.
ROLES: Final = ("commander", "officer", "grid_worker")
Kind = Literal["medicine", "medical_transport", "food", "consultation", "other"]


class SpecialSettings(BaseModel):
    """Clocks of service requests (DESIGN.md §3, plan 001; all configurable).

    Response within 2 h for red and yellow persons; green persons (others
    needing help) within 24 h (the plans set no figure for them: a working
    day).  An online consultation is answered within 30 minutes whatever the
    tier.  Supplies to the door (food, medicine) are done within 24 h.  An
    overdue clock escalates to level 1 (the community head) at its due time,
    level 2 (the street) one allowance later, level 3 (the district command)
    two allowances later.
    """

    response_minutes: dict[str, int] = Field(
        default_factory=lambda: {"red": 120, "yellow": 120, "green": 1440}
    )
    consultation_minutes: int = Field(30, gt=0)
    completion_minutes: dict[str, int] = Field(
        default_factory=lambda: {"food": 1440, "medicine": 1440}
    )
    recipients: tuple[str, ...] = ("community", "street", "district")


@dataclass(frozen=True)
class Viewer:
    """Who is asking: role (:data:`ROLES`), name (for the audit) and, for a grid worker,
    the community whose ledger they see."""

    role: str
    name: str
    community_id: int | None = None


class HelperOut(BaseModel):
    id: int
    name: str
    phone: str | None
    community_id: int
    active: bool


class LedgerEntry(BaseModel):
    person_id: int
    person_code: str
    age: int
    sex: str
    tier: str
    flags: list[str]
    needs: list[str]
    community_id: int
    community_name: str
    phone: str | None
    helper: HelperOut | None
    open_requests: int


class ClockOut(BaseModel):
    """A request's clocks at ``now``."""

    state: Literal["running", "overdue", "on_time", "late"]
    minutes_left: int | None
    overdue_minutes: int | None
    response_minutes: int | None
    completion_state: Literal["running", "overdue", "on_time", "late", "none"]


class RequestOut(BaseModel):
    id: int
    person_id: int
    kind: str
    tier: str
    community_id: int
    status: Literal["open", "responded", "done"]
    note: str
    opened_at: datetime
    opened_by: str
    due_at: datetime
    done_due_at: datetime | None
    responded_at: datetime | None
    responded_by: str | None
    done_at: datetime | None
    done_by: str | None
    escalation_level: int
    clock: ClockOut
    helper: HelperOut | None = None


class EscalationOut(BaseModel):
    request_id: int
    clock: Literal["response", "completion"]
    level: int
    recipient: str
    at: datetime
    overdue_minutes: int
    community_id: int
    tier: str


class KpiGroup(BaseModel):
    """Response-time KPIs of a group of requests."""

    key: str
    requests: int
    responded: int
    open_overdue: int
    median_minutes: float | None
    p90_minutes: float | None
    on_time_rate: float | None


class KpiOut(BaseModel):
    now: datetime
    overall: KpiGroup
    by_tier: list[KpiGroup]
    by_community: list[KpiGroup]


class SyncOut(BaseModel):
    enrolled: int
    updated: int
    ledger: int
