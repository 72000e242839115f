"""Recording campaign results and measuring coverage.

A results file is CSV with a header: ``pool_id,result[,time][,person_id]``.
A row without ``person_id`` is a pool result (``negative``, ``positive`` or
``invalid``: the pool must be sampled again); a row with ``person_id`` is the
individual re-test of a member of a positive pool (``negative`` or
``positive``).  ``time`` is ISO local city time (default: now).  The file is
checked whole first — a bad row rejects it with its line, field and rule and
nothing is written — and a re-sent file changes nothing (a result already
recorded the same way is skipped; a different one is an error).  Every member
of a positive pool gets a re-test task (kind ``retest``, department
``health``, due :data:`~epicontrol.domains.campaigns.service.RETEST_HOURS`
after the pool result) through :func:`epicontrol.domains.tasks.service.create_task`,
idempotent by its dedupe key.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import case, func, select, update
from sqlalchemy.orm import Session

from ...i18n import t
from ..city.importing.base import RowError
from ..city.models import Area
from ..tasks.service import create_task
from .models import POOL_RESULTS, RETEST_RESULTS, Campaign, CampaignMember, CampaignPool
from .schemas import CoverageOut, CoverageRow, ResultsOut
from .service import (
    _CHUNK,
    COVERAGE_TARGET,
    RESULT_COLUMNS,
    RESULT_OPTIONAL,
    RETEST_HOURS,
    CampaignInputError,
    _city_clock,
    get_campaign,
)

SAMPLED: tuple[str, ...] = ("negative", "positive")


@dataclass(frozen=True)
class _Row:
    line: int
    pool_id: int
    result: str
    at: datetime  # naive UTC
    person_id: int | None


def _parse(path: Path, clock: Any, now: datetime) -> tuple[list[_Row], list[RowError]]:
    name = path.name
    errors: list[RowError] = []
    rows: list[_Row] = []
    try:
        handle = path.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        return [], [RowError(name, 0, "file", f"cannot be read: {exc.strerror}", None)]
    with handle:
        reader = csv.reader(handle)
        header = next(reader, None)
        if header is None:
            return [], [
                RowError(name, 1, "header", "is missing (pool_id,result[,time][,person_id])", None)
            ]
        cols = [h.strip() for h in header]
        for need in RESULT_COLUMNS:
            if need not in cols:
                errors.append(RowError(name, 1, need, "column is missing", None))
        for col in cols:
            if col not in RESULT_COLUMNS + RESULT_OPTIONAL:
                allowed = ", ".join(RESULT_COLUMNS + RESULT_OPTIONAL)
                errors.append(RowError(name, 1, col, f"unknown column (allowed: {allowed})", None))
        if errors:
            return [], errors
        at = {c: i for i, c in enumerate(cols)}
        for line, values in enumerate(reader, start=2):
            if not any(v.strip() for v in values):
                continue
            if len(values) != len(cols):
                errors.append(
                    RowError(name, line, "row", f"must have {len(cols)} fields", str(len(values)))
                )
                continue

            def get(col: str, _values: list[str] = values) -> str:
                return _values[at[col]].strip() if col in at else ""

            bad = len(errors)
            try:
                pool_id = int(get("pool_id"))
            except ValueError:
                errors.append(RowError(name, line, "pool_id", "must be an integer", get("pool_id")))
                pool_id = -1
            person: int | None = None
            if get("person_id"):
                try:
                    person = int(get("person_id"))
                except ValueError:
                    errors.append(
                        RowError(name, line, "person_id", "must be an integer", get("person_id"))
                    )
            result = get("result").lower()
            choices = RETEST_RESULTS if person is not None or get("person_id") else POOL_RESULTS
            if result not in choices:
                errors.append(
                    RowError(
                        name, line, "result", f"must be one of {', '.join(choices)}", get("result")
                    )
                )
            when = now
            if get("time"):
                try:
                    when = clock.to_utc(datetime.fromisoformat(get("time")))
                except ValueError:
                    errors.append(
                        RowError(
                            name,
                            line,
                            "time",
                            "must be an ISO date-time (2026-11-05T14:30)",
                            get("time"),
                        )
                    )
            if len(errors) == bad:
                rows.append(_Row(line, pool_id, result, when.replace(microsecond=0), person))
    return rows, errors


def _chunks(values: Sequence[int]) -> list[list[int]]:
    return [list(values[i : i + _CHUNK]) for i in range(0, len(values), _CHUNK)]


def record_results(
    *,
    session: Session,
    path: Path,
    now: datetime | None = None,
    actor: str = "campaigns",
    retest_hours: float = RETEST_HOURS,
) -> ResultsOut:
    """Record the pool results and re-tests of ``path`` (module docstring); all or nothing."""
    clock = _city_clock(session)
    stamp = (now or datetime.now(UTC)).astimezone(UTC).replace(tzinfo=None, microsecond=0)
    rows, errors = _parse(path, clock, stamp)
    name = path.name
    pool_ids = sorted({r.pool_id for r in rows})
    stored: dict[int, tuple[int, str | None, datetime | None]] = {}
    for chunk in _chunks(pool_ids):
        for pid, cid, res, res_at in session.execute(
            select(
                CampaignPool.id,
                CampaignPool.campaign_id,
                CampaignPool.result,
                CampaignPool.result_at,
            ).where(CampaignPool.id.in_(chunk))
        ):
            stored[int(pid)] = (int(cid), res, res_at)
    starts = dict(session.execute(select(Campaign.id, Campaign.start_at)).all())
    pool_rows: dict[int, _Row] = {}
    person_rows: dict[tuple[int, int], _Row] = {}
    for r in rows:
        if r.pool_id not in stored:
            errors.append(RowError(name, r.line, "pool_id", "unknown pool", str(r.pool_id)))
            continue
        cid, res, _ = stored[r.pool_id]
        if r.at < starts[cid]:
            errors.append(
                RowError(name, r.line, "time", "must not be before the campaign start", None)
            )
        if r.person_id is None:
            seen = pool_rows.get(r.pool_id)
            if seen is not None and seen.result != r.result:
                errors.append(
                    RowError(
                        name,
                        r.line,
                        "result",
                        f"differs from line {seen.line} for this pool",
                        r.result,
                    )
                )
            if res is not None and res != r.result:
                errors.append(
                    RowError(name, r.line, "result", f"pool already recorded as {res}", r.result)
                )
            pool_rows.setdefault(r.pool_id, r)
        else:
            key = (r.pool_id, r.person_id)
            seen = person_rows.get(key)
            if seen is not None and seen.result != r.result:
                errors.append(
                    RowError(
                        name,
                        r.line,
                        "result",
                        f"differs from line {seen.line} for this person",
                        r.result,
                    )
                )
            person_rows.setdefault(key, r)
    members: dict[tuple[int, int], CampaignMember] = {}
    retest_pools = sorted({k[0] for k in person_rows})
    for chunk in _chunks(retest_pools):
        for m in session.scalars(select(CampaignMember).where(CampaignMember.pool_id.in_(chunk))):
            members[(m.pool_id, m.person_id)] = m
    for key, r in person_rows.items():
        if key[0] not in stored:
            continue
        final = pool_rows[key[0]].result if key[0] in pool_rows else stored[key[0]][1]
        if final != "positive":
            errors.append(
                RowError(
                    name,
                    r.line,
                    "person_id",
                    "a re-test needs a positive pool result first",
                    str(key[1]),
                )
            )
        elif key not in members:
            errors.append(
                RowError(name, r.line, "person_id", "is not a member of this pool", str(key[1]))
            )
        elif members[key].retest_result not in (None, r.result):
            errors.append(
                RowError(
                    name,
                    r.line,
                    "result",
                    f"re-test already recorded as {members[key].retest_result}",
                    r.result,
                )
            )
    if errors:
        raise CampaignInputError(sorted(errors, key=lambda e: (e.line, e.field)))

    new_pools = [r for pid, r in pool_rows.items() if stored[pid][1] is None]
    if new_pools:
        session.execute(
            update(CampaignPool),
            [
                {"id": r.pool_id, "result": r.result, "result_at": r.at, "recorded_at": stamp}
                for r in new_pools
            ],
        )
    tasks = 0
    positive = [r for r in new_pools if r.result == "positive"]
    for r in positive:
        for m in session.scalars(
            select(CampaignMember)
            .where(CampaignMember.pool_id == r.pool_id)
            .order_by(CampaignMember.person_id)
        ):
            task = create_task(
                session=session,
                kind="retest",
                department="health",
                title_zh=t("campaigns.retest.title", "zh-CN", pool=r.pool_id, person=m.person_id),
                title_en=t("campaigns.retest.title", "en", pool=r.pool_id, person=m.person_id),
                due_at=r.at + timedelta(hours=retest_hours),
                created_at=r.at,
                subject_type="person",
                subject_id=m.person_id,
                actor=actor,
                dedupe_key=f"campaign-retest:{r.pool_id}:{m.person_id}",
            )
            m.task_id = task.id
            tasks += 1
    new_retests = [(k, r) for k, r in person_rows.items() if members[k].retest_result is None]
    for k, r in new_retests:
        members[k].retest_result = r.result
        members[k].retest_at = r.at
    session.flush()
    touched = sorted({stored[pid][0] for pid in pool_rows} | {stored[k[0]][0] for k in person_rows})
    for cid in touched:
        _update_status(session, cid, stamp)
    session.flush()
    return ResultsOut(
        rows=len(rows),
        pools_recorded=len(new_pools),
        pools_unchanged=len(pool_rows) - len(new_pools),
        positive_pools=len(positive),
        retests_recorded=len(new_retests),
        retests_unchanged=len(person_rows) - len(new_retests),
        tasks_created=tasks,
        campaigns=touched,
    )


def _update_status(session: Session, campaign_id: int, stamp: datetime) -> None:
    row = get_campaign(session=session, campaign_id=campaign_id)
    open_pools = session.scalar(
        select(func.count())
        .select_from(CampaignPool)
        .where(
            CampaignPool.campaign_id == campaign_id,
            (CampaignPool.result.is_(None)) | (CampaignPool.result == "invalid"),
        )
    )
    status = "completed" if not open_pools else "testing"
    if row.status != status:
        row.status = status
        row.updated_at = stamp


def _sampled_by(session: Session, key: Any, where: Any) -> dict[int, tuple[int, int]]:
    sampled = func.sum(case((CampaignPool.result.in_(SAMPLED), 1), else_=0))
    rows = session.execute(
        select(key, func.count(), sampled)
        .select_from(CampaignMember)
        .join(CampaignPool, CampaignPool.id == CampaignMember.pool_id)
        .where(where)
        .group_by(key)
    ).all()
    return {int(k): (int(n), int(s or 0)) for k, n, s in rows}


def _row(residents: int, sampled: int, target: float, **kw: Any) -> CoverageRow:
    cov = sampled / residents if residents else 0.0
    return CoverageRow(
        residents=residents,
        sampled=sampled,
        coverage=round(cov, 5),
        meets_target=cov >= target,
        **kw,
    )


def coverage(*, session: Session, campaign_id: int, target: float = COVERAGE_TARGET) -> CoverageOut:
    """Sampled share (members of pools with a negative or positive result) per zone and round."""
    row = get_campaign(session=session, campaign_id=campaign_id)
    by_area = _sampled_by(
        session, CampaignMember.area_id, CampaignMember.campaign_id == campaign_id
    )
    names = dict(
        session.execute(select(Area.id, Area.name).where(Area.id.in_(list(by_area)))).all()
    )
    zones = [
        _row(n, s, target, area_id=a, name=names.get(a)) for a, (n, s) in sorted(by_area.items())
    ]
    rounds_rows = session.scalars(
        select(Campaign).where(Campaign.scope_key == row.scope_key).order_by(Campaign.round)
    ).all()
    ids = [c.id for c in rounds_rows]
    per_campaign = _sampled_by(
        session, CampaignMember.campaign_id, CampaignMember.campaign_id.in_(ids)
    )
    rounds = [
        _row(*per_campaign.get(c.id, (0, 0)), target, round=c.round, campaign_id=c.id)
        for c in rounds_rows
    ]
    residents, sampled = per_campaign.get(row.id, (0, 0))
    positive = session.scalar(
        select(func.count())
        .select_from(CampaignPool)
        .where(CampaignPool.campaign_id == campaign_id, CampaignPool.result == "positive")
    )
    retests_positive = session.scalar(
        select(func.count())
        .select_from(CampaignMember)
        .where(
            CampaignMember.campaign_id == campaign_id, CampaignMember.retest_result == "positive"
        )
    )
    done = session.scalar(
        select(func.count(CampaignMember.retest_result)).where(
            CampaignMember.campaign_id == campaign_id
        )
    )
    cov = sampled / residents if residents else 0.0
    return CoverageOut(
        campaign_id=row.id,
        round=row.round,
        target=target,
        residents=residents,
        sampled=sampled,
        coverage=round(cov, 5),
        meets_target=cov >= target,
        positive_pools=int(positive or 0),
        retests_done=int(done or 0),
        retests_positive=int(retests_positive or 0),
        zones=zones,
        rounds=rounds,
    )
