"""Ingest: row-level rejection, all-or-nothing, idempotence, lake layout, alerts and latency."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.core.city.schemas import SIGNALS
from epicontrol.core.surveillance.triggers import LevelRule, TriggerRules
from epicontrol.domains.surveillance import detection, ingest, service
from epicontrol.domains.surveillance.models import Alert, SurveillanceBatch
from epicontrol.domains.surveillance.routing import SurveillanceConfig
from epicontrol.store import lake

from .conftest import EPOCH_DATE, MEANS, SmallCity, day_date, feed_csv

CONFIG = SurveillanceConfig()
DAY = 21  # the history covers days 0..20


def normal_rows(city: SmallCity, day: int = DAY) -> list[tuple[str, str, str, object]]:
    """Every community and signal at its usual level (no alarm)."""
    return [
        (city.codes[c], s, day_date(day), int(MEANS[s])) for c in city.communities for s in SIGNALS
    ]


def with_outbreak(
    city: SmallCity, area: int, signals: dict[str, int], day: int = DAY
) -> list[tuple[str, str, str, object]]:
    rows = normal_rows(city, day)
    code = city.codes[area]
    return [(a, s, d, signals.get(s, c) if a == code else c) for a, s, d, c in rows]


def run(session: Session, path: Path, lake_dir: Path, **kw: object) -> ingest.IngestResult:
    return ingest.ingest_feed(session=session, path=path, lake_dir=lake_dir, config=CONFIG, **kw)  # type: ignore[arg-type]


def test_an_outbreak_in_two_signals_raises_one_yellow_alert(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    area = city.communities[2]
    path = feed_csv(
        tmp_path / "day21.csv",
        with_outbreak(city, area, {"fever_clinic": 40, "pharmacy_fever_drug": 80}),
    )
    arrived = datetime(2026, 11, 23, 2, 0, 0)
    result = run(session, path, lake_dir, received_at=arrived)
    assert not result.unchanged and result.rows == 18 and result.series == 18
    assert result.days == [DAY] and result.dates[0].isoformat() == day_date(DAY)
    assert result.evaluated_series == 18
    assert result.alerts_raised == 1 and len(result.alert_ids) == 1
    assert result.alert_latency_seconds is not None and result.alert_latency_seconds >= 0
    assert set(result.timings) >= {"validate", "lake", "detect", "alerts", "total"}
    alert = session.get(Alert, result.alert_ids[0])
    assert alert is not None and alert.area_id == area and alert.level == "yellow"
    assert alert.signals == ["fever_clinic", "pharmacy_fever_drug"]
    assert {d["signal"] for d in alert.detections} == {"fever_clinic", "pharmacy_fever_drug"}
    assert all(d["detector"] == "ears-c2" and d["day"] == DAY for d in alert.detections)
    fever = next(d for d in alert.detections if d["signal"] == "fever_clinic")
    assert fever["count"] == 40 and fever["threshold"] < 40 and fever["statistic"] > 3
    assert alert.data_arrived_at == arrived and alert.batch_id == result.batch_id
    # rows are in the batch's own lake file, not in the day partitions
    stored = pq.read_table(ingest.ingest_path(lake_dir, result.batch_id))
    assert (
        stored.num_rows == 18
        and stored.schema.metadata[b"epicontrol.dataset"] == b"syndromic_ingest"
    )
    assert lake.partition_days(lake_dir, "syndromic") == list(range(DAY))
    batch = session.get(SurveillanceBatch, result.batch_id)
    assert batch is not None and batch.status == "committed" and batch.rows == 18
    assert batch.committed_at is not None and batch.evaluated_at is not None
    assert batch.detectors == [{"name": "ears-c2", "params": {"min_sigma": 1.0}}]


def test_the_same_file_twice_changes_nothing(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    path = feed_csv(
        tmp_path / "f.csv", with_outbreak(city, city.communities[0], {"fever_clinic": 50})
    )
    first = run(session, path, lake_dir)
    files = sorted(p.name for p in (lake_dir / "syndromic_ingest").iterdir())
    again = run(session, path, lake_dir)
    assert again.unchanged and again.batch_id == first.batch_id
    assert again.rows == first.rows and again.alerts_raised == first.alerts_raised
    assert sorted(p.name for p in (lake_dir / "syndromic_ingest").iterdir()) == files
    assert session.scalar(select(func.count()).select_from(Alert)) == first.alerts_raised
    # the same values in another file are already reported: rejected, not counted twice
    copy = tmp_path / "copy.csv"
    copy.write_text(path.read_text() + "\n")
    with pytest.raises(ingest.FeedRejected) as info:
        run(session, copy, lake_dir)
    assert len(info.value.errors) == 18
    assert all("already reported" in e.rule for e in info.value.errors)


def test_every_bad_row_is_reported_and_nothing_is_written(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    good = city.codes[city.communities[0]]
    rows: list[tuple[str, str, str, object]] = [
        (good, "fever_clinic", day_date(DAY), 3),  # line 2: fine
        ("NOPE", "fever_clinic", day_date(DAY), 3),  # 3
        ("S0", "fever_clinic", day_date(DAY), 3),  # 4: a street
        (good, "cough", day_date(DAY), 3),  # 5
        (good, "pharmacy_fever_drug", "2026/11/23", 3),  # 6
        (good, "school_absence", "2026-10-01", 3),  # 7: before day 0
        (good, "lab_positive", day_date(DAY), -1),  # 8
        (good, "fever_clinic", day_date(DAY), 4),  # 9: duplicate of line 2
        ("", "fever_clinic", day_date(DAY), 2.5),  # 10
    ]
    path = feed_csv(tmp_path / "bad.csv", rows)
    with pytest.raises(ingest.FeedRejected) as info:
        run(session, path, lake_dir)
    got = {(e.line, e.field): e.rule for e in info.value.errors}
    assert got[(3, "area")] == "unknown area: must be a community code or a community id"
    assert got[(4, "area")] == "must name a community, not a street"
    assert got[(5, "signal")].startswith("must be one of: fever_clinic, pharmacy_fever_drug")
    assert got[(6, "date")] == "must be a date YYYY-MM-DD"
    assert got[(7, "date")] == "must be on or after the city's day 0 (2026-11-02)"
    assert got[(8, "count")].startswith("must be an integer between 0 and")
    assert got[(9, "")] == "duplicate: the same area, signal and date as line 2"
    assert got[(10, "area")] == "is required" and (10, "count") in got
    assert all(e.file == "bad.csv" for e in info.value.errors)
    assert "feed rejected: 9 errors" in str(info.value)
    assert not (lake_dir / "syndromic_ingest").exists()
    assert session.scalar(select(func.count()).select_from(SurveillanceBatch)) == 0


def test_header_errors_and_an_empty_feed(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    bad = tmp_path / "cols.csv"
    bad.write_text("area,signal,day,count,extra\nx,y,z,1,2\n")
    with pytest.raises(ingest.FeedRejected) as info:
        run(session, bad, lake_dir)
    assert {(e.line, e.field) for e in info.value.errors} == {(1, "date"), (1, "day"), (1, "extra")}
    empty = tmp_path / "empty.csv"
    empty.write_text("area,signal,date,count\n")
    with pytest.raises(ingest.FeedRejected, match="the feed has no rows"):
        run(session, empty, lake_dir)
    with pytest.raises(service.SurveillanceError, match="no such file"):
        run(session, tmp_path / "missing.csv", lake_dir)


def test_a_feed_for_a_day_already_in_the_lake_is_rejected(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    path = feed_csv(tmp_path / "old.csv", normal_rows(city, day=5)[:2])
    with pytest.raises(ingest.FeedRejected) as info:
        run(session, path, lake_dir)
    assert [e.line for e in info.value.errors] == [2, 3]
    assert "the lake is append-only" in info.value.errors[0].rule
    # a signal the generator does not write (lab positives) is new for that day
    code = city.codes[city.communities[0]]
    fine = feed_csv(tmp_path / "lab.csv", [(code, "lab_positive", day_date(5), 1)])
    assert run(session, fine, lake_dir).rows == 1


def test_parquet_feeds_and_area_ids(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    area = city.communities[1]
    rows = with_outbreak(city, area, {"school_absence": 60})
    table = pa.table(
        {
            "area": [str(next(c for c, k in city.codes.items() if k == r[0])) for r in rows],
            "signal": [r[1] for r in rows],
            "date": pa.array([EPOCH_DATE.fromisoformat(r[2]) for r in rows], pa.date32()),
            "count": pa.array([int(r[3]) for r in rows], pa.int64()),  # type: ignore[call-overload]
        }
    )
    path = tmp_path / "feed.parquet"
    pq.write_table(table, path)
    result = run(session, path, lake_dir)
    assert result.rows == 18 and result.alerts_raised == 1
    alert = session.get(Alert, result.alert_ids[0])
    assert alert is not None and alert.area_id == area and alert.signals == ["school_absence"]
    assert ("department", "education") in [(r["kind"], r["code"]) for r in alert.recipients]


def test_lab_positives_make_it_red_and_escalate_the_open_alert(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    area = city.communities[3]
    first = run(
        session,
        feed_csv(
            tmp_path / "d21.csv",
            with_outbreak(city, area, {"fever_clinic": 45, "pharmacy_fever_drug": 90}),
        ),
        lake_dir,
    )
    alert = session.get(Alert, first.alert_ids[0])
    assert alert is not None and alert.level == "yellow"
    code = city.codes[area]
    second = run(
        session,
        feed_csv(tmp_path / "lab.csv", [(code, "lab_positive", day_date(DAY), 2)]),
        lake_dir,
    )
    # the lab batch re-evaluates the area's series: red, the same alert updated
    assert second.alerts_raised == 0 and second.alert_ids == [alert.id]
    assert alert.level == "red" and "lab_positive" in alert.signals
    lab = [d for d in alert.detections if d["signal"] == "lab_positive"]
    assert lab == [
        {"signal": "lab_positive", "detector": None, "day": DAY, "date": day_date(DAY), "count": 2}
    ]
    codes = [r["code"] for r in alert.recipients]
    assert "command_centre" in codes and "D1" in codes
    assert "实验室检测阳性 2 例" in alert.message_zh
    actions = [e.action for e in service.alert_events(session=session, alert_id=alert.id)]
    assert actions == ["raise", "escalate"]


def test_a_failure_after_the_lake_write_leaves_nothing(
    session: Session,
    city: SmallCity,
    lake_dir: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def boom(**_: object) -> None:
        raise RuntimeError("database went away")

    monkeypatch.setattr(ingest, "record_alarms", boom)
    path = feed_csv(tmp_path / "f.csv", normal_rows(city))
    with pytest.raises(RuntimeError, match="went away"):
        run(session, path, lake_dir)
    assert not ingest.ingest_path(lake_dir, ingest.batch_id_of(path)).exists()


def test_series_without_enough_history_are_not_evaluated(
    session: Session, city: SmallCity, tmp_path: Path
) -> None:
    from .conftest import write_history

    short = tmp_path / "short"
    write_history(short, city.communities, 4)
    path = feed_csv(
        tmp_path / "f.csv", with_outbreak(city, city.communities[0], {"fever_clinic": 99}, day=4)
    )
    result = run(session, path, short)
    assert result.rows == 18 and result.alarms == 0 and result.alerts_raised == 0


def test_evaluate_areas_reads_only_the_affected_series(city: SmallCity, tmp_path: Path) -> None:
    from .conftest import write_history

    root = tmp_path / "lake"
    write_history(root, city.communities, 30)
    rows = detection.read_series(root, np.array(city.communities[:2], np.int32), 20, 29)
    assert set(rows.column("area_id").to_pylist()) == set(city.communities[:2])
    assert min(rows.column("day").to_pylist()) == 20 and rows.num_rows == 2 * 3 * 10
    config = SurveillanceConfig(
        rules=TriggerRules((LevelRule("blue", min_signals=1, window_days=1),))
    )
    ev = detection.evaluate_areas(
        lake_dir=root,
        area_ids=np.array(city.communities[:2], np.int32),
        days=[29],
        epoch=EPOCH_DATE,
        config=config,
    )
    assert ev.series == 6
    assert all(c.area_id in city.communities[:2] and c.day == 29 for c in ev.candidates)


def test_rejected_batches_are_recorded_and_can_be_fixed(
    session: Session, city: SmallCity, lake_dir: Path, tmp_path: Path
) -> None:
    path = feed_csv(tmp_path / "f.csv", [("NOPE", "fever_clinic", day_date(DAY), 1)])
    with pytest.raises(ingest.FeedRejected) as info:
        run(session, path, lake_dir)
    arrived = datetime(2026, 11, 23, 1, 0)
    batch = ingest.record_rejection(
        session=session,
        batch_id=info.value.batch_id,
        source=str(path),
        errors=1,
        received_at=arrived,
    )
    assert batch.status == "rejected" and batch.errors == 1 and batch.rows == 0
    again = ingest.record_rejection(
        session=session, batch_id=batch.id, source=str(path), errors=1, received_at=arrived
    )
    assert again is batch
    # a rejected batch is validated again when re-sent (it is not "unchanged")
    with pytest.raises(ingest.FeedRejected):
        run(session, path, lake_dir)
    good = run(session, feed_csv(tmp_path / "g.csv", normal_rows(city)), lake_dir)
    with pytest.raises(service.SurveillanceError, match="is committed"):
        ingest.record_rejection(
            session=session, batch_id=good.batch_id, source="x", errors=1, received_at=arrived
        )
