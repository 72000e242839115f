"""Reading city.csv, areas.csv, buildings.csv, areas.geojson and adjacency.csv."""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from ....core.city.schemas import (
    AREA_LEVELS,
    DISTRICT_KINDS,
    LEVEL,
)
from .base import (
    _ADJACENCY,
    _AREAS,
    _BUILDINGS,
    _CITY,
    _FILE_LEVELS,
    _GEOMETRY_TYPES,
    ADJACENCY_FILE,
    AREAS_FILE,
    BUILDINGS_FILE,
    CITY_FILE,
    GEOJSON_FILE,
    _Check,
    _CsvFile,
    _Errors,
)


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
