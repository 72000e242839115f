"""Stock ledger and status on the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.domains.resources import service
from epicontrol.domains.resources.models import StockLevel, StockMovement
from epicontrol.domains.resources.schemas import MovementIn, SupplyRules

from .conftest import add_cases, add_zone, areas_of

ON = date(2026, 11, 20)


def mv(area: str, item: str, kind: str, q: float, ref: str | None = None) -> MovementIn:
    return MovementIn(area=area, item=item, kind=kind, quantity=q, reference=ref)  # type: ignore[arg-type]


def count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(StockMovement)) or 0)


def test_receive_issue_and_ledger(stored: Session) -> None:
    district = areas_of(stored, "district")[0].code
    out = service.record_movements(
        session=stored,
        movements=[
            mv(district, "n95", "receipt", 1000),
            mv(district, "n95", "issue", 300),
            mv("MJ", "grain", "receipt", 50.5),
        ],
    )
    assert out.recorded == 3 and [m.balance for m in out.movements] == [1000, 700, 50.5]
    level = stored.get(StockLevel, (areas_of(stored, "district")[0].id, "n95"))
    assert level is not None and level.quantity == 700
    # the ledger re-derives the balance
    rows = stored.scalars(
        select(StockMovement).where(StockMovement.item == "n95").order_by(StockMovement.id)
    ).all()
    assert sum(m.quantity if m.kind == "receipt" else -m.quantity for m in rows) == 700


def test_bad_movements_write_nothing(stored: Session) -> None:
    d = areas_of(stored, "district")[0]
    street = areas_of(stored, "street")[0]
    service.record_movements(session=stored, movements=[mv(d.code, "mask", "receipt", 10)])
    before = count(stored)
    with pytest.raises(service.ResourceInputError) as info:
        service.record_movements(
            session=stored,
            movements=[
                mv(d.code, "mask", "receipt", 5),  # fine on its own
                mv(d.code, "mask", "issue", 20),  # 15 < 20: negative stock
                mv("NOPE", "mask", "receipt", 1),  # unknown area
                mv(street.code, "mask", "receipt", 1),  # a street holds no stock
                mv(d.code, "caviar", "receipt", 1),  # unknown item
                mv(d.code, "mask", "receipt", -3),  # quantity must be > 0
            ],
        )
    errors = {(e.line, e.field): e.rule for e in info.value.errors}
    assert "stock cannot go negative" in errors[(2, "quantity")]
    assert "unknown area 'NOPE'" in errors[(3, "area")]
    assert "is a street; it must be a city or district or community" in errors[(4, "area")]
    assert "must be an item of the catalogue" in errors[(5, "item")]
    assert "must be a number > 0" in errors[(6, "quantity")]
    assert count(stored) == before
    assert stored.get(StockLevel, (d.id, "mask")).quantity == 10  # type: ignore[union-attr]


def test_reference_is_idempotent(stored: Session) -> None:
    d = areas_of(stored, "district")[1].code
    first = service.record_movements(
        session=stored, movements=[mv(d, "meat", "receipt", 40, "DN-1")]
    )
    again = service.record_movements(
        session=stored, movements=[mv(d, "meat", "receipt", 40, "DN-1")]
    )
    assert first.recorded == 1 and again.recorded == 0 and again.duplicates == 1
    assert again.movements[0].duplicate and again.movements[0].id == first.movements[0].id
    with pytest.raises(service.ResourceConflict, match="DN-1"):
        service.record_movements(session=stored, movements=[mv(d, "meat", "receipt", 41, "DN-1")])


def test_csv_import_row_errors_and_idempotency(stored: Session, tmp_path: Path) -> None:
    d = areas_of(stored, "district")[2].code
    c = areas_of(stored, "community")[2].code
    path = tmp_path / "moves.csv"
    path.write_text(
        f"area,item,kind,quantity\n{d},mask,receipt,100\n{c},vegetables,receipt,30\n", "utf-8"
    )
    assert service.import_movements(session=stored, path=path).recorded == 2
    again = service.import_movements(session=stored, path=path)
    assert again.recorded == 0 and again.duplicates == 2
    bad = tmp_path / "bad.csv"
    bad.write_text(f"area,item,kind,quantity\n{d},mask,borrow,1\n{d},mask,receipt,x\n", "utf-8")
    with pytest.raises(service.ResourceInputError) as info:
        service.import_movements(session=stored, path=bad)
    assert [(e.file, e.line, e.field) for e in info.value.errors] == [
        ("bad.csv", 2, "kind"),
        ("bad.csv", 3, "quantity"),
    ]
    with pytest.raises(service.ResourceInputError, match="missing quantity"):
        (tmp_path / "cols.csv").write_text("area,item,kind\n", "utf-8")
        service.import_movements(session=stored, path=tmp_path / "cols.csv")


def test_status_from_zones_by_hand(stored: Session) -> None:
    community = areas_of(stored, "community")[0]
    young = areas_of(stored, "community")[1]
    old = areas_of(stored, "community")[2]
    district = stored.get(type(community), community.parent_id)
    while district is not None and district.level != "district":
        district = stored.get(type(community), district.parent_id)
    assert district is not None
    add_zone(stored, community, "lockdown", ON - timedelta(days=3))
    add_zone(stored, young, "control", ON - timedelta(days=2))  # first 4 days: as lockdown
    add_zone(stored, old, "control", ON - timedelta(days=6))  # not supplied
    add_cases(stored, community, 2, datetime(2026, 11, 18, 8))
    add_cases(stored, community, 1, datetime(2026, 10, 1, 8))  # no longer active
    service.record_movements(
        session=stored,
        movements=[
            mv(community.code, "vegetables", "receipt", community.population * 10),
            mv(district.code, "n95", "receipt", 100),
        ],
    )
    report = service.stock_status(session=stored, on=ON)
    assert report.zone_source == "zones"
    assert report.zone_residents == community.population + young.population
    assert report.active_cases == 2
    rows = {(r.area_code, r.item): r for r in report.rows}
    veg = rows[(community.code, "vegetables")]
    assert veg.burn_per_day == community.population
    assert veg.days_of_supply == pytest.approx(10) and veg.alarm
    assert veg.reorder == 20 * community.population  # up to 30 days
    n95 = rows[(district.code, "n95")]
    assert n95.burn_per_day == 2 * 6  # 2 active cases * 6, no staff on record
    assert n95.days_of_supply == pytest.approx(100 / 12) and n95.alarm
    assert n95.reorder == math.ceil(90 * 12 - 100)
    # the city holds nothing but feeds everyone in the supplied zones
    city_grain = rows[("MJ", "grain")]
    assert city_grain.stock == 0 and city_grain.days_of_supply == 0 and city_grain.alarm
    assert report.reorder["city"]["grain"] == math.ceil(30 * 0.5 * report.zone_residents)
    # nothing is listed for areas that neither hold nor burn an item
    assert (old.code, "vegetables") not in rows


def test_status_with_explicit_populations(stored: Session) -> None:
    community = areas_of(stored, "community")[3]
    report = service.stock_status(
        session=stored, on=ON, zone_residents={community.code: 100}, items=["meat"]
    )
    assert report.zone_source == "explicit"
    assert {(r.level, r.burn_per_day) for r in report.rows} == {
        ("city", 20.0),
        ("district", 20.0),
        ("community", 20.0),
    }
    with pytest.raises(service.ResourceInputError, match="exceeds its"):
        service.stock_status(session=stored, zone_residents={community.code: 10**6})
    with pytest.raises(service.ResourceInputError, match="unknown item 'caviar'"):
        service.stock_status(session=stored, items=["caviar"])


def test_custom_catalogue_rules(stored: Session, tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[[item]]\ncode = "rice"\nname = "米"\nname_en = "Rice"\nunit = "kg"\n'
        'category = "living"\nper_person_day = 0.4\n',
        "utf-8",
    )
    rules = SupplyRules(catalogue=path)
    out = service.record_movements(
        session=stored, movements=[mv("MJ", "rice", "receipt", 5)], rules=rules
    )
    assert out.recorded == 1
    with pytest.raises(service.ResourceInputError, match="must be an item of the catalogue"):
        service.record_movements(
            session=stored, movements=[mv("MJ", "mask", "receipt", 5)], rules=rules
        )
