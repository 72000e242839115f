"""Alerts: raising, updating instead of duplicating, lifecycle, audit and optimistic locking."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.domains.surveillance import service
from epicontrol.domains.surveillance.models import Alert, AlertEvent
from epicontrol.domains.surveillance.routing import SurveillanceConfig
from epicontrol.store.engine import make_engine, make_sessionmaker
from epicontrol.store.migrate import upgrade
from tests.conftest import fresh_database_url

from .conftest import SmallCity, add_city

ARRIVED = datetime(2026, 11, 20, 1, 0, 0)
CONFIG = SurveillanceConfig()


def detection(signal: str, day: int, count: float = 30.0) -> dict[str, object]:
    return {
        "signal": signal,
        "detector": "ears-c2",
        "day": day,
        "date": f"2026-11-{2 + day:02d}",
        "count": count,
        "statistic": 5.0,
        "threshold": 12.5,
        "p_value": None,
    }


def candidate(area: int, day: int, level: str, *signals: str) -> service.AlarmCandidate:
    return service.AlarmCandidate(
        area_id=area,
        day=day,
        level=level,
        signals=list(signals),
        detections=[detection(s, day) for s in signals],
    )


def raise_one(session: Session, city: SmallCity, **kw: object) -> Alert:
    raised, updated = service.record_alarms(
        session=session,
        candidates=[candidate(city.communities[0], 10, "blue", "fever_clinic")],
        config=CONFIG,
        data_arrived_at=ARRIVED,
        now=ARRIVED + timedelta(seconds=42),
    )
    assert len(raised) == 1 and not updated
    return raised[0]


def test_a_raised_alert_has_area_recipients_messages_latency_and_an_event(
    session: Session, city: SmallCity
) -> None:
    alert = raise_one(session, city)
    assert alert.status == "raised" and alert.level == "blue" and alert.outcome is None
    assert alert.signals == ["fever_clinic"]
    assert alert.first_day == alert.last_day == 10
    assert alert.latency_seconds == pytest.approx(42.0)
    assert alert.version == 1
    kinds = [(r["kind"], r["code"]) for r in alert.recipients]
    assert ("department", "health") in kinds and ("department", "cdc") in kinds
    assert ("community", city.codes[city.communities[0]]) in kinds
    assert not any(k == "district" for k, _ in kinds)  # blue: not yet the district
    assert "蓝色预警" in alert.message_zh and "发热门诊就诊 30" in alert.message_zh
    assert alert.message_en.startswith("[Blue alert] Community 00, District 0: aberrant")
    assert "2026-11-12" in alert.message_en
    events = service.alert_events(session=session, alert_id=alert.id)
    assert [(e.action, e.from_status, e.to_status, e.actor) for e in events] == [
        ("raise", None, "raised", "surveillance")
    ]
    view = service.alert_views(session=session, alerts=[alert], config=CONFIG)[0]
    assert view.within_standard and view.area_code == city.codes[city.communities[0]]
    assert view.last_date.isoformat() == "2026-11-12"


def test_repeated_alarms_update_the_open_alert_instead_of_duplicating(
    session: Session, city: SmallCity
) -> None:
    alert = raise_one(session, city)
    area = city.communities[0]
    # the same alarm again: nothing changes
    raised, updated = service.record_alarms(
        session=session,
        candidates=[candidate(area, 10, "blue", "fever_clinic")],
        config=CONFIG,
        data_arrived_at=ARRIVED,
    )
    assert raised == [] and updated == []
    assert alert.version == 1
    # the same signal two days later, inside the window: update
    raised, updated = service.record_alarms(
        session=session,
        candidates=[candidate(area, 12, "blue", "fever_clinic")],
        config=CONFIG,
        data_arrived_at=ARRIVED,
    )
    assert raised == [] and updated == [alert]
    assert alert.last_day == 12 and len(alert.detections) == 2 and alert.version == 2
    # a second signal: escalates to yellow, recipients and message follow
    raised, updated = service.record_alarms(
        session=session,
        candidates=[candidate(area, 13, "yellow", "fever_clinic", "pharmacy_fever_drug")],
        config=CONFIG,
        data_arrived_at=ARRIVED,
    )
    assert updated == [alert] and alert.level == "yellow"
    assert alert.signals == ["fever_clinic", "pharmacy_fever_drug"]
    assert ("department", "market_regulation") in [(r["kind"], r["code"]) for r in alert.recipients]
    assert "黄色预警" in alert.message_zh
    actions = [e.action for e in service.alert_events(session=session, alert_id=alert.id)]
    assert actions == ["raise", "update", "escalate"]
    assert session.scalar(select(func.count()).select_from(Alert)) == 1
    # past the window (last day 13 + 7): a new alert
    raised, _ = service.record_alarms(
        session=session,
        candidates=[candidate(area, 21, "blue", "fever_clinic")],
        config=CONFIG,
        data_arrived_at=ARRIVED,
    )
    assert len(raised) == 1 and raised[0].id != alert.id


def test_a_closed_alert_is_not_reopened(session: Session, city: SmallCity) -> None:
    alert = raise_one(session, city)
    service.transition_alert(
        session=session, alert_id=alert.id, to_status="acknowledged", actor="a"
    )
    service.transition_alert(
        session=session, alert_id=alert.id, to_status="closed", actor="a", outcome="false_alarm"
    )
    raised, updated = service.record_alarms(
        session=session,
        candidates=[candidate(city.communities[0], 11, "blue", "fever_clinic")],
        config=CONFIG,
        data_arrived_at=ARRIVED,
    )
    assert len(raised) == 1 and updated == []


def test_lifecycle_is_audited_with_who_when_from_to_and_note(
    session: Session, city: SmallCity
) -> None:
    alert = raise_one(session, city)
    t0 = ARRIVED + timedelta(minutes=5)
    service.transition_alert(
        session=session,
        alert_id=alert.id,
        to_status="acknowledged",
        actor="cdc-duty-officer",
        note="received",
        now=t0,
        expected_version=1,
    )
    service.transition_alert(
        session=session,
        alert_id=alert.id,
        to_status="investigating",
        actor="epi-team-3",
        expected_version=2,
    )
    service.transition_alert(
        session=session,
        alert_id=alert.id,
        to_status="closed",
        actor="epi-team-3",
        outcome="outbreak_confirmed",
        note="cluster of 5 influenza A cases",
    )
    assert alert.status == "closed" and alert.outcome == "outbreak_confirmed"
    assert alert.closed_at is not None and alert.version == 4
    events = service.alert_events(session=session, alert_id=alert.id)
    assert [(e.actor, e.from_status, e.to_status) for e in events] == [
        ("surveillance", None, "raised"),
        ("cdc-duty-officer", "raised", "acknowledged"),
        ("epi-team-3", "acknowledged", "investigating"),
        ("epi-team-3", "investigating", "closed"),
    ]
    assert events[1].at == t0 and events[1].note == "received"
    assert events[3].note == "outcome: outbreak_confirmed; cluster of 5 influenza A cases"
    view = service.alert_views(session=session, alerts=[alert], config=CONFIG, with_events=True)
    assert view[0].events is not None and len(view[0].events) == 4


@pytest.mark.parametrize(
    ("moves", "to", "outcome", "message"),
    [
        ([], "closed", "false_alarm", "is raised: it can move to acknowledged, not to closed"),
        ([], "investigating", None, "it can move to acknowledged, not to investigating"),
        (["acknowledged"], "closed", None, "needs an outcome: outbreak_confirmed or false_alarm"),
        (["acknowledged"], "closed", "maybe", "(got 'maybe')"),
        (["acknowledged"], "investigating", "false_alarm", "an outcome is given only when"),
        (["acknowledged"], "raised", None, "not to raised"),
        ([], "reopened", None, "status must be one of"),
    ],
)
def test_invalid_transitions_are_refused_with_a_clear_message(
    session: Session,
    city: SmallCity,
    moves: list[str],
    to: str,
    outcome: str | None,
    message: str,
) -> None:
    alert = raise_one(session, city)
    for move in moves:
        service.transition_alert(session=session, alert_id=alert.id, to_status=move, actor="x")
    status = alert.status
    with pytest.raises(
        service.InvalidTransition, match=message.replace("(", r"\(").replace(")", r"\)")
    ):
        service.transition_alert(
            session=session, alert_id=alert.id, to_status=to, actor="x", outcome=outcome
        )
    assert alert.status == status


def test_a_closed_alert_cannot_move_and_an_actor_is_required(
    session: Session, city: SmallCity
) -> None:
    alert = raise_one(session, city)
    with pytest.raises(service.InvalidTransition, match="actor"):
        service.transition_alert(
            session=session, alert_id=alert.id, to_status="acknowledged", actor=" "
        )
    service.transition_alert(
        session=session, alert_id=alert.id, to_status="acknowledged", actor="a"
    )
    service.transition_alert(
        session=session, alert_id=alert.id, to_status="closed", actor="a", outcome="false_alarm"
    )
    with pytest.raises(service.InvalidTransition, match=r"nothing \(it is closed\)"):
        service.transition_alert(
            session=session, alert_id=alert.id, to_status="investigating", actor="a"
        )
    with pytest.raises(service.AlertNotFound, match="alert 999999 does not exist"):
        service.transition_alert(session=session, alert_id=999999, to_status="closed", actor="a")


def test_a_stale_expected_version_is_refused(session: Session, city: SmallCity) -> None:
    alert = raise_one(session, city)
    service.transition_alert(
        session=session, alert_id=alert.id, to_status="acknowledged", actor="a"
    )
    with pytest.raises(service.StaleAlert, match="is at version 2, not 1"):
        service.transition_alert(
            session=session,
            alert_id=alert.id,
            to_status="investigating",
            actor="b",
            expected_version=1,
        )


def test_concurrent_changes_hit_the_optimistic_lock(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = make_engine(fresh_database_url(backend, tmp_path, request))
    try:
        upgrade(engine)
        with Session(engine) as s, s.begin():
            city = add_city(s)
            alert_id = raise_one(s, city).id
        sessions = make_sessionmaker(engine)  # the project's sessions keep objects loaded
        first, second = sessions(), sessions()
        try:
            seen = first.get(Alert, alert_id)  # operator A opens the alert (version 1) ...
            assert seen is not None and seen.version == 1
            first.commit()
            service.transition_alert(  # ... B acknowledges it meanwhile
                session=second, alert_id=alert_id, to_status="acknowledged", actor="b"
            )
            second.commit()
            # A's copy is still version 1: its update must not overwrite B's change
            with pytest.raises(service.StaleAlert, match="changed by someone else"):
                service.transition_alert(
                    session=first, alert_id=alert_id, to_status="acknowledged", actor="a"
                )
            first.rollback()
        finally:
            first.close()
            second.close()
        with Session(engine) as s:
            stored = s.get(Alert, alert_id)
            assert stored is not None and stored.status == "acknowledged" and stored.version == 2
            n = s.scalar(select(func.count()).select_from(AlertEvent))
            assert n == 2  # raise + b's acknowledgement; a's event was rolled back
    finally:
        engine.dispose()


def test_list_alerts_filters(session: Session, city: SmallCity) -> None:
    a, b = city.communities[0], city.communities[4]
    service.record_alarms(
        session=session,
        candidates=[
            candidate(a, 10, "blue", "fever_clinic"),
            candidate(b, 10, "orange", "fever_clinic", "pharmacy_fever_drug", "school_absence"),
        ],
        config=CONFIG,
        data_arrived_at=ARRIVED,
    )
    assert len(service.list_alerts(session=session)) == 2
    orange = service.list_alerts(session=session, level="orange")
    assert [x.area_id for x in orange] == [b]
    # orange reaches the district office and the command centre
    codes = [r["code"] for r in orange[0].recipients]
    assert "command_centre" in codes and "D1" in codes and "education" in codes
    assert [x.area_id for x in service.list_alerts(session=session, area_id=a)] == [a]
    service.transition_alert(
        session=session, alert_id=orange[0].id, to_status="acknowledged", actor="x"
    )
    assert len(service.list_alerts(session=session, status="raised")) == 1
    assert len(service.list_alerts(session=session, status="open")) == 2
    with pytest.raises(service.SurveillanceError, match="status must be open or one of"):
        service.list_alerts(session=session, status="pending")
    with pytest.raises(service.SurveillanceError, match="level must be one of"):
        service.list_alerts(session=session, level="purple")


def test_unknown_areas_and_a_missing_city_are_reported(session: Session) -> None:
    with pytest.raises(service.SurveillanceError, match="holds no city yet"):
        service.record_alarms(
            session=session,
            candidates=[candidate(1, 1, "blue", "fever_clinic")],
            config=CONFIG,
            data_arrived_at=ARRIVED,
        )
    city = add_city(session)
    with pytest.raises(service.SurveillanceError, match="unknown area id"):
        service.record_alarms(
            session=session,
            candidates=[candidate(city.communities[-1] + 100, 1, "blue", "fever_clinic")],
            config=CONFIG,
            data_arrived_at=ARRIVED,
        )
