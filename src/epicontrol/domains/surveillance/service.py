"""Alert service: raise or update alerts from trigger results, lifecycle, views.

Keyword-only functions taking the session; they flush, never commit: the CLI
command, request or job that calls them owns the transaction.

Lifecycle (every change is an :class:`AlertEvent` with who, when, from, to
and a note)::

    raised → acknowledged → investigating → closed (outbreak_confirmed | false_alarm)
                         ↘──────────────────↗  (an acknowledged alert may be closed directly)

One open alert per area and episode: an alarm for an area that has an open
alert whose last detection is at most ``window_days`` before it updates that
alert (new signals and detections merged, level raised if the new one is
higher — an ``update`` or ``escalate`` event) instead of creating another.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from ...core.surveillance.triggers import LAB_SIGNAL, LEVELS
from ...i18n import t
from ..city.models import Area
from ..city.service import city_out, get_city
from .models import ALERT_OUTCOMES, ALERT_STATUSES, Alert, AlertEvent
from .routing import AreaRef, SurveillanceConfig
from .schemas import AlertEventOut, AlertOut

#: Allowed lifecycle moves.
TRANSITIONS: Final[dict[str, tuple[str, ...]]] = {
    "raised": ("acknowledged",),
    "acknowledged": ("investigating", "closed"),
    "investigating": ("closed",),
    "closed": (),
}
#: Actor recorded for alerts raised and updated by ingest.
SYSTEM_ACTOR: Final = "surveillance"
_IN_CHUNK: Final = 2_000


class SurveillanceError(RuntimeError):
    """A surveillance operation that cannot be done as asked (message says why)."""


class AlertNotFound(LookupError):
    """The alert asked for does not exist."""


class InvalidTransition(SurveillanceError):
    """The lifecycle does not allow this change."""


class StaleAlert(SurveillanceError):
    """The alert changed since it was read (optimistic lock on ``version``)."""


def utcnow() -> datetime:
    """Now in UTC, naive (as stored)."""
    return datetime.now(UTC).replace(tzinfo=None)


def epoch_datetime(*, session: Session) -> datetime:
    """Local midnight of day 0 of the store's city (time-zone aware)."""
    city = get_city(session=session)
    if city is None:
        raise SurveillanceError(
            "the store holds no city yet: run `epicontrol city generate` or `city import`"
        )
    return city_out(city).epoch


def epoch_date(*, session: Session) -> date:
    """The local date of day 0 of the store's city."""
    return epoch_datetime(session=session).date()


# --------------------------------------------------------------------------- raising


@dataclass
class AlarmCandidate:
    """An area whose trigger holds on ``day``: what record_alarms turns into an alert."""

    area_id: int
    day: int
    level: str
    signals: list[str]
    #: One object per signal, day and detector (``signal``, ``day``, ``date``,
    #: ``detector``, ``count``, ``statistic``, ``threshold``, ``p_value``).
    detections: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class _AreaInfo:
    community: AreaRef
    district: AreaRef | None
    label_zh: str
    label_en: str


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for i in range(0, len(ids), _IN_CHUNK):
        yield ids[i : i + _IN_CHUNK]


def _area_info(session: Session, area_ids: Iterable[int]) -> dict[int, _AreaInfo]:
    """Each area with its district, for recipients and messages."""
    wanted = sorted(set(area_ids))
    rows: dict[int, Area] = {}
    pending = wanted
    while pending:
        found: list[Area] = []
        for chunk in _chunks(pending):
            found.extend(session.scalars(select(Area).where(Area.id.in_(chunk))))
        for row in found:
            rows[row.id] = row
        pending = sorted(
            {a.parent_id for a in found if a.parent_id is not None and a.level != "district"}
            - set(rows)
        )
    out: dict[int, _AreaInfo] = {}
    for area_id in wanted:
        area = rows.get(area_id)
        if area is None:
            continue
        up: Area | None = area
        while up is not None and up.level not in ("district", "city"):
            up = rows.get(up.parent_id) if up.parent_id is not None else None
        district = up if up is not None and up.level == "district" else None
        ref = AreaRef(area.id, area.code, area.name, area.name_en)
        d_ref = (
            AreaRef(district.id, district.code, district.name, district.name_en)
            if district
            else None
        )
        name_en = area.name_en or area.name
        out[area_id] = _AreaInfo(
            community=ref,
            district=d_ref,
            label_zh=f"{district.name}{area.name}" if district else area.name,
            label_en=(f"{name_en}, {district.name_en or district.name}" if district else name_en),
        )
    return out


def _fmt(value: Any) -> str:
    if value is None:
        return "—"
    number = float(value)
    if number != number:  # NaN
        return "—"
    return f"{number:.0f}" if number == int(number) else f"{number:.1f}"


def _messages(
    *,
    alert: Alert,
    info: _AreaInfo,
    epoch: date,
) -> tuple[str, str]:
    """The plain-language message in zh-CN and en."""
    out = []
    latest: dict[str, dict[str, Any]] = {}
    lab_total: dict[str, float] = {}
    for d in alert.detections:
        if d["signal"] == LAB_SIGNAL:
            lab_total["n"] = lab_total.get("n", 0.0) + float(d["count"])
            continue
        prev = latest.get(d["signal"])
        if prev is None or d["day"] >= prev["day"]:
            latest[d["signal"]] = d
    day = epoch + timedelta(days=alert.last_day)
    for lang in ("zh-CN", "en"):
        sep = t("surveil.sep", lang)
        parts = [
            t(
                "surveil.detail.alarm",
                lang,
                signal=t(f"surveil.signal.{s}", lang),
                count=_fmt(latest[s]["count"]),
                bound=_fmt(latest[s].get("threshold")),
            )
            for s in alert.signals
            if s in latest
        ]
        if lab_total:
            parts.append(
                t(
                    "surveil.detail.lab",
                    lang,
                    signal=t(f"surveil.signal.{LAB_SIGNAL}", lang),
                    count=_fmt(lab_total["n"]),
                )
            )
        names = [
            (r["name_en"] or r["name"]) if lang == "en" else r["name"] for r in alert.recipients
        ]
        out.append(
            t(
                "surveil.message",
                lang,
                level=t(f"surveil.level.{alert.level}", lang),
                area=info.label_en if lang == "en" else info.label_zh,
                details=sep.join(parts),
                date=day.isoformat(),
                recipients=sep.join(names),
            )
        )
    return out[0], out[1]


def _detection_key(d: dict[str, Any]) -> tuple[str, int, str]:
    return (str(d["signal"]), int(d["day"]), str(d.get("detector") or ""))


def _open_alerts(session: Session, area_ids: Sequence[int]) -> dict[int, list[Alert]]:
    out: dict[int, list[Alert]] = {}
    for chunk in _chunks(sorted(set(area_ids))):
        query = select(Alert).where(Alert.area_id.in_(chunk), Alert.status != "closed")
        for alert in session.scalars(query):
            out.setdefault(alert.area_id, []).append(alert)
    return out


def _matching(open_alerts: list[Alert], day: int) -> Alert | None:
    """The open alert a new alarm on ``day`` belongs to (the most recent within its window)."""
    best: Alert | None = None
    for alert in open_alerts:
        if alert.first_day - alert.window_days <= day <= alert.last_day + alert.window_days and (
            best is None or alert.last_day > best.last_day
        ):
            best = alert
    return best


def record_alarms(
    *,
    session: Session,
    candidates: Sequence[AlarmCandidate],
    config: SurveillanceConfig,
    data_arrived_at: datetime,
    batch_id: str | None = None,
    now: datetime | None = None,
) -> tuple[list[Alert], list[Alert]]:
    """Raise new alerts and update open ones from trigger results; returns (raised, updated).

    An alarm whose detections are all in the matching open alert already, at
    no higher level, changes nothing (re-evaluating the same data is idempotent).
    """
    if not candidates:
        return [], []
    epoch = epoch_date(session=session)
    area_ids = sorted({c.area_id for c in candidates})
    info = _area_info(session, area_ids)
    missing = set(area_ids) - set(info)
    if missing:
        raise SurveillanceError(f"unknown area id(s): {sorted(missing)[:10]}")
    open_by_area = _open_alerts(session, area_ids)
    routing = config.routing
    raised: list[Alert] = []
    updated: dict[int, Alert] = {}
    for cand in sorted(candidates, key=lambda c: (c.area_id, c.day)):
        stamp = now or utcnow()
        area = info[cand.area_id]
        alert = _matching(open_by_area.get(cand.area_id, []), cand.day)
        if alert is None:
            alert = Alert(
                area_id=cand.area_id,
                level=cand.level,
                status="raised",
                outcome=None,
                signals=sorted(cand.signals),
                detections=sorted(cand.detections, key=_detection_key),
                first_day=min([cand.day, *(int(d["day"]) for d in cand.detections)]),
                last_day=cand.day,
                window_days=config.alert_window_days,
                data_arrived_at=data_arrived_at,
                raised_at=stamp,
                latency_seconds=max((stamp - data_arrived_at).total_seconds(), 0.0),
                updated_at=stamp,
                batch_id=batch_id,
            )
            alert.recipients = routing.recipients(
                signals=alert.signals,
                level=alert.level,
                community=area.community,
                district=area.district,
            )
            alert.message_zh, alert.message_en = _messages(alert=alert, info=area, epoch=epoch)
            session.add(alert)
            _event(session, alert, "raise", None, None, "raised", cand.level, stamp, None)
            open_by_area.setdefault(cand.area_id, []).append(alert)
            raised.append(alert)
            continue
        known = {_detection_key(d) for d in alert.detections}
        new = [d for d in cand.detections if _detection_key(d) not in known]
        higher = LEVELS.index(cand.level) > LEVELS.index(alert.level)
        if not new and not higher:
            continue
        old_level = alert.level
        if higher:
            alert.level = cand.level
        alert.signals = sorted(set(alert.signals) | set(cand.signals))
        alert.detections = sorted([*alert.detections, *new], key=_detection_key)
        alert.first_day = min([alert.first_day, *(int(d["day"]) for d in new)])
        alert.last_day = max(alert.last_day, cand.day)
        alert.updated_at = stamp
        alert.recipients = routing.recipients(
            signals=alert.signals,
            level=alert.level,
            community=area.community,
            district=area.district,
        )
        alert.message_zh, alert.message_en = _messages(alert=alert, info=area, epoch=epoch)
        note = ", ".join(sorted({f"{d['signal']}@{d['day']}" for d in new})) or None
        _event(
            session,
            alert,
            "escalate" if higher else "update",
            alert.status,
            old_level,
            alert.status,
            alert.level,
            stamp,
            note,
        )
        if alert not in raised:
            updated[id(alert)] = alert
    session.flush()
    return raised, list(updated.values())


def _event(
    session: Session,
    alert: Alert,
    action: str,
    from_status: str | None,
    from_level: str | None,
    to_status: str,
    to_level: str,
    at: datetime,
    note: str | None,
    actor: str = SYSTEM_ACTOR,
) -> None:
    event = AlertEvent(
        at=at,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=to_status,
        from_level=from_level,
        to_level=to_level,
        note=note,
    )
    event.alert = alert
    session.add(event)


# --------------------------------------------------------------------------- lifecycle


def get_alert(*, session: Session, alert_id: int) -> Alert:
    """The alert ``alert_id``; :class:`AlertNotFound` when there is none."""
    alert = session.get(Alert, alert_id)
    if alert is None:
        raise AlertNotFound(f"alert {alert_id} does not exist")
    return alert


def transition_alert(
    *,
    session: Session,
    alert_id: int,
    to_status: str,
    actor: str,
    note: str | None = None,
    outcome: str | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Alert:
    """Move alert ``alert_id`` to ``to_status``, audited as ``actor`` with ``note``.

    Raises
    ------
    AlertNotFound
        No such alert.
    InvalidTransition
        The lifecycle does not allow the move, the outcome is missing or not
        allowed, or the actor is empty.
    StaleAlert
        ``expected_version`` is not the alert's version, or another session
        changed the alert meanwhile.
    """
    if to_status not in ALERT_STATUSES:
        raise InvalidTransition(
            f"status must be one of {', '.join(ALERT_STATUSES)}, got {to_status!r}"
        )
    actor = (actor or "").strip()
    if not actor or len(actor) > 100:
        raise InvalidTransition("actor (who makes the change) is required, at most 100 characters")
    alert = get_alert(session=session, alert_id=alert_id)
    if expected_version is not None and alert.version != expected_version:
        raise StaleAlert(
            f"alert {alert_id} is at version {alert.version}, not {expected_version}: "
            "someone changed it meanwhile; reload it and try again"
        )
    allowed = TRANSITIONS[alert.status]
    if to_status not in allowed:
        can = " or ".join(allowed) if allowed else "nothing (it is closed)"
        raise InvalidTransition(
            f"alert {alert_id} is {alert.status}: it can move to {can}, not to {to_status}"
        )
    if to_status == "closed":
        if outcome not in ALERT_OUTCOMES:
            raise InvalidTransition(
                f"closing alert {alert_id} needs an outcome: {' or '.join(ALERT_OUTCOMES)}"
                + (f" (got {outcome!r})" if outcome is not None else "")
            )
    elif outcome is not None:
        raise InvalidTransition(f"an outcome is given only when closing (moving to {to_status})")
    stamp = now or utcnow()
    from_status = alert.status
    alert.status = to_status
    alert.outcome = outcome
    alert.updated_at = stamp
    if to_status == "closed":
        alert.closed_at = stamp
    text = note.strip() if note else None
    if outcome is not None:
        text = f"outcome: {outcome}" + (f"; {text}" if text else "")
    _event(
        session,
        alert,
        "transition",
        from_status,
        alert.level,
        to_status,
        alert.level,
        stamp,
        text,
        actor=actor,
    )
    try:
        session.flush()
    except StaleDataError as exc:
        raise StaleAlert(
            f"alert {alert_id} was changed by someone else meanwhile; reload it and try again"
        ) from exc
    return alert


def list_alerts(
    *,
    session: Session,
    status: str | None = None,
    level: str | None = None,
    area_id: int | None = None,
    limit: int = 100,
) -> list[Alert]:
    """Alerts, newest first; ``status="open"`` = every status but closed."""
    query = select(Alert)
    if status == "open":
        query = query.where(Alert.status != "closed")
    elif status is not None:
        if status not in ALERT_STATUSES:
            raise SurveillanceError(
                f"status must be open or one of {', '.join(ALERT_STATUSES)}, got {status!r}"
            )
        query = query.where(Alert.status == status)
    if level is not None:
        if level not in LEVELS:
            raise SurveillanceError(f"level must be one of {', '.join(LEVELS)}, got {level!r}")
        query = query.where(Alert.level == level)
    if area_id is not None:
        query = query.where(Alert.area_id == area_id)
    query = query.order_by(Alert.raised_at.desc(), Alert.id.desc()).limit(max(1, limit))
    return list(session.scalars(query))


def alert_events(*, session: Session, alert_id: int) -> list[AlertEvent]:
    """The audit trail of an alert, oldest first."""
    query = select(AlertEvent).where(AlertEvent.alert_id == alert_id)
    return list(session.scalars(query.order_by(AlertEvent.at, AlertEvent.id)))


def alert_views(
    *,
    session: Session,
    alerts: Sequence[Alert],
    config: SurveillanceConfig,
    with_events: bool = False,
    epoch: date | None = None,
) -> list[AlertOut]:
    """The alerts as views with their area and, optionally, their events.

    ``epoch`` is the city's local day 0 when the caller has it (read from the
    store otherwise).
    """
    if not alerts:
        return []
    if epoch is None:
        epoch = epoch_date(session=session)
    areas: dict[int, Area] = {}
    for chunk in _chunks(sorted({a.area_id for a in alerts})):
        for area in session.scalars(select(Area).where(Area.id.in_(chunk))):
            areas[area.id] = area
    limit = config.early_warning_hours * 3600
    out = []
    for alert in alerts:
        area = areas[alert.area_id]
        events = None
        if with_events:
            events = [
                AlertEventOut.model_validate(e, from_attributes=True)
                for e in alert_events(session=session, alert_id=alert.id)
            ]
        out.append(
            AlertOut(
                id=alert.id,
                area_id=alert.area_id,
                area_code=area.code,
                area_name=area.name,
                area_name_en=area.name_en,
                level=alert.level,
                status=alert.status,
                outcome=alert.outcome,
                signals=list(alert.signals),
                detections=list(alert.detections),
                first_day=alert.first_day,
                last_day=alert.last_day,
                first_date=epoch + timedelta(days=alert.first_day),
                last_date=epoch + timedelta(days=alert.last_day),
                window_days=alert.window_days,
                recipients=list(alert.recipients),
                message_zh=alert.message_zh,
                message_en=alert.message_en,
                data_arrived_at=alert.data_arrived_at,
                raised_at=alert.raised_at,
                latency_seconds=alert.latency_seconds,
                within_standard=alert.latency_seconds <= limit,
                updated_at=alert.updated_at,
                closed_at=alert.closed_at,
                batch_id=alert.batch_id,
                version=alert.version,
                events=events,
            )
        )
    return out
