"""Forecast service: daily cases by district from the store (or a file), capacity from the
facilities, and the capacity forecast of :mod:`epicontrol.core.resources.forecast`.

Cases are counted on the local day they were reported, by the district of
the person's home.  A district's capacity is the beds of its hospitals (the
``facilities`` of kind ``hospital``): ward beds = beds - ICU beds, ICU beds,
and the ventilators it holds in stock (item ``ventilator`` at the district;
unknown, so never alerting, when none is recorded).

A case file (``--cases FILE``) is a CSV ``date,district,cases[,projected]``:
observed cases, optionally followed by an external projection (rows with
``projected`` = 1, e.g. the digital twin's), used as given instead of the
growth model.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.resources.forecast import (
    CARE_LEVELS,
    CapacityParams,
    GrowthParams,
    capacity_forecast,
    growth_projection,
)
from ..city.importing.base import RowError
from ..city.models import Facility, Person
from ..tracing.models import Case
from .models import StockLevel
from .schemas import ForecastDistrict, ForecastOut, LevelDays, LevelFigures
from .service import CityAreas, ResourceInputError, load_areas

F64 = NDArray[np.float64]
#: Longest series the forecast accepts (observed plus horizon).
MAX_DAYS = 3_660


@dataclass(frozen=True)
class CaseSeries:
    """Daily cases from ``start``: observed ``(days, districts)``, and an optional projection."""

    start: date
    districts: list[int]
    observed: F64
    projected: F64 | None
    source: str


def store_cases(
    *,
    session: Session,
    areas: CityAreas | None = None,
    end: date | None = None,
    statuses: tuple[str, ...] = ("confirmed",),
) -> CaseSeries:
    """Cases by reported local day and home district, from the first case day to ``end``
    (default: the last reported day)."""
    areas = areas or load_areas(session)
    districts = areas.ids_of("district").tolist()
    rows = session.execute(
        select(Case.reported_at, Person.building_id)
        .join(Person, Person.id == Case.person_id)
        .where(Case.status.in_(list(statuses)))
    ).all()
    if not rows:
        raise ResourceInputError(
            "cases", f"the store holds no cases of status {', '.join(statuses)} to forecast from"
        )
    days = [areas.clock.from_store(r[0]).date() for r in rows]
    district = areas.ancestor(np.array([r[1] for r in rows], np.int64), "district")
    start, last = min(days), end or max(days)
    if last < start:
        raise ResourceInputError("end", f"{last} is before the first case ({start})")
    n_days = (last - start).days + 1
    if n_days > MAX_DAYS:
        raise ResourceInputError(
            "cases", f"the case series spans {n_days} days (at most {MAX_DAYS})"
        )
    col = {d: k for k, d in enumerate(districts)}
    observed = np.zeros((n_days, len(districts)), np.float64)
    for day, d in zip(days, district.tolist(), strict=True):
        if d in col and day <= last:
            observed[(day - start).days, col[d]] += 1
    return CaseSeries(start, districts, observed, None, "store")


def file_cases(*, path: Path, areas: CityAreas) -> CaseSeries:
    """The case series of a CSV file (see the module docstring); every bad row is reported."""
    name = path.name
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except OSError as exc:
        raise ResourceInputError("cases", f"cannot read {path}: {exc.strerror}") from exc
    except UnicodeDecodeError as exc:
        raise ResourceInputError("cases", f"{name} is not UTF-8 text") from exc
    reader = csv.DictReader(text.splitlines())
    need = ("date", "district", "cases")
    missing = [c for c in need if c not in (reader.fieldnames or [])]
    if missing:
        raise ResourceInputError(
            "cases",
            f"{name} needs the columns {', '.join(need)}; missing {', '.join(missing)}",
            [RowError(name, 1, c, "required column", None) for c in missing],
        )
    districts = areas.ids_of("district").tolist()
    col = {d: k for k, d in enumerate(districts)}
    errors: list[RowError] = []
    parsed: list[tuple[date, int, float, bool, int]] = []
    for k, row in enumerate(reader):
        line = k + 2
        try:
            day = date.fromisoformat((row["date"] or "").strip())
        except ValueError:
            errors.append(
                RowError(name, line, "date", "must be an ISO date (2026-11-05)", row["date"])
            )
            continue
        try:
            did = areas.resolve(row["district"] or "", field="district", levels=("district",))
        except ResourceInputError as exc:
            errors.append(
                RowError(name, line, "district", str(exc).split(": ", 1)[1], row["district"])
            )
            continue
        try:
            cases = float(row["cases"])
        except (TypeError, ValueError):
            cases = math.nan
        if not (math.isfinite(cases) and cases >= 0):
            errors.append(RowError(name, line, "cases", "must be a number >= 0", row["cases"]))
            continue
        flag = (row.get("projected") or "0").strip().lower()
        if flag not in ("0", "1", "true", "false", ""):
            errors.append(RowError(name, line, "projected", "must be 0 or 1", row.get("projected")))
            continue
        parsed.append((day, did, cases, flag in ("1", "true"), line))
    if not errors and not parsed:
        errors.append(RowError(name, 0, "", "the file holds no rows", None))
    if errors:
        raise ResourceInputError("cases", f"{name}: {len(errors)} bad row(s)", errors)
    observed_days = [p[0] for p in parsed if not p[3]]
    if not observed_days:
        raise ResourceInputError("cases", f"{name} holds no observed (projected = 0) rows")
    last_observed = max(observed_days)
    for day, _, _, projected, line in parsed:
        if projected and day <= last_observed:
            errors.append(
                RowError(
                    name,
                    line,
                    "date",
                    f"projected rows must come after the last observed day {last_observed}",
                    day.isoformat(),
                )
            )
    if errors:
        raise ResourceInputError("cases", f"{name}: {len(errors)} bad row(s)", errors)
    start = min(p[0] for p in parsed)
    end = max(p[0] for p in parsed)
    if (end - start).days + 1 > MAX_DAYS:
        raise ResourceInputError("cases", f"{name} spans more than {MAX_DAYS} days")
    n_obs = (last_observed - start).days + 1
    observed = np.zeros((n_obs, len(districts)))
    n_proj = (end - last_observed).days
    future = np.zeros((max(n_proj, 0), len(districts)))
    for day, did, cases, is_projected, _ in parsed:
        if is_projected:
            future[(day - last_observed).days - 1, col[did]] += cases
        else:
            observed[(day - start).days, col[did]] += cases
    return CaseSeries(start, districts, observed, future if n_proj > 0 else None, "file")


def district_capacity(*, session: Session, areas: CityAreas, districts: list[int]) -> F64:
    """Ward beds, ICU beds and ventilators per district, shape (3, districts); NaN unknown."""
    col = {d: k for k, d in enumerate(districts)}
    cap = np.zeros((3, len(districts)))
    rows = session.execute(
        select(Facility.building_id, func.sum(Facility.beds), func.sum(Facility.icu_beds))
        .where(Facility.kind == "hospital")
        .group_by(Facility.building_id)
    ).all()
    if rows:
        district = areas.ancestor(np.array([r[0] for r in rows], np.int64), "district")
        for (_, beds, icu), d in zip(rows, district.tolist(), strict=True):
            if d in col:
                cap[0, col[d]] += (beds or 0) - (icu or 0)
                cap[1, col[d]] += icu or 0
    cap[2] = np.nan
    for area, quantity in session.execute(
        select(StockLevel.area_id, StockLevel.quantity).where(StockLevel.item == "ventilator")
    ):
        if area in col:
            cap[2, col[area]] = quantity
    return cap


def _date_or_none(start: date, day: int) -> date | None:
    return None if day < 0 else start + timedelta(days=int(day))


def _num(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def forecast_capacity(
    *,
    session: Session,
    horizon: int = 30,
    growth: GrowthParams | None = None,
    params: CapacityParams | None = None,
    cases_file: Path | None = None,
    end: date | None = None,
    statuses: tuple[str, ...] = ("confirmed",),
) -> ForecastOut:
    """The capacity forecast by district (see the module docstring).

    Raises
    ------
    ResourceInputError
        No cases, a bad case file (every bad row), bad parameters, or too few
        cases to fit the growth model without a doubling time.
    """
    if isinstance(horizon, bool) or horizon < 0 or horizon > 365:
        raise ResourceInputError("horizon", f"must be 0..365 days, got {horizon}")
    params = params or CapacityParams()
    areas = load_areas(session)
    series = (
        file_cases(path=cases_file, areas=areas)
        if cases_file is not None
        else store_cases(session=session, areas=areas, end=end, statuses=statuses)
    )
    n_obs = series.observed.shape[0]
    growth_rate: float | None
    doubling: float | None
    if series.projected is not None:
        cases = np.concatenate([series.observed, series.projected], axis=0)
        growth_rate, doubling, fitted, projection = None, None, False, "external"
    else:
        population = areas.population[np.array(series.districts, np.int64)]
        try:
            proj = growth_projection(series.observed, horizon, growth, population=population)
        except ValueError as exc:
            field, _, rule = str(exc).partition(": ")
            raise ResourceInputError(field if rule else "growth", rule or str(exc)) from exc
        cases = proj.cases
        growth_rate, doubling, fitted = proj.growth_rate, _num(proj.doubling_time), proj.fitted
        projection = "growth"
    capacity = district_capacity(session=session, areas=areas, districts=series.districts)
    try:
        f = capacity_forecast(cases, capacity, params)
    except ValueError as exc:
        raise ResourceInputError("params", str(exc)) from exc
    start = series.start
    districts: list[ForecastDistrict] = []
    for k, d in enumerate(series.districts):
        cap = [_num(float(capacity[j, k])) for j in range(3)]
        districts.append(
            ForecastDistrict(
                district_id=d,
                district_code=areas.code[d],
                district_name=areas.name[d],
                district_name_en=areas.name_en[d],
                capacity=LevelFigures(**dict(zip(CARE_LEVELS, cap, strict=True))),
                peak_census=LevelFigures(
                    **{lv: float(f.peak[j, k]) for j, lv in enumerate(CARE_LEVELS)}
                ),
                peak_day=LevelDays(
                    **{
                        lv: _date_or_none(start, int(f.peak_day[j, k]))
                        for j, lv in enumerate(CARE_LEVELS)
                    }
                ),
                first_alert=LevelDays(
                    **{
                        lv: _date_or_none(start, int(f.first_alert_day[j, k]))
                        for j, lv in enumerate(CARE_LEVELS)
                    }
                ),
                cases=[round(float(v), 6) for v in cases[:, k]],
                admissions={
                    lv: [round(float(v), 6) for v in f.admissions[j, :, k]]
                    for j, lv in enumerate(CARE_LEVELS)
                },
                census={
                    lv: [round(float(v), 6) for v in f.census[j, :, k]]
                    for j, lv in enumerate(CARE_LEVELS)
                },
            )
        )
    first_alert: dict[str, tuple[str, date] | None] = {}
    for j, lv in enumerate(CARE_LEVELS):
        days = f.first_alert_day[j]
        if (days >= 0).any():
            k = int(np.where(days >= 0, days, np.iinfo(np.int64).max).argmin())
            first_alert[lv] = (
                areas.code[series.districts[k]],
                start + timedelta(days=int(days[k])),
            )
        else:
            first_alert[lv] = None
    return ForecastOut(
        source="file" if cases_file is not None else "store",
        projection=projection,
        start=start,
        last_observed=start + timedelta(days=n_obs - 1),
        end=start + timedelta(days=cases.shape[0] - 1),
        horizon=cases.shape[0] - n_obs,
        observed_cases=float(series.observed.sum()),
        projected_cases=float(cases[n_obs:].sum()),
        growth_rate=growth_rate,
        doubling_time=doubling,
        fitted=fitted,
        alert_occupancy=params.alert_occupancy,
        shares={lv: s.share for lv, s in zip(CARE_LEVELS, params.levels(), strict=True)},
        los_days={lv: s.los_days for lv, s in zip(CARE_LEVELS, params.levels(), strict=True)},
        districts=districts,
        first_alert=first_alert,
    )
