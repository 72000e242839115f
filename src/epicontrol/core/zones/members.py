"""Who is in a zone: the buildings under its unit, and residents counted by special tier.

A zone's unit is an area of level building, compound or community; its
buildings are the buildings whose ancestor at that level is the unit, and its
residents the persons living in them.  Both are computed for all zones at
once by mapping every building (or person) to its unit with one walk up the
hierarchy and one lookup table, per distinct unit level.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..city.schemas import LEVEL, TIERS
from .graph import AreaGraph, FieldError, as_ids

I64 = NDArray[np.int64]


def _zone_of(graph: AreaGraph, ids: I64, units: I64, unit_levels: I64) -> I64:
    """Zone position of each of ``ids`` (buildings), ``-1`` when in none (first zone wins)."""
    out = np.full(len(ids), -1, np.int64)
    for ul in np.unique(unit_levels).tolist():
        sel = np.flatnonzero(unit_levels == ul)
        lookup = np.full(graph.n_areas, -1, np.int64)
        lookup[units[sel][::-1]] = sel[::-1]
        unit_of = graph.ancestor(ids, int(ul))
        found = np.where(unit_of >= 0, lookup[np.maximum(unit_of, 0)], -1)
        take = (out < 0) & (found >= 0)
        out[take] = found[take]
    return out


def _check(graph: AreaGraph, units: I64, unit_levels: I64) -> None:
    if len(unit_levels) != len(units):
        raise FieldError(
            "unit_level", f"must have one value per zone ({len(units)}), has {len(unit_levels)}"
        )
    graph.check_ids(units, "unit")
    bad = graph.level[units] != unit_levels
    if bad.any():
        i = int(np.argmax(bad))
        raise FieldError("unit", f"area {units[i]} is not of level {unit_levels[i]}", index=i)


def zone_buildings(graph: AreaGraph, units: ArrayLike, unit_level: ArrayLike) -> tuple[I64, I64]:
    """``(zone position, building id)`` of every building under each zone's unit.

    Parameters
    ----------
    graph : AreaGraph
    units : array of int
        Area id of each zone's unit.
    unit_level : array of int
        Level number of each zone's unit (all the same level is the usual case).
    """
    u = as_ids(units, "unit")
    ul = as_ids(unit_level, "unit_level")
    _check(graph, u, ul)
    buildings = graph.ids_of_level(LEVEL["building"])
    out_zone: list[I64] = []
    out_building: list[I64] = []
    for level in np.unique(ul).tolist():
        sel = np.flatnonzero(ul == level)
        lookup = np.zeros(graph.n_areas, np.bool_)
        lookup[u[sel]] = True
        unit_of = graph.ancestor(buildings, int(level))
        inside = (unit_of >= 0) & lookup[np.maximum(unit_of, 0)]
        # several zones can share a unit (a lifted and a later one): expand to each
        order = np.argsort(u[sel], kind="stable")
        su = u[sel][order]
        b = buildings[inside]
        bu = unit_of[inside]
        lo = np.searchsorted(su, bu, "left")
        hi = np.searchsorted(su, bu, "right")
        count = hi - lo
        rep_b = np.repeat(b, count)
        offsets = np.arange(int(count.sum())) - np.repeat(np.cumsum(count) - count, count)
        out_zone.append(sel[order[np.repeat(lo, count) + offsets]])
        out_building.append(rep_b)
    if not out_zone:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    zone = np.concatenate(out_zone)
    building = np.concatenate(out_building)
    order = np.lexsort((building, zone))
    return zone[order], building[order]


def member_counts(
    graph: AreaGraph,
    units: ArrayLike,
    unit_level: ArrayLike,
    *,
    person_building: ArrayLike,
    person_tier: ArrayLike,
) -> tuple[I64, I64]:
    """Residents of each zone, and of them the special-population persons by tier.

    Parameters
    ----------
    graph : AreaGraph
    units, unit_level : array of int
        Each zone's unit and its level number; zones should not share a unit.
    person_building : array of int
        Building of every person.
    person_tier : array of int
        Special-population tier of every person: index in :data:`TIERS`
        (0 red, 1 yellow, 2 green), ``-1`` for none.

    Returns
    -------
    residents : ndarray of int64, shape (n_zones,)
    tiers : ndarray of int64, shape (n_zones, 3)
        Persons per tier (columns in the order of :data:`TIERS`).
    """
    u = as_ids(units, "unit")
    ul = as_ids(unit_level, "unit_level")
    pb = as_ids(person_building, "person_building")
    pt = as_ids(person_tier, "person_tier")
    if len(pt) != len(pb):
        raise FieldError(
            "person_tier", f"must have one value per person ({len(pb)}), has {len(pt)}"
        )
    _check(graph, u, ul)
    graph.check_ids(pb, "person_building", LEVEL["building"])
    bad = (pt < -1) | (pt >= len(TIERS))
    if bad.any():
        i = int(np.argmax(bad))
        raise FieldError("person_tier", f"must be -1 or 0..{len(TIERS) - 1}, got {pt[i]}", index=i)
    n = len(u)
    zone = _zone_of(graph, pb, u, ul)
    inside = zone >= 0
    residents = np.bincount(zone[inside], minlength=n).astype(np.int64)
    tiered = inside & (pt >= 0)
    tiers = np.bincount(zone[tiered] * len(TIERS) + pt[tiered], minlength=n * len(TIERS))
    return residents, tiers.reshape(n, len(TIERS)).astype(np.int64)
