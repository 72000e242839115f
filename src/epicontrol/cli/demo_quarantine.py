"""The quarantine part of ``epicontrol demo``: the traced cases' close contacts to sites."""

from __future__ import annotations

from datetime import UTC, datetime

from pydantic import BaseModel
from rich.table import Table
from sqlalchemy.orm import Session

from ..config import Settings
from ..domains.quarantine import service
from ..domains.quarantine.schemas import (
    AssignOut,
    QuarantineOptions,
    SiteOccupancy,
    TransfersOut,
)
from ..i18n import t
from .common import open_store, out
from .quarantine import _local


class QuarantineDemo(BaseModel):
    """The assignment, the transfer batches, and the sites' rooms after it."""

    assignment: AssignOut
    transfers: TransfersOut | None
    sites: list[SiteOccupancy]


def quarantine_demo(
    settings: Settings, *, case_ids: list[int] | None = None, now: datetime | None = None
) -> QuarantineDemo:
    """Assign the close contacts of the traced cases (read from the store), in one transaction."""
    engine = open_store(settings)
    when = now or datetime.now(UTC).replace(tzinfo=None)
    with Session(engine) as session, session.begin():
        assignment, plan = service.assign_contacts(
            session=session, now=when, case_ids=case_ids, options=QuarantineOptions()
        )
        sites = service.site_occupancy(session=session)
    return QuarantineDemo(assignment=assignment, transfers=plan, sites=sites)


def render_quarantine(result: QuarantineDemo, lang: str) -> None:
    """Sites used with rooms left, the solver's figures, and the transfer batches."""
    a = result.assignment
    out.print(f"[bold]{t('quarantine.demo.title', lang)}[/]")
    out.print(
        t(
            "quarantine.summary", lang, assigned=a.assigned, persons=a.persons,
            max=a.max_assignable, cost=a.total_cost, bound=a.bound, gap=a.gap,
            status=a.status, seconds=a.seconds,
        )
    )  # fmt: skip
    used: dict[int, int] = {}
    for p in a.placements:
        used[p.site_id] = used.get(p.site_id, 0) + 1
    out.print(
        t(
            "quarantine.demo.sites_used", lang, used=len(used), sites=len(result.sites),
            left=sum(s.left for s in result.sites),
        )
    )  # fmt: skip
    table = Table(title=t("quarantine.sites.title", lang))
    for key in ("site", "persons", "rooms", "occupied", "left", "accessible_left"):
        table.add_column(t(f"quarantine.col.{key}", lang), justify="right")
    for s in result.sites:
        if s.site_id in used:
            table.add_row(
                f"{s.site_id} {s.name}", str(used[s.site_id]), str(s.rooms), str(s.occupied),
                str(s.left), str(s.accessible_left),
            )  # fmt: skip
    out.print(table)
    if a.unassigned:
        reasons: dict[str, int] = {}
        for u in a.unassigned:
            reasons[u.reason] = reasons.get(u.reason, 0) + 1
        out.print(
            t("quarantine.unassigned.title", lang)
            + ": "
            + "; ".join(f"{t('quarantine.reason.' + k, lang)} {n}" for k, n in reasons.items())
        )
    plan = result.transfers
    if plan is None:
        return
    out.print(
        t(
            "quarantine.transfers.summary", lang, persons=plan.persons,
            batches=len(plan.batches), vehicles=plan.vehicles, late=len(plan.late),
        )
    )  # fmt: skip
    bt = Table(title=t("quarantine.transfers.title", lang))
    for key in ("site", "vehicle", "persons", "depart", "arrive", "deadline", "on_time"):
        bt.add_column(t(f"quarantine.col.{key}", lang))
    off = plan.utc_offset_minutes
    for b in plan.batches[:15]:
        bt.add_row(
            str(b.site_id), f"{b.vehicle}/{b.trip}", str(b.persons),
            _local(b.depart_at, off), _local(b.arrive_at, off), _local(b.deadline_at, off),
            "✓" if b.on_time else "✗",
        )  # fmt: skip
    out.print(bt)
