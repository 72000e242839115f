"""The board's KPIs against the standards, one function per KPI (definitions in docs/report.md).

Timing KPIs take the median (numpy's linear quantile) over the items done by
the window's ``as_of``; items still pending then are counted apart
(``pending``, and ``pending_late`` when already past the target).  No item at
all gives ``no_data`` with a reason; pending items past the target and none
done give ``breach`` with no value.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import numpy as np
from sqlalchemy import case as sql_case
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.operations import kpi as core_kpi
from ...core.operations.playbook import DEPARTMENTS
from ...i18n import t
from ..campaigns.models import Campaign, CampaignMember, CampaignPool
from ..campaigns.results import SAMPLED
from ..city.models import Facility, Person
from ..quarantine.models import QuarantineStay
from ..surveillance.models import Alert
from ..tasks.common import seconds
from ..tasks.models import CasePlaybook
from .records import TaskRec
from .schemas import Breakdown, KpiOut, StandardOut, Status
from .scope import Scope, Window
from .standards import BoardStandards, at_least, at_most, worst

LANGS = ("zh-CN", "en")


def text(key: str, **kw: Any) -> tuple[str, str]:
    """A message in both languages."""
    zh, en = (t(key, lang, **kw) for lang in LANGS)
    return zh, en


def kpi(
    key: str,
    value: float | None,
    unit: str,
    standard: StandardOut,
    status: Status,
    reason: tuple[str, str] | None = None,
    **kw: Any,
) -> KpiOut:
    zh, en = text(f"board.kpi.{key}")
    return KpiOut(
        key=key,
        label_zh=zh,
        label_en=en,
        value=None if value is None else round(float(value), 4),
        unit=unit,
        standard=standard,
        status=status,
        reason_zh=None if reason is None else reason[0],
        reason_en=None if reason is None else reason[1],
        **kw,
    )


def dept_label(department: str) -> tuple[str, str]:
    return text(f"tasks.department.{department}")


def _median(values: Sequence[float]) -> float:
    return float(np.median(np.asarray(values, np.float64)))


def _timing(
    key: str,
    done: list[float],
    pending_ages: list[float],
    target: float,
    standard: StandardOut,
    unit: str,
    empty_reason: tuple[str, str],
    breakdown: list[Breakdown] | None = None,
    scope: str = "city",
) -> KpiOut:
    """A timing KPI: median of ``done`` against ``target``, pending items apart."""
    late_pending = sum(a > target for a in pending_ages)
    figures: dict[str, float | int | str | None] = {
        "n": len(done),
        "median": round(_median(done), 4) if done else None,
        "max": round(max(done), 4) if done else None,
        "late": sum(v > target for v in done),
        "pending": len(pending_ages),
        "pending_late": late_pending,
    }
    extra: dict[str, Any] = {"figures": figures, "breakdown": breakdown or [], "scope": scope}
    if not done:
        if late_pending:
            late = text(f"board.reason.{key}.pending_late", n=late_pending)
            return kpi(key, None, unit, standard, "breach", late, **extra)
        why = text("board.reason.pending", n=len(pending_ages)) if pending_ages else empty_reason
        return kpi(key, None, unit, standard, "no_data", why, **extra)
    median = _median(done)
    assert standard.warn is not None
    status = at_most(median, target, standard.warn)
    if status == "ok" and (max(done) > target or late_pending):
        status = "warn"
    reason: tuple[str, str] | None = None
    if status != "ok":
        reason = text(
            "board.reason.timing",
            median=median,
            target=target,
            late=int(figures["late"] or 0) + late_pending,
            n=len(done) + len(pending_ages),
            unit=unit,
        )
    return kpi(key, median, unit, standard, status, reason, **extra)


# --------------------------------------------------------------------------- latency


def alert_latency(*, session: Session, w: Window, scope: Scope, std: BoardStandards) -> KpiOut:
    """Data arrival → alert stored (``alerts.latency_seconds``), minutes, alerts raised by
    ``as_of``; a community counts the alerts of its own area and of the areas above it."""
    target = std.alert_latency_hours * 60
    standard = std.standard(target, "at_most", "min", "Fuzhou", target * std.warn_share)
    rows = session.execute(
        select(Alert.area_id, Alert.level, Alert.latency_seconds).where(Alert.raised_at <= w.as_of)
    ).all()
    rows = [r for r in rows if alert_in_scope(scope, int(r[0]))]
    by_level: dict[str, list[float]] = defaultdict(list)
    for _, level, latency in rows:
        by_level[str(level)].append(float(latency) / 60)
    breakdown = []
    for level, values in sorted(by_level.items()):
        zh, en = text(f"surveil.level.{level}")
        breakdown.append(
            Breakdown(
                key=level,
                label_zh=zh,
                label_en=en,
                value=round(_median(values), 4),
                figures={"n": len(values), "max": round(max(values), 4)},
            )
        )
    return _timing(
        "alert_latency",
        [float(r[2]) / 60 for r in rows],
        [],
        target,
        standard,
        "min",
        text("board.reason.no_alerts"),
        breakdown,
    )


def alert_in_scope(scope: Scope, area_id: int) -> bool:
    """An alert concerns a community when its area is the community, below it or above it."""
    if scope.community is None:
        return True
    tree = scope.tree
    if not 0 <= area_id < len(tree.level):
        return False
    if area_id in tree.lineage(scope.community):
        return True
    return bool(scope.keep(np.array([area_id], np.int64))[0])


# --------------------------------------------------------------------------- hand-over


def handover(*, tasks: list[TaskRec], w: Window, std: BoardStandards, scope: Scope) -> KpiOut:
    """Case reported → each department's first action (a task of the case started, or done
    without a start) on the case's playbook tasks, minutes, per (case, department)."""
    target = std.handover_hours * 60
    standard = std.standard(target, "at_most", "min", "Fuzhou", target * std.warn_share)
    first: dict[tuple[int, str], float | None] = {}
    trigger: dict[tuple[int, str], float] = {}
    for task in tasks:
        if task.case_id is None or task.case_playbook_id is None:
            continue
        key = (task.case_id, task.department)
        trig = task.triggered_at.timestamp()
        trigger[key] = min(trigger.get(key, trig), trig)
        acted = task.started_at or task.completed_at
        if acted is not None:
            minutes = (acted.timestamp() - trig) / 60
            prev = first.get(key)
            first[key] = minutes if prev is None else min(prev, minutes)
        else:
            first.setdefault(key, None)
    now = w.as_of.timestamp()
    done: dict[str, list[float]] = defaultdict(list)
    pending: dict[str, list[float]] = defaultdict(list)
    for key, taken in first.items():
        if taken is None:
            pending[key[1]].append((now - trigger[key]) / 60)
        else:
            done[key[1]].append(max(taken, 0.0))
    breakdown = []
    for dept in DEPARTMENTS:
        if dept not in done and dept not in pending:
            continue
        values = done.get(dept, [])
        zh, en = dept_label(dept)
        breakdown.append(
            Breakdown(
                key=dept,
                label_zh=zh,
                label_en=en,
                value=round(_median(values), 4) if values else None,
                status=(
                    None
                    if not values
                    else at_most(_median(values), target, target * std.warn_share)
                ),
                figures={
                    "n": len(values),
                    "max": round(max(values), 4) if values else None,
                    "pending": len(pending.get(dept, [])),
                    "pending_late": sum(a > target for a in pending.get(dept, [])),
                },
            )
        )
    return _timing(
        "handover",
        [v for vs in done.values() for v in vs],
        [v for vs in pending.values() for v in vs],
        target,
        standard,
        "min",
        text("board.reason.no_playbooks"),
        breakdown,
    )


# --------------------------------------------------------------------------- on time


def on_time(*, tasks: list[TaskRec], w: Window, std: BoardStandards) -> KpiOut:
    """Share of decided tasks done by their deadline, per department
    (:func:`epicontrol.core.operations.kpi.task_kpis`, the tasks domain's definition)."""
    standard = std.standard(std.on_time_rate, "at_least", "share", "DESIGN §3", std.on_time_warn)
    code = {"open": core_kpi.OPEN, "in_progress": core_kpi.IN_PROGRESS}
    code |= {"done": core_kpi.DONE, "cancelled": core_kpi.CANCELLED}
    dept_code = {d: i for i, d in enumerate(DEPARTMENTS)}
    status = np.array([code[x.status] for x in tasks], np.int64)
    triggered = seconds([x.triggered_at for x in tasks])
    due = seconds([x.due_at for x in tasks])
    completed = seconds([x.completed_at for x in tasks])
    now = int(seconds([w.as_of])[0])

    def table(groups: list[int]) -> core_kpi.KpiTable:
        return core_kpi.task_kpis(
            groups=np.array(groups, np.int64),
            status=status,
            triggered=triggered,
            due=due,
            completed=completed,
            now=now,
        )

    by_dept = table([dept_code[x.department] for x in tasks])
    overall = table([0] * len(tasks))
    breakdown = []
    for i, g in enumerate(by_dept.groups.tolist()):
        dept = DEPARTMENTS[g]
        rate = float(by_dept.on_time_rate[i])
        zh, en = dept_label(dept)
        breakdown.append(
            Breakdown(
                key=dept,
                label_zh=zh,
                label_en=en,
                value=None if math.isnan(rate) else round(rate, 4),
                status=None
                if math.isnan(rate)
                else at_least(rate, std.on_time_rate, std.on_time_warn),
                figures={
                    "total": int(by_dept.total[i]),
                    "done": int(by_dept.done[i]),
                    "done_on_time": int(by_dept.done_on_time[i]),
                    "open": int(by_dept.active[i]),
                    "open_overdue": int(by_dept.active_overdue[i]),
                    "cancelled": int(by_dept.cancelled[i]),
                    "median_hours": _opt(by_dept.median_hours[i]),
                },
            )
        )
    figures: dict[str, float | int | str | None] = {"total": len(tasks)}
    if len(overall.groups):
        figures |= {
            "done": int(overall.done[0]),
            "done_on_time": int(overall.done_on_time[0]),
            "open_overdue": int(overall.active_overdue[0]),
            "decided": int(overall.done[0] + overall.active_overdue[0]),
        }
    rate = float(overall.on_time_rate[0]) if len(overall.groups) else math.nan
    if math.isnan(rate):
        return kpi(
            "on_time",
            None,
            "share",
            standard,
            "no_data",
            text("board.reason.no_decided_tasks", n=len(tasks)),
            figures=figures,
            breakdown=breakdown,
        )
    st = at_least(rate, std.on_time_rate, std.on_time_warn)
    late = [b for b in breakdown if b.status in ("warn", "breach")]
    reason: tuple[str, str] | None = None
    if st != "ok":
        names = ", ".join(b.label_zh for b in late)
        names_en = ", ".join(b.label_en for b in late)
        zh, _ = text("board.reason.on_time", rate=rate, departments=names)
        _, en = text("board.reason.on_time", rate=rate, departments=names_en)
        reason = (zh, en)
    return kpi("on_time", rate, "share", standard, st, reason, figures=figures, breakdown=breakdown)


def _opt(x: float) -> float | None:
    return None if math.isnan(x) else round(float(x), 4)


# --------------------------------------------------------------------------- disposal


def disposal_cycle(
    *, session: Session, tasks: list[TaskRec], w: Window, std: BoardStandards
) -> KpiOut:
    """Case reported (the playbook's trigger) → the last of its playbook tasks closed (done
    or cancelled, at least one done), hours, per playbook opening."""
    target = std.disposal_hours
    standard = std.standard(target, "at_most", "h", "Shenzhen 1+4+6+24", target * std.warn_share)
    by_opening: dict[int, list[TaskRec]] = defaultdict(list)
    for task in tasks:
        if task.case_playbook_id is not None:
            by_opening[task.case_playbook_id].append(task)
    triggers = (
        dict(
            session.execute(
                select(CasePlaybook.id, CasePlaybook.trigger_at).where(
                    CasePlaybook.id.in_(list(by_opening))
                )
            ).all()
        )
        if by_opening
        else {}
    )
    done: list[float] = []
    pending: list[float] = []
    now = w.as_of.timestamp()
    for opening, rows in by_opening.items():
        trig = triggers[opening].timestamp()
        closed = all(r.status in ("done", "cancelled") for r in rows)
        finished = [r.completed_at.timestamp() for r in rows if r.completed_at is not None]
        if closed and finished:
            done.append((max(finished) - trig) / 3600)
        elif not closed:
            pending.append((now - trig) / 3600)
    return _timing(
        "disposal",
        done,
        pending,
        target,
        standard,
        "h",
        text("board.reason.no_playbooks"),
    )


# --------------------------------------------------------------------------- coverage


def testing_coverage(*, session: Session, w: Window, scope: Scope, std: BoardStandards) -> KpiOut:
    """Sampled share (members of pools with a result by ``as_of``) of the latest round of
    every campaign zone set started by ``as_of``; a community counts its own residents."""
    standard = std.standard(std.coverage, "at_least", "share", "plans 001, 002", None)
    rows = (
        session.execute(
            select(Campaign).where(Campaign.start_at <= w.as_of).order_by(Campaign.round)
        )
        .scalars()
        .all()
    )
    latest: dict[str, Campaign] = {}
    for c in rows:
        latest[c.scope_key] = c
    if not latest:
        return kpi(
            "coverage", None, "share", standard, "no_data", text("board.reason.no_campaigns")
        )
    ids = [c.id for c in latest.values()]
    sampled = sql_case(
        (CampaignPool.result.in_(SAMPLED) & (CampaignPool.result_at <= w.as_of), 1), else_=0
    )
    query = (
        select(CampaignMember.campaign_id, func.count(), func.sum(sampled))
        .join(CampaignPool, CampaignPool.id == CampaignMember.pool_id)
        .where(CampaignMember.campaign_id.in_(ids))
        .group_by(CampaignMember.campaign_id)
    )
    if scope.community is not None:
        buildings = scope_buildings(scope)
        query = query.join(Person, Person.id == CampaignMember.person_id).where(
            Person.building_id.in_(buildings)
        )
    counts = {int(k): (int(n), int(s or 0)) for k, n, s in session.execute(query).all()}
    breakdown: list[Breakdown] = []
    total_n = total_s = 0
    statuses: list[Status] = []
    for c in latest.values():
        n, s = counts.get(c.id, (0, 0))
        if n == 0:
            continue
        total_n, total_s = total_n + n, total_s + s
        cov = s / n
        decided = c.status == "completed" or c.deadline_at <= w.as_of
        st = at_least(cov, std.coverage, None, decided=decided)
        statuses.append(st)
        zh, en = text("board.campaign", id=c.id, round=c.round)
        breakdown.append(
            Breakdown(
                key=str(c.id),
                label_zh=zh,
                label_en=en,
                value=round(cov, 5),
                status=st,
                figures={
                    "round": c.round,
                    "residents": n,
                    "sampled": s,
                    "deadline": w.local(c.deadline_at).isoformat(),
                    "decided": int(decided),
                },
            )
        )
    if total_n == 0:
        return kpi(
            "coverage",
            None,
            "share",
            standard,
            "no_data",
            text("board.reason.no_campaign_residents"),
        )
    value = total_s / total_n
    status = worst(statuses)
    reason: tuple[str, str] | None = None
    if status != "ok":
        short = sum(st != "ok" for st in statuses)
        reason = text(f"board.reason.coverage.{status}", n=short, target=std.coverage)
    return kpi(
        "coverage",
        value,
        "share",
        standard,
        status,
        reason,
        figures={"residents": total_n, "sampled": total_s, "campaigns": len(breakdown)},
        breakdown=breakdown,
        scope="community" if scope.community is not None else "city",
    )


def scope_buildings(scope: Scope) -> list[int]:
    """The buildings of the scope's community."""
    tree = scope.tree
    buildings = tree.ids_of("building")
    return [int(b) for b in buildings[scope.keep(buildings)]]


# --------------------------------------------------------------------------- quarantine


def quarantine_occupancy(
    *, session: Session, w: Window, scope: Scope, std: BoardStandards
) -> KpiOut:
    """Rooms held by stays assigned by ``as_of`` and not released then, over the rooms of
    every quarantine site (city-wide: sites serve every community); a community's board adds
    how many of its residents are in quarantine."""
    target = std.quarantine_occupancy
    standard = std.standard(target, "at_most", "share", "DESIGN §3", target * std.warn_share)
    sites = session.execute(
        select(Facility.id, Facility.code, Facility.name, Facility.rooms)
        .where(Facility.kind == "quarantine_site")
        .order_by(Facility.id)
    ).all()
    if not sites:
        return kpi("quarantine", None, "share", standard, "no_data", text("board.reason.no_sites"))
    held = (QuarantineStay.assigned_at <= w.as_of) & (
        QuarantineStay.released_at.is_(None) | (QuarantineStay.released_at > w.as_of)
    )
    used = dict(
        session.execute(
            select(QuarantineStay.site_id, func.sum(QuarantineStay.rooms))
            .where(held)
            .group_by(QuarantineStay.site_id)
        ).all()
    )
    rooms = sum(int(s[3] or 0) for s in sites)
    occupied = sum(int(used.get(s[0]) or 0) for s in sites)
    warn = target * std.warn_share
    breakdown = []
    for sid, code, name, n_rooms in sites:
        n_rooms = int(n_rooms or 0)
        occ = int(used.get(sid) or 0)
        share = occ / n_rooms if n_rooms else None
        breakdown.append(
            Breakdown(
                key=code,
                label_zh=name,
                label_en=name,
                value=None if share is None else round(share, 4),
                status=None if share is None else at_most(share, target, warn, inclusive=True),
                figures={
                    "site_id": sid,
                    "rooms": n_rooms,
                    "occupied": occ,
                    "left": max(n_rooms - occ, 0),
                },
            )
        )
    figures: dict[str, float | int | str | None] = {
        "sites": len(sites),
        "rooms": rooms,
        "occupied": occupied,
        "left": max(rooms - occupied, 0),
        "active_stays": int(
            session.scalar(select(func.count()).select_from(QuarantineStay).where(held)) or 0
        ),
    }
    if scope.community is not None:
        stays = (
            session.execute(
                select(Person.building_id)
                .join(QuarantineStay, QuarantineStay.person_id == Person.id)
                .where(held)
            )
            .scalars()
            .all()
        )
        figures["community_in_quarantine"] = int(scope.keep(np.array(list(stays), np.int64)).sum())
    if rooms == 0:
        return kpi(
            "quarantine",
            None,
            "share",
            standard,
            "no_data",
            text("board.reason.no_rooms"),
            figures=figures,
            breakdown=breakdown,
        )
    value = occupied / rooms
    status = at_most(value, target, warn, inclusive=True)
    reason: tuple[str, str] | None = None
    if status != "ok":
        reason = text("board.reason.occupancy", value=value, target=target)
    return kpi(
        "quarantine", value, "share", standard, status, reason, figures=figures, breakdown=breakdown
    )


__all__ = [
    "alert_in_scope",
    "alert_latency",
    "disposal_cycle",
    "handover",
    "on_time",
    "quarantine_occupancy",
    "testing_coverage",
]
