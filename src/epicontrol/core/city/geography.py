"""Area hierarchy of the synthetic city and same-level adjacency.

Areas are laid out top-down (district centre → street → community →
compound → building) with uniform-disk jitter, so that units close in the
hierarchy are close on the map.  Ids are dense and assigned level by level,
so each level is a contiguous id range.  Adjacency between units of one
level is the Delaunay triangulation of their centroids (Lee & Schachter
1980) without the edges longer than twice the larger nearest-neighbour
distance of their two ends, which drops the long hull edges across empty
countryside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray
from scipy.spatial import Delaunay, QhullError, cKDTree

from .params import CityParams
from .schemas import ADJACENCY, AREA_LEVELS, AREAS

I32 = NDArray[np.int32]
F64 = NDArray[np.float64]

_STREET_SYLLABLES = (
    "东街", "南门", "水部", "鳌峰", "温泉", "洪山", "安泰", "华林", "五凤", "东湖",
    "茶亭", "义洲", "新港", "上渡", "仓前", "金山", "建新", "盖山", "城门", "螺洲",
    "鼓山", "岳峰", "王庄", "象园", "新店", "宦溪", "琅岐", "亭江", "快安", "罗星",
)  # fmt: skip
_STREET_EN = (
    "Dongjie", "Nanmen", "Shuibu", "Aofeng", "Wenquan", "Hongshan", "Antai", "Hualin",
    "Wufeng", "Donghu", "Chating", "Yizhou", "Xingang", "Shangdu", "Cangqian", "Jinshan",
    "Jianxin", "Gaishan", "Chengmen", "Luozhou", "Gushan", "Yuefeng", "Wangzhuang",
    "Xiangyuan", "Xindian", "Huanxi", "Langqi", "Tingjiang", "Kuai'an", "Luoxing",
)  # fmt: skip


@dataclass(frozen=True)
class Geography:
    """The generated hierarchy; ``first_id[level]`` starts each level's id range."""

    table: pa.Table
    adjacency: pa.Table
    first_id: I32
    count: I32
    parent: I32
    district_kind_of_building: NDArray[np.int8]
    #: Target residents of each building (sums to the population).
    building_capacity: I32
    lon: F64
    lat: F64

    def ids(self, level: str) -> I32:
        """All area ids of ``level``."""
        i = AREA_LEVELS.index(level)
        return np.arange(self.first_id[i], self.first_id[i] + self.count[i], dtype=np.int32)

    def ancestor(self, ids: I32, level: str) -> I32:
        """Area id at ``level`` above each of ``ids`` (ids must be at or below it)."""
        target = AREA_LEVELS.index(level)
        out = ids.astype(np.int32, copy=True)
        lo = self.first_id[target]
        hi = lo + self.count[target]
        for _ in range(len(AREA_LEVELS)):
            above = out >= hi
            if not above.any():
                break
            out[above] = self.parent[out[above]]
        if ((out < lo) | (out >= hi)).any():
            raise ValueError(f"some ids lie above level {level!r}")
        return out


def _split(total: int, n: int, rng: np.random.Generator, spread: float = 0.3) -> I32:
    """Split ``total`` into ``n`` positive integers with relative spread ``spread``."""
    if n <= 0:
        return np.zeros(0, dtype=np.int32)
    weights = rng.gamma(1.0 / spread**2, size=n)
    raw = weights / weights.sum() * total
    parts = np.floor(raw).astype(np.int64)
    rest = total - int(parts.sum())
    if rest > 0:
        order = np.argsort(-(raw - parts), kind="stable")[:rest]
        parts[order] += 1
    out: I32 = parts.astype(np.int32)
    return out


def _disk(centres: F64, radius: F64, rng: np.random.Generator) -> F64:
    """One point uniformly in a disk around each centre (lon scaled by cos(lat))."""
    r = radius * np.sqrt(rng.random(len(centres)))
    theta = rng.random(len(centres)) * 2 * np.pi
    out = centres.copy()
    out[:, 1] += r * np.sin(theta)
    out[:, 0] += r * np.cos(theta) / np.cos(np.radians(centres[:, 1]))
    return out


def adjacency_edges(points: F64) -> NDArray[np.int64]:
    """Undirected edges (i < j) between neighbouring points, see module docstring."""
    n = len(points)
    if n < 2:
        return np.zeros((0, 2), dtype=np.int64)
    xy = points.copy()
    xy[:, 0] *= np.cos(np.radians(points[:, 1].mean()))
    if n < 4:
        edges = np.array([(i, j) for i in range(n) for j in range(i + 1, n)], dtype=np.int64)
    else:
        try:
            simplices = Delaunay(xy).simplices
        except QhullError:  # all points on a line
            order = np.argsort(xy[:, 0] + xy[:, 1])
            return np.sort(np.stack([order[:-1], order[1:]], axis=1), axis=1)
        e = np.concatenate([simplices[:, [0, 1]], simplices[:, [1, 2]], simplices[:, [0, 2]]])
        edges = np.unique(np.sort(e, axis=1), axis=0)
    nn = cKDTree(xy).query(xy, k=2)[0][:, 1]
    length = np.linalg.norm(xy[edges[:, 0]] - xy[edges[:, 1]], axis=1)
    keep = length <= 2.0 * np.maximum(nn[edges[:, 0]], nn[edges[:, 1]])
    return np.asarray(edges[keep], dtype=np.int64)


def build_geography(params: CityParams, rng: np.random.Generator) -> Geography:
    """Lay out districts, streets, communities, compounds and buildings."""
    n_pop = params.population
    shares = np.array([d.share for d in params.districts])
    district_pop = np.floor(shares * n_pop).astype(np.int64)
    district_pop[np.argmax(shares)] += n_pop - int(district_pop.sum())

    names: list[str] = [params.name]
    names_en: list[str] = [params.name_en]
    codes: list[str] = ["MJ"]
    kinds: list[str | None] = [None]
    levels: list[int] = [0]
    parents: list[int] = [-1]
    centre = np.array([params.centre], dtype=np.float64)
    coords: list[F64] = [centre]

    # Level 1: districts.
    d_xy = centre + np.array([d.offset for d in params.districts])
    for i, d in enumerate(params.districts):
        names.append(d.name)
        names_en.append(d.name_en)
        codes.append(f"MJ-{i + 1:02d}")
        kinds.append(d.kind)
        levels.append(1)
        parents.append(0)
    coords.append(d_xy)
    d_first = 1

    # Levels 2-3: streets and communities, sized from each district's residents.
    street_parent: list[int] = []
    street_pop: list[int] = []
    comm_parent_street: list[int] = []
    comm_pop: list[int] = []
    for i, d in enumerate(params.districts):
        n_comm = max(1, round(district_pop[i] / params.residents_per_community))
        n_street = max(1, round(n_comm / params.communities_per_street[d.kind]))
        n_comm = max(n_comm, n_street)
        comm_sizes = _split(int(district_pop[i]), n_comm, rng, spread=0.25)
        # communities dealt to streets in order: contiguous blocks
        street_of_comm = np.sort(np.arange(n_comm) % n_street)
        for s in range(n_street):
            street_parent.append(d_first + i)
            members = comm_sizes[street_of_comm == s]
            street_pop.append(int(members.sum()))
            for size in members:
                comm_parent_street.append(len(street_parent) - 1)
                comm_pop.append(int(size))

    kind_of_district = np.array([d.kind == "county" for d in params.districts], dtype=np.int8)
    s_first = len(names)
    s_parent = np.array(street_parent, dtype=np.int64)
    s_kind = kind_of_district[s_parent - d_first]
    s_radius = np.where(kind_of_district == 1, 0.22, 0.035)[s_parent - d_first]
    s_xy = _disk(np.asarray(d_xy[s_parent - d_first]), s_radius, rng)
    for j, p in enumerate(street_parent):
        di = p - d_first
        k = j % len(_STREET_SYLLABLES)
        county = params.districts[di].kind == "county"
        names.append(f"{_STREET_SYLLABLES[k]}{'镇' if county else '街道'}{j + 1}")
        names_en.append(f"{_STREET_EN[k]} {'Town' if county else 'Street'} {j + 1}")
        codes.append(f"{codes[p]}-{j + 1:03d}")
        kinds.append(None)
        levels.append(2)
        parents.append(p)
    coords.append(s_xy)

    c_first = len(names)
    c_parent_idx = np.array(comm_parent_street, dtype=np.int64)
    c_kind = s_kind[c_parent_idx]
    c_xy = _disk(s_xy[c_parent_idx], np.where(c_kind == 1, 0.06, 0.010), rng)
    for j, si in enumerate(comm_parent_street):
        county = bool(s_kind[si])
        names.append(f"{names[s_first + si][:2]}{j + 1}{'村' if county else '社区'}")
        names_en.append(f"{'Village' if county else 'Community'} {j + 1}")
        codes.append(f"{codes[s_first + si]}-{j + 1:04d}")
        kinds.append(None)
        levels.append(3)
        parents.append(s_first + si)
    coords.append(c_xy)

    # Level 4: compounds.
    comp_comm: list[int] = []
    comp_pop: list[int] = []
    for j, pop in enumerate(comm_pop):
        kind = "county" if c_kind[j] else "urban"
        n = max(1, round(pop / params.residents_per_compound[kind]))
        for size in _split(pop, n, rng, spread=0.3):
            comp_comm.append(j)
            comp_pop.append(int(size))
    k_first = len(names)
    k_comm = np.array(comp_comm, dtype=np.int64)
    k_kind = c_kind[k_comm]
    k_xy = _disk(c_xy[k_comm], np.where(k_kind == 1, 0.015, 0.003), rng)
    coords.append(k_xy)
    n_comp = len(comp_comm)
    names.extend(f"{(j % 99) + 1}{'组' if k_kind[j] else '小区'}" for j in range(n_comp))
    names_en.extend(f"{'Group' if k_kind[j] else 'Compound'} {(j % 99) + 1}" for j in range(n_comp))
    codes.extend(f"{codes[c_first + c]}-{j + 1:05d}" for j, c in enumerate(comp_comm))
    kinds.extend([None] * n_comp)
    levels.extend([4] * n_comp)
    parents.extend((c_first + k_comm).tolist())

    # Level 5: buildings, with a target number of residents each.
    b_comp_parts: list[I32] = []
    b_cap_parts: list[I32] = []
    for j, pop in enumerate(comp_pop):
        kind = "county" if k_kind[j] else "urban"
        n = max(1, round(pop / params.residents_per_building[kind]))
        b_cap_parts.append(_split(pop, n, rng, spread=0.35))
        b_comp_parts.append(np.full(n, j, dtype=np.int32))
    b_comp = np.concatenate(b_comp_parts).astype(np.int64)
    b_cap = np.concatenate(b_cap_parts).astype(np.int32)
    b_first = len(names)
    b_kind = k_kind[b_comp]
    b_xy = _disk(k_xy[b_comp], np.where(b_kind == 1, 0.003, 0.0006), rng)
    coords.append(b_xy)
    n_b = len(b_comp)
    # building number within its compound
    starts = np.r_[0, np.flatnonzero(np.diff(b_comp)) + 1]
    number = np.arange(n_b) - np.repeat(starts, np.diff(np.r_[starts, n_b]))
    names.extend(f"{k + 1}号楼" for k in number)
    names_en.extend(f"Building {k + 1}" for k in number)
    codes.extend(f"{codes[k_first + c]}-{k + 1:03d}" for c, k in zip(b_comp, number, strict=True))
    kinds.extend([None] * n_b)
    levels.extend([5] * n_b)
    parents.extend((k_first + b_comp).tolist())

    xy = np.concatenate(coords)
    level_arr = np.array(levels, dtype=np.int8)
    parent = np.array(parents, dtype=np.int32)
    first_id = np.array([0, d_first, s_first, c_first, k_first, b_first], dtype=np.int32)
    count = np.bincount(level_arr, minlength=6).astype(np.int32)

    # Residents and households are filled in by the population step.
    table = pa.table(
        {
            "id": pa.array(np.arange(len(names), dtype=np.int32)),
            "code": pa.array(codes, pa.string()),
            "level": pa.array([AREA_LEVELS[v] for v in level_arr], pa.string()),
            "parent_id": pa.array(parent, pa.int32(), mask=parent < 0),
            "name": pa.array(names, pa.string()),
            "name_en": pa.array(names_en, pa.string()),
            "kind": pa.array(kinds, pa.string()),
            "lon": pa.array(np.round(xy[:, 0], 6)),
            "lat": pa.array(np.round(xy[:, 1], 6)),
            "population": pa.array(np.zeros(len(names), dtype=np.int32)),
            "households": pa.array(np.zeros(len(names), dtype=np.int32)),
        },
        schema=AREAS,
    )

    edge_parts = []
    for lvl in range(1, 6):
        lo, n = int(first_id[lvl]), int(count[lvl])
        e = adjacency_edges(xy[lo : lo + n]) + lo
        edge_parts.append(e)
    edges = np.concatenate(edge_parts).astype(np.int32)
    adjacency = pa.table(
        {"area_a": pa.array(edges[:, 0]), "area_b": pa.array(edges[:, 1])}, schema=ADJACENCY
    )
    return Geography(
        table=table,
        adjacency=adjacency,
        first_id=first_id,
        count=count,
        parent=parent,
        district_kind_of_building=b_kind.astype(np.int8),
        building_capacity=b_cap,
        lon=xy[:, 0],
        lat=xy[:, 1],
    )
