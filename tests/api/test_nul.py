"""Requests carrying NUL (U+0000) get a 422 naming the field, before anything runs."""

from __future__ import annotations

from fastapi.testclient import TestClient

from epicontrol.api.nul import RULE

from .conftest import PASSWORD, Store, auth, new_task


def _loc(r: object) -> list[object]:
    body = r.json()  # type: ignore[attr-defined]
    assert body["detail"][0]["msg"] == RULE
    return body["detail"][0]["loc"]  # type: ignore[no-any-return]


def test_json_body_query_and_form_with_nul(client: TestClient, store: Store) -> None:
    # was a 500 on PostgreSQL ("text fields cannot contain NUL bytes")
    r = client.post("/api/auth/login", json={"name": "\x00", "password": PASSWORD})
    assert r.status_code == 422 and _loc(r) == ["body", "name"]
    r = client.post("/api/auth/login", json={"name": "chief", "password": PASSWORD})
    assert r.status_code == 200  # the same request without NUL goes through

    task = new_task(store, "police")
    h = auth(client, "police1")
    etag = client.get(f"/api/tasks/{task}", headers=h).headers["etag"]
    r = client.post(
        f"/api/tasks/{task}/complete",
        json={"evidence": ["ok", {"note": "a\x00b"}]},
        headers={**h, "If-Match": etag},
    )
    assert r.status_code == 422 and _loc(r) == ["body", "evidence", 1, "note"]
    assert client.get(f"/api/tasks/{task}", headers=h).headers["etag"] == etag  # unchanged

    r = client.get("/api/persons?q=ab%00c", headers=auth(client, "chief"))
    assert r.status_code == 422 and _loc(r) == ["query", "q"]

    r = client.post(
        "/login",
        content=b"name=chief%00&password=x",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert r.status_code == 422 and _loc(r) == ["body", "name"]


def test_ordinary_requests_pass_through(client: TestClient) -> None:
    h = auth(client, "chief")
    assert client.get("/api/persons?limit=2", headers=h).status_code == 200
    r = client.post("/api/auth/login", json={"name": "chief", "password": "wrong-pass"})
    assert r.status_code == 401
