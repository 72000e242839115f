"""The city's time zone and epoch, kept per process for ``city_ttl_seconds``.

Every task and alert view converts times to the city's local time and days
to dates; reading the ``cities`` row for that on every request is one
statement per list.  A city is generated or imported once per store, so the
service keeps the two facts for a while (default 60 s: a re-imported city
with another UTC offset is seen within a minute).  A store without a city is
never cached, so a city created while the service runs is seen at once.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, timedelta, timezone

from fastapi import Request
from sqlalchemy.orm import Session

from ..domains.city.service import get_city


@dataclass(frozen=True)
class CityFacts:
    """What the views need of the city: its fixed UTC offset and local day 0."""

    tz: timezone
    epoch: date


class CityFactsCache:
    """The store's :class:`CityFacts`, read at most once per ``ttl_seconds``."""

    def __init__(self, ttl_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        if not ttl_seconds > 0:
            raise ValueError(f"ttl_seconds: must be > 0, got {ttl_seconds}")
        self.ttl_seconds = ttl_seconds
        self.clock = clock
        self._facts: CityFacts | None = None
        self._read_at = 0.0
        self._lock = threading.Lock()

    def get(self, session: Session) -> CityFacts | None:
        """The facts (read through ``session`` when old or absent); None without a city."""
        facts, read_at = self._facts, self._read_at
        if facts is not None and self.clock() - read_at < self.ttl_seconds:
            return facts
        city = get_city(session=session)
        if city is None:
            with self._lock:
                self._facts = None
            return None
        tz = timezone(timedelta(minutes=city.utc_offset_minutes))
        epoch = city.epoch_utc.replace(tzinfo=UTC).astimezone(tz).date()
        facts = CityFacts(tz=tz, epoch=epoch)
        with self._lock:
            self._facts, self._read_at = facts, self.clock()
        return facts

    def tz(self, session: Session) -> timezone:
        """The city's UTC offset (UTC without a city, as the task views have it)."""
        facts = self.get(session)
        return UTC if facts is None else facts.tz


def city_facts(request: Request) -> CityFactsCache:
    """The app's cache (made by ``create_app``)."""
    cache: CityFactsCache = request.app.state.city_facts
    return cache
