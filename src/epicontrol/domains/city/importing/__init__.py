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

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from ....core.city.schemas import ADJACENCY, AREA_LEVELS, AREAS, LEVEL
from ..models import City, ImportBatch
from ..service import CityError, get_city, write_city_tables
from .areas import _Areas, _read_adjacency, _read_areas, _read_city, _read_geometries
from .base import (
    FILES,
    ImportConflict,
    ImportRejected,
    ImportResult,
    Progress,
    RowError,
    _Errors,
    _table,
)
from .people import _read_facilities, _read_persons, _read_venues

__all__ = [
    "FILES",
    "ImportConflict",
    "ImportRejected",
    "ImportResult",
    "RowError",
    "batch_id_of",
    "import_city",
]

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
        "areas": _areas_table(areas, geometries, people.persons, people.households),
        "adjacency": _table(list(adjacency), ADJACENCY),
        "households": people.households,
        "venues": venues.table,
        "groups": people.groups,
        "persons": people.persons,
        "facilities": facilities,
    }
    counts = {name: table.num_rows for name, table in tables.items()}
    offset = city.epoch.utcoffset()
    assert offset is not None  # checked by _epoch
    now = datetime.now(UTC).replace(tzinfo=None)
    session.add(
        ImportBatch(
            id=batch_id,
            imported_at=now,
            files=json.dumps(files),
            counts=json.dumps(counts),
        )
    )
    city_row = City(
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
    write_city_tables(session=session, city_row=city_row, tables=tables, on_progress=on_progress)
    return ImportResult(batch_id=batch_id, unchanged=False, counts=counts)
