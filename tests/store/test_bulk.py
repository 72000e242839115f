from __future__ import annotations

from datetime import datetime

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.domains.city.models import Area, ImportBatch
from epicontrol.store.bulk import bulk_insert


def test_bulk_insert_round_trips_nulls_quotes_and_unicode(session: Session) -> None:
    table = pa.table(
        {
            "id": pa.array([0, 1, 2], pa.int32()),
            "code": ["A,1", 'B "quoted"', "C\nnewline"],
            "level": ["city", "district", "district"],
            "parent_id": pa.array([None, 0, 0], pa.int32()),
            "name": ["闽江市", "中洲区", ""],
            "name_en": [None, "Zhongzhou", None],
            "kind": [None, "urban", "county"],
            "lon": [119.3, None, 1.5],
            "lat": [26.08, None, -2.25],
            "population": pa.array([10, 4, 6], pa.int32()),
            "households": pa.array([4, 2, 2], pa.int32()),
        }
    )
    progress: list[int] = []
    assert bulk_insert(session.connection(), "areas", table, on_progress=progress.append) == 3
    assert sum(progress) == 3
    rows = session.execute(
        select(Area.code, Area.parent_id, Area.name, Area.name_en, Area.lon).order_by(Area.id)
    ).all()
    assert rows == [
        ("A,1", None, "闽江市", None, 119.3),
        ('B "quoted"', 0, "中洲区", "Zhongzhou", None),
        ("C\nnewline", 0, "", None, 1.5),
    ]


def test_bulk_insert_joins_the_session_transaction(session: Session) -> None:
    session.add(ImportBatch(id="x", imported_at=datetime(2026, 1, 1), files="[]", counts="{}"))
    session.flush()
    empty = pa.table({"id": pa.array([], pa.int32())})
    assert bulk_insert(session.connection(), "areas", empty) == 0
    assert session.scalar(select(ImportBatch.id)) == "x"
