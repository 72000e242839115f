"""The standards the board's KPIs are measured against (DESIGN.md §3), and the status rules.

Status of a value against a standard:

* ``at_most`` (latency, hand-over, disposal cycle, occupancy): ``breach`` when
  the value exceeds the target (occupancy: reaches it — "alert at 85 %");
  ``warn`` when it exceeds ``warn`` (by default 80 % of the target: most of
  the allowance used), or when the median meets the target but some items do
  not (the maximum exceeds it, or some are still pending past it); else ``ok``.
* ``at_least`` (on-time rate, coverage, days of supply): ``breach`` below the
  target when the outcome is decided, ``warn`` when it is still in progress
  (a campaign before its deadline) or between ``warn`` and the target; else ``ok``.

The defaults are the plans' (cited per field); the warn levels and the 100 %
on-time target are this board's choices (the plans set deadlines, each of
which must be met), all configurable.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from .schemas import Direction, StandardOut, Status

#: Share of an ``at_most`` target where the value starts to warn.
WARN_SHARE = 0.8


class BoardStandards(BaseModel):
    """Targets of the board's KPIs; every value configurable."""

    #: Early-warning release after data arrives: ≤ 1 h (Fuzhou; today 4.2 h).
    alert_latency_hours: float = Field(1.0, gt=0)
    #: Information hand-over between departments: ≤ 1 h (Fuzhou; today 2.5 h).
    handover_hours: float = Field(1.0, gt=0)
    #: Share of decided tasks done by their deadline: every deadline is a requirement.
    on_time_rate: float = Field(1.0, gt=0, le=1)
    on_time_warn: float = Field(0.9, gt=0, le=1)
    #: Case report → every task of its playbook done: the playbook's last step, 24 h
    #: (Shenzhen 1+4+6+24: key population screened and report written in 24 h).
    disposal_hours: float = Field(24.0, gt=0)
    #: Mass testing of a delimited area: coverage ≥ 98 % (plans 001, 002).
    coverage: float = Field(0.98, gt=0, le=1)
    #: Hospital and ICU beds: alert at 85 % occupancy (plan 001, Fuzhou).
    hospital_occupancy: float = Field(0.85, gt=0, le=1)
    #: Quarantine rooms: the same 85 % alert share as hospital beds (the plans give
    #: provision per 10 000 residents, not an occupancy alert).
    quarantine_occupancy: float = Field(0.85, gt=0, le=1)
    #: Share of an at-most target where a value starts to warn.
    warn_share: float = Field(WARN_SHARE, gt=0, lt=1)

    def standard(
        self, target: float, direction: Direction, unit: str, source: str, warn: float | None
    ) -> StandardOut:
        return StandardOut(target=target, direction=direction, warn=warn, unit=unit, source=source)


def at_most(value: float, target: float, warn: float, *, inclusive: bool = False) -> Status:
    """``breach`` above ``target`` (at or above it with ``inclusive``), ``warn`` above ``warn``."""
    if value > target or (inclusive and value >= target):
        return "breach"
    if value > warn:
        return "warn"
    return "ok"


def at_least(value: float, target: float, warn: float | None, *, decided: bool = True) -> Status:
    """``breach`` below ``target`` when decided (below ``warn`` when one is given), else
    ``warn``; ``ok`` at or above the target."""
    if value >= target:
        return "ok"
    if not decided:
        return "warn"
    if warn is not None and value >= warn:
        return "warn"
    return "breach"


def worst(statuses: list[Status]) -> Status:
    """The worst of the statuses with data (``no_data`` when none has data)."""
    order: dict[Status, int] = {"ok": 0, "warn": 1, "breach": 2}
    known = [s for s in statuses if s != "no_data"]
    return max(known, key=lambda s: order[s]) if known else "no_data"
