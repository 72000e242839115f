"""Scoped queries of the API: every function takes the caller's :class:`Viewer`.

The scope of a role is enforced here, in the query layer, not only in the
views: a grid worker's queries are limited to their community (persons
living there, contacts routed to it through ``contacts.home_community_id``,
cases living there, zones on or above it, alerts of its areas), a department
officer's to their department (tasks of the department, alerts routed to it),
a facility manager's to their facility (its quarantine roster).  A record
outside the scope is reported as absent (:class:`ScopeNotFound`, 404) so that
ids cannot be probed; a role without access to a kind of record at all gets
:class:`AccessDenied` (403).

Phones and ID numbers are masked (:mod:`epicontrol.privacy`) unless the role
reveals them (:data:`~epicontrol.domains.users.schemas.REVEAL_ROLES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import Select, false, func, or_, select
from sqlalchemy.orm import Session, aliased

from ..core.city.schemas import SpecialFlag
from ..domains.city.models import Area, Facility, Person
from ..domains.quarantine.models import QuarantineStay
from ..domains.surveillance.models import Alert, AlertRecipient
from ..domains.tasks.models import Task
from ..domains.tracing.models import Case, Contact, Investigation
from ..domains.users.schemas import UtcDateTime, Viewer
from ..domains.zones.models import Zone
from ..privacy import mask_id_number, mask_phone


class AccessDenied(PermissionError):
    """The viewer's role or scope does not cover this record."""


class ScopeNotFound(LookupError):
    """The record does not exist (or is outside the viewer's scope and hidden as absent)."""


@dataclass(frozen=True)
class Window:
    """``limit``/``offset`` of a list query."""

    limit: int
    offset: int


def naive_utc(value: datetime | None) -> datetime | None:
    """A query time as the store's naive UTC (aware times converted, naive taken as UTC)."""
    if value is None or value.tzinfo is None:
        return value
    return value.astimezone(UTC).replace(tzinfo=None)


def allow(viewer: Viewer, roles: Sequence[str], what: str) -> None:
    """Raise :class:`AccessDenied` unless the viewer's role is one of ``roles``."""
    if viewer.role not in roles:
        raise AccessDenied(f"role: {viewer.role} may not read {what} (allowed: {', '.join(roles)})")


def _page(session: Session, query: Select[Any], window: Window) -> tuple[int, list[Any]]:
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.scalars(query.limit(window.limit).offset(window.offset)).all()
    return int(total or 0), list(rows)


# --------------------------------------------------------------------------- areas


def community_buildings(community_id: int) -> Select[Any]:
    """The ids of the buildings of a community (building → compound → community)."""
    compound = aliased(Area)
    building = aliased(Area)
    return (
        select(building.id)
        .join(compound, compound.id == building.parent_id)
        .where(compound.parent_id == community_id, building.level == "building")
    )


def community_areas(community_id: int) -> Select[Any]:
    """The community itself, its compounds and its buildings."""
    compound = aliased(Area)
    building = aliased(Area)
    below = (
        select(building.id)
        .join(compound, compound.id == building.parent_id)
        .where(compound.parent_id == community_id)
    )
    compounds = select(Area.id).where(Area.parent_id == community_id)
    return select(Area.id).where(
        or_(Area.id == community_id, Area.id.in_(compounds), Area.id.in_(below))
    )


def ancestors(session: Session, area_id: int) -> list[int]:
    """``area_id`` and every area above it, bottom up."""
    out: list[int] = []
    current: int | None = area_id
    while current is not None and len(out) < 16:
        out.append(current)
        current = session.scalar(select(Area.parent_id).where(Area.id == current))
    return out


def community_of(session: Session, area_id: int) -> int | None:
    """The community an area lies in (itself when it is one), or None above that level."""
    for aid in ancestors(session, area_id):
        if session.scalar(select(Area.level).where(Area.id == aid)) == "community":
            return aid
    return None


class AreaOut(BaseModel):
    id: int
    code: str
    level: str
    parent_id: int | None
    name: str
    name_en: str | None
    kind: str | None
    lon: float | None
    lat: float | None
    population: int
    households: int


def list_areas(
    *,
    session: Session,
    viewer: Viewer,
    window: Window,
    level: str | None = None,
    parent_id: int | None = None,
) -> tuple[int, list[AreaOut]]:
    """Areas (public information: names, levels, population), by id."""
    query = select(Area).order_by(Area.id)
    if level is not None:
        query = query.where(Area.level == level)
    if parent_id is not None:
        query = query.where(Area.parent_id == parent_id)
    total, rows = _page(session, query, window)
    return total, [AreaOut.model_validate(a, from_attributes=True) for a in rows]


def get_area(*, session: Session, area_id: int) -> AreaOut:
    area = session.get(Area, area_id)
    if area is None:
        raise ScopeNotFound(f"area {area_id} does not exist")
    return AreaOut.model_validate(area, from_attributes=True)


# --------------------------------------------------------------------------- persons

PERSON_ROLES = ("commander", "epidemiologist", "grid_worker")


class PersonRow(BaseModel):
    """A resident; ``phone`` and ``id_number`` masked unless ``masked`` is false."""

    id: int
    code: str
    household_id: int
    building_id: int
    community_id: int | None
    age: int
    sex: str
    occupation: str
    phone: str | None
    id_number: str | None
    special_flags: list[str]
    special_tier: str | None
    masked: bool


def _flags(value: int) -> list[str]:
    return [f.name.lower() for f in SpecialFlag if value & f and f.name]


def communities_of(session: Session, building_ids: Sequence[int]) -> dict[int, int | None]:
    """The community of each building (building → compound → community)."""
    buildings = sorted(set(building_ids))
    community: dict[int, int | None] = {}
    compound = aliased(Area)
    for i in range(0, len(buildings), 1000):
        chunk = buildings[i : i + 1000]
        for bid, cid in session.execute(
            select(Area.id, compound.parent_id)
            .outerjoin(compound, compound.id == Area.parent_id)
            .where(Area.id.in_(chunk))
        ):
            community[bid] = cid
    return community


def person_rows(session: Session, viewer: Viewer, persons: Sequence[Person]) -> list[PersonRow]:
    """Views of ``persons`` for ``viewer`` (masked per role), with their community."""
    community = communities_of(session, [p.building_id for p in persons])
    reveal = viewer.reveals_personal_data
    return [
        PersonRow(
            id=p.id,
            code=p.code,
            household_id=p.household_id,
            building_id=p.building_id,
            community_id=community.get(p.building_id),
            age=p.age,
            sex=p.sex,
            occupation=p.occupation,
            phone=p.phone if reveal else mask_phone(p.phone),
            id_number=p.id_number if reveal else mask_id_number(p.id_number),
            special_flags=_flags(p.special_flags),
            special_tier=p.special_tier,
            masked=not reveal,
        )
        for p in persons
    ]


def _person_scope(viewer: Viewer, query: Select[Any]) -> Select[Any]:
    allow(viewer, PERSON_ROLES, "persons")
    if viewer.role == "grid_worker":
        if viewer.community_id is None:
            return query.where(false())
        return query.where(Person.building_id.in_(community_buildings(viewer.community_id)))
    return query


def list_persons(
    *,
    session: Session,
    viewer: Viewer,
    window: Window,
    community_id: int | None = None,
    building_id: int | None = None,
    special_tier: str | None = None,
) -> tuple[int, list[PersonRow]]:
    """Residents in the viewer's scope, by id; filters by community, building, tier."""
    query = _person_scope(viewer, select(Person).order_by(Person.id))
    if community_id is not None:
        query = query.where(Person.building_id.in_(community_buildings(community_id)))
    if building_id is not None:
        query = query.where(Person.building_id == building_id)
    if special_tier is not None:
        query = query.where(Person.special_tier == special_tier)
    total, rows = _page(session, query, window)
    return total, person_rows(session, viewer, rows)


def get_person(*, session: Session, viewer: Viewer, person_id: int) -> PersonRow:
    query = _person_scope(viewer, select(Person).where(Person.id == person_id))
    person = session.scalars(query).first()
    if person is None:
        raise ScopeNotFound(f"person {person_id} does not exist")
    return person_rows(session, viewer, [person])[0]


# --------------------------------------------------------------------------- cases, contacts

CASE_ROLES = ("commander", "epidemiologist", "grid_worker")


class CaseRow(BaseModel):
    id: int
    person_id: int
    person_code: str
    community_id: int | None
    status: str
    onset_at: UtcDateTime | None
    sample_at: UtcDateTime | None
    isolated_at: UtcDateTime | None
    reported_at: UtcDateTime
    source: str
    updated_at: UtcDateTime


def _case_query(viewer: Viewer) -> Select[Case, Person]:
    allow(viewer, CASE_ROLES, "cases")
    query: Select[Case, Person] = select(Case, Person).join(Person, Person.id == Case.person_id)
    if viewer.role == "grid_worker":
        if viewer.community_id is None:
            return query.where(false())
        query = query.where(Person.building_id.in_(community_buildings(viewer.community_id)))
    return query


def _case_rows(session: Session, rows: Sequence[Any]) -> list[CaseRow]:
    community = communities_of(session, [p.building_id for _, p in rows])
    return [
        CaseRow(
            id=c.id,
            person_id=c.person_id,
            person_code=p.code,
            community_id=community.get(p.building_id),
            status=c.status,
            onset_at=c.onset_at,
            sample_at=c.sample_at,
            isolated_at=c.isolated_at,
            reported_at=c.reported_at,
            source=c.source,
            updated_at=c.updated_at,
        )
        for c, p in rows
    ]


def list_cases(
    *,
    session: Session,
    viewer: Viewer,
    window: Window,
    status: str | None = None,
    community_id: int | None = None,
    reported_from: datetime | None = None,
    reported_to: datetime | None = None,
) -> tuple[int, list[CaseRow]]:
    """Cases in the viewer's scope, newest report first; filters by status, area and date."""
    query = _case_query(viewer).order_by(Case.reported_at.desc(), Case.id.desc())
    if status is not None:
        query = query.where(Case.status == status)
    if community_id is not None:
        query = query.where(Person.building_id.in_(community_buildings(community_id)))
    if reported_from is not None:
        query = query.where(Case.reported_at >= reported_from)
    if reported_to is not None:
        query = query.where(Case.reported_at < reported_to)
    total = session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    rows = session.execute(query.limit(window.limit).offset(window.offset)).all()
    return int(total or 0), _case_rows(session, rows)


def get_case(*, session: Session, viewer: Viewer, case_id: int) -> CaseRow:
    row = session.execute(_case_query(viewer).where(Case.id == case_id)).first()
    if row is None:
        raise ScopeNotFound(f"case {case_id} does not exist")
    return _case_rows(session, [row])[0]


class ContactRow(BaseModel):
    investigation_id: int
    case_id: int
    category: str
    person_id: int
    person_code: str
    phone: str | None
    masked: bool
    relation: str
    first_exposure_at: UtcDateTime
    last_exposure_at: UtcDateTime
    overlap_minutes: int
    venue_id: int | None
    via_person_id: int | None
    home_community_id: int | None
    priority: int


#: The per-category contact counts an investigation stores with its contacts.
_CATEGORY_COUNTS: dict[str, Any] = {
    "close": Investigation.n_close,
    "secondary": Investigation.n_secondary,
    "general": Investigation.n_general,
    "yellow_code": Investigation.n_yellow_code,
}


def _contacts_total(session: Session, case_id: int | None, category: str | None) -> int:
    """The number of contacts of the current investigations (of one case, of one category)
    from the counts each investigation stores when its contacts are written (in the same
    transaction), instead of counting the city's contact rows on every page."""
    if category is not None and category not in _CATEGORY_COUNTS:
        return 0
    columns = [_CATEGORY_COUNTS[category]] if category else list(_CATEGORY_COUNTS.values())
    query = select(func.coalesce(func.sum(sum(columns[1:], columns[0])), 0)).where(
        Investigation.superseded_at.is_(None)
    )
    if case_id is not None:
        query = query.where(Investigation.case_id == case_id)
    return int(session.scalar(query) or 0)


def list_contacts(
    *,
    session: Session,
    viewer: Viewer,
    window: Window,
    case_id: int | None = None,
    category: str | None = None,
    community_id: int | None = None,
) -> tuple[int, list[ContactRow]]:
    """Contacts of the current investigations; a grid worker's are those routed to
    their community (``home_community_id``).  By investigation, category, person."""
    allow(viewer, CASE_ROLES, "contacts")
    current = select(Investigation.id).where(Investigation.superseded_at.is_(None))
    filters: list[Any] = [Contact.investigation_id.in_(current)]
    if viewer.role == "grid_worker":
        filters.append(Contact.home_community_id == viewer.community_id)
    if case_id is not None:
        filters.append(Contact.case_id == case_id)
    if category is not None:
        filters.append(Contact.category == category)
    if community_id is not None:
        filters.append(Contact.home_community_id == community_id)
    if viewer.role != "grid_worker" and community_id is None:
        total = _contacts_total(session, case_id, category)
    else:  # routed to one community: counted through ix_contacts_home_community_id
        total = int(session.scalar(select(func.count()).select_from(Contact).where(*filters)) or 0)
    # ordered by the primary key, so that a page is read from the index, not sorted
    query = (
        select(Contact, Person.code, Person.phone)
        .join(Person, Person.id == Contact.person_id)
        .where(*filters)
        .order_by(Contact.investigation_id, Contact.category, Contact.person_id)
        .limit(window.limit)
        .offset(window.offset)
    )
    rows = session.execute(query).all()
    reveal = viewer.reveals_personal_data
    return total, [
        ContactRow(
            investigation_id=c.investigation_id,
            case_id=c.case_id,
            category=c.category,
            person_id=c.person_id,
            person_code=code,
            phone=phone if reveal else mask_phone(phone),
            masked=not reveal,
            relation=c.relation,
            first_exposure_at=c.first_exposure_at,
            last_exposure_at=c.last_exposure_at,
            overlap_minutes=c.overlap_minutes,
            venue_id=c.venue_id,
            via_person_id=c.via_person_id,
            home_community_id=c.home_community_id,
            priority=c.priority,
        )
        for c, code, phone in rows
    ]


# --------------------------------------------------------------------------- alerts

ALERT_ROLES = ("commander", "epidemiologist", "department_officer", "grid_worker")


def routed_to(department: str | None) -> Any:
    """The alerts routed to ``department`` (its row in ``alert_recipients``)."""
    return (
        select(AlertRecipient.alert_id)
        .where(
            AlertRecipient.alert_id == Alert.id,
            AlertRecipient.kind == "department",
            AlertRecipient.code == (department or ""),
        )
        .exists()
    )


def alert_scope(viewer: Viewer, query: Select[Any]) -> Select[Any]:
    """Alerts the viewer may see: all (city roles), routed to their department (through
    the indexed ``alert_recipients``), or of their community's areas."""
    allow(viewer, ALERT_ROLES, "alerts")
    if viewer.role == "grid_worker":
        if viewer.community_id is None:
            return query.where(false())
        return query.where(Alert.area_id.in_(community_areas(viewer.community_id)))
    if viewer.role == "department_officer":
        if viewer.department is None:
            return query.where(false())
        return query.where(routed_to(viewer.department))
    return query


def list_alert_rows(
    *,
    session: Session,
    viewer: Viewer,
    window: Window,
    status: str | None = None,
    level: str | None = None,
    area_id: int | None = None,
    raised_from: datetime | None = None,
    raised_to: datetime | None = None,
) -> tuple[int, list[Alert]]:
    """Alerts in scope, newest first; ``status="open"`` = every status but closed."""
    query = alert_scope(viewer, select(Alert)).order_by(Alert.raised_at.desc(), Alert.id.desc())
    if status == "open":
        query = query.where(Alert.status != "closed")
    elif status is not None:
        query = query.where(Alert.status == status)
    if level is not None:
        query = query.where(Alert.level == level)
    if area_id is not None:
        query = query.where(Alert.area_id == area_id)
    if raised_from is not None:
        query = query.where(Alert.raised_at >= raised_from)
    if raised_to is not None:
        query = query.where(Alert.raised_at < raised_to)
    return _page(session, query, window)


def get_alert_row(*, session: Session, viewer: Viewer, alert_id: int) -> Alert:
    alert: Alert | None = session.scalars(
        alert_scope(viewer, select(Alert).where(Alert.id == alert_id))
    ).first()
    if alert is None:
        raise ScopeNotFound(f"alert {alert_id} does not exist")
    return alert


# --------------------------------------------------------------------------- zones


def zone_ids_in_scope(session: Session, viewer: Viewer) -> set[int] | None:
    """Zones a grid worker sees (on, in or above their community); None = all."""
    if viewer.role != "grid_worker":
        return None
    if viewer.community_id is None:
        return set()
    above = ancestors(session, viewer.community_id)
    query = select(Zone.id).where(
        or_(Zone.area_id.in_(community_areas(viewer.community_id)), Zone.area_id.in_(above))
    )
    return set(session.scalars(query))


# --------------------------------------------------------------------------- tasks

TASK_ROLES = ("commander", "epidemiologist", "department_officer", "grid_worker")


def task_scope(viewer: Viewer, query: Select[Any]) -> Select[Any]:
    """Tasks the viewer may see: all (city roles), their department's, or, for a grid
    worker, the community department's tasks about their community's residents."""
    allow(viewer, TASK_ROLES, "tasks")
    if viewer.role == "department_officer":
        return query.where(Task.department == viewer.department)
    if viewer.role == "grid_worker":
        if viewer.community_id is None:
            return query.where(false())
        residents = select(Person.id).where(
            Person.building_id.in_(community_buildings(viewer.community_id))
        )
        cases = select(Case.id).where(Case.person_id.in_(residents))
        return query.where(
            Task.department == "community",
            or_(
                Task.case_id.in_(cases),
                (Task.subject_type == "person") & Task.subject_id.in_(residents),
            ),
        )
    return query


def may_act_on_task(viewer: Viewer, task: Task) -> bool:
    """Who changes a task: commanders any, an officer their department's, a grid worker
    the community tasks in their scope (the task was found through :func:`task_scope`)."""
    if viewer.role == "commander":
        return True
    if viewer.role == "department_officer":
        return task.department == viewer.department
    return viewer.role == "grid_worker" and task.department == "community"


def list_task_rows(
    *,
    session: Session,
    viewer: Viewer,
    window: Window,
    status: str | None = None,
    department: str | None = None,
    case_id: int | None = None,
    due_before: datetime | None = None,
    due_after: datetime | None = None,
) -> tuple[int, list[Task]]:
    """Tasks in scope by due time; ``status`` may be ``active`` (open or in progress)."""
    query = task_scope(viewer, select(Task)).order_by(Task.due_at, Task.id)
    if status == "active":
        query = query.where(Task.status.in_(("open", "in_progress")))
    elif status is not None:
        query = query.where(Task.status == status)
    if department is not None:
        query = query.where(Task.department == department)
    if case_id is not None:
        query = query.where(Task.case_id == case_id)
    if due_before is not None:
        query = query.where(Task.due_at < due_before)
    if due_after is not None:
        query = query.where(Task.due_at >= due_after)
    return _page(session, query, window)


def get_task_row(*, session: Session, viewer: Viewer, task_id: int) -> Task:
    task: Task | None = session.scalars(
        task_scope(viewer, select(Task).where(Task.id == task_id))
    ).first()
    if task is None:
        raise ScopeNotFound(f"task {task_id} does not exist")
    return task


# --------------------------------------------------------------------------- facilities, roster


class FacilityOut(BaseModel):
    id: int
    code: str
    kind: str
    subtype: str | None
    name: str
    building_id: int
    beds: int | None
    icu_beds: int | None
    rooms: int | None
    accessible_rooms: int | None
    tests_per_day: int | None
    samples_per_hour: int | None


def list_facilities(
    *, session: Session, viewer: Viewer, window: Window, kind: str | None = None
) -> tuple[int, list[FacilityOut]]:
    """Facilities (every signed-in role); a facility manager sees theirs first."""
    query = select(Facility).order_by(Facility.id)
    if kind is not None:
        query = query.where(Facility.kind == kind)
    total, rows = _page(session, query, window)
    return total, [FacilityOut.model_validate(f, from_attributes=True) for f in rows]


def get_facility(*, session: Session, facility_id: int) -> FacilityOut:
    row = session.get(Facility, facility_id)
    if row is None:
        raise ScopeNotFound(f"facility {facility_id} does not exist")
    return FacilityOut.model_validate(row, from_attributes=True)


ROSTER_ROLES = ("commander", "epidemiologist", "facility_manager", "grid_worker")


def roster_scope(
    session: Session, viewer: Viewer, site_id: int | None
) -> tuple[int | None, set[int] | None]:
    """The site a roster query is limited to and, for a grid worker, the persons
    (their community's residents) it may show."""
    allow(viewer, ROSTER_ROLES, "the quarantine roster")
    if viewer.role == "facility_manager":
        if site_id is not None and site_id != viewer.facility_id:
            raise AccessDenied(
                f"site_id: facility manager of {viewer.facility_id} may not read site {site_id}"
            )
        return viewer.facility_id, None
    if viewer.role == "grid_worker":
        if viewer.community_id is None:
            return site_id, set()
        residents = session.scalars(
            select(QuarantineStay.person_id)
            .join(Person, Person.id == QuarantineStay.person_id)
            .where(Person.building_id.in_(community_buildings(viewer.community_id)))
        )
        return site_id, set(residents)
    return site_id, None
