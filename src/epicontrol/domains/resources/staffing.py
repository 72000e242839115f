"""Staffing service: the staff table (import from CSV) and the shortfall by district.

:func:`import_staff` upserts ``district,role,count`` rows all or nothing, with
one :class:`RowError` per bad row; importing the same file again changes
nothing.  :func:`staffing_report` computes, for each district, what the
standards require for the current zones (lockdown residents from the zones
domain), the persons in quarantine (active stays of the quarantine domain,
else the contacts of ``quarantine_categories`` of the investigations completed
in the last ``quarantine_days`` days) and the
district itself (population, communities, urban or county), and compares it
with the staff on record (:func:`epicontrol.core.resources.staffing`).
"""

from __future__ import annotations

import csv
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.resources.staffing import ROLES, required_staff, staffing_gap
from ..city.importing.base import RowError
from ..city.models import Person
from ..quarantine.models import ACTIVE as QUARANTINE_ACTIVE
from ..quarantine.models import QuarantineStay
from ..tracing.models import Contact, Investigation
from .models import StaffRecord
from .schemas import DistrictBasis, StaffImportOut, StaffingReport, StaffRow, SupplyRules
from .service import (
    CityAreas,
    ResourceInputError,
    _roll_up,
    day_bounds_utc,
    load_areas,
    local_today,
    utcnow,
    zone_population,
)

STAFF_COLUMNS = ("district", "role", "count")


def set_staff(
    *,
    session: Session,
    counts: Mapping[tuple[str, str], int],
    source: str = "input",
    lines: Mapping[tuple[str, str], int] | None = None,
) -> StaffImportOut:
    """Set ``{(district code or id, role): count}`` on record, all or nothing."""
    return _set_staff(session=session, counts=counts, source=source, lines=lines, errors=[])


def _set_staff(
    *,
    session: Session,
    counts: Mapping[tuple[str, str], int],
    source: str,
    lines: Mapping[tuple[str, str], int] | None,
    errors: list[RowError],
) -> StaffImportOut:
    areas = load_areas(session)
    resolved: dict[tuple[int, str], tuple[int, int]] = {}
    for k, ((district, role), count) in enumerate(counts.items()):
        line = (lines or {}).get((district, role), k + 1)
        try:
            did = areas.resolve(district, field="district", levels=("district",))
        except ResourceInputError as exc:
            errors.append(RowError(source, line, "district", str(exc).split(": ", 1)[1], district))
            continue
        if role not in ROLES:
            errors.append(
                RowError(source, line, "role", f"must be one of {', '.join(ROLES)}", role)
            )
            continue
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            errors.append(RowError(source, line, "count", "must be an integer >= 0", str(count)))
            continue
        if (did, role) in resolved:
            errors.append(
                RowError(
                    source,
                    line,
                    "role",
                    f"repeats district {areas.code[did]} and role {role} of line "
                    f"{resolved[(did, role)][1]}",
                    role,
                )
            )
            continue
        resolved[(did, role)] = (count, line)
    existing = {
        (r.district_id, r.role): r
        for r in session.scalars(
            select(StaffRecord).where(
                StaffRecord.district_id.in_(sorted({d for d, _ in resolved}) or [-1])
            )
        )
    }
    for did in sorted({d for d, _ in resolved}):

        def value(role: str, _did: int = did) -> int:
            if (_did, role) in resolved:
                return resolved[(_did, role)][0]
            row = existing.get((_did, role))
            return row.count if row is not None else 0

        if value("ambulance_np") > value("ambulance"):
            line = resolved.get((did, "ambulance_np"), resolved.get((did, "ambulance"), (0, 0)))[1]
            errors.append(
                RowError(
                    source,
                    line,
                    "count",
                    f"ambulance_np ({value('ambulance_np')}) must be <= ambulance "
                    f"({value('ambulance')}) in district {areas.code[did]}",
                    None,
                )
            )
    if errors:
        errors.sort(key=lambda e: e.line)
        raise ResourceInputError(
            "staff", f"{len(errors)} row(s) rejected, nothing recorded", errors
        )
    now = utcnow()
    changed = 0
    for (did, role), (count, _) in resolved.items():
        row = existing.get((did, role))
        if row is None:
            session.add(
                StaffRecord(
                    district_id=did, role=role, count=count, updated_at=now, source=source[:200]
                )
            )
            changed += 1
        elif row.count != count:
            row.count, row.updated_at, row.source = count, now, source[:200]
            changed += 1
    session.flush()
    return StaffImportOut(
        source=source, rows=len(resolved), changed=changed, unchanged=len(resolved) - changed
    )


def import_staff(*, session: Session, path: Path) -> StaffImportOut:
    """Import a ``district,role,count`` CSV file (see :func:`set_staff`)."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ResourceInputError("file", f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ResourceInputError("file", f"{name} is not UTF-8 text") from exc
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in STAFF_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ResourceInputError(
            "file",
            f"{name} needs the columns {', '.join(STAFF_COLUMNS)}; missing {', '.join(missing)}",
            [RowError(name, 1, c, "required column", None) for c in missing],
        )
    counts: dict[tuple[str, str], int] = {}
    lines: dict[tuple[str, str], int] = {}
    errors: list[RowError] = []
    for k, row in enumerate(reader):
        line = k + 2
        key = ((row["district"] or "").strip(), (row["role"] or "").strip())
        raw = (row["count"] or "").strip()
        if not raw.isdigit():
            errors.append(RowError(name, line, "count", "must be an integer >= 0", raw))
            continue
        if key in counts:
            errors.append(
                RowError(
                    name,
                    line,
                    "role",
                    f"repeats district {key[0]} and role {key[1]} of line {lines[key]}",
                    key[1],
                )
            )
            continue
        counts[key], lines[key] = int(raw), line
    if not counts and not errors:
        raise ResourceInputError("file", f"{name} holds no rows")
    return _set_staff(session=session, counts=counts, source=name, lines=lines, errors=errors)


def quarantined(
    *,
    session: Session,
    areas: CityAreas,
    on: date,
    days: int,
    categories: Sequence[str] = ("close",),
) -> np.ndarray:
    """Persons in quarantine per area of every level (each person once).

    The active stays of the quarantine domain (``assigned`` or ``admitted``)
    when it holds any; otherwise the contacts of ``categories`` (close
    contacts go to centralised quarantine) of the current investigations
    completed in the last ``days`` days up to ``on`` (the persons to be
    quarantined).
    """
    per = np.zeros(len(areas.level), np.int64)
    stays = session.scalar(select(func.count()).select_from(QuarantineStay))
    if stays:
        query = (
            select(Person.id, Person.building_id)
            .join(QuarantineStay, QuarantineStay.person_id == Person.id)
            .where(QuarantineStay.status.in_(list(QUARANTINE_ACTIVE)))
            .distinct()
        )
    else:
        start, end = day_bounds_utc(areas.clock, on - timedelta(days=days - 1), on)
        query = (
            select(Person.id, Person.building_id)
            .join(Contact, Contact.person_id == Person.id)
            .join(Investigation, Investigation.id == Contact.investigation_id)
            .where(
                Investigation.status == "current",
                Contact.category.in_(list(categories)),
                Investigation.completed_at >= start,
                Investigation.completed_at < end,
            )
            .distinct()
        )
    for _, bid in session.execute(query).all():
        per[bid] += 1
    return _roll_up(areas, per)


def staffing_report(
    *,
    session: Session,
    rules: SupplyRules | None = None,
    on: date | None = None,
    zone_residents: Mapping[str, int] | None = None,
    quarantined_override: Mapping[str, int] | None = None,
) -> StaffingReport:
    """Required staff by district and role against the staff on record; shortfalls.

    ``zone_residents`` (lockdown residents by district or community code)
    replaces the zones domain, ``quarantined_override`` (by district code) the
    tracing contacts.
    """
    rules = rules or SupplyRules()
    areas = load_areas(session)
    when = on or local_today(areas.clock)
    zones = zone_population(
        session=session, areas=areas, on=on, rules=rules, explicit=zone_residents
    )
    districts = areas.ids_of("district")
    n = len(areas.level)
    if quarantined_override is not None:
        quar = np.zeros(n, np.int64)
        for ref, count in quarantined_override.items():
            quar[areas.resolve(ref, field="quarantined", levels=("district",))] = count
    else:
        quar = quarantined(
            session=session,
            areas=areas,
            on=when,
            days=rules.quarantine_days,
            categories=rules.quarantine_categories,
        )
    community = np.zeros(n, np.int64)
    community[areas.ids_of("community")] = 1
    communities = _roll_up(areas, community)
    county = np.array([areas.kind[d] == "county" for d in districts.tolist()], bool)
    required = required_staff(
        population=areas.population[districts],
        lockdown_population=np.minimum(zones.lockdown[districts], areas.population[districts]),
        communities=communities[districts],
        quarantined=quar[districts],
        county=county,
        standards=rules.staffing,
    )
    on_record = np.zeros_like(required)
    col = {r: k for k, r in enumerate(ROLES)}
    pos = {int(d): k for k, d in enumerate(districts.tolist())}
    for did, role, count in session.execute(
        select(StaffRecord.district_id, StaffRecord.role, StaffRecord.count)
    ):
        if did in pos:
            on_record[pos[did], col[role]] = count
    gap = staffing_gap(required, on_record)
    rows: list[StaffRow] = []
    basis: list[DistrictBasis] = []
    for k, d in enumerate(districts.tolist()):
        basis.append(
            DistrictBasis(
                district_id=d,
                district_code=areas.code[d],
                population=int(areas.population[d]),
                lockdown_population=int(min(zones.lockdown[d], areas.population[d])),
                communities=int(communities[d]),
                quarantined=int(quar[d]),
                county=bool(county[k]),
            )
        )
        for r, role in enumerate(ROLES):
            rows.append(
                StaffRow(
                    district_id=d,
                    district_code=areas.code[d],
                    district_name=areas.name[d],
                    district_name_en=areas.name_en[d],
                    role=role,
                    required=int(gap.required[k, r]),
                    on_record=int(gap.on_record[k, r]),
                    shortfall=int(gap.shortfall[k, r]),
                )
            )
    totals = {
        role: {
            "required": int(gap.required[:, r].sum()),
            "on_record": int(gap.on_record[:, r].sum()),
            "shortfall": int(gap.shortfall[:, r].sum()),
        }
        for r, role in enumerate(ROLES)
    }
    return StaffingReport(on=when, zone_source=zones.source, rows=rows, basis=basis, totals=totals)


def staff_roster(*, session: Session) -> list[tuple[str, str, int]]:
    """The staff table as ``(district code, role, count)`` rows."""
    areas = load_areas(session)
    return [
        (areas.code[d], role, count)
        for d, role, count in session.execute(
            select(StaffRecord.district_id, StaffRecord.role, StaffRecord.count).order_by(
                StaffRecord.district_id, StaffRecord.role
            )
        )
    ]


__all__: Sequence[str] = ["import_staff", "set_staff", "staff_roster", "staffing_report"]
