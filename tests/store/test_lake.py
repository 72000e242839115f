from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pytest

from epicontrol.core.city.schemas import CHECKINS
from epicontrol.store import lake

EPOCH = datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=8)))


def day_rows(day: int, n: int) -> pa.Table:
    return pa.table(
        {
            "person_id": pa.array(range(n), pa.int32()),
            "venue_id": pa.array([i % 3 for i in range(n)], pa.int32()),
            "t_in": pa.array([day * 1440 + 400 + i for i in range(n)], pa.int32()),
            "t_out": pa.array([day * 1440 + 430 + i for i in range(n)], pa.int32()),
        },
        schema=CHECKINS,
    )


def test_partitions_are_read_through_duckdb_with_the_day(tmp_path: Path) -> None:
    for day, n in ((0, 5), (1, 7)):
        _, rows = lake.write_partition(tmp_path, "checkins", day, [day_rows(day, n)], EPOCH)
        assert rows == n
    assert lake.partition_days(tmp_path, "checkins") == [0, 1]
    con = lake.connect(tmp_path)
    per_day = con.execute("SELECT day, count(*) FROM checkins GROUP BY day ORDER BY day").fetchall()
    assert per_day == [(0, 5), (1, 7)]
    assert con.execute("SELECT min(t_in) FROM checkins WHERE day = 1").fetchone() == (1840,)


def test_epoch_is_in_the_metadata_for_other_tools(tmp_path: Path) -> None:
    path, _ = lake.write_partition(tmp_path, "checkins", 0, [day_rows(0, 3)], EPOCH)
    assert lake.read_epoch(tmp_path) == EPOCH
    meta = pq.read_schema(path).metadata
    assert meta[b"epicontrol.epoch"] == b"2026-11-02T00:00:00+08:00"
    assert meta[b"epicontrol.time_unit"] == b"minutes"
    dataset = ds.dataset(tmp_path / "checkins", format="parquet", partitioning="hive")
    assert dataset.to_table().num_rows == 3
    assert dataset.schema.field("t_in").type == pa.int32()


def test_partitions_are_append_only(tmp_path: Path) -> None:
    lake.write_partition(tmp_path, "checkins", 0, [day_rows(0, 3)], EPOCH)
    with pytest.raises(lake.LakeError, match="append-only, day 0 is written"):
        lake.write_partition(tmp_path, "checkins", 0, [day_rows(0, 3)], EPOCH)


def test_a_failed_write_leaves_no_partition(tmp_path: Path) -> None:
    def batches():  # type: ignore[no-untyped-def]
        yield day_rows(0, 3)
        raise RuntimeError("feed broke")

    with pytest.raises(RuntimeError, match="feed broke"):
        lake.write_partition(tmp_path, "checkins", 0, batches(), EPOCH)
    assert lake.partition_days(tmp_path, "checkins") == []
    assert list((tmp_path / "checkins" / "day=0").iterdir()) == []


def test_one_lake_holds_one_epoch(tmp_path: Path) -> None:
    lake.write_partition(tmp_path, "checkins", 0, [day_rows(0, 1)], EPOCH)
    with pytest.raises(lake.LakeError, match="one lake holds one city"):
        lake.write_partition(tmp_path, "checkins", 1, [day_rows(1, 1)], EPOCH + timedelta(days=1))


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(lake.LakeError, match="dataset must be one of"):
        lake.write_partition(tmp_path, "nope", 0, [], EPOCH)
    with pytest.raises(lake.LakeError, match="timezone-aware"):
        lake.write_partition(tmp_path, "checkins", 0, [], datetime(2026, 11, 2))
    with pytest.raises(lake.LakeError, match="day must be >= 0"):
        lake.write_partition(tmp_path, "checkins", -1, [], EPOCH)
