"""The zones service on a generated city (SQLite and PostgreSQL), checked independently."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.zones import default_rules
from epicontrol.domains.city.models import Area, AreaAdjacency, Person, Venue
from epicontrol.domains.tracing.context import LakeIndex
from epicontrol.domains.tracing.models import Case, Investigation
from epicontrol.domains.zones import queries, service
from epicontrol.domains.zones.models import Zone, ZoneChange, ZoneEvaluation, ZoneSource

from .conftest import local

RULES = default_rules()
NOW = datetime(2030, 1, 1, 12, 0)


def add_case(session: Session, lake: LakeIndex, person_id: int, day: int, **kw: object) -> Case:
    """A confirmed case with onset on lake ``day`` 08:00, reported the same day 20:00."""
    onset = lake.clock.to_utc(local(lake, day, 8))
    case = Case(
        person_id=person_id,
        status=kw.pop("status", "confirmed"),
        onset_at=onset,
        reported_at=lake.clock.to_utc(local(lake, day, 20)),
        source="test",
        created_at=NOW,
        updated_at=NOW,
        **kw,
    )
    session.add(case)
    session.flush()
    return case


def workers(session: Session, n: int) -> list[int]:
    """``n`` working-age persons whose workplace is not in their home building."""
    return list(
        session.scalars(
            select(Person.id)
            .join(Venue, Venue.id == Person.org_venue_id)
            .where(Person.age.between(25, 55), Venue.building_id != Person.building_id)
            .order_by(Person.id)
            .limit(n)
        )
    )


def zone_levels(session: Session) -> dict[int, str]:
    return {
        z.area_id: z.level for z in session.scalars(select(Zone).where(Zone.status == "active"))
    }


def test_delineate_matches_an_independent_reading_of_the_store(
    session: Session, lake: LakeIndex
) -> None:
    pids = workers(session, 2)
    cases = [add_case(session, lake, pid, 2) for pid in pids]
    out = service.delineate(session=session, rules=RULES, lake=lake, now=NOW)
    assert out.cases == [c.id for c in cases] and out.skipped == [] and out.checkins
    levels = zone_levels(session)
    assert out.created == len(levels) == sum(out.units.values())

    venue_building = dict(session.execute(select(Venue.id, Venue.building_id)).all())
    adjacency = session.execute(select(AreaAdjacency.area_a, AreaAdjacency.area_b)).all()
    parent = dict(session.execute(select(Area.id, Area.parent_id)).all())
    buildings = list(session.scalars(select(Area.id).where(Area.level == "building")))
    # building → compound → community → street
    street = {b: parent[parent[parent[b]]] for b in buildings}
    lockdown: set[int] = set()
    visited: set[int] = set()
    for case, pid in zip(cases, pids, strict=True):
        home = session.get(Person, pid)
        assert home is not None
        lockdown.add(home.building_id)
        t0 = lake.clock.store_minutes(case.onset_at) - 2 * 1440  # type: ignore[arg-type]
        venues, t_in, t_out = lake.index.of_person(pid, t0, lake.index.t_max)
        dwell: dict[int, int] = {}
        for v, a, b in zip(venues.tolist(), t_in.tolist(), t_out.tolist(), strict=True):
            building = venue_building[v]
            dwell[building] = dwell.get(building, 0) + min(b, lake.index.t_max) - max(a, t0)
        lockdown |= {b for b, m in dwell.items() if m >= 240}
        visited |= {b for b, m in dwell.items() if 0 < m < 240}
    assert lockdown and visited  # workers stay at work and pass by other venues
    assert {b for b, lv in levels.items() if lv == "lockdown"} == lockdown
    near = {b for a, b in adjacency if a in lockdown} | {a for a, b in adjacency if b in lockdown}
    assert {b for b, lv in levels.items() if lv == "control"} == (near | visited) - lockdown
    streets = {street[b] for b in lockdown | near | visited}
    # the zones are exactly the buildings of those streets
    assert set(levels) == {b for b in buildings if street[b] in streets}
    reasons = dict(
        session.execute(select(ZoneSource.reason, func.count()).group_by(ZoneSource.reason)).all()
    )
    assert reasons["home"] == 2 and reasons["stayed"] >= 1 and reasons["street"] >= 1
    opened = session.scalars(select(ZoneChange)).all()
    assert len(opened) == len(levels) and all(h.rule_id == "delineation" for h in opened)
    assert all(h.from_level is None and h.day == lake.clock.day_date(2) for h in opened)

    # re-sending the same cases changes nothing
    again = service.delineate(
        session=session, rules=RULES, lake=lake, case_ids=[cases[0].id], now=NOW
    )
    assert again.cases == [] and again.skipped == [cases[0].id] and again.created == 0
    assert session.scalar(select(func.count()).select_from(ZoneChange)) == len(opened)


def test_window_from_the_investigation_and_compound_unit(session: Session, lake: LakeIndex) -> None:
    pid = workers(session, 1)[0]
    case = add_case(session, lake, pid, 2)
    start = lake.clock.to_utc(local(lake, 2, 0))
    session.add(
        Investigation(
            case_id=case.id,
            status="current",
            started_at=NOW,
            completed_at=NOW,
            window_start_at=start,
            window_end_at=start + timedelta(minutes=1),
            rules="{}",
            risk_venues="[]",
            index_version="x",
            n_close=0,
            n_secondary=0,
            n_general=0,
            n_yellow_code=0,
            counts="{}",
        )
    )
    session.flush()
    out = service.delineate(session=session, rules=RULES, lake=lake, unit="compound", now=NOW)
    person = session.get(Person, pid)
    assert person is not None
    building = session.get(Area, person.building_id)
    assert building is not None
    levels = zone_levels(session)
    # midnight to 00:01: the case was at home, so only its compound is lockdown
    assert [a for a, lv in levels.items() if lv == "lockdown"] == [building.parent_id]
    assert out.unit == "compound" and out.units["lockdown"] == 1
    kinds = set(session.scalars(select(Area.level).where(Area.id.in_(list(levels)))))
    assert kinds == {"compound"}


def test_bad_input_writes_nothing(session: Session, lake: LakeIndex) -> None:
    pid, other = workers(session, 2)
    with pytest.raises(service.NotFoundError, match="case_id: unknown case id"):
        service.delineate(session=session, rules=RULES, lake=lake, case_ids=[999_999])
    suspect = add_case(session, lake, pid, 2, status="suspected")
    with pytest.raises(service.ZoneInputError, match=r"case_id: case.* are suspected"):
        service.delineate(session=session, rules=RULES, lake=lake, case_ids=[suspect.id])
    case = add_case(session, lake, other, 2)
    person = session.get(Person, other)
    assert person is not None
    building = session.get(Area, person.building_id)
    assert building is not None and building.parent_id is not None
    person.building_id = building.parent_id  # a compound, not a building
    session.flush()
    with pytest.raises(
        service.ZoneInputError, match=rf"persons.building_id: case {case.id} .*not a known building"
    ):
        service.delineate(session=session, rules=RULES, lake=lake, case_ids=[case.id])
    assert session.scalar(select(func.count()).select_from(Zone)) == 0
    assert session.scalar(select(func.count()).select_from(ZoneSource)) == 0


def test_evaluate_day_by_day_is_idempotent_and_re_escalates(
    session: Session, lake: LakeIndex
) -> None:
    pid = workers(session, 1)[0]
    add_case(session, lake, pid, 2)
    service.delineate(session=session, rules=RULES, lake=lake, now=NOW)
    day0 = lake.clock.day_date(2)
    before = zone_levels(session)
    lockdown = {a for a, lv in before.items() if lv == "lockdown"}

    out = service.evaluate(
        session=session, day=day0 + timedelta(days=6), rules=RULES, lake=lake, now=NOW
    )
    assert [d.day for d in out.days] == [day0 + timedelta(days=k) for k in range(7)]
    assert all(not d.transitions for d in out.days[1:])
    assert zone_levels(session) == before

    out = service.evaluate(
        session=session, day=day0 + timedelta(days=7), rules=RULES, lake=lake, now=NOW
    )
    moved = out.days[0].transitions
    down = {c.area_id for c in moved if c.rule_id == "lockdown-to-control"}
    assert down == lockdown
    assert all(
        (c.from_level, c.to_level) == ("lockdown", "control") for c in moved if c.area_id in down
    )
    # control zones move on too on day 7, but only in streets without a lockdown zone
    parent = dict(session.execute(select(Area.id, Area.parent_id)).all())
    street = {b: parent[parent[parent[b]]] for b in before}
    others = [c for c in moved if c.area_id not in down]
    assert all(c.rule_id == "control-to-prevention" for c in others)
    assert not {street[c.area_id] for c in others} & {street[b] for b in lockdown}
    after = zone_levels(session)
    history = session.scalar(select(func.count()).select_from(ZoneChange))
    again = service.evaluate(
        session=session, day=day0 + timedelta(days=7), rules=RULES, lake=lake, now=NOW
    )
    assert again.days[0].already_evaluated and len(again.days[0].transitions) == len(moved)
    assert zone_levels(session) == after
    assert session.scalar(select(func.count()).select_from(ZoneChange)) == history
    with pytest.raises(service.ZoneInputError, match=r"--date: .* before the first evaluated day"):
        service.evaluate(session=session, day=day0 - timedelta(days=1), rules=RULES, lake=lake)

    # day 8: the control zones of the lockdown streets (no lockdown left) go to prevention;
    # the other streets (only prevention left there since day 7) are lifted
    out = service.evaluate(
        session=session, day=day0 + timedelta(days=8), rules=RULES, lake=lake, now=NOW
    )
    moved = out.days[0].transitions
    hot = {street[b] for b in lockdown}
    to_prevention = [c for c in moved if c.rule_id == "control-to-prevention"]
    assert to_prevention and {street[c.area_id] for c in to_prevention} <= hot
    lifted = [c for c in moved if c.rule_id == "prevention-lifted"]
    assert len(lifted) + len(to_prevention) == len(moved)
    assert not {street[c.area_id] for c in lifted} & hot

    # a new case living in a (now control) unit on day 9: back to lockdown, and delineated
    target = sorted(lockdown)[0]
    resident = session.scalar(
        select(Person.id).where(Person.building_id == target, Person.id != pid).limit(1)
    )
    assert resident is not None
    day9 = datetime.combine(day0 + timedelta(days=9), datetime.min.time())
    new = Case(
        person_id=resident,
        status="confirmed",
        onset_at=lake.clock.to_utc(day9),
        reported_at=lake.clock.to_utc(day9.replace(hour=18)),
        source="test",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(new)
    session.flush()
    out = service.evaluate(
        session=session, day=day0 + timedelta(days=9), rules=RULES, lake=lake, now=NOW
    )
    day = out.days[0]
    escalated = [c for c in day.transitions if c.rule_id == "new-case-inside"]
    assert [(c.area_id, c.from_level, c.to_level, c.case_id) for c in escalated] == [
        (target, "control", "lockdown", new.id)
    ]
    assert day.delineated_cases == [new.id] and day.city_cases == 1
    assert zone_levels(session)[target] == "lockdown"
    assert session.get(ZoneEvaluation, day0 + timedelta(days=9)) is not None

    # the state of a past day comes back from the history
    past = {
        z.area_id: z.level
        for z in queries.active_zones(session=session, on=day0 + timedelta(days=3))
    }
    assert past == before


def test_members_counts_and_geojson(session: Session, lake: LakeIndex) -> None:
    pid = workers(session, 1)[0]
    add_case(session, lake, pid, 2)
    service.delineate(session=session, rules=RULES, lake=lake, now=NOW)
    zones = queries.active_zones(session=session)
    ids = [z.id for z in zones]
    members = queries.zone_members(session=session, zone_ids=ids)
    by_id = {z.id: z for z in zones}
    for z in zones[:50]:
        assert members.buildings(z.id).tolist() == [z.area_id]
        persons = set(session.scalars(select(Person.id).where(Person.building_id == z.area_id)))
        assert set(members.persons(z.id).tolist()) == persons
        assert by_id[z.id].residents == len(persons)
        tiers = dict(
            session.execute(
                select(Person.special_tier, func.count())
                .where(Person.building_id == z.area_id, Person.special_tier.is_not(None))
                .group_by(Person.special_tier)
            ).all()
        )
        assert by_id[z.id].special.model_dump() == {
            t: tiers.get(t, 0) for t in ("red", "yellow", "green")
        }
    assert sum(z.residents for z in zones) == len(members.person_id)
    with pytest.raises(service.NotFoundError, match="zone_id: unknown zone id"):
        queries.zone_members(session=session, zone_ids=[10**8])

    home = session.get(Person, pid)
    assert home is not None
    area = session.get(Area, home.building_id)
    assert area is not None
    square = {"type": "Polygon", "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 0]]]}
    area.geometry = json.dumps(square)
    session.flush()
    geo = queries.zones_geojson(session=session)
    assert geo["type"] == "FeatureCollection" and len(geo["features"]) == len(zones)
    sources = {f["properties"]["area_id"]: f for f in geo["features"]}
    assert sources[home.building_id]["geometry"] == square
    assert sources[home.building_id]["properties"]["geometry_source"] == "polygon"
    others = [f for a, f in sources.items() if a != home.building_id]
    assert all(f["properties"]["geometry_source"] == "centroid" for f in others)
    assert all(f["geometry"]["type"] == "Point" for f in others)
    history = queries.zone_history(session=session, zone_id=ids[0])
    assert len(history) == 1 and history[0].rule_id == "delineation"
    np.testing.assert_array_equal(np.sort(members.building_zone), members.building_zone)
