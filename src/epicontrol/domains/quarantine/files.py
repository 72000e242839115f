"""The CSV files of ``epicontrol quarantine assign --contacts FILE --sites FILE``.

contacts: ``person_id,household_id,x,y,needs_accessible`` (x, y in km;
needs_accessible ``0/1``, ``true/false``, ``yes/no``); sites:
``site_id,x,y,rooms,accessible`` and optionally ``accessible_rooms``.  A file is
rejected whole with every bad value (file, line, field, rule).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
from numpy.typing import NDArray

from ..city.importing.base import RowError

CONTACT_COLUMNS: Final = ("person_id", "household_id", "x", "y", "needs_accessible")
SITE_COLUMNS: Final = ("site_id", "x", "y", "rooms", "accessible")
SITE_OPTIONAL: Final = ("accessible_rooms",)
_TRUE: Final = ("1", "true", "yes", "y", "t")
_FALSE: Final = ("0", "false", "no", "n", "f", "")


class FileInputError(ValueError):
    """A rejected file; ``errors`` lists every bad value."""

    def __init__(self, errors: list[RowError]) -> None:
        self.errors = errors
        super().__init__("; ".join(str(e) for e in errors[:10]))


@dataclass(frozen=True)
class ContactsFile:
    person_id: NDArray[np.int64]
    household_id: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    needs_accessible: NDArray[np.bool_]


@dataclass(frozen=True)
class SitesFile:
    site_id: NDArray[np.int64]
    x: NDArray[np.float64]
    y: NDArray[np.float64]
    rooms: NDArray[np.int64]
    accessible: NDArray[np.bool_]
    accessible_rooms: NDArray[np.int64]


def _rows(path: Path, required: tuple[str, ...], optional: tuple[str, ...]) -> list[dict[str, str]]:
    name = path.name
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise FileInputError([RowError(name, 0, "", f"cannot be read: {exc}")]) from None
    if not rows:
        raise FileInputError([RowError(name, 0, "", "is empty (a header line is required)")])
    header = [h.strip().lower() for h in rows[0]]
    errors = [
        RowError(name, 1, c, f"unknown column (expected: {', '.join(required + optional)})")
        for c in header
        if c not in required + optional
    ]
    errors += [RowError(name, 1, c, "column is required") for c in required if c not in header]
    if len(set(header)) != len(header):
        errors.append(RowError(name, 1, "", "a column appears twice"))
    if errors:
        raise FileInputError(errors)
    out = []
    for line, values in enumerate(rows[1:], start=2):
        if not any(v.strip() for v in values):
            continue
        if len(values) != len(header):
            errors.append(
                RowError(name, line, "", f"must have {len(header)} fields, has {len(values)}")
            )
            continue
        row = {h: v.strip() for h, v in zip(header, values, strict=True)}
        row["__line__"] = str(line)
        out.append(row)
    if errors:
        raise FileInputError(errors)
    return out


class _Parser:
    def __init__(self, name: str) -> None:
        self.name = name
        self.errors: list[RowError] = []

    def err(self, row: dict[str, str], field: str, rule: str) -> None:
        self.errors.append(RowError(self.name, int(row["__line__"]), field, rule, row.get(field)))

    def int_(self, row: dict[str, str], field: str, minimum: int | None = None) -> int:
        try:
            value = int(row[field])
        except ValueError:
            self.err(row, field, "must be an integer")
            return 0
        if minimum is not None and value < minimum:
            self.err(row, field, f"must be >= {minimum}")
        return value

    def float_(self, row: dict[str, str], field: str) -> float:
        try:
            value = float(row[field])
        except ValueError:
            self.err(row, field, "must be a number (km)")
            return 0.0
        if not math.isfinite(value):
            self.err(row, field, "must be a finite number (not NaN or inf)")
        return value

    def bool_(self, row: dict[str, str], field: str) -> bool:
        value = row.get(field, "").lower()
        if value in _TRUE:
            return True
        if value not in _FALSE:
            self.err(row, field, "must be 0/1, true/false or yes/no")
        return False

    def unique(self, rows: list[dict[str, str]], field: str, values: list[int]) -> None:
        seen: dict[int, str] = {}
        for row, v in zip(rows, values, strict=True):
            if v in seen:
                self.err(row, field, f"appears again (first on line {seen[v]}; each id once)")
            else:
                seen[v] = row["__line__"]


def read_contacts(path: Path) -> ContactsFile:
    rows = _rows(path, CONTACT_COLUMNS, ())
    p = _Parser(path.name)
    pid = [p.int_(r, "person_id", 0) for r in rows]
    hid = [p.int_(r, "household_id", 0) for r in rows]
    x = [p.float_(r, "x") for r in rows]
    y = [p.float_(r, "y") for r in rows]
    need = [p.bool_(r, "needs_accessible") for r in rows]
    p.unique(rows, "person_id", pid)
    if not rows:
        p.errors.append(RowError(path.name, 0, "", "has no contacts"))
    if p.errors:
        raise FileInputError(p.errors)
    return ContactsFile(
        np.array(pid, np.int64), np.array(hid, np.int64), np.array(x), np.array(y),
        np.array(need, bool),
    )  # fmt: skip


def read_sites(path: Path) -> SitesFile:
    rows = _rows(path, SITE_COLUMNS, SITE_OPTIONAL)
    p = _Parser(path.name)
    sid = [p.int_(r, "site_id", 0) for r in rows]
    x = [p.float_(r, "x") for r in rows]
    y = [p.float_(r, "y") for r in rows]
    rooms = [p.int_(r, "rooms", 0) for r in rows]
    acc = [p.bool_(r, "accessible") for r in rows]
    acc_rooms = []
    for r, n, a in zip(rows, rooms, acc, strict=True):
        if r.get("accessible_rooms", ""):
            k = p.int_(r, "accessible_rooms", 0)
            if k > n:
                p.err(r, "accessible_rooms", f"must be at most rooms ({n})")
            if k > 0 and not a:
                p.err(r, "accessible_rooms", "must be 0 or empty when the site is not accessible")
            acc_rooms.append(k)
        else:
            acc_rooms.append(-1)
    p.unique(rows, "site_id", sid)
    if not rows:
        p.errors.append(RowError(path.name, 0, "", "has no sites"))
    if p.errors:
        raise FileInputError(p.errors)
    return SitesFile(
        np.array(sid, np.int64), np.array(x), np.array(y), np.array(rooms, np.int64),
        np.array(acc, bool), np.array(acc_rooms, np.int64),
    )  # fmt: skip
