"""The area graph the zones are drawn on: hierarchy (parents, levels) and same-level adjacency.

Areas are indexed by their integer id (dense from 0, as everywhere in
epicontrol); ids with no area have level ``-1``.  Adjacency is held as
compressed sparse rows [1]_ over the area ids, both directions, so the
neighbours of a set of units are one gather.  Ancestors are found by walking
the parent array up, all ids at once (at most five steps: the hierarchy is
city → district → street → community → compound → building).

References
----------
.. [1] Y. Saad, *Iterative Methods for Sparse Linear Systems*, 2nd ed., SIAM,
   2003, §3.4 (compressed sparse row storage).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..city.schemas import AREA_LEVELS, LEVEL

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]


class FieldError(ValueError):
    """An input value breaks a rule; ``field`` names the input and ``index`` the position."""

    def __init__(self, field: str, message: str, *, index: int | None = None) -> None:
        self.field = field
        self.index = index
        where = field if index is None else f"{field}[{index}]"
        super().__init__(f"{where}: {message}")


def as_ids(values: ArrayLike, field: str) -> I64:
    """``values`` as a 1-D int64 array; anything else is a :class:`FieldError`."""
    array = np.asarray(values)
    if array.ndim != 1:
        raise FieldError(field, f"must be a 1-D array, got shape {array.shape}")
    if array.size and not np.issubdtype(array.dtype, np.integer):
        raise FieldError(field, f"must hold integers, got dtype {array.dtype}")
    return np.ascontiguousarray(array, dtype=np.int64)


def level_number(name: str, field: str) -> int:
    """The number of area level ``name`` (``city`` = 0 ... ``building`` = 5)."""
    if name not in LEVEL:
        raise FieldError(field, f"must be one of {', '.join(AREA_LEVELS)}, got {name!r}")
    return LEVEL[name]


@dataclass(frozen=True)
class AreaGraph:
    """Parents, levels and same-level adjacency of every area.

    Attributes
    ----------
    parent : ndarray of int64, shape (n,)
        Parent area id of each area id; ``-1`` for the city and for unused ids.
    level : ndarray of int8, shape (n,)
        Level number (index in :data:`AREA_LEVELS`); ``-1`` for unused ids.
    indptr, indices : ndarray of int64
        Adjacency as CSR over the area ids: the neighbours of ``a`` are
        ``indices[indptr[a]:indptr[a + 1]]`` (sorted, each edge both ways).
    """

    parent: I64
    level: I8
    indptr: I64
    indices: I64

    @property
    def n_areas(self) -> int:
        """Size of the id space (largest id + 1)."""
        return len(self.level)

    @classmethod
    def build(
        cls,
        *,
        area_id: ArrayLike,
        parent_id: ArrayLike,
        level: ArrayLike,
        edge_a: ArrayLike,
        edge_b: ArrayLike,
    ) -> AreaGraph:
        """The graph of areas ``area_id`` with parents, levels and adjacency edges.

        Parameters
        ----------
        area_id : array of int
            Area ids (unique, ≥ 0).
        parent_id : array of int
            Parent of each area (``-1`` for the root); the parent must be an
            area of a higher level (a smaller level number).
        level : array of int
            Level number of each area (0 = city ... 5 = building).
        edge_a, edge_b : array of int
            Adjacent pairs (``area_adjacency``): known areas of the same level.

        Raises
        ------
        FieldError
            Naming the input and the first position that breaks a rule.
        """
        ids = as_ids(area_id, "area_id")
        parents = as_ids(parent_id, "parent_id")
        levels = as_ids(level, "level")
        a = as_ids(edge_a, "edge_a")
        b = as_ids(edge_b, "edge_b")
        for name, arr in (("parent_id", parents), ("level", levels)):
            if len(arr) != len(ids):
                raise FieldError(name, f"must have one value per area ({len(ids)}), has {len(arr)}")
        if len(b) != len(a):
            raise FieldError("edge_b", f"must have one value per edge ({len(a)}), has {len(b)}")
        _first_bad(ids < 0, "area_id", "area ids must be ≥ 0", ids)
        n = int(ids.max()) + 1 if len(ids) else 0
        seen = np.bincount(ids, minlength=n) if n else np.zeros(0, np.int64)
        if (seen > 1).any():
            raise FieldError("area_id", f"area id {int(np.argmax(seen > 1))} appears twice")
        _first_bad(
            (levels < 0) | (levels >= len(AREA_LEVELS)),
            "level",
            f"must be a level number 0..{len(AREA_LEVELS) - 1}",
            levels,
        )
        lvl = np.full(n, -1, np.int8)
        lvl[ids] = levels
        par = np.full(n, -1, np.int64)
        par[ids] = parents
        has_parent = parents >= 0
        _first_bad(
            parents >= n, "parent_id", "must be a known area id (or -1 for the root)", parents
        )
        parent_level = np.where(has_parent, lvl[np.clip(parents, 0, max(n - 1, 0))], -1)
        _first_bad(
            has_parent & ((parent_level < 0) | (parent_level >= levels)),
            "parent_id",
            "must be a known area of a higher level",
            parents,
        )
        for name, arr in (("edge_a", a), ("edge_b", b)):
            _first_bad((arr < 0) | (arr >= n), name, "must be a known area id", arr)
            _first_bad(lvl[arr] < 0, name, "must be a known area id", arr)
        _first_bad(a == b, "edge_b", "an area cannot be adjacent to itself", b)
        _first_bad(lvl[a] != lvl[b], "edge_b", "adjacent areas must have the same level", b)
        src = np.concatenate([a, b])
        dst = np.concatenate([b, a])
        key = np.unique(src * max(n, 1) + dst)
        src, dst = key // max(n, 1), key % max(n, 1)
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
        return cls(parent=par, level=lvl, indptr=indptr, indices=dst.astype(np.int64))

    def check_ids(self, ids: I64, field: str, level: int | None = None) -> None:
        """Raise :class:`FieldError` at the first of ``ids`` that is unknown (or not ``level``)."""
        bad = (ids < 0) | (ids >= self.n_areas)
        _first_bad(bad, field, f"must be a known area id (0..{self.n_areas - 1})", ids)
        found = self.level[ids]
        _first_bad(found < 0, field, "must be a known area id", ids)
        if level is not None:
            _first_bad(found != level, field, f"must be an area of level {AREA_LEVELS[level]}", ids)

    def ancestor(self, ids: I64, level: int) -> I64:
        """Area of ``level`` at or above each of ``ids``; ``-1`` where there is none."""
        node = np.array(ids, dtype=np.int64, copy=True)
        for _ in range(len(AREA_LEVELS)):
            up = (node >= 0) & (self.level[np.maximum(node, 0)] > level)
            if not up.any():
                break
            node[up] = self.parent[node[up]]
        ok = node >= 0
        ok[ok] = self.level[node[ok]] == level
        node[~ok] = -1
        return node

    def ids_of_level(self, level: int) -> I64:
        """Every area id of ``level``, ascending."""
        return np.flatnonzero(self.level == level).astype(np.int64)

    def neighbour_pairs(self, ids: I64) -> tuple[I64, I64]:
        """``(position, neighbour)`` for every neighbour of every one of ``ids``."""
        start = self.indptr[ids]
        count = self.indptr[ids + 1] - start
        total = int(count.sum())
        position = np.repeat(np.arange(len(ids), dtype=np.int64), count)
        offsets = np.arange(total, dtype=np.int64) - np.repeat(np.cumsum(count) - count, count)
        return position, self.indices[np.repeat(start, count) + offsets]


def _first_bad(bad: NDArray[np.bool_], field: str, rule: str, values: NDArray[Any]) -> None:
    if bad.any():
        i = int(np.argmax(bad))
        raise FieldError(field, f"{rule}, got {values[i]}", index=i)
