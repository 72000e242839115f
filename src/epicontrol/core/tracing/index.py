"""Space-time index of venue check-ins: who was where, when.

The lake's check-ins are held twice, as parallel int32 columns:

* by venue — ``(person_id, t_in, t_out)`` sorted by ``(venue, t_in, person)``
  with per-venue offsets, so that "who was at venue *v* during ``[t0, t1)``"
  is a binary search over that venue's ``t_in`` and a short scan (stays start
  at most ``max_duration[v]`` minutes before ``t0``);
* by person — ``(venue_id, t_in, t_out)`` sorted by ``(person, t_in, venue)``
  with per-person offsets: a person's visits in time order.

Both orders are built as compressed sparse rows [1]_: counts per person and
per venue give the offsets, a stable scatter places the rows, and each
person's and each venue's rows are then sorted by time — by a counting sort
over the venue's time span (minutes) when that is short, so the build is
linear in the number of check-ins on a lake of days.  The index is built once
per lake version, saved as uncompressed Arrow IPC files and memory-mapped
back without copying.

References
----------
.. [1] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM,
   2003, §3.4 (compressed sparse row storage).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from pathlib import Path
from typing import Any

import numba as nb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
FORMAT = "epicontrol.checkin_index"
FORMAT_VERSION = 1
_COLUMNS = ("person_id", "venue_id", "t_in", "t_out")
_FILES = {
    "by_venue": ("person_id", "t_in", "t_out"),
    "by_person": ("venue_id", "t_in", "t_out"),
    "venue_offsets": ("offset",),
    "person_offsets": ("offset",),
    "venues": ("max_duration",),
}
#: Longest time span (minutes) of a venue's rows sorted by counting; longer: merge sort.
_MAX_BUCKETS = 1 << 22


def default_threads() -> int:
    """Worker threads used by the engine: numba's thread count (the cores by default)."""
    return max(1, int(nb.get_num_threads()))


@nb.njit(nogil=True, cache=True)
def _batch_stats(person, venue, t_in, t_out, n_persons, n_venues, p_count, v_count, v_maxdur):  # type: ignore[no-untyped-def]
    """Count rows per person and venue; return (bad row, kind, t_min, t_max, max duration)."""
    t_min = np.int64(2**31)
    t_max = np.int64(-(2**31) - 1)
    longest = np.int64(0)
    for i in range(len(person)):
        p = person[i]
        v = venue[i]
        if p < 0 or p >= n_persons:
            return i, 1, t_min, t_max, longest
        if v < 0 or v >= n_venues:
            return i, 2, t_min, t_max, longest
        dur = np.int64(t_out[i]) - np.int64(t_in[i])
        if dur <= 0:
            return i, 3, t_min, t_max, longest
        p_count[p] += 1
        v_count[v] += 1
        if dur > v_maxdur[v]:
            v_maxdur[v] = dur
        longest = max(longest, dur)
        t_min = min(t_min, np.int64(t_in[i]))
        t_max = max(t_max, np.int64(t_out[i]))
    return -1, 0, t_min, t_max, longest


@nb.njit(nogil=True, cache=True)
def _scatter_by_person(person, venue, t_in, t_out, cursor, end, n_venues, o_venue, o_tin, o_tout):  # type: ignore[no-untyped-def]
    """Stable scatter of one batch into the person order.

    Returns False, before writing out of place, if the batch does not match
    the counts (the source changed between two passes).
    """
    for i in range(len(person)):
        p = person[i]
        if p < 0 or p >= len(cursor) or venue[i] < 0 or venue[i] >= n_venues:
            return False
        k = cursor[p]
        if k >= end[p] or t_out[i] <= t_in[i]:
            return False
        o_venue[k] = venue[i]
        o_tin[k] = t_in[i]
        o_tout[k] = t_out[i]
        cursor[p] = k + 1
    return True


@nb.njit(nogil=True, cache=True)
def _sort_segments(off, s0, s1, key, tie, other):  # type: ignore[no-untyped-def]
    """Sort rows of segments ``s0..s1`` by ``(key, tie)`` in place, carrying ``other``."""
    for s in range(s0, s1):
        lo = off[s]
        hi = off[s + 1]
        ordered = True
        for i in range(lo + 1, hi):
            if key[i] < key[i - 1] or (key[i] == key[i - 1] and tie[i] < tie[i - 1]):
                ordered = False
                break
        if ordered:
            continue
        n = hi - lo
        composite = np.empty(n, dtype=np.int64)
        for i in range(n):
            composite[i] = (np.int64(key[lo + i]) << 32) + np.int64(tie[lo + i])
        order = np.argsort(composite, kind="mergesort")
        k2 = key[lo:hi].copy()
        t2 = tie[lo:hi].copy()
        o2 = other[lo:hi].copy()
        for i in range(n):
            key[lo + i] = k2[order[i]]
            tie[lo + i] = t2[order[i]]
            other[lo + i] = o2[order[i]]


@nb.njit(nogil=True, cache=True)
def _scatter_to_venues(p_off, p_venue, p_tin, p_tout, v0, v1, cursor, o_p, o_in, o_out):  # type: ignore[no-untyped-def]
    """Stable scatter, in person order, of the rows whose venue is in ``[v0, v1)``."""
    for p in range(len(p_off) - 1):
        for i in range(p_off[p], p_off[p + 1]):
            v = p_venue[i]
            if v < v0 or v >= v1:
                continue
            j = cursor[v]
            o_p[j] = p
            o_in[j] = p_tin[i]
            o_out[j] = p_tout[i]
            cursor[v] = j + 1


@nb.njit(nogil=True, cache=True)
def _sort_by_time(off, s0, s1, t_in, person, t_out, counts):  # type: ignore[no-untyped-def]
    """Stable sort of each segment ``s0..s1`` by ``t_in`` (ties keep person order).

    A counting sort over the segment's time span when that span is short
    (``counts`` is the scratch, at least span + 1 long), else a merge sort.
    """
    for s in range(s0, s1):
        lo = off[s]
        hi = off[s + 1]
        n = hi - lo
        if n < 2:
            continue
        first = t_in[lo]
        last = t_in[lo]
        ordered = True
        for i in range(lo + 1, hi):
            t = t_in[i]
            if t < t_in[i - 1]:
                ordered = False
            first = min(first, t)
            last = max(last, t)
        if ordered:
            continue
        span = np.int64(last) - np.int64(first) + 1
        order = np.empty(n, dtype=np.int64)
        if span < len(counts) and span <= 8 * n:
            counts[: span + 1] = 0
            for i in range(lo, hi):
                counts[t_in[i] - first + 1] += 1
            for b in range(span):
                counts[b + 1] += counts[b]
            for i in range(lo, hi):
                b = t_in[i] - first
                order[counts[b]] = i - lo
                counts[b] += 1
        else:
            order[:] = np.argsort(t_in[lo:hi], kind="mergesort")
        a = t_in[lo:hi].copy()
        b2 = person[lo:hi].copy()
        c = t_out[lo:hi].copy()
        for i in range(n):
            k = order[i]
            t_in[lo + i] = a[k]
            person[lo + i] = b2[k]
            t_out[lo + i] = c[k]


def balanced_ranges(offsets: I64, parts: int) -> list[tuple[int, int]]:
    """Split segments ``0..len(offsets)-1`` into ≤ ``parts`` contiguous ranges of similar size."""
    n_seg = len(offsets) - 1
    if n_seg <= 0:
        return []
    targets = np.linspace(0, offsets[-1], parts + 1)[1:-1]
    cuts = np.unique(np.r_[0, np.searchsorted(offsets, targets), n_seg]).astype(int)
    return [(int(a), int(b)) for a, b in pairwise(cuts) if b > a]


def _batches(source: Iterable[pa.RecordBatch | pa.Table]) -> Iterator[pa.RecordBatch]:
    for item in source:
        if isinstance(item, pa.Table):
            yield from item.to_batches()
        elif isinstance(item, pa.RecordBatch):
            yield item
        else:
            raise TypeError(f"check-ins must be pyarrow RecordBatch or Table, got {type(item)}")


def _columns(batch: pa.RecordBatch, row0: int) -> tuple[I32, I32, I32, I32]:
    """The four check-in columns of ``batch`` as int32 arrays; nulls are rejected."""
    names = batch.schema.names
    out = []
    for name in _COLUMNS:
        if name not in names:
            raise ValueError(f"check-ins must have a column {name!r}; got {names}")
        col = batch.column(names.index(name))
        if col.null_count:
            row = row0 + int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise ValueError(f"check-in row {row}: {name} is null; every check-in needs {_COLUMNS}")
        try:
            col = col.cast(pa.int32())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise ValueError(f"check-ins: column {name} must hold 32-bit integers ({exc})") from exc
        out.append(np.ascontiguousarray(col.to_numpy(zero_copy_only=False), dtype=np.int32))
    return out[0], out[1], out[2], out[3]


def _drain(stack: list[tuple[I32, I32, I32, I32]]) -> Iterator[tuple[I32, I32, I32, I32]]:
    """Pop items off ``stack`` (so each is freed once used)."""
    while stack:
        yield stack.pop()


def _frozen(a: NDArray[Any]) -> NDArray[Any]:
    a.flags.writeable = False
    return a


class CheckinIndex:
    """Check-ins sorted by (venue, t_in) with per-venue offsets, and by (person, t_in) with
    per-person offsets.

    Attributes
    ----------
    n_persons, n_venues : int
        Sizes of the id spaces (ids are ``0..n-1``).
    t_min, t_max : int
        The lake's time range in minutes: earliest ``t_in`` and latest ``t_out``
        (both 0 for an empty index).
    n_checkins : int
        Number of check-ins.
    version : str or None
        Caller-given version of the lake the index was built from (kept in ``meta.json``).
    v_off, v_person, v_tin, v_tout, v_maxdur :
        By-venue order: offsets (int64, ``n_venues + 1``), the three columns,
        and each venue's longest stay in minutes.
    p_off, p_venue, p_tin, p_tout, p_maxdur :
        By-person order, and the longest stay of anyone (int).

    All arrays are read-only.
    """

    def __init__(
        self,
        *,
        n_persons: int,
        n_venues: int,
        t_min: int,
        t_max: int,
        v_off: I64,
        v_person: I32,
        v_tin: I32,
        v_tout: I32,
        v_maxdur: I32,
        p_off: I64,
        p_venue: I32,
        p_tin: I32,
        p_tout: I32,
        p_maxdur: int,
        version: str | None = None,
    ) -> None:
        self.n_persons = n_persons
        self.n_venues = n_venues
        self.t_min = t_min
        self.t_max = t_max
        self.version = version
        self.v_off, self.v_person, self.v_tin, self.v_tout = v_off, v_person, v_tin, v_tout
        self.v_maxdur = v_maxdur
        self.p_off, self.p_venue, self.p_tin, self.p_tout = p_off, p_venue, p_tin, p_tout
        self.p_maxdur = p_maxdur

    @property
    def n_checkins(self) -> int:
        return len(self.v_person)

    def __repr__(self) -> str:
        return (
            f"CheckinIndex(n_persons={self.n_persons}, n_venues={self.n_venues}, "
            f"n_checkins={self.n_checkins}, t_min={self.t_min}, t_max={self.t_max}, "
            f"version={self.version!r})"
        )

    # ------------------------------------------------------------------ build
    @classmethod
    def build(
        cls,
        batches: Iterable[pa.RecordBatch | pa.Table],
        *,
        n_persons: int,
        n_venues: int,
        version: str | None = None,
        threads: int | None = None,
    ) -> CheckinIndex:
        """Build the index from check-in record batches (``person_id, venue_id, t_in, t_out``).

        Parameters
        ----------
        batches : iterable of pyarrow.RecordBatch or pyarrow.Table
            The check-ins, in any order.  If ``batches`` can be iterated twice
            (a list, or an object whose ``__iter__`` starts over, such as a
            reader of the lake's files) it is read twice — once to count, once
            to place — and never held in memory; a one-shot iterator
            (generator) is held in memory until it is placed.
        n_persons, n_venues : int
            Sizes of the id spaces; every id must be in ``0..n-1``.
        version : str, optional
            Version of the lake, written to ``meta.json`` by :meth:`save`.
        threads : int, optional
            Worker threads (default: :func:`default_threads`).

        Raises
        ------
        ValueError
            Naming the row (0-based, across batches) of the first check-in with
            ``t_out <= t_in``, an unknown person or venue id, or a null; or a
            missing column.

        Notes
        -----
        Memory: the two orders take 24 bytes per check-in, plus 16 bytes per
        check-in for a one-shot iterator while it is placed.
        """
        for name, value in (("n_persons", n_persons), ("n_venues", n_venues)):
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**31:
                raise ValueError(f"{name} must be an integer between 0 and 2**31-1, got {value!r}")
        workers = threads or default_threads()
        if isinstance(batches, pa.Table | pa.RecordBatch):
            batches = [batches]
        twice = iter(batches) is not batches
        held: list[tuple[I32, I32, I32, I32]] = []
        p_count = np.zeros(n_persons, dtype=np.int64)
        v_count = np.zeros(n_venues, dtype=np.int64)
        v_maxdur = np.zeros(n_venues, dtype=np.int64)
        t_min, t_max, longest, n = 2**31, -(2**31) - 1, 0, 0
        for batch in _batches(batches):
            cols = _columns(batch, n)
            bad, kind, lo, hi, dur = _batch_stats(
                *cols, n_persons, n_venues, p_count, v_count, v_maxdur
            )
            if bad >= 0:
                p, v, a, b = (int(c[bad]) for c in cols)
                row = f"check-in row {n + bad} (person_id {p}, venue_id {v}, t_in {a}, t_out {b})"
                if kind == 1:
                    raise ValueError(f"{row}: person_id is not a known person (0..{n_persons - 1})")
                if kind == 2:
                    raise ValueError(f"{row}: venue_id is not a known venue (0..{n_venues - 1})")
                raise ValueError(f"{row}: t_out must be after t_in (t_out > t_in)")
            t_min, t_max, longest = min(t_min, int(lo)), max(t_max, int(hi)), max(longest, int(dur))
            n += len(cols[0])
            if not twice:
                held.append(cols)
        if n == 0:
            t_min = t_max = 0

        # 1. Person order: stable scatter, then fix any segment not in time order.
        p_off = np.zeros(n_persons + 1, dtype=np.int64)
        np.cumsum(p_count, out=p_off[1:])
        del p_count
        p_venue = np.empty(n, dtype=np.int32)
        p_tin = np.empty(n, dtype=np.int32)
        p_tout = np.empty(n, dtype=np.int32)
        cursor = p_off[:-1].copy()
        source: Iterable[tuple[I32, I32, I32, I32]]
        if twice:
            source = (_columns(b, 0) for b in _batches(batches))
        else:
            held.reverse()
            source = _drain(held)
        for cols in source:
            if not _scatter_by_person(*cols, cursor, p_off[1:], n_venues, p_venue, p_tin, p_tout):
                raise ValueError("check-ins changed between the two passes over `batches`")
        if not np.array_equal(cursor, p_off[1:]):
            raise ValueError("check-ins changed between the two passes over `batches`")
        del cursor
        with ThreadPoolExecutor(workers) as pool:
            list(
                pool.map(
                    lambda r: _sort_segments(p_off, r[0], r[1], p_tin, p_venue, p_tout),
                    balanced_ranges(p_off, 4 * workers),
                )
            )

        # 2. Venue order: a stable scatter by venue (rows in person order), then each
        # venue's rows sorted by time (stable, so ties stay in person order).
        v_off = np.zeros(n_venues + 1, dtype=np.int64)
        np.cumsum(v_count, out=v_off[1:])
        v_person = np.empty(n, dtype=np.int32)
        v_tin = np.empty(n, dtype=np.int32)
        v_tout = np.empty(n, dtype=np.int32)
        cursor = v_off[:-1].copy()
        span = min(t_max - t_min + 2, _MAX_BUCKETS)

        def scatter(r: tuple[int, int]) -> None:
            _scatter_to_venues(p_off, p_venue, p_tin, p_tout, *r, cursor, v_person, v_tin, v_tout)

        def sort(r: tuple[int, int]) -> None:
            counts = np.empty(span, dtype=np.int64)
            _sort_by_time(v_off, *r, v_tin, v_person, v_tout, counts)

        with ThreadPoolExecutor(workers) as pool:
            list(pool.map(scatter, balanced_ranges(v_off, workers)))
            list(pool.map(sort, balanced_ranges(v_off, 4 * workers)))
        return cls(
            n_persons=n_persons,
            n_venues=n_venues,
            t_min=t_min,
            t_max=t_max,
            v_off=_frozen(v_off),
            v_person=_frozen(v_person),
            v_tin=_frozen(v_tin),
            v_tout=_frozen(v_tout),
            v_maxdur=_frozen(v_maxdur.astype(np.int32)),
            p_off=_frozen(p_off),
            p_venue=_frozen(p_venue),
            p_tin=_frozen(p_tin),
            p_tout=_frozen(p_tout),
            p_maxdur=longest,
            version=version,
        )

    # ------------------------------------------------------------ save / load
    def _tables(self) -> dict[str, list[NDArray[Any]]]:
        return {
            "by_venue": [self.v_person, self.v_tin, self.v_tout],
            "by_person": [self.p_venue, self.p_tin, self.p_tout],
            "venue_offsets": [self.v_off],
            "person_offsets": [self.p_off],
            "venues": [self.v_maxdur],
        }

    def save(self, directory: Path, *, version: str | None = None) -> None:
        """Write the index to ``directory`` as uncompressed Arrow IPC files and ``meta.json``.

        ``meta.json`` (written last, so a half-written index has none) holds the
        sizes, the time range and ``version`` (default: the index's own), which
        callers compare with the lake's version to decide whether to rebuild.
        """
        directory = Path(directory)
        directory.mkdir(parents=True, exist_ok=True)
        meta_path = directory / "meta.json"
        meta_path.unlink(missing_ok=True)
        for name, arrays in self._tables().items():
            batch = pa.RecordBatch.from_arrays([pa.array(a) for a in arrays], list(_FILES[name]))
            tmp = directory / f".{name}.arrow.{os.getpid()}.tmp"
            with pa.OSFile(str(tmp), "wb") as sink, pa.ipc.new_file(sink, batch.schema) as writer:
                writer.write_batch(batch)
            os.replace(tmp, directory / f"{name}.arrow")
        meta = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "version": version if version is not None else self.version,
            "n_persons": self.n_persons,
            "n_venues": self.n_venues,
            "n_checkins": self.n_checkins,
            "t_min": self.t_min,
            "t_max": self.t_max,
            "person_max_duration": self.p_maxdur,
        }
        tmp = directory / f".meta.json.{os.getpid()}.tmp"
        tmp.write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
        os.replace(tmp, meta_path)

    @staticmethod
    def read_meta(directory: Path) -> dict[str, Any]:
        """``meta.json`` of a saved index (sizes, time range, ``version``)."""
        path = Path(directory) / "meta.json"
        if not path.exists():
            raise FileNotFoundError(f"{path} does not exist: no complete index was saved there")
        meta: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        if meta.get("format") != FORMAT or meta.get("format_version") != FORMAT_VERSION:
            raise ValueError(
                f"{path}: not a {FORMAT} version {FORMAT_VERSION} index "
                f"(format {meta.get('format')!r}, version {meta.get('format_version')!r})"
            )
        return meta

    @classmethod
    def load(cls, directory: Path) -> CheckinIndex:
        """Memory-map an index written by :meth:`save` (``pa.memory_map``, no copy)."""
        directory = Path(directory)
        meta = cls.read_meta(directory)
        cols: dict[str, list[NDArray[Any]]] = {}
        for name, names in _FILES.items():
            source = pa.memory_map(str(directory / f"{name}.arrow"), "r")
            reader = pa.ipc.open_file(source)
            if reader.num_record_batches != 1 or reader.schema.names != list(names):
                raise ValueError(f"{directory / name}.arrow: expected one batch of {names}")
            batch = reader.get_batch(0)
            cols[name] = [c.to_numpy(zero_copy_only=True) for c in batch.columns]
        n, nv, npers = meta["n_checkins"], meta["n_venues"], meta["n_persons"]
        sizes = {"by_venue": n, "by_person": n, "venue_offsets": nv + 1}
        sizes |= {"person_offsets": npers + 1, "venues": nv}
        for name, size in sizes.items():
            if len(cols[name][0]) != size:
                raise ValueError(
                    f"{directory / name}.arrow has {len(cols[name][0])} rows, not {size}"
                )
        return cls(
            n_persons=npers,
            n_venues=nv,
            t_min=meta["t_min"],
            t_max=meta["t_max"],
            v_off=cols["venue_offsets"][0],
            v_person=cols["by_venue"][0],
            v_tin=cols["by_venue"][1],
            v_tout=cols["by_venue"][2],
            v_maxdur=cols["venues"][0],
            p_off=cols["person_offsets"][0],
            p_venue=cols["by_person"][0],
            p_tin=cols["by_person"][1],
            p_tout=cols["by_person"][2],
            p_maxdur=meta["person_max_duration"],
            version=meta["version"],
        )

    # ---------------------------------------------------------------- queries
    @staticmethod
    def _check_range(t0: int, t1: int) -> None:
        for name, value in (("t0", t0), ("t1", t1)):
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{name} must be an integer number of minutes, got {value!r}")
        if t1 <= t0:
            raise ValueError(f"the time range must not be empty: t1 ({t1}) must be > t0 ({t0})")

    def at_venue(self, venue: int, t0: int, t1: int) -> tuple[I32, I32, I32]:
        """Stays at ``venue`` overlapping ``[t0, t1)`` (``t_in < t1`` and ``t_out > t0``).

        Returns ``(person_id, t_in, t_out)`` in ``(t_in, person)`` order.
        """
        if not 0 <= venue < self.n_venues:
            raise ValueError(f"venue {venue} is not a known venue (0..{self.n_venues - 1})")
        self._check_range(t0, t1)
        lo, hi = int(self.v_off[venue]), int(self.v_off[venue + 1])
        tin = self.v_tin[lo:hi]
        a = lo + int(np.searchsorted(tin, int(t0) - int(self.v_maxdur[venue]), "left"))
        b = lo + int(np.searchsorted(tin, int(t1), "left"))
        keep = self.v_tout[a:b] > t0
        return self.v_person[a:b][keep], self.v_tin[a:b][keep], self.v_tout[a:b][keep]

    def of_person(self, person: int, t0: int, t1: int) -> tuple[I32, I32, I32]:
        """Stays of ``person`` overlapping ``[t0, t1)``: ``(venue_id, t_in, t_out)`` by time."""
        if not 0 <= person < self.n_persons:
            raise ValueError(f"person {person} is not a known person (0..{self.n_persons - 1})")
        self._check_range(t0, t1)
        lo, hi = int(self.p_off[person]), int(self.p_off[person + 1])
        tin = self.p_tin[lo:hi]
        a = lo + int(np.searchsorted(tin, int(t0) - self.p_maxdur, "left"))
        b = lo + int(np.searchsorted(tin, int(t1), "left"))
        keep = self.p_tout[a:b] > t0
        return self.p_venue[a:b][keep], self.p_tin[a:b][keep], self.p_tout[a:b][keep]
