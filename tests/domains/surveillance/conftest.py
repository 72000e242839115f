"""A small city (2 districts, 6 communities) in the store and syndromic history in a lake."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from sqlalchemy.orm import Session

from epicontrol.core.city.schemas import SIGNALS, SYNDROMIC
from epicontrol.domains.city.models import Area, City
from epicontrol.store import lake

EPOCH = datetime(2026, 11, 2, tzinfo=timezone(timedelta(hours=8)))
EPOCH_DATE = date(2026, 11, 2)
#: Mean daily count per signal of the history.
MEANS = {"fever_clinic": 6.0, "pharmacy_fever_drug": 20.0, "school_absence": 10.0}


@dataclass
class SmallCity:
    communities: list[int]
    codes: dict[int, str]
    street: int
    districts: list[int]


def add_city(session: Session) -> SmallCity:
    """City → 2 districts → 1 street each → 3 communities each (ids 0..11)."""
    session.add(
        City(
            id=0,
            name="闽江市",
            name_en="Minjiang",
            epoch_utc=EPOCH.astimezone(UTC).replace(tzinfo=None),
            timezone="Asia/Shanghai",
            utc_offset_minutes=480,
            source="generated",
            seed=1,
            days=0,
            created_at=datetime(2026, 11, 1),
        )
    )
    rows = [Area(id=0, code="C", level="city", parent_id=None, name="闽江市", name_en="Minjiang")]
    communities: list[int] = []
    codes: dict[int, str] = {}
    next_id = 1
    districts = []
    street = -1
    for d in range(2):
        did = next_id
        districts.append(did)
        rows.append(
            Area(
                id=did,
                code=f"D{d}",
                level="district",
                parent_id=0,
                name=f"区{d}",
                name_en=f"District {d}",
                kind="urban",
            )
        )
        sid = did + 1
        street = sid if street < 0 else street
        rows.append(
            Area(id=sid, code=f"S{d}", level="street", parent_id=did, name=f"街道{d}", name_en=None)
        )
        next_id = sid + 1
        for c in range(3):
            cid = next_id
            next_id += 1
            code = f"COM-{d}-{c}"
            rows.append(
                Area(
                    id=cid,
                    code=code,
                    level="community",
                    parent_id=sid,
                    name=f"社区{d}{c}",
                    name_en=f"Community {d}{c}",
                    population=3000,
                )
            )
            communities.append(cid)
            codes[cid] = code
    for row in rows:
        session.add(row)
        session.flush()
    return SmallCity(communities, codes, street, districts)


def write_history(lake_dir: Path, communities: list[int], days: int, seed: int = 3) -> None:
    """``days`` days of Poisson counts around :data:`MEANS` in ``lake/syndromic``."""
    rng = np.random.default_rng(seed)
    for day in range(days):
        area = np.repeat(np.asarray(communities, dtype=np.int32), len(SIGNALS))
        signal = list(SIGNALS) * len(communities)
        count = rng.poisson([MEANS[s] for s in signal]).astype(np.int32)
        table = pa.table({"area_id": area, "signal": signal, "count": count}, schema=SYNDROMIC)
        lake.write_partition(lake_dir, "syndromic", day, [table], EPOCH)


def feed_csv(path: Path, rows: list[tuple[str, str, str, object]]) -> Path:
    """Write a feed file with a header and ``rows``."""
    lines = ["area,signal,date,count", *(",".join(str(v) for v in r) for r in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def day_date(day: int) -> str:
    return (EPOCH_DATE + timedelta(days=day)).isoformat()


@pytest.fixture()
def city(session: Session) -> SmallCity:
    return add_city(session)


@pytest.fixture()
def lake_dir(tmp_path: Path, city: SmallCity) -> Path:
    root = tmp_path / "lake"
    write_history(root, city.communities, 21)
    return root
