"""Campaign service: plan a campaign for a zone set, save it, record results, coverage.

:func:`plan` reads the residents of the requested areas (any level of the
hierarchy: every resident of the buildings below) or zones, the sampling
sites inside them and every lab, and calls
:func:`epicontrol.core.operations.campaign.plan_campaign`.  :func:`save_plan`
writes the campaign with its sites, pools and members (bulk insert);
:func:`record_results` records pool results and individual re-tests from a
file and opens a re-test task for every member of a positive pool through
:func:`epicontrol.domains.tasks.service.create_task`; :func:`coverage` gives
the sampled share per zone and per round.  Services flush, never commit.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from ...core.city.schemas import LEVEL
from ...core.operations.campaign import (
    CampaignInput,
    CampaignParams,
    CampaignPlan,
    RoundRule,
    plan_campaign,
    round_days,
)
from ...core.operations.pooling import dorfman_accuracy
from ...store.bulk import bulk_insert
from ..city.importing.base import RowError
from ..city.models import Area, City
from .models import Campaign, CampaignPool, CampaignSite
from .schemas import (
    CampaignRow,
    LabOut,
    PlanOut,
    PoolingOut,
    Shortfall,
    SiteOut,
)

COVERAGE_TARGET: Final = 0.98
#: Round rules per zone level (DESIGN.md §3): lockdown daily 7 days then every 2;
#: control zones are treated as lockdown for 4 days, then tested every 3 days.
ROUND_RULES: Final = {
    "lockdown": RoundRule(7, 2),
    "control": RoundRule(4, 3),
    "prevention": RoundRule(1, 3),
}
#: Hours to re-sample and re-test the members of a positive pool (the 6-hour
#: lab standard for risk groups, DESIGN.md §3).
RETEST_HOURS: Final = 6.0
RESULT_COLUMNS: Final = ("pool_id", "result")
RESULT_OPTIONAL: Final = ("time", "person_id")
_CHUNK = 900


class CampaignInputError(ValueError):
    """Bad input: ``errors`` lists every rejected value (file, line, field, rule)."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        shown = "; ".join(
            f"{e.file + ':' if e.file else ''}{e.line or ''}{' ' if e.line else ''}"
            f"{e.field}: {e.rule}" + (f" (got {e.value!r})" if e.value is not None else "")
            for e in self.errors[:5]
        )
        more = len(self.errors) - 5
        super().__init__(shown + (f"; ... and {more} more" if more > 0 else ""))


class CampaignNotFound(LookupError):
    """The campaign asked for does not exist."""


class CampaignConflict(RuntimeError):
    """The workspace cannot take the request (no city, a round saved already...)."""


def _error(field: str, rule: str, value: object = None) -> CampaignInputError:
    return CampaignInputError([RowError("", 0, field, rule, None if value is None else str(value))])


# --------------------------------------------------------------------------- time


@dataclass(frozen=True)
class _Clock:
    offset_minutes: int

    @property
    def tz(self) -> Any:
        from datetime import timezone

        return timezone(timedelta(minutes=self.offset_minutes))

    def to_utc(self, when: datetime) -> datetime:
        if when.tzinfo is None:
            return when - timedelta(minutes=self.offset_minutes)
        return when.astimezone(UTC).replace(tzinfo=None)

    def local(self, naive_utc: datetime | None) -> datetime | None:
        if naive_utc is None:
            return None
        return naive_utc.replace(tzinfo=UTC).astimezone(self.tz)

    def aware(self, naive_utc: datetime) -> datetime:
        return naive_utc.replace(tzinfo=UTC).astimezone(self.tz)


def _city_clock(session: Session) -> _Clock:
    city = session.scalars(select(City)).first()
    if city is None:
        raise CampaignConflict("no city in this workspace: generate or import one first")
    return _Clock(int(city.utc_offset_minutes))


def _hours(start_utc: datetime, hours: float) -> datetime | None:
    if not math.isfinite(hours):
        return None
    return start_utc + timedelta(seconds=round(hours * 3600))


def _utc_text(start_utc: datetime, hours: NDArray[np.float64]) -> pa.Array:
    """Naive UTC text (as SQLAlchemy stores DateTime on SQLite) of ``start + hours``; nan → null."""
    ok = np.isfinite(hours)
    base = int((start_utc - datetime(1970, 1, 1)).total_seconds())
    seconds = base + np.rint(np.where(ok, hours, 0) * 3600).astype(np.int64)
    text_ = pc.strftime(pa.array(seconds, pa.timestamp("s")), format="%Y-%m-%d %H:%M:%S.000000")
    return pa.array(text_.to_pylist(), pa.string(), mask=~ok)


# --------------------------------------------------------------------------- scope


@dataclass
class Scope:
    """The residents of a campaign and where they live."""

    area_ids: list[int]
    zone_ids: list[int] | None
    key: str
    data: CampaignInput
    #: The requested area (or zone's area) of each resident, aligned with ``data.person``.
    person_area: NDArray[np.int64]
    rule: RoundRule
    names: dict[int, str]
    lab_names: dict[int, str]
    site_names: dict[int, str]


def _rows(session: Session, sql: str, params: dict[str, Any] | None = None) -> list[Any]:
    return list(session.execute(text(sql), params or {}).all())


def _areas(session: Session) -> dict[str, NDArray[Any]]:
    rows = _rows(session, "SELECT id, COALESCE(parent_id, -1), level, lon, lat FROM areas")
    if not rows:
        raise CampaignConflict("no city in this workspace: generate or import one first")
    ids = np.array([r[0] for r in rows], np.int64)
    n = int(ids.max()) + 1
    parent = np.full(n, -1, np.int64)
    level = np.full(n, -1, np.int64)
    lon = np.full(n, np.nan)
    lat = np.full(n, np.nan)
    parent[ids] = [r[1] for r in rows]
    level[ids] = [LEVEL.get(r[2], -1) for r in rows]
    lon[ids] = [np.nan if r[3] is None else r[3] for r in rows]
    lat[ids] = [np.nan if r[4] is None else r[4] for r in rows]
    exists = np.zeros(n, bool)
    exists[ids] = True
    # an area without coordinates takes its parent's
    for _ in range(len(LEVEL)):
        missing = exists & ~np.isfinite(lon) & (parent >= 0)
        if not missing.any():
            break
        lon[missing] = lon[parent[missing]]
        lat[missing] = lat[parent[missing]]
    return {"parent": parent, "level": level, "lon": lon, "lat": lat, "exists": exists}


def _up_to(node: NDArray[np.int64], a: dict[str, NDArray[Any]], level: int) -> NDArray[np.int64]:
    """The ancestor of each node at ``level`` (-1 when it has none)."""
    out = node.copy()
    for _ in range(len(LEVEL)):
        up = (out >= 0) & (a["level"][np.maximum(out, 0)] > level)
        if not up.any():
            break
        out[up] = a["parent"][out[up]]
    out[(out >= 0) & (a["level"][np.maximum(out, 0)] != level)] = -1
    return out


def _zone_areas(session: Session, zone_ids: Sequence[int]) -> tuple[list[int], set[int], RoundRule]:
    """Areas of the zones, the lockdown ones, and the strictest round rule."""
    from ..zones.models import Zone

    zones = {z.id: z for z in session.scalars(select(Zone).where(Zone.id.in_(list(zone_ids))))}
    errors = [
        RowError("", 0, "zones", "unknown zone id", str(z)) for z in zone_ids if z not in zones
    ]
    errors += [
        RowError("", 0, "zones", "zone is lifted (only active zones are tested)", str(z.id))
        for z in zones.values()
        if z.status != "active"
    ]
    if errors:
        raise CampaignInputError(errors)
    levels = {z.level for z in zones.values()}
    rule = next(ROUND_RULES[lv] for lv in ("lockdown", "control", "prevention") if lv in levels)
    lockdown = {z.area_id for z in zones.values() if z.level == "lockdown"}
    return sorted({z.area_id for z in zones.values()}), lockdown, rule


def load_scope(
    *,
    session: Session,
    area_ids: Sequence[int] | None = None,
    zone_ids: Sequence[int] | None = None,
) -> Scope:
    """Residents, units, sites and labs of the requested areas or zones.

    Raises :class:`CampaignInputError` for unknown ids or a zone set without
    residents, :class:`CampaignConflict` without a city.
    """
    if bool(area_ids) == bool(zone_ids):
        raise _error("areas/zones", "give either areas or zones (one of them, not both)")
    a = _areas(session)
    lockdown: set[int] = set()
    rule = ROUND_RULES["lockdown"]
    if zone_ids:
        requested, lockdown, rule = _zone_areas(session, zone_ids)
    else:
        requested = sorted({int(x) for x in area_ids or ()})
        n = len(a["exists"])
        bad = [x for x in requested if not (0 <= x < n and a["exists"][x])]
        if bad:
            raise CampaignInputError(
                [RowError("", 0, "areas", "unknown area id", str(x)) for x in bad]
            )
    mark = np.zeros(len(a["exists"]), bool)
    mark[requested] = True
    buildings = np.flatnonzero(a["exists"] & (a["level"] == LEVEL["building"]))
    scope_area = np.full(len(buildings), -1, np.int64)
    node = buildings.copy()
    for _ in range(len(LEVEL)):
        hit = (node >= 0) & (scope_area < 0)
        hit[hit] = mark[node[hit]]
        scope_area[hit] = node[hit]
        node = np.where(node >= 0, a["parent"][np.maximum(node, 0)], -1)
    inside = scope_area >= 0
    b_ids = buildings[inside]
    b_scope = np.full(len(a["exists"]), -1, np.int64)
    b_scope[b_ids] = scope_area[inside]
    persons: list[Any] = []
    for i in range(0, len(b_ids), _CHUNK):
        chunk = [int(v) for v in b_ids[i : i + _CHUNK]]
        persons += _rows(
            session,
            "SELECT id, household_id, building_id FROM persons WHERE building_id IN ("
            + ",".join(str(v) for v in chunk)
            + ")",
        )
    if not persons:
        raise _error(
            "areas", "no residents live in the requested areas", ",".join(map(str, requested))
        )
    arr = np.array(persons, np.int64)
    person, household, building = arr[:, 0], arr[:, 1], arr[:, 2]
    compound = _up_to(building, a, LEVEL["compound"])
    unit = np.where(compound >= 0, compound, building)
    community = _up_to(building, a, LEVEL["community"])
    community = np.where(community >= 0, community, unit)
    units = np.unique(unit)
    person_area = b_scope[building]
    door = np.isin(person_area, list(lockdown)) if lockdown else np.zeros(len(person), bool)
    fac = _rows(
        session,
        "SELECT id, kind, building_id, COALESCE(samples_per_hour, 0), "
        "COALESCE(tests_per_day, 0), name FROM facilities WHERE kind IN ('sampling_site', 'lab')",
    )
    f_id = np.array([r[0] for r in fac], np.int64)
    f_kind = np.array([r[1] for r in fac], object)
    f_b = np.array([r[2] for r in fac], np.int64)
    f_sph = np.array([r[3] for r in fac], np.int64)
    f_tpd = np.array([r[4] for r in fac], np.int64)
    is_site = (f_kind == "sampling_site") & (b_scope[f_b] >= 0) if len(fac) else np.zeros(0, bool)
    is_lab = f_kind == "lab" if len(fac) else np.zeros(0, bool)
    site_b = f_b[is_site]
    site_comm = _up_to(site_b, a, LEVEL["community"])
    site_compound = _up_to(site_b, a, LEVEL["compound"])
    site_comm = np.where(
        site_comm >= 0, site_comm, np.where(site_compound >= 0, site_compound, site_b)
    )
    lab_b = f_b[is_lab]
    data = CampaignInput(
        person=person,
        household=household,
        building=building,
        unit=unit,
        community=community,
        unit_id=units,
        unit_lon=a["lon"][units],
        unit_lat=a["lat"][units],
        site_facility=f_id[is_site],
        site_community=site_comm,
        site_lon=a["lon"][site_b],
        site_lat=a["lat"][site_b],
        site_samples_per_hour=f_sph[is_site],
        lab_facility=f_id[is_lab],
        lab_lon=a["lon"][lab_b],
        lab_lat=a["lat"][lab_b],
        lab_tests_per_day=f_tpd[is_lab],
        door_to_door=door,
    )
    for name, values in (
        ("areas", data.unit_lon),
        ("facilities", np.concatenate([data.site_lon, data.lab_lon])),
    ):
        if not np.isfinite(values).all():
            raise _error(name, "lon/lat are needed for transport times and some are missing")
    named = sorted(set(requested) | set(units.tolist()))
    names = (
        {
            int(i): str(n)
            for i, n in session.execute(select(Area.id, Area.name).where(Area.id.in_(named)))
        }
        if len(named) <= 30_000
        else {}
    )
    key_text = json.dumps(
        {"areas": requested if not zone_ids else [], "zones": sorted(zone_ids or [])}
    )
    return Scope(
        area_ids=requested,
        zone_ids=sorted({int(z) for z in zone_ids}) if zone_ids else None,
        key=hashlib.sha256(key_text.encode()).hexdigest(),
        data=data,
        person_area=person_area,
        rule=rule,
        names=names,
        lab_names={int(r[0]): str(r[5]) for r in fac if r[1] == "lab"},
        site_names={int(r[0]): str(r[5]) for r in fac if r[1] == "sampling_site"},
    )


# --------------------------------------------------------------------------- plan


@dataclass
class Planned:
    """A plan with what it was made from (for :func:`save_plan`)."""

    scope: Scope
    plan: CampaignPlan
    start_utc: datetime
    out: PlanOut


def _out(scope: Scope, plan: CampaignPlan, start_utc: datetime, clock: _Clock) -> PlanOut:
    p = plan.params

    def when(hours: float) -> datetime | None:
        return clock.local(_hours(start_utc, float(hours)))

    pools_per_site = np.bincount(plan.pool_site, minlength=len(plan.site_kind))
    sites = [
        SiteOut(
            site_no=s,
            kind="fixed" if plan.site_kind[s] == 0 else "temporary",
            facility_id=int(plan.site_facility[s]) if plan.site_kind[s] == 0 else None,
            area_id=int(plan.site_unit[s]) if plan.site_kind[s] == 1 else None,
            name=(
                scope.site_names.get(int(plan.site_facility[s]), "")
                if plan.site_kind[s] == 0
                else scope.names.get(int(plan.site_unit[s]), str(int(plan.site_unit[s])))
            ),
            residents=int(plan.site_residents[s]),
            samples_per_hour=int(plan.site_capacity[s]),
            samplers=int(plan.site_team[s]),
            on_duty=[int(v) for v in plan.site_samplers[s]],
            pools=int(pools_per_site[s]),
            start=when(plan.site_start[s]),
            finish=when(plan.site_finish[s]),
        )
        for s in range(len(plan.site_kind))
    ]
    labs = []
    for lab in range(len(plan.lab_facility)):
        mine = plan.pool_lab == lab
        minutes = plan.transport[plan.pool_site[mine], lab]
        labs.append(
            LabOut(
                facility_id=int(plan.lab_facility[lab]),
                name=scope.lab_names.get(int(plan.lab_facility[lab]), ""),
                tests_per_day=int(scope.data.lab_tests_per_day[lab]),
                capacity=int(plan.lab_capacity[lab]),
                retest_reserve=int(plan.retest_reserve[lab]),
                pools=int(plan.lab_pools[lab]),
                mean_transport_minutes=round(float(minutes.mean()), 1) if len(minutes) else None,
                first_arrival=when(plan.lab_first[lab]),
                finish=when(plan.lab_finish[lab]),
            )
        )
    labs.sort(key=lambda lab_: (-lab_.pools, lab_.facility_id))
    acc = dorfman_accuracy(
        p.prevalence,
        p.pool_size,
        sensitivity=p.sensitivity,
        specificity=p.specificity,
        dilution=p.dilution,
    )
    n_pools = len(plan.pool_site)
    return PlanOut(
        source="zones" if scope.zone_ids else "areas",
        areas=scope.area_ids,
        zones=scope.zone_ids,
        residents=plan.residents,
        start=clock.aware(start_utc),
        deadline=clock.aware(start_utc + timedelta(hours=p.deadline_hours)),
        sampling_finish=when(plan.sampling_finish),
        finish=when(plan.finish),
        feasible=plan.feasible,
        next_round=None,
        sites=sites,
        labs=labs,
        shortfall=Shortfall(
            samplers_available=plan.samplers,
            samplers_needed=plan.samplers_needed,
            samplers_short=plan.samplers_short,
            residents_unsampled=plan.unsampled,
            lab_tests_short=plan.lab_tests_short,
            pools_late=plan.pools_late,
            pools_untested=plan.pools_untested,
        ),
        pooling=PoolingOut(
            pool_size=p.pool_size,
            pools=n_pools,
            mean_pool_size=round(plan.residents / n_pools, 3) if n_pools else 0.0,
            prevalence=p.prevalence,
            tests_per_person=round(acc.tests_per_person, 5),
            recall=round(acc.sensitivity, 5),
            expected_retests=round(plan.expected_retests, 1),
            expected_tests=round(n_pools + plan.expected_retests, 1),
        ),
        seconds={k: round(v, 4) for k, v in plan.solve_seconds.items()},
    )


def plan(
    *,
    session: Session,
    area_ids: Sequence[int] | None = None,
    zone_ids: Sequence[int] | None = None,
    params: CampaignParams | None = None,
    start: datetime | None = None,
    samplers: int | None = None,
    now: datetime | None = None,
) -> Planned:
    """Plan a campaign; ``start`` (naive = local city time) defaults to the next full hour."""
    clock = _city_clock(session)
    p = params or CampaignParams()
    try:
        p.validate()
    except ValueError as exc:
        raise _error(str(exc).split(" ", 1)[0], str(exc).split(" ", 1)[1]) from None
    if samplers is not None and samplers < 0:
        raise _error("samplers", "must be an integer >= 0", samplers)
    scope = load_scope(session=session, area_ids=area_ids, zone_ids=zone_ids)
    if start is None:
        moment = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
        start_utc = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    else:
        start_utc = clock.to_utc(start).replace(microsecond=0)
    try:
        result = plan_campaign(scope.data, p, samplers=samplers)
    except ValueError as exc:
        raise _error("plan", str(exc)) from None
    return Planned(scope, result, start_utc, _out(scope, result, start_utc, clock))


def _next_round(scope: Scope, first_start: datetime, round_no: int) -> datetime:
    days = round_days(round_no + 1, scope.rule)
    return first_start + timedelta(days=int(days[round_no]))


def save_plan(
    *,
    session: Session,
    planned: Planned,
    round_no: int | None = None,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> PlanOut:
    """Record the campaign, its sites, pools and members; the same zone set and start twice
    returns the campaign saved first (``saved_before``)."""
    clock = _city_clock(session)
    scope, plan_, start = planned.scope, planned.plan, planned.start_utc
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None)
    same = session.scalars(
        select(Campaign).where(Campaign.scope_key == scope.key, Campaign.start_at == start)
    ).first()
    if same is not None:
        out = PlanOut.model_validate_json(same.summary)
        return out.model_copy(update={"saved_before": True})
    rounds = session.scalars(
        select(Campaign).where(Campaign.scope_key == scope.key).order_by(Campaign.round)
    ).all()
    if round_no is None:
        round_no = rounds[-1].round + 1 if rounds else 1
    if round_no < 1:
        raise _error("round", "must be >= 1", round_no)
    if any(c.round == round_no for c in rounds):
        raise CampaignConflict(f"round {round_no} of this zone set is saved already")
    first = next((c.start_at for c in rounds if c.round == 1), None)
    first = first or start - timedelta(days=int(round_days(round_no, scope.rule)[-1]))
    next_round = _next_round(scope, first, round_no)
    out = planned.out.model_copy(update={"round": round_no, "next_round": clock.local(next_round)})
    finish = _hours(start, plan_.finish)
    row = Campaign(
        scope_key=scope.key,
        round=round_no,
        areas=json.dumps(scope.area_ids),
        zones=None if scope.zone_ids is None else json.dumps(scope.zone_ids),
        start_at=start,
        deadline_at=_hours(start, plan_.params.deadline_hours),
        finish_at=finish,
        next_round_at=next_round,
        pool_size=plan_.params.pool_size,
        residents=plan_.residents,
        pools=len(plan_.pool_site),
        sites=len(plan_.site_kind),
        feasible=plan_.feasible,
        status="planned",
        summary="{}",
        created_at=stamp,
        updated_at=stamp,
    )
    session.add(row)
    session.flush()
    out = out.model_copy(update={"campaign_id": row.id})
    row.summary = out.model_dump_json()
    session.add_all(
        CampaignSite(
            campaign_id=row.id,
            site_no=s.site_no,
            kind=s.kind,
            facility_id=s.facility_id,
            area_id=s.area_id,
            residents=s.residents,
            samples_per_hour=s.samples_per_hour,
            samplers=s.samplers,
            on_duty=json.dumps(s.on_duty),
            start_at=_hours(start, float(plan_.site_start[s.site_no])),
            finish_at=_hours(start, float(plan_.site_finish[s.site_no])),
        )
        for s in out.sites
    )
    session.flush()
    base = int(session.scalar(select(func.max(CampaignPool.id))) or 0) + 1
    n_pools = len(plan_.pool_site)
    lab = np.where(plan_.pool_lab >= 0, plan_.lab_facility[np.maximum(plan_.pool_lab, 0)], -1)
    pools = pa.table(
        {
            "id": pa.array(base + np.arange(n_pools), pa.int64()),
            "campaign_id": pa.array(np.full(n_pools, row.id), pa.int64()),
            "round": pa.array(np.full(n_pools, round_no), pa.int64()),
            "site_no": pa.array(plan_.pool_site, pa.int64()),
            "lab_id": pa.array(lab, pa.int64(), mask=lab < 0),
            "size": pa.array(plan_.pool_size, pa.int64()),
            "dispatch_at": _utc_text(start, plan_.pool_dispatch),
            "planned_result_at": _utc_text(start, plan_.pool_result),
        }
    )
    connection = session.connection()
    bulk_insert(connection, "campaign_pools", pools, on_progress=on_progress)
    by_person = np.argsort(scope.data.person)
    where = by_person[np.searchsorted(scope.data.person[by_person], plan_.member_person)]
    area = scope.person_area[where]
    members = pa.table(
        {
            "pool_id": pa.array(base + plan_.member_pool, pa.int64()),
            "person_id": pa.array(plan_.member_person, pa.int64()),
            "campaign_id": pa.array(np.full(len(area), row.id), pa.int64()),
            "area_id": pa.array(area, pa.int64()),
        }
    )
    bulk_insert(connection, "campaign_members", members, on_progress=on_progress)
    session.flush()
    return out


# --------------------------------------------------------------------------- reading


def get_campaign(*, session: Session, campaign_id: int) -> Campaign:
    row = session.get(Campaign, campaign_id)
    if row is None:
        raise CampaignNotFound(f"campaign {campaign_id} does not exist")
    return row


def campaign_row(row: Campaign, clock: _Clock) -> CampaignRow:
    return CampaignRow(
        campaign_id=row.id,
        round=row.round,
        status=row.status,
        areas=json.loads(row.areas),
        zones=None if row.zones is None else json.loads(row.zones),
        residents=row.residents,
        pools=row.pools,
        sites=row.sites,
        start=clock.aware(row.start_at),
        deadline=clock.aware(row.deadline_at),
        finish=clock.local(row.finish_at),
        feasible=row.feasible,
        next_round=clock.local(row.next_round_at),
    )


def list_campaigns(*, session: Session, limit: int | None = None) -> list[CampaignRow]:
    """Campaigns, newest first."""
    clock = _city_clock(session)
    query = select(Campaign).order_by(Campaign.start_at.desc(), Campaign.id.desc())
    if limit:
        query = query.limit(limit)
    return [campaign_row(r, clock) for r in session.scalars(query)]


def get_plan(*, session: Session, campaign_id: int) -> PlanOut:
    """The saved plan of a campaign."""
    return PlanOut.model_validate_json(
        get_campaign(session=session, campaign_id=campaign_id).summary
    )
