"""A per-process cache of today's boards, refreshed in the background.

Building the city board reads the whole city (zones with their residents,
stock against the zones' populations, every task of the day...): 0.5–1 s on
the 50,000-person demo city (its zones come from the process's zone list,
:func:`~..zones.queries.listed_zones`).  The command centre's service shows
it to every signed-in officer, so each process keeps the last board of each
scope (the city, or one community for a grid worker) and serves it while it
is younger than ``ttl_seconds``.  An older board is still served while a new
one is computed in a background thread (one per scope at a time), up to
``max_stale_seconds``; past that, or when there is none yet, the caller
builds it (one caller per scope; the others wait for that build).

So the figures shown are at most ``ttl_seconds`` plus one build old (at
most ``max_stale_seconds``), and the board's ``as_of`` is the time it was
computed: the page and the API show it.  Writes do not invalidate the
cache: under the service's write rate (an alert or task change every few
seconds) that would mean rebuilding continuously; the TTL bounds the
staleness instead.  The cache is per process: each uvicorn worker holds
its own copy.  Both languages are in one board (``BoardOut`` carries the
zh-CN and en labels), so the key is the scope alone.  Only today's board
read now is cached; a past day or a given ``at`` is built by
:func:`~.service.city_board` as asked.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.orm import Session

from .schemas import BoardOut
from .service import city_board
from .standards import BoardStandards

__all__ = ["BoardCache", "CachedBoard"]

log = logging.getLogger(__name__)

#: Most scopes kept (the city and the communities asked for); the oldest is dropped.
MAX_ENTRIES = 512


@dataclass(frozen=True)
class CachedBoard:
    """A board and when it was built."""

    board: BoardOut
    #: ``clock()`` reading when the build finished.
    built_at: float
    #: Wall-clock time (UTC, aware) when the build started: the board's figures are as then.
    built_utc: datetime
    #: How long the build took (s).
    build_seconds: float
    #: ``board`` as JSON (serialised once, in the build).
    json: bytes


class BoardCache:
    """Today's board per scope (``community_id`` or ``None`` for the city), kept for
    ``ttl_seconds`` and refreshed in the background.

    Parameters
    ----------
    sessions
        Makes the read-only sessions the builds run in (the app's sessionmaker).
    ttl_seconds
        Age under which a board is served as it is.
    max_stale_seconds
        Age up to which an older board is served while a new one is built in the
        background; default ``3 * ttl_seconds``.  Must not be below ``ttl_seconds``.
    lake_dir
        The lake, for the board's syndromic counts (``None``, or a directory that does
        not exist yet: no lake).
    standards
        The standards the KPIs are measured against (default :class:`BoardStandards`).
    clock
        Monotonic seconds (``time.monotonic``); tests pass their own.
    background
        Refresh stale boards in a background thread (``False``: the caller refreshes).
    """

    def __init__(
        self,
        sessions: Callable[[], Session],
        *,
        ttl_seconds: float = 30.0,
        max_stale_seconds: float | None = None,
        lake_dir: Path | None = None,
        standards: BoardStandards | None = None,
        clock: Callable[[], float] = time.monotonic,
        background: bool = True,
    ) -> None:
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds: must be > 0, got {ttl_seconds}")
        stale = 3 * ttl_seconds if max_stale_seconds is None else max_stale_seconds
        if stale < ttl_seconds:
            raise ValueError(
                f"max_stale_seconds: must be at least ttl_seconds ({ttl_seconds}), got {stale}"
            )
        self.sessions = sessions
        self.ttl_seconds = float(ttl_seconds)
        self.max_stale_seconds = float(stale)
        self.lake_dir = lake_dir
        self.standards = standards
        self.clock = clock
        self.background = background
        self._entries: dict[int | None, CachedBoard] = {}
        self._build_locks: dict[int | None, threading.Lock] = {}
        self._refreshing: dict[int | None, threading.Thread] = {}
        self._mutex = threading.Lock()
        #: Boards built so far (for the tests and the service's figures).
        self.builds = 0

    # ------------------------------------------------------------------ reading

    def get(self, community_id: int | None = None) -> CachedBoard:
        """Today's board of the city (``None``) or of one community.

        Raises what :func:`~.service.city_board` raises for the scope
        (:class:`~.scope.BoardNotFound`, :class:`~.scope.BoardInputError`).
        """
        entry = self.ready(community_id)
        return entry if entry is not None else self._build_now(community_id)

    def ready(self, community_id: int | None = None) -> CachedBoard | None:
        """The board :meth:`get` would answer without building in the caller (fresh, or
        stale while a refresh runs), else None: lets an async caller skip a thread."""
        entry = self._entries.get(community_id)
        if entry is None:
            return None
        age = self.clock() - entry.built_at
        if age < self.ttl_seconds:
            return entry
        if age < self.max_stale_seconds and self._refresh_later(community_id):
            return entry
        return None

    def warm(self, community_id: int | None = None) -> bool:
        """Start building a scope's board in the background when none is kept (a service
        calls this at start so that its first readers do not wait); False when a board
        is already kept or being built, or background refreshes are off."""
        if community_id in self._entries:
            return False
        return self._refresh_later(community_id, joined=False)

    def age(self, entry: CachedBoard) -> float:
        """Seconds since ``entry`` was built."""
        return max(self.clock() - entry.built_at, 0.0)

    def clear(self) -> None:
        """Forget every board (the next read builds)."""
        with self._mutex:
            self._entries.clear()

    # ------------------------------------------------------------------ building

    def _lock_of(self, key: int | None) -> threading.Lock:
        with self._mutex:
            lock = self._build_locks.get(key)
            if lock is None:
                lock = self._build_locks[key] = threading.Lock()
            return lock

    def _build_now(self, key: int | None) -> CachedBoard:
        started = self.clock()
        with self._lock_of(key):
            entry = self._entries.get(key)
            if entry is not None and entry.built_at >= started:
                return entry  # built by another caller while this one waited
            return self._build(key)

    def _build(self, key: int | None) -> CachedBoard:
        t0 = self.clock()
        wall = datetime.now(UTC)
        lake_dir = self.lake_dir if self.lake_dir is not None and self.lake_dir.is_dir() else None
        with self.sessions() as session:
            board = city_board(
                session=session,
                lake_dir=lake_dir,
                community_id=key,
                standards=self.standards,
                reuse_zones=True,
            )
            session.rollback()
        body = board.model_dump_json().encode()
        done = self.clock()
        entry = CachedBoard(
            board=board, built_at=done, built_utc=wall, build_seconds=done - t0, json=body
        )
        with self._mutex:
            if key not in self._entries and len(self._entries) >= MAX_ENTRIES:
                oldest = min(self._entries, key=lambda k: self._entries[k].built_at)
                del self._entries[oldest]
            self._entries[key] = entry
            self.builds += 1
        return entry

    def _refresh_later(self, key: int | None, *, joined: bool = True) -> bool:
        """Start a refresh of ``key`` (True), or find one running (``joined``); False when
        the caller must build now."""
        if not self.background:
            return False
        thread = threading.Thread(
            target=self._refresh, args=(key,), name=f"board-refresh-{key}", daemon=True
        )
        with self._mutex:
            if key in self._refreshing:
                return joined
            self._refreshing[key] = thread
        try:
            thread.start()
        except RuntimeError:  # no thread could be started: build in the caller
            with self._mutex:
                self._refreshing.pop(key, None)
            return False
        return True

    def join(self, timeout: float | None = None) -> None:
        """Wait for the background refreshes running now (tests, and a clean shutdown)."""
        with self._mutex:
            threads = list(self._refreshing.values())
        for thread in threads:
            thread.join(timeout)

    def _refresh(self, key: int | None) -> None:
        try:
            with self._lock_of(key):
                self._build(key)
        except Exception:  # the next read past max_stale_seconds builds and raises
            log.exception("refreshing the board of scope %s failed", key)
        finally:
            with self._mutex:
                self._refreshing.pop(key, None)
