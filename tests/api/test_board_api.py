"""``GET /api/board``: the cached board per scope, its roles and its freshness headers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from epicontrol.api.app import create_app
from epicontrol.api.settings import ApiSettings
from epicontrol.config import Settings
from epicontrol.domains.board.service import city_board

from .conftest import Store, auth


@pytest.fixture(scope="module")
def board_client(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """An app of its own, so that its board cache starts empty in this module."""
    workspace: Path = tmp_path_factory.mktemp("board-ws")
    app = create_app(
        Settings(workspace=workspace),
        engine=store.engine,
        api_settings=ApiSettings(board_ttl_seconds=600),
    )
    with TestClient(app) as c:
        yield c


def test_commander_gets_the_city_board_from_the_cache(
    board_client: TestClient, store: Store
) -> None:
    r = board_client.get("/api/board", headers=auth(board_client, "chief"))
    assert r.status_code == 200, r.text
    body = r.json()
    with Session(store.engine) as session:
        direct = city_board(session=session)
    assert body["scope"]["level"] == "city"
    assert body["cases"] == direct.cases.model_dump(mode="json")
    assert body["alerts"] == [a.model_dump(mode="json") for a in direct.alerts]
    assert [k["key"] for k in body["kpis"]] == [k.key for k in direct.kpis]
    age = int(r.headers["age"])
    assert 0 <= age <= 600
    assert r.headers["cache-control"].startswith("private, max-age=")
    cache = board_client.app.state.board_cache  # type: ignore[attr-defined]
    builds = cache.builds
    again = board_client.get("/api/board", headers=auth(board_client, "epi"))
    assert again.json()["as_of"] == body["as_of"]  # the same board, figures as of then
    assert cache.builds == builds


def test_grid_worker_gets_their_community_only(board_client: TestClient, store: Store) -> None:
    r = board_client.get("/api/board", headers=auth(board_client, "gridA"))
    assert r.status_code == 200
    assert r.json()["scope"] == {
        **r.json()["scope"],
        "level": "community",
        "area_id": store.community_a,
    }
    with Session(store.engine) as session:
        direct = city_board(session=session, community_id=store.community_a)
    assert r.json()["cases"] == direct.cases.model_dump(mode="json")
    own = board_client.get(
        "/api/board",
        params={"community_id": store.community_a},
        headers=auth(board_client, "gridA"),
    )
    assert own.status_code == 200
    other = board_client.get(
        "/api/board",
        params={"community_id": store.community_b},
        headers=auth(board_client, "gridA"),
    )
    assert other.status_code == 404 and "community_id" in other.json()["detail"]


def test_city_roles_may_ask_for_a_community(board_client: TestClient, store: Store) -> None:
    r = board_client.get(
        "/api/board",
        params={"community_id": store.community_b},
        headers=auth(board_client, "chief"),
    )
    assert r.status_code == 200 and r.json()["scope"]["area_id"] == store.community_b
    officer = board_client.get(
        "/api/board",
        params={"community_id": store.community_b},
        headers=auth(board_client, "police1"),
    )
    assert officer.status_code == 404
    city = board_client.get("/api/board", headers=auth(board_client, "site1"))
    assert city.status_code == 200 and city.json()["scope"]["level"] == "city"


def test_bad_scopes_are_4xx(board_client: TestClient, store: Store) -> None:
    assert board_client.get("/api/board").status_code == 401
    unknown = board_client.get(
        "/api/board", params={"community_id": 9_999_999}, headers=auth(board_client, "chief")
    )
    assert unknown.status_code == 404 and "community_id" in unknown.json()["detail"]
    building = board_client.get(
        "/api/board", params={"community_id": store.area_a}, headers=auth(board_client, "chief")
    )
    assert building.status_code == 422
    assert "community_id" in building.json()["detail"][0]["msg"]
    bad = board_client.get(
        "/api/board", params={"community_id": "x"}, headers=auth(board_client, "chief")
    )
    assert bad.status_code == 422
