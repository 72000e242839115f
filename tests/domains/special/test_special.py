"""The special-population ledger: viewer boundary, clocks, escalation, KPIs, audit."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.domains.city.models import Person
from epicontrol.domains.special import requests as rq
from epicontrol.domains.special import service
from epicontrol.domains.special.models import SpecialAudit, SpecialPerson, SpecialRequest
from epicontrol.domains.special.schemas import Viewer

BOSS = Viewer("commander", "chief")
T0 = datetime(2026, 3, 2, 8, 0)  # local city time


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def synced(store: Session) -> list[SpecialPerson]:
    out = service.sync_ledger(session=store, viewer=BOSS, at=T0)
    assert out.enrolled == out.ledger > 0
    # again: nothing changes
    again = service.sync_ledger(session=store, viewer=BOSS, at=T0)
    assert (again.enrolled, again.updated, again.ledger) == (0, 0, out.ledger)
    return list(store.scalars(select(SpecialPerson).order_by(SpecialPerson.person_id)))


def person_of(
    entries: list[SpecialPerson], tier: str, community: int | None = None
) -> SpecialPerson:
    return next(
        e for e in entries if e.tier == tier and (community is None or e.community_id == community)
    )


def test_ledger_matches_registry_and_grid_worker_sees_own_community(store: Session) -> None:
    entries = synced(store)
    registry = store.scalar(
        select(func.count()).select_from(Person).where(Person.special_tier.is_not(None))
    )
    assert len(entries) == registry
    communities = sorted({e.community_id for e in entries})
    mine, other = communities[0], communities[1]
    worker = Viewer("grid_worker", "wang", community_id=mine)
    seen = service.ledger(session=store, viewer=worker)
    assert seen and {e.community_id for e in seen} == {mine}
    assert len(seen) == sum(1 for e in entries if e.community_id == mine)
    # phones are masked; red comes first
    assert all(e.phone is None or "*" in e.phone for e in seen)
    tiers = [e.tier for e in seen]
    assert tiers == sorted(tiers, key={"red": 0, "yellow": 1, "green": 2}.__getitem__)
    with pytest.raises(service.AccessDenied, match=r"may not see community"):
        service.ledger(session=store, viewer=worker, community_id=other)
    target = next(e for e in entries if e.community_id == other)
    with pytest.raises(service.AccessDenied, match=r"may not see community"):
        rq.open_request(
            session=store, viewer=worker, person_id=target.person_id, kind="food", at=T0
        )
    with pytest.raises(service.AccessDenied, match=r"has no access"):
        service.ledger(session=store, viewer=Viewer("public", "x"))
    with pytest.raises(service.AccessDenied, match=r"must name their community"):
        service.ledger(session=store, viewer=Viewer("grid_worker", "x"))


def test_helpers_assign_all_or_nothing_masked_and_audited(store: Session) -> None:
    entries = synced(store)
    com = entries[0].community_id
    helper = service.add_helper(
        session=store, viewer=BOSS, name="李敏", phone="13812345678", community_id=com, at=T0
    )
    assert helper.phone == "138****5678"
    same = service.add_helper(
        session=store, viewer=BOSS, name="李敏", phone="13812345678", community_id=com, at=T0
    )
    assert same.id == helper.id
    with pytest.raises(service.SpecialInputError, match=r"phone: must be 7 to 15 digits"):
        service.add_helper(session=store, viewer=BOSS, name="x", phone="12ab", community_id=com)
    local = [e.person_id for e in entries if e.community_id == com][:2]
    elsewhere = next(e.person_id for e in entries if e.community_id != com)
    audits = count(store, SpecialAudit)
    with pytest.raises(service.SpecialInputError, match=r"outside the helper's community"):
        service.assign_helper(
            session=store, viewer=BOSS, helper_id=helper.id, person_ids=[*local, elsewhere]
        )
    with pytest.raises(service.NotFound, match=r"not in the ledger: 999999"):
        service.assign_helper(session=store, viewer=BOSS, helper_id=helper.id, person_ids=[999999])
    assert count(store, SpecialAudit) == audits  # nothing half-written
    assert all(store.get(SpecialPerson, p).helper_id is None for p in local)  # type: ignore[union-attr]
    out = service.assign_helper(
        session=store, viewer=BOSS, helper_id=helper.id, person_ids=local, at=T0
    )
    assert [e.helper.id for e in out if e.helper] == [helper.id] * len(local)
    rows = store.scalars(
        select(SpecialAudit).where(SpecialAudit.action == "helper").order_by(SpecialAudit.id)
    ).all()
    assert [r.entity_id for r in rows] == [str(p) for p in local]
    assert json.loads(rows[0].before)["helper_id"] is None  # type: ignore[arg-type]
    assert json.loads(rows[0].after)["helper_id"] == helper.id  # type: ignore[arg-type]
    assert rows[0].actor == "chief" and rows[0].role == "commander"


def test_request_clocks_respond_close_and_bad_input(store: Session) -> None:
    entries = synced(store)
    red = person_of(entries, "red")
    green = service.enroll(
        session=store, viewer=BOSS, person_id=next(
            p for p in store.scalars(select(Person.id).where(Person.special_tier.is_(None)))
        ), needs=["groceries"], at=T0,
    )  # fmt: skip
    assert green.tier == "green" and green.needs == ["groceries"]
    r = rq.open_request(
        session=store, viewer=BOSS, person_id=red.person_id, kind="medicine", at=T0,
        note="insulin", client_key="hotline-1",
    )  # fmt: skip
    assert r.due_at.replace(tzinfo=None) == T0 + timedelta(hours=2)
    assert r.done_due_at is not None and r.done_due_at.replace(tzinfo=None) == T0 + timedelta(
        hours=24
    )
    c = rq.open_request(
        session=store, viewer=BOSS, person_id=red.person_id, kind="consultation", at=T0
    )
    assert c.due_at.replace(tzinfo=None) == T0 + timedelta(minutes=30)
    g = rq.open_request(session=store, viewer=BOSS, person_id=green.person_id, kind="food", at=T0)
    assert g.due_at.replace(tzinfo=None) == T0 + timedelta(hours=24)
    # re-sending with the same key returns the same request
    again = rq.open_request(
        session=store, viewer=BOSS, person_id=red.person_id, kind="medicine", at=T0,
        client_key="hotline-1",
    )  # fmt: skip
    assert again.id == r.id and count(store, SpecialRequest) == 3
    # clocks at T0 + 1 h: running with 60 min left; at +3 h: overdue 60 min
    listed = {
        x.id: x for x in rq.list_requests(session=store, viewer=BOSS, now=T0 + timedelta(hours=1))
    }
    assert listed[r.id].clock.state == "running" and listed[r.id].clock.minutes_left == 60
    late = rq.list_requests(session=store, viewer=BOSS, overdue=True, now=T0 + timedelta(hours=3))
    assert {x.id for x in late} == {r.id, c.id}
    assert next(x for x in late if x.id == r.id).clock.overdue_minutes == 60
    done = rq.respond(session=store, viewer=BOSS, request_id=r.id, at=T0 + timedelta(minutes=90))
    assert done.status == "responded" and done.clock.state == "on_time"
    assert done.clock.response_minutes == 90
    with pytest.raises(service.Rejected, match=r"only an open request"):
        rq.respond(session=store, viewer=BOSS, request_id=r.id, at=T0 + timedelta(hours=2))
    closed = rq.close(session=store, viewer=BOSS, request_id=r.id, at=T0 + timedelta(hours=5))
    assert closed.status == "done" and closed.clock.completion_state == "on_time"
    with pytest.raises(service.Rejected, match=r"already done"):
        rq.close(session=store, viewer=BOSS, request_id=r.id)
    # bad input, nothing written
    n = count(store, SpecialRequest)
    outside = next(
        p for p in store.scalars(select(Person.id).order_by(Person.id))
        if store.get(SpecialPerson, p) is None
    )  # fmt: skip
    with pytest.raises(service.NotFound, match=r"is not in the special-population ledger"):
        rq.open_request(session=store, viewer=BOSS, person_id=outside, kind="food", at=T0)
    with pytest.raises(service.SpecialInputError, match=r"kind: must be one of medicine"):
        rq.open_request(session=store, viewer=BOSS, person_id=red.person_id, kind="taxi")
    with pytest.raises(service.NotFound, match=r"no request 424242"):
        rq.respond(session=store, viewer=BOSS, request_id=424242)
    with pytest.raises(service.Rejected, match=r"key: 'hotline-1' already opened request"):
        rq.open_request(
            session=store, viewer=BOSS, person_id=red.person_id, kind="food", client_key="hotline-1"
        )
    assert count(store, SpecialRequest) == n


def test_escalation_levels_are_idempotent(store: Session) -> None:
    entries = synced(store)
    yellow = person_of(entries, "yellow")
    r = rq.open_request(session=store, viewer=BOSS, person_id=yellow.person_id, kind="other", at=T0)
    assert rq.escalate(session=store, viewer=BOSS, now=T0 + timedelta(hours=1)) == []
    first = rq.escalate(session=store, viewer=BOSS, now=T0 + timedelta(hours=2, minutes=1))
    assert [(e.request_id, e.clock, e.level, e.recipient) for e in first] == [
        (r.id, "response", 1, "community")
    ]
    assert rq.escalate(session=store, viewer=BOSS, now=T0 + timedelta(hours=2, minutes=1)) == []
    # 2 h allowance: level 2 at due + 2 h, level 3 at due + 4 h (and not beyond)
    later = rq.escalate(session=store, viewer=BOSS, now=T0 + timedelta(hours=9))
    assert [(e.level, e.recipient) for e in later] == [(2, "street"), (3, "district")]
    assert rq.escalate(session=store, viewer=BOSS, now=T0 + timedelta(hours=30)) == []
    assert store.get(SpecialRequest, r.id).escalation_level == 3  # type: ignore[union-attr]
    # a responded request no longer escalates its response clock
    r2 = rq.open_request(session=store, viewer=BOSS, person_id=yellow.person_id, kind="food", at=T0)
    rq.respond(session=store, viewer=BOSS, request_id=r2.id, at=T0 + timedelta(minutes=30))
    out = rq.escalate(session=store, viewer=BOSS, now=T0 + timedelta(hours=25))
    assert [(e.request_id, e.clock, e.level) for e in out] == [(r2.id, "completion", 1)]


def test_kpis_by_hand(store: Session) -> None:
    entries = synced(store)
    red = person_of(entries, "red")
    yellow = person_of(entries, "yellow")
    # red: responded after 30, 60, 150 (late) minutes; yellow: 10 min, one open past due,
    # one open not yet due
    minutes = {red.person_id: [30, 60, 150], yellow.person_id: [10]}
    for pid, ms in minutes.items():
        for m in ms:
            r = rq.open_request(session=store, viewer=BOSS, person_id=pid, kind="other", at=T0)
            rq.respond(session=store, viewer=BOSS, request_id=r.id, at=T0 + timedelta(minutes=m))
    rq.open_request(session=store, viewer=BOSS, person_id=yellow.person_id, kind="other", at=T0)
    rq.open_request(
        session=store, viewer=BOSS, person_id=yellow.person_id, kind="other",
        at=T0 + timedelta(hours=3),
    )  # fmt: skip
    k = rq.kpis(session=store, viewer=BOSS, now=T0 + timedelta(hours=4))
    assert k.overall.requests == 6 and k.overall.responded == 4 and k.overall.open_overdue == 1
    allm = np.array([30, 60, 150, 10], float)
    assert k.overall.median_minutes == pytest.approx(45.0)  # (30 + 60) / 2
    assert k.overall.p90_minutes == pytest.approx(float(np.percentile(allm, 90)))  # 123.0
    assert k.overall.p90_minutes == pytest.approx(123.0)
    # settled: 4 responded (3 on time) + 1 open overdue -> 3 / 5
    assert k.overall.on_time_rate == pytest.approx(0.6)
    by = {g.key: g for g in k.by_tier}
    assert by["red"].on_time_rate == pytest.approx(2 / 3)
    assert by["red"].median_minutes == pytest.approx(60.0)
    assert by["yellow"].on_time_rate == pytest.approx(0.5)
    assert by["yellow"].open_overdue == 1
    assert sum(g.requests for g in k.by_community) == 6
