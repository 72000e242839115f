"""The twin's agents: the city's persons as parallel arrays (struct of arrays).

An agent has an age, a household, at most one school class or work team
(its group in the school or work layer), a home building, community and
district, and the weekdays on which it goes to school or work.  The arrays
come either from plain numpy input (:func:`population_from_arrays`, for an
imported city or a test) or from the synthetic city generator
(:func:`population_from_city`), whose persons, groups and areas tables are
read directly, so the twin runs on exactly the city the platform holds.

Group memberships are kept twice: one group id per agent and layer, and the
members of every group as compressed sparse rows (offsets into a members
array), which the transmission kernels scan.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar, cast

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from ..city.generator import GeneratedCity
from ..city.schemas import AREA_LEVELS, LEVEL, OCCUPATION, OCCUPATIONS

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
T = TypeVar("T")

#: Monday to Friday, as a weekday bitmask (bit 0 = Monday).
WEEKDAYS_MASK: int = 0b0011111
ALL_DAYS_MASK: int = 0b1111111
#: Occupations that work six days a week (one day off, by person).
SIX_DAY_OCCUPATIONS: tuple[str, ...] = ("service_worker", "health_worker")
#: Occupations whose group is a school class (school layer); other groups are work teams.
PUPIL_OCCUPATIONS: tuple[str, ...] = ("preschool", "student", "university_student")
MAX_AGE = 120


@dataclass(frozen=True)
class Groups:
    """Members of each group as CSR: ``members[offsets[g]:offsets[g + 1]]``."""

    offsets: I64
    members: I32

    @property
    def count(self) -> int:
        return len(self.offsets) - 1

    def sizes(self) -> I64:
        return np.diff(self.offsets)


def build_groups(group_of: I32, n_groups: int) -> Groups:
    """CSR of the agents of each group (``group_of[i] = -1``: no group), members ascending."""
    valid = group_of >= 0
    counts = np.bincount(group_of[valid], minlength=n_groups)
    offsets = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    order = np.argsort(np.where(valid, group_of, -1), kind="stable").astype(np.int32)
    return Groups(offsets=offsets, members=order[len(group_of) - int(valid.sum()) :])


@dataclass(frozen=True)
class Population:
    """Agents as parallel arrays; every id is dense from 0 and indexes arrays directly.

    Attributes
    ----------
    age : int16 years.
    household, school_group, work_group : int32 group ids per layer (-1: none).
    building : int32, the home building (the city's area id, or any id ≥ 0).
    community, district : int32, 0-based indices of the home community and district.
    active_days : uint8 weekday bitmask (bit 0 = Monday) of school / work days.
    occupation : int8 code of :data:`epicontrol.core.city.schemas.OCCUPATIONS` (-1: unknown).
    district_names : a name per district index.
    community_area_ids, district_area_ids : the city's area id of each index (or -1).
    """

    age: NDArray[np.int16]
    household: I32
    school_group: I32
    work_group: I32
    building: I32
    community: I32
    district: I32
    active_days: NDArray[np.uint8]
    occupation: NDArray[np.int8]
    n_households: int
    n_school_groups: int
    n_work_groups: int
    n_communities: int
    n_districts: int
    district_names: tuple[str, ...]
    community_area_ids: I32
    district_area_ids: I32
    # Built on demand from the (never modified) arrays; not copied by ``replace``.
    _groups: dict[str, Groups] = field(default_factory=dict, init=False, repr=False, compare=False)
    _cache: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)

    @property
    def n(self) -> int:
        return len(self.age)

    def groups(self, layer: str) -> Groups:
        """Members of the ``household``, ``school`` or ``work`` groups (built once)."""
        if layer not in self._groups:
            of, count = {
                "household": (self.household, self.n_households),
                "school": (self.school_group, self.n_school_groups),
                "work": (self.work_group, self.n_work_groups),
            }[layer]
            self._groups[layer] = build_groups(of, count)
        return self._groups[layer]

    def cached(self, name: str, build: Callable[[Population], T]) -> T:
        """``build(self)``, computed once per population (an engine index, e.g.).

        Ensembles run many simulations on one population; indices derived
        from its arrays (which are never modified) are shared by them.
        """
        if name not in self._cache:
            self._cache[name] = build(self)
        return cast(T, self._cache[name])

    def agents_in_district(self, district: int | str) -> I32:
        """Agent ids living in a district (index or name)."""
        if isinstance(district, str):
            if district not in self.district_names:
                raise ValueError(f"district: unknown district {district!r}")
            district = self.district_names.index(district)
        if not 0 <= district < self.n_districts:
            raise ValueError(f"district must be in [0, {self.n_districts}), got {district}")
        return np.flatnonzero(self.district == district).astype(np.int32)


def _check_ids(name: str, values: NDArray[np.integer], n: int, *, allow_missing: bool) -> I32:
    arr = np.asarray(values)
    if arr.shape != (n,):
        raise ValueError(f"{name} must have one value per agent ({n}), got shape {arr.shape}")
    if not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name} must be integers, got {arr.dtype}")
    lo = -1 if allow_missing else 0
    if n and int(arr.min()) < lo:
        rule = ">= -1 (-1 = none)" if allow_missing else ">= 0"
        raise ValueError(f"{name} must be {rule}, got {int(arr.min())}")
    if n and int(arr.max()) >= 2**31 - 1:
        raise ValueError(f"{name} must be < 2**31 - 1")
    return arr.astype(np.int32, copy=False)


def _dense(values: I32) -> tuple[I32, int]:
    """Renumber non-negative ids densely from 0 (−1 kept); returns ids and their count."""
    valid = values >= 0
    if not valid.any():
        return values.copy(), 0
    uniq, inv = np.unique(values[valid], return_inverse=True)
    out = np.full(len(values), -1, dtype=np.int32)
    out[valid] = inv.astype(np.int32)
    return out, len(uniq)


def population_from_arrays(
    *,
    age: NDArray[np.integer],
    household: NDArray[np.integer],
    community: NDArray[np.integer] | None = None,
    district: NDArray[np.integer] | None = None,
    school_group: NDArray[np.integer] | None = None,
    work_group: NDArray[np.integer] | None = None,
    building: NDArray[np.integer] | None = None,
    active_days: NDArray[np.integer] | None = None,
    occupation: NDArray[np.integer] | None = None,
    district_names: tuple[str, ...] | None = None,
) -> Population:
    """Agents from plain arrays (one value per agent).

    Group ids (household, school class, work team, community, district) may be
    any non-negative integers (``-1`` = no school / work group); they are
    renumbered densely.  Districts keep their numbering so that
    ``district_names`` (one per district, ``0..max``) still applies.
    ``active_days`` defaults to Monday–Friday.
    """
    a = np.asarray(age)
    if a.ndim != 1 or len(a) == 0:
        raise ValueError("age must be a non-empty 1-d array")
    n = len(a)
    if not np.issubdtype(a.dtype, np.integer) or int(a.min()) < 0 or int(a.max()) > MAX_AGE:
        raise ValueError(f"age must be integers in [0, {MAX_AGE}]")
    zeros = np.zeros(n, dtype=np.int32)
    missing = np.full(n, -1, dtype=np.int32)
    hh, n_h = _dense(_check_ids("household", household, n, allow_missing=False))
    comm, n_c = _dense(
        _check_ids("community", zeros if community is None else community, n, allow_missing=False)
    )
    dist = _check_ids("district", zeros if district is None else district, n, allow_missing=False)
    n_d = int(dist.max()) + 1
    if district_names is None:
        district_names = tuple(f"district {i}" for i in range(n_d))
    elif len(district_names) < n_d:
        raise ValueError(f"district_names must name every district (0..{n_d - 1})")
    n_d = max(n_d, len(district_names))
    sg, n_s = _dense(
        _check_ids(
            "school_group", missing if school_group is None else school_group, n, allow_missing=True
        )
    )
    wg, n_w = _dense(
        _check_ids(
            "work_group", missing if work_group is None else work_group, n, allow_missing=True
        )
    )
    if ((sg >= 0) & (wg >= 0)).any():
        raise ValueError("an agent must not be in both a school_group and a work_group")
    bld = _check_ids("building", zeros if building is None else building, n, allow_missing=False)
    if active_days is None:
        days = np.full(n, WEEKDAYS_MASK, dtype=np.uint8)
    else:
        d = np.asarray(active_days)
        if d.shape != (n,) or int(d.min()) < 0 or int(d.max()) > ALL_DAYS_MASK:
            raise ValueError("active_days must be one weekday bitmask (0..127) per agent")
        days = d.astype(np.uint8)
    if occupation is None:
        occ = np.full(n, -1, dtype=np.int8)
    else:
        o = np.asarray(occupation)
        if o.shape != (n,) or int(o.min()) < -1 or int(o.max()) >= len(OCCUPATIONS):
            raise ValueError(f"occupation must be one code in [-1, {len(OCCUPATIONS)}) per agent")
        occ = o.astype(np.int8)
    return Population(
        age=a.astype(np.int16),
        household=hh,
        school_group=sg,
        work_group=wg,
        building=bld,
        community=comm,
        district=dist,
        active_days=days,
        occupation=occ,
        n_households=n_h,
        n_school_groups=n_s,
        n_work_groups=n_w,
        n_communities=n_c,
        n_districts=n_d,
        district_names=tuple(district_names),
        community_area_ids=np.full(n_c, -1, dtype=np.int32),
        district_area_ids=np.full(n_d, -1, dtype=np.int32),
    )


def _ancestors(areas: pa.Table, ids: I32, level: str) -> I32:
    """The ``level`` ancestor (area id) of each area in ``ids``."""
    n_areas = areas.num_rows
    area_id = areas.column("id").to_numpy().astype(np.int64)
    parent = np.full(int(area_id.max()) + 1 if n_areas else 0, -1, dtype=np.int64)
    lvl = np.full(len(parent), -1, dtype=np.int64)
    parent[area_id] = areas.column("parent_id").fill_null(-1).to_numpy().astype(np.int64)
    codes = pc.index_in(areas.column("level"), pa.array(list(AREA_LEVELS))).fill_null(-1)
    lvl[area_id] = codes.to_numpy().astype(np.int64)
    target = LEVEL[level]
    cur = ids.astype(np.int64)
    for _ in range(len(AREA_LEVELS)):
        above = lvl[cur] > target
        if not above.any():
            break
        cur = np.where(above, parent[cur], cur)
        if (cur < 0).any():
            raise ValueError(f"areas: an area has no {level} ancestor")
    if (lvl[cur] != target).any():
        raise ValueError(f"areas: an area has no {level} ancestor")
    return cur.astype(np.int32)


def population_from_tables(persons: pa.Table, groups: pa.Table, areas: pa.Table) -> Population:
    """Agents from the city tables (schemas of :mod:`epicontrol.core.city.schemas`).

    A group of kind ``class`` is the agent's school group, ``team`` its work
    group.  Service and health workers work six days a week with one day off
    (``person id mod 7``, as in the check-in model); everybody else Monday to
    Friday.
    """
    for name, table, cols in (
        ("persons", persons, ("id", "household_id", "building_id", "age", "group_id")),
        ("groups", groups, ("id", "kind")),
        ("areas", areas, ("id", "level", "parent_id", "name")),
    ):
        missing = [c for c in cols if c not in table.column_names]
        if missing:
            raise ValueError(f"{name}: missing columns {', '.join(missing)}")
    pid = persons.column("id").to_numpy()
    n = len(pid)
    if n == 0 or not np.array_equal(pid, np.arange(n)):
        raise ValueError("persons: id must be dense 0..n-1 in order")
    building = persons.column("building_id").to_numpy().astype(np.int32)
    group = persons.column("group_id").fill_null(-1).to_numpy().astype(np.int64)
    g_ids = groups.column("id").to_numpy().astype(np.int64)
    is_class = np.zeros(int(g_ids.max()) + 1 if len(g_ids) else 0, dtype=np.bool_)
    is_class[g_ids] = pc.equal(groups.column("kind"), "class").to_numpy(zero_copy_only=False)
    if len(group) and int(group.max()) >= len(is_class):
        raise ValueError("persons: group_id refers to a group not in groups")
    has = group >= 0
    pupil = np.zeros(n, dtype=np.bool_)
    pupil[has] = is_class[group[has]]
    school = np.where(has & pupil, group, -1)
    work = np.where(has & ~pupil, group, -1)

    community_area = _ancestors(areas, building, "community")
    district_area = _ancestors(areas, building, "district")
    lvl = areas.column("level").to_numpy(zero_copy_only=False)
    a_ids = areas.column("id").to_numpy()
    names = areas.column("name").to_numpy(zero_copy_only=False)
    d_area = a_ids[lvl == "district"].astype(np.int32)
    d_names = tuple(str(x) for x in names[lvl == "district"])
    d_index = np.full(int(a_ids.max()) + 1, -1, dtype=np.int32)
    d_index[d_area] = np.arange(len(d_area), dtype=np.int32)

    occ = np.full(n, -1, dtype=np.int8)
    if "occupation" in persons.column_names:
        codes = pc.index_in(persons.column("occupation"), pa.array(list(OCCUPATIONS)))
        occ = codes.fill_null(-1).to_numpy().astype(np.int8)
    six = np.isin(occ, [OCCUPATION[o] for o in SIX_DAY_OCCUPATIONS])
    off_day = (np.arange(n) % 7).astype(np.uint8)
    days = np.where(
        six, (ALL_DAYS_MASK & ~(1 << off_day)).astype(np.uint8), np.uint8(WEEKDAYS_MASK)
    )
    pop = population_from_arrays(
        age=persons.column("age").to_numpy(),
        household=persons.column("household_id").to_numpy(),
        community=community_area,
        district=d_index[district_area],
        school_group=school,
        work_group=work,
        building=building,
        active_days=days.astype(np.uint8),
        occupation=occ,
        district_names=d_names,
    )
    comm_area_ids = np.unique(community_area).astype(np.int32)  # _dense numbers in this order
    return replace(pop, community_area_ids=comm_area_ids, district_area_ids=d_area)


def population_from_city(city: GeneratedCity) -> Population:
    """Agents of a generated city (``generate_city(CityParams(...))``)."""
    return population_from_tables(city.persons, city.groups, city.areas)
