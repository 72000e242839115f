"""Zones service: draw zones around cases and run the rules for a day.

:func:`delineate` reads the cases (home building from ``persons``, the
check-ins of each infectious window from the tracing index), calls
:func:`epicontrol.core.zones.delineate` and merges the result into the store:
new units open zones, stricter levels escalate existing ones, the same level
restarts their clock, looser levels only add the case as a source.  A case is
delineated once; re-sending it changes nothing.  :func:`evaluate` runs
:func:`epicontrol.core.zones.step` for every day from the last evaluated day
up to the one asked (so missed days are caught up exactly) and records each
day, so evaluating a day again changes nothing.  Like every service they flush
and never commit.  The read functions are in :mod:`.queries`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from ...core.city.schemas import LEVEL
from ...core.tracing.rules import TracingRules, infectious_window
from ...core.zones import (
    REASONS,
    STATES,
    AreaGraph,
    DelineationParams,
    FieldError,
    Footprints,
    ZoneRules,
    ZoneState,
    step,
)
from ...core.zones import delineate as core_delineate
from ...core.zones.delineation import Delineation
from ...core.zones.rules import DELINEATION_RULE, LIFTED, ZONE_LEVELS
from ..city.models import Area, AreaAdjacency, City, Person, Venue
from ..tracing.context import Clock, LakeIndex
from ..tracing.models import Case, Investigation
from .models import ZONE_CASE_STATUSES, Zone, ZoneChange, ZoneEvaluation, ZoneSource
from .schemas import ChangeOut, DayOut, DelineationOut, EvaluationOut

I64 = NDArray[np.int64]
#: Longest catch-up of missed days one ``evaluate`` does.
MAX_CATCH_UP_DAYS = 366
#: Cases named in one history reason (the rest are counted).
NAMED_CASES = 5


class ZoneError(RuntimeError):
    """The workspace cannot hold zones yet (no city)."""


class ZoneInputError(ValueError):
    """Bad input: ``field`` names it (``case_id``, ``persons.building_id``, ``--date``...)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class NotFoundError(LookupError):
    """A case or zone asked for does not exist."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- loading


@dataclass(frozen=True)
class CityArrays:
    """What the zone engines need of the city, loaded once per command."""

    graph: AreaGraph
    clock: Clock
    venue_building: I64
    n_persons: int


def _ints(session: Session, *columns: object) -> NDArray[np.int64]:
    rows = session.execute(select(*columns)).all()  # type: ignore[call-overload]
    if not rows:
        return np.zeros((0, len(columns)), np.int64)
    # plain tuples: numpy reads a list of Row objects element by element, ~50x slower
    return np.array([tuple(r) for r in rows], dtype=np.int64).reshape(len(rows), len(columns))


def load_city(session: Session) -> CityArrays:
    """The area graph, the clock and venue buildings of the store's city."""
    city = session.scalars(select(City).limit(1)).first()
    if city is None:
        raise ZoneError("the store holds no city yet: run `epicontrol city generate` or import")
    rows = session.execute(select(Area.id, Area.parent_id, Area.level)).all()
    ids = np.array([r[0] for r in rows], np.int64)
    parents = np.array([-1 if r[1] is None else r[1] for r in rows], np.int64)
    levels = np.array([LEVEL[r[2]] for r in rows], np.int64)
    edges = _ints(session, AreaAdjacency.area_a, AreaAdjacency.area_b)
    graph = AreaGraph.build(
        area_id=ids, parent_id=parents, level=levels, edge_a=edges[:, 0], edge_b=edges[:, 1]
    )
    venues = _ints(session, Venue.id, Venue.building_id)
    venue_building = np.full(int(venues[:, 0].max()) + 1 if len(venues) else 0, -1, np.int64)
    venue_building[venues[:, 0]] = venues[:, 1]
    n_persons = int(session.scalar(select(func.coalesce(func.max(Person.id) + 1, 0))) or 0)
    return CityArrays(graph, Clock.of(city), venue_building, n_persons)


@dataclass(frozen=True)
class CaseRow:
    id: int
    person_id: int
    status: str
    building_id: int
    day: date
    window: tuple[int, int] | None


def _case_rows(session: Session, clock: Clock, where: object) -> list[CaseRow]:
    rows = session.execute(
        select(
            Case.id,
            Case.person_id,
            Case.status,
            Case.onset_at,
            Case.sample_at,
            Case.isolated_at,
            Case.reported_at,
            Person.building_id,
        )
        .join(Person, Person.id == Case.person_id)
        .where(where)  # type: ignore[arg-type]
        .order_by(Case.id)
    ).all()
    ids = [r[0] for r in rows]
    windows: dict[int, tuple[int, int]] = {}
    for i in range(0, len(ids), 1000):
        for case_id, start, end in session.execute(
            select(
                Investigation.case_id, Investigation.window_start_at, Investigation.window_end_at
            ).where(Investigation.case_id.in_(ids[i : i + 1000]), Investigation.status == "current")
        ):
            windows[case_id] = (clock.store_minutes(start), clock.store_minutes(end))
    out = []
    for cid, pid, status, onset, sample, isolated, reported, building in rows:
        window = windows.get(cid)
        if window is None and (onset is not None or sample is not None):
            until = clock.store_minutes(isolated) if isolated is not None else None
            window = _window(clock, onset, sample, until)
        out.append(CaseRow(cid, pid, status, building, clock.from_store(reported).date(), window))
    return out


def _window(
    clock: Clock, onset: datetime | None, sample: datetime | None, end: int | None
) -> tuple[int, int] | None:
    """The tracing rules' infectious window; open-ended (to the lake's end) when not isolated."""
    o = None if onset is None else clock.store_minutes(onset)
    s = None if sample is None else clock.store_minutes(sample)
    try:
        return infectious_window(onset=o, sample=s, isolated=end or 2**31 - 1, rules=TracingRules())
    except ValueError:
        return None


def delineated_case_ids(session: Session, case_ids: Sequence[int] | None = None) -> set[int]:
    """Cases that already have zones (are sources of a zone)."""
    query = select(ZoneSource.case_id).distinct()
    if case_ids is None:
        return set(session.scalars(query))
    out: set[int] = set()
    unique = sorted(set(case_ids))
    for i in range(0, len(unique), 1000):
        out |= set(session.scalars(query.where(ZoneSource.case_id.in_(unique[i : i + 1000]))))
    return out


def _cases_for(session: Session, city: CityArrays, case_ids: Sequence[int] | None) -> list[CaseRow]:
    if case_ids is None:
        return _case_rows(session, city.clock, Case.status.in_(ZONE_CASE_STATUSES))
    rows: list[CaseRow] = []
    unique = sorted(set(case_ids))
    for i in range(0, len(unique), 1000):
        rows += _case_rows(session, city.clock, Case.id.in_(unique[i : i + 1000]))
    missing = sorted(set(unique) - {r.id for r in rows})
    if missing:
        raise NotFoundError(f"case_id: unknown case id(s) {', '.join(map(str, missing[:20]))}")
    suspected = [r.id for r in rows if r.status not in ZONE_CASE_STATUSES]
    if suspected:
        raise ZoneInputError(
            "case_id",
            f"case(s) {', '.join(map(str, suspected[:20]))} are suspected: zones are drawn for "
            f"{' and '.join(ZONE_CASE_STATUSES)} cases",
        )
    return rows


def footprints(cases: Sequence[CaseRow], city: CityArrays, lake: LakeIndex | None) -> Footprints:
    """Home buildings and each case's check-ins clipped to its infectious window."""
    visit_case: list[I64] = []
    visit_building: list[I64] = []
    visit_minutes: list[I64] = []
    if lake is not None:
        index = lake.index
        for k, case in enumerate(cases):
            if case.window is None or not 0 <= case.person_id < index.n_persons:
                continue
            t0, t1 = case.window
            t1 = min(t1, max(index.t_max, t0 + 1))
            if t1 <= t0:
                continue
            venue, t_in, t_out = index.of_person(case.person_id, t0, t1)
            if not len(venue):
                continue
            minutes = np.minimum(t_out, t1).astype(np.int64) - np.maximum(t_in, t0)
            bad = (venue < 0) | (venue >= len(city.venue_building))
            if bad.any():
                raise ZoneInputError(
                    "venues.building_id",
                    f"case {case.id}: venue {int(venue[bad][0])} of a check-in is not in the store",
                )
            visit_case.append(np.full(len(venue), k, np.int64))
            visit_building.append(city.venue_building[venue.astype(np.int64)])
            visit_minutes.append(minutes.astype(np.int64))
    return Footprints.of(
        home_building=np.array([c.building_id for c in cases], np.int64),
        visit_case=np.concatenate(visit_case) if visit_case else np.zeros(0, np.int64),
        visit_building=np.concatenate(visit_building) if visit_building else np.zeros(0, np.int64),
        visit_minutes=np.concatenate(visit_minutes) if visit_minutes else np.zeros(0, np.int64),
    )


# --------------------------------------------------------------------------- delineation


def _reason(case_ids: list[int], reasons: list[str], minutes: list[int]) -> str:
    parts = []
    for cid, why, m in list(zip(case_ids, reasons, minutes, strict=True))[:NAMED_CASES]:
        parts.append(f"case {cid}: {why}" + (f" ({m} min)" if why in ("stayed", "visited") else ""))
    more = len(case_ids) - NAMED_CASES
    return "; ".join(parts) + (f"; and {more} more cases" if more > 0 else "")


def delineate(
    *,
    session: Session,
    rules: ZoneRules,
    lake: LakeIndex | None,
    case_ids: Sequence[int] | None = None,
    unit: str | None = None,
    now: datetime | None = None,
    city: CityArrays | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> DelineationOut:
    """Draw the zones of ``case_ids`` (default: every confirmed or asymptomatic case
    without zones yet) at ``unit`` (default: the rules' unit) and merge them (flush only).

    ``lake`` gives the check-ins (``None``: home units and their surroundings
    only).  A case already delineated is skipped.  Raises
    :class:`NotFoundError` for unknown case ids and :class:`ZoneInputError`
    (naming the field) for a suspected case or a case whose home is not a
    known building; nothing is written then.
    """
    rules = rules.with_unit(unit)
    city = city or load_city(session)
    now = now or utcnow()
    rows = _cases_for(session, city, case_ids)
    done = delineated_case_ids(session, [r.id for r in rows])
    todo = [r for r in rows if r.id not in done]
    skipped = sorted(r.id for r in rows if r.id in done)
    params = rules.delineation
    if on_progress:
        on_progress(0, 3)
    try:
        fp = footprints(todo, city, lake)
        if on_progress:
            on_progress(1, 3)
        drawn = core_delineate(city.graph, fp, params)
    except FieldError as exc:
        if exc.index is not None and exc.field == "home_building":
            case = todo[exc.index]
            raise ZoneInputError(
                "persons.building_id",
                f"case {case.id} (person {case.person_id}) lives in {case.building_id}, which is "
                f"not a known building: {exc}",
            ) from None
        if exc.field == "visit_building":
            raise ZoneInputError("venues.building_id", str(exc)) from None
        raise ZoneInputError(exc.field, str(exc)) from None
    if on_progress:
        on_progress(2, 3)
    out = _merge(session, drawn, todo, params, now)
    if on_progress:
        on_progress(3, 3)
    return DelineationOut(
        unit=params.unit,
        rules=rules.source,
        cases=[r.id for r in todo],
        skipped=skipped,
        units=drawn.counts(),
        checkins=lake is not None,
        **out,
    )


def _merge(
    session: Session,
    drawn: Delineation,
    cases: Sequence[CaseRow],
    params: DelineationParams,
    now: datetime,
) -> dict[str, Any]:
    n = len(drawn.unit)
    result: dict[str, Any] = {
        "created": 0,
        "escalated": 0,
        "restarted": 0,
        "unchanged": 0,
        "zone_ids": [],
    }
    if not n:
        return result
    case_id = np.array([c.id for c in cases], np.int64)
    case_day = np.array([c.day.toordinal() for c in cases], np.int64)
    unit_day = np.zeros(n, np.int64)
    np.maximum.at(unit_day, drawn.source_row, case_day[drawn.source_case])
    starts = np.searchsorted(drawn.source_row, np.arange(n + 1))
    existing = {
        z.area_id: z
        for z in session.scalars(
            select(Zone).where(Zone.status == "active", Zone.unit_level == params.unit)
        )
    }
    src_case = case_id[drawn.source_case].tolist()
    src_reason = [REASONS[int(r)] for r in drawn.source_reason]
    src_minutes = drawn.source_minutes.tolist()
    units = drawn.unit.tolist()
    levels = drawn.level.tolist()
    days = [date.fromordinal(int(d)) for d in unit_day]
    history: list[dict[str, object]] = []
    new_rows: list[int] = []
    zone_of_row: list[int] = [0] * n
    counts = {"created": 0, "escalated": 0, "restarted": 0, "unchanged": 0}
    for i in range(n):
        a, b = int(starts[i]), int(starts[i + 1])
        zone = existing.get(units[i])
        level = ZONE_LEVELS[levels[i]]
        if zone is None:
            new_rows.append(i)
            continue
        zone_of_row[i] = zone.id
        why = _reason(src_case[a:b], src_reason[a:b], src_minutes[a:b])
        old = ZONE_LEVELS.index(zone.level)
        if levels[i] < old or (levels[i] == old and days[i] > zone.level_day):
            kind = "escalated" if levels[i] < old else "restarted"
            history.append(
                {
                    "zone_id": zone.id,
                    "day": days[i],
                    "recorded_at": now,
                    "from_level": zone.level,
                    "to_level": level,
                    "rule_id": DELINEATION_RULE,
                    "reason": why if kind == "escalated" else f"clock restarted: {why}",
                    "case_id": src_case[a],
                }
            )
            zone.level = level
            zone.level_day = max(days[i], zone.level_day) if kind == "restarted" else days[i]
            zone.changed_at = now
            counts[kind] += 1
        else:
            counts["unchanged"] += 1
    if new_rows:
        created = session.execute(
            insert(Zone).returning(Zone.id, sort_by_parameter_order=True),
            [
                {
                    "area_id": units[i],
                    "unit_level": params.unit,
                    "level": ZONE_LEVELS[levels[i]],
                    "status": "active",
                    "level_day": days[i],
                    "opened_at": now,
                    "changed_at": now,
                    "lifted_at": None,
                }
                for i in new_rows
            ],
        ).scalars()
        for i, zone_id in zip(new_rows, created, strict=True):
            zone_of_row[i] = int(zone_id)
            a, b = int(starts[i]), int(starts[i + 1])
            history.append(
                {
                    "zone_id": int(zone_id),
                    "day": days[i],
                    "recorded_at": now,
                    "from_level": None,
                    "to_level": ZONE_LEVELS[levels[i]],
                    "rule_id": DELINEATION_RULE,
                    "reason": _reason(src_case[a:b], src_reason[a:b], src_minutes[a:b]),
                    "case_id": src_case[a],
                }
            )
        counts["created"] = len(new_rows)
    session.flush()
    rows = drawn.source_row.tolist()
    session.execute(
        insert(ZoneSource),
        [
            {
                "zone_id": zone_of_row[r],
                "case_id": c,
                "reason": why,
                "minutes": m,
                "added_at": now,
            }
            for r, c, why, m in zip(rows, src_case, src_reason, src_minutes, strict=True)
        ],
    )
    if history:
        session.execute(insert(ZoneChange), history)
    session.flush()
    return {**counts, "zone_ids": sorted(set(zone_of_row))}


# --------------------------------------------------------------------------- evaluation


def _daily_cases(session: Session, clock: Clock) -> dict[date, list[tuple[int, int]]]:
    """Every confirmed or asymptomatic case by local report day: (case id, home building)."""
    out: dict[date, list[tuple[int, int]]] = {}
    for cid, reported, building in session.execute(
        select(Case.id, Case.reported_at, Person.building_id)
        .join(Person, Person.id == Case.person_id)
        .where(Case.status.in_(ZONE_CASE_STATUSES))
        .order_by(Case.id)
    ):
        out.setdefault(clock.from_store(reported).date(), []).append((cid, building))
    return out


def change_out(row: ZoneChange, area_id: int, clock: Clock) -> ChangeOut:
    return ChangeOut(
        id=row.id,
        zone_id=row.zone_id,
        area_id=area_id,
        day=row.day,
        recorded_at=clock.from_store(row.recorded_at),
        from_level=row.from_level,
        to_level=row.to_level,
        rule_id=row.rule_id,
        reason=row.reason,
        case_id=row.case_id,
    )


def _day_changes(session: Session, day: date, clock: Clock) -> list[ChangeOut]:
    rows = session.execute(
        select(ZoneChange, Zone.area_id)
        .join(Zone, Zone.id == ZoneChange.zone_id)
        .where(ZoneChange.day == day, ZoneChange.rule_id != DELINEATION_RULE)
        .order_by(ZoneChange.id)
    ).all()
    return [change_out(r, a, clock) for r, a in rows]


def _groups(graph: AreaGraph, zones: Sequence[Zone], params: DelineationParams) -> I64:
    """Prevention area of each zone (at the group level the rules give for its unit)."""
    area = np.array([z.area_id for z in zones], np.int64)
    unit = np.array([LEVEL[z.unit_level] for z in zones], np.int64)
    out = np.full(len(zones), -1, np.int64)
    for ul in np.unique(unit).tolist():
        sel = unit == ul
        name = next(u for u, lv in LEVEL.items() if lv == ul)
        p = DelineationParams(
            unit=name,
            stay_minutes=params.stay_minutes,
            prevention_level=params.prevention_level,
            prevention_radius=params.prevention_radius,
        )
        level = p.group_level if p.group_level < ul else ul - 1
        out[sel] = graph.ancestor(area[sel], level)
    return out


def _cases_inside(graph: AreaGraph, zones: Sequence[Zone], homes: I64) -> tuple[I64, I64]:
    """New cases inside each zone and the position in ``homes`` of the first one (-1)."""
    n = len(zones)
    count = np.zeros(n, np.int64)
    first = np.full(n, -1, np.int64)
    if not len(homes) or not n:
        return count, first
    area = np.array([z.area_id for z in zones], np.int64)
    unit = np.array([LEVEL[z.unit_level] for z in zones], np.int64)
    for ul in np.unique(unit).tolist():
        sel = np.flatnonzero(unit == ul)
        lookup = np.full(graph.n_areas, -1, np.int64)
        lookup[area[sel]] = sel
        of = graph.ancestor(homes, int(ul))
        zone = np.where(of >= 0, lookup[np.maximum(of, 0)], -1)
        inside = np.flatnonzero(zone >= 0)
        np.add.at(count, zone[inside], 1)
        for k in inside[::-1].tolist():
            first[zone[k]] = k
    return count, first


def evaluate(
    *,
    session: Session,
    day: date,
    rules: ZoneRules,
    lake: LakeIndex | None,
    now: datetime | None = None,
    city: CityArrays | None = None,
    on_day: Callable[[int, int], None] | None = None,
) -> EvaluationOut:
    """Run the rules for ``day`` (local date), catching up every day since the last
    evaluated one; a day already evaluated is not run again (flush only).

    Each day: the day's new cases inside each active zone, the city's daily
    counts and the zones' states go through :func:`epicontrol.core.zones.step`;
    the transitions are applied and written to the history, and, when the
    rules say ``redelineate``, the day's new cases are delineated.
    """
    city = city or load_city(session)
    now = now or utcnow()
    evaluated = set(session.scalars(select(ZoneEvaluation.day)))
    if day in evaluated:
        return _already(session, day, rules, city)
    last = max(evaluated) if evaluated else None
    if last is not None and day < last:
        raise ZoneInputError(
            "--date",
            f"{day} is before the first evaluated day ({min(evaluated)}) and was never "
            "evaluated: the rules run forward from the first evaluated day",
        )
    if last is not None:
        start = last + timedelta(days=1)
    else:
        first = session.scalar(select(func.min(Zone.level_day)).where(Zone.status == "active"))
        start = min(first, day) if first is not None else day
    if (day - start).days >= MAX_CATCH_UP_DAYS:
        raise ZoneInputError(
            "--date",
            f"{day} is {(day - start).days} days after {start}, the first day to evaluate; "
            f"one evaluation catches up at most {MAX_CATCH_UP_DAYS} days",
        )
    by_day = _daily_cases(session, city.clock)
    origin = min([*by_day, start])
    total = (day - start).days + 1
    days: list[DayOut] = []
    for k in range(total):
        d = start + timedelta(days=k)
        counts = [
            len(by_day.get(origin + timedelta(days=j), [])) for j in range((d - origin).days + 1)
        ]
        days.append(_evaluate_day(session, d, rules, city, lake, by_day.get(d, []), counts, now))
        if on_day:
            on_day(k + 1, total)
    active = dict.fromkeys(ZONE_LEVELS, 0)
    for level, n in session.execute(
        select(Zone.level, func.count()).where(Zone.status == "active").group_by(Zone.level)
    ):
        active[level] = int(n)
    return EvaluationOut(day=day, rules=rules.source, days=days, active=active)


def _already(session: Session, day: date, rules: ZoneRules, city: CityArrays) -> EvaluationOut:
    row = session.get(ZoneEvaluation, day)
    assert row is not None
    active = dict.fromkeys(ZONE_LEVELS, 0)
    for level, n in session.execute(
        select(Zone.level, func.count()).where(Zone.status == "active").group_by(Zone.level)
    ):
        active[level] = int(n)
    out = DayOut(
        day=day,
        city_cases=row.city_cases,
        surge=row.surge,
        frozen=row.frozen,
        transitions=_day_changes(session, day, city.clock),
        delineated_cases=[],
        already_evaluated=True,
    )
    return EvaluationOut(day=day, rules=rules.source, days=[out], active=active)


def _evaluate_day(
    session: Session,
    d: date,
    rules: ZoneRules,
    city: CityArrays,
    lake: LakeIndex | None,
    new: list[tuple[int, int]],
    city_counts: list[int],
    now: datetime,
) -> DayOut:
    zones = list(
        session.scalars(
            select(Zone).where(Zone.status == "active", Zone.level_day <= d).order_by(Zone.id)
        )
    )
    homes = np.array([b for _, b in new], np.int64)
    inside, first = _cases_inside(city.graph, zones, homes)
    clear = np.array([(d - z.level_day).days - 1 for z in zones], np.int64)
    state = ZoneState.of(
        level=[ZONE_LEVELS.index(z.level) for z in zones],
        clear_days=np.maximum(clear, -1),
        group=_groups(city.graph, zones, rules.delineation),
    )
    result = step(state, new_cases=inside, city_cases=city_counts, rules=rules)
    t = result.transitions
    ids = rules.rule_ids
    history: list[dict[str, object]] = []
    moved = set()
    for k, (z, a, b, r) in enumerate(zip(t.zone, t.from_level, t.to_level, t.rule, strict=True)):
        zone = zones[int(z)]
        moved.add(int(z))
        history.append(
            {
                "zone_id": zone.id,
                "day": d,
                "recorded_at": now,
                "from_level": STATES[int(a)],
                "to_level": STATES[int(b)],
                "rule_id": ids[int(r)],
                "reason": t.reasons[k],
                "case_id": new[int(first[z])][0] if first[z] >= 0 else None,
            }
        )
        zone.changed_at = now
        zone.level_day = d
        if int(b) == LIFTED:
            zone.status = "lifted"
            zone.lifted_at = now
        else:
            zone.level = STATES[int(b)]
    for z in np.flatnonzero(inside > 0).tolist():
        zone = zones[z]
        if z in moved or zone.level_day >= d:  # the clock already starts today
            continue
        n = int(inside[z])
        history.append(
            {
                "zone_id": zone.id,
                "day": d,
                "recorded_at": now,
                "from_level": zone.level,
                "to_level": zone.level,
                "rule_id": rules.new_case.id,
                "reason": f"clock restarted: {n} new case(s) inside",
                "case_id": new[int(first[z])][0],
            }
        )
        zone.level_day = d
        zone.changed_at = now
    changes: list[ChangeOut] = []
    if history:
        created = session.execute(
            insert(ZoneChange).returning(ZoneChange.id, sort_by_parameter_order=True), history
        ).scalars()
        area_of = {z.id: z.area_id for z in zones}
        for row_id, h in zip(created, history, strict=True):
            zone_id = h["zone_id"]
            area = area_of[zone_id]  # type: ignore[index]
            changes.append(
                ChangeOut(
                    id=int(row_id),
                    zone_id=int(zone_id),  # type: ignore[call-overload]
                    area_id=area,
                    day=d,
                    recorded_at=city.clock.from_store(now),
                    from_level=h["from_level"],
                    to_level=h["to_level"],
                    rule_id=str(h["rule_id"]),
                    reason=str(h["reason"]),
                    case_id=h["case_id"],
                )
            )
    session.flush()
    delineated: list[int] = []
    if rules.new_case.redelineate and new:
        todo = sorted(set(c for c, _ in new) - delineated_case_ids(session, [c for c, _ in new]))
        if todo:
            out = delineate(
                session=session, rules=rules, lake=lake, case_ids=todo, now=now, city=city
            )
            delineated = out.cases
    session.add(
        ZoneEvaluation(
            day=d,
            evaluated_at=now,
            rules_source=rules.source[:200],
            rules_sha256=rules.sha256 or "-",
            city_cases=city_counts[-1] if city_counts else 0,
            transitions=len(t),
            delineated=len(delineated),
            surge=result.surge,
            frozen=result.frozen,
        )
    )
    session.flush()
    return DayOut(
        day=d,
        city_cases=city_counts[-1] if city_counts else 0,
        surge=result.surge,
        frozen=result.frozen,
        transitions=changes,
        delineated_cases=delineated,
    )


__all__ = [
    "CityArrays",
    "NotFoundError",
    "ZoneError",
    "ZoneInputError",
    "delineate",
    "delineated_case_ids",
    "evaluate",
    "load_city",
]
