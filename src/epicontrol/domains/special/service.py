"""Special-population service: the ledger, helpers (包保), requests and their clocks, KPIs.

Every function takes a :class:`~.schemas.Viewer` and enforces it: a grid
worker reads and changes only the ledger of their own community
(:class:`AccessDenied` otherwise), commanders and department officers the
whole city.  Every change writes an append-only ``special_audit`` row (who,
when, before → after) in the same transaction; bad input is rejected before
anything is written.  Services flush, never commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.city.schemas import LEVEL, SpecialFlag, tier_of
from ...privacy import mask_phone
from ..city.models import Area, City, Person
from ..tracing.context import Clock
from ..zones.service import load_city
from .models import (
    SpecialAudit,
    SpecialHelper,
    SpecialPerson,
    SpecialRequest,
)
from .schemas import (
    ROLES,
    HelperOut,
    LedgerEntry,
    SyncOut,
    Viewer,
)


class SpecialError(RuntimeError):
    """The workspace holds no city."""


class SpecialInputError(ValueError):
    """Bad input: ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class AccessDenied(PermissionError):
    """The viewer may not see or change this (another community, or a role without access)."""


class NotFound(LookupError):
    """A person not in the ledger, an unknown request or helper."""


class Rejected(ValueError):
    """The change does not apply to the record's state (responding to a closed request)."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _clock(session: Session) -> Clock:
    city = session.scalars(select(City).limit(1)).first()
    if city is None:
        raise SpecialError("the store holds no city yet: run `epicontrol city generate` or import")
    return Clock.of(city)


def _utc(clock: Clock, when: datetime | None) -> datetime:
    return utcnow() if when is None else clock.to_utc(when)


def _check_viewer(viewer: Viewer) -> None:
    if viewer.role not in ROLES:
        raise AccessDenied(
            f"role: {viewer.role!r} has no access to the ledger (roles: {', '.join(ROLES)})"
        )
    if viewer.role == "grid_worker" and viewer.community_id is None:
        raise AccessDenied("role: a grid worker must name their community")
    if not viewer.name.strip():
        raise SpecialInputError("actor", "must name who acts (it is audited)")


def _allow(viewer: Viewer, community_id: int) -> None:
    _check_viewer(viewer)
    if viewer.role == "grid_worker" and community_id != viewer.community_id:
        raise AccessDenied(
            f"community: grid worker {viewer.name!r} of community {viewer.community_id} "
            f"may not see community {community_id}"
        )


def _scope(viewer: Viewer, community_id: int | None) -> int | None:
    """The community a query is limited to (a grid worker's own; None = all)."""
    _check_viewer(viewer)
    if viewer.role == "grid_worker":
        if community_id is not None and community_id != viewer.community_id:
            _allow(viewer, community_id)
        return viewer.community_id
    return community_id


def _audit(
    session: Session,
    viewer: Viewer,
    at: datetime,
    entity: str,
    entity_id: object,
    action: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    session.add(
        SpecialAudit(
            at=at,
            actor=viewer.name,
            role=viewer.role,
            entity=entity,
            entity_id=str(entity_id),
            action=action,
            before=None if before is None else json.dumps(before, default=str, sort_keys=True),
            after=None if after is None else json.dumps(after, default=str, sort_keys=True),
        )
    )


def _row(obj: object) -> dict[str, Any]:
    table = obj.__table__  # type: ignore[attr-defined]
    return {c.name: getattr(obj, c.key if hasattr(c, "key") else c.name) for c in table.columns}


def _flag_names(flags: int) -> list[str]:
    return [f.name.lower() for f in SpecialFlag if f.name and flags & int(f)]


# --------------------------------------------------------------------------- ledger


def _communities(session: Session, building_ids: Sequence[int]) -> dict[int, int]:
    graph = load_city(session).graph
    ids = np.unique(np.asarray(list(building_ids), np.int64))
    com = graph.ancestor(ids, LEVEL["community"]) if len(ids) else ids
    return dict(zip(ids.tolist(), com.tolist(), strict=True))


def sync_ledger(*, session: Session, viewer: Viewer, at: datetime | None = None) -> SyncOut:
    """Enrol every registry person with a special tier (``persons.special_tier``) not yet in
    the ledger, and bring the tier of registry entries up to date; a grid worker syncs
    their community only.  Running it again changes nothing."""
    clock = _clock(session)
    scope = _scope(viewer, None)
    now = _utc(clock, at)
    rows = session.execute(
        select(Person.id, Person.building_id, Person.special_flags, Person.special_tier).where(
            Person.special_tier.is_not(None)
        )
    ).all()
    community = _communities(session, [r[1] for r in rows])
    existing = {p.person_id: p for p in session.scalars(select(SpecialPerson))}
    enrolled = updated = 0
    for pid, building, flags, tier in rows:
        cid = community[building]
        if scope is not None and cid != scope:
            continue
        entry = existing.get(pid)
        if entry is None:
            entry = SpecialPerson(
                person_id=pid, tier=tier, flags=flags, needs="[]", community_id=cid,
                helper_id=None, source="registry", enrolled_at=now, updated_at=now,
            )  # fmt: skip
            session.add(entry)
            _audit(session, viewer, now, "person", pid, "enrolled", None, _row(entry))
            enrolled += 1
        elif entry.source == "registry" and (entry.tier, entry.flags) != (tier, flags):
            before = _row(entry)
            entry.tier, entry.flags, entry.updated_at = str(tier), flags, now
            _audit(session, viewer, now, "person", pid, "tier", before, _row(entry))
            updated += 1
    session.flush()
    query = select(func.count()).select_from(SpecialPerson)
    if scope is not None:
        query = query.where(SpecialPerson.community_id == scope)
    return SyncOut(enrolled=enrolled, updated=updated, ledger=int(session.scalar(query) or 0))


def enroll(
    *,
    session: Session,
    viewer: Viewer,
    person_id: int,
    needs: Sequence[str] = (),
    tier: str | None = None,
    at: datetime | None = None,
) -> LedgerEntry:
    """Put a resident in the ledger (or update their needs): the tier is the registry's
    unless given (``green`` for others needing help)."""
    clock = _clock(session)
    now = _utc(clock, at)
    person = session.get(Person, person_id)
    if person is None:
        raise NotFound(f"person_id: no resident {person_id}")
    cid = _communities(session, [person.building_id])[person.building_id]
    _allow(viewer, cid)
    tier = tier or person.special_tier or tier_of(person.special_flags) or "green"
    if tier not in ("red", "yellow", "green"):
        raise SpecialInputError("tier", f"must be red, yellow or green, got {tier!r}")
    clean = [n.strip() for n in needs if n.strip()]
    entry = session.get(SpecialPerson, person_id)
    if entry is None:
        entry = SpecialPerson(
            person_id=person_id, tier=tier, flags=person.special_flags,
            needs=json.dumps(clean, ensure_ascii=False), community_id=cid, helper_id=None,
            source="registry" if person.special_tier == tier else "manual",
            enrolled_at=now, updated_at=now,
        )  # fmt: skip
        session.add(entry)
        _audit(session, viewer, now, "person", person_id, "enrolled", None, _row(entry))
    else:
        before = _row(entry)
        merged = json.loads(entry.needs) + [n for n in clean if n not in json.loads(entry.needs)]
        new = json.dumps(merged, ensure_ascii=False)
        if new != entry.needs or entry.tier != tier:
            entry.needs, entry.tier, entry.updated_at = new, tier, now
            _audit(session, viewer, now, "person", person_id, "needs", before, _row(entry))
    session.flush()
    return ledger(session=session, viewer=viewer, person_ids=[person_id])[0]


def _helper_out(h: SpecialHelper | None) -> HelperOut | None:
    if h is None:
        return None
    return HelperOut(
        id=h.id, name=h.name, phone=mask_phone(h.phone), community_id=h.community_id,
        active=h.active,
    )  # fmt: skip


def ledger(
    *,
    session: Session,
    viewer: Viewer,
    community_id: int | None = None,
    tier: str | None = None,
    person_ids: Sequence[int] | None = None,
) -> list[LedgerEntry]:
    """The ledger (of one community, of one tier), phones masked; red first."""
    _clock(session)
    scope = _scope(viewer, community_id)
    query = (
        select(SpecialPerson, Person, Area.name)
        .join(Person, Person.id == SpecialPerson.person_id)
        .join(Area, Area.id == SpecialPerson.community_id)
    )
    if scope is not None:
        query = query.where(SpecialPerson.community_id == scope)
    if tier is not None:
        query = query.where(SpecialPerson.tier == tier)
    if person_ids is not None:
        query = query.where(SpecialPerson.person_id.in_(list(person_ids)))
    rows = session.execute(query).all()
    helpers = {h.id: h for h in session.scalars(select(SpecialHelper))}
    open_counts = dict(
        session.execute(
            select(SpecialRequest.person_id, func.count())
            .where(SpecialRequest.status != "done")
            .group_by(SpecialRequest.person_id)
        ).all()
    )
    order = {"red": 0, "yellow": 1, "green": 2}
    rows = sorted(rows, key=lambda r: (order[r[0].tier], r[0].community_id, r[0].person_id))
    return [
        LedgerEntry(
            person_id=e.person_id,
            person_code=p.code,
            age=p.age,
            sex=p.sex,
            tier=e.tier,
            flags=_flag_names(e.flags),
            needs=json.loads(e.needs),
            community_id=e.community_id,
            community_name=name,
            phone=mask_phone(p.phone),
            helper=_helper_out(helpers.get(e.helper_id) if e.helper_id else None),
            open_requests=int(open_counts.get(e.person_id, 0)),
        )
        for e, p, name in rows
    ]


def add_helper(
    *,
    session: Session,
    viewer: Viewer,
    name: str,
    phone: str,
    community_id: int,
    at: datetime | None = None,
) -> HelperOut:
    """Register a helper of a community; the same name and phone there returns the same helper."""
    clock = _clock(session)
    now = _utc(clock, at)
    name, phone = name.strip(), phone.strip()
    if not name:
        raise SpecialInputError("name", "must not be empty")
    if not (phone.isdigit() and 7 <= len(phone) <= 15):
        raise SpecialInputError("phone", f"must be 7 to 15 digits, got {phone!r}")
    area = session.get(Area, community_id)
    if area is None or area.level != "community":
        raise SpecialInputError("community", f"must be a community area id, got {community_id}")
    _allow(viewer, community_id)
    found = session.scalars(
        select(SpecialHelper).where(
            SpecialHelper.community_id == community_id,
            SpecialHelper.name == name,
            SpecialHelper.phone == phone,
        )
    ).first()
    if found is None:
        found = SpecialHelper(
            name=name, phone=phone, community_id=community_id, active=True, created_at=now
        )
        session.add(found)
        session.flush()
        _audit(session, viewer, now, "helper", found.id, "created", None, _row(found))
        session.flush()
    out = _helper_out(found)
    assert out is not None
    return out


def assign_helper(
    *,
    session: Session,
    viewer: Viewer,
    helper_id: int,
    person_ids: Sequence[int],
    at: datetime | None = None,
) -> list[LedgerEntry]:
    """Make ``helper_id`` responsible (包保) for ``person_ids``, all or none: every person
    must be in the ledger of the helper's community."""
    clock = _clock(session)
    now = _utc(clock, at)
    helper = session.get(SpecialHelper, helper_id)
    if helper is None:
        raise NotFound(f"helper_id: no helper {helper_id}")
    _allow(viewer, helper.community_id)
    if not person_ids:
        raise SpecialInputError("person_id", "name at least one person")
    entries = {e.person_id: e for e in session.scalars(
        select(SpecialPerson).where(SpecialPerson.person_id.in_(list(person_ids)))
    )}  # fmt: skip
    missing = [p for p in person_ids if p not in entries]
    if missing:
        raise NotFound(f"person_id: not in the ledger: {', '.join(map(str, missing[:20]))}")
    other = [p for p in person_ids if entries[p].community_id != helper.community_id]
    if other:
        raise SpecialInputError(
            "person_id",
            f"persons {', '.join(map(str, other[:20]))} live outside the helper's community "
            f"{helper.community_id}",
        )
    for pid in dict.fromkeys(person_ids):
        entry = entries[pid]
        if entry.helper_id == helper_id:
            continue
        before = _row(entry)
        entry.helper_id, entry.updated_at = helper_id, now
        _audit(session, viewer, now, "person", pid, "helper", before, _row(entry))
    session.flush()
    return ledger(session=session, viewer=viewer, person_ids=list(person_ids))
