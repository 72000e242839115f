"""Detection on series: the affected series of an ingest, and one-off files.

:func:`evaluate_areas` reads an ingest's affected series back from the lake
(``syndromic`` ∪ ``syndromic_ingest``), runs the configured detectors and the
multi-signal trigger and returns the alarm candidates.  :func:`read_detect_input`
and :func:`detect_series` serve ``epicontrol surveil detect`` on a CSV file;
:func:`write_outbreak_feed` writes a drill feed with an injected outbreak.
"""

from __future__ import annotations

import csv
import itertools
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

import duckdb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.city.schemas import SIGNALS
from ...core.surveillance.registry import detector, history_steps
from ...core.surveillance.triggers import LAB_SIGNAL, evaluate_triggers, level_name
from ...store import lake
from ..city.importing import RowError
from ..city.models import Area
from .models import SurveillanceBatch
from .routing import SurveillanceConfig
from .schemas import DetectionRow
from .service import AlarmCandidate, SurveillanceError, epoch_date

#: The lake dataset holding ingested batches (one file per batch).
INGEST_DATASET: Final = "syndromic_ingest"
INGEST_SCHEMA: Final = pa.schema(
    [
        ("area_id", pa.int32()),
        ("signal", pa.string()),
        ("day", pa.int32()),
        ("count", pa.int32()),
    ]
)
_DATE_RE: Final = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _sources(lake_dir: Path) -> list[str]:
    """``read_parquet`` calls for the series of the lake (generated days, then batches)."""
    out = []
    if lake.partition_days(lake_dir, "syndromic"):
        glob = (lake.dataset_dir(lake_dir, "syndromic") / "day=*" / "part-0.parquet").as_posix()
        out.append(
            "SELECT area_id, signal, day, count FROM read_parquet('"
            + glob.replace("'", "''")
            + "', hive_partitioning = true, hive_types = {'day': INTEGER})"
        )
    ingest = lake_dir / INGEST_DATASET
    if any(ingest.glob("batch=*/part-0.parquet")):
        glob = (ingest / "batch=*" / "part-0.parquet").as_posix()
        out.append(
            "SELECT area_id, signal, day, count FROM read_parquet('"
            + glob.replace("'", "''")
            + "', hive_partitioning = false)"
        )
    return out


def read_series(
    lake_dir: Path, area_ids: NDArray[np.int32], first_day: int, last_day: int
) -> pa.Table:
    """Rows (area_id, signal, day, count) of ``area_ids`` between the two days (inclusive)."""
    sources = _sources(lake_dir)
    if not sources:
        return INGEST_SCHEMA.empty_table()
    con = duckdb.connect(":memory:")
    try:
        union = " UNION ALL ".join(sources)
        table = con.sql(
            f"SELECT s.area_id, s.signal, s.day, s.count FROM ({union}) s "
            "SEMI JOIN (SELECT unnest($ids::INTEGER[]) AS area_id) w ON s.area_id = w.area_id "
            f"WHERE s.day BETWEEN {int(first_day)} AND {int(last_day)}",
            params={"ids": np.asarray(area_ids, dtype=np.int64).tolist()},
        ).to_arrow_table()
    finally:
        con.close()
    assert isinstance(table, pa.Table)  # (not pa.table(): it imports pandas)
    return table if table.schema.equals(INGEST_SCHEMA) else table.cast(INGEST_SCHEMA)


# --------------------------------------------------------------------------- evaluation


@dataclass
class Evaluation:
    """What one evaluation of the affected series found."""

    candidates: list[AlarmCandidate]
    series: int
    alarms: int


def evaluate_areas(
    *,
    lake_dir: Path,
    area_ids: NDArray[np.int32],
    days: Sequence[int],
    epoch: date,
    config: SurveillanceConfig,
) -> Evaluation:
    """Run the configured detectors and the trigger on every signal of ``area_ids``.

    Returns an alarm candidate for every area and day of ``days`` whose
    trigger holds.
    """
    areas = np.unique(area_ids).astype(np.int32)
    if not len(areas) or not days:
        return Evaluation([], 0, 0)
    history = max(history_steps(name, dict(params)) for name, params in config.detectors)
    span = config.rules.span_days
    last = max(days)
    first = max(0, min(days) - history - span + 1)
    length = last - first + 1
    rows = read_series(lake_dir, areas, first, last)
    # ``counts`` is areas × signals × days; missing reports count as 0 (zero reporting).
    n_a, n_s = len(areas), len(SIGNALS)
    counts = np.zeros((n_a, n_s, length), dtype=np.float64)
    lab = np.zeros((n_a, length), dtype=np.int64)
    if rows.num_rows:
        a_idx = np.searchsorted(areas, rows.column("area_id").to_numpy())
        t_idx = rows.column("day").to_numpy().astype(np.int64) - first
        sig = np.asarray(rows.column("signal").to_pylist(), dtype=object)
        vals = rows.column("count").to_numpy().astype(np.float64)
        for j, name in enumerate(SIGNALS):
            m = sig == name
            counts[a_idx[m], j, t_idx[m]] = vals[m]
        m = sig == LAB_SIGNAL
        lab[a_idx[m], t_idx[m]] = vals[m].astype(np.int64)
    dates = np.datetime64(epoch.isoformat(), "D") + np.arange(first, last + 1)
    flat = counts.reshape(n_a * n_s, length)
    alarms = np.zeros((n_a, n_s, length), dtype=bool)
    results = []
    for name, params in config.detectors:
        if length <= history_steps(name, dict(params)):
            continue  # not enough history yet: nothing can be evaluated
        result = detector(name).run(flat, dates, **dict(params))
        results.append((name, result))
        alarms |= result.alarm.reshape(n_a, n_s, length)
    trig = evaluate_triggers(alarms, lab_positives=lab, rules=config.rules)
    rule_of = {r.level: r for r in config.rules.rules}
    candidates = []
    for day in sorted(set(days)):
        t = day - first
        for a in np.flatnonzero(trig.level[:, t] > 0):
            level = level_name(int(trig.level[a, t]))
            assert level is not None
            rule = rule_of[level]
            lo = max(0, t - rule.window_days + 1)
            detections: list[dict[str, Any]] = []
            signals = []
            for j in np.flatnonzero(trig.contributing[a, :, t]).tolist():
                signals.append(SIGNALS[j])
                row = int(a) * n_s + j
                for name, res in results:
                    for s in np.flatnonzero(res.alarm[row, lo : t + 1]) + lo:
                        detections.append(
                            _detection(
                                SIGNALS[j],
                                name,
                                first + int(s),
                                epoch,
                                flat[row, s],
                                res,
                                row,
                                int(s),
                            )
                        )
            if rule.min_lab_positives:
                signals.append(LAB_SIGNAL)
                lo_lab = max(0, t - rule.lab_window + 1)
                for s in np.flatnonzero(lab[a, lo_lab : t + 1]) + lo_lab:
                    day_s = first + int(s)
                    detections.append(
                        {
                            "signal": LAB_SIGNAL,
                            "detector": None,
                            "day": day_s,
                            "date": (epoch + timedelta(days=day_s)).isoformat(),
                            "count": int(lab[a, s]),
                        }
                    )
            candidates.append(
                AlarmCandidate(
                    area_id=int(areas[a]),
                    day=day,
                    level=level,
                    signals=signals,
                    detections=detections,
                )
            )
    return Evaluation(candidates, n_a * n_s, int(alarms[:, :, [d - first for d in days]].sum()))


def _num(x: float) -> float | None:
    return None if not np.isfinite(x) else round(float(x), 6)


def _detection(
    signal: str, name: str, day: int, epoch: date, count: float, res: Any, row: int, s: int
) -> dict[str, Any]:
    return {
        "signal": signal,
        "detector": name,
        "day": day,
        "date": (epoch + timedelta(days=day)).isoformat(),
        "count": float(count),
        "statistic": _num(res.statistic[row, s]),
        "threshold": _num(res.threshold[row, s]),
        "p_value": _num(res.p_value[row, s]),
    }


# --------------------------------------------------------------------------- one-off detection


@dataclass
class SeriesInput:
    """One series of a ``surveil detect`` file."""

    area: str | None
    signal: str | None
    dates: NDArray[np.datetime64]
    counts: NDArray[np.float64]
    #: File line of each step.
    lines: list[int]


def read_detect_input(path: Path) -> tuple[list[SeriesInput], list[RowError]]:
    """Series of a CSV with ``date,count`` or ``area,signal,date,count``; rows checked.

    Counts are non-negative numbers; each series' dates must be consecutive
    days or consecutive weeks, without gaps or repeats.
    """
    name = path.name
    errors: list[RowError] = []
    groups: dict[tuple[str | None, str | None], list[tuple[date, float, int]]] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            reader = csv.reader(handle)
            header = [h.strip() for h in next(reader, [])]
            keyed = sorted(header) == ["area", "count", "date", "signal"]
            if not keyed and sorted(header) != ["count", "date"]:
                rule = "columns must be date,count or area,signal,date,count"
                return [], [RowError(name, 1, "", rule, ",".join(header))]
            pos = {h: i for i, h in enumerate(header)}
            for values in reader:
                line = reader.line_num
                if not values:
                    continue
                if len(values) != len(header):
                    rule = f"must have {len(header)} fields, not {len(values)}"
                    errors.append(RowError(name, line, "", rule))
                    continue
                get = {h: values[i].strip() for h, i in pos.items()}
                when = _parse_date(get["date"])
                if when is None:
                    errors.append(
                        RowError(name, line, "date", "must be a date YYYY-MM-DD", get["date"])
                    )
                try:
                    count = float(get["count"])
                except ValueError:
                    count = math.nan
                if not math.isfinite(count) or count < 0:
                    rule = "must be a number >= 0"
                    errors.append(RowError(name, line, "count", rule, get["count"]))
                    continue
                key = (get["area"], get["signal"]) if keyed else (None, None)
                if keyed and not key[0]:
                    errors.append(RowError(name, line, "area", "is required"))
                    continue
                if keyed and not key[1]:
                    errors.append(RowError(name, line, "signal", "is required"))
                    continue
                if when is not None:
                    groups.setdefault(key, []).append((when, count, line))
    except UnicodeDecodeError:
        return [], [RowError(name, 0, "", "must be UTF-8 CSV text")]
    except csv.Error as exc:
        return [], [RowError(name, 0, "", f"must be valid CSV ({exc})")]
    series = []
    for (area, signal), rows in groups.items():
        rows.sort(key=lambda r: r[0])
        ok = True
        step = (rows[1][0] - rows[0][0]).days if len(rows) > 1 else 1
        if step not in (1, 7):
            step = 1
        for prev, cur in itertools.pairwise(rows):
            gap = (cur[0] - prev[0]).days
            if gap != step:
                what = f" of {area}/{signal}" if area is not None else ""
                rule = (
                    f"dates{what} must be consecutive {'days' if step == 1 else 'weeks'} "
                    f"without gaps or repeats: {cur[0]} follows {prev[0]}"
                )
                errors.append(RowError(name, cur[2], "date", rule, cur[0].isoformat()))
                ok = False
                break
        if ok:
            series.append(
                SeriesInput(
                    area=area,
                    signal=signal,
                    dates=np.array([r[0] for r in rows], dtype="datetime64[D]"),
                    counts=np.array([r[1] for r in rows], dtype=np.float64),
                    lines=[r[2] for r in rows],
                )
            )
    if not groups and not errors:
        errors.append(RowError(name, 0, "", "the file has no rows"))
    return series, errors


def _parse_date(text: str) -> date | None:
    if not _DATE_RE.fullmatch(text):
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def detect_series(
    series: Sequence[SeriesInput], *, name: str, params: Mapping[str, Any]
) -> list[DetectionRow]:
    """Run detector ``name`` on every series; one row per evaluated step.

    Series sharing their dates run together as one matrix.  Raises
    ``ValueError`` (from the detector) when the data do not suit it.
    """
    spec = detector(name)
    groups: dict[tuple[str, str, int], list[SeriesInput]] = {}
    for s in series:  # same first and last date and length: the same (equally spaced) dates
        groups.setdefault((str(s.dates[0]), str(s.dates[-1]), len(s.dates)), []).append(s)
    out: list[DetectionRow] = []
    for members in groups.values():
        dates = members[0].dates
        counts = np.vstack([m.counts for m in members])
        result = spec.run(counts, dates, **dict(params))
        for i, member in enumerate(members):
            for t in np.flatnonzero(result.evaluated[i]).tolist():
                out.append(
                    DetectionRow(
                        area=member.area,
                        signal=member.signal,
                        date=dates[t].astype(object),
                        count=float(counts[i, t]),
                        statistic=_num(result.statistic[i, t]),
                        threshold=_num(result.threshold[i, t]),
                        p_value=_num(result.p_value[i, t]),
                        alarm=bool(result.alarm[i, t]),
                    )
                )
    out.sort(key=lambda r: (r.area or "", r.signal or "", r.date))
    return out


# --------------------------------------------------------------------------- drill


@dataclass
class OutbreakFeed:
    """A feed written by :func:`write_outbreak_feed`."""

    path: Path
    day: int
    date: date
    community_id: int
    community: str
    #: Per injected signal: the last week's mean and sd and the injected count.
    injected: dict[str, dict[str, float]]


def write_outbreak_feed(
    *,
    session: Session,
    lake_dir: Path,
    directory: Path,
    area_id: int | None = None,
    seed: int = 7,
) -> OutbreakFeed:
    """Write the next day's feed with an outbreak in one community (a drill or demo).

    Every community and syndromic signal gets a count drawn (Poisson, seeded)
    around the mean of its last 7 days in the lake; the fever-clinic and
    pharmacy fever-drug counts of ``area_id`` (default: the most populous
    community) are set to that mean + 6 standard deviations (at least 1) + 5.
    The next day is the one after the lake's last syndromic day and the last
    committed ingest.  Raises ``SurveillanceError`` without a city or history.
    """
    epoch = epoch_date(session=session)
    communities = session.execute(
        select(Area.id, Area.code, Area.name, Area.population)
        .where(Area.level == "community")
        .order_by(Area.id)
    ).all()
    if not communities:
        raise SurveillanceError("the city has no communities")
    if area_id is None:
        target = max(communities, key=lambda c: (c[3], -c[0]))
    else:
        found = [c for c in communities if c[0] == area_id]
        if not found:
            raise SurveillanceError(f"area {area_id} is not a community of this city")
        target = found[0]
    last_ingest = session.scalar(
        select(func.max(SurveillanceBatch.last_day)).where(SurveillanceBatch.status == "committed")
    )
    days = lake.partition_days(lake_dir, "syndromic")
    if not days:
        raise SurveillanceError("the lake holds no syndromic counts: generate a city first")
    day = max(days[-1], -1 if last_ingest is None else int(last_ingest)) + 1
    ids = np.array([c[0] for c in communities], dtype=np.int32)
    rows = read_series(lake_dir, ids, max(0, day - 7), day - 1)
    n_s = len(SIGNALS)
    n_days = min(7, day)
    sums = np.zeros((len(ids), n_s))
    squares = np.zeros((len(ids), n_s))
    a_idx = np.searchsorted(ids, rows.column("area_id").to_numpy())
    sig = np.asarray(rows.column("signal").to_pylist(), dtype=object)
    vals = rows.column("count").to_numpy().astype(np.float64)
    for j, name in enumerate(SIGNALS):
        m = sig == name
        np.add.at(sums[:, j], a_idx[m], vals[m])
        np.add.at(squares[:, j], a_idx[m], vals[m] ** 2)
    mean = sums / n_days
    sd = np.sqrt(np.maximum(squares / n_days - mean**2, 0.0))
    counts = np.random.default_rng([seed, day]).poisson(mean).astype(np.int64)
    row = int(np.searchsorted(ids, target[0]))
    injected: dict[str, dict[str, float]] = {}
    for name in ("fever_clinic", "pharmacy_fever_drug"):
        j = SIGNALS.index(name)
        counts[row, j] = math.ceil(mean[row, j] + 6 * max(sd[row, j], 1.0) + 5)
        injected[name] = {
            "baseline_mean": round(float(mean[row, j]), 2),
            "baseline_sd": round(float(sd[row, j]), 2),
            "count": float(counts[row, j]),
        }
    when = epoch + timedelta(days=day)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"outbreak-day-{day}.csv"
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["area", "signal", "date", "count"])
        for i, c in enumerate(communities):
            for j, name in enumerate(SIGNALS):
                writer.writerow([c[1], name, when.isoformat(), int(counts[i, j])])
    return OutbreakFeed(path, day, when, int(target[0]), str(target[2]), injected)
