"""Quarantine service: assign close contacts to sites, plan transfers, keep the roster.

:func:`assign_contacts` takes the contacts of the current investigations that
are not in quarantine yet (and are not cases themselves), their homes (person →
building → its lon/lat, projected to km) and the sites' rooms left, solves
:func:`epicontrol.core.operations.assignment.assign`, and writes one run and
the stays; re-running with nobody new writes nothing.  A household with a
member already in quarantine goes to that member's site.  Like every service
it flushes and never commits: the caller's transaction makes it all-or-nothing.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, aliased

from ...core.operations.assignment import AssignmentOptions, assign
from ...core.operations.transfers import TransferOptions, plan_transfers
from ..city.models import Area, City, Facility, Person
from ..tracing.models import Case, Contact, Investigation
from .models import (
    ACTIVE,
    TEST_RESULTS,
    QuarantineRun,
    QuarantineStay,
    QuarantineTest,
    TransferBatch,
    TransferStop,
)
from .schemas import (
    AssignOut,
    BatchOut,
    LateOut,
    Placement,
    QuarantineOptions,
    ReleaseOut,
    RosterEntry,
    SiteOccupancy,
    StopOut,
    TransfersOut,
    Unassigned,
)

EARTH_KM = 6371.0088


class NotFoundError(LookupError):
    """No such person in quarantine, site or stay."""


class QuarantineInputError(ValueError):
    """Bad input (names the field and the rule)."""


def project(lon: np.ndarray, lat: np.ndarray, lon0: float, lat0: float) -> np.ndarray:
    """Equirectangular projection to km around ``(lon0, lat0)`` (error < 0.1 % over 50 km)."""
    k = math.pi / 180.0 * EARTH_KM
    x = (np.asarray(lon, np.float64) - lon0) * k * math.cos(math.radians(lat0))
    y = (np.asarray(lat, np.float64) - lat0) * k
    return np.stack([x, y], axis=1)


def _sites(session: Session) -> list[tuple[Facility, float, float]]:
    rows = session.execute(
        select(Facility, Area.lon, Area.lat)
        .join(Area, Area.id == Facility.building_id)
        .where(Facility.kind == "quarantine_site")
        .order_by(Facility.id)
    ).all()
    out = []
    for fac, lon, lat in rows:
        if lon is None or lat is None:
            raise QuarantineInputError(f"site {fac.id}: its building has no lon/lat")
        out.append((fac, float(lon), float(lat)))
    return out


def _occupied(session: Session) -> dict[int, tuple[int, int]]:
    rows = session.execute(
        select(
            QuarantineStay.site_id,
            func.sum(QuarantineStay.rooms),
            func.sum(case((QuarantineStay.accessible_room, 1), else_=0)),
        )
        .where(QuarantineStay.status.in_(ACTIVE))
        .group_by(QuarantineStay.site_id)
    ).all()
    return {int(s): (int(r or 0), int(a or 0)) for s, r, a in rows}


def site_occupancy(*, session: Session) -> list[SiteOccupancy]:
    """Rooms, occupied and left per quarantine site (accessible rooms too)."""
    occupied = _occupied(session)
    out = []
    for fac, _, _ in _sites(session):
        used, acc_used = occupied.get(fac.id, (0, 0))
        rooms, acc = int(fac.rooms or 0), int(fac.accessible_rooms or 0)
        out.append(
            SiteOccupancy(
                site_id=fac.id,
                code=fac.code,
                name=fac.name,
                rooms=rooms,
                occupied=used,
                left=max(rooms - used, 0),
                accessible_rooms=acc,
                accessible_occupied=acc_used,
                accessible_left=max(acc - acc_used, 0),
            )
        )
    return out


def _candidates(
    session: Session, case_ids: Sequence[int] | None, categories: Sequence[str]
) -> dict[int, tuple[int, str, datetime]]:
    """Contacts to place: person → (case, category, case reported), first case wins."""
    q = (
        select(Contact.person_id, Contact.case_id, Contact.category, Case.reported_at)
        .join(Investigation, Investigation.id == Contact.investigation_id)
        .join(Case, Case.id == Investigation.case_id)
        .where(Investigation.status == "current", Contact.category.in_(list(categories)))
        .order_by(Contact.person_id, Case.reported_at, Contact.case_id)
    )
    if case_ids is not None:
        q = q.where(Investigation.case_id.in_(list(case_ids)))
    out: dict[int, tuple[int, str, datetime]] = {}
    for pid, cid, cat, reported in session.execute(q):
        out.setdefault(int(pid), (int(cid), str(cat), reported))
    cases = set(session.scalars(select(Case.person_id)).all())
    active = set(
        session.scalars(
            select(QuarantineStay.person_id).where(QuarantineStay.status.in_(ACTIVE))
        ).all()
    )
    return {p: v for p, v in out.items() if p not in cases and p not in active}


def assign_contacts(
    *,
    session: Session,
    now: datetime,
    case_ids: Sequence[int] | None = None,
    categories: Sequence[str] = ("close",),
    options: QuarantineOptions | None = None,
    transfers: bool = True,
) -> tuple[AssignOut, TransfersOut | None]:
    """Assign the current contacts not yet in quarantine; write the run, stays and transfers.

    Returns the assignment and, when ``transfers``, the transfer plan of its stays.
    Writes nothing when nobody new can be placed (idempotent).
    """
    opts = options or QuarantineOptions()
    bad = [c for c in categories if c not in ("close", "secondary", "general", "yellow_code")]
    if bad:
        raise QuarantineInputError(f"categories: unknown category {bad[0]!r}")
    if case_ids is not None:
        known = set(session.scalars(select(Case.id).where(Case.id.in_(list(case_ids)))).all())
        missing = [c for c in case_ids if c not in known]
        if missing:
            raise NotFoundError(f"case {missing[0]} does not exist")
    cands = _candidates(session, case_ids, categories)
    sites = _sites(session)
    if not sites:
        raise NotFoundError("no quarantine site in the store (facilities of kind quarantine_site)")
    pids = sorted(cands)
    home = (
        session.execute(
            select(Person.id, Person.household_id, Person.special_flags, Area.lon, Area.lat)
            .join(Area, Area.id == Person.building_id)
            .where(Person.id.in_(pids))
            .order_by(Person.id)
        ).all()
        if pids
        else []
    )
    pid = np.array([r[0] for r in home], np.int64)
    hid = np.array([r[1] for r in home], np.int64)
    need = np.array([(int(r[2] or 0) & opts.accessible_flags) != 0 for r in home], bool)
    lon = np.array([r[3] for r in home], np.float64)
    lat = np.array([r[4] for r in home], np.float64)
    s_lon = np.array([s[1] for s in sites])
    s_lat = np.array([s[2] for s in sites])
    lon0, lat0 = float(np.mean(s_lon)), float(np.mean(s_lat))
    xy = project(lon, lat, lon0, lat0) if len(pid) else np.zeros((0, 2))
    sxy = project(s_lon, s_lat, lon0, lat0)
    occupied = _occupied(session)
    sid = np.array([s[0].id for s in sites], np.int64)
    rooms = np.array(
        [max(int(s[0].rooms or 0) - occupied.get(s[0].id, (0, 0))[0], 0) for s in sites]
    )
    acc_left = np.array(
        [max(int(s[0].accessible_rooms or 0) - occupied.get(s[0].id, (0, 0))[1], 0) for s in sites]
    )
    acc_left = np.minimum(acc_left, rooms)
    # households with a member already in quarantine go to that member's site
    fixed = np.full(len(pid), -1, np.int64)
    if len(pid):
        rows = session.execute(
            select(QuarantineStay.household_id, QuarantineStay.site_id).where(
                QuarantineStay.status.in_(ACTIVE),
                QuarantineStay.household_id.in_(np.unique(hid).tolist()),
            )
        ).all()
        at = {int(h): int(s) for h, s in rows}
        fixed = np.array([at.get(int(h), -1) for h in hid], np.int64)
    result = assign(
        pid, hid, xy[:, 0], xy[:, 1], need, sid, sxy[:, 0], sxy[:, 1], rooms,
        acc_left > 0, acc_left, fixed_site=fixed,
        options=AssignmentOptions(
            share_rooms=opts.share_rooms,
            persons_per_room=opts.persons_per_room,
            time_limit=opts.time_limit,
        ),
    )  # fmt: skip
    placed = np.flatnonzero(result.site >= 0)
    unassigned = [
        Unassigned(person_id=int(pid[i]), household_id=int(hid[i]), reason=result.reason[i])
        for i in np.flatnonzero(result.site < 0).tolist()
    ]
    out = AssignOut(
        run_id=None,
        persons=result.persons,
        assigned=result.assigned,
        max_assignable=result.max_assignable,
        total_cost=result.total_cost,
        bound=result.bound,
        gap=result.gap,
        bound_source=result.bound_source,
        pruning_safe=result.pruning_safe,
        status=result.status,
        seconds=float(result.stats.get("seconds", 0.0)),
        placements=[
            Placement(
                person_id=int(pid[i]),
                household_id=int(hid[i]),
                site_id=int(result.site[i]),
                distance_km=float(result.distance[i]),
                rooms=int(result.rooms[i]),
                accessible_room=bool(result.accessible_rooms[i]),
            )
            for i in placed.tolist()
        ],
        unassigned=unassigned,
        stats={k: v for k, v in result.stats.items() if isinstance(v, int | float | str)},
    )
    if not len(placed):
        return out, None
    run = QuarantineRun(
        created_at=now,
        persons=result.persons,
        assigned=result.assigned,
        total_cost=result.total_cost,
        bound=result.bound,
        gap=result.gap,
        status=result.status,
        seconds=out.seconds,
        options=opts.model_dump_json(),
        unassigned=json.dumps([u.model_dump() for u in unassigned]),
    )
    session.add(run)
    session.flush()
    out.run_id = run.id
    due = now + timedelta(days=opts.release_days)
    for i in placed.tolist():
        case_id, category, reported = cands[int(pid[i])]
        session.add(
            QuarantineStay(
                run_id=run.id,
                person_id=int(pid[i]),
                site_id=int(result.site[i]),
                case_id=case_id,
                category=category,
                household_id=int(hid[i]),
                rooms=int(result.rooms[i]),
                accessible_room=bool(result.accessible_rooms[i]),
                needs_accessible=bool(need[i]),
                distance_km=float(result.distance[i]),
                status="assigned",
                assigned_at=now,
                deadline_at=reported + timedelta(hours=opts.deadline_hours),
                release_due_at=due,
            )
        )
    session.flush()
    plan = plan_transfers_for(session=session, now=now, options=opts) if transfers else None
    return out, plan


def plan_transfers_for(
    *, session: Session, now: datetime, options: QuarantineOptions | None = None
) -> TransfersOut:
    """Batches for every assigned stay without a transfer yet (flush only)."""
    opts = options or QuarantineOptions()
    rows = session.execute(
        select(QuarantineStay, Person.building_id, Area.lon, Area.lat)
        .join(Person, Person.id == QuarantineStay.person_id)
        .join(Area, Area.id == Person.building_id)
        .where(QuarantineStay.status == "assigned", QuarantineStay.stop_id.is_(None))
        .order_by(QuarantineStay.site_id, QuarantineStay.household_id, QuarantineStay.person_id)
    ).all()
    if not rows:
        return TransfersOut(batches=[], late=[], persons=0, vehicles=0)
    sites = _sites(session)
    s_lon = np.array([s[1] for s in sites])
    s_lat = np.array([s[2] for s in sites])
    lon0, lat0 = float(np.mean(s_lon)), float(np.mean(s_lat))
    sxy = project(s_lon, s_lat, lon0, lat0)
    # one stop per (site, household)
    groups: dict[tuple[int, int], list[tuple[QuarantineStay, int, float, float]]] = defaultdict(
        list
    )
    for stay, building, lon, lat in rows:
        groups[(stay.site_id, stay.household_id)].append(
            (stay, int(building), float(lon or 0.0), float(lat or 0.0))
        )
    keys = list(groups)
    first = [groups[k][0] for k in keys]
    xy = project(np.array([f[2] for f in first]), np.array([f[3] for f in first]), lon0, lat0)
    deadline = np.array(
        [
            min(int((m[0].deadline_at - now) // timedelta(minutes=1)) for m in groups[k])
            for k in keys
        ],
        np.int64,
    )
    plan = plan_transfers(
        np.array([k[0] for k in keys], np.int64),
        xy[:, 0],
        xy[:, 1],
        np.array([len(groups[k]) for k in keys], np.int64),
        deadline,
        np.array([s[0].id for s in sites], np.int64),
        sxy[:, 0],
        sxy[:, 1],
        ready=opts.ready_minutes,
        options=TransferOptions(
            seats=opts.seats,
            speed_kmh=opts.speed_kmh,
            detour=opts.detour,
            stop_minutes=opts.stop_minutes,
            vehicles_per_site=opts.vehicles_per_site,
            seconds_per_site=opts.search_seconds_per_site,
        ),
    )

    def at(minutes: int) -> datetime:
        return now + timedelta(minutes=int(minutes))

    taken = {k: 0 for k in keys}
    batches: list[BatchOut] = []
    for b in plan.batches:
        row = TransferBatch(
            site_id=b.site,
            created_at=now,
            vehicle=b.vehicle,
            trip=b.trip,
            depart_at=at(b.depart),
            arrive_at=at(b.arrive),
            deadline_at=at(b.deadline),
            persons=b.persons,
            seats=opts.seats,
            on_time=b.on_time,
        )
        session.add(row)
        session.flush()
        stops: list[StopOut] = []
        for seq, (s, when, load) in enumerate(zip(b.stops, b.pickups, b.loads, strict=True), 1):
            key = keys[s]
            members = groups[key][taken[key] : taken[key] + load]
            taken[key] += load
            stop = TransferStop(
                batch_id=row.id,
                seq=seq,
                household_id=key[1],
                building_id=members[0][1],
                persons=load,
                pickup_at=at(when),
            )
            session.add(stop)
            session.flush()
            for stay, *_ in members:
                stay.stop_id = stop.id
            stops.append(StopOut(seq=seq, household_id=key[1], persons=load, pickup_at=at(when)))
        batches.append(
            BatchOut(
                batch_id=row.id,
                site_id=b.site,
                vehicle=b.vehicle,
                trip=b.trip,
                depart_at=at(b.depart),
                arrive_at=at(b.arrive),
                deadline_at=at(b.deadline),
                persons=b.persons,
                on_time=b.on_time,
                stops=stops,
            )
        )
    session.flush()
    late = [
        LateOut(
            person_id=m[0].person_id,
            site_id=keys[i][0],
            reason=plan.late_reason[i],
            deadline_at=at(int(deadline[i])),
            earliest_arrival_at=at(int(plan.earliest_arrival[i])),
        )
        for i, k in enumerate(keys)
        if plan.late_reason[i]
        for m in groups[k]
    ]
    vehicles = len({(b.site_id, b.vehicle) for b in batches})
    offset = session.scalar(select(City.utc_offset_minutes)) or 0
    return TransfersOut(
        batches=batches,
        late=late,
        persons=len(rows),
        vehicles=vehicles,
        utc_offset_minutes=int(offset),
    )


def transfer_batches(*, session: Session, site_id: int | None = None) -> list[BatchOut]:
    """Stored batches with their stops, by site and departure."""
    q = select(TransferBatch).order_by(TransferBatch.site_id, TransferBatch.depart_at)
    if site_id is not None:
        q = q.where(TransferBatch.site_id == site_id)
    batches = session.scalars(q).all()
    stops: dict[int, list[StopOut]] = defaultdict(list)
    if batches:
        for s in session.scalars(
            select(TransferStop)
            .where(TransferStop.batch_id.in_([b.id for b in batches]))
            .order_by(TransferStop.batch_id, TransferStop.seq)
        ):
            stops[s.batch_id].append(
                StopOut(
                    seq=s.seq, household_id=s.household_id, persons=s.persons, pickup_at=s.pickup_at
                )
            )
    return [
        BatchOut(
            batch_id=b.id,
            site_id=b.site_id,
            vehicle=b.vehicle,
            trip=b.trip,
            depart_at=b.depart_at,
            arrive_at=b.arrive_at,
            deadline_at=b.deadline_at,
            persons=b.persons,
            on_time=b.on_time,
            stops=stops[b.id],
        )
        for b in batches
    ]


# --------------------------------------------------------------------------- roster


def _active_stay(session: Session, person_id: int) -> QuarantineStay:
    stay = session.scalars(
        select(QuarantineStay)
        .where(QuarantineStay.person_id == person_id, QuarantineStay.status.in_(ACTIVE))
        .with_for_update()
    ).first()
    if stay is None:
        raise NotFoundError(f"person {person_id} has no quarantine stay")
    return stay


def admit(*, session: Session, person_ids: Sequence[int], at: datetime) -> list[int]:
    """Admit persons on arrival (all or none): the quarantine period counts from ``at``.

    The period is the one the stay was assigned with (``release_days``).  A
    person already admitted is left as is (re-sending an admission changes
    nothing).  Returns the stays admitted now.
    """
    stays = [_active_stay(session, p) for p in person_ids]
    done = []
    for stay in stays:
        if stay.status == "assigned":
            period = stay.release_due_at - stay.assigned_at
            stay.status = "admitted"
            stay.admitted_at = at
            stay.release_due_at = at + period
            done.append(stay.id)
    session.flush()
    return done


def record_test(
    *, session: Session, person_id: int, tested_on: date, result: str, now: datetime
) -> int:
    """Record a test of an admitted person's stay (one per day; re-recording a day replaces it)."""
    if result not in TEST_RESULTS:
        raise QuarantineInputError(f"result: must be one of {', '.join(TEST_RESULTS)}")
    stay = _active_stay(session, person_id)
    if stay.status != "admitted" or stay.admitted_at is None:
        raise QuarantineInputError(f"person {person_id}: must be admitted before a test")
    row = session.scalars(
        select(QuarantineTest).where(
            QuarantineTest.stay_id == stay.id, QuarantineTest.tested_on == tested_on
        )
    ).first()
    if row is None:
        row = QuarantineTest(stay_id=stay.id, tested_on=tested_on, result=result, recorded_at=now)
        session.add(row)
    else:
        row.result, row.recorded_at = result, now
    session.flush()
    return row.id


def _offset(session: Session) -> timedelta:
    city = session.scalars(select(City).limit(1)).first()
    return timedelta(minutes=city.utc_offset_minutes if city else 0)


def release_due(
    *, session: Session, today: date, now: datetime, require_negative_test: bool = True
) -> ReleaseOut:
    """Release admitted stays due by ``today`` (local date) whose last test is negative.

    Held back, with the reason: a positive test during the stay
    (``positive_test``), or no negative test on ``today`` or the day before
    (``no_recent_negative_test``).
    """
    offset = _offset(session)
    stays = session.scalars(
        select(QuarantineStay)
        .where(QuarantineStay.status == "admitted")
        .order_by(QuarantineStay.id)
        .with_for_update()
    ).all()
    due = [s for s in stays if (s.release_due_at + offset).date() <= today]
    tests: dict[int, list[QuarantineTest]] = defaultdict(list)
    if due:
        for t in session.scalars(
            select(QuarantineTest)
            .where(QuarantineTest.stay_id.in_([s.id for s in due]))
            .order_by(QuarantineTest.tested_on)
        ):
            tests[t.stay_id].append(t)
    released, held = [], []
    for s in due:
        mine = tests[s.id]
        reason = ""
        if any(t.result == "positive" for t in mine):
            reason = "positive_test"
        elif require_negative_test:
            recent = [t for t in mine if t.tested_on >= today - timedelta(days=1)]
            if not recent or recent[-1].result != "negative":
                reason = "no_recent_negative_test"
        if reason:
            held.append(
                Unassigned(person_id=s.person_id, household_id=s.household_id, reason=reason)
            )
            continue
        s.status = "released"
        s.released_at = now
        released.append(s.person_id)
    session.flush()
    return ReleaseOut(today=today, released=released, held=held)


def roster(*, session: Session, site_id: int | None = None) -> list[RosterEntry]:
    """Every stay (newest run first), optionally of one site, with its tests and batch."""
    n_tests = (
        select(QuarantineTest.stay_id, func.count().label("n"))
        .group_by(QuarantineTest.stay_id)
        .subquery()
    )
    stop = aliased(TransferStop)
    q = (
        select(QuarantineStay, n_tests.c.n, stop.batch_id)
        .outerjoin(n_tests, n_tests.c.stay_id == QuarantineStay.id)
        .outerjoin(stop, stop.id == QuarantineStay.stop_id)
        .order_by(QuarantineStay.site_id, QuarantineStay.person_id, QuarantineStay.id)
    )
    if site_id is not None:
        if session.get(Facility, site_id) is None:
            raise NotFoundError(f"site {site_id} does not exist")
        q = q.where(QuarantineStay.site_id == site_id)
    rows = session.execute(q).all()
    last: dict[int, str] = {}
    if rows:
        for t in session.scalars(
            select(QuarantineTest)
            .where(QuarantineTest.stay_id.in_([r[0].id for r in rows]))
            .order_by(QuarantineTest.tested_on)
        ):
            last[t.stay_id] = f"{t.tested_on.isoformat()} {t.result}"
    return [
        RosterEntry(
            stay_id=s.id,
            person_id=s.person_id,
            site_id=s.site_id,
            case_id=s.case_id,
            category=s.category,
            status=s.status,
            assigned_at=s.assigned_at,
            deadline_at=s.deadline_at,
            admitted_at=s.admitted_at,
            release_due_at=s.release_due_at,
            released_at=s.released_at,
            tests=int(n or 0),
            last_test=last.get(s.id),
            batch_id=batch,
        )
        for s, n, batch in rows
    ]
