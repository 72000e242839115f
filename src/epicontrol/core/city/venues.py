"""Venues, organisations (schools, universities, workplaces, hospitals),
their classes and teams, and the facilities of the synthetic city.

Commercial venues are drawn per community from rates per 10 000 residents;
schools are sized per street and stage; offices and factories get
heavy-tailed sizes (log-normal) and draw their staff partly from other
districts (commuting); hospitals, quarantine sites and labs are sized per
district from the provision ranges in :class:`~.params.CityParams`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from .geography import Geography
from .params import CityParams
from .population import Population
from .schemas import FACILITIES, GROUPS, OCCUPATION, VENUE_TYPE, VENUE_TYPES, VENUES

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]

#: Commercial venues per 10 000 residents of a community, and capacity ranges.
COMMERCIAL_RATES: dict[str, float] = {
    "restaurant": 30.0,
    "market": 2.5,
    "pharmacy": 4.0,
    "mall": 0.4,
}
CAPACITY: dict[str, tuple[int, int]] = {
    "restaurant": (20, 150),
    "market": (150, 800),
    "pharmacy": (8, 30),
    "mall": (1000, 8000),
    "transport_hub": (2000, 30000),
}
VENUE_ZH = {
    "market": "菜市场",
    "mall": "购物中心",
    "restaurant": "餐馆",
    "transport_hub": "交通枢纽",
    "pharmacy": "药店",
    "hospital": "医院",
    "school": "学校",
    "university": "大学",
    "office": "写字楼",
    "factory": "工厂",
}
#: School stages: (occupation, min age, max age, students per school, class size, name)
STAGES = (
    ("preschool", 3, 5, 300, 30, "幼儿园"),
    ("student", 6, 11, 1500, 45, "小学"),
    ("student", 12, 17, 1800, 50, "中学"),
)


@dataclass(frozen=True)
class Venues:
    """Venues, groups and facilities, and each person's organisation and group."""

    venues: pa.Table
    groups: pa.Table
    facilities: pa.Table
    person_org: I32  # venue id or -1
    person_group: I32  # group id or -1
    venue_type: NDArray[np.int8]
    venue_building: I32


class _Builder:
    """Accumulates venue and group rows; ids are dense in creation order."""

    def __init__(self) -> None:
        self.type: list[I64] = []
        self.building: list[I64] = []
        self.capacity: list[I64] = []
        self.n = 0
        self.g_venue: list[I64] = []
        self.g_kind: list[str] = []
        self.n_groups = 0

    def add(self, vtype: str, buildings: I64, capacity: I64) -> I64:
        k = len(buildings)
        ids = np.arange(self.n, self.n + k, dtype=np.int64)
        self.type.append(np.full(k, VENUE_TYPE[vtype], dtype=np.int64))
        self.building.append(np.asarray(buildings, dtype=np.int64))
        self.capacity.append(np.maximum(np.asarray(capacity, dtype=np.int64), 1))
        self.n += k
        return ids

    def groups(self, venue_of_group: I64, kind: str) -> I64:
        k = len(venue_of_group)
        ids = np.arange(self.n_groups, self.n_groups + k, dtype=np.int64)
        self.g_venue.append(np.asarray(venue_of_group, dtype=np.int64))
        self.g_kind.extend([kind] * k)
        self.n_groups += k
        return ids


def _ranges(sorted_keys: I64, n_keys: int) -> tuple[I64, I64]:
    """First index and count of each key 0..n_keys-1 in a sorted key array."""
    first = np.searchsorted(sorted_keys, np.arange(n_keys), side="left")
    last = np.searchsorted(sorted_keys, np.arange(n_keys), side="right")
    return first.astype(np.int64), (last - first).astype(np.int64)


def _random_in(first: I64, count: I64, unit: I64, rng: np.random.Generator) -> I64:
    """A random element index within each ``unit``'s contiguous range."""
    return first[unit] + np.floor(rng.random(len(unit)) * count[unit]).astype(np.int64)


def _grouped_chunks(order_key: I64, org: I64, size: int, builder: _Builder, kind: str) -> I64:
    """Cut members (sorted by ``order_key``) of each org into groups of ``size``.

    Returns the group id of each member (same order as ``org``).
    """
    order = np.argsort(order_key, kind="stable")
    key_sorted = order_key[order]
    starts = np.r_[0, np.flatnonzero(np.diff(key_sorted)) + 1]
    lengths = np.diff(np.r_[starts, len(order)])
    rank = np.arange(len(order)) - np.repeat(starts, lengths)
    local = rank // size
    # group ordinal: (key run, local chunk)
    new_group = np.r_[True, (np.diff(key_sorted) != 0) | (np.diff(local) != 0)]
    ordinal = np.cumsum(new_group) - 1
    venue_of_group = org[order][new_group]
    ids = builder.groups(venue_of_group, kind)
    out = np.empty(len(order), dtype=np.int64)
    out[order] = ids[ordinal]
    return out


def _fill_sizes(total: int, mean: float, sigma: float, rng: np.random.Generator) -> I64:
    """Heavy-tailed organisation sizes (log-normal) that sum exactly to ``total``."""
    if total <= 0:
        return np.zeros(0, dtype=np.int64)
    mu = np.log(mean) - sigma**2 / 2
    sizes = np.maximum(1, np.round(rng.lognormal(mu, sigma, size=int(total / mean * 1.5) + 4)))
    while sizes.sum() < total:
        more = rng.lognormal(mu, sigma, size=int(total / mean) + 4)
        sizes = np.concatenate([sizes, np.maximum(1, np.round(more))])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, total))
    out = sizes[: k + 1].astype(np.int64)
    out[-1] -= int(cum[k] - total)
    return out


def build_venues(
    params: CityParams, geo: Geography, pop: Population, rng: np.random.Generator
) -> Venues:
    """Create venues, organisations, groups and facilities; assign persons to them."""
    b_ids = geo.ids("building").astype(np.int64)
    b0 = int(geo.first_id[5])
    units = {
        lvl: geo.ancestor(b_ids.astype(np.int32), lvl).astype(np.int64)
        for lvl in ("district", "street", "community")
    }
    rel = {
        lvl: units[lvl] - int(geo.first_id[i])
        for i, lvl in ((1, "district"), (2, "street"), (3, "community"))
    }
    n_d, n_s, n_c = (int(geo.count[i]) for i in (1, 2, 3))
    b_first = {
        "district": _ranges(rel["district"], n_d),
        "street": _ranges(rel["street"], n_s),
        "community": _ranges(rel["community"], n_c),
    }
    county_d = np.array([d.kind == "county" for d in params.districts])

    person_b = pop.person_building.astype(np.int64) - b0
    p_street = rel["street"][person_b]
    p_district = rel["district"][person_b]
    comm_pop = np.bincount(rel["community"][person_b], minlength=n_c)
    district_pop = np.bincount(p_district, minlength=n_d)
    n_p = len(person_b)
    person_org = np.full(n_p, -1, dtype=np.int64)
    person_group = np.full(n_p, -1, dtype=np.int64)
    vb = _Builder()

    def in_units(level: str, unit: I64) -> I64:
        first, count = b_first[level]
        return b_ids[_random_in(first, count, unit, rng)]

    # Commercial venues per community, from rates per 10 000 residents.
    comm_ids = np.arange(n_c, dtype=np.int64)
    comm_district = rel["district"][b_first["community"][0]]
    for vtype, rate in COMMERCIAL_RATES.items():
        lam = comm_pop * rate / 10_000
        if vtype == "mall":
            lam = lam * np.where(county_d[comm_district], 0.5, 1.0)
        k = rng.poisson(lam)
        if vtype in ("market", "pharmacy", "restaurant"):
            k = np.maximum(k, 1)
        else:  # at least one mall per district, in its most populous community
            for d in range(n_d):
                mine = np.flatnonzero(comm_district == d)
                if mine.size and k[mine].sum() == 0:
                    k[mine[np.argmax(comm_pop[mine])]] = 1
        unit = np.repeat(comm_ids, k)
        lo, hi = CAPACITY[vtype]
        vb.add(vtype, in_units("community", unit), rng.integers(lo, hi + 1, size=len(unit)))
    commercial_n = vb.n

    # Transport hubs: 3 per urban district and 1 per county, plus rail and airport.
    hubs = np.repeat(np.arange(n_d, dtype=np.int64), np.where(county_d, 1, 3))
    hubs = np.concatenate([hubs, np.flatnonzero(~county_d)[:1].repeat(2), [n_d - 1]])
    lo, hi = CAPACITY["transport_hub"]
    vb.add("transport_hub", in_units("district", hubs), rng.integers(lo, hi + 1, size=len(hubs)))

    # Schools per street and stage; classes by age within a school.
    occ = pop.occupation
    for occ_name, a0, a1, per_school, class_size, _ in STAGES:
        members = np.flatnonzero((occ == OCCUPATION[occ_name]) & (pop.age >= a0) & (pop.age <= a1))
        if len(members) == 0:
            continue
        per_street = np.bincount(p_street[members], minlength=n_s)
        n_schools = np.where(per_street > 0, np.ceil(per_street / per_school), 0).astype(np.int64)
        street_of_school = np.repeat(np.arange(n_s, dtype=np.int64), n_schools)
        first_school = np.r_[0, np.cumsum(n_schools)[:-1]]
        cap = np.ceil(per_street[street_of_school] / np.maximum(n_schools[street_of_school], 1))
        ids = vb.add("school", in_units("street", street_of_school), cap.astype(np.int64))
        s = p_street[members]
        local = np.floor(rng.random(len(members)) * n_schools[s]).astype(np.int64)
        org = ids[first_school[s] + local]
        person_org[members] = org
        key = org * 128 + pop.age[members]
        person_group[members] = _grouped_chunks(key, org, class_size, vb, "class")

    # Universities in urban districts; classes of 40 by age.
    members = np.flatnonzero(occ == OCCUPATION["university_student"])
    if len(members):
        n_u = max(1, int(np.ceil(len(members) / 20_000)))
        urban = np.flatnonzero(~county_d).astype(np.int64)
        where = in_units("district", rng.choice(urban, size=n_u))
        ids = vb.add("university", where, np.full(n_u, len(members) // n_u + 1))
        org = ids[rng.integers(0, n_u, size=len(members))]
        person_org[members] = org
        key = org * 128 + pop.age[members]
        person_group[members] = _grouped_chunks(key, org, 40, vb, "class")

    # Offices (65 % work in their own district, others commute to urban districts)
    # and factories (80 % own district); sizes log-normal, teams of 12 / 25.
    urban_idx = np.flatnonzero(~county_d)
    urban_w = district_pop[urban_idx] / max(district_pop[urban_idx].sum(), 1)
    for occ_name, vtype, local_share, mean, team in (
        ("office_worker", "office", 0.65, 60.0, 12),
        ("factory_worker", "factory", 0.80, 180.0, 25),
    ):
        members = np.flatnonzero(occ == OCCUPATION[occ_name])
        if len(members) == 0:
            continue
        work_d = p_district[members].copy()
        away = rng.random(len(members)) >= local_share
        targets = urban_idx if vtype == "office" else np.arange(n_d)
        weights = urban_w if vtype == "office" else district_pop / district_pop.sum()
        work_d[away] = rng.choice(targets, size=int(away.sum()), p=weights)
        members = members[np.lexsort((rng.random(len(members)), work_d))]
        work_d = np.sort(work_d)
        for d in np.unique(work_d):
            staff = members[work_d == d]
            sizes = _fill_sizes(len(staff), mean, 1.1, rng)
            ids = vb.add(vtype, in_units("district", np.full(len(sizes), d)), sizes)
            org = np.repeat(ids, sizes)
            person_org[staff] = org
            rank = np.arange(len(staff)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
            person_group[staff] = _grouped_chunks(
                org * 1_000_000 + rank // team, org, team, vb, "team"
            )

    # Service workers staff commercial venues in their street (one team per venue).
    members = np.flatnonzero(occ == OCCUPATION["service_worker"])
    venue_street = rel["street"][np.concatenate(vb.building)[:commercial_n] - b0]
    order = np.argsort(venue_street, kind="stable")
    v_first, v_count = _ranges(venue_street[order], n_s)
    s = p_street[members]
    has = v_count[s] > 0
    # streets always hold at least one restaurant per community, so ``has`` is all-true
    pick = order[_random_in(v_first, v_count, s[has], rng)]
    person_org[members[has]] = pick
    staffed = np.unique(pick)
    team_ids = vb.groups(staffed, "team")
    person_group[members[has]] = team_ids[np.searchsorted(staffed, pick)]

    # Hospitals per district from bed provision; health workers staff them.
    f_rows: dict[str, list[object]] = {k: [] for k in FACILITIES.names}

    def facility(
        kind: str, subtype: str | None, building: int, venue: int | None, **caps: int
    ) -> None:
        f_rows["kind"].append(kind)
        f_rows["subtype"].append(subtype)
        f_rows["building_id"].append(int(building))
        f_rows["venue_id"].append(venue)
        for col in (
            "beds",
            "icu_beds",
            "rooms",
            "accessible_rooms",
            "tests_per_day",
            "samples_per_hour",
        ):
            f_rows[col].append(caps.get(col))

    hospital_d: list[int] = []
    hospital_beds: list[int] = []
    hospital_venues: list[int] = []
    designated_done = False
    for d in range(n_d):
        kind = "county" if county_d[d] else "urban"
        pop_d = int(district_pop[d])
        beds = max(10, round(pop_d * rng.uniform(*params.beds_per_10k[kind]) / 10_000))
        icu = round(pop_d * rng.uniform(*params.icu_per_10k[kind]) / 10_000)
        n_h = max(1, round(beds / 500))
        share = rng.dirichlet(np.full(n_h, 4.0))
        h_beds = np.maximum(1, np.round(share * beds)).astype(np.int64)
        h_icu = np.minimum(np.round(share * icu).astype(np.int64), h_beds)
        h_building = in_units("district", np.full(n_h, d))
        ids = vb.add("hospital", h_building, h_beds * 3)
        for j in range(n_h):
            if kind == "county":
                subtype = "county"
            elif not designated_done:
                subtype, designated_done = "designated", True
            else:
                subtype = "general"
            facility(
                "hospital",
                subtype,
                int(h_building[j]),
                int(ids[j]),
                beds=int(h_beds[j]),
                icu_beds=int(h_icu[j]),
            )
            hospital_d.append(d)
            hospital_beds.append(int(h_beds[j]))
            hospital_venues.append(int(ids[j]))
    h_d = np.array(hospital_d)
    h_w = np.array(hospital_beds, dtype=np.float64)
    h_v = np.array(hospital_venues, dtype=np.int64)
    members = np.flatnonzero(occ == OCCUPATION["health_worker"])
    if len(members):
        org = np.empty(len(members), dtype=np.int64)
        for d in range(n_d):
            mine = p_district[members] == d
            cand = np.flatnonzero(h_d == d)
            org[mine] = h_v[rng.choice(cand, size=int(mine.sum()), p=h_w[cand] / h_w[cand].sum())]
        person_org[members] = org
        key = org * 1_000_000 + rng.integers(0, 1_000_000, size=len(members))
        person_group[members] = _grouped_chunks(key, org, 15, vb, "team")

    # Quarantine sites, labs and sampling sites.
    for d in range(n_d):
        kind = "county" if county_d[d] else "urban"
        pop_d = int(district_pop[d])
        rooms = round(pop_d * rng.uniform(*params.quarantine_rooms_per_10k[kind]) / 10_000)
        n_q = max(1, round(rooms / 150))
        r = np.maximum(np.round(rng.dirichlet(np.full(n_q, 5.0)) * rooms), 0).astype(np.int64)
        for j in range(n_q):
            acc = int(np.floor(r[j] * rng.uniform(0.03, 0.08)))
            facility(
                "quarantine_site",
                "hotel",
                int(in_units("district", np.array([d]))[0]),
                None,
                rooms=int(r[j]),
                accessible_rooms=acc,
            )
        tests = round(pop_d * rng.uniform(*params.lab_tests_per_10k) / 10_000)
        n_l = 1 if county_d[d] else 2
        for t in np.round(rng.dirichlet(np.full(n_l, 3.0)) * tests).astype(np.int64):
            facility(
                "lab", None, int(in_units("district", np.array([d]))[0]), None, tests_per_day=int(t)
            )
    extra = (comm_pop // 5000).astype(np.int64)
    sites = np.repeat(comm_ids, 1 + extra)
    sites = sites[comm_pop[sites] > 0]
    for bld, cap in zip(
        in_units("community", sites), rng.integers(150, 401, size=len(sites)), strict=True
    ):
        facility("sampling_site", None, int(bld), None, samples_per_hour=int(cap))

    v_type = np.concatenate(vb.type).astype(np.int8)
    v_building = np.concatenate(vb.building).astype(np.int32)
    v_cap = np.concatenate(vb.capacity).astype(np.int32)
    n_v = len(v_type)
    v_ids = np.arange(n_v, dtype=np.int32)
    counters: dict[int, int] = {}
    v_names: list[str] = []
    for t in v_type.tolist():
        counters[t] = counters.get(t, 0) + 1
        v_names.append(f"{VENUE_ZH[VENUE_TYPES[t]]}{counters[t]:05d}")
    venues = pa.table(
        {
            "id": pa.array(v_ids),
            "code": pa.array([f"V{i:08d}" for i in range(n_v)], pa.string()),
            "type": pa.array([VENUE_TYPES[t] for t in v_type.tolist()], pa.string()),
            "name": pa.array(v_names, pa.string()),
            "building_id": pa.array(v_building),
            "capacity": pa.array(v_cap),
            "lon": pa.array(np.round(geo.lon[v_building] + rng.normal(0, 2e-4, n_v), 6)),
            "lat": pa.array(np.round(geo.lat[v_building] + rng.normal(0, 2e-4, n_v), 6)),
        },
        schema=VENUES,
    )
    g_venue = np.concatenate(vb.g_venue).astype(np.int32)
    n_g = len(g_venue)
    g_label = [
        f"{'班' if k == 'class' else '组'}{r + 1}"
        for k, r in zip(vb.g_kind, _rank_within(g_venue).tolist(), strict=True)
    ]
    groups = pa.table(
        {
            "id": pa.array(np.arange(n_g, dtype=np.int32)),
            "venue_id": pa.array(g_venue),
            "kind": pa.array(vb.g_kind, pa.string()),
            "label": pa.array(g_label, pa.string()),
        },
        schema=GROUPS,
    )
    n_f = len(f_rows["kind"])
    f_rows["id"] = list(range(n_f))
    f_rows["code"] = [f"F{i:06d}" for i in range(n_f)]
    zh = {
        "hospital": "医院",
        "quarantine_site": "集中隔离点",
        "lab": "实验室",
        "sampling_site": "采样点",
    }
    f_rows["name"] = [f"{zh[str(k)]}{i + 1:04d}" for i, k in enumerate(f_rows["kind"])]
    facilities = pa.table({k: f_rows[k] for k in FACILITIES.names}, schema=FACILITIES)
    return Venues(
        venues=venues,
        groups=groups,
        facilities=facilities,
        person_org=person_org.astype(np.int32),
        person_group=person_group.astype(np.int32),
        venue_type=v_type,
        venue_building=v_building,
    )


def _rank_within(keys: I32) -> I64:
    """0-based occurrence number of each element among equal keys (stable)."""
    order = np.argsort(keys, kind="stable")
    sk = keys[order]
    starts = np.r_[0, np.flatnonzero(np.diff(sk)) + 1]
    rank_sorted = np.arange(len(sk)) - np.repeat(starts, np.diff(np.r_[starts, len(sk)]))
    out = np.empty(len(sk), dtype=np.int64)
    out[order] = rank_sorted
    return out
