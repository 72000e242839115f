"""Reading venues.csv, persons.csv and facilities.csv."""

from __future__ import annotations

import operator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa

from ....core.city.schemas import (
    FACILITIES,
    FACILITY_KINDS,
    GROUPS,
    HOSPITAL_KINDS,
    HOUSEHOLDS,
    OCCUPATIONS,
    ORG_VENUE_TYPES,
    PERSONS,
    SEXES,
    VENUE_TYPES,
    VENUES,
)
from .areas import _Areas
from .base import (
    _CAPACITY,
    _CAPACITY_COLUMNS,
    _CLASS_VENUES,
    _FACILITIES,
    _FLAG_BY_NAME,
    _ID15_RE,
    _ID18_RE,
    _ID_CHECK,
    _ID_WEIGHTS,
    _INT16_MAX,
    _PERSONS,
    _PHONE_RE,
    _TIER_OF,
    _VENUES,
    FACILITIES_FILE,
    PERSON_CHUNK,
    PERSONS_FILE,
    VENUES_FILE,
    _Check,
    _CsvFile,
    _Errors,
    _table,
)


@dataclass
class _Venues:
    table: pa.Table
    of: dict[str, tuple[int, str]]
    complete: bool


def _read_venues(directory: Path, areas: _Areas, errors: _Errors) -> _Venues:
    source = _CsvFile(directory, _VENUES, errors)
    check = _Check(VENUES_FILE, errors)
    seen: dict[str, int] = {}
    of: dict[str, tuple[int, str]] = {}
    rows: list[tuple[object, ...]] = []
    for line, (code, type_s, name_s, building_code, cap_s, lon_s, lat_s) in source.rows():
        code_ok = check.unique(line, "code", code, seen)
        vtype = check.choice(line, "type", type_s, VENUE_TYPES)
        name = check.text(line, "name", name_s, 200)
        building = _building(check, areas, line, "building_code", building_code)
        capacity = check.integer(line, "capacity", cap_s, 1)
        lon = check.coordinate(line, "lon", lon_s, 180)
        lat = check.coordinate(line, "lat", lat_s, 90)
        if code_ok:
            # Registered even with a bad type, so references are not reported again.
            of[code] = (len(rows), vtype or "")
            rows.append((len(rows), code, vtype, name, building, capacity, lon, lat))
    return _Venues(_table(rows, VENUES), of, source.complete)


def _building(check: _Check, areas: _Areas, line: int, field: str, code: str) -> int | None:
    if not code:
        check.error(line, field, "is required")
        return None
    building = areas.building(code)
    if building is None and (code in areas.level_of or not areas.silent(code)):
        check.error(line, field, areas.building_rule(code), code)
    return building


def _venue(
    check: _Check, venues: _Venues, line: int, field: str, code: str
) -> tuple[int, str] | None:
    """An optional venue reference."""
    if not code:
        return None
    venue = venues.of.get(code)
    if venue is None and venues.complete:
        check.error(line, field, f"unknown {field}", code)
    return venue


def _id_number_rule(value: str) -> str | None:
    """Why ``value`` is not a resident ID number (GB 11643), or ``None`` when it is one."""
    if len(value) == 15:
        return None if _ID15_RE.fullmatch(value) else "a 15-character ID number must be digits"
    if len(value) != 18:
        return "must have 15 or 18 characters"
    if not _ID18_RE.fullmatch(value):
        return "an 18-character ID number must be 17 digits and a check digit or X"
    # ASCII codes minus 48 are the digits.
    total = sum(map(operator.mul, value.encode()[:17], _ID_WEIGHTS)) - 48 * sum(_ID_WEIGHTS)
    expected = _ID_CHECK[total % 11]
    if value[17] != expected:
        return f"check character must be {expected} (GB 11643 ISO 7064 MOD 11-2)"
    return None


@dataclass
class _Persons:
    persons: pa.Table
    households: pa.Table
    groups: pa.Table


def _read_persons(directory: Path, areas: _Areas, venues: _Venues, errors: _Errors) -> _Persons:
    """Persons, with households and groups derived from their codes and labels."""
    source = _CsvFile(directory, _PERSONS, errors)
    check = _Check(PERSONS_FILE, errors)
    err = check.error
    seen: dict[str, int] = {}
    household_of: dict[str, int] = {}
    h_building: list[int] = []
    h_size: list[int] = []
    h_line: list[int] = []
    h_code: list[str] = []
    group_of: dict[tuple[int, str], int] = {}
    groups: list[tuple[object, ...]] = []
    batches: list[pa.RecordBatch] = []
    rows: list[tuple[object, ...]] = []
    flags_rule = "must be |-separated names among: " + ", ".join(_FLAG_BY_NAME)
    buildings = areas.buildings
    n = 0
    for line, values in source.rows():
        (
            code,
            h_code_s,
            b_code,
            age_s,
            sex,
            occupation,
            org_code,
            label,
            phone,
            idn,
            flags_s,
            jurisdiction,
        ) = values
        # Fast paths for valid values; the checks report the others.
        if 0 < len(code) <= 64 and code not in seen:
            seen[code] = line
            ok = True
        else:
            ok = check.unique(line, "code", code, seen)
        if not h_code_s:
            err(line, "household_code", "is required")
            ok = False
        building = buildings.get(b_code)
        if building is None:
            _building(check, areas, line, "building_code", b_code)
        age: int | None = (
            int(age_s) if len(age_s) <= 3 and age_s.isascii() and age_s.isdigit() else -1
        )
        if age is None or not 0 <= age <= 120:
            age = check.integer(line, "age", age_s, 0, 120)
        if sex not in SEXES:
            err(line, "sex", "must be one of: " + ", ".join(SEXES), sex)
            ok = False
        if occupation not in OCCUPATIONS:
            err(line, "occupation", "must be one of: " + ", ".join(OCCUPATIONS), occupation)
            ok = False
        org = _venue(check, venues, line, "org_venue_code", org_code)
        if org is not None and org[1] and org[1] not in ORG_VENUE_TYPES:
            err(
                line,
                "org_venue_code",
                "must name a venue of type " + ", ".join(ORG_VENUE_TYPES),
                org_code,
            )
            org = None
            ok = False
        if org_code and org is None:
            ok = False
        group: int | None = None
        if label:
            if not org_code:
                err(line, "group_label", "requires org_venue_code", label)
                ok = False
            elif len(label) > 100:
                err(line, "group_label", "must be at most 100 characters", label)
                ok = False
            elif org is not None:
                key = (org[0], label)
                group = group_of.get(key)
                if group is None:
                    group = group_of[key] = len(groups)
                    kind = "class" if org[1] in _CLASS_VENUES else "team"
                    groups.append((group, org[0], kind, label))
        if phone and not _PHONE_RE.fullmatch(phone):
            err(line, "phone", "must be 7 to 15 digits", phone)
            ok = False
        if idn:
            idn = idn.upper()
            rule = _id_number_rule(idn)
            if rule is not None:
                err(line, "id_number", rule, idn)
                ok = False
        flags = 0
        for part in flags_s.split("|") if flags_s else ():
            bit = _FLAG_BY_NAME.get(part.strip())
            if bit is None and part.strip():
                err(line, "special_flags", flags_rule, flags_s)
                ok = False
                break
            flags |= bit or 0
        if building is None or age is None or not ok:
            continue
        household = household_of.get(h_code_s)
        if household is None:
            household = household_of[h_code_s] = len(h_size)
            h_building.append(building)
            h_size.append(0)
            h_line.append(line)
            h_code.append(h_code_s)
        elif h_building[household] != building:
            first = areas.rows[h_building[household]].code
            err(
                line,
                "building_code",
                f"household {h_code_s} lives in building {first} (line {h_line[household]}): "
                "all members must share one building",
                b_code,
            )
            continue
        h_size[household] += 1
        rows.append(
            (
                n,
                code,
                household,
                building,
                age,
                sex,
                occupation,
                None if org is None else org[0],
                group,
                phone or None,
                idn or None,
                flags,
                _TIER_OF[flags],
                check.optional_text(line, "home_jurisdiction", jurisdiction, 64),
            )
        )
        n += 1
        if len(rows) >= PERSON_CHUNK:
            batches.extend(_table(rows, PERSONS).to_batches())
            rows.clear()
    batches.extend(_table(rows, PERSONS).to_batches())
    for household, size in enumerate(h_size):
        if size > _INT16_MAX:
            rule = f"a household may have at most {_INT16_MAX} members"
            err(h_line[household], "household_code", rule, h_code[household])
    households = pa.table(
        {
            "id": pa.array(np.arange(len(h_size), dtype=np.int32)),
            "building_id": pa.array(h_building, pa.int32()),
            "size": pa.array(np.minimum(np.asarray(h_size, np.int64), _INT16_MAX), pa.int16()),
        },
        schema=HOUSEHOLDS,
    )
    return _Persons(
        persons=pa.Table.from_batches(batches, schema=PERSONS),
        households=households,
        groups=_table(groups, GROUPS),
    )


def _read_facilities(directory: Path, areas: _Areas, venues: _Venues, errors: _Errors) -> pa.Table:
    check = _Check(FACILITIES_FILE, errors)
    seen: dict[str, int] = {}
    rows: list[tuple[object, ...]] = []
    for line, values in _CsvFile(directory, _FACILITIES, errors).rows():
        code, kind_s, name_s, building_code, subtype_s, venue_code = values[:6]
        capacity_s = dict(zip(_CAPACITY_COLUMNS, values[6:], strict=True))
        code_ok = check.unique(line, "code", code, seen)
        kind = check.choice(line, "kind", kind_s, FACILITY_KINDS)
        name = check.text(line, "name", name_s, 200)
        building = _building(check, areas, line, "building_code", building_code)
        venue = _venue(check, venues, line, "venue_code", venue_code)
        subtype: str | None = None
        if kind == "hospital" and subtype_s:
            subtype = check.choice(line, "subtype", subtype_s, HOSPITAL_KINDS)
        else:
            subtype = check.optional_text(line, "subtype", subtype_s, 32)
        capacity: dict[str, int | None] = dict.fromkeys(_CAPACITY_COLUMNS)
        if kind is not None:
            article = "an" if kind[0] in "aeiou" else "a"
            for column in _CAPACITY_COLUMNS:
                value = capacity_s[column]
                if column in _CAPACITY[kind]:
                    if not value:
                        check.error(line, column, f"is required for {article} {kind}")
                    else:
                        capacity[column] = check.integer(line, column, value, 0)
                elif value:
                    check.error(line, column, f"must be empty for {article} {kind}", value)
            for part, whole in (("icu_beds", "beds"), ("accessible_rooms", "rooms")):
                p, w = capacity[part], capacity[whole]
                if p is not None and w is not None and p > w:
                    check.error(line, part, f"must not exceed {whole}", capacity_s[part])
        if code_ok:
            rows.append(
                (
                    len(rows),
                    code,
                    kind,
                    subtype,
                    name,
                    building,
                    None if venue is None else venue[0],
                    *(capacity[c] for c in FACILITIES.names[7:]),
                )
            )
    return _table(rows, FACILITIES)
