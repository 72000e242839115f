"""Ingest of syndromic feeds: validate, append to the lake, re-evaluate, raise alerts.

A feed is a CSV or Parquet file with the columns ``area`` (community code, or
community id), ``signal`` (:data:`~.routing.FEED_SIGNALS`), ``date``
(``YYYY-MM-DD``, local) and ``count`` (integer >= 0).  Every row is checked;
a bad value is reported as a :class:`~epicontrol.domains.city.importing.RowError`
(file, line, field, rule) and the whole batch is refused
(:class:`FeedRejected`) when any row is bad.  The batch id is the SHA-256 of
the file's bytes: sending the same file again changes nothing.

Storage: lake partitions are per day and append-only, and a day's
``syndromic/day=<d>`` partition may already exist (the generator writes the
first days, another feed may have reported the same day).  So each batch is
its own file, ``lake/syndromic_ingest/batch=<id>/part-0.parquet`` (columns
``area_id``, ``signal``, ``day``, ``count``; the usual ``epicontrol.*``
metadata), written to a temporary name and renamed.  The series of the lake
are ``syndromic`` ∪ ``syndromic_ingest``; a value reported once for an area,
signal and day is final (a second report for it is rejected).

Evaluation: the *affected series* are every signal of every area in the
batch (the multi-signal trigger needs all of an area's signals over its
window).  Only those are read back from the lake, over the history the
configured detectors need plus the trigger window, and evaluated; the areas
whose trigger holds on a day of the batch become alerts (raised or updated).
"""

from __future__ import annotations

import csv
import hashlib
import os
import re
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...store import lake
from ..city.importing import RowError
from ..city.models import Area
from .detection import INGEST_DATASET, INGEST_SCHEMA, evaluate_areas, read_series
from .models import SurveillanceBatch
from .routing import FEED_SIGNALS, SurveillanceConfig
from .schemas import IngestResult
from .service import (
    SurveillanceError,
    epoch_date,
    epoch_datetime,
    record_alarms,
    utcnow,
)

COLUMNS: Final = ("area", "signal", "date", "count")
_INT32_MAX: Final = 2**31 - 1
_INT_RE: Final = re.compile(r"\+?[0-9]+")
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_SHOWN: Final = 20

Progress = Callable[[str], None]


class FeedRejected(SurveillanceError):
    """The feed breaks rules; nothing was written.  ``errors`` lists every rejected value."""

    def __init__(self, batch_id: str, errors: Sequence[RowError]) -> None:
        self.batch_id = batch_id
        self.errors: list[RowError] = list(errors)
        shown = "\n".join(f"  {e}" for e in self.errors[:_SHOWN])
        more = len(self.errors) - _SHOWN
        tail = f"\n  ... and {more} more" if more > 0 else ""
        super().__init__(f"feed rejected: {len(self.errors)} errors\n{shown}{tail}")


def batch_id_of(path: Path) -> str:
    """SHA-256 of the file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def ingest_path(lake_dir: Path, batch_id: str) -> Path:
    """The lake file of batch ``batch_id``."""
    return lake_dir / INGEST_DATASET / f"batch={batch_id}" / "part-0.parquet"


# --------------------------------------------------------------------------- reading


def _raw_rows(path: Path, errors: list[RowError]) -> list[tuple[int, list[str]]]:
    """(line, [area, signal, date, count]) as text, from a CSV or a Parquet file."""
    name = path.name
    if path.suffix.lower() == ".parquet":
        try:
            table = pq.read_table(path)
        except (pa.ArrowInvalid, OSError) as exc:
            errors.append(RowError(name, 0, "", f"must be a readable Parquet file ({exc})"))
            return []
        missing = [c for c in COLUMNS if c not in table.column_names]
        extra = [c for c in table.column_names if c not in COLUMNS]
        if missing or extra:
            _header_errors(name, missing, extra, errors)
            return []
        cols = [["" if v is None else str(v) for v in table.column(c).to_pylist()] for c in COLUMNS]
        return [(i + 1, list(r)) for i, r in enumerate(zip(*cols, strict=True))]
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            missing = [c for c in COLUMNS if c not in header]
            extra = [c for c in header if c not in COLUMNS]
            if missing or extra or len(set(header)) != len(header):
                _header_errors(name, missing, extra, errors)
                return []
            order = [header.index(c) for c in COLUMNS]
            rows = []
            for values in reader:
                line = reader.line_num
                if not values:
                    continue
                if len(values) != len(header):
                    errors.append(
                        RowError(
                            name, line, "", f"must have {len(header)} fields, not {len(values)}"
                        )
                    )
                    continue
                rows.append((line, [values[i].strip() for i in order]))
            return rows
    except UnicodeDecodeError:
        errors.append(RowError(name, 0, "", "must be UTF-8 text (CSV) or a .parquet file"))
        return []
    except csv.Error as exc:
        errors.append(RowError(name, 0, "", f"must be valid CSV ({exc})"))
        return []


def _header_errors(name: str, missing: list[str], extra: list[str], errors: list[RowError]) -> None:
    rule = "columns must be exactly: " + ", ".join(COLUMNS)
    for c in missing:
        errors.append(RowError(name, 1, c, f"column is missing ({rule})"))
    for c in extra:
        errors.append(RowError(name, 1, c, f"unknown column ({rule})"))
    if not missing and not extra:
        errors.append(RowError(name, 1, "", f"duplicate column ({rule})"))


@dataclass
class _Feed:
    area_id: NDArray[np.int32]
    signal: list[str]
    day: NDArray[np.int32]
    count: NDArray[np.int32]
    lines: list[int]


def _community_codes(session: Session) -> tuple[dict[str, int], set[int]]:
    rows = session.execute(select(Area.code, Area.id).where(Area.level == "community")).all()
    return {r[0]: r[1] for r in rows}, {r[1] for r in rows}


def _day(text: str, epoch: date) -> int | str:
    """Days since the epoch of ``text``, or the rule it breaks."""
    try:
        when = date.fromisoformat(text) if _DATE_RE.fullmatch(text) else None
    except ValueError:
        when = None
    if when is None:
        return "must be a date YYYY-MM-DD"
    if when < epoch:
        return f"must be on or after the city's day 0 ({epoch.isoformat()})"
    return (when - epoch).days


def read_feed(*, session: Session, path: Path, epoch: date) -> tuple[_Feed, list[RowError]]:
    """Every row of the feed checked; the valid rows and the errors."""
    errors: list[RowError] = []
    name = path.name
    raw = _raw_rows(path, errors)
    by_code, ids = _community_codes(session)
    not_community: dict[str, str | None] = {}
    seen: dict[tuple[int, str, int], int] = {}
    area_ids: list[int] = []
    signals: list[str] = []
    days: list[int] = []
    counts: list[int] = []
    lines: list[int] = []
    signal_rule = "must be one of: " + ", ".join(FEED_SIGNALS)
    day_of: dict[str, int | str] = {}  # date text → day, or the rule it breaks
    for line, (area_s, signal, date_s, count_s) in raw:
        ok = True
        area = by_code.get(area_s)
        if area is None and _INT_RE.fullmatch(area_s) and int(area_s) in ids:
            area = int(area_s)
        if area is None:
            ok = False
            if not area_s:
                errors.append(RowError(name, line, "area", "is required"))
            else:
                if area_s not in not_community:
                    not_community[area_s] = session.scalar(
                        select(Area.level).where(Area.code == area_s)
                    )
                level = not_community[area_s]
                rule = (
                    f"must name a community, not a {level}"
                    if level
                    else "unknown area: must be a community code or a community id"
                )
                errors.append(RowError(name, line, "area", rule, area_s))
        if signal not in FEED_SIGNALS:
            ok = False
            errors.append(RowError(name, line, "signal", signal_rule, signal))
        day = day_of.get(date_s)
        if day is None:
            day = day_of[date_s] = _day(date_s, epoch)
        if isinstance(day, str):
            errors.append(RowError(name, line, "date", day, date_s))
        n = int(count_s) if count_s.isascii() and count_s.isdigit() else -1
        if not 0 <= n <= _INT32_MAX:
            ok = False
            rule = f"must be an integer between 0 and {_INT32_MAX}"
            errors.append(RowError(name, line, "count", rule, count_s))
        if not ok or isinstance(day, str) or area is None:
            continue
        key = (area, signal, day)
        first = seen.get(key)
        if first is not None:
            rule = f"duplicate: the same area, signal and date as line {first}"
            errors.append(RowError(name, line, "", rule, f"{area_s},{signal},{date_s}"))
            continue
        seen[key] = line
        area_ids.append(area)
        signals.append(signal)
        days.append(day)
        counts.append(n)
        lines.append(line)
    if not raw and not errors:
        errors.append(RowError(name, 0, "", "the feed has no rows"))
    feed = _Feed(
        area_id=np.asarray(area_ids, dtype=np.int32),
        signal=signals,
        day=np.asarray(days, dtype=np.int32),
        count=np.asarray(counts, dtype=np.int32),
        lines=lines,
    )
    return feed, errors


# --------------------------------------------------------------------------- lake


def _write_batch(lake_dir: Path, batch_id: str, feed: _Feed, epoch: datetime) -> Path:
    final = ingest_path(lake_dir, batch_id)
    final.parent.mkdir(parents=True, exist_ok=True)
    order = np.lexsort((np.asarray(feed.signal, dtype=object).astype(str), feed.area_id, feed.day))
    schema = INGEST_SCHEMA.with_metadata(
        {
            lake.EPOCH_KEY: epoch.isoformat().encode(),
            b"epicontrol.time_unit": b"minutes",
            b"epicontrol.dataset": INGEST_DATASET.encode(),
        }
    )
    table = pa.Table.from_arrays(  # (not pa.table(): it imports pandas)
        [
            pa.array(feed.area_id[order], pa.int32()),
            pa.array([feed.signal[i] for i in order], pa.string()),
            pa.array(feed.day[order], pa.int32()),
            pa.array(feed.count[order], pa.int32()),
        ],
        schema=schema,
    )
    tmp = final.with_name(f".part-0.parquet.{os.getpid()}.tmp")
    try:
        pq.write_table(table, tmp, compression="zstd", compression_level=3)
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def remove_batch(lake_dir: Path, batch_id: str) -> None:
    """Delete batch ``batch_id``'s lake files (after a failed transaction)."""
    shutil.rmtree(ingest_path(lake_dir, batch_id).parent, ignore_errors=True)


def _duplicates_in_lake(lake_dir: Path, feed: _Feed, name: str, epoch: date) -> list[RowError]:
    """Rows of the feed whose area, signal and day the lake already holds."""
    if not len(feed.day):
        return []
    existing = read_series(
        lake_dir, np.unique(feed.area_id), int(feed.day.min()), int(feed.day.max())
    )
    if existing.num_rows == 0:
        return []
    have = set(
        zip(
            existing.column("area_id").to_pylist(),
            existing.column("signal").to_pylist(),
            existing.column("day").to_pylist(),
            strict=True,
        )
    )
    out = []
    for i in range(len(feed.day)):
        key = (int(feed.area_id[i]), feed.signal[i], int(feed.day[i]))
        if key in have:
            when = (epoch + timedelta(days=key[2])).isoformat()
            rule = "already reported for this area, signal and date (the lake is append-only)"
            out.append(RowError(name, feed.lines[i], "", rule, f"{key[0]},{key[1]},{when}"))
    return out


# --------------------------------------------------------------------------- ingest


def ingest_feed(
    *,
    session: Session,
    path: Path,
    lake_dir: Path,
    config: SurveillanceConfig,
    received_at: datetime | None = None,
    on_progress: Progress | None = None,
) -> IngestResult:
    """Validate, store and evaluate the feed in ``path``; raise or update alerts.

    ``received_at`` (UTC, naive) is when the data arrived; default now.  The
    batch's lake file is written before the session is flushed; if anything
    fails afterwards it is removed again, and the caller must call
    :func:`remove_batch` when its commit fails.

    Raises
    ------
    FeedRejected
        Some rows break the rules (every one is listed); nothing was written.
    SurveillanceError
        The store holds no city, or ``path`` is not a file.
    """
    timings: dict[str, float] = {}
    started = time.perf_counter()
    arrived = received_at or utcnow()
    if not path.is_file():
        raise SurveillanceError(f"{path}: no such file")
    step = on_progress or (lambda _s: None)
    batch_id = batch_id_of(path)
    done = session.get(SurveillanceBatch, batch_id)
    if done is not None and done.status == "committed":
        return _result(done, unchanged=True, epoch=epoch_date(session=session), timings={})
    epoch = epoch_date(session=session)
    step("reading")
    feed, errors = read_feed(session=session, path=path, epoch=epoch)
    if not errors:
        errors = _duplicates_in_lake(lake_dir, feed, path.name, epoch)
    timings["validate"] = time.perf_counter() - started
    if errors:
        raise FeedRejected(batch_id, errors)
    step("writing")
    t0 = time.perf_counter()
    written = _write_batch(lake_dir, batch_id, feed, epoch_datetime(session=session))
    committed = utcnow()
    timings["lake"] = time.perf_counter() - t0
    try:
        step("evaluating")
        t0 = time.perf_counter()
        days = sorted({int(d) for d in feed.day})
        evaluation = evaluate_areas(
            lake_dir=lake_dir, area_ids=feed.area_id, days=days, epoch=epoch, config=config
        )
        timings["detect"] = time.perf_counter() - t0
        step("alerting")
        t0 = time.perf_counter()
        batch = done or SurveillanceBatch(id=batch_id)
        batch.source = str(path)[-500:]
        batch.status = "committed"
        batch.rows = len(feed.day)
        batch.series = len(set(zip(feed.area_id.tolist(), feed.signal, strict=True)))
        batch.first_day, batch.last_day = days[0], days[-1]
        batch.received_at = arrived
        batch.committed_at = committed
        batch.errors = 0
        batch.detectors = config.detector_list()
        batch.lake_path = written.relative_to(lake_dir).as_posix()
        if done is None:
            session.add(batch)
        session.flush()
        raised, updated = record_alarms(
            session=session,
            candidates=evaluation.candidates,
            config=config,
            data_arrived_at=arrived,
            batch_id=batch_id,
        )
        stored = utcnow()
        batch.evaluated_at = stored
        batch.alert_latency_seconds = (stored - committed).total_seconds()
        batch.alerts_raised = len(raised)
        batch.alerts_updated = len(updated)
        session.flush()
        timings["alerts"] = time.perf_counter() - t0
    except BaseException:
        remove_batch(lake_dir, batch_id)
        raise
    timings["total"] = time.perf_counter() - started
    result = _result(batch, unchanged=False, epoch=epoch, timings=timings)
    result.evaluated_series = evaluation.series
    result.alarms = evaluation.alarms
    result.alert_ids = sorted(a.id for a in [*raised, *updated])
    return result


def _result(
    batch: SurveillanceBatch, *, unchanged: bool, epoch: date, timings: dict[str, float]
) -> IngestResult:
    days = (
        list(range(batch.first_day, batch.last_day + 1))
        if batch.first_day is not None and batch.last_day is not None
        else []
    )
    return IngestResult(
        batch_id=batch.id,
        unchanged=unchanged,
        source=batch.source,
        rows=batch.rows,
        series=batch.series,
        days=days,
        dates=[epoch + timedelta(days=d) for d in days],
        evaluated_series=0,
        alarms=0,
        alerts_raised=batch.alerts_raised,
        alerts_updated=batch.alerts_updated,
        alert_ids=[],
        received_at=batch.received_at,
        committed_at=batch.committed_at,
        evaluated_at=batch.evaluated_at,
        alert_latency_seconds=batch.alert_latency_seconds,
        lake_path=batch.lake_path,
        detectors=list(batch.detectors or []),
        timings={k: round(v, 4) for k, v in timings.items()},
    )


def record_rejection(
    *,
    session: Session,
    batch_id: str,
    source: str,
    errors: int,
    received_at: datetime,
) -> SurveillanceBatch:
    """Record (or refresh) a rejected batch, for the operators' view of feeds."""
    batch = session.get(SurveillanceBatch, batch_id)
    if batch is not None and batch.status == "committed":
        raise SurveillanceError(f"batch {batch_id} is committed; it cannot be marked rejected")
    if batch is None:
        batch = SurveillanceBatch(id=batch_id, alerts_raised=0, alerts_updated=0, series=0)
        session.add(batch)
    batch.source = source[-500:]
    batch.status = "rejected"
    batch.rows = 0
    batch.errors = errors
    batch.received_at = received_at
    batch.detectors = []
    session.flush()
    return batch


__all__ = [
    "COLUMNS",
    "INGEST_DATASET",
    "FeedRejected",
    "batch_id_of",
    "ingest_feed",
    "ingest_path",
    "read_feed",
    "record_rejection",
    "remove_batch",
]
