"""The supply and special-population part of ``epicontrol demo``.

For the demo outbreak: the day's distribution plan to the households of the
lockdown and control zones (the zones domain's active zones; when the demo
drew none, the cases' home compounds as lockdown and their communities as
control areas), and a few deterministic service requests of red and yellow
ledger persons in those communities — opened at 08:00 of the plan's day,
answered at drill times (most within the 2-hour clock, one late, one still
open), escalated and measured three hours later.  Re-running it changes
nothing (the requests carry idempotency keys).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..core.city.schemas import LEVEL
from ..domains.city.models import Person
from ..domains.special import requests as rq
from ..domains.special import service as special
from ..domains.special.models import SpecialPerson
from ..domains.special.schemas import EscalationOut, KpiOut, RequestOut, Viewer
from ..domains.supply import service as supply
from ..domains.supply.schemas import PlanOut, SupplySettings
from ..domains.tracing.context import Clock
from ..domains.tracing.models import Case
from ..domains.zones.queries import active_zones
from ..domains.zones.service import load_city
from ..i18n import t
from .common import open_store, out
from .resources_distribute import render_plan
from .special import kpi_table, requests_table

DEMO = Viewer("commander", "demo")
KINDS = ("medicine", "medical_transport", "food", "consultation", "other")
#: Minutes after opening each demo request is responded to (None: left open).
RESPONSES = (35, 80, 150, None, 20, 55)


class SpecialDemo(BaseModel):
    """What the demo did: the plan, the requests with their clocks, escalations, KPIs."""

    day: date
    plan: PlanOut | None
    note: str
    communities: list[int]
    ledger: int
    red: int
    yellow: int
    requests: list[RequestOut]
    escalations: list[EscalationOut]
    kpis: KpiOut | None


def special_demo(settings: Settings, *, requests: int = 6, time_limit: float = 10.0) -> SpecialDemo:
    """Plan the outbreak day's deliveries and drill a few special-population requests."""
    engine = open_store(settings)
    try:
        with Session(engine) as session, session.begin():
            return _demo(session, requests=requests, time_limit=time_limit)
    finally:
        engine.dispose()


def _demo(session: Session, *, requests: int, time_limit: float) -> SpecialDemo:
    city = load_city(session)
    clock: Clock = city.clock
    cases = session.execute(
        select(Case.reported_at, Person.building_id)
        .join(Person, Person.id == Case.person_id)
        .order_by(Case.id)
    ).all()
    zones = [z for z in active_zones(session=session, city=city) if z.level != "prevention"]
    lockdown: list[int] | None = None
    control: list[int] | None = None
    if zones:
        day = max(z.level_day for z in zones)
        note = "zones"
        units = [z.area_id for z in zones]
        communities = sorted(
            {int(c) for c in city.graph.ancestor(_ids(units), LEVEL["community"]) if c >= 0}
        )
    elif cases:
        day = max(clock.from_store(r[0]).date() for r in cases)
        buildings = _ids([r[1] for r in cases])
        lockdown = sorted({int(c) for c in city.graph.ancestor(buildings, LEVEL["compound"])})
        communities = sorted(
            {int(c) for c in city.graph.ancestor(buildings, LEVEL["community"]) if c >= 0}
        )
        control = communities
        note = "case_areas"
    else:
        day = datetime.now(clock.tz).date()
        return SpecialDemo(
            day=day, plan=None, note="no cases and no zones", communities=[], ledger=0, red=0,
            yellow=0, requests=[], escalations=[], kpis=None,
        )  # fmt: skip
    plan = supply.plan_day(
        session=session, settings=SupplySettings(time_limit=time_limit), day=day,
        lockdown_areas=lockdown, control_areas=control,
    )  # fmt: skip
    special.sync_ledger(session=session, viewer=DEMO)
    entries = list(
        session.scalars(
            select(SpecialPerson)
            .where(SpecialPerson.community_id.in_(communities))
            .order_by(SpecialPerson.person_id)
        )
    )
    red = [e for e in entries if e.tier == "red"]
    yellow = [e for e in entries if e.tier == "yellow"]
    chosen = [e for pair in zip(red, yellow, strict=False) for e in pair]
    chosen += [e for e in red + yellow if e not in chosen]
    start = datetime.combine(day, time(8, 0))  # local
    opened: list[RequestOut] = []
    for k, entry in enumerate(chosen[:requests]):
        at = start + timedelta(minutes=10 * k)
        r = rq.open_request(
            session=session, viewer=DEMO, person_id=entry.person_id, kind=KINDS[k % len(KINDS)],
            at=at, client_key=f"demo-{day.isoformat()}-{entry.person_id}-{k}", note="demo drill",
        )  # fmt: skip
        minutes = RESPONSES[k % len(RESPONSES)]
        if minutes is not None and r.status == "open":
            rq.respond(
                session=session, viewer=DEMO, request_id=r.id, at=at + timedelta(minutes=minutes)
            )
        opened.append(r)
    now = start + timedelta(hours=3)
    escalations = rq.escalate(session=session, viewer=DEMO, now=now)
    ids = {r.id for r in opened}
    listed = [r for r in rq.list_requests(session=session, viewer=DEMO, now=now) if r.id in ids]
    kpis = rq.kpis(session=session, viewer=DEMO, now=now)
    return SpecialDemo(
        day=day, plan=plan, note=note, communities=communities, ledger=len(entries),
        red=len(red), yellow=len(yellow), requests=listed, escalations=escalations, kpis=kpis,
    )  # fmt: skip


def _ids(values: list[int]) -> NDArray[np.int64]:
    return np.asarray(values, np.int64)


def render_special(result: SpecialDemo, lang: str) -> None:
    """The plan's coverage and the requests with their clocks and KPIs (zh-CN or en)."""
    out.print(f"[bold]{t('supply.demo.title', lang)}[/]")
    if result.plan is None:
        out.print(result.note)
        return
    render_plan(result.plan, lang, rows=8)
    out.print(f"[bold]{t('special.demo.title', lang)}[/]")
    rate = result.kpis.overall.on_time_rate if result.kpis else None
    out.print(
        t("special.demo.summary", lang, ledger=result.ledger, red=result.red,
          yellow=result.yellow, n=len(result.requests),
          rate="-" if rate is None else f"{rate:.0%}", escalated=len(result.escalations))
    )  # fmt: skip
    out.print(requests_table(result.requests, lang))
    if result.kpis is not None:
        title = t("special.kpi.title", lang, now=result.kpis.now.strftime("%Y-%m-%d %H:%M"))
        out.print(kpi_table(title, [result.kpis.overall, *result.kpis.by_tier], lang))
