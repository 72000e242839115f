"""Alerts routed to a department: the indexed ``alert_recipients`` rows follow the JSON
``recipients`` (insert, change, backfill by the migration), and an officer's list is
exactly the alerts whose recipients name their department."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from epicontrol.domains.surveillance.models import Alert, AlertRecipient, recipient_rows
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade
from tests.conftest import fresh_database_url

from .conftest import Store, auth, new_alert


def rows_of(store: Store, alert_id: int) -> set[tuple[str, str]]:
    with Session(store.engine) as session:
        return {
            (r.kind, r.code)
            for r in session.scalars(
                select(AlertRecipient).where(AlertRecipient.alert_id == alert_id)
            )
        }


def test_rows_follow_the_recipients_json(client: TestClient, store: Store) -> None:
    alert_id = new_alert(store, store.area_a, ("health", "police"))
    assert rows_of(store, alert_id) == {("department", "health"), ("department", "police")}
    # re-routed (as an escalation does): the rows are replaced in the same flush
    with Session(store.engine) as session, session.begin():
        alert = session.get(Alert, alert_id)
        assert alert is not None
        alert.recipients = [
            {"kind": "department", "code": "education", "name": "e", "name_en": "e"},
            {"kind": "community", "area_id": 1, "code": "C-1", "name": "c", "name_en": None},
        ]
    assert rows_of(store, alert_id) == {("department", "education"), ("community", "C-1")}
    # a transition changes the status, not the routing: the rows stay
    etag = client.get(f"/api/alerts/{alert_id}", headers=auth(client, "chief")).headers["etag"]
    r = client.post(
        f"/api/alerts/{alert_id}/transition",
        json={"action": "acknowledge"},
        headers={**auth(client, "chief"), "If-Match": etag},
    )
    assert r.status_code == 200
    assert rows_of(store, alert_id) == {("department", "education"), ("community", "C-1")}


def test_recipient_rows_skip_what_cannot_be_indexed() -> None:
    rows = recipient_rows(
        7,
        [
            {"kind": "department", "code": "health"},
            {"kind": "department", "code": "health"},  # twice: one row
            {"kind": "department"},  # no code
            "health",  # not an object
            {"kind": "community", "code": 12},  # code not a string
            {"kind": "district", "code": "D-1"},
        ],
    )
    assert rows == [
        {"alert_id": 7, "kind": "department", "code": "health"},
        {"alert_id": 7, "kind": "district", "code": "D-1"},
    ]
    assert recipient_rows(7, None) == []


@pytest.mark.parametrize(("name", "department"), [("health1", "health"), ("police1", "police")])
def test_officer_list_is_the_alerts_routed_to_them(
    client: TestClient, store: Store, name: str, department: str
) -> None:
    new_alert(store, store.area_b, (department,))
    new_alert(store, store.area_a, ("education", department))
    new_alert(store, store.area_a, ("education",))
    with Session(store.engine) as session:
        # an independent recomputation from the JSON, newest first as the API orders
        expected = [
            a.id
            for a in session.scalars(
                select(Alert).order_by(Alert.raised_at.desc(), Alert.id.desc())
            )
            if any(
                r.get("kind") == "department" and r.get("code") == department for r in a.recipients
            )
        ]
    r = client.get("/api/alerts", params={"limit": 500}, headers=auth(client, name))
    assert r.status_code == 200
    body = r.json()
    assert body["total"] == len(expected) >= 2
    assert [a["id"] for a in body["items"]] == expected
    page = client.get(
        "/api/alerts", params={"limit": 1, "offset": 1}, headers=auth(client, name)
    ).json()
    assert page["total"] == len(expected) and [a["id"] for a in page["items"]] == expected[1:2]
    outside = next(a.id for a in _all_alerts(store) if department not in _departments(a.recipients))
    assert client.get(f"/api/alerts/{outside}", headers=auth(client, name)).status_code == 404


def _all_alerts(store: Store) -> list[Alert]:
    with Session(store.engine) as session:
        return list(session.scalars(select(Alert)))


def _departments(recipients: list[dict[str, object]]) -> set[object]:
    return {r.get("code") for r in recipients if r.get("kind") == "department"}


def test_migration_fills_the_rows_of_stored_alerts(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = make_engine(fresh_database_url(backend, tmp_path, request))
    try:
        upgrade(engine, "0011")
        now = datetime(2026, 11, 5, 2, 0)
        with engine.begin() as c:
            c.execute(
                text(
                    "INSERT INTO areas (id, code, level, name, population, households) "
                    "VALUES (0, 'X', 'city', 'x', 0, 0)"
                )
            )
            for recipients in (
                [{"kind": "department", "code": "health"}, {"kind": "community", "code": "C"}],
                [],
                [{"kind": "department", "code": "police"}, {"kind": "department"}],
            ):
                c.execute(
                    insert(Alert).values(
                        area_id=0,
                        level="yellow",
                        status="raised",
                        signals=[],
                        detections=[],
                        first_day=0,
                        last_day=0,
                        window_days=7,
                        recipients=recipients,
                        message_zh="m",
                        message_en="m",
                        data_arrived_at=now,
                        raised_at=now,
                        latency_seconds=0.0,
                        updated_at=now,
                        version=1,
                    )
                )
        upgrade(engine)
        with engine.connect() as c:
            got = set(
                c.execute(
                    text(
                        "SELECT a.id, r.kind, r.code FROM alert_recipients r "
                        "JOIN alerts a ON a.id = r.alert_id"
                    )
                ).all()
            )
            ids = [r[0] for r in c.execute(text("SELECT id FROM alerts ORDER BY id"))]
        assert got == {
            (ids[0], "department", "health"),
            (ids[0], "community", "C"),
            (ids[2], "department", "police"),
        }
    finally:
        engine.dispose()
