"""The city board's KPIs against hand computations, "no data", the grid worker's board."""

from __future__ import annotations

from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.zones.rules import default_rules
from epicontrol.domains.board.schemas import BoardOut, KpiOut
from epicontrol.domains.board.scope import BoardInputError, BoardNotFound, load_tree
from epicontrol.domains.board.service import KPI_KEYS, city_board, public_zones
from epicontrol.domains.city.models import Facility, Person
from epicontrol.domains.quarantine.service import site_occupancy
from epicontrol.domains.tasks import service as tasks
from epicontrol.domains.tracing.context import TracingContext
from epicontrol.domains.tracing.models import Case
from epicontrol.domains.zones import service as zones_service

from .conftest import DAY, Scenario, local


def by_key(board: BoardOut) -> dict[str, KpiOut]:
    return {k.key: k for k in board.kpis}


def test_empty_store_gives_no_data_everywhere(session: Session) -> None:
    board = city_board(session=session)
    assert [k.key for k in board.kpis] == list(KPI_KEYS)
    for k in board.kpis:
        assert k.status == "no_data" and k.value is None
        assert k.reason_en and "no city" in k.reason_en and k.reason_zh
    assert board.cases.today == {"confirmed": 0, "suspected": 0, "asymptomatic": 0}
    assert board.curve.days == [] and board.curve.rt.status == "no_data"
    assert public_zones(session=session) == []
    with pytest.raises(BoardNotFound, match="community_id"):
        city_board(session=session, community_id=3)


def test_city_without_records_has_no_data_and_reasons(
    session: Session, ctx: TracingContext
) -> None:
    day = ctx.clock.day_date(DAY)
    k = by_key(city_board(session=session, on=day))
    for key in ("alert_latency", "handover", "on_time", "disposal", "coverage", "hospital", "icu"):
        assert k[key].status == "no_data", key
        assert k[key].value is None and k[key].reason_en, key
    assert "no alert" in (k["alert_latency"].reason_en or "")
    assert "no mass-testing" in (k["coverage"].reason_en or "")
    # the sites exist and hold nobody: a real 0 %, not "no data"
    rooms = session.scalar(
        select(func.sum(Facility.rooms)).where(Facility.kind == "quarantine_site")
    )
    assert k["quarantine"].value == 0.0 and k["quarantine"].status == "ok"
    assert k["quarantine"].figures["rooms"] == rooms
    assert k["stock"].status == "no_data"


def test_kpis_match_hand_computations(session: Session, scenario: Scenario) -> None:
    s = scenario
    board = city_board(session=session, on=s.day, at=s.at)
    k = by_key(board)

    # alerts: 10, 30, 90 min -> median 30 (meets 60), max 90 (late): warn
    lat = k["alert_latency"]
    assert lat.value == pytest.approx(30.0)
    assert lat.figures["max"] == pytest.approx(90.0) and lat.figures["late"] == 1
    assert lat.status == "warn"

    # hand-over: A health 30, police 90; B's five departments 120 each (done, no start);
    # A's transport, commerce, community still pending 11 h after the report
    hand = k["handover"]
    assert hand.value == pytest.approx(float(np.median([30, 90] + [120] * 5)))
    assert hand.figures["pending"] == 3 and hand.figures["pending_late"] == 3
    assert hand.status == "breach"
    police = next(b for b in hand.breakdown if b.key == "police")
    assert police.value == pytest.approx(float(np.median([90, 120])))

    # on time: A 1 of 2 done on time + 7 overdue at 20:00 (due 13:00, 15:00);
    # B 10 of 12 on time (the two 1 h steps done at +2 h) -> 11 / 21
    on_time = k["on_time"]
    assert on_time.value == pytest.approx(11 / 21, abs=1e-4)
    assert on_time.figures["decided"] == 21 and on_time.status == "breach"
    live = tasks.kpis(session=session, now=s.at.replace(tzinfo=s.clock.tz))
    assert on_time.value == pytest.approx(live.overall.on_time_rate, abs=1e-4)
    for row in live.departments:
        if row.total:
            mine = next(b for b in on_time.breakdown if b.key == row.department)
            assert mine.figures["done_on_time"] == row.done_on_time
            assert mine.figures["open_overdue"] == row.open_overdue

    # disposal: B closed 2 h after its report, A still open (11 h, below 24 h)
    disposal = k["disposal"]
    assert disposal.value == pytest.approx(2.0)
    assert disposal.figures["pending"] == 1 and disposal.figures["pending_late"] == 0
    assert disposal.status == "ok"

    # coverage: 5 of 10 sampled, deadline tomorrow 14:00 -> still in progress
    cov = k["coverage"]
    assert cov.value == pytest.approx(0.5) and cov.status == "warn"
    assert cov.figures == {"residents": 10, "sampled": 5, "campaigns": 1}

    # quarantine: 3 assigned at 13:00, one released at 15:00 -> 2 rooms held at 20:00
    rooms = int(
        session.scalar(select(func.sum(Facility.rooms)).where(Facility.kind == "quarantine_site"))
        or 0
    )
    q = k["quarantine"]
    assert q.figures["occupied"] == 2 and q.figures["rooms"] == rooms
    assert q.value == pytest.approx(2 / rooms, abs=1e-4)
    site = next(b for b in q.breakdown if b.figures["site_id"] == s.site_id)
    assert site.figures["occupied"] == 2
    # read now, the same as the quarantine domain's own occupancy
    live_sites = {o.site_id: o.occupied for o in site_occupancy(session=session)}
    now_board = by_key(city_board(session=session, on=s.day, at=local(s.clock, DAY, 23)))
    assert {
        b.figures["site_id"]: b.figures["occupied"] for b in now_board["quarantine"].breakdown
    } == live_sites

    # hospital: 2 confirmed cases today, 14 % severe, 7-day stay -> 0.28 of a ward bed
    hosp = k["hospital"]
    assert hosp.figures["census"] == pytest.approx(0.14 * 2, abs=1e-3)
    ward = session.execute(
        select(func.sum(Facility.beds), func.sum(Facility.icu_beds)).where(
            Facility.kind == "hospital"
        )
    ).one()
    assert hosp.figures["beds"] == int(ward[0] or 0) - int(ward[1] or 0)
    assert hosp.value == pytest.approx(0.28 / hosp.figures["beds"], abs=1e-4)
    assert hosp.status == "ok"

    assert board.cases.today["confirmed"] == 2 and board.cases.last_7_days["confirmed"] == 2
    assert [a.open for a in board.alerts] == [1, 1, 0, 1]  # blue, yellow, orange, red
    assert [(p.day, p.confirmed) for p in board.curve.days] == [(s.day, 2)]
    assert board.curve.rt.status == "no_data" and board.curve.rt.reason_en


def test_past_reading_time_leaves_later_records_out(session: Session, scenario: Scenario) -> None:
    s = scenario
    k = by_key(city_board(session=session, on=s.day, at=local(s.clock, DAY, 14.5)))
    assert k["quarantine"].figures["occupied"] == 3  # nobody released yet
    assert k["alert_latency"].figures["n"] == 3
    assert k["coverage"].figures["sampled"] == 0  # the pool result came at 18:00
    early = by_key(city_board(session=session, on=s.day, at=local(s.clock, DAY, 9.4)))
    assert early["alert_latency"].status == "no_data"
    assert early["handover"].figures["n"] == 0  # health starts at 09:30
    assert early["handover"].figures["pending"] == 5  # case B is not reported yet


def test_coverage_breach_after_the_deadline(session: Session, scenario: Scenario) -> None:
    s = scenario
    next_day = s.day + timedelta(days=1)
    k = by_key(city_board(session=session, on=next_day, at=local(s.clock, DAY + 1, 15)))
    assert k["coverage"].status == "breach" and k["coverage"].value == pytest.approx(0.5)


def test_grid_worker_sees_only_their_community(session: Session, scenario: Scenario) -> None:
    s = scenario
    a = city_board(session=session, on=s.day, at=s.at, community_id=s.community_a)
    assert a.scope.level == "community" and a.scope.area_id == s.community_a
    ka = by_key(a)
    assert a.cases.today["confirmed"] == 1
    assert sum(x.open for x in a.alerts) == 3
    assert ka["handover"].value == pytest.approx(60.0)  # A only: 30 and 90
    assert ka["on_time"].value == pytest.approx(1 / 9, abs=1e-4)
    assert ka["disposal"].status == "no_data"  # A's playbook is still open
    assert ka["coverage"].status == "no_data"  # the campaign is in community B
    assert ka["quarantine"].figures["community_in_quarantine"] == 2
    assert ka["hospital"].scope == "district"

    b = city_board(session=session, on=s.day, at=s.at, community_id=s.community_b)
    kb = by_key(b)
    assert b.cases.today["confirmed"] == 1 and sum(x.open for x in b.alerts) == 0
    assert kb["coverage"].value == pytest.approx(0.5)
    assert kb["handover"].value == pytest.approx(120.0)
    assert kb["quarantine"].figures["community_in_quarantine"] == 0

    if s.community_quiet >= 0:
        q = city_board(session=session, on=s.day, at=s.at, community_id=s.community_quiet)
        assert q.cases.total == {"confirmed": 0, "suspected": 0, "asymptomatic": 0}
        assert by_key(q)["handover"].status == "no_data"
        assert by_key(q)["on_time"].status == "no_data"


def test_board_rejects_bad_community(session: Session, scenario: Scenario) -> None:
    tree = load_tree(session)
    district = int(tree.ids_of("district")[0])
    with pytest.raises(BoardInputError, match=r"community_id: area .* is a district"):
        city_board(session=session, community_id=district)
    with pytest.raises(BoardNotFound, match="unknown area id"):
        city_board(session=session, community_id=10**7)


def test_public_zones_say_what_residents_must_do(
    session: Session, scenario: Scenario, ctx: TracingContext
) -> None:
    s = scenario
    zones_service.delineate(
        session=session, rules=default_rules(), lake=None, now=s.clock.to_utc(s.at)
    )
    zones = public_zones(session=session)
    assert zones, "the two cases' homes are drawn"
    levels = [z.level for z in zones]
    assert levels == sorted(levels, key=["lockdown", "control", "prevention"].index)
    lock = next(z for z in zones if z.level == "lockdown")
    assert "足不出户" in lock.advice_zh and "stay at home" in lock.advice_en
    assert lock.earliest_change == lock.since + timedelta(days=7)
    homes = set(session.scalars(select(Person.building_id).join(Case, Case.person_id == Person.id)))
    assert homes <= {z.area_id for z in zones if z.level == "lockdown"}
    for z in zones:
        if z.level == "control":
            assert "足不出区" in z.advice_zh and "staggered" in z.advice_en
        if z.level == "prevention":
            assert "聚集" in z.advice_zh and "no gatherings" in z.advice_en.lower()
    board = city_board(session=session, on=s.day, at=s.at)
    n = {z.level: z.units for z in board.zones}
    assert n["lockdown"] == levels.count("lockdown")


def test_board_date_default_is_today(session: Session, ctx: TracingContext) -> None:
    board = city_board(session=session)
    assert board.on == datetime.now(ctx.clock.tz).date() == board.as_of.date()
