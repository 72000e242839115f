"""Staff table import and shortfalls by district on the store."""

from __future__ import annotations

import math
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from epicontrol.domains.resources import staffing
from epicontrol.domains.resources.service import ResourceInputError

from .conftest import add_zone, areas_of

ON = date(2026, 11, 20)


def test_import_is_idempotent_and_checked(stored: Session, tmp_path: Path) -> None:
    d0, d1 = (a.code for a in areas_of(stored, "district")[:2])
    path = tmp_path / "staff.csv"
    path.write_text(
        f"district,role,count\n{d0},tracer,3\n{d0},ambulance,2\n{d0},ambulance_np,1\n"
        f"{d1},community_worker,8\n",
        "utf-8",
    )
    first = staffing.import_staff(session=stored, path=path)
    assert (first.rows, first.changed) == (4, 4)
    again = staffing.import_staff(session=stored, path=path)
    assert (again.changed, again.unchanged) == (0, 4)
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"district,role,count\nXX,tracer,1\n{d0},pilot,1\n{d0},lab,-1\n{d1},ambulance_np,5\n",
        "utf-8",
    )
    with pytest.raises(ResourceInputError) as info:
        staffing.import_staff(session=stored, path=bad)
    errors = {(e.line, e.field) for e in info.value.errors}
    assert errors == {(2, "district"), (3, "role"), (4, "count"), (5, "count")}
    np_only = tmp_path / "np.csv"
    np_only.write_text(f"district,role,count\n{d1},ambulance_np,5\n", "utf-8")
    with pytest.raises(ResourceInputError, match=r"ambulance_np \(5\) must be <= ambulance \(0\)"):
        staffing.import_staff(session=stored, path=np_only)
    assert sorted(staffing.staff_roster(session=stored)) == sorted(
        [
            (d0, "tracer", 3),
            (d0, "ambulance", 2),
            (d0, "ambulance_np", 1),
            (d1, "community_worker", 8),
        ]
    )


def test_shortfall_by_hand(stored: Session) -> None:
    district = areas_of(stored, "district")[0]
    communities = [c for c in areas_of(stored, "community")]
    mine = []
    for c in communities:
        node = c
        while node.level != "district":
            node = stored.get(type(c), node.parent_id)  # type: ignore[assignment]
        if node.id == district.id:
            mine.append(c)
    add_zone(stored, mine[0], "lockdown", ON - timedelta(days=1))
    staffing.set_staff(
        session=stored, counts={(district.code, "tracer"): 1, (district.code, "ambulance"): 1}
    )
    report = staffing.staffing_report(
        session=stored, on=ON, quarantined_override={district.code: 10}
    )
    rows = {(r.district_code, r.role): r for r in report.rows}
    pop, lock = district.population, mine[0].population
    assert rows[(district.code, "tracer")].required == max(
        math.ceil(pop * 2 / 10_000), math.ceil(lock * 15 / 10_000)
    )
    assert rows[(district.code, "tracer")].shortfall == rows[(district.code, "tracer")].required - 1
    assert rows[(district.code, "sampler")].required == math.ceil(lock * 10 / 10_000)
    assert rows[(district.code, "lab")].required == math.ceil(lock * 5 / 10_000)
    assert rows[(district.code, "community_worker")].required == 8 * len(mine)
    assert rows[(district.code, "quarantine_staff")].required == 3  # 10 * 25 / 100 = 2.5
    county = district.kind == "county"
    amb = math.ceil(pop / (10_000 if county else 30_000))
    assert rows[(district.code, "ambulance")].required == amb
    assert rows[(district.code, "ambulance")].shortfall == amb - 1
    assert rows[(district.code, "ambulance_np")].required == math.ceil(0.4 * amb)
    basis = {b.district_code: b for b in report.basis}[district.code]
    assert (basis.lockdown_population, basis.quarantined) == (lock, 10)
    other = areas_of(stored, "district")[1].code
    assert rows[(other, "sampler")].required == 0
    assert report.totals["community_worker"]["required"] == 8 * len(communities)


def test_quarantined_from_tracing_is_zero_without_investigations(stored: Session) -> None:
    report = staffing.staffing_report(session=stored, on=ON)
    assert all(b.quarantined == 0 for b in report.basis)
    assert report.totals["quarantine_staff"]["required"] == 0
