"""Optimistic concurrency (ETag / If-Match → 409), the audit log, pagination, bad input."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .conftest import Store, auth, new_alert, new_task


def test_stale_if_match_gets_409_and_changes_nothing(client: TestClient, store: Store) -> None:
    alert = new_alert(store, store.area_a)
    first = client.get(f"/api/alerts/{alert}", headers=auth(client, "chief"))
    etag = first.headers["etag"]
    assert etag == f'"v{first.json()["version"]}"'
    # officer 1 acknowledges with the ETag they read
    ok = client.post(
        f"/api/alerts/{alert}/transition",
        json={"action": "acknowledge"},
        headers={**auth(client, "chief"), "If-Match": etag},
    )
    assert ok.status_code == 200 and ok.json()["status"] == "acknowledged"
    assert ok.headers["etag"] != etag
    # officer 2, holding the same (now stale) copy, tries to act: 409, nothing written
    stale = client.post(
        f"/api/alerts/{alert}/transition",
        json={"action": "close", "outcome": "false_alarm"},
        headers={**auth(client, "epi"), "If-Match": etag},
    )
    assert stale.status_code == 409 and "version" in stale.json()["detail"]
    now = client.get(f"/api/alerts/{alert}", headers=auth(client, "chief")).json()
    assert now["status"] == "acknowledged" and now["outcome"] is None
    # with the fresh ETag the close goes through
    closed = client.post(
        f"/api/alerts/{alert}/transition",
        json={"action": "close", "outcome": "false_alarm", "note": "checked"},
        headers={**auth(client, "epi"), "If-Match": ok.headers["etag"]},
    )
    assert closed.status_code == 200 and closed.json()["outcome"] == "false_alarm"


def test_task_stale_if_match(client: TestClient, store: Store) -> None:
    task = new_task(store, "police")
    etag = client.get(f"/api/tasks/{task}", headers=auth(client, "police1")).headers["etag"]
    h = {**auth(client, "police1"), "If-Match": etag}
    assert client.post(f"/api/tasks/{task}/start", headers=h).status_code == 200
    r = client.post(f"/api/tasks/{task}/complete", json={"evidence": "x"}, headers=h)
    assert r.status_code == 409


def test_if_match_is_required_and_must_be_well_formed(client: TestClient, store: Store) -> None:
    alert = new_alert(store, store.area_a)
    url = f"/api/alerts/{alert}/transition"
    r = client.post(url, json={"action": "acknowledge"}, headers=auth(client, "chief"))
    assert r.status_code == 428 and "If-Match" in r.json()["detail"]
    r = client.post(
        url, json={"action": "acknowledge"}, headers={**auth(client, "chief"), "If-Match": "*"}
    )
    assert r.status_code == 400


def test_invalid_transition_and_missing_outcome(client: TestClient, store: Store) -> None:
    alert = new_alert(store, store.area_a)
    h = {**auth(client, "chief"), "If-Match": '"v1"'}
    r = client.post(f"/api/alerts/{alert}/transition", json={"action": "investigate"}, headers=h)
    assert r.status_code == 409 and "raised" in r.json()["detail"]
    r = client.post(f"/api/alerts/{alert}/transition", json={"action": "close"}, headers=h)
    assert r.status_code == 422 and "outcome" in r.text
    r = client.post(
        f"/api/alerts/{alert}/transition",
        json={"action": "close", "outcome": "false_alarm"},
        headers=h,
    )
    assert r.status_code == 409 and "raised" in r.json()["detail"]


def test_writes_are_audited_with_before_and_after(client: TestClient, store: Store) -> None:
    task = new_task(store, "police")
    etag = client.get(f"/api/tasks/{task}", headers=auth(client, "police1")).headers["etag"]
    r = client.post(
        f"/api/tasks/{task}/complete",
        json={"evidence": "venue closed, notice posted"},
        headers={**auth(client, "police1"), "If-Match": etag, "X-Request-ID": "req-audit-1"},
    )
    assert r.status_code == 200 and r.headers["x-request-id"] == "req-audit-1"
    log = client.get(
        "/api/audit",
        params={"entity": "task", "entity_id": str(task)},
        headers=auth(client, "chief"),
    ).json()
    assert log["total"] == 1
    row = log["items"][0]
    assert row["actor"] == "police1" and row["role"] == "department_officer"
    assert row["action"] == "task.complete" and row["request_id"] == "req-audit-1"
    assert row["before"]["status"] == "open" and row["after"]["status"] == "done"
    assert row["after"]["evidence"] == "venue closed, notice posted"
    # a refused write leaves no audit row (the request rolled back)
    client.post(
        f"/api/tasks/{task}/complete",
        json={"evidence": "again"},
        headers={**auth(client, "police1"), "If-Match": r.headers["etag"]},
    )
    again = client.get(
        "/api/audit",
        params={"entity": "task", "entity_id": str(task)},
        headers=auth(client, "chief"),
    ).json()
    assert again["total"] == 1
    for name in ("epi", "police1", "gridA", "site1"):
        assert client.get("/api/audit", headers=auth(client, name)).status_code == 403


def test_audit_log_is_append_only(store: Store) -> None:
    with Session(store.engine) as session, session.begin():
        session.execute(
            text(
                "INSERT INTO audit_log (at, actor, role, action, entity) "
                "VALUES (CURRENT_TIMESTAMP, 't', 'system', 'test.append', 'test')"
            )
        )
    for statement in (
        "UPDATE audit_log SET actor = 'forged'",
        "DELETE FROM audit_log",
    ):
        with (
            pytest.raises(DBAPIError, match="append-only"),
            Session(store.engine) as session,
            session.begin(),
        ):
            session.execute(text(statement))


def test_pagination_total_and_pages(client: TestClient, store: Store) -> None:
    h = auth(client, "chief")
    first = client.get("/api/persons", params={"limit": 7, "offset": 0}, headers=h).json()
    second = client.get("/api/persons", params={"limit": 7, "offset": 7}, headers=h).json()
    assert first["total"] == second["total"] >= 2_000 - 50
    assert len(first["items"]) == len(second["items"]) == 7
    assert not ({p["id"] for p in first["items"]} & {p["id"] for p in second["items"]})
    last = client.get(
        "/api/persons", params={"limit": 7, "offset": first["total"] - 3}, headers=h
    ).json()
    assert len(last["items"]) == 3
    capped = client.get("/api/persons", params={"limit": 5000}, headers=h).json()
    assert capped["limit"] == 500 and len(capped["items"]) == 500


def test_filter_by_area_and_date(client: TestClient, store: Store) -> None:
    h = auth(client, "chief")
    by_area = client.get("/api/cases", params={"community_id": store.community_b}, headers=h).json()
    assert [c["id"] for c in by_area["items"]] == [store.case_b]
    later = client.get(
        "/api/cases", params={"reported_from": "2026-11-06T00:00:00Z"}, headers=h
    ).json()
    assert later["total"] == 0
    assert (
        client.get("/api/cases", params={"reported_from": "yesterday"}, headers=h).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"action": "acknowledge", "note": "x" * 5000}, "note"),
        ({"action": "explode"}, "action"),
        ({"action": "acknowledge", "extra": 1}, "extra"),
    ],
)
def test_bad_input_names_the_field(
    client: TestClient, store: Store, body: dict[str, object], field: str
) -> None:
    alert = new_alert(store, store.area_a)
    r = client.post(
        f"/api/alerts/{alert}/transition",
        json=body,
        headers={**auth(client, "chief"), "If-Match": '"v1"'},
    )
    assert r.status_code == 422
    assert any(field in ".".join(map(str, e["loc"])) for e in r.json()["detail"])


def test_malformed_json_is_422(client: TestClient, store: Store) -> None:
    r = client.post(
        "/api/auth/login", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 422
    assert client.get("/api/tasks/999999", headers=auth(client, "chief")).status_code == 404
