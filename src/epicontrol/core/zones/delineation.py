"""Delineation of the three zones (三区划定) around confirmed cases, on the area graph.

For each case, at the chosen smallest unit (building, compound or community):

* **lockdown** (封控区): the case's home unit, and every unit whose venues the
  case's check-ins in the infectious window add up to at least
  ``stay_minutes`` in (the case *stayed* there);
* **control** (管控区): the units adjacent (same-level area adjacency) to the
  case's lockdown units, and the units of the other venues it visited;
* **prevention** (防范区): every other unit of the prevention area (by default
  the street) around the case's lockdown units — and around its control
  units when ``prevention_around_control``.

Overlaps between categories and between cases resolve to the strictest
level [1]_.  Everything is vectorised over all cases at once: the dwell per
(case, unit) is one ``unique`` + ``bincount``, the neighbours one CSR gather,
and the units of the prevention areas one sorted-group expansion, so a city of
10⁵ buildings and hundreds of cases takes milliseconds.

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022,
   附件: 封控区、管控区、防范区划定 (the zones and their smallest units).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ..city.schemas import LEVEL
from .graph import AreaGraph, FieldError, as_ids
from .rules import CONTROL, LOCKDOWN, PREVENTION, DelineationParams

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]

#: Why a case puts a unit in a zone, strictest first; the level of each reason.
REASONS: Final = ("home", "stayed", "adjacent", "visited", "street")
REASON_LEVEL: Final = np.array([LOCKDOWN, LOCKDOWN, CONTROL, CONTROL, PREVENTION], np.int8)
HOME, STAYED, ADJACENT, VISITED, STREET = range(5)


@dataclass(frozen=True)
class Footprints:
    """Where the cases live and what they visited in their infectious windows.

    Attributes
    ----------
    home_building : ndarray of int64, shape (n_cases,)
        Building (area id of level ``building``) each case lives in.
    visit_case : ndarray of int64, shape (n_visits,)
        Case (position in ``home_building``) of each check-in.
    visit_building : ndarray of int64, shape (n_visits,)
        Building of the venue of each check-in (``venues.building_id``).
    visit_minutes : ndarray of int64, shape (n_visits,)
        Minutes of each check-in inside the case's infectious window (≥ 0).
    """

    home_building: I64
    visit_case: I64
    visit_building: I64
    visit_minutes: I64

    @classmethod
    def of(
        cls,
        *,
        home_building: ArrayLike,
        visit_case: ArrayLike = (),
        visit_building: ArrayLike = (),
        visit_minutes: ArrayLike = (),
    ) -> Footprints:
        return cls(
            as_ids(home_building, "home_building"),
            as_ids(visit_case, "visit_case"),
            as_ids(visit_building, "visit_building"),
            as_ids(visit_minutes, "visit_minutes"),
        )

    @property
    def n_cases(self) -> int:
        return len(self.home_building)


@dataclass(frozen=True)
class Delineation:
    """The zones of a set of cases: one row per unit, and the cases behind each.

    Attributes
    ----------
    unit : ndarray of int64
        Area ids of the zone units, ascending.
    level : ndarray of int8
        Zone level of each unit (0 lockdown, 1 control, 2 prevention).
    group : ndarray of int64
        Prevention area (street by default) of each unit.
    source_row, source_case, source_reason, source_minutes : ndarray
        One row per (unit, case) that puts the unit at its level: position in
        ``unit``, case position, reason (index in :data:`REASONS`; the
        strictest of the case's reasons) and the case's dwell minutes in the
        unit (0 for ``home``, ``adjacent`` and ``street``).  A prevention
        unit (reason ``street``) names one case only, the first of its
        prevention area: every case of the area is in ``street_group`` /
        ``street_case`` (expanding them per unit would make units × cases rows).
    street_group, street_case : ndarray of int64
        Every (prevention area, case) pair: the cases around which each area
        was drawn, sorted by area then case.
    unit_level : int
        Level number of the units.
    """

    unit: I64
    level: I8
    group: I64
    source_row: I64
    source_case: I64
    source_reason: I8
    source_minutes: I64
    street_group: I64
    street_case: I64
    unit_level: int

    def counts(self) -> dict[str, int]:
        """Units per zone level."""
        n = np.bincount(self.level, minlength=3)
        return {"lockdown": int(n[0]), "control": int(n[1]), "prevention": int(n[2])}


def _check(graph: AreaGraph, fp: Footprints) -> None:
    building = LEVEL["building"]
    graph.check_ids(fp.home_building, "home_building", building)
    n_visits = len(fp.visit_case)
    for name in ("visit_building", "visit_minutes"):
        if len(getattr(fp, name)) != n_visits:
            raise FieldError(
                name, f"must have one value per visit ({n_visits}), has {len(getattr(fp, name))}"
            )
    if n_visits:
        bad = (fp.visit_case < 0) | (fp.visit_case >= fp.n_cases)
        if bad.any():
            i = int(np.argmax(bad))
            raise FieldError(
                "visit_case",
                f"must be a case position 0..{fp.n_cases - 1}, got {fp.visit_case[i]}",
                index=i,
            )
        graph.check_ids(fp.visit_building, "visit_building", building)
        if (fp.visit_minutes < 0).any():
            i = int(np.argmax(fp.visit_minutes < 0))
            raise FieldError("visit_minutes", f"must be ≥ 0, got {fp.visit_minutes[i]}", index=i)


def _expand(starts: I64, counts: I64) -> tuple[I64, I64]:
    """(owner, index) pairs: ``starts[k] + 0..counts[k]-1`` for every ``k``."""
    owner = np.repeat(np.arange(len(starts), dtype=np.int64), counts)
    offsets = np.arange(int(counts.sum()), dtype=np.int64) - np.repeat(
        np.cumsum(counts) - counts, counts
    )
    return owner, np.repeat(starts, counts) + offsets


def delineate(graph: AreaGraph, footprints: Footprints, params: DelineationParams) -> Delineation:
    """Lockdown, control and prevention units of the cases in ``footprints``.

    Parameters
    ----------
    graph : AreaGraph
        The city's areas (hierarchy and same-level adjacency).
    footprints : Footprints
        Each case's home building and its check-ins in the infectious window.
    params : DelineationParams
        Unit, stay threshold and prevention area.

    Returns
    -------
    Delineation
        Every unit in a zone with its strictest level, and the (unit, case,
        reason) rows behind each.

    Raises
    ------
    FieldError
        When a case's home or a visit's building is not a known building
        (``home_building[i]``, ``visit_building[i]``), or another input breaks
        a rule; :class:`~epicontrol.core.zones.rules.RulesError` for bad
        ``params``.
    """
    params.validate()
    _check(graph, footprints)
    ul, gl = params.unit_level, params.group_level
    n = max(graph.n_areas, 1)
    fp = footprints
    home = graph.ancestor(fp.home_building, ul)
    missing = home < 0
    if missing.any():
        i = int(np.argmax(missing))
        raise FieldError(
            "home_building",
            f"building {fp.home_building[i]} lies in no {params.unit} "
            "(the hierarchy has no unit above it)",
            index=i,
        )
    if fp.n_cases == 0:
        empty = np.zeros(0, np.int64)
        e8 = np.zeros(0, np.int8)
        return Delineation(empty, e8, empty, empty, empty, e8, empty, empty, empty, ul)
    cases = np.arange(fp.n_cases, dtype=np.int64)
    rows_unit = [home]
    rows_case = [cases]
    rows_reason = [np.full(fp.n_cases, HOME, np.int8)]
    rows_minutes = [np.zeros(fp.n_cases, np.int64)]

    # cumulative dwell per (case, unit) over the visits
    visit_unit = graph.ancestor(fp.visit_building, ul)
    keep = (visit_unit >= 0) & (fp.visit_minutes > 0)
    key, inverse = np.unique(fp.visit_case[keep] * n + visit_unit[keep], return_inverse=True)
    dwell = np.bincount(inverse.reshape(-1), weights=fp.visit_minutes[keep], minlength=len(key))
    dwell = np.rint(dwell).astype(np.int64)
    v_case, v_unit = key // n, key % n
    stayed = dwell >= params.stay_minutes
    rows_unit += [v_unit]
    rows_case += [v_case]
    rows_reason += [np.where(stayed, STAYED, VISITED).astype(np.int8)]
    rows_minutes += [dwell]

    # lockdown units of each case and their neighbours
    lock_unit = np.concatenate([home, v_unit[stayed]])
    lock_case = np.concatenate([cases, v_case[stayed]])
    pos, neighbour = graph.neighbour_pairs(lock_unit)
    rows_unit.append(neighbour)
    rows_case.append(lock_case[pos])
    rows_reason.append(np.full(len(neighbour), ADJACENT, np.int8))
    rows_minutes.append(np.zeros(len(neighbour), np.int64))

    # prevention: every unit of the groups around the case's lockdown (and control) units
    all_units = graph.ids_of_level(ul)
    unit_group = graph.ancestor(all_units, gl)
    order = np.argsort(unit_group, kind="stable")
    sorted_group = unit_group[order]
    if params.prevention_around_control:
        seed_unit = np.concatenate([lock_unit, neighbour, v_unit])
        seed_case = np.concatenate([lock_case, lock_case[pos], v_case])
    else:
        seed_unit, seed_case = lock_unit, lock_case
    seed_group = graph.ancestor(seed_unit, gl)
    ok = seed_group >= 0
    gkey = np.unique(seed_group[ok] * fp.n_cases + seed_case[ok])  # sorted by group, then case
    g_group, g_case = gkey // fp.n_cases, gkey % fp.n_cases
    # each touched group once: its units, named after the group's first case
    first_of_group = np.r_[True, g_group[1:] != g_group[:-1]] if len(g_group) else np.zeros(0, bool)
    groups, rep_case = g_group[first_of_group], g_case[first_of_group]
    lo = np.searchsorted(sorted_group, groups, "left")
    hi = np.searchsorted(sorted_group, groups, "right")
    owner, idx = _expand(lo.astype(np.int64), (hi - lo).astype(np.int64))
    street_unit = all_units[order[idx]]
    rows_unit.append(street_unit)
    rows_case.append(rep_case[owner])
    rows_reason.append(np.full(len(street_unit), STREET, np.int8))
    rows_minutes.append(np.zeros(len(street_unit), np.int64))

    unit = np.concatenate(rows_unit)
    case = np.concatenate(rows_case)
    reason = np.concatenate(rows_reason)
    minutes = np.concatenate(rows_minutes)
    # strictest reason per (unit, case): sort by unit, case, reason and keep the first
    sort = np.lexsort((reason, case, unit))
    unit, case, reason, minutes = unit[sort], case[sort], reason[sort], minutes[sort]
    first = np.ones(len(unit), np.bool_)
    first[1:] = (unit[1:] != unit[:-1]) | (case[1:] != case[:-1])
    unit, case, reason, minutes = unit[first], case[first], reason[first], minutes[first]
    # strictest level per unit; keep the rows at that level
    new_unit = np.r_[True, unit[1:] != unit[:-1]]
    starts = np.flatnonzero(new_unit)
    units = unit[starts]
    row = np.cumsum(new_unit).astype(np.int64) - 1
    pair_level = REASON_LEVEL[reason]
    level = np.minimum.reduceat(pair_level, starts).astype(np.int8)
    at_level = pair_level == level[row]
    return Delineation(
        unit=units.astype(np.int64),
        level=level,
        street_group=g_group.astype(np.int64),
        street_case=g_case.astype(np.int64),
        group=graph.ancestor(units.astype(np.int64), gl),
        source_row=row[at_level],
        source_case=case[at_level],
        source_reason=reason[at_level],
        source_minutes=minutes[at_level],
        unit_level=ul,
    )
