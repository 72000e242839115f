"""The testing part of ``epicontrol demo``: a mass-testing plan for the demo's zones.

The scope is the active zones when the zones domain has drawn any, else the
home communities of the demo's cases (the output says which).  The plan is
saved as round 1 in its own transaction and printed with its finish time,
sites, pools and labs.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.city.schemas import LEVEL
from ..domains.campaigns import service
from ..domains.campaigns.schemas import PlanOut
from ..domains.city.models import Area, Person
from ..domains.tracing.models import Case
from ..domains.zones.queries import active_zones
from ..i18n import t
from .common import open_store, out
from .testing import render_plan


class TestingDemo(BaseModel):
    """The demo's campaign: what it covers and its plan."""

    scope: str
    zone_ids: list[int]
    area_ids: list[int]
    plan: PlanOut


def _home_communities(session: Session) -> list[int]:
    buildings = session.scalars(
        select(Person.building_id).join(Case, Case.person_id == Person.id).order_by(Case.id)
    ).all()
    parents = dict(session.execute(select(Area.id, Area.parent_id)).all())
    levels = dict(session.execute(select(Area.id, Area.level)).all())
    found: list[int] = []
    for b in buildings:
        node: int | None = b
        while node is not None and LEVEL[levels[node]] > LEVEL["community"]:
            node = parents[node]
        if node is not None and node not in found:
            found.append(node)
    return found


def testing_demo(settings: Settings, *, start: datetime | None = None) -> TestingDemo:
    """Plan and save a campaign for the active zones (or the cases' home communities)."""
    engine = open_store(settings)
    with Session(engine) as session:
        zone_ids = [z.id for z in active_zones(session=session)]
    with Session(engine) as session, session.begin():
        areas = [] if zone_ids else _home_communities(session)
        when = start or (
            datetime.now(UTC).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
        )
        planned = service.plan(
            session=session, zone_ids=zone_ids or None, area_ids=areas or None, start=when
        )
        saved = service.save_plan(session=session, planned=planned)
    return TestingDemo(
        scope="zones" if zone_ids else "communities",
        zone_ids=zone_ids,
        area_ids=saved.areas,
        plan=saved,
    )


def render_testing(result: TestingDemo, lang: str) -> None:
    """The scope, then the plan (finish time, sites, pools, labs)."""
    out.print(f"[bold]{t('campaigns.demo.title', lang)}[/]")
    n = len(result.zone_ids) if result.scope == "zones" else len(result.area_ids)
    out.print(t(f"campaigns.demo.scope.{result.scope}", lang, n=n))
    render_plan(result.plan, lang, shown=12)
    if result.plan.campaign_id is not None:
        out.print(
            t(
                "campaigns.plan.saved",
                lang,
                campaign=result.plan.campaign_id,
                round=result.plan.round,
                next=(result.plan.next_round or result.plan.start).strftime("%Y-%m-%d %H:%M"),
            )
        )
