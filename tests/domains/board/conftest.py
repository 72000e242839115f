"""A small generated city (3,000 persons, 4 days) with two traced cases, for the board tests.

``scenario`` writes the city into the rolled-back session, traces two
confirmed cases living in different communities (reported on lake day 2 at
09:00 and 12:00 local time), opens their 1+4+6+24 playbooks and records, at
chosen times, the task actions, alerts, quarantine stays and a testing round
the tests compute their expectations from.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity, generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.tracing.rules import TracingRules
from epicontrol.domains.board.scope import load_tree
from epicontrol.domains.campaigns.models import Campaign, CampaignMember, CampaignPool
from epicontrol.domains.city import service as city_service
from epicontrol.domains.city.models import Facility, Person
from epicontrol.domains.quarantine.models import QuarantineRun, QuarantineStay
from epicontrol.domains.surveillance.models import Alert
from epicontrol.domains.tasks import service as tasks
from epicontrol.domains.tasks.models import Task
from epicontrol.domains.tracing import service as tracing
from epicontrol.domains.tracing.context import Clock, TracingContext, open_context
from epicontrol.domains.tracing.models import Contact, Investigation
from epicontrol.domains.tracing.schemas import CaseIn

DAYS = 4
DAY = 2


@pytest.fixture(scope="module")
def city() -> GeneratedCity:
    return generate_city(CityParams(population=3_000, days=DAYS, seed=7))


@pytest.fixture(scope="module")
def lake_dir(city: GeneratedCity, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("board") / "lake"
    city_service.write_lake(city=city, lake_dir=directory, days=DAYS)
    return directory


@pytest.fixture()
def ctx(session: Session, city: GeneratedCity, lake_dir: Path) -> TracingContext:
    city_service.create_city(session=session, city=city, days=DAYS)
    return open_context(session=session, lake_dir=lake_dir)


def local(clock: Clock, d: int, hour: float = 0) -> datetime:
    """Local (naive) time of lake day ``d`` at ``hour``."""
    return datetime.combine(clock.day_date(d), time(0)) + timedelta(hours=hour)


def utc(clock: Clock, d: int, hour: float) -> datetime:
    return clock.to_utc(local(clock, d, hour))


@dataclass
class Scenario:
    clock: Clock
    day: date
    case_a: int
    case_b: int
    community_a: int
    community_b: int
    #: Community with no case, contact, alert, zone or stay of the scenario's day.
    community_quiet: int
    #: The reading time of the scenario: day 2 at 20:00 local.
    at: datetime
    alert_latencies: list[float]
    site_id: int
    site_rooms: int
    campaign_id: int


def two_communities(session: Session, ctx: TracingContext) -> tuple[int, int, int, int]:
    """Two working adults living in different communities: (person, community) × 2."""
    tree = load_tree(session)
    rows = session.execute(
        select(Person.id, Person.building_id)
        .where(Person.org_venue_id.is_not(None), Person.age.between(25, 55))
        .order_by(Person.id)
    ).all()
    comm = tree.ancestor(np.array([r[1] for r in rows], np.int64), "community")
    first = (int(rows[0][0]), int(comm[0]))
    for (pid, _), c in zip(rows, comm.tolist(), strict=True):
        if c != first[1]:
            return first[0], first[1], int(pid), int(c)
    raise AssertionError("the city has one community only")


@pytest.fixture()
def scenario(session: Session, ctx: TracingContext) -> Scenario:
    clock = ctx.clock
    pa, ca, pb, cb = two_communities(session, ctx)
    rules = TracingRules()
    case_ids = []
    for pid, hour in ((pa, 9), (pb, 12)):
        done = tracing.investigate(
            session=session,
            ctx=ctx,
            case=CaseIn(
                person_id=pid,
                onset=local(clock, DAY - 1, 8),
                isolated=local(clock, DAY, hour),
                reported=local(clock, DAY, hour),
                source="test",
            ),
            rules=rules,
            now=utc(clock, DAY, hour),
        )
        case_ids.append(done.out.case_id)
        # the engine stamps its run with the wall clock: put it at the scenario's time
        inv = session.get(Investigation, done.out.investigation_id)
        assert inv is not None
        inv.started_at = inv.completed_at = utc(clock, DAY, hour)
    a, b = case_ids
    for cid, hour in ((a, 9), (b, 12)):
        tasks.open_case_playbook(
            session=session,
            case_id=cid,
            playbook="1+4+6+24",
            trigger_at=None,
            actor="t",
            now=utc(clock, DAY, hour),
        )
    # case A: health on site after 30 min (done at 50), police started after 90 (done at 100)
    by_kind = {
        (t.case_id, t.kind): t
        for t in session.scalars(select(Task).where(Task.case_id.in_([a, b])))
    }
    t0 = utc(clock, DAY, 9)
    health, police = by_kind[(a, "onsite_health")], by_kind[(a, "onsite_police")]
    tasks.start_task(session=session, task_id=health.id, actor="h", at=t0 + timedelta(minutes=30))
    tasks.complete_task(
        session=session, task_id=health.id, evidence="ok", actor="h", at=t0 + timedelta(minutes=50)
    )
    tasks.start_task(session=session, task_id=police.id, actor="p", at=t0 + timedelta(minutes=90))
    tasks.complete_task(
        session=session, task_id=police.id, evidence="ok", actor="p", at=t0 + timedelta(minutes=100)
    )
    # case B: every task done, without a start, 2 h after the report (prerequisites first)
    t1 = utc(clock, DAY, 12)
    b_tasks = sorted((t for (c, _), t in by_kind.items() if c == b), key=lambda t: (t.due_at, t.id))
    for task in b_tasks:
        tasks.complete_task(
            session=session, task_id=task.id, evidence="ok", actor="x", at=t1 + timedelta(hours=2)
        )
    # alerts of the day in community A: 10, 30 and 90 minutes from data to alert
    latencies = [600.0, 1800.0, 5400.0]
    for k, lat in enumerate(latencies):
        raised = utc(clock, DAY, 10 + k)
        session.add(
            Alert(
                area_id=ca,
                level=("blue", "yellow", "red")[k],
                status="raised",
                signals=["fever_clinic"],
                detections=[],
                first_day=DAY,
                last_day=DAY,
                window_days=3,
                recipients=[],
                message_zh="测试",
                message_en="test",
                data_arrived_at=raised - timedelta(seconds=lat),
                raised_at=raised,
                latency_seconds=lat,
                updated_at=raised,
                version=1,
            )
        )
    # quarantine: 3 persons of community A in the first site, one released at 15:00
    site = session.scalars(
        select(Facility)
        .where(Facility.kind == "quarantine_site")
        .order_by(Facility.rooms.desc(), Facility.id)
    ).first()
    assert site is not None
    site.rooms = 20  # a 3,000-person city has tiny sites: give this one 20 rooms
    run = QuarantineRun(
        created_at=utc(clock, DAY, 13),
        persons=3,
        assigned=3,
        total_cost=0.0,
        bound=0.0,
        gap=0.0,
        status="optimal",
        seconds=0.0,
        options="{}",
        unassigned="[]",
    )
    session.add(run)
    session.flush()
    people = session.execute(
        select(Person.id, Person.household_id, Person.building_id).order_by(Person.id)
    ).all()
    tree = load_tree(session)
    comm = tree.ancestor(np.array([p[2] for p in people], np.int64), "community")
    mine = [p for p, c in zip(people, comm.tolist(), strict=True) if c == ca][1:4]
    for k, (pid, hh, _) in enumerate(mine):
        session.add(
            QuarantineStay(
                run_id=run.id,
                person_id=pid,
                site_id=site.id,
                case_id=a,
                category="close",
                household_id=hh,
                rooms=1,
                accessible_room=False,
                needs_accessible=False,
                distance_km=1.0,
                status="released" if k == 0 else "admitted",
                assigned_at=utc(clock, DAY, 13),
                deadline_at=utc(clock, DAY, 19),
                admitted_at=utc(clock, DAY, 14),
                release_due_at=utc(clock, DAY + 14, 14),
                released_at=utc(clock, DAY, 15) if k == 0 else None,
            )
        )
    # testing: 10 residents of community B, 5 sampled (negative pool) by 18:00, deadline 24 h
    residents = [p for p, c in zip(people, comm.tolist(), strict=True) if c == cb][:10]
    campaign = Campaign(
        scope_key="t" * 64,
        round=1,
        areas=f"[{cb}]",
        zones=None,
        start_at=utc(clock, DAY, 14),
        deadline_at=utc(clock, DAY + 1, 14),
        finish_at=None,
        next_round_at=None,
        pool_size=5,
        residents=10,
        pools=2,
        sites=0,
        feasible=True,
        status="testing",
        summary="{}",
        created_at=utc(clock, DAY, 13),
        updated_at=utc(clock, DAY, 13),
    )
    session.add(campaign)
    session.flush()
    for k in range(2):
        result = "negative" if k == 0 else None
        session.add(
            CampaignPool(
                id=900_000 + k,
                campaign_id=campaign.id,
                round=1,
                site_no=0,
                lab_id=None,
                size=5,
                result=result,
                result_at=utc(clock, DAY, 18) if result else None,
                recorded_at=utc(clock, DAY, 18) if result else None,
            )
        )
    session.flush()
    for k, (pid, _, _) in enumerate(residents):
        session.add(
            CampaignMember(
                pool_id=900_000 + k // 5, person_id=pid, campaign_id=campaign.id, area_id=cb
            )
        )
    session.flush()
    all_comm = tree.ids_of("community").tolist()
    busy = {ca, cb}
    busy |= {
        int(c)
        for c in session.scalars(select(Contact.home_community_id).distinct())
        if c is not None
    }
    quiet = [c for c in all_comm if c not in busy]
    return Scenario(
        clock=clock,
        day=clock.day_date(DAY),
        case_a=a,
        case_b=b,
        community_a=ca,
        community_b=cb,
        community_quiet=quiet[0] if quiet else -1,
        at=local(clock, DAY, 20),
        alert_latencies=latencies,
        site_id=site.id,
        site_rooms=int(site.rooms or 0),
        campaign_id=campaign.id,
    )
