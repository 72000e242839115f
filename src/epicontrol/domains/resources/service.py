"""Resources service: holding areas, zone populations, the stock ledger and its status.

Stock is held at the three tiers of the supply network (city centre, district
hubs, community points).  :func:`record_movements` writes receipts and issues
all-or-nothing: every movement is checked first (known area of a holding
level, known item, quantity > 0, no issue beyond the balance), then the
balances and the append-only ledger are written.  A movement with a
``reference`` already recorded is a no-op (the same content) or a conflict.
:func:`stock_status` computes the burn of every holding area from the
residents of the supplied zones below it (the zones domain), the active cases
and the staff on record, and calls :func:`epicontrol.core.resources.stock`.
The staffing and forecast services are in :mod:`.staffing` and
:mod:`.forecast`.  Services flush and never commit.
"""

from __future__ import annotations

import csv
import hashlib
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.city.schemas import AREA_LEVELS, LEVEL
from ...core.resources.stock import STOCK_LEVELS, Item, burn_rates, load_catalogue
from ...core.resources.stock import stock_status as core_stock_status
from ..city.importing.base import RowError
from ..city.models import Area, City, Person
from ..tracing.context import Clock
from ..tracing.models import Case
from ..zones import queries as zone_queries
from .models import StaffRecord, StockLevel, StockMovement
from .schemas import (
    BatchOut,
    MovementIn,
    MovementOut,
    StockReport,
    StockRow,
    SupplyRules,
    ZoneSource,
)

I64 = NDArray[np.int64]
F64 = NDArray[np.float64]
#: Staff roles that burn medical supplies (ambulances are vehicles).
BURNING_ROLES = ("tracer", "sampler", "lab", "community_worker", "quarantine_staff")


class ResourceError(RuntimeError):
    """The workspace cannot answer yet (no city)."""


class ResourceInputError(ValueError):
    """Bad input: ``field`` names it; ``errors`` lists rejected rows of a file or batch."""

    def __init__(self, field: str, message: str, errors: Sequence[RowError] = ()) -> None:
        self.field = field
        self.errors = list(errors)
        if self.errors:
            e = self.errors[0]
            where = f"{e.file} line {e.line}" if e.line else e.file
            message += f" (first: {where}, {e.field}: {e.rule}, got {e.value!r})"
        super().__init__(f"{field}: {message}")


class ResourceConflict(RuntimeError):
    """A reference already recorded with different content."""


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# --------------------------------------------------------------------------- areas


@dataclass(frozen=True)
class CityAreas:
    """The area tree as arrays indexed by area id, plus codes and names."""

    clock: Clock
    level: I64
    parent: I64
    population: I64
    code: list[str]
    name: list[str]
    name_en: list[str | None]
    kind: list[str | None]
    by_code: dict[str, int]

    def ancestor(self, ids: I64, level: str) -> I64:
        """Area of ``level`` at or above each id (-1 where none)."""
        want = LEVEL[level]
        node = np.array(ids, dtype=np.int64, copy=True)
        for _ in range(len(AREA_LEVELS)):
            up = (node >= 0) & (self.level[np.maximum(node, 0)] > want)
            if not up.any():
                break
            node[up] = self.parent[node[up]]
        ok = node >= 0
        ok[ok] = self.level[node[ok]] == want
        node[~ok] = -1
        return node

    def ids_of(self, level: str) -> I64:
        return np.flatnonzero(self.level == LEVEL[level]).astype(np.int64)

    def resolve(self, ref: str, *, field: str, levels: Sequence[str]) -> int:
        """The id of area ``ref`` (a code or an id), which must be of one of ``levels``."""
        ref = ref.strip()
        area = self.by_code.get(ref)
        if area is None and ref.isdigit() and int(ref) < len(self.level):
            area = int(ref) if self.level[int(ref)] >= 0 else None
        if area is None:
            raise ResourceInputError(field, f"unknown area {ref!r} (give an area code or id)")
        found = AREA_LEVELS[int(self.level[area])]
        if found not in levels:
            raise ResourceInputError(
                field, f"area {ref!r} is a {found}; it must be a {' or '.join(levels)}"
            )
        return area


def load_areas(session: Session) -> CityAreas:
    """The store's area tree; raises :class:`ResourceError` when there is no city."""
    city = session.scalars(select(City).limit(1)).first()
    if city is None:
        raise ResourceError("the store holds no city yet: run `epicontrol city generate` or import")
    rows = session.execute(
        select(
            Area.id,
            Area.parent_id,
            Area.level,
            Area.population,
            Area.code,
            Area.name,
            Area.name_en,
            Area.kind,
        )
    ).all()
    n = max(r[0] for r in rows) + 1
    level = np.full(n, -1, np.int64)
    parent = np.full(n, -1, np.int64)
    population = np.zeros(n, np.int64)
    code: list[str] = [""] * n
    name: list[str] = [""] * n
    name_en: list[str | None] = [None] * n
    kind: list[str | None] = [None] * n
    for aid, pid, lvl, pop, c, nm, nm_en, k in rows:
        level[aid] = LEVEL[lvl]
        parent[aid] = -1 if pid is None else pid
        population[aid] = pop
        code[aid], name[aid], name_en[aid], kind[aid] = c, nm, nm_en, k
    by_code = {c: i for i, c in enumerate(code) if c}
    return CityAreas(Clock.of(city), level, parent, population, code, name, name_en, kind, by_code)


def local_today(clock: Clock) -> date:
    return datetime.now(clock.tz).date()


def day_bounds_utc(clock: Clock, first: date, last: date) -> tuple[datetime, datetime]:
    """Naive UTC of local midnight of ``first`` and of the day after ``last``."""
    return (
        clock.to_utc(datetime.combine(first, time(0))),
        clock.to_utc(datetime.combine(last + timedelta(days=1), time(0))),
    )


# --------------------------------------------------------------------------- people


@dataclass(frozen=True)
class ZonePopulation:
    """Residents of the supplied zones per area id (every level), and where they came from."""

    residents: I64
    lockdown: I64
    source: ZoneSource


def _building_residents(session: Session, n: int) -> I64:
    out = np.zeros(n, np.int64)
    for bid, count in session.execute(
        select(Person.building_id, func.count()).group_by(Person.building_id)
    ):
        out[bid] = count
    return out


def _roll_up(areas: CityAreas, per_area: I64) -> I64:
    """Add every area's count to all its ancestors."""
    total = np.array(per_area, np.int64, copy=True)
    for lvl in range(len(AREA_LEVELS) - 1, 0, -1):
        ids = np.flatnonzero(areas.level == lvl)
        parents = areas.parent[ids]
        ok = parents >= 0
        np.add.at(total, parents[ok], total[ids[ok]])
    return total


def zone_population(
    *,
    session: Session,
    areas: CityAreas,
    on: date | None,
    rules: SupplyRules,
    explicit: Mapping[str, int] | None = None,
) -> ZonePopulation:
    """Residents of the supplied zones (and of the lockdown-equivalent ones) per area.

    From the zones domain (:func:`epicontrol.domains.zones.queries.active_zones`
    on ``on``, then :func:`zone_members`), each building counted once; or, with
    ``explicit``, from ``{community or district code: residents}`` (for a store
    without zones).  Residents of the supplied zones are the people the
    per-person standards feed; the lockdown-equivalent ones (lockdown zones and
    young control zones) are what the staffing standards count.
    """
    n = len(areas.level)
    if explicit is not None:
        per = np.zeros(n, np.int64)
        for ref, count in explicit.items():
            area = areas.resolve(ref, field="zone_residents", levels=("district", "community"))
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise ResourceInputError("zone_residents", f"{ref}: must be an integer >= 0")
            if count > areas.population[area]:
                raise ResourceInputError(
                    "zone_residents",
                    f"{ref}: {count} exceeds its {areas.population[area]} residents",
                )
            per[area] += count
        total = _roll_up(areas, per)
        return ZonePopulation(total, total.copy(), "explicit")
    zones = zone_queries.active_zones(session=session, on=on)
    if not zones:
        zero = np.zeros(n, np.int64)
        return ZonePopulation(zero, zero.copy(), "zones")
    when = on or local_today(areas.clock)

    def lockdown_like(level: str, level_day: date) -> bool:
        return level == "lockdown" or (
            level == "control" and (when - level_day).days < rules.control_as_lockdown_days
        )

    supplied = [
        z.id for z in zones if z.level in rules.zone_levels or lockdown_like(z.level, z.level_day)
    ]
    locked = [z.id for z in zones if lockdown_like(z.level, z.level_day)]
    per_building = _building_residents(session, n)

    def residents_of(zone_ids: list[int]) -> I64:
        per = np.zeros(n, np.int64)
        if zone_ids:
            members = zone_queries.zone_members(session=session, zone_ids=zone_ids)
            buildings = np.unique(members.building_id)
            per[buildings] = per_building[buildings]
        return _roll_up(areas, per)

    return ZonePopulation(residents_of(supplied), residents_of(locked), "zones")


def active_cases(
    *, session: Session, areas: CityAreas, on: date, days: int, statuses: Sequence[str]
) -> I64:
    """Cases reported in the ``days`` days up to ``on`` (local), per area of every level."""
    start, end = day_bounds_utc(areas.clock, on - timedelta(days=days - 1), on)
    per = np.zeros(len(areas.level), np.int64)
    rows = session.execute(
        select(Person.building_id, func.count())
        .join(Case, Case.person_id == Person.id)
        .where(Case.status.in_(list(statuses)), Case.reported_at >= start, Case.reported_at < end)
        .group_by(Person.building_id)
    ).all()
    for bid, count in rows:
        per[bid] += count
    return _roll_up(areas, per)


def staff_on_record(session: Session, n: int, roles: Sequence[str]) -> I64:
    """Staff of ``roles`` on record per district id (array indexed by area id)."""
    per = np.zeros(n, np.int64)
    for district, count in session.execute(
        select(StaffRecord.district_id, func.sum(StaffRecord.count))
        .where(StaffRecord.role.in_(list(roles)))
        .group_by(StaffRecord.district_id)
    ):
        per[district] = int(count or 0)
    return per


# --------------------------------------------------------------------------- ledger


def catalogue(rules: SupplyRules | None = None) -> tuple[Item, ...]:
    """The item catalogue of ``rules`` (the shipped default without a path)."""
    path = rules.catalogue if rules is not None else None
    try:
        return load_catalogue(path)
    except (OSError, ValueError) as exc:
        raise ResourceInputError("catalogue", str(exc)) from exc


def _movement_out(m: StockMovement, areas: CityAreas, duplicate: bool = False) -> MovementOut:
    return MovementOut(
        id=m.id,
        area_id=m.area_id,
        area_code=areas.code[m.area_id],
        item=m.item,
        kind=m.kind,
        quantity=m.quantity,
        balance=m.balance,
        moved_at=areas.clock.from_store(m.moved_at),
        reference=m.reference,
        duplicate=duplicate,
    )


def record_movements(
    *,
    session: Session,
    movements: Sequence[MovementIn],
    rules: SupplyRules | None = None,
    source: str = "input",
    lines: Sequence[int] | None = None,
) -> BatchOut:
    """Record receipts and issues, all or nothing (see the module docstring).

    Raises
    ------
    ResourceInputError
        With one :class:`RowError` per rejected movement (``line`` from ``lines``,
        else the 1-based position): unknown area or item, an area that does not
        hold stock, quantity not > 0, an issue beyond the balance.
    ResourceConflict
        A reference already recorded for a different movement.
    """
    areas = load_areas(session)
    items = {i.code: i for i in catalogue(rules)}
    errors: list[RowError] = []
    now = utcnow()
    line_of = list(lines) if lines is not None else list(range(1, len(movements) + 1))
    resolved: list[tuple[int, MovementIn, int]] = []
    seen_refs: dict[str, int] = {}
    for k, mv in enumerate(movements):
        line = line_of[k]

        def bad(field: str, rule: str, value: object, _line: int = line) -> None:
            errors.append(
                RowError(source, _line, field, rule, None if value is None else str(value))
            )

        try:
            area = areas.resolve(mv.area, field="area", levels=STOCK_LEVELS)
        except ResourceInputError as exc:
            bad("area", str(exc).split(": ", 1)[1], mv.area)
            continue
        if mv.item not in items:
            bad("item", f"must be an item of the catalogue ({', '.join(sorted(items))})", mv.item)
            continue
        if items[mv.item].category == "equipment" and areas.level[area] != LEVEL["district"]:
            bad("area", "equipment (ventilators) is held by districts", mv.area)
            continue
        if not (math.isfinite(mv.quantity) and mv.quantity > 0):
            bad("quantity", "must be a number > 0 (use issue to take stock out)", mv.quantity)
            continue
        if mv.reference is not None:
            if not mv.reference.strip() or len(mv.reference) > 100:
                bad("reference", "must be 1-100 characters", mv.reference)
                continue
            if mv.reference in seen_refs:
                bad(
                    "reference",
                    f"repeats the reference of line {seen_refs[mv.reference]}",
                    mv.reference,
                )
                continue
            seen_refs[mv.reference] = line
        resolved.append((area, mv, line))
    # references already in the ledger: the same movement is a duplicate, another one a conflict
    refs = [mv.reference for _, mv, _ in resolved if mv.reference is not None]
    existing: dict[str, StockMovement] = {}
    for i in range(0, len(refs), 500):
        for m in session.scalars(
            select(StockMovement).where(StockMovement.reference.in_(refs[i : i + 500]))
        ):
            existing[m.reference or ""] = m
    keys = sorted({(a, mv.item) for a, mv, _ in resolved})
    balance: dict[tuple[int, str], float] = {}
    levels: dict[tuple[int, str], StockLevel] = {}
    for area, item in keys:
        held = session.get(StockLevel, (area, item), with_for_update=True)
        if held is not None:
            levels[(area, item)] = held
        balance[(area, item)] = held.quantity if held is not None else 0.0
    fresh: list[tuple[int, MovementIn, int]] = []
    duplicates: list[StockMovement] = []
    for area, mv, line in resolved:
        old = existing.get(mv.reference or "\0")
        if old is not None:
            same = (old.area_id, old.item, old.kind) == (area, mv.item, mv.kind) and math.isclose(
                old.quantity, mv.quantity, rel_tol=1e-12
            )
            if not same:
                raise ResourceConflict(
                    f"reference {mv.reference!r} (line {line}) is already recorded for another "
                    f"movement ({old.kind} of {old.quantity:g} {old.item} at "
                    f"{areas.code[old.area_id]})"
                )
            duplicates.append(old)
            continue
        key = (area, mv.item)
        after = balance[key] + (mv.quantity if mv.kind == "receipt" else -mv.quantity)
        if after < -1e-9:
            errors.append(
                RowError(
                    source,
                    line,
                    "quantity",
                    f"issue of {mv.quantity:g} exceeds the stock of {mv.item} at "
                    f"{areas.code[area]} ({balance[key]:g}); stock cannot go negative",
                    str(mv.quantity),
                )
            )
            continue
        balance[key] = max(after, 0.0)
        fresh.append((area, mv, line))
    if errors:
        raise ResourceInputError(
            "movements", f"{len(errors)} movement(s) rejected, nothing recorded", errors
        )
    running = {k: (levels[k].quantity if k in levels else 0.0) for k in keys}
    written: list[StockMovement] = []
    for area, mv, _ in fresh:
        key = (area, mv.item)
        running[key] = max(
            running[key] + (mv.quantity if mv.kind == "receipt" else -mv.quantity), 0.0
        )
        row = StockMovement(
            area_id=area,
            item=mv.item,
            kind=mv.kind,
            quantity=float(mv.quantity),
            balance=running[key],
            moved_at=areas.clock.to_utc(mv.at) if mv.at is not None else now,
            recorded_at=now,
            reference=mv.reference,
            note=mv.note[:200],
        )
        session.add(row)
        written.append(row)
    for key, value in running.items():
        if key in levels:
            if levels[key].quantity != value:
                levels[key].quantity = value
                levels[key].updated_at = now
        elif any((a, mv.item) == key for a, mv, _ in fresh):
            session.add(StockLevel(area_id=key[0], item=key[1], quantity=value, updated_at=now))
    session.flush()
    out = [_movement_out(m, areas) for m in written] + [
        _movement_out(m, areas, duplicate=True) for m in duplicates
    ]
    return BatchOut(source=source, recorded=len(written), duplicates=len(duplicates), movements=out)


MOVEMENT_COLUMNS = ("area", "item", "kind", "quantity")


def read_movements_csv(path: Path) -> tuple[list[MovementIn], list[int]]:
    """Movements of a CSV file (``area,item,kind,quantity[,at][,reference][,note]``).

    A row without a reference gets ``<sha256 of the file>:<line>``, so that
    importing the same file twice records nothing the second time.  Raises
    :class:`ResourceInputError` with every bad row (file, line, field, rule).
    """
    name = path.name
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ResourceInputError("file", f"cannot read {path}: {exc.strerror}") from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ResourceInputError("file", f"{name} is not UTF-8 text") from exc
    batch = hashlib.sha256(raw).hexdigest()[:16]
    reader = csv.DictReader(text.splitlines())
    missing = [c for c in MOVEMENT_COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise ResourceInputError(
            "file",
            f"{name} needs the columns {', '.join(MOVEMENT_COLUMNS)}; missing {', '.join(missing)}",
            [RowError(name, 1, c, "required column", None) for c in missing],
        )
    out: list[MovementIn] = []
    lines: list[int] = []
    errors: list[RowError] = []
    for k, row in enumerate(reader):
        line = k + 2
        try:
            quantity = float(row["quantity"])
        except (TypeError, ValueError):
            errors.append(RowError(name, line, "quantity", "must be a number > 0", row["quantity"]))
            continue
        at: datetime | None = None
        if row.get("at"):
            try:
                at = datetime.fromisoformat(row["at"].strip())
            except ValueError:
                errors.append(
                    RowError(name, line, "at", "must be an ISO date or date-time", row["at"])
                )
                continue
        try:
            mv = MovementIn(
                area=row["area"] or "",
                item=(row["item"] or "").strip(),
                kind=(row["kind"] or "").strip(),
                quantity=quantity,
                at=at,
                reference=(row.get("reference") or "").strip() or f"{batch}:{line}",
                note=row.get("note") or "",
            )
        except ValidationError as exc:
            first = exc.errors()[0]
            field = str(first["loc"][0]) if first["loc"] else ""
            errors.append(
                RowError(
                    name,
                    line,
                    field,
                    "must be receipt or issue" if field == "kind" else first["msg"],
                    str(row.get(field)),
                )
            )
            continue
        out.append(mv)
        lines.append(line)
    if errors:
        raise ResourceInputError(
            "file", f"{name}: {len(errors)} bad row(s), nothing recorded", errors
        )
    if not out:
        raise ResourceInputError("file", f"{name} holds no movements")
    return out, lines


def import_movements(*, session: Session, path: Path, rules: SupplyRules | None = None) -> BatchOut:
    """Record the movements of a CSV file all or nothing (see :func:`read_movements_csv`)."""
    movements, lines = read_movements_csv(path)
    return record_movements(
        session=session, movements=movements, rules=rules, source=path.name, lines=lines
    )


def stock_balances(session: Session, n: int, items: Sequence[Item]) -> F64:
    """Balances ``(area id, item)``."""
    col = {i.code: k for k, i in enumerate(items)}
    out = np.zeros((n, len(items)), np.float64)
    for area, item, quantity in session.execute(
        select(StockLevel.area_id, StockLevel.item, StockLevel.quantity)
    ):
        if item in col:
            out[area, col[item]] = quantity
    return out


def stock_status(
    *,
    session: Session,
    rules: SupplyRules | None = None,
    on: date | None = None,
    zone_residents: Mapping[str, int] | None = None,
    level: str | None = None,
    area: str | None = None,
    items: Sequence[str] | None = None,
) -> StockReport:
    """Days of supply, alarms and the reorder plan of every holding area on ``on``.

    A row is given for each holding area and item that holds stock or burns
    it (filtered by ``level``, ``area`` code and ``items``); equipment is
    listed with its stock only.  ``zone_residents`` replaces the zones domain
    (see :func:`zone_population`).
    """
    rules = rules or SupplyRules()
    areas = load_areas(session)
    catalogue_items = catalogue(rules)
    codes = [i.code for i in catalogue_items]
    for code in items or ():
        if code not in codes:
            raise ResourceInputError("item", f"unknown item {code!r} (known: {', '.join(codes)})")
    if level is not None and level not in STOCK_LEVELS:
        raise ResourceInputError(
            "level", f"must be one of {', '.join(STOCK_LEVELS)}, got {level!r}"
        )
    only_area = areas.resolve(area, field="area", levels=STOCK_LEVELS) if area else None
    when = on or local_today(areas.clock)
    zones = zone_population(
        session=session, areas=areas, on=on, rules=rules, explicit=zone_residents
    )
    cases = active_cases(
        session=session,
        areas=areas,
        on=when,
        days=rules.active_case_days,
        statuses=rules.case_statuses,
    )
    staff = _roll_up(areas, staff_on_record(session, len(areas.level), BURNING_ROLES))
    holders = np.concatenate([areas.ids_of(lv) for lv in STOCK_LEVELS])
    # staff are counted by district: a community point does not feed them
    staff_h = np.where(areas.level[holders] == LEVEL["community"], 0, staff[holders])
    burn = burn_rates(catalogue_items, zones.residents[holders], cases[holders], staff_h)
    balances = stock_balances(session, len(areas.level), catalogue_items)[holders]
    status = core_stock_status(catalogue_items, balances, burn)
    rows: list[StockRow] = []
    reorder: dict[str, dict[str, float]] = {lv: {} for lv in STOCK_LEVELS}
    for r, aid in enumerate(holders.tolist()):
        lv = AREA_LEVELS[int(areas.level[aid])]
        for k, it in enumerate(catalogue_items):
            if status.reorder[r, k] > 0:
                reorder[lv][it.code] = reorder[lv].get(it.code, 0.0) + float(status.reorder[r, k])
            if status.stock[r, k] == 0 and status.burn[r, k] == 0:
                continue
            if (level and lv != level) or (only_area is not None and aid != only_area):
                continue
            if items and it.code not in items:
                continue
            days = float(status.days[r, k])
            rows.append(
                StockRow(
                    level=lv,
                    area_id=aid,
                    area_code=areas.code[aid],
                    area_name=areas.name[aid],
                    area_name_en=areas.name_en[aid],
                    item=it.code,
                    unit=it.unit,
                    category=it.category,
                    stock=float(status.stock[r, k]),
                    burn_per_day=float(status.burn[r, k]),
                    days_of_supply=days if math.isfinite(days) else None,
                    alarm_days=it.alarm_days,
                    target_days=it.target_days,
                    alarm=bool(status.alarm[r, k]),
                    reorder=float(status.reorder[r, k]),
                )
            )
    city = int(areas.ids_of("city")[0])
    return StockReport(
        on=when,
        zone_source=zones.source,
        zone_residents=int(zones.residents[city]),
        active_cases=int(cases[city]),
        staff=int(staff[city]),
        rows=rows,
        alarms=sum(r.alarm for r in rows),
        reorder={lv: v for lv, v in reorder.items()},
    )


__all__ = [
    "CityAreas",
    "ResourceConflict",
    "ResourceError",
    "ResourceInputError",
    "active_cases",
    "catalogue",
    "import_movements",
    "load_areas",
    "record_movements",
    "stock_status",
    "zone_population",
]
