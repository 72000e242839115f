"""The check-in index: orders, queries at boundary times, save/load, bad input."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.tracing import CheckinIndex


def table(rows: list[tuple[int, int, int, int]]) -> pa.Table:
    p, v, a, b = (np.array(x, dtype=np.int32) for x in zip(*rows, strict=True))
    return pa.table({"person_id": p, "venue_id": v, "t_in": a, "t_out": b})


ROWS = [
    (0, 0, 10, 20),
    (1, 0, 5, 600),  # long stay: starts long before a later query
    (2, 0, 20, 30),
    (0, 1, 30, 40),
    (1, 1, 30, 35),
    (2, 0, 10, 12),
]


@pytest.fixture(scope="module")
def index() -> CheckinIndex:
    return CheckinIndex.build([table(ROWS)], n_persons=4, n_venues=3)


def test_orders_and_range(index: CheckinIndex) -> None:
    assert (index.n_persons, index.n_venues, index.n_checkins) == (4, 3, 6)
    assert (index.t_min, index.t_max) == (5, 600)
    assert index.v_off.tolist() == [0, 4, 6, 6]
    assert list(zip(index.v_person.tolist(), index.v_tin.tolist(), strict=True)) == [
        (1, 5), (0, 10), (2, 10), (2, 20), (0, 30), (1, 30),
    ]  # fmt: skip
    assert index.p_off.tolist() == [0, 2, 4, 6, 6]
    assert index.p_tin.tolist() == [10, 30, 5, 30, 10, 20]
    assert index.v_maxdur.tolist() == [595, 10, 0]
    assert not index.v_person.flags.writeable


def test_at_venue_boundaries(index: CheckinIndex) -> None:
    def at(t0: int, t1: int) -> list[tuple[int, int, int]]:
        p, a, b = index.at_venue(0, t0, t1)
        return list(zip(p.tolist(), a.tolist(), b.tolist(), strict=True))

    assert at(20, 21) == [(1, 5, 600), (2, 20, 30)]  # [10, 20) ended at 20
    assert at(19, 20) == [(1, 5, 600), (0, 10, 20)]  # [20, 30) starts at 20
    assert at(0, 5) == []  # the long stay starts at 5
    assert at(0, 6) == [(1, 5, 600)]
    assert at(599, 10_000) == [(1, 5, 600)]  # found although it started 594 minutes earlier
    assert at(600, 10_000) == []
    assert index.at_venue(2, 0, 1000)[0].tolist() == []


def test_of_person_boundaries(index: CheckinIndex) -> None:
    v, a, b = index.of_person(0, 20, 31)
    assert (v.tolist(), a.tolist(), b.tolist()) == ([1], [30], [40])
    v, a, b = index.of_person(1, 500, 501)
    assert (v.tolist(), a.tolist(), b.tolist()) == ([0], [5], [600])
    assert index.of_person(3, 0, 10_000)[0].tolist() == []
    assert index.of_person(2, 12, 20)[0].tolist() == []


def test_query_errors(index: CheckinIndex) -> None:
    with pytest.raises(ValueError, match=r"venue 3 is not a known venue \(0..2\)"):
        index.at_venue(3, 0, 10)
    with pytest.raises(ValueError, match=r"person -1 is not a known person \(0..3\)"):
        index.of_person(-1, 0, 10)
    with pytest.raises(ValueError, match=r"t1 \(10\) must be > t0 \(10\)"):
        index.at_venue(0, 10, 10)


def test_random_queries_match_a_scan() -> None:
    rng = np.random.default_rng(4)
    n = 3_000
    t_in = rng.integers(0, 5_000, n)
    rows = list(
        zip(rng.integers(0, 50, n).tolist(), rng.integers(0, 7, n).tolist(), t_in.tolist(),
            (t_in + rng.integers(1, 700, n)).tolist(), strict=True)
    )  # fmt: skip
    idx = CheckinIndex.build(
        (b for b in table(rows).to_batches(max_chunksize=400)), n_persons=50, n_venues=7
    )
    arr = np.array(rows)
    for _ in range(200):
        t0 = int(rng.integers(-100, 5_500))
        t1 = t0 + int(rng.integers(1, 300))
        v, p = int(rng.integers(7)), int(rng.integers(50))
        live = (arr[:, 2] < t1) & (arr[:, 3] > t0)
        got = sorted(zip(*(x.tolist() for x in idx.at_venue(v, t0, t1)), strict=True))
        assert got == sorted(map(tuple, arr[live & (arr[:, 1] == v)][:, [0, 2, 3]].tolist()))
        got = list(zip(*(x.tolist() for x in idx.of_person(p, t0, t1)), strict=True))
        assert got == sorted(map(tuple, arr[live & (arr[:, 0] == p)][:, [1, 2, 3]].tolist()),
                             key=lambda r: (r[1], r[0], r[2]))  # fmt: skip


def test_one_shot_and_reiterable_inputs_agree() -> None:
    rows = [(p % 5, p % 3, 100 - p, 130 + p) for p in range(40)]

    class Twice:
        def __iter__(self) -> Iterator[pa.RecordBatch]:
            return iter(table(rows).to_batches(max_chunksize=7))

    a = CheckinIndex.build(Twice(), n_persons=5, n_venues=3)
    b = CheckinIndex.build(iter(table(rows).to_batches(max_chunksize=7)), n_persons=5, n_venues=3)
    c = CheckinIndex.build(table(rows), n_persons=5, n_venues=3, threads=1)
    for name in ("v_off", "v_person", "v_tin", "v_tout", "p_off", "p_venue", "p_tin", "p_tout"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
        assert np.array_equal(getattr(a, name), getattr(c, name)), name


def test_save_and_memory_mapped_load(index: CheckinIndex, tmp_path: Path) -> None:
    index.save(tmp_path / "idx", version="lake-v7")
    meta = CheckinIndex.read_meta(tmp_path / "idx")
    assert meta["version"] == "lake-v7" and meta["n_checkins"] == 6
    loaded = CheckinIndex.load(tmp_path / "idx")
    assert loaded.version == "lake-v7"
    assert (loaded.t_min, loaded.t_max, loaded.p_maxdur) == (5, 600, 595)
    for name in ("v_off", "v_person", "v_tin", "v_tout", "v_maxdur", "p_off", "p_venue", "p_tin"):
        arr = getattr(loaded, name)
        assert np.array_equal(arr, getattr(index, name)), name
        assert not arr.flags.owndata and not arr.flags.writeable  # a view of the mapped file
    assert loaded.at_venue(0, 599, 700)[0].tolist() == [1]
    with pa.memory_map(str(tmp_path / "idx" / "by_venue.arrow")) as source:
        assert pa.ipc.open_file(source).get_batch(0).num_rows == 6


def test_load_errors(index: CheckinIndex, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no complete index"):
        CheckinIndex.load(tmp_path)
    index.save(tmp_path)
    (tmp_path / "meta.json").write_text('{"format": "other"}')
    with pytest.raises(ValueError, match=r"not a epicontrol\.checkin_index"):
        CheckinIndex.load(tmp_path)


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([(0, 0, 1, 2), (1, 0, 5, 5)], r"check-in row 1 \(person_id 1, venue_id 0, t_in 5, "
         r"t_out 5\): t_out must be after t_in \(t_out > t_in\)"),
        ([(0, 0, 9, 3)], r"check-in row 0 .*t_out must be after t_in"),
        ([(0, 0, 1, 2), (4, 0, 1, 2)], r"row 1 .*person_id is not a known person \(0..3\)"),
        ([(0, -1, 1, 2)], r"check-in row 0 .*venue_id is not a known venue \(0..2\)"),
    ],
)  # fmt: skip
def test_bad_checkins_name_the_row(rows: list[tuple[int, int, int, int]], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CheckinIndex.build([table(rows)], n_persons=4, n_venues=3)


def test_bad_checkins_across_batches_and_columns() -> None:
    good = table([(0, 0, 1, 2)] * 3)
    with pytest.raises(ValueError, match=r"check-in row 4 \("):
        CheckinIndex.build([good, table([(0, 0, 1, 2), (0, 0, 3, 1)])], n_persons=1, n_venues=1)
    with pytest.raises(ValueError, match="must have a column 't_out'"):
        CheckinIndex.build([good.drop_columns(["t_out"])], n_persons=1, n_venues=1)
    nulls = good.set_column(2, "t_in", pa.array([1, None, 1], pa.int32()))
    with pytest.raises(ValueError, match="check-in row 1: t_in is null"):
        CheckinIndex.build([nulls], n_persons=1, n_venues=1)
    with pytest.raises(ValueError, match="n_persons must be an integer"):
        CheckinIndex.build([good], n_persons=-1, n_venues=1)


def test_empty_index() -> None:
    empty = CheckinIndex.build([], n_persons=3, n_venues=2)
    assert (empty.n_checkins, empty.t_min, empty.t_max) == (0, 0, 0)
    assert empty.at_venue(1, 0, 10)[0].tolist() == []


def test_a_source_that_changes_between_passes_is_rejected() -> None:
    class Changing:
        calls = 0

        def __iter__(self) -> Iterator[pa.RecordBatch]:
            self.calls += 1
            person = 0 if self.calls <= 2 else 5  # out of range when placing
            return iter(table([(person, 0, 1, 2)]).to_batches())

    with pytest.raises(ValueError, match="changed between the two passes"):
        CheckinIndex.build(Changing(), n_persons=1, n_venues=1)
