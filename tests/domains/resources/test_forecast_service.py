"""Capacity forecast on the store and from a case file."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.resources.forecast import CapacityParams, GrowthParams, Severity
from epicontrol.domains.city.models import Area, Facility
from epicontrol.domains.resources import forecast, service
from epicontrol.domains.resources.schemas import MovementIn

from .conftest import add_cases, areas_of


def _district_of(session: Session, area: Area) -> Area:
    node = area
    while node.level != "district":
        node = session.get(Area, node.parent_id)  # type: ignore[assignment]
    return node


def test_store_forecast_by_hand(stored: Session) -> None:
    community = areas_of(stored, "community")[0]
    district = _district_of(stored, community)
    add_cases(stored, community, 2, datetime(2026, 11, 10, 9))
    add_cases(stored, community, 4, datetime(2026, 11, 11, 9))
    service.record_movements(
        session=stored,
        movements=[MovementIn(area=district.code, item="ventilator", kind="receipt", quantity=2)],
    )
    params = CapacityParams(
        general=Severity(0.5, 3), icu=Severity(0.25, 2), ventilated=Severity(0.25, 2)
    )
    out = forecast.forecast_capacity(
        session=stored, horizon=3, growth=GrowthParams(doubling_time=1.0), params=params
    )
    assert out.start == date(2026, 11, 10) and out.last_observed == date(2026, 11, 11)
    assert out.doubling_time == pytest.approx(1.0) and not out.fitted
    d = {x.district_code: x for x in out.districts}[district.code]
    # level a at r = ln 2, t = -1, 0: a = log(6 / (0.5 + 1)) -> 4, 8, 16, 32 on the next days
    np.testing.assert_allclose(d.cases, [2, 4, 8, 16, 32], rtol=1e-9)
    np.testing.assert_allclose(d.admissions["general"], [1, 2, 4, 8, 16], rtol=1e-9)
    np.testing.assert_allclose(d.census["general"], [1, 3, 7, 14, 28], rtol=1e-9)
    beds = stored.execute(
        select(Facility.building_id, Facility.beds, Facility.icu_beds).where(
            Facility.kind == "hospital"
        )
    ).all()
    areas = service.load_areas(stored)
    mine = [
        (b, i)
        for bid, b, i in beds
        if areas.ancestor(np.array([bid]), "district")[0] == district.id
    ]
    ward = sum(b - i for b, i in mine)
    assert d.capacity.general == ward and d.capacity.ventilated == 2
    census = np.array(d.census["general"])
    expected = int(np.argmax(census >= 0.85 * ward)) if (census >= 0.85 * ward).any() else None
    got = d.first_alert.general
    assert (None if got is None else (got - out.start).days) == expected
    # ventilators: census 0.5, 1.5, 3, 6, 12 against 2 -> 85 % on day 2
    assert d.first_alert.ventilated == date(2026, 11, 12)
    other = next(x for x in out.districts if x.district_code != district.code)
    assert other.capacity.ventilated is None and other.first_alert.ventilated is None


def test_forecast_needs_cases_and_data(stored: Session, tmp_path: Path) -> None:
    with pytest.raises(service.ResourceInputError, match="holds no cases"):
        forecast.forecast_capacity(session=stored)
    add_cases(stored, areas_of(stored, "community")[0], 3, datetime(2026, 11, 10, 9))
    with pytest.raises(service.ResourceInputError, match="give doubling_time"):
        forecast.forecast_capacity(session=stored)


def test_file_with_external_projection(stored: Session, tmp_path: Path) -> None:
    d0, d1 = (a.code for a in areas_of(stored, "district")[:2])
    path = tmp_path / "cases.csv"
    path.write_text(
        "date,district,cases,projected\n"
        f"2026-11-01,{d0},3,0\n2026-11-02,{d1},1,0\n2026-11-03,{d0},5,1\n2026-11-04,{d1},7,1\n",
        "utf-8",
    )
    out = forecast.forecast_capacity(session=stored, cases_file=path)
    assert out.projection == "external" and out.horizon == 2
    assert (out.observed_cases, out.projected_cases) == (4, 12)
    by = {x.district_code: x for x in out.districts}
    assert by[d0].cases == [3, 0, 5, 0] and by[d1].cases == [0, 1, 0, 7]
    bad = tmp_path / "bad.csv"
    bad.write_text(
        f"date,district,cases\n2026-13-01,{d0},1\n2026-11-01,ZZ,1\n2026-11-01,{d0},-2\n", "utf-8"
    )
    with pytest.raises(service.ResourceInputError) as info:
        forecast.forecast_capacity(session=stored, cases_file=bad)
    assert [(e.line, e.field) for e in info.value.errors] == [
        (2, "date"),
        (3, "district"),
        (4, "cases"),
    ]
    late = tmp_path / "late.csv"
    late.write_text(
        f"date,district,cases,projected\n2026-11-02,{d0},1,0\n2026-11-01,{d0},1,1\n", "utf-8"
    )
    with pytest.raises(service.ResourceInputError, match="after the last observed day"):
        forecast.forecast_capacity(session=stored, cases_file=late)
    _ = timedelta
