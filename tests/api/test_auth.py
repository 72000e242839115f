"""Login, tokens, cookies, revocation and the public role."""

from __future__ import annotations

import jwt
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.domains.users.models import User

from .conftest import PASSWORD, Store, auth


def test_login_returns_token_and_httponly_cookie(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"name": "chief", "password": PASSWORD})
    assert r.status_code == 200
    body = r.json()
    assert body["token_type"] == "bearer" and body["user"]["role"] == "commander"
    assert "password" not in str(body["user"]) and "hash" not in str(body["user"])
    cookie = r.headers["set-cookie"]
    assert "epicontrol_token=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    # the cookie alone authenticates the browser
    assert client.get("/api/auth/me").json()["role"] == "commander"
    client.post("/api/auth/logout")
    assert client.get("/api/auth/me").json()["role"] == "public"
    client.cookies.clear()


def test_wrong_password_and_unknown_name_are_refused_alike(client: TestClient) -> None:
    wrong = client.post("/api/auth/login", json={"name": "chief", "password": "nope-nope"})
    unknown = client.post("/api/auth/login", json={"name": "nobody", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "set-cookie" not in wrong.headers


def test_password_is_stored_as_argon2id(store: Store) -> None:
    with Session(store.engine) as session:
        hashes = list(session.scalars(select(User.password_hash)))
    assert hashes and all(h.startswith("$argon2id$") for h in hashes)
    assert all(PASSWORD not in h for h in hashes)


def test_bad_and_forged_tokens_get_401(client: TestClient) -> None:
    assert client.get("/api/tasks", headers={"Authorization": "Bearer junk"}).status_code == 401
    forged = jwt.encode(
        {"sub": "1", "iss": "epicontrol", "iat": 1, "exp": 4_000_000_000, "ver": 0},
        "not-the-secret-not-the-secret-not-the-secret",
        algorithm="HS256",
    )
    r = client.get("/api/tasks", headers={"Authorization": f"Bearer {forged}"})
    assert r.status_code == 401
    assert client.get("/api/tasks", headers={"Authorization": "Basic abc"}).status_code == 401


def test_public_sees_only_public_endpoints(client: TestClient) -> None:
    assert client.get("/api/auth/me").json()["role"] == "public"
    assert client.get("/api/public/zones").status_code == 200
    assert client.get("/api/areas").status_code == 200
    assert client.get("/api/health").status_code == 200
    for path in (
        "/api/persons",
        "/api/cases",
        "/api/contacts",
        "/api/alerts",
        "/api/tasks",
        "/api/zones",
        "/api/facilities",
        "/api/quarantine/roster",
        "/api/campaigns",
        "/api/audit",
        "/api/users",
    ):
        r = client.get(path)
        assert r.status_code == 401, path
        assert r.headers["www-authenticate"] == "Bearer"


def test_logout_all_revokes_existing_tokens(client: TestClient) -> None:
    r = client.post("/api/auth/login", json={"name": "site1", "password": PASSWORD})
    client.cookies.clear()
    header = {"Authorization": f"Bearer {r.json()['access_token']}"}
    assert client.get("/api/auth/me", headers=header).json()["name"] == "site1"
    assert client.post("/api/auth/logout-all", headers=header).status_code == 204
    assert client.get("/api/auth/me", headers=header).status_code == 401


def test_cross_site_cookie_write_is_refused(client: TestClient, store: Store) -> None:
    client.post("/api/auth/login", json={"name": "chief", "password": PASSWORD})
    try:
        r = client.post(
            "/api/alerts/1/transition",
            json={"action": "acknowledge"},
            headers={"Origin": "http://evil.example", "If-Match": '"v1"'},
        )
        assert r.status_code == 403 and "origin" in r.json()["detail"]
    finally:
        client.cookies.clear()


def test_users_admin_is_commander_only(client: TestClient) -> None:
    assert client.get("/api/users", headers=auth(client, "epi")).status_code == 403
    listed = client.get("/api/users", headers=auth(client, "chief")).json()
    assert {u["name"] for u in listed["items"]} >= {"chief", "gridA", "police1"}
    bad = client.post(
        "/api/users",
        headers=auth(client, "chief"),
        json={"name": "g2", "password": "longenough", "role": "grid_worker"},
    )
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["body", "community_id"]
