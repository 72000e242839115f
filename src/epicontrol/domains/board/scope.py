"""What a board or report covers: the area tree, the scope (city or one community), the day.

A board is read on a local day ``on`` at ``as_of``: the end of that day, or
now when the day is today (records after ``as_of`` are left out, so a past
day's board shows that day as it was).  A grid worker's board covers one
community: its buildings' residents, its zones, the alerts of its area and of
the areas above it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
from numpy.typing import NDArray
from sqlalchemy import select
from sqlalchemy.orm import Session

from ...core.city.schemas import AREA_LEVELS, LEVEL
from ..city.models import Area, City
from ..tracing.context import Clock
from .schemas import ScopeOut

I64 = NDArray[np.int64]


class BoardInputError(ValueError):
    """Bad input: ``field`` names it (``community_id``, ``on``, ``--date``...)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class BoardNotFound(LookupError):
    """An area asked for does not exist."""


@dataclass(frozen=True)
class AreaTree:
    """The store's areas as arrays indexed by area id (level -1 where no area has the id)."""

    level: I64
    parent: I64
    population: I64
    code: list[str]
    name: list[str]
    name_en: list[str | None]

    def ancestor(self, ids: I64, level: str) -> I64:
        """The area of ``level`` at or above each id (-1 where none)."""
        want = LEVEL[level]
        node = np.array(ids, dtype=np.int64, copy=True).reshape(-1)
        ok = (node >= 0) & (node < len(self.level))
        node[~ok] = -1
        for _ in range(len(AREA_LEVELS)):
            up = (node >= 0) & (self.level[np.maximum(node, 0)] > want)
            if not up.any():
                break
            node[up] = self.parent[node[up]]
        good = node >= 0
        good[good] = self.level[node[good]] == want
        node[~good] = -1
        return node

    def ids_of(self, level: str) -> I64:
        return np.flatnonzero(self.level == LEVEL[level]).astype(np.int64)

    def label(self, area_id: int) -> tuple[str, str]:
        """(zh name, en name — the zh name when there is none)."""
        return self.name[area_id], self.name_en[area_id] or self.name[area_id]

    def lineage(self, area_id: int) -> set[int]:
        """``area_id`` and every area above it."""
        out: set[int] = set()
        node = area_id
        while node >= 0:
            out.add(node)
            node = int(self.parent[node])
        return out


def load_tree(session: Session) -> AreaTree:
    rows = session.execute(
        select(
            Area.id, Area.parent_id, Area.level, Area.population, Area.code, Area.name, Area.name_en
        )
    ).all()
    n = max((r[0] for r in rows), default=-1) + 1
    level = np.full(n, -1, np.int64)
    parent = np.full(n, -1, np.int64)
    population = np.zeros(n, np.int64)
    code: list[str] = [""] * n
    name: list[str] = [""] * n
    name_en: list[str | None] = [None] * n
    for aid, pid, lvl, pop, c, nm, nm_en in rows:
        level[aid] = LEVEL[lvl]
        parent[aid] = -1 if pid is None else pid
        population[aid] = pop
        code[aid], name[aid], name_en[aid] = c, nm, nm_en
    return AreaTree(level, parent, population, code, name, name_en)


@dataclass(frozen=True)
class Window:
    """The local day read, its bounds in naive UTC (as stored) and the reading time."""

    on: date
    start: datetime
    end: datetime
    as_of: datetime
    clock: Clock

    def local(self, naive_utc: datetime) -> datetime:
        return self.clock.from_store(naive_utc)

    def day_of(self, naive_utc: datetime) -> date:
        return self.clock.from_store(naive_utc).date()

    def bounds(self, day: date) -> tuple[datetime, datetime]:
        start = self.clock.to_utc(datetime.combine(day, time(0)))
        return start, start + timedelta(days=1)


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def window(clock: Clock, on: date | None, at: datetime | None) -> Window:
    """The window of local day ``on`` (default today) read at ``at`` (default: the end of
    the day, or now when that is earlier).  ``at`` given explicitly may lie anywhere in
    or after the day (a drill reads its simulated times)."""
    now = utcnow()
    if on is None:
        on = clock.from_store(now).date()
    start = clock.to_utc(datetime.combine(on, time(0)))
    end = start + timedelta(days=1)
    if at is None:
        as_of = min(now, end)
    else:
        as_of = clock.to_utc(at)
        if as_of < start:
            raise BoardInputError("at", f"must not be before the start of {on.isoformat()}")
        as_of = min(as_of, end)
    return Window(on, start, end, as_of, clock)


@dataclass(frozen=True)
class Scope:
    """The city, or one community (``community`` set): which areas the board counts."""

    tree: AreaTree
    community: int | None
    district: int | None

    def keep(self, area_ids: I64) -> NDArray[np.bool_]:
        """Which of ``area_ids`` (buildings, compounds...) lie in the scope."""
        ids = np.asarray(area_ids, np.int64)
        if self.community is None:
            return np.ones(len(ids), np.bool_)
        return np.asarray(self.tree.ancestor(ids, "community") == self.community, np.bool_)

    def out(self) -> ScopeOut:
        if self.community is None:
            return ScopeOut(level="city", area_id=None, code=None, name=None, name_en=None)
        c = self.community
        return ScopeOut(
            level="community",
            area_id=c,
            code=self.tree.code[c],
            name=self.tree.name[c],
            name_en=self.tree.name_en[c],
            district_id=self.district,
        )


def resolve_scope(tree: AreaTree, community_id: int | None) -> Scope:
    """The scope of ``community_id`` (``None``: the city); it must be a community."""
    if community_id is None:
        return Scope(tree, None, None)
    if isinstance(community_id, bool) or not isinstance(community_id, int):
        raise BoardInputError("community_id", f"must be an area id, got {community_id!r}")
    if not 0 <= community_id < len(tree.level) or tree.level[community_id] < 0:
        raise BoardNotFound(f"community_id: unknown area id {community_id}")
    found = AREA_LEVELS[int(tree.level[community_id])]
    if found != "community":
        raise BoardInputError(
            "community_id",
            f"area {community_id} is a {found}; a grid worker's board is a community",
        )
    district = int(tree.ancestor(np.array([community_id]), "district")[0])
    return Scope(tree, community_id, district if district >= 0 else None)


def get_city(session: Session) -> City | None:
    return session.scalars(select(City).limit(1)).first()
