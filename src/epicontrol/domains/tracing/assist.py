"""Regional assistance (区域协查): lists of contacts sent to and received from jurisdictions.

:func:`export_lists` writes one CSV per destination from the current
investigations: persons registered in another city (``persons.home_jurisdiction``)
go to that city's list; with a jurisdiction (a district code), contacts living
in other districts go to those districts' lists too.  :func:`import_list`
matches a received list to residents (exact ID number first, then phone); a
list with a bad row is rejected whole, naming the line and the rule.  Every
list sent or received is recorded in ``assist_requests``.  Format: ``docs/tracing.md``.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Final

from sqlalchemy import select
from sqlalchemy.orm import Session

from ...privacy import mask_id_number, mask_phone
from ..city.importing.base import RowError
from ..city.importing.people import _id_number_rule
from ..city.models import Area, Person, Venue
from .context import Clock, area_ancestors, areas_by_id, describe
from .models import CATEGORIES, AssistRequest, Contact, Investigation
from .schemas import AssistExport, AssistFile, AssistImport, AssistMatch

#: Columns of an exported list (header line, in this order).
EXPORT_COLUMNS: Final = (
    "id_number",
    "phone",
    "person_code",
    "category",
    "relation",
    "first_exposure",
    "last_exposure",
    "exposure_venue",
    "case_ids",
    "home_district",
    "home_community",
    "home_jurisdiction",
    "priority",
    "screen_by",
)
#: Accepted header names of a received list (the other jurisdiction's own wording too).
IMPORT_ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "id_number": ("id_number", "身份证号", "身份证号码", "证件号码"),
    "phone": ("phone", "手机号", "手机号码", "联系电话"),
    "name": ("name", "姓名"),
}
#: Hours a receiving jurisdiction has to screen every person (DESIGN.md §3, plan 002).
SCREEN_HOURS: Final = 24
_PHONE_RE: Final = re.compile(r"[0-9]{7,15}")
_CHUNK: Final = 1000


class AssistError(ValueError):
    """Bad assistance input; ``errors`` names the file, line, field and rule."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors: list[RowError] = list(errors)
        shown = "; ".join(describe(e) for e in self.errors[:20])
        more = len(self.errors) - 20
        super().__init__(shown + (f"; ... and {more} more" if more > 0 else ""))


@dataclass
class _Row:
    """One person on a list: the most urgent category and the widest exposure."""

    person: Person
    category: str
    relation: str
    first: datetime
    last: datetime
    venue_id: int | None
    priority: int
    community_id: int | None
    case_ids: set[int] = field(default_factory=set)

    def merge(self, c: Contact) -> None:
        rank = (c.priority, CATEGORIES.index(c.category))
        if rank < (self.priority, CATEGORIES.index(self.category)):
            self.category, self.relation, self.priority = c.category, c.relation, c.priority
            self.venue_id = c.venue_id
        self.first = min(self.first, c.first_exposure_at)
        self.last = max(self.last, c.last_exposure_at)
        self.case_ids.add(c.case_id)


def _slug(name: str) -> str:
    return re.sub(r"[^\w-]+", "_", name).strip("_") or "unknown"


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export_lists(
    *,
    session: Session,
    clock: Clock,
    out_dir: Path,
    jurisdiction: str | None = None,
    now: datetime | None = None,
) -> AssistExport:
    """Write the outgoing lists of the current investigations into ``out_dir`` (flush only).

    Raises :class:`AssistError` when ``jurisdiction`` is not a district code.
    """
    now = now or datetime.now(UTC).replace(tzinfo=None)
    home: Area | None = None
    if jurisdiction is not None:
        home = session.scalars(
            select(Area).where(Area.code == jurisdiction, Area.level == "district")
        ).first()
        if home is None:
            codes = session.scalars(
                select(Area.code).where(Area.level == "district").order_by(Area.code)
            ).all()
            raise AssistError(
                [
                    RowError(
                        "",
                        0,
                        "jurisdiction",
                        f"must be a district code ({', '.join(codes)})",
                        jurisdiction,
                    )
                ]
            )
    _, district_of = area_ancestors(session)
    query = (
        select(Contact, Person)
        .join(Investigation, Investigation.id == Contact.investigation_id)
        .join(Person, Person.id == Contact.person_id)
        .where(Investigation.status == "current")
    )
    if home is None:
        query = query.where(Person.home_jurisdiction.is_not(None))
    rows: dict[int, _Row] = {}
    for contact, person in session.execute(query):
        row = rows.get(person.id)
        if row is None:
            rows[person.id] = row = _Row(
                person=person,
                category=contact.category,
                relation=contact.relation,
                first=contact.first_exposure_at,
                last=contact.last_exposure_at,
                venue_id=contact.venue_id,
                priority=contact.priority,
                community_id=contact.home_community_id,
            )
        row.merge(contact)

    lists: dict[tuple[str, str], list[_Row]] = {}
    for row in rows.values():
        if row.person.home_jurisdiction:
            lists.setdefault(("city", row.person.home_jurisdiction), []).append(row)
        if home is not None and row.community_id is not None:
            district_id = int(district_of[row.community_id])
            if district_id >= 0 and district_id != home.id:
                lists.setdefault(("district", str(district_id)), []).append(row)
    area_ids = [r.community_id for r in rows.values() if r.community_id is not None]
    areas = areas_by_id(session, area_ids + [int(district_of[a]) for a in area_ids])
    venue_ids = sorted({r.venue_id for r in rows.values() if r.venue_id is not None})
    venues = {
        v.id: v.name
        for i in range(0, len(venue_ids), _CHUNK)
        for v in session.scalars(select(Venue).where(Venue.id.in_(venue_ids[i : i + _CHUNK])))
    }

    out_dir.mkdir(parents=True, exist_ok=True)
    files: list[AssistFile] = []
    screen_by = clock.from_store(now + timedelta(hours=SCREEN_HOURS)).isoformat()
    for (kind, key), members in sorted(lists.items()):
        destination = key if kind == "city" else areas[int(key)].code
        path = out_dir / f"assist-{kind}-{_slug(destination)}.csv"
        members.sort(key=lambda r: (r.priority, r.first, r.person.id))
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for r in members:
            community = areas.get(r.community_id) if r.community_id is not None else None
            district = areas.get(int(district_of[community.id])) if community else None
            writer.writerow(
                (
                    r.person.id_number or "",
                    r.person.phone or "",
                    r.person.code,
                    r.category,
                    r.relation,
                    clock.from_store(r.first).isoformat(),
                    clock.from_store(r.last).isoformat(),
                    venues.get(r.venue_id, "") if r.venue_id is not None else "",
                    " ".join(str(c) for c in sorted(r.case_ids)),
                    district.name if district else "",
                    community.name if community else "",
                    r.person.home_jurisdiction or "",
                    r.priority,
                    screen_by,
                )
            )
        tmp = path.with_name(f".{path.name}.tmp")
        tmp.write_text(buffer.getvalue(), encoding="utf-8")
        tmp.replace(path)
        session.add(
            AssistRequest(
                direction="outgoing",
                counterpart=destination,
                file=str(path),
                sha256=_sha256(path),
                row_count=len(members),
                matched=None,
                created_at=now,
            )
        )
        by_category = {c: sum(1 for r in members if r.category == c) for c in CATEGORIES}
        files.append(
            AssistFile(
                destination=destination,
                kind=kind,
                path=str(path),
                rows=len(members),
                by_category=by_category,
            )
        )
    session.flush()
    return AssistExport(jurisdiction=jurisdiction, contacts=len(rows), files=files)


# --------------------------------------------------------------------------- import


@dataclass(frozen=True)
class _Received:
    line: int
    id_number: str | None
    phone: str | None
    name: str | None


def _read_list(path: Path) -> list[_Received]:
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            lines = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise AssistError([RowError(name, 0, "", f"cannot be read: {exc}")]) from None
    if not lines:
        raise AssistError([RowError(name, 0, "", "is empty (a header line is required)")])
    header = [h.strip() for h in lines[0]]
    where: dict[str, int] = {}
    for key, aliases in IMPORT_ALIASES.items():
        found = [i for i, h in enumerate(header) if h.lower() in aliases]
        if len(found) > 1:
            raise AssistError([RowError(name, 1, key, "column appears twice")])
        if found:
            where[key] = found[0]
    if "id_number" not in where and "phone" not in where:
        raise AssistError(
            [RowError(name, 1, "", "must have an id_number or a phone column (or both)")]
        )
    errors: list[RowError] = []
    out: list[_Received] = []
    for line, values in enumerate(lines[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                RowError(name, line, "", f"must have {len(header)} fields, has {len(values)}")
            )
            continue

        def get(key: str, values: list[str] = values) -> str:
            return values[where[key]].strip() if key in where else ""

        idn = get("id_number").upper()
        phone = re.sub(r"[\s-]", "", get("phone"))
        if phone.startswith("+86"):
            phone = phone[3:]
        before = len(errors)
        if not idn and not phone:
            errors.append(RowError(name, line, "", "id_number or phone is required"))
        if idn and (rule := _id_number_rule(idn)):
            errors.append(RowError(name, line, "id_number", rule, idn))
        if phone and not _PHONE_RE.fullmatch(phone):
            errors.append(RowError(name, line, "phone", "must be 7 to 15 digits", phone))
        if len(errors) == before:
            out.append(_Received(line, idn or None, phone or None, get("name") or None))
    if errors:
        raise AssistError(errors)
    if not out:
        raise AssistError([RowError(name, 0, "", "has no rows")])
    return out


def _persons_where(session: Session, column: str, values: set[str]) -> dict[str, list[Person]]:
    out: dict[str, list[Person]] = {}
    attr = getattr(Person, column)
    ordered = sorted(values)
    for i in range(0, len(ordered), _CHUNK):
        for p in session.scalars(select(Person).where(attr.in_(ordered[i : i + _CHUNK]))):
            out.setdefault(getattr(p, column), []).append(p)
    return out


def import_list(
    *, session: Session, path: Path, sender: str | None = None, now: datetime | None = None
) -> AssistImport:
    """Match a received list to residents and record it (flush only).

    Raises :class:`AssistError` (nothing recorded) when a row breaks a rule.
    The same file received again is matched again but recorded once.
    """
    received = _read_list(path)
    by_id = _persons_where(session, "id_number", {r.id_number for r in received if r.id_number})
    by_phone = _persons_where(session, "phone", {r.phone for r in received if r.phone})
    found: dict[int, Person] = {}
    matches: list[tuple[_Received, list[Person], str | None]] = []
    for r in received:
        persons: list[Person] = []
        how: str | None = None
        if r.id_number and r.id_number in by_id:
            persons, how = by_id[r.id_number], "id_number"
        elif r.phone and r.phone in by_phone:
            persons, how = by_phone[r.phone], "phone"
        matches.append((r, persons, how))
        found.update((p.id, p) for p in persons)

    community_of, district_of = area_ancestors(session)
    homes = {pid: int(community_of[p.building_id]) for pid, p in found.items()}
    areas = areas_by_id(
        session, list(homes.values()) + [int(district_of[c]) for c in homes.values() if c >= 0]
    )
    known: dict[int, tuple[int, str]] = {}
    ids = sorted(found)
    for i in range(0, len(ids), _CHUNK):
        for pid, category, priority in session.execute(
            select(Contact.person_id, Contact.category, Contact.priority)
            .join(Investigation, Investigation.id == Contact.investigation_id)
            .where(Investigation.status == "current", Contact.person_id.in_(ids[i : i + _CHUNK]))
        ):
            rank = (priority, CATEGORIES.index(category))
            if pid not in known or rank < (known[pid][0], CATEGORIES.index(known[pid][1])):
                known[pid] = (priority, category)

    results: list[AssistMatch] = []
    for r, persons, how in matches:
        one = persons[0] if len(persons) == 1 else None
        community = areas.get(homes[one.id]) if one else None
        district = areas.get(int(district_of[community.id])) if community else None
        best = [known[p.id] for p in persons if p.id in known]
        results.append(
            AssistMatch(
                line=r.line,
                status="unmatched" if not persons else "matched" if one else "ambiguous",
                matched_by=how,
                person_ids=sorted(p.id for p in persons),
                name=r.name,
                id_number=mask_id_number(r.id_number),
                phone=mask_phone(r.phone),
                community=community.name if community else None,
                district=district.name if district else None,
                known_contact=min(best, key=lambda b: (b[0], CATEGORIES.index(b[1])))[1]
                if best
                else None,
            )
        )
    digest = _sha256(path)
    before = session.scalars(
        select(AssistRequest).where(
            AssistRequest.direction == "incoming", AssistRequest.sha256 == digest
        )
    ).first()
    counterpart = sender or path.stem
    matched = sum(1 for m in results if m.status == "matched")
    if before is None:
        session.add(
            AssistRequest(
                direction="incoming",
                counterpart=counterpart[:64],
                file=str(path)[:500],
                sha256=digest,
                row_count=len(results),
                matched=matched,
                created_at=now or datetime.now(UTC).replace(tzinfo=None),
            )
        )
        session.flush()
    return AssistImport(
        file=str(path),
        sender=counterpart,
        sha256=digest,
        received_before=before is not None,
        rows=len(results),
        matched=matched,
        ambiguous=sum(1 for m in results if m.status == "ambiguous"),
        unmatched=sum(1 for m in results if m.status == "unmatched"),
        results=results,
    )


def write_matches(result: AssistImport, path: Path) -> Path:
    """The matches as CSV (line, status, matched_by, person_ids, community, district, contact)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(
        ("line", "status", "matched_by", "person_ids", "community", "district", "known_contact")
    )
    for m in result.results:
        writer.writerow(
            (
                m.line,
                m.status,
                m.matched_by or "",
                " ".join(map(str, m.person_ids)),
                m.community or "",
                m.district or "",
                m.known_contact or "",
            )
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    return path
