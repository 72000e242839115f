"""Shared pieces of the importer: public types, CSV reading and value checks."""

from __future__ import annotations

import csv
import math
import operator
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import pyarrow as pa
from pydantic import BaseModel

from ....core.city.schemas import (
    AREA_LEVELS,
    SpecialFlag,
    tier_of,
)
from ..service import CityError

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
    ("org_venue_code", "group_label", "phone", "id_number", "special_flags", "home_jurisdiction"),
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


def _table(rows: list[tuple[object, ...]], schema: pa.Schema) -> pa.Table:
    """A table of ``schema`` from row tuples in its column order."""
    if not rows:
        return schema.empty_table()
    columns = list(zip(*rows, strict=True))
    return pa.Table.from_arrays(
        [pa.array(col, type=f.type) for col, f in zip(columns, schema, strict=True)],
        schema=schema,
    )
