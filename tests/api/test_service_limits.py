"""The service's per-process parts: admission control, pool settings, the city facts
cache, and the contact totals read from the investigations' counts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from starlette.types import Receive, Scope, Send

from epicontrol.api import queries
from epicontrol.api.app import AdmissionMiddleware
from epicontrol.api.cityfacts import CityFactsCache
from epicontrol.api.settings import ApiSettings
from epicontrol.domains.city.models import City
from epicontrol.domains.surveillance.service import epoch_date
from epicontrol.domains.tracing.models import Contact, Investigation
from epicontrol.domains.users.schemas import Viewer

from .conftest import Store, auth


class Counting:
    """An ASGI app that records how many requests are inside it at once."""

    def __init__(self) -> None:
        self.inside = 0
        self.peak = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.inside += 1
        self.peak = max(self.peak, self.inside)
        await asyncio.sleep(0.01)
        self.inside -= 1
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})


async def _burst(app: AdmissionMiddleware, path: str, n: int) -> list[int]:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:
        replies = await asyncio.gather(*(c.get(path) for _ in range(n)))
    return [r.status_code for r in replies]


def test_admission_lets_in_at_most_the_limit() -> None:
    inner = Counting()
    app = AdmissionMiddleware(inner, limit=3)
    assert asyncio.run(_burst(app, "/api/tasks", 12)) == [200] * 12
    assert inner.peak == 3 and inner.inside == 0
    # a second event loop gets its own semaphore (TestClient, several test clients)
    assert asyncio.run(_burst(app, "/api/tasks", 4)) == [200] * 4
    # static files are not counted
    inner.peak = 0
    assert asyncio.run(_burst(app, "/static/echarts.min.js", 12)) == [200] * 12
    assert inner.peak == 12
    with pytest.raises(ValueError, match="limit: must be at least 1"):
        AdmissionMiddleware(inner, limit=0)


def test_pool_covers_the_requests_in_flight() -> None:
    default = ApiSettings()
    assert default.pool_size() == default.max_in_flight + 2
    assert default.max_overflow() == default.max_in_flight
    given = ApiSettings(max_in_flight=4, db_pool_size=6, db_max_overflow=0)
    assert (given.pool_size(), given.max_overflow()) == (6, 0)
    with pytest.raises(ValueError, match="db_pool_size: must be at least max_in_flight"):
        ApiSettings(max_in_flight=10, db_pool_size=5)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_city_facts_are_kept_for_their_ttl(store: Store) -> None:
    clock = Clock()
    cache = CityFactsCache(60, clock=clock)
    with store.engine.connect() as connection:
        tx = connection.begin()
        session = Session(bind=connection, join_transaction_mode="create_savepoint")
        offset = session.scalars(select(City)).one().utc_offset_minutes
        facts = cache.get(session)
        assert facts is not None
        assert facts.tz == timezone(timedelta(minutes=offset))
        assert facts.epoch == epoch_date(session=session)
        # the city row changes (a re-import): seen once the TTL has passed
        session.execute(update(City).values(utc_offset_minutes=offset + 60))
        session.expire_all()
        clock.now = 59.0
        assert cache.tz(session) == facts.tz
        clock.now = 60.0
        assert cache.tz(session) == timezone(timedelta(minutes=offset + 60))
        session.close()
        tx.rollback()
    with pytest.raises(ValueError, match="ttl_seconds: must be > 0"):
        CityFactsCache(0)


def test_a_store_without_city_is_not_cached(session: Session) -> None:
    cache = CityFactsCache(3600, clock=Clock())
    assert cache.get(session) is None and cache.tz(session) == UTC
    session.add(
        City(
            id=0,
            name="测试市",
            name_en="Test City",
            epoch_utc=datetime(2026, 10, 31, 16, 0),
            timezone="Asia/Shanghai",
            utc_offset_minutes=480,
            source="generated",
            seed=1,
            days=1,
            created_at=datetime(2026, 11, 1),
        )
    )
    session.flush()
    facts = cache.get(session)  # the new city is seen at once
    assert facts is not None and facts.tz == timezone(timedelta(hours=8))
    assert facts.epoch.isoformat() == "2026-11-01"


def _count(session: Session, *where: object) -> int:
    current = select(Investigation.id).where(Investigation.superseded_at.is_(None))
    query = select(func.count()).select_from(Contact).where(Contact.investigation_id.in_(current))
    return int(session.scalar(query.where(*where)) or 0)  # type: ignore[arg-type]


@pytest.mark.parametrize("category", [None, "close", "secondary", "general", "yellow_code"])
def test_contact_totals_equal_the_stored_rows(
    client: TestClient, store: Store, category: str | None
) -> None:
    params = {} if category is None else {"category": category}
    with Session(store.engine) as session:
        expected = _count(session, *([] if category is None else [Contact.category == category]))
        one_case = _count(
            session,
            Contact.case_id == store.cases_a[0],
            *([] if category is None else [Contact.category == category]),
        )
    r = client.get("/api/contacts", params=params, headers=auth(client, "epi"))
    assert r.status_code == 200 and r.json()["total"] == expected
    r = client.get(
        "/api/contacts",
        params={**params, "case_id": store.cases_a[0]},
        headers=auth(client, "chief"),
    )
    assert r.json()["total"] == one_case
    if category in (None, "close"):
        assert expected == 8 and one_case == 4  # the seeded contacts (4 per case, close)
    # routed to one community, counted row by row: the same rule
    viewer = Viewer(user_id=None, name="e", role="epidemiologist")
    with Session(store.engine) as session:
        total, rows = queries.list_contacts(
            session=session,
            viewer=viewer,
            window=queries.Window(100, 0),
            category=category,
            community_id=store.community_a,
        )
        assert total == _count(
            session,
            Contact.home_community_id == store.community_a,
            *([] if category is None else [Contact.category == category]),
        )
        assert total == len(rows)
