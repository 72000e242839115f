"""The per-process board cache: kept for the TTL, refreshed in the background, bounded
staleness, single scope per key, errors not cached."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.domains.board.cache import BoardCache
from epicontrol.domains.board.schemas import BoardOut
from epicontrol.domains.board.scope import BoardInputError, BoardNotFound
from epicontrol.domains.board.service import city_board
from epicontrol.domains.city.models import Area
from epicontrol.domains.surveillance.models import Alert
from epicontrol.domains.tracing.context import TracingContext

from .conftest import Scenario


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def sessions_of(session: Session) -> Callable[[], Session]:
    """Sessions on the test's connection, inside its transaction (rolled back at the end)."""
    return lambda: Session(bind=session.connection(), join_transaction_mode="create_savepoint")


def open_red(board: BoardOut) -> int:
    return next(a.open for a in board.alerts if a.level == "red")


def add_red_alert(session: Session, area_id: int) -> None:
    now = datetime.now(UTC).replace(tzinfo=None) - timedelta(minutes=1)
    session.add(
        Alert(
            area_id=area_id,
            level="red",
            status="raised",
            outcome=None,
            signals=["fever_clinic"],
            detections=[],
            first_day=0,
            last_day=0,
            window_days=7,
            recipients=[],
            message_zh="测试",
            message_en="test",
            data_arrived_at=now,
            raised_at=now,
            latency_seconds=0.0,
            updated_at=now,
        )
    )
    session.flush()


def test_board_is_kept_for_the_ttl_then_rebuilt(session: Session, scenario: Scenario) -> None:
    clock = FakeClock()
    cache = BoardCache(sessions_of(session), ttl_seconds=10, clock=clock, background=False)
    assert cache.ready() is None
    first = cache.get()
    assert cache.builds == 1
    direct = city_board(session=session)
    assert first.board.cases == direct.cases and first.board.alerts == direct.alerts
    assert first.board.scope.level == "city"
    assert first.json == first.board.model_dump_json().encode()
    # a new red alert: the kept board does not show it until the TTL has passed
    before = open_red(first.board)
    add_red_alert(session, scenario.community_a)
    clock.now = 9.9
    assert cache.get() is first and cache.builds == 1
    assert cache.age(first) == pytest.approx(9.9)
    clock.now = 10.0
    second = cache.get()
    assert cache.builds == 2 and second is not first
    assert open_red(second.board) == before + 1


def test_stale_board_is_served_while_refreshed_in_the_background(
    session: Session, scenario: Scenario
) -> None:
    clock = FakeClock()
    cache = BoardCache(sessions_of(session), ttl_seconds=10, clock=clock)
    assert cache.max_stale_seconds == 30
    assert cache.warm() is True
    cache.join()
    first = cache.ready()
    assert first is not None and cache.builds == 1
    assert cache.warm() is False  # already kept
    before = open_red(first.board)
    add_red_alert(session, scenario.community_a)
    clock.now = 15.0  # stale, within max_stale: the old board now, a new one being built
    assert cache.get() is first
    cache.join()
    assert cache.builds == 2
    fresh = cache.get()
    assert fresh is not first and open_red(fresh.board) == before + 1
    assert fresh.built_at == 15.0
    # far past max_stale (no read in between): the caller builds, never older figures
    clock.now = 15.0 + 31
    cache.background = False
    assert cache.ready() is None
    third = cache.get()
    assert cache.builds == 3 and third.built_at == 46.0


def test_scopes_are_kept_apart(session: Session, scenario: Scenario) -> None:
    cache = BoardCache(sessions_of(session), ttl_seconds=60, clock=FakeClock(), background=False)
    a = cache.get(scenario.community_a)
    b = cache.get(scenario.community_b)
    city = cache.get()
    assert (a.board.scope.area_id, b.board.scope.area_id) == (
        scenario.community_a,
        scenario.community_b,
    )
    assert city.board.scope.level == "city" and cache.builds == 3
    assert cache.get(scenario.community_a) is a and cache.builds == 3
    direct = city_board(session=session, community_id=scenario.community_a)
    assert a.board.cases == direct.cases
    cache.clear()
    assert cache.ready(scenario.community_a) is None


def test_errors_are_raised_and_not_kept(session: Session, ctx: TracingContext) -> None:
    cache = BoardCache(sessions_of(session), ttl_seconds=10, clock=FakeClock(), background=False)
    with pytest.raises(BoardNotFound, match="community_id"):
        cache.get(10_000_000)
    building = session.scalar(select(Area.id).where(Area.level == "building").limit(1))
    assert building is not None
    with pytest.raises(BoardInputError, match="community_id"):
        cache.get(building)
    assert cache.builds == 0 and cache.ready(10_000_000) is None


def test_settings_are_checked() -> None:
    def sessions() -> Session:
        raise AssertionError("not called")

    with pytest.raises(ValueError, match="ttl_seconds: must be > 0"):
        BoardCache(sessions, ttl_seconds=0)
    with pytest.raises(ValueError, match="max_stale_seconds: must be at least ttl_seconds"):
        BoardCache(sessions, ttl_seconds=10, max_stale_seconds=5)
