"""What tracing loads once per command: the clock, the check-in index, the registries.

:func:`open_context` returns a :class:`TracingContext`: the space-time index of
the lake's check-ins (built once per lake version and cached under
``<lake>/_index/checkins/<version>/``, memory-mapped when loaded), the
registries the contact rules need (household, class/team, organisation) and
every person's home community.  :class:`Clock` converts between the lake's
int32 minutes since the city's epoch, the store's naive UTC datetimes and the
users' local time.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import os
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.city.schemas import LEVEL
from ...core.tracing.engine import Registry
from ...core.tracing.index import CheckinIndex
from ...store import lake
from ..city.importing.base import RowError
from ..city.models import Area, City, Person, Venue

#: Bump when the cached index files change meaning (forces a rebuild).
INDEX_FORMAT: Final = "1"
MINUTES_PER_DAY: Final = 1440
#: How many bad values an error lists (the total is always given).
SHOWN_ROWS: Final = 20

IndexProgress = Callable[[int, int], None]


class TracingError(RuntimeError):
    """The workspace cannot be traced (no city, no check-ins)."""


class CheckinError(TracingError):
    """The lake's check-ins break a rule (``errors`` names the file, row and rule)."""

    def __init__(self, errors: Sequence[RowError], total: int) -> None:
        self.errors: list[RowError] = list(errors)
        self.total = total
        shown = "; ".join(describe(e) for e in self.errors)
        super().__init__(f"{total} bad check-ins: {shown}")


def describe(error: RowError) -> str:
    """``error`` as one line; without a file it names only the field."""
    if not error.file:
        got = f" (got {error.value})" if error.value is not None else ""
        return f"{error.field}: {error.rule}{got}"
    return str(error)


# --------------------------------------------------------------------------- time


@dataclass(frozen=True)
class Clock:
    """Converts between lake minutes, naive UTC (the store) and local time (users)."""

    epoch_utc: datetime
    offset_minutes: int

    @classmethod
    def of(cls, city: City) -> Clock:
        return cls(city.epoch_utc, city.utc_offset_minutes)

    @property
    def tz(self) -> timezone:
        return timezone(timedelta(minutes=self.offset_minutes))

    def to_utc(self, when: datetime) -> datetime:
        """Naive UTC of ``when`` (a naive ``when`` is local city time)."""
        if when.tzinfo is None:
            return when - timedelta(minutes=self.offset_minutes)
        return when.astimezone(UTC).replace(tzinfo=None)

    def minutes(self, when: datetime) -> int:
        """Minutes since the epoch (floored) of ``when``."""
        return int((self.to_utc(when) - self.epoch_utc) // timedelta(minutes=1))

    def utc(self, minutes: int) -> datetime:
        return self.epoch_utc + timedelta(minutes=int(minutes))

    def local(self, minutes: int) -> datetime:
        return self.utc(minutes).replace(tzinfo=UTC).astimezone(self.tz)

    def from_store(self, naive_utc: datetime) -> datetime:
        """A stored naive UTC datetime as aware local time."""
        return naive_utc.replace(tzinfo=UTC).astimezone(self.tz)

    def store_minutes(self, naive_utc: datetime) -> int:
        return int((naive_utc - self.epoch_utc) // timedelta(minutes=1))

    def day_date(self, day: int) -> date:
        """Local date of lake day ``day``."""
        return (self.local(0) + timedelta(days=day)).date()

    def _text(self, minutes: NDArray[np.integer[Any]], base: datetime, fmt: str) -> pa.Array:
        """``minutes`` after ``base`` formatted (each distinct minute formatted once)."""
        values, inverse = np.unique(np.asarray(minutes, np.int64), return_inverse=True)
        seconds = int((base - datetime(1970, 1, 1)).total_seconds()) + values * 60
        text = pc.strftime(pa.array(seconds, pa.timestamp("s")), format=fmt)
        return pc.take(text, pa.array(inverse.reshape(-1)))

    def utc_text(self, minutes: NDArray[np.integer[Any]]) -> pa.Array:
        """Naive UTC text as SQLAlchemy stores DateTime on SQLite (PostgreSQL parses it too)."""
        return self._text(minutes, self.epoch_utc, "%Y-%m-%d %H:%M:%S.000000")

    def local_text(self, minutes: NDArray[np.integer[Any]]) -> pa.Array:
        """Local ISO 8601 with the UTC offset, e.g. ``2026-11-04T09:30:00+08:00``."""
        sign = "-" if self.offset_minutes < 0 else "+"
        hours, mins = divmod(abs(self.offset_minutes), 60)
        base = self.epoch_utc + timedelta(minutes=self.offset_minutes)
        return self._text(minutes, base, f"%Y-%m-%dT%H:%M:%S{sign}{hours:02d}:{mins:02d}")


def parse_when(value: str) -> datetime:
    """An ISO date (local midnight) or date-time; raises ``ValueError`` with the rule."""
    value = value.strip()
    try:
        if len(value) == 10:
            return datetime.combine(date.fromisoformat(value), time(0, 0))
        return datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(
            "must be an ISO date (2026-11-05) or date-time (2026-11-05T14:30)"
        ) from None


# --------------------------------------------------------------------------- index


def index_root(lake_dir: Path) -> Path:
    """Directory of the cached check-in indexes, one subdirectory per lake version."""
    return lake_dir / "_index" / "checkins"


def _partition(lake_dir: Path, day: int) -> Path:
    return lake.dataset_dir(lake_dir, "checkins") / f"day={day}" / "part-0.parquet"


def index_version(lake_dir: Path, *, n_persons: int, n_venues: int) -> str:
    """Hash of the check-in partitions (day, size, mtime) and the id ranges."""
    digest = hashlib.sha256(f"format={INDEX_FORMAT};{n_persons};{n_venues}\n".encode())
    for day in lake.partition_days(lake_dir, "checkins"):
        stat = _partition(lake_dir, day).stat()
        digest.update(f"{day}:{stat.st_size}:{stat.st_mtime_ns}\n".encode())
    return digest.hexdigest()[:20]


class _LakeCheckins:
    """The lake's check-ins, batch by batch, each checked before the index sees it.

    Iterable more than once (each pass reads the files again), so the index
    build counts in one pass and places in a second without holding the rows.
    ``on_rows(done, total)`` counts partitions read over both passes.
    """

    def __init__(
        self, lake_dir: Path, n_persons: int, n_venues: int, on_rows: IndexProgress | None
    ) -> None:
        self.lake_dir = lake_dir
        self.days = lake.partition_days(lake_dir, "checkins")
        self.n_persons = n_persons
        self.n_venues = n_venues
        self.on_rows = on_rows
        self.passes = 0

    def __iter__(self) -> Iterator[pa.RecordBatch]:
        done = self.passes * len(self.days)
        self.passes += 1
        for i, day in enumerate(self.days):
            path = _partition(self.lake_dir, day)
            name = path.relative_to(self.lake_dir.parent).as_posix()
            first_row = 0
            for batch in pq.ParquetFile(path).iter_batches(
                batch_size=1 << 20, columns=["person_id", "venue_id", "t_in", "t_out"]
            ):
                _check_batch(batch, name, first_row, self.n_persons, self.n_venues)
                first_row += batch.num_rows
                yield batch
            if self.on_rows:
                self.on_rows(done + i + 1, 2 * len(self.days))


def _check_batch(
    batch: pa.RecordBatch, name: str, first_row: int, n_persons: int, n_venues: int
) -> None:
    cols = {c: batch.column(c) for c in ("person_id", "venue_id", "t_in", "t_out")}
    errors: list[RowError] = []
    total = 0
    for column, array in cols.items():
        if array.null_count:
            rows = np.flatnonzero(pc.is_null(array).to_numpy(zero_copy_only=False))
            total += len(rows)
            errors += [RowError(name, first_row + int(r) + 1, column, "is required") for r in rows]
    if total:
        raise CheckinError(errors[:SHOWN_ROWS], total)
    pid, vid, t_in, t_out = (cols[c].to_numpy() for c in cols)
    rules = (
        (
            (pid < 0) | (pid >= n_persons),
            "person_id",
            f"must be a person id (0 to {n_persons - 1})",
        ),
        ((vid < 0) | (vid >= n_venues), "venue_id", f"must be a venue id (0 to {n_venues - 1})"),
        (t_out <= t_in, "t_out", "must be after t_in (time out before time in)"),
    )
    for bad, field, rule in rules:
        rows = np.flatnonzero(bad)
        total += len(rows)
        for r in rows[: max(SHOWN_ROWS - len(errors), 0)]:
            value = f"person {pid[r]}, venue {vid[r]}, t_in {t_in[r]}, t_out {t_out[r]}"
            errors.append(RowError(name, first_row + int(r) + 1, field, rule, value))
    if total:
        raise CheckinError(errors, total)


def ensure_index(
    lake_dir: Path, *, n_persons: int, n_venues: int, on_rows: IndexProgress | None = None
) -> tuple[CheckinIndex, str, bool]:
    """The memory-mapped check-in index of the lake as it is now: (index, version, built).

    Built into a temporary directory and renamed, so a reader never sees half
    an index; indexes of earlier lake versions are removed.  Raises
    :class:`CheckinError` when a check-in breaks a rule (nothing is cached).
    """
    if not lake.partition_days(lake_dir, "checkins"):
        raise TracingError(f"{lake_dir}: the lake has no check-ins to trace")
    version = index_version(lake_dir, n_persons=n_persons, n_venues=n_venues)
    root = index_root(lake_dir)
    final = root / version
    if _complete(final, version):
        return CheckinIndex.load(final), version, False
    tmp = root / f".{version}.{os.getpid()}.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        index = CheckinIndex.build(
            _LakeCheckins(lake_dir, n_persons, n_venues, on_rows),
            n_persons=n_persons,
            n_venues=n_venues,
            version=version,
        )
        index.save(tmp)  # meta.json last: a directory without it is incomplete
        del index
        shutil.rmtree(final, ignore_errors=True)
        try:
            tmp.rename(final)
        except OSError:
            if not _complete(final, version):  # another process did not just win the race
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for old in root.iterdir():
        if old.name != version and not old.name.startswith("."):
            shutil.rmtree(old, ignore_errors=True)
    return CheckinIndex.load(final), version, True


def _complete(directory: Path, version: str) -> bool:
    """True when ``directory`` holds a saved index of ``version``."""
    try:
        return bool(CheckinIndex.read_meta(directory).get("version") == version)
    except (FileNotFoundError, ValueError):
        return False


# --------------------------------------------------------------------------- registries


def _int_columns(session: Session, sql: str, names: Sequence[str]) -> dict[str, NDArray[np.int64]]:
    """Integer columns of a query (nulls already coalesced to -1), read in bulk."""
    connection = session.connection()
    raw: Any = connection.connection.driver_connection
    if connection.dialect.name == "postgresql":
        buffer = io.BytesIO()
        with raw.cursor() as cursor, cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)") as cp:
            for chunk in cp:
                buffer.write(chunk)
        buffer.seek(0)
        if not buffer.getbuffer().nbytes:
            return {n: np.zeros(0, np.int64) for n in names}
        table = pacsv.read_csv(
            buffer,
            read_options=pacsv.ReadOptions(column_names=list(names)),
            convert_options=pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.int64())),
        )
        return {n: table.column(n).to_numpy() for n in names}
    cursor = raw.cursor()
    parts: list[NDArray[np.int64]] = []
    try:
        cursor.execute(sql)
        while rows := cursor.fetchmany(200_000):
            flat = itertools.chain.from_iterable(rows)
            parts.append(
                np.fromiter(flat, np.int64, count=len(rows) * len(names)).reshape(-1, len(names))
            )
    finally:
        cursor.close()
    data = np.concatenate(parts) if parts else np.zeros((0, len(names)), np.int64)
    return {n: data[:, i] for i, n in enumerate(names)}


def area_ancestors(session: Session) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Community and district above every area id (-1 where there is none)."""
    cols = _int_columns(
        session,
        "SELECT id, COALESCE(parent_id, -1), "
        + "CASE level "
        + " ".join(f"WHEN '{name}' THEN {lvl}" for name, lvl in LEVEL.items())
        + " ELSE -1 END FROM areas",
        ("id", "parent", "level"),
    )
    n = int(cols["id"].max()) + 1 if len(cols["id"]) else 0
    parent = np.full(n + 1, -1, np.int64)
    level = np.full(n + 1, -1, np.int64)
    parent[cols["id"]] = cols["parent"]
    level[cols["id"]] = cols["level"]
    out = []
    for target in (LEVEL["community"], LEVEL["district"]):
        node = np.arange(n, dtype=np.int64)
        for _ in range(len(LEVEL)):
            up = (node >= 0) & (level[node] > target)
            if not up.any():
                break
            node[up] = parent[node[up]]
        node[(node >= 0) & (level[node] != target)] = -1
        out.append(node)
    return out[0], out[1]


@dataclass(frozen=True)
class LakeIndex:
    """The lake's check-in index with the clock and id ranges it was built for."""

    lake_dir: Path
    clock: Clock
    city_name: str
    index: CheckinIndex
    version: str
    built: bool
    n_persons: int
    n_venues: int
    first_day: int
    last_day: int

    def day_range_text(self) -> str:
        first, last = self.clock.day_date(self.first_day), self.clock.day_date(self.last_day)
        return f"{first.isoformat()} to {last.isoformat()}"


@dataclass(frozen=True)
class TracingContext:
    """Everything the engine needs, loaded once per command."""

    lake: LakeIndex
    registry: Registry
    person_exists: NDArray[np.bool_]
    person_community: NDArray[np.int64]

    @property
    def clock(self) -> Clock:
        return self.lake.clock

    @property
    def index(self) -> CheckinIndex:
        return self.lake.index

    @property
    def n_persons(self) -> int:
        return len(self.person_exists)


def get_city(session: Session) -> City:
    city = session.scalars(select(City).limit(1)).first()
    if city is None:
        raise TracingError("the store holds no city yet: run `epicontrol city generate` or import")
    return city


def open_lake(
    *, session: Session, lake_dir: Path, on_index: IndexProgress | None = None
) -> LakeIndex:
    """The check-in index of the workspace (loaded, or built once for this lake version)."""
    city = get_city(session)
    days = lake.partition_days(lake_dir, "checkins")
    if not days:
        raise TracingError(f"{lake_dir}: the lake has no check-ins to trace")
    n_venues = int(session.scalar(select(func.coalesce(func.max(Venue.id) + 1, 0))) or 0)
    n_persons = int(session.scalar(select(func.coalesce(func.max(Person.id) + 1, 0))) or 0)
    index, version, built = ensure_index(
        lake_dir, n_persons=n_persons, n_venues=n_venues, on_rows=on_index
    )
    return LakeIndex(
        lake_dir=lake_dir,
        clock=Clock.of(city),
        city_name=city.name,
        index=index,
        version=version,
        built=built,
        n_persons=n_persons,
        n_venues=n_venues,
        first_day=days[0],
        last_day=days[-1],
    )


def open_context(
    *, session: Session, lake_dir: Path, on_index: IndexProgress | None = None
) -> TracingContext:
    """Index (built or loaded), registries and home communities of the workspace."""
    lake_index = open_lake(session=session, lake_dir=lake_dir, on_index=on_index)
    n_persons = lake_index.n_persons
    cols = _int_columns(
        session,
        "SELECT id, household_id, COALESCE(group_id, -1), COALESCE(org_venue_id, -1), "
        "building_id FROM persons",
        ("id", "household", "group", "org", "building"),
    )
    arrays = {k: np.full(n_persons, -1, np.int32) for k in ("household", "group", "org")}
    for key, array in arrays.items():
        array[cols["id"]] = cols[key]
    exists = np.zeros(n_persons, np.bool_)
    exists[cols["id"]] = True
    groups = _int_columns(
        session,
        "SELECT id, CASE kind WHEN 'class' THEN 0 ELSE 1 END FROM groups",
        ("id", "kind"),
    )
    group_kind = np.ones(int(groups["id"].max()) + 1 if len(groups["id"]) else 0, np.int8)
    group_kind[groups["id"]] = groups["kind"]
    community_of_area, _ = area_ancestors(session)
    community = np.full(n_persons, -1, np.int64)
    community[cols["id"]] = community_of_area[cols["building"]]
    return TracingContext(
        lake=lake_index,
        registry=Registry(
            household=arrays["household"],
            group=arrays["group"],
            org_venue=arrays["org"],
            group_kind=group_kind,
        ),
        person_exists=exists,
        person_community=community,
    )


def persons_by_id(session: Session, ids: Sequence[int]) -> dict[int, Person]:
    """Persons of ``ids`` (queried in chunks)."""
    out: dict[int, Person] = {}
    unique = sorted(set(ids))
    for i in range(0, len(unique), 1000):
        for p in session.scalars(select(Person).where(Person.id.in_(unique[i : i + 1000]))):
            out[p.id] = p
    return out


def areas_by_id(session: Session, ids: Sequence[int]) -> dict[int, Area]:
    out: dict[int, Area] = {}
    unique = sorted({i for i in ids if i >= 0})
    for i in range(0, len(unique), 1000):
        for a in session.scalars(select(Area).where(Area.id.in_(unique[i : i + 1000]))):
            out[a.id] = a
    return out
