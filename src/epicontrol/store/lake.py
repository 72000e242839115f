"""The lake: large append-only tables as Hive-partitioned Parquet, read with DuckDB.

Layout under ``<workspace>/lake/``::

    checkins/_common_metadata          schema + epicontrol.* key/values
    checkins/day=<d>/part-0.parquet    one partition per day since the epoch
    syndromic/_common_metadata
    syndromic/day=<d>/part-0.parquet

Every Parquet file and the ``_common_metadata`` file carry the key/value
metadata ``epicontrol.epoch`` (ISO 8601 local midnight of day 0, with its UTC
offset), ``epicontrol.time_unit`` (``minutes``) and ``epicontrol.dataset``.
A partition is written to a temporary name and renamed, so a reader never
sees half a day; an existing partition is never overwritten.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..core.city.schemas import CHECKINS, SYNDROMIC

DATASETS: dict[str, pa.Schema] = {"checkins": CHECKINS, "syndromic": SYNDROMIC}
EPOCH_KEY = b"epicontrol.epoch"


class LakeError(RuntimeError):
    """A lake operation that cannot be done (bad dataset, existing partition)."""


def _schema(dataset: str, epoch: datetime) -> pa.Schema:
    if dataset not in DATASETS:
        raise LakeError(f"dataset must be one of {sorted(DATASETS)}, got {dataset!r}")
    if epoch.tzinfo is None:
        raise LakeError("epoch must be timezone-aware (local midnight with its UTC offset)")
    return DATASETS[dataset].with_metadata(
        {
            EPOCH_KEY: epoch.isoformat().encode(),
            b"epicontrol.time_unit": b"minutes",
            b"epicontrol.dataset": dataset.encode(),
        }
    )


def dataset_dir(lake_dir: Path, dataset: str) -> Path:
    """Directory of ``dataset`` in the lake."""
    return lake_dir / dataset


def init_dataset(lake_dir: Path, dataset: str, epoch: datetime) -> Path:
    """Create the dataset directory and its ``_common_metadata`` (idempotent).

    Raises :class:`LakeError` when the dataset exists with another epoch.
    """
    schema = _schema(dataset, epoch)
    root = dataset_dir(lake_dir, dataset)
    root.mkdir(parents=True, exist_ok=True)
    meta = root / "_common_metadata"
    if meta.exists():
        existing = read_epoch(lake_dir, dataset)
        if existing != epoch:
            raise LakeError(
                f"{root}: the dataset's epoch is {existing.isoformat()}, "
                f"not {epoch.isoformat()}; one lake holds one city"
            )
        return root
    pq.write_metadata(schema, meta)
    return root


def read_epoch(lake_dir: Path, dataset: str = "checkins") -> datetime:
    """The epoch recorded in the dataset's ``_common_metadata``."""
    meta = dataset_dir(lake_dir, dataset) / "_common_metadata"
    if not meta.exists():
        raise LakeError(f"{meta} does not exist: the dataset was never written")
    kv = pq.read_schema(meta).metadata or {}
    if EPOCH_KEY not in kv:
        raise LakeError(f"{meta} has no {EPOCH_KEY.decode()} entry")
    return datetime.fromisoformat(kv[EPOCH_KEY].decode())


def write_partition(
    lake_dir: Path,
    dataset: str,
    day: int,
    batches: Iterable[pa.RecordBatch | pa.Table],
    epoch: datetime,
) -> tuple[Path, int]:
    """Write one day of ``dataset`` from record batches; returns (path, rows).

    The partition must not exist yet (the lake is append-only).  Batches are
    written as they come, so memory stays at one batch.
    """
    if day < 0:
        raise LakeError(f"day must be >= 0, got {day}")
    schema = _schema(dataset, epoch)
    root = init_dataset(lake_dir, dataset, epoch)
    part_dir = root / f"day={day}"
    final = part_dir / "part-0.parquet"
    if final.exists():
        raise LakeError(f"{final} exists: partitions are append-only, day {day} is written")
    part_dir.mkdir(parents=True, exist_ok=True)
    tmp = part_dir / f".part-0.parquet.{os.getpid()}.tmp"
    rows = 0
    try:
        with pq.ParquetWriter(tmp, schema, compression="zstd", compression_level=3) as writer:
            for batch in batches:
                table = batch if isinstance(batch, pa.Table) else pa.Table.from_batches([batch])
                table = table.select(schema.names).cast(schema)
                writer.write_table(table, row_group_size=1 << 20)
                rows += table.num_rows
        os.replace(tmp, final)
    finally:
        if tmp.exists():
            tmp.unlink()
    return final, rows


def partition_days(lake_dir: Path, dataset: str) -> list[int]:
    """Days that have a written partition, sorted."""
    root = dataset_dir(lake_dir, dataset)
    if not root.exists():
        return []
    days = [
        int(p.name.split("=", 1)[1])
        for p in root.iterdir()
        if p.name.startswith("day=") and (p / "part-0.parquet").exists()
    ]
    return sorted(days)


def connect(lake_dir: Path, *, threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with one view per written dataset.

    Views: ``checkins(person_id, venue_id, t_in, t_out, day)`` and
    ``syndromic(area_id, signal, day, count)``.
    """
    con = duckdb.connect(":memory:")
    if threads is not None:
        con.execute(f"SET threads TO {int(threads)}")
    for name in DATASETS:
        if not partition_days(lake_dir, name):
            continue
        glob = (dataset_dir(lake_dir, name) / "day=*" / "part-0.parquet").as_posix()
        escaped = glob.replace("'", "''")
        con.execute(
            f"CREATE VIEW {name} AS SELECT * FROM read_parquet('{escaped}', "
            "hive_partitioning = true, hive_types = {'day': INTEGER})"
        )
    return con
