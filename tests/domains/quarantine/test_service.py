"""Quarantine service on the store: assignment from traced contacts, transfers, roster."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.domains.city.models import Facility, Person
from epicontrol.domains.quarantine import service
from epicontrol.domains.quarantine.models import QuarantineStay, TransferBatch, TransferStop
from epicontrol.domains.quarantine.schemas import QuarantineOptions
from epicontrol.domains.tracing.models import Case, Contact, Investigation

NOW = datetime(2030, 1, 1, 12, 0)


def close_contacts(session: Session, case_ids: list[int]) -> set[int]:
    rows = session.scalars(
        select(Contact.person_id)
        .join(Investigation, Investigation.id == Contact.investigation_id)
        .where(
            Investigation.status == "current",
            Contact.category == "close",
            Investigation.case_id.in_(case_ids),
        )
    ).all()
    cases = set(session.scalars(select(Case.person_id)).all())
    return set(rows) - cases


def test_assign_contacts_writes_roster_and_transfers(session: Session, traced: list[int]) -> None:
    expected = close_contacts(session, traced)
    assert expected
    before = {s.site_id: s for s in service.site_occupancy(session=session)}
    result, plan = service.assign_contacts(session=session, now=NOW, case_ids=traced)
    assert result.persons == len(expected)
    assert {p.person_id for p in result.placements} | {
        u.person_id for u in result.unassigned
    } == expected
    assert result.gap <= 1e-6 and result.run_id is not None
    stays = session.scalars(select(QuarantineStay)).all()
    assert {s.person_id for s in stays} == {p.person_id for p in result.placements}
    # households together, rooms counted
    by_household: dict[int, set[int]] = {}
    for s in stays:
        by_household.setdefault(s.household_id, set()).add(s.site_id)
        assert s.status == "assigned" and s.release_due_at == NOW + timedelta(days=14)
    assert all(len(v) == 1 for v in by_household.values())
    after = {s.site_id: s for s in service.site_occupancy(session=session)}
    for site_id, occ in after.items():
        used = sum(s.rooms for s in stays if s.site_id == site_id)
        assert occ.occupied == used <= occ.rooms
        assert occ.left == before[site_id].left - used
    # homes → sites: persons' household ids are the registry's
    pid_household = dict(
        session.execute(
            select(Person.id, Person.household_id).where(
                Person.id.in_([s.person_id for s in stays])
            )
        ).all()
    )
    assert all(pid_household[s.person_id] == s.household_id for s in stays)
    # every stay has a transfer stop; batches respect seats
    assert plan is not None and plan.persons == len(stays)
    assert all(s.stop_id is not None for s in stays)
    for b in session.scalars(select(TransferBatch)):
        assert 1 <= b.persons <= b.seats
        carried = session.scalar(
            select(func.sum(TransferStop.persons)).where(TransferStop.batch_id == b.id)
        )
        assert carried == b.persons
    # idempotent: nobody new → nothing written
    n = session.scalar(select(func.count()).select_from(QuarantineStay))
    again, again_plan = service.assign_contacts(session=session, now=NOW, case_ids=traced)
    assert again.assigned == 0 and again.run_id is None and again_plan is None
    assert again.persons == len(result.unassigned)
    assert session.scalar(select(func.count()).select_from(QuarantineStay)) == n


def test_admit_test_release(session: Session, traced: list[int]) -> None:
    result, _ = service.assign_contacts(
        session=session, now=NOW, case_ids=traced[:1], options=QuarantineOptions(release_days=7)
    )
    people = [p.person_id for p in result.placements][:3]
    assert len(people) == 3
    assert len(service.admit(session=session, person_ids=people, at=NOW)) == 3
    assert service.admit(session=session, person_ids=people, at=NOW) == []  # idempotent
    day7 = (NOW + timedelta(days=7)).date()
    service.record_test(
        session=session, person_id=people[0], tested_on=day7, result="negative", now=NOW
    )
    service.record_test(
        session=session, person_id=people[1], tested_on=day7, result="positive", now=NOW
    )
    early = service.release_due(session=session, today=day7 - timedelta(days=2), now=NOW)
    assert early.released == [] and early.held == []
    out = service.release_due(session=session, today=day7, now=NOW)
    assert out.released == [people[0]]
    held = {h.person_id: h.reason for h in out.held}
    assert held == {people[1]: "positive_test", people[2]: "no_recent_negative_test"}
    roster = {r.person_id: r for r in service.roster(session=session)}
    assert roster[people[0]].status == "released" and roster[people[0]].tests == 1
    assert roster[people[1]].last_test == f"{day7.isoformat()} positive"
    # a released person's room is free again
    site = roster[people[0]].site_id
    occ = {s.site_id: s for s in service.site_occupancy(session=session)}[site]
    active = session.scalar(
        select(func.sum(QuarantineStay.rooms)).where(
            QuarantineStay.site_id == site, QuarantineStay.status != "released"
        )
    )
    assert occ.occupied == (active or 0)


def test_household_joins_its_members_site(session: Session, traced: list[int]) -> None:
    first, _ = service.assign_contacts(session=session, now=NOW, case_ids=traced[:1])
    second, _ = service.assign_contacts(session=session, now=NOW, case_ids=traced)
    site_of = {}
    for s in session.scalars(select(QuarantineStay)):
        site_of.setdefault(s.household_id, set()).add(s.site_id)
    assert all(len(v) == 1 for v in site_of.values())
    assert second.persons == len(close_contacts(session, traced)) - first.assigned
    assert first.assigned > 0 and second.assigned > 0


def test_full_sites_leave_people_with_reason(session: Session, traced: list[int]) -> None:
    for f in session.scalars(select(Facility).where(Facility.kind == "quarantine_site")):
        f.rooms, f.accessible_rooms = 1, 0
    session.flush()
    result, _ = service.assign_contacts(session=session, now=NOW, case_ids=traced)
    assert result.unassigned
    assert {u.reason for u in result.unassigned} <= {
        "no_room", "household_too_large", "no_accessible_site", "no_accessible_room"
    }  # fmt: skip
    assert result.assigned == result.max_assignable


def test_errors(session: Session, traced: list[int]) -> None:
    with pytest.raises(service.NotFoundError, match="case 999999 does not exist"):
        service.assign_contacts(session=session, now=NOW, case_ids=[999999])
    with pytest.raises(service.QuarantineInputError, match="categories: unknown category"):
        service.assign_contacts(session=session, now=NOW, categories=("nobody",))
    with pytest.raises(service.NotFoundError, match="has no quarantine stay"):
        service.admit(session=session, person_ids=[0], at=NOW)
    with pytest.raises(service.NotFoundError, match="site 999999 does not exist"):
        service.roster(session=session, site_id=999999)
