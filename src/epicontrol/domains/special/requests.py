"""Service requests of ledger persons: open → responded → done, clocks, escalation, KPIs.

The response clock runs from ``opened_at`` for the tier's allowance
(:class:`~.schemas.SpecialSettings`: red and yellow 2 h, green 24 h; an online
consultation 30 min); supplies to the door (food, medicine) also have a
completion clock (24 h).  :func:`escalate` records, for every clock past due at
``now``, each escalation level reached (level ``k`` at ``due + (k - 1) ×
allowance``) once: running it again at the same or a later time adds only
levels newly reached.  KPIs: response minutes (median and 90th percentile,
linear interpolation between order statistics as ``numpy.percentile``), and the
on-time rate over the requests whose response clock is settled (responded, or
open past due), by tier and by community.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..city.models import Area
from ..tracing.context import Clock
from .models import REQUEST_KINDS, SpecialEscalation, SpecialHelper, SpecialPerson, SpecialRequest
from .schemas import (
    ClockOut,
    EscalationOut,
    KpiGroup,
    KpiOut,
    RequestOut,
    SpecialSettings,
    Viewer,
)
from .service import (
    NotFound,
    Rejected,
    SpecialInputError,
    _allow,
    _audit,
    _clock,
    _helper_out,
    _row,
    _scope,
    _utc,
)


def _minutes(delta: timedelta) -> int:
    return int(delta.total_seconds() // 60)


def response_minutes(settings: SpecialSettings, tier: str, kind: str) -> int:
    """The response allowance of a request."""
    if kind == "consultation":
        return min(settings.consultation_minutes, settings.response_minutes[tier])
    return settings.response_minutes[tier]


def _clock_out(r: SpecialRequest, now: datetime) -> ClockOut:
    if r.responded_at is None:
        late = now > r.due_at
        state = "overdue" if late else "running"
        left = None if late else _minutes(r.due_at - now)
        over = _minutes(now - r.due_at) if late else None
        took = None
    else:
        state = "late" if r.responded_at > r.due_at else "on_time"
        left = over = None
        took = _minutes(r.responded_at - r.opened_at)
    if r.done_due_at is None:
        completion = "none"
    elif r.done_at is None:
        completion = "overdue" if now > r.done_due_at else "running"
    else:
        completion = "late" if r.done_at > r.done_due_at else "on_time"
    return ClockOut(
        state=state, minutes_left=left, overdue_minutes=over, response_minutes=took,
        completion_state=completion,
    )  # fmt: skip


def _out(
    r: SpecialRequest, clock: Clock, now: datetime, helper: SpecialHelper | None
) -> RequestOut:
    local = clock.from_store

    def opt(d: datetime | None) -> datetime | None:
        return None if d is None else local(d)

    return RequestOut(
        id=r.id, person_id=r.person_id, kind=r.kind, tier=r.tier, community_id=r.community_id,
        status=r.status, note=r.note, opened_at=local(r.opened_at), opened_by=r.opened_by,
        due_at=local(r.due_at), done_due_at=opt(r.done_due_at),
        responded_at=opt(r.responded_at), responded_by=r.responded_by,
        done_at=opt(r.done_at), done_by=r.done_by, escalation_level=r.escalation_level,
        clock=_clock_out(r, now), helper=_helper_out(helper),
    )  # fmt: skip


def _helper_of(session: Session, person_id: int) -> SpecialHelper | None:
    entry = session.get(SpecialPerson, person_id)
    return session.get(SpecialHelper, entry.helper_id) if entry and entry.helper_id else None


def open_request(
    *,
    session: Session,
    viewer: Viewer,
    person_id: int,
    kind: str,
    note: str = "",
    at: datetime | None = None,
    client_key: str | None = None,
    settings: SpecialSettings | None = None,
) -> RequestOut:
    """Open a request for a ledger person; its clocks start at ``at`` (default now).

    A ``client_key`` seen before returns that request unchanged (re-sending is safe);
    a person not in the ledger raises :class:`NotFound`.
    """
    settings = settings or SpecialSettings()
    clock = _clock(session)
    now = _utc(clock, at)
    if kind not in REQUEST_KINDS:
        raise SpecialInputError("kind", f"must be one of {', '.join(REQUEST_KINDS)}, got {kind!r}")
    if client_key is not None and not (0 < len(client_key) <= 64):
        raise SpecialInputError("key", "must be 1 to 64 characters")
    entry = session.get(SpecialPerson, person_id)
    if entry is None:
        raise NotFound(
            f"person_id: person {person_id} is not in the special-population ledger "
            "(enrol them first: `epicontrol special ledger --sync` or `special enroll`)"
        )
    _allow(viewer, entry.community_id)
    if client_key is not None:
        found = session.scalars(
            select(SpecialRequest).where(SpecialRequest.client_key == client_key)
        ).first()
        if found is not None:
            if (found.person_id, found.kind) != (person_id, kind):
                raise Rejected(
                    f"key: {client_key!r} already opened request {found.id} for person "
                    f"{found.person_id} ({found.kind})"
                )
            return _out(found, clock, now, _helper_of(session, person_id))
    allowance = response_minutes(settings, entry.tier, kind)
    done = settings.completion_minutes.get(kind)
    r = SpecialRequest(
        person_id=person_id, kind=kind, tier=entry.tier, community_id=entry.community_id,
        status="open", note=note.strip(), client_key=client_key, opened_at=now,
        opened_by=viewer.name, due_at=now + timedelta(minutes=allowance),
        done_due_at=None if done is None else now + timedelta(minutes=done),
        responded_at=None, responded_by=None, done_at=None, done_by=None, escalation_level=0,
    )  # fmt: skip
    session.add(r)
    session.flush()
    _audit(session, viewer, now, "request", r.id, "opened", None, _row(r))
    session.flush()
    return _out(r, clock, now, _helper_of(session, person_id))


def _get(session: Session, viewer: Viewer, request_id: int) -> SpecialRequest:
    r = session.get(SpecialRequest, request_id)
    if r is None:
        raise NotFound(f"request_id: no request {request_id}")
    _allow(viewer, r.community_id)
    return r


def respond(
    *, session: Session, viewer: Viewer, request_id: int, at: datetime | None = None,
    note: str = "",
) -> RequestOut:  # fmt: skip
    """Record the response (the helper reached the person): open → responded."""
    clock = _clock(session)
    now = _utc(clock, at)
    r = _get(session, viewer, request_id)
    if r.status != "open":
        raise Rejected(f"request {r.id} is {r.status}, only an open request can be responded to")
    if now < r.opened_at:
        raise SpecialInputError("at", "the response cannot be before the request was opened")
    before = _row(r)
    r.status, r.responded_at, r.responded_by = "responded", now, viewer.name
    if note.strip():
        r.note = (r.note + "\n" if r.note else "") + note.strip()
    _audit(session, viewer, now, "request", r.id, "responded", before, _row(r))
    session.flush()
    return _out(r, clock, now, _helper_of(session, r.person_id))


def close(
    *, session: Session, viewer: Viewer, request_id: int, at: datetime | None = None,
    note: str = "",
) -> RequestOut:  # fmt: skip
    """Record the service done: responded → done (an open request is responded and done)."""
    clock = _clock(session)
    now = _utc(clock, at)
    r = _get(session, viewer, request_id)
    if r.status == "done":
        raise Rejected(f"request {r.id} is already done")
    if now < r.opened_at or (r.responded_at is not None and now < r.responded_at):
        raise SpecialInputError("at", "closing cannot be before the request was opened/responded")
    before = _row(r)
    if r.responded_at is None:
        r.responded_at, r.responded_by = now, viewer.name
    r.status, r.done_at, r.done_by = "done", now, viewer.name
    if note.strip():
        r.note = (r.note + "\n" if r.note else "") + note.strip()
    _audit(session, viewer, now, "request", r.id, "done", before, _row(r))
    session.flush()
    return _out(r, clock, now, _helper_of(session, r.person_id))


def list_requests(
    *,
    session: Session,
    viewer: Viewer,
    community_id: int | None = None,
    status: str | None = None,
    overdue: bool = False,
    now: datetime | None = None,
) -> list[RequestOut]:
    """Requests in the viewer's scope, oldest due first; ``overdue``: only clocks past due."""
    clock = _clock(session)
    at = _utc(clock, now)
    scope = _scope(viewer, community_id)
    query = select(SpecialRequest).order_by(SpecialRequest.due_at, SpecialRequest.id)
    if scope is not None:
        query = query.where(SpecialRequest.community_id == scope)
    if status is not None:
        query = query.where(SpecialRequest.status == status)
    helpers = {h.id: h for h in session.scalars(select(SpecialHelper))}
    helper_of = dict(
        session.execute(select(SpecialPerson.person_id, SpecialPerson.helper_id)).all()
    )
    out = []
    for r in session.scalars(query):
        o = _out(r, clock, at, helpers.get(helper_of.get(r.person_id) or -1))
        if overdue and not (o.clock.state == "overdue" or o.clock.completion_state == "overdue"):
            continue
        out.append(o)
    return out


def escalate(
    *,
    session: Session,
    viewer: Viewer,
    now: datetime | None = None,
    settings: SpecialSettings | None = None,
) -> list[EscalationOut]:
    """Escalate every overdue clock in the viewer's scope to each level it has reached;
    levels already recorded are not recorded again (idempotent)."""
    settings = settings or SpecialSettings()
    clock = _clock(session)
    at = _utc(clock, now)
    scope = _scope(viewer, None)
    query = select(SpecialRequest).where(SpecialRequest.status != "done")
    if scope is not None:
        query = query.where(SpecialRequest.community_id == scope)
    done = {(e.request_id, e.clock, e.level) for e in session.scalars(select(SpecialEscalation))}
    created: list[EscalationOut] = []
    levels = len(settings.recipients)
    for r in session.scalars(query.order_by(SpecialRequest.id)):
        clocks: list[tuple[str, datetime, datetime]] = []
        if r.responded_at is None:
            clocks.append(("response", r.opened_at, r.due_at))
        if r.done_due_at is not None and r.done_at is None:
            clocks.append(("completion", r.opened_at, r.done_due_at))
        for name, start, due in clocks:
            if at <= due:
                continue
            allowance = due - start
            reached = min(levels, 1 + int((at - due) / allowance)) if allowance else 1
            before = _row(r)
            for level in range(1, reached + 1):
                if (r.id, name, level) in done:
                    continue
                e = SpecialEscalation(
                    request_id=r.id, clock=name, level=level, at=at,
                    overdue_minutes=_minutes(at - due), recipient=settings.recipients[level - 1],
                )  # fmt: skip
                session.add(e)
                done.add((r.id, name, level))
                created.append(
                    EscalationOut(
                        request_id=r.id,
                        clock=name,
                        level=level,
                        recipient=e.recipient,
                        at=clock.from_store(at),
                        overdue_minutes=e.overdue_minutes,
                        community_id=r.community_id,
                        tier=r.tier,
                    )
                )
            if reached > r.escalation_level:
                r.escalation_level = reached
                _audit(session, viewer, at, "request", r.id, "escalated", before, _row(r))
    session.flush()
    return created


def _group(key: str, rows: Sequence[SpecialRequest], at: datetime) -> KpiGroup:
    responded = [r for r in rows if r.responded_at is not None]
    minutes = np.array(
        [(r.responded_at - r.opened_at).total_seconds() / 60 for r in responded if r.responded_at],
        np.float64,
    )
    open_over = [r for r in rows if r.responded_at is None and at > r.due_at]
    on_time = sum(1 for r in responded if r.responded_at and r.responded_at <= r.due_at)
    settled = len(responded) + len(open_over)
    return KpiGroup(
        key=key, requests=len(rows), responded=len(responded), open_overdue=len(open_over),
        median_minutes=float(np.percentile(minutes, 50)) if len(minutes) else None,
        p90_minutes=float(np.percentile(minutes, 90)) if len(minutes) else None,
        on_time_rate=on_time / settled if settled else None,
    )  # fmt: skip


def kpis(
    *,
    session: Session,
    viewer: Viewer,
    now: datetime | None = None,
    community_id: int | None = None,
) -> KpiOut:
    """Response KPIs at ``now``: overall, by tier and by community (viewer's scope)."""
    clock = _clock(session)
    at = _utc(clock, now)
    scope = _scope(viewer, community_id)
    query = select(SpecialRequest).where(SpecialRequest.opened_at <= at)
    if scope is not None:
        query = query.where(SpecialRequest.community_id == scope)
    rows = list(session.scalars(query))
    by_tier: dict[str, list[SpecialRequest]] = {}
    by_com: dict[int, list[SpecialRequest]] = {}
    for r in rows:
        by_tier.setdefault(r.tier, []).append(r)
        by_com.setdefault(r.community_id, []).append(r)
    order = {"red": 0, "yellow": 1, "green": 2}
    names: dict[int, Any] = dict(
        session.execute(select(Area.id, Area.code).where(Area.id.in_(list(by_com)))).all()
    )
    return KpiOut(
        now=clock.from_store(at),
        overall=_group("all", rows, at),
        by_tier=[_group(t, by_tier[t], at) for t in sorted(by_tier, key=order.__getitem__)],
        by_community=[_group(f"{c}:{names.get(c, '')}", by_com[c], at) for c in sorted(by_com)],
    )
