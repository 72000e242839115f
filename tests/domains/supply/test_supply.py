"""Supply nodes (defaults, CSV import) and the daily distribution plan on the store."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.domains.city.models import Area, Household
from epicontrol.domains.supply import service
from epicontrol.domains.supply.models import SupplyNode, SupplyPlan, SupplyUnserved
from epicontrol.domains.supply.schemas import SupplySettings
from epicontrol.domains.zones.models import Zone, ZoneChange

DAY = date(2026, 3, 2)
HEADER = "code,level,area_code,name,capacity_kg,vehicles,vehicle_kg,workers,doors_per_round\n"


def ids(store: Session, level: str) -> list[int]:
    return list(store.scalars(select(Area.id).where(Area.level == level).order_by(Area.id)))


def test_default_nodes_are_derived_once(store: Session) -> None:
    first = service.ensure_nodes(session=store, settings=SupplySettings())
    levels = dict(
        store.execute(select(SupplyNode.level, func.count()).group_by(SupplyNode.level)).all()
    )
    assert levels == {
        "city": 1,
        "district": len(ids(store, "district")),
        "community": len(ids(store, "community")),
    }
    assert first.created == first.nodes
    again = service.ensure_nodes(session=store, settings=SupplySettings())
    assert again.created == 0 and again.nodes == first.nodes
    point = store.scalars(select(SupplyNode).where(SupplyNode.level == "community")).first()
    assert point is not None and point.workers == 8 and point.doors_per_round == 10


def test_csv_import_rejects_rows_and_is_idempotent(store: Session, tmp_path: Path) -> None:
    com = store.scalars(select(Area).where(Area.level == "community").order_by(Area.id)).first()
    dist = store.scalars(select(Area).where(Area.level == "district").order_by(Area.id)).first()
    assert com is not None and dist is not None
    bad = tmp_path / "bad.csv"
    bad.write_text(
        HEADER
        + f"P1,community,{com.code},pt,-5,0,0,8,10\n"
        + "P2,community,NOPE,pt,100,0,0,8,10\n"
        + f"H1,district,{com.code},hub,100,2,1500,0,0\n"
        + f"P1,community,{com.code},pt,100,0,0,8,10\n",
        encoding="utf-8",
    )
    with pytest.raises(service.NodesRejected) as info:
        service.import_nodes(session=store, path=bad)
    got = {(e.line, e.field) for e in info.value.errors}
    assert (2, "capacity_kg") in got  # negative
    assert (3, "area_code") in got  # unknown area
    assert (4, "area_code") in got  # a community is not a district
    assert (5, "code") in got  # code twice
    assert store.scalar(select(func.count()).select_from(SupplyNode)) == 0
    good = tmp_path / "good.csv"
    good.write_text(
        HEADER
        + f"P1,community,{com.code},pt,100,0,0,3,5\n"
        + f"H1,district,{dist.code},hub,1000,2,1500,0,0\n",
        encoding="utf-8",
    )
    out = service.import_nodes(session=store, path=good)
    assert (out.created, out.updated, out.unchanged) == (2, 0, 0)
    again = service.import_nodes(session=store, path=good)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    with pytest.raises(service.NodesRejected, match=r"required column"):
        (tmp_path / "h.csv").write_text("code,level\n", encoding="utf-8")
        service.import_nodes(session=store, path=tmp_path / "h.csv")


def test_plan_on_explicit_areas_counts_and_replaces(store: Session) -> None:
    compounds = ids(store, "compound")
    plan = service.plan_day(
        session=store, day=DAY, lockdown_areas=compounds[:2], control_areas=compounds[2:4]
    )
    buildings = {
        c: list(store.scalars(select(Area.id).where(Area.parent_id == c))) for c in compounds[:4]
    }
    lock = sum(
        store.scalar(
            select(func.count()).select_from(Household).where(Household.building_id.in_(b))
        )
        or 0
        for c, b in buildings.items()
        if c in compounds[:2]
    )
    assert plan.lockdown.households == lock > 0
    assert plan.control.households > 0
    assert plan.zone_source == "areas"
    served = plan.lockdown.served + plan.control.served
    unserved = store.scalar(select(func.count()).select_from(SupplyUnserved)) or 0
    assert served + unserved == plan.lockdown.households + plan.control.households
    assert sum(plan.unserved_by_reason.values()) == unserved
    assert plan.items["vegetables"] == pytest.approx(plan.items["mask"])
    assert plan.items["grain"] == pytest.approx(0.5 * plan.items["mask"])
    # re-planning the day replaces the plan
    again = service.plan_day(session=store, day=DAY, lockdown_areas=compounds[:1])
    assert store.scalar(select(func.count()).select_from(SupplyPlan)) == 1
    assert again.lockdown.households < plan.lockdown.households
    assert again.control.households == 0
    with pytest.raises(service.SupplyInputError, match=r"lockdown_areas: must be known area ids"):
        service.plan_day(session=store, day=DAY, lockdown_areas=[10**6])


def test_plan_reads_the_zones_of_the_day(store: Session) -> None:
    compounds = ids(store, "compound")
    now = datetime(2026, 3, 1, 2, 0)
    for k, (area, level) in enumerate(((compounds[0], "lockdown"), (compounds[1], "control"))):
        zone = Zone(
            area_id=area, unit_level="compound", level=level, status="active",
            level_day=date(2026, 3, 1), opened_at=now, changed_at=now, lifted_at=None,
        )  # fmt: skip
        store.add(zone)
        store.flush()
        store.add(
            ZoneChange(
                zone_id=zone.id,
                day=date(2026, 3, 1),
                recorded_at=now,
                from_level=None,
                to_level=level,
                rule_id="test",
                reason=f"test {k}",
                case_id=None,
            )
        )
    store.flush()
    plan = service.plan_day(session=store, day=DAY)
    direct = service.plan_day(
        session=store, day=date(2026, 3, 3), lockdown_areas=compounds[:1],
        control_areas=compounds[1:2],
    )  # fmt: skip
    assert plan.zone_source == "zones" and plan.zones == 2
    assert plan.lockdown.households == direct.lockdown.households > 0
    assert plan.control.households == direct.control.households > 0
    # before the zones opened there is nothing to plan
    empty = service.plan_day(session=store, day=date(2026, 2, 27))
    assert empty.lockdown.households == 0 and empty.control.households == 0
    got = service.get_plan(session=store, day=DAY)
    assert got.plan_id == plan.plan_id and got.lockdown == plan.lockdown
