"""Import a real city from documented CSV files (format: ``docs/city-import.md``).

:func:`import_city` reads every file of a directory completely, collects every
rejected row as a :class:`RowError` (file, line, field, rule) and writes
nothing unless all rows are valid.  The import is identified by the SHA-256
of its files, so sending the same files again changes nothing.  One import per
store: a store that already holds a city refuses a different one.

Like every service it flushes and never commits; the caller owns the
transaction, so a database failure half-way leaves nothing behind.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from pydantic import BaseModel
from sqlalchemy.orm import Session

from ...core.city.schemas import (
    ADJACENCY,
    AREA_LEVELS,
    AREAS,
    DISTRICT_KINDS,
    FACILITIES,
    FACILITY_KINDS,
    GROUPS,
    HOSPITAL_KINDS,
    HOUSEHOLDS,
    LEVEL,
    OCCUPATIONS,
    ORG_VENUE_TYPES,
    PERSONS,
    SEXES,
    VENUE_TYPES,
    VENUES,
    SpecialFlag,
    tier_of,
)
from ...store.bulk import bulk_insert
from .models import City, ImportBatch
from .service import CityError, get_city

__all__ = [
    "FILES",
    "ImportConflict",
    "ImportRejected",
    "ImportResult",
    "RowError",
    "batch_id_of",
    "import_city",
]

Progress = Callable[[str, int], None]

CITY_FILE: Final = "city.csv"
AREAS_FILE: Final = "areas.csv"
BUILDINGS_FILE: Final = "buildings.csv"
GEOJSON_FILE: Final = "areas.geojson"
ADJACENCY_FILE: Final = "adjacency.csv"
VENUES_FILE: Final = "venues.csv"
PERSONS_FILE: Final = "persons.csv"
FACILITIES_FILE: Final = "facilities.csv"

#: Every file the importer reads, and whether it must be present.
FILES: Final[dict[str, bool]] = {
    CITY_FILE: True,
    AREAS_FILE: True,
    BUILDINGS_FILE: True,
    GEOJSON_FILE: False,
    ADJACENCY_FILE: False,
    VENUES_FILE: True,
    PERSONS_FILE: True,
    FACILITIES_FILE: True,
}

#: How many errors ``str(ImportRejected)`` lists.
SHOWN_ERRORS: Final = 20
#: Persons are turned into Arrow record batches of this many rows while reading.
PERSON_CHUNK: Final = 100_000

_INT32_MAX: Final = 2**31 - 1
_INT16_MAX: Final = 2**15 - 1
_INT_RE: Final = re.compile(r"[+-]?[0-9]+")
_PHONE_RE: Final = re.compile(r"[0-9]{7,15}")
_ID15_RE: Final = re.compile(r"[0-9]{15}")
_ID18_RE: Final = re.compile(r"[0-9]{17}[0-9X]")
_ID_WEIGHTS: Final = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK: Final = "10X98765432"
_FLAG_BY_NAME: Final = {f.name.lower(): int(f) for f in SpecialFlag if f.name}
#: Ledger tier of every flag set (IntFlag arithmetic is too slow for a million rows).
_TIER_OF: Final = tuple(tier_of(flags) for flags in range(int(sum(SpecialFlag)) + 1))
_FILE_LEVELS: Final = AREA_LEVELS[:-1]
_CLASS_VENUES: Final = ("school", "university")
_GEOMETRY_TYPES: Final = ("Polygon", "MultiPolygon")
_CAPACITY: Final[dict[str, tuple[str, ...]]] = {
    "hospital": ("beds", "icu_beds"),
    "quarantine_site": ("rooms", "accessible_rooms"),
    "lab": ("tests_per_day",),
    "sampling_site": ("samples_per_hour",),
}
_CAPACITY_COLUMNS: Final = tuple(c for cols in _CAPACITY.values() for c in cols)


# --------------------------------------------------------------------------- public types


@dataclass(frozen=True, slots=True)
class RowError:
    """One rejected value: where it is and which rule it breaks.

    A dataclass (``dataclasses.asdict`` gives its JSON form).

    Attributes
    ----------
    file
        File name inside the import directory.
    line
        1-based physical line in the file (the header is line 1; for
        ``areas.geojson`` the feature index + 1); 0 for the file as a whole.
    field
        Column (or GeoJSON member) the rule applies to; empty for a whole row.
    rule
        What the value must be, e.g. ``"must be one of: F, M"``.
    value
        The offending value as read, when there is one.
    """

    file: str
    line: int
    field: str
    rule: str
    value: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}"
        field = f" {self.field}:" if self.field else ""
        got = f" (got {self.value!r})" if self.value is not None else ""
        return f"{where}:{field} {self.rule}{got}"


class ImportRejected(CityError):
    """The files break rules; nothing was written.  ``errors`` lists every rejected value."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors: list[RowError] = list(errors)
        shown = "\n".join(f"  {e}" for e in self.errors[:SHOWN_ERRORS])
        more = len(self.errors) - SHOWN_ERRORS
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"import rejected: {len(self.errors)} errors\n{shown}{tail}")


class ImportConflict(CityError):
    """The store already holds a city from something else than these files."""


class ImportResult(BaseModel):
    """Outcome of an import: its batch id, whether it was already there, rows per table."""

    batch_id: str
    unchanged: bool
    counts: dict[str, int]


# --------------------------------------------------------------------------- reading


class _Errors:
    """Collects every rejected value of the import."""

    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, file: str, line: int, field: str, rule: str, value: str | None = None) -> None:
        self.items.append(RowError(file, line, field, rule, value))


@dataclass(frozen=True)
class _Spec:
    """Columns of one CSV file: those the header must have, and those it may have.

    Every file has at least two columns (rows are read with ``itemgetter``).
    """

    file: str
    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return self.required + self.optional


_CITY = _Spec(CITY_FILE, ("name", "name_en", "epoch", "timezone"))
_AREAS = _Spec(
    AREAS_FILE, ("code", "level", "parent_code", "name"), ("name_en", "kind", "lon", "lat")
)
_BUILDINGS = _Spec(BUILDINGS_FILE, ("code", "compound_code", "name"), ("lon", "lat"))
_ADJACENCY = _Spec(ADJACENCY_FILE, ("code_a", "code_b"))
_VENUES = _Spec(VENUES_FILE, ("code", "type", "name", "building_code", "capacity"), ("lon", "lat"))
_PERSONS = _Spec(
    PERSONS_FILE,
    ("code", "household_code", "building_code", "age", "sex", "occupation"),
    ("org_venue_code", "group_label", "phone", "id_number", "special_flags"),
)
_FACILITIES = _Spec(
    FACILITIES_FILE,
    ("code", "kind", "name", "building_code"),
    ("subtype", "venue_code", *_CAPACITY_COLUMNS),
)


class _CsvFile:
    """The data rows of one CSV file as stripped strings in the spec's column order.

    Missing files, bad headers, rows with the wrong number of fields and
    undecodable bytes are reported to ``errors``.  ``complete`` turns false
    when rows could not be read, so that references into the file are not
    reported as unknown a second time.
    """

    def __init__(self, directory: Path, spec: _Spec, errors: _Errors) -> None:
        self.path = directory / spec.file
        self.spec = spec
        self.errors = errors
        self.complete = True

    def _error(self, line: int, field: str, rule: str, value: str | None = None) -> None:
        self.errors.add(self.spec.file, line, field, rule, value)

    def rows(self) -> Iterator[tuple[int, tuple[str, ...]]]:
        """Yield ``(line, values)`` for every non-blank data row (absent columns are ``""``)."""
        if not self.path.is_file():
            self.complete = False
            if FILES[self.spec.file]:
                self._error(0, "", "required file is missing")
            return
        with self.path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            line = 1
            try:
                header = next(reader, None)
                if header is None:
                    self.complete = False
                    self._error(1, "", "the file is empty: a header row is required")
                    return
                positions = self._positions([h.strip().lower() for h in header])
                if positions is None:
                    self.complete = False
                    return
                width = len(header)
                # Absent optional columns read the "" appended after the row's values.
                pick = operator.itemgetter(*(width if i < 0 else i for i in positions))
                line = reader.line_num + 1
                for row in reader:
                    start, line = line, reader.line_num + 1
                    values = [v.strip() for v in row]
                    if not any(values):
                        continue
                    if len(row) != width:
                        self.complete = False
                        self._error(start, "", f"has {len(row)} fields but the header has {width}")
                        continue
                    values.append("")
                    yield start, pick(values)
            except UnicodeDecodeError:
                self.complete = False
                self._error(_bad_utf8_line(self.path), "", "is not valid UTF-8")
            except csv.Error as exc:
                self.complete = False
                self._error(line, "", f"is not valid CSV: {exc}")

    def _positions(self, header: list[str]) -> list[int] | None:
        """Index of each spec column in ``header`` (-1 when an optional one is absent)."""
        ok = True
        seen: set[str] = set()
        for name in header:
            if name in seen:
                ok = False
                self._error(1, name, "duplicate column")
            seen.add(name)
            if name not in self.spec.columns:
                ok = False
                self._error(1, name, "unknown column; expected: " + ", ".join(self.spec.columns))
        for name in self.spec.required:
            if name not in seen:
                ok = False
                self._error(1, name, "required column is missing")
        if not ok:
            return None
        return [header.index(c) if c in seen else -1 for c in self.spec.columns]


def _bad_utf8_line(path: Path) -> int:
    """Physical line of the first byte of ``path`` that is not UTF-8 (read on error only)."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        return data.count(b"\n", 0, exc.start) + 1
    return 0


class _Check:
    """Value checks of one file; each returns ``None`` (and reports) when the value is bad."""

    def __init__(self, file: str, errors: _Errors) -> None:
        self.file = file
        self.errors = errors

    def error(self, line: int, field: str, rule: str, value: str | None = None) -> None:
        self.errors.add(self.file, line, field, rule, value)

    def text(self, line: int, field: str, value: str, max_len: int) -> str | None:
        """A required text of at most ``max_len`` characters."""
        if not value:
            self.error(line, field, "is required")
            return None
        if len(value) > max_len:
            self.error(line, field, f"must be at most {max_len} characters", value)
            return None
        return value

    def optional_text(self, line: int, field: str, value: str, max_len: int) -> str | None:
        """An optional text (empty → ``None``) of at most ``max_len`` characters."""
        if len(value) > max_len:
            self.error(line, field, f"must be at most {max_len} characters", value)
            return None
        return value or None

    def choice(self, line: int, field: str, value: str, options: Sequence[str]) -> str | None:
        """One value of a code list."""
        if value in options:
            return value
        self.error(line, field, "must be one of: " + ", ".join(options), value)
        return None

    def integer(
        self, line: int, field: str, value: str, lo: int, hi: int | None = None
    ) -> int | None:
        """A required integer in ``[lo, hi]`` (``hi=None``: at most the int32 maximum)."""
        n = int(value) if _INT_RE.fullmatch(value) else None
        top = _INT32_MAX if hi is None else hi
        if n is None or n < lo or n > top:
            if hi is None and (n is None or n < lo):
                rule = f"must be an integer >= {lo}"
            else:
                rule = f"must be an integer between {lo} and {top}"
            self.error(line, field, rule, value)
            return None
        return n

    def coordinate(self, line: int, field: str, value: str, bound: float) -> float | None:
        """An optional longitude or latitude within ``[-bound, bound]``."""
        if not value:
            return None
        try:
            x = float(value)
        except ValueError:
            x = math.nan
        if not math.isfinite(x) or abs(x) > bound:
            self.error(line, field, f"must be a number between {-bound:g} and {bound:g}", value)
            return None
        return x

    def unique(self, line: int, field: str, value: str, seen: dict[str, int]) -> bool:
        """``value`` is a new code of at most 64 characters (registered in ``seen``)."""
        if self.text(line, field, value, 64) is None:
            return False
        first = seen.get(value)
        if first is not None:
            self.error(line, field, f"duplicate code (first on line {first})", value)
            return False
        seen[value] = line
        return True


# --------------------------------------------------------------------------- files


@dataclass
class _CityRow:
    name: str
    name_en: str
    epoch: datetime
    timezone: str


@dataclass
class _AreaRow:
    file: str
    line: int
    code: str
    level: str
    parent_field: str
    parent_code: str
    name: str
    name_en: str | None
    kind: str | None
    lon: float | None
    lat: float | None


@dataclass
class _Areas:
    """Resolved areas in id order, and lookups by code."""

    rows: list[_AreaRow]
    parent: list[int | None]
    id_of: dict[str, int]
    level_of: dict[str, str]
    complete: bool
    #: Codes of rows rejected for their level: references to them are not reported again.
    broken: set[str]
    #: Id of every building by code.
    buildings: dict[str, int] = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.buildings = {r.code: i for i, r in enumerate(self.rows) if r.level == "building"}

    def silent(self, code: str) -> bool:
        """References to unknown ``code`` need no error of their own."""
        return code in self.broken or not self.complete

    def building(self, code: str) -> int | None:
        """Id of building ``code``, or ``None``."""
        return self.buildings.get(code)

    def building_rule(self, code: str) -> str:
        """Why ``code`` is not a building."""
        level = self.level_of.get(code)
        return f"must name a building, not a {level}" if level else "unknown building_code"


def _read_city(directory: Path, errors: _Errors) -> _CityRow | None:
    source = _CsvFile(directory, _CITY, errors)
    check = _Check(CITY_FILE, errors)
    found: _CityRow | None = None
    rows = 0
    for line, (name_s, name_en_s, epoch_s, tz_s) in source.rows():
        rows += 1
        if rows > 1:
            check.error(line, "", "city.csv must have exactly one row")
            continue
        name = check.text(line, "name", name_s, 100)
        name_en = check.text(line, "name_en", name_en_s, 100)
        epoch = _epoch(check, line, epoch_s)
        tz = _timezone(check, line, tz_s, epoch)
        if name is not None and name_en is not None and epoch is not None and tz is not None:
            found = _CityRow(name, name_en, epoch, tz)
    if rows == 0 and source.complete:
        check.error(0, "", "city.csv must have exactly one row")
    return found


def _epoch(check: _Check, line: int, value: str) -> datetime | None:
    rule = "must be ISO 8601 local midnight with a UTC offset, e.g. 2026-11-02T00:00:00+08:00"
    try:
        epoch = datetime.fromisoformat(value)
    except ValueError:
        check.error(line, "epoch", rule, value)
        return None
    offset = epoch.utcoffset()
    if offset is None or epoch.time() != time(0, 0) or offset.total_seconds() % 60:
        check.error(line, "epoch", rule, value)
        return None
    return epoch


def _timezone(check: _Check, line: int, value: str, epoch: datetime | None) -> str | None:
    if check.text(line, "timezone", value, 64) is None:
        return None
    try:
        zone = ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        # Without any time-zone database the name cannot be checked: accept it.
        if not available_timezones():
            return value
        check.error(line, "timezone", "must be an IANA time zone name, e.g. Asia/Shanghai", value)
        return None
    if epoch is not None:
        expected = epoch.replace(tzinfo=zone).utcoffset()
        if expected is not None and expected != epoch.utcoffset():
            minutes = int(expected.total_seconds()) // 60
            sign = "+" if minutes >= 0 else "-"
            hours, mins = divmod(abs(minutes), 60)
            rule = f"UTC offset must be that of {value} on that day ({sign}{hours:02d}:{mins:02d})"
            check.error(line, "epoch", rule, epoch.isoformat())
    return value


def _read_areas(directory: Path, errors: _Errors) -> _Areas:
    """Areas and buildings, checked, with ids by level then file order."""
    seen: dict[str, int] = {}
    file_of: dict[str, str] = {}
    broken: set[str] = set()
    by_level: dict[str, list[_AreaRow]] = {lvl: [] for lvl in AREA_LEVELS}
    areas_src = _CsvFile(directory, _AREAS, errors)
    check = _Check(AREAS_FILE, errors)
    level_rule = "must be one of: " + ", ".join(_FILE_LEVELS) + " (buildings go in buildings.csv)"
    for line, (
        code,
        level_s,
        parent_code,
        name_s,
        name_en_s,
        kind_s,
        lon_s,
        lat_s,
    ) in areas_src.rows():
        code_ok = _unique_area(check, line, code, seen, file_of)
        level = level_s if level_s in _FILE_LEVELS else None
        if level is None:
            check.error(line, "level", level_rule, level_s)
        name = check.text(line, "name", name_s, 200)
        name_en = check.optional_text(line, "name_en", name_en_s, 200)
        kind: str | None = None
        if level == "district":
            kind = check.choice(line, "kind", kind_s, DISTRICT_KINDS) if kind_s else None
        elif kind_s and level is not None:
            check.error(line, "kind", "must be empty: only districts have a kind", kind_s)
        lon = check.coordinate(line, "lon", lon_s, 180)
        lat = check.coordinate(line, "lat", lat_s, 90)
        if code_ok and level is None:
            broken.add(code)
        if code_ok and level is not None:
            by_level[level].append(
                _AreaRow(
                    AREAS_FILE,
                    line,
                    code,
                    level,
                    "parent_code",
                    parent_code,
                    name or "",
                    name_en,
                    kind,
                    lon,
                    lat,
                )
            )
    buildings_src = _CsvFile(directory, _BUILDINGS, errors)
    check = _Check(BUILDINGS_FILE, errors)
    for line, (code, compound_code, name_s, lon_s, lat_s) in buildings_src.rows():
        code_ok = _unique_area(check, line, code, seen, file_of)
        name = check.text(line, "name", name_s, 200)
        lon = check.coordinate(line, "lon", lon_s, 180)
        lat = check.coordinate(line, "lat", lat_s, 90)
        if code_ok:
            by_level["building"].append(
                _AreaRow(
                    BUILDINGS_FILE,
                    line,
                    code,
                    "building",
                    "compound_code",
                    compound_code,
                    name or "",
                    None,
                    None,
                    lon,
                    lat,
                )
            )

    cities = by_level["city"]
    if not cities and areas_src.complete:
        errors.add(AREAS_FILE, 0, "level", "exactly one area of level city is required")
    for extra in cities[1:]:
        errors.add(AREAS_FILE, extra.line, "level", "only one area of level city is allowed")

    rows = [row for lvl in AREA_LEVELS for row in by_level[lvl]]
    id_of = {row.code: i for i, row in enumerate(rows)}
    level_of = {row.code: row.level for row in rows}
    complete = areas_src.complete and buildings_src.complete
    parent: list[int | None] = []
    for row in rows:
        parent.append(None)
        if row.level == "city":
            if row.parent_code:
                errors.add(
                    row.file,
                    row.line,
                    row.parent_field,
                    "must be empty for the city",
                    row.parent_code,
                )
            continue
        expected = AREA_LEVELS[LEVEL[row.level] - 1]
        if not row.parent_code:
            errors.add(
                row.file, row.line, row.parent_field, "is required (only the city has no parent)"
            )
        elif row.parent_code not in level_of:
            if complete and row.parent_code not in broken:
                errors.add(
                    row.file,
                    row.line,
                    row.parent_field,
                    f"unknown {row.parent_field}",
                    row.parent_code,
                )
        elif level_of[row.parent_code] != expected:
            errors.add(
                row.file,
                row.line,
                row.parent_field,
                f"parent must be a {expected}",
                row.parent_code,
            )
        else:
            parent[-1] = id_of[row.parent_code]
    return _Areas(rows, parent, id_of, level_of, complete, broken)


def _unique_area(
    check: _Check, line: int, code: str, seen: dict[str, int], file_of: dict[str, str]
) -> bool:
    """Area and building codes share one namespace."""
    first = seen.get(code)
    if first is not None and file_of[code] != check.file:
        check.error(line, "code", f"duplicate code (first on {file_of[code]} line {first})", code)
        return False
    if check.unique(line, "code", code, seen):
        file_of[code] = check.file
        return True
    return False


def _read_geometries(directory: Path, areas: _Areas, errors: _Errors) -> dict[int, str]:
    """GeoJSON geometry text per area id, from the optional ``areas.geojson``."""
    path = directory / GEOJSON_FILE
    if not path.is_file():
        return {}
    check = _Check(GEOJSON_FILE, errors)
    try:
        document = json.loads(path.read_bytes().decode("utf-8-sig"))
    except UnicodeDecodeError:
        check.error(0, "", "is not valid UTF-8")
        return {}
    except json.JSONDecodeError as exc:
        check.error(0, "", f"is not valid JSON: {exc}")
        return {}
    features = document.get("features") if isinstance(document, dict) else None
    if (
        not isinstance(document, dict)
        or document.get("type") != "FeatureCollection"
        or not isinstance(features, list)
    ):
        check.error(0, "type", "must be a FeatureCollection with a list of features")
        return {}
    out: dict[int, str] = {}
    first: dict[str, int] = {}
    for index, feature in enumerate(features):
        line = index + 1
        if not isinstance(feature, dict):
            check.error(line, "", "must be a Feature object")
            continue
        props = feature.get("properties")
        code = props.get("code") if isinstance(props, dict) else None
        code = str(code) if isinstance(code, str | int) else None
        area: int | None = None
        if not code:
            check.error(line, "properties.code", "is required")
        elif code not in areas.id_of:
            if not areas.silent(code):
                check.error(line, "properties.code", "unknown area or building code", code)
        elif code in first:
            check.error(
                line, "properties.code", f"duplicate code (first in feature {first[code]})", code
            )
        else:
            first[code] = line
            area = areas.id_of[code]
        geometry = feature.get("geometry")
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        if not isinstance(geometry, dict) or gtype not in _GEOMETRY_TYPES:
            check.error(
                line,
                "geometry.type",
                "must be one of: " + ", ".join(_GEOMETRY_TYPES),
                None if gtype is None else str(gtype),
            )
            continue
        coordinates = geometry.get("coordinates")
        polygons = [coordinates] if gtype == "Polygon" else coordinates
        if (
            not isinstance(polygons, list)
            or not polygons
            or not all(_is_polygon(p) for p in polygons)
        ):
            rule = "must be closed linear rings of at least 4 [lon, lat] positions"
            check.error(line, "geometry.coordinates", rule)
            continue
        if area is not None:
            out[area] = json.dumps(
                {"type": gtype, "coordinates": coordinates}, separators=(",", ":")
            )
    return out


def _is_polygon(polygon: Any) -> bool:
    if not isinstance(polygon, list) or not polygon:
        return False
    for ring in polygon:
        if not isinstance(ring, list) or len(ring) < 4 or ring[0] != ring[-1]:
            return False
        for pos in ring:
            if not (
                isinstance(pos, list)
                and len(pos) >= 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) for x in pos)
                and abs(pos[0]) <= 180
                and abs(pos[1]) <= 90
            ):
                return False
    return True


def _read_adjacency(directory: Path, areas: _Areas, errors: _Errors) -> list[tuple[int, int]]:
    """Adjacent pairs ``(a, b)`` with ``a < b``, once each, sorted."""
    check = _Check(ADJACENCY_FILE, errors)
    pairs: set[tuple[int, int]] = set()
    for line, (code_a, code_b) in _CsvFile(directory, _ADJACENCY, errors).rows():
        ok = True
        for field, code in (("code_a", code_a), ("code_b", code_b)):
            if not code:
                check.error(line, field, "is required")
                ok = False
            elif code not in areas.id_of:
                if not areas.silent(code):
                    check.error(line, field, "unknown area or building code", code)
                ok = False
        if not ok:
            continue
        if code_a == code_b:
            check.error(line, "code_b", "must differ from code_a", code_b)
            continue
        level_a, level_b = areas.level_of[code_a], areas.level_of[code_b]
        if level_a != level_b:
            check.error(line, "code_b", f"must be of the same level as code_a ({level_a})", code_b)
            continue
        a, b = areas.id_of[code_a], areas.id_of[code_b]
        pairs.add((min(a, b), max(a, b)))
    return sorted(pairs)


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


def _table(rows: list[tuple[object, ...]], schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` from row tuples in its column order."""
    if not rows:
        return schema.empty_table()
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )


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
        code, h_code_s, b_code, age_s, sex, occupation, org_code, label, phone, idn, flags_s = (
            values
        )
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


# --------------------------------------------------------------------------- import


def batch_id_of(directory: Path) -> tuple[str, list[dict[str, object]]]:
    """SHA-256 of the import's files (sorted by name), and their names and sizes.

    Each present file contributes its name, its size and its bytes, so the id
    changes when any file changes, appears or disappears.
    """
    digest = hashlib.sha256()
    files: list[dict[str, object]] = []
    for name in sorted(FILES):
        path = directory / name
        if not path.is_file():
            continue
        size = path.stat().st_size
        digest.update(name.encode() + b"\0" + size.to_bytes(8, "big"))
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 20):
                digest.update(chunk)
        files.append({"name": name, "bytes": size})
    return digest.hexdigest(), files


def _populations(
    areas: _Areas, persons: pa.Table, households: pa.Table
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Residents and households per area id, rolled up from buildings to the city."""
    n = len(areas.rows)
    population = np.bincount(persons.column("building_id").to_numpy().astype(np.int64), minlength=n)
    homes = np.bincount(households.column("building_id").to_numpy().astype(np.int64), minlength=n)
    level = np.array([LEVEL[row.level] for row in areas.rows], dtype=np.int64)
    parent = np.array([-1 if p is None else p for p in areas.parent], dtype=np.int64)
    for lvl in range(len(AREA_LEVELS) - 1, 0, -1):
        ids = np.flatnonzero(level == lvl)
        np.add.at(population, parent[ids], population[ids])
        np.add.at(homes, parent[ids], homes[ids])
    return population, homes


def _areas_table(
    areas: _Areas, geometries: dict[int, str], persons: pa.Table, households: pa.Table
) -> pa.Table:
    population, homes = _populations(areas, persons, households)
    rows = areas.rows
    schema = AREAS.append(pa.field("geometry", pa.string()))
    return pa.table(
        {
            "id": pa.array(np.arange(len(rows), dtype=np.int32)),
            "code": pa.array([r.code for r in rows], pa.string()),
            "level": pa.array([r.level for r in rows], pa.string()),
            "parent_id": pa.array(areas.parent, pa.int32()),
            "name": pa.array([r.name for r in rows], pa.string()),
            "name_en": pa.array([r.name_en for r in rows], pa.string()),
            "kind": pa.array([r.kind for r in rows], pa.string()),
            "lon": pa.array([r.lon for r in rows], pa.float64()),
            "lat": pa.array([r.lat for r in rows], pa.float64()),
            "population": pa.array(population.astype(np.int32)),
            "households": pa.array(homes.astype(np.int32)),
            "geometry": pa.array([geometries.get(i) for i in range(len(rows))], pa.string()),
        },
        schema=schema,
    )


def import_city(
    *, session: Session, directory: Path, on_progress: Progress | None = None
) -> ImportResult:
    """Import the city described by the CSV files in ``directory``.

    Parameters
    ----------
    session
        Session whose transaction receives every row; flushed, never committed.
    directory
        Directory holding ``city.csv``, ``areas.csv``, ``buildings.csv``,
        ``venues.csv``, ``persons.csv``, ``facilities.csv`` and optionally
        ``areas.geojson`` and ``adjacency.csv`` (see ``docs/city-import.md``).
    on_progress
        Called with a table name and the number of rows just written.

    Returns
    -------
    ImportResult
        The batch id (SHA-256 of the files), rows per table, and
        ``unchanged=True`` when these exact files were imported before.

    Raises
    ------
    ImportRejected
        Some rows break the rules; ``errors`` lists all of them; nothing was written.
    ImportConflict
        The store already holds a city that did not come from these files.
    CityError
        ``directory`` is not a directory.
    """
    if not directory.is_dir():
        raise CityError(f"{directory} is not a directory")
    batch_id, files = batch_id_of(directory)
    done = session.get(ImportBatch, batch_id)
    if done is not None:
        counts = {str(k): int(v) for k, v in json.loads(done.counts).items()}
        return ImportResult(batch_id=batch_id, unchanged=True, counts=counts)
    existing = get_city(session=session)
    if existing is not None:
        raise ImportConflict(
            f"the workspace already holds a city ({existing.name}, {existing.source}); "
            "one city per store: import into a fresh workspace"
        )

    errors = _Errors()
    city = _read_city(directory, errors)
    areas = _read_areas(directory, errors)
    geometries = _read_geometries(directory, areas, errors)
    adjacency = _read_adjacency(directory, areas, errors)
    venues = _read_venues(directory, areas, errors)
    people = _read_persons(directory, areas, venues, errors)
    facilities = _read_facilities(directory, areas, venues, errors)
    if errors.items or city is None:
        raise ImportRejected(errors.items)

    tables = {
        "areas": ("areas", _areas_table(areas, geometries, people.persons, people.households)),
        "adjacency": ("area_adjacency", _table(list(adjacency), ADJACENCY)),
        "households": ("households", people.households),
        "venues": ("venues", venues.table),
        "groups": ("groups", people.groups),
        "persons": ("persons", people.persons),
        "facilities": ("facilities", facilities),
    }
    counts = {name: table.num_rows for name, (_, table) in tables.items()}
    offset = city.epoch.utcoffset()
    assert offset is not None  # checked by _epoch
    now = datetime.now(UTC).replace(tzinfo=None)
    session.add(
        City(
            id=0,
            name=city.name,
            name_en=city.name_en,
            epoch_utc=city.epoch.astimezone(UTC).replace(tzinfo=None),
            timezone=city.timezone,
            utc_offset_minutes=int(offset.total_seconds()) // 60,
            source="imported",
            seed=None,
            days=0,
            created_at=now,
        )
    )
    session.add(
        ImportBatch(
            id=batch_id,
            imported_at=now,
            files=json.dumps(files),
            counts=json.dumps(counts),
        )
    )
    session.flush()
    connection = session.connection()
    for name, (db_table, table) in tables.items():

        def advance(rows: int, _name: str = name) -> None:
            if on_progress:
                on_progress(_name, rows)

        bulk_insert(connection, db_table, table, on_progress=advance)
    return ImportResult(batch_id=batch_id, unchanged=False, counts=counts)
