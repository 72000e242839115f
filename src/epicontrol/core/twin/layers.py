"""Contact layers of the twin: household, school, work (groups) and community (pools).

*Group layers.*  Every member of a household, school class or work team
meets every other member on each day the layer is active for both: always
for households; on the agent's ``active_days`` (school and work, attended
with the layer's ``attendance`` probability, drawn per agent and day).  The
three layers share one id space (households first, then classes, then
teams) so one CSR of members serves the kernels.

*Community layer.*  Contacts outside home, school and work are random within
nested pools — the home community, the district, the city — in the
proportions ``level_shares``.  Agent *i* makes ``a_i`` contacts a day and its
partners are drawn in proportion to their own ``a_j`` (a Chung–Lu random
graph per pool, redrawn daily [1]_), so the infectious pressure on *i* in
pool *k* is ``β a_i Σ_{j∈k} a_j w_j / Σ_{j∈k} a_j`` — Starsim's *mixing pools*
[2]_ with activity weights.  ``a_i`` is either ``contacts[age bin]`` of the
parameters (× ``weekend_factor`` at weekends) or, driven by the lake,
``contacts_per_visit`` × the agent's mean daily venue check-ins outside its
own organisation on weekdays and at weekends (:func:`activity_from_checkins`).

*Pool sums and candidates.*  :class:`CommunityPools` keeps the denominators
``Σ a_j m_j`` of every pool unit for both activity rows as fixed-point
integers, updated only for the agents whose community hooks changed since
the last day (integer sums are exact, so the totals equal a fresh sum in any
order).  Infections in a pool are drawn by thinning [3]_: with a bound
``x̄`` on the hazard of the unit's members, each member is a candidate with
probability ``p̄ = 1 - exp(-x̄)`` (geometric gaps through the unit's member
list, by blocks) and a candidate with hazard ``x`` is hit when its uniform
× ``p̄`` falls below ``1 - exp(-x)`` — exactly a Bernoulli(``1 - exp(-x)``)
per member, at a cost in proportion to the infections.

References
----------
.. [1] F. Chung and L. Lu, "Connected components in random graphs with given
   expected degree sequences", *Ann. Comb.* 6:125–145, 2002.
.. [2] D. J. Klein et al., Starsim 3 (``ss.MixingPool``), Institute for
   Disease Modeling, 2025.
.. [3] P. A. W. Lewis and G. S. Shedler, "Simulation of nonhomogeneous
   Poisson processes by thinning", *Naval Res. Logist. Q.* 26(3):403–413, 1979.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numba as nb
import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from ..city.generator import GeneratedCity
from .kernels import (
    _S,
    CHUNK,
    P_HIT,
    P_SKIP,
    _mult,
    _next,
    _stream,
    gather,
    record_hit,
    uniform_k,
)
from .params import TwinParams
from .population import Population

F32 = NDArray[np.float32]
F64 = NDArray[np.float64]
I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
#: Group layers, in the order of :class:`GroupIndex` rows.
GROUP_LAYERS = ("household", "school", "work")
#: Members of a pool unit drawn per parallel block (one gap stream each).
BLOCK = 16384
#: A block whose bound on P(infection) is at least this is scanned member by member.
DIRECT_P = 0.05
#: Fixed point of the pools' activity sums (resolution 2⁻²⁴ contacts) and the cap
#: of one agent's ``a_i m_i`` in them.
POOL_SCALE = float(2**24)
POOL_CAP = 1.0e4


@dataclass(frozen=True)
class GroupIndex:
    """The three group layers in one id space.

    ``group_of[l, i]`` is agent *i*'s global group id in group layer *l*
    (−1: none); ``members[offsets[g]:offsets[g + 1]]`` are group *g*'s
    agents; ``layer_of_group[g]`` its layer.
    """

    group_of: I32  # (3, n)
    offsets: I64
    members: I32
    layer_of_group: NDArray[np.int8]

    @property
    def n_groups(self) -> int:
        return len(self.offsets) - 1


def build_group_index(pop: Population) -> GroupIndex:
    """Concatenate the household, school and work CSRs of ``pop``."""
    parts = [pop.groups(name) for name in GROUP_LAYERS]
    counts = [p.count for p in parts]
    bases = np.r_[0, np.cumsum(counts)].astype(np.int64)
    group_of = np.full((3, pop.n), -1, dtype=np.int32)
    for layer, (of, base) in enumerate(
        zip((pop.household, pop.school_group, pop.work_group), bases, strict=False)
    ):
        has = of >= 0
        group_of[layer, has] = of[has] + np.int32(base)
    offsets = np.zeros(int(bases[-1]) + 1, dtype=np.int64)
    pos = 0
    for p, base in zip(parts, bases, strict=False):
        offsets[int(base) : int(base) + p.count + 1] = p.offsets + pos
        pos += len(p.members)
    members = np.concatenate([p.members for p in parts]).astype(np.int32)
    layer_of_group = np.repeat(np.arange(3, dtype=np.int8), counts)
    return GroupIndex(group_of, offsets, members, layer_of_group)


@dataclass(frozen=True)
class CommunityActivity:
    """Daily community contacts ``a_i``: row 0 on weekdays, row 1 at weekends."""

    contacts: F32  # (2, n)
    source: str  # "age table" or "check-ins"

    def mean(self) -> tuple[float, float]:
        return float(self.contacts[0].mean()), float(self.contacts[1].mean())


def activity_from_params(
    pop: Population, params: TwinParams, age_bin: NDArray[np.int8]
) -> CommunityActivity:
    """``a_i`` from the parameters' contacts per age bin and weekend factor."""
    c = np.asarray(params.layers.community.contacts, dtype=np.float32)[age_bin]
    weekend = c * np.float32(params.layers.community.weekend_factor)
    return CommunityActivity(np.stack([c, weekend]).astype(np.float32), "age table")


def activity_from_checkins(
    batches: Iterable[pa.RecordBatch],
    *,
    pop: Population,
    org_venue: I32,
    day_is_weekend: NDArray[np.bool_],
    contacts_per_visit: float,
) -> CommunityActivity:
    """``a_i`` from the lake's check-ins: visits per person-day × ``contacts_per_visit``.

    Parameters
    ----------
    batches : record batches with ``person_id``, ``venue_id`` and ``t_in``
        (minutes since the epoch); the day of a row is ``t_in // 1440``.
    org_venue : the venue of each agent's own organisation (−1: none); visits
        there are the school / work layers, not the community layer.
    day_is_weekend : one flag per lake day (indexed by day).
    """
    n = pop.n
    if org_venue.shape != (n,):
        raise ValueError(f"org_venue must have one value per agent ({n})")
    n_days = len(day_is_weekend)
    weekend_days = int(day_is_weekend.sum())
    weekday_days = n_days - weekend_days
    if n_days == 0:
        raise ValueError("day_is_weekend must cover at least one day")
    counts = np.zeros((2, n), dtype=np.float64)
    for batch in batches:
        person = batch.column("person_id").to_numpy()
        venue = batch.column("venue_id").to_numpy()
        day = batch.column("t_in").to_numpy() // 1440
        if len(person) and (int(person.min()) < 0 or int(person.max()) >= n):
            raise ValueError("check-ins: person_id outside the population")
        if len(day) and (int(day.min()) < 0 or int(day.max()) >= n_days):
            raise ValueError("check-ins: a check-in lies outside day_is_weekend's days")
        keep = venue != org_venue[person]
        row = day_is_weekend[day[keep]].astype(np.int64)
        np.add.at(counts, (row, person[keep]), 1.0)
    if weekday_days:
        counts[0] /= weekday_days
    if weekend_days:
        counts[1] /= weekend_days
    if not weekday_days:
        counts[0] = counts[1]
    if not weekend_days:
        counts[1] = counts[0]
    return CommunityActivity((counts * contacts_per_visit).astype(np.float32), "check-ins")


def activity_from_city(
    city: GeneratedCity, pop: Population, params: TwinParams, *, days: int = 7
) -> CommunityActivity:
    """Drive the community layer by ``days`` days of the generated city's check-ins."""
    if not 1 <= days <= 28:
        raise ValueError(f"days must be between 1 and 28, got {days}")
    if city.persons.num_rows != pop.n:
        raise ValueError("city and population must have the same persons")
    start = city.params.start.weekday()
    weekend = np.array([(start + d) % 7 >= 5 for d in range(days)])
    org = city.persons.column("org_venue_id").fill_null(-1).to_numpy().astype(np.int32)

    def stream() -> Iterable[pa.RecordBatch]:
        for d in range(days):
            yield from city.checkins_for_day(d)

    return activity_from_checkins(
        stream(),
        pop=pop,
        org_venue=org,
        day_is_weekend=weekend,
        contacts_per_visit=params.layers.community.contacts_per_visit,
    )


# --------------------------------------------------------------- community pools
@dataclass(frozen=True)
class PoolIndex:
    """The agents of every pool unit and the blocks they are drawn in.

    Units are numbered communities first, then districts, then the city.
    ``comm_members[comm_offsets[k]:comm_offsets[k + 1]]`` are community *k*'s
    agents (ascending), likewise ``dist_*`` for districts; the city's members
    are all agents in order.  ``comm_district[k]`` is community *k*'s district,
    −1 when its agents live in more than one.  ``blocks[level]`` is
    ``(unit, lo, hi)``: member positions ``lo:hi`` of ``unit``, at most
    :data:`BLOCK` each.
    """

    n_communities: int
    n_districts: int
    comm_offsets: I64
    comm_members: I32
    dist_offsets: I64
    dist_members: I32
    comm_district: I32
    blocks: tuple[tuple[I32, I64, I64], ...]

    @property
    def n_units(self) -> int:
        return self.n_communities + self.n_districts + 1


def _members_by(key: I32, n_keys: int) -> tuple[I64, I32]:
    counts = np.bincount(key, minlength=n_keys)
    offsets = np.zeros(n_keys + 1, dtype=np.int64)
    np.cumsum(counts, out=offsets[1:])
    return offsets, np.argsort(key, kind="stable").astype(np.int32)


def _blocks(offsets: I64, first_unit: int) -> tuple[I32, I64, I64]:
    sizes = np.diff(offsets)
    per = np.maximum((sizes + BLOCK - 1) // BLOCK, 0)
    unit = np.repeat(np.arange(len(sizes), dtype=np.int32), per)
    k = np.arange(len(unit)) - np.repeat(np.cumsum(per) - per, per)
    lo = offsets[:-1][unit] + k * BLOCK
    hi = np.minimum(lo + BLOCK, offsets[1:][unit])
    return (unit + np.int32(first_unit)).astype(np.int32), lo.astype(np.int64), hi.astype(np.int64)


def build_pool_index(pop: Population) -> PoolIndex:
    """Members and blocks of the community, district and city pools of ``pop``."""
    n_c, n_d = max(pop.n_communities, 1), pop.n_districts
    c_off, c_mem = _members_by(pop.community, n_c)
    d_off, d_mem = _members_by(pop.district, n_d)
    comm_district = np.full(n_c, -1, dtype=np.int32)
    filled = np.flatnonzero(np.diff(c_off) > 0)
    if len(filled):
        of_members = pop.district[c_mem]
        lo = np.minimum.reduceat(of_members, c_off[filled])
        hi = np.maximum.reduceat(of_members, c_off[filled])
        comm_district[filled] = np.where(lo == hi, lo, -1)
    city = np.array([0, pop.n], dtype=np.int64)
    blocks = (_blocks(c_off, 0), _blocks(d_off, n_c), _blocks(city, n_c + n_d))
    return PoolIndex(n_c, n_d, c_off, c_mem, d_off, d_mem, comm_district, blocks)


@nb.njit(inline="always")
def _q(a):  # type: ignore[no-untyped-def]
    """``a_i m_i`` in the pools' fixed point (0 for negative or NaN)."""
    if not a > 0.0:
        return np.int64(0)
    return np.int64(min(a, POOL_CAP) * POOL_SCALE + 0.5)


@nb.njit(inline="always")
def _term(a, cm, am, isf):  # type: ignore[no-untyped-def]
    """One agent's term ``a_i m_i`` of a pool sum, always formed the same way."""
    return _q(a * (cm * am * isf))


@nb.njit(parallel=True, nogil=True, cache=True)
def _pool_scan(cm_bits, isolation, snap_bits, snap_iso, buf, counts):  # type: ignore[no-untyped-def]
    """Agents whose ``contact_mult[3]`` (as bits) or isolation differ from the copy.

    Chunk *c*'s changed agents go to ``buf[c * CHUNK:]`` (``counts[c]`` of
    them); a chunk is first compared as a whole (branch-free, vectorised).
    """
    n = len(isolation)
    n_chunks = (n + CHUNK - 1) // CHUNK
    for c in nb.prange(n_chunks):
        lo = c * CHUNK
        hi = min(n, lo + CHUNK)
        if _differs(cm_bits[lo:hi], snap_bits[lo:hi], isolation[lo:hi], snap_iso[lo:hi]):
            k = lo
            for i in range(lo, hi):
                if cm_bits[i] != snap_bits[i] or isolation[i] != snap_iso[i]:
                    buf[k] = i
                    k += 1
            counts[c] = k - lo
        else:
            counts[c] = 0


@nb.njit(nogil=True, cache=True)
def _differs(a, b, x, y):  # type: ignore[no-untyped-def]
    """Whether two pairs of equal-length arrays differ (branch-free, vectorised)."""
    d = np.uint32(0)
    for i in range(len(a)):
        d |= a[i] ^ b[i]
    e = 0
    for i in range(len(x)):
        e |= x[i] ^ y[i]
    return d != 0 or e != 0


@nb.njit(inline="always")
def _pool_move(  # type: ignore[no-untyped-def]
    i, am_old, am_new, activity, contact_mult, isolation, iso_factor, community, district,
    snap_cm, snap_iso, sums, n_c, n_d,
):  # fmt: skip
    """Replace agent ``i``'s stored terms (from the copy) by its current ones."""
    for r in range(2):
        old = _term(activity[r, i], snap_cm[i], am_old, iso_factor[snap_iso[i], 3])
        new = _term(activity[r, i], contact_mult[3, i], am_new, iso_factor[isolation[i], 3])
        if new != old:
            d = new - old
            sums[r, community[i]] += d
            sums[r, n_c + district[i]] += d
            sums[r, n_c + n_d] += d
    snap_cm[i] = contact_mult[3, i]
    snap_iso[i] = isolation[i]


@nb.njit(nogil=True, cache=True)
def _pool_update(  # type: ignore[no-untyped-def]
    buf, counts, comms, activity, contact_mult, area_mult, isolation, iso_factor, community,
    district, comm_offsets, comm_members, snap_cm, snap_iso, snap_am, sums, n_d,
):  # fmt: skip
    """Move the changed agents' and changed communities' terms; returns agents moved."""
    n_c = len(snap_am)
    changed = np.zeros(n_c, dtype=np.bool_)
    for k in comms:
        changed[k] = True
    moved = 0
    for c in range(len(counts)):
        for p in range(c * CHUNK, c * CHUNK + counts[c]):
            i = buf[p]
            k = community[i]
            if changed[k]:
                continue
            _pool_move(
                i, snap_am[k], snap_am[k], activity, contact_mult, isolation, iso_factor,
                community, district, snap_cm, snap_iso, sums, n_c, n_d,
            )  # fmt: skip
            moved += 1
    for k in comms:
        new = area_mult[3, k]
        for p in range(comm_offsets[k], comm_offsets[k + 1]):
            _pool_move(
                comm_members[p], snap_am[k], new, activity, contact_mult, isolation, iso_factor,
                community, district, snap_cm, snap_iso, sums, n_c, n_d,
            )  # fmt: skip
        moved += comm_offsets[k + 1] - comm_offsets[k]
        snap_am[k] = new
    return moved


@nb.njit(nogil=True, cache=True)
def _pool_fill(activity, cm3, am3, isolation, iso_factor, community, district, n_c, n_d):  # type: ignore[no-untyped-def]
    """The pools' fixed-point sums from scratch (integers: exact in any order)."""
    sums = np.zeros((2, n_c + n_d + 1), dtype=np.int64)
    for i in range(len(community)):
        k = community[i]
        for r in range(2):
            q = _term(activity[r, i], cm3[i], am3[k], iso_factor[isolation[i], 3])
            sums[r, k] += q
            sums[r, n_c + district[i]] += q
            sums[r, n_c + n_d] += q
    return sums


def _unit_peaks(values: F64, offsets: I64, members: I32) -> F64:
    """max of ``values`` over each unit's members (0 for an empty unit)."""
    out = np.zeros(len(offsets) - 1, dtype=np.float64)
    filled = np.flatnonzero(np.diff(offsets) > 0)
    if len(filled):
        out[filled] = np.maximum.reduceat(values[members], offsets[filled])
    return out


@nb.njit(parallel=True, nogil=True, cache=True)
def community_hits(  # type: ignore[no-untyped-def]
    level,
    blk_unit,
    blk_lo,
    blk_hi,
    members,
    identity,
    ratio,
    xmax,
    day,
    key,
    state,
    activity,
    contact_mult,
    area_mult,
    community,
    isolation,
    iso_factor,
    age_bin,
    sus_age,
    rel_sus,
    hit_t,
    hit_comp,
    buf,
    counts,
):
    """Clocks of one pool level: member *i* of unit *u* has hazard ``ratio[u] a_i m_i s_i``.

    ``xmax[u]`` bounds the hazards of ``u``'s members.  A block with
    ``p̄ = 1 - exp(-xmax) >= DIRECT_P`` is scanned member by member; otherwise
    its candidates are visited by geometric gaps (the block's own stream) and
    candidate *i* with uniform *v* is hit when ``v p̄ < 1 - exp(-x_i)``.
    Block *b*'s first-hit agents go to ``buf[blk_lo[b]:]`` (``counts[b]``).
    Members are ``members[lo:hi]``, or the positions themselves if ``identity``.
    """
    comp = 3 + level
    for b in nb.prange(len(blk_unit)):
        counts[b] = 0
        u = blk_unit[b]
        r = ratio[u]
        pbar = -np.expm1(-xmax[u])
        if r <= 0.0 or pbar <= 0.0:
            continue
        lo = blk_lo[b]
        hi = blk_hi[b]
        cnt = 0
        direct = pbar >= DIRECT_P
        st = _stream(key, day, b, P_SKIP + level)
        lg = np.log1p(-pbar) if not direct else -1.0
        pos = lo - 1
        while True:
            if direct:
                pos += 1
            else:
                st, v = _next(st)
                step = np.log(v) / lg if v > 0.0 else np.inf  # failures before the next candidate
                if step >= hi - pos - 1:
                    break
                pos += 1 + int(step)
            if pos >= hi:
                break
            i = pos if identity else members[pos]
            v = uniform_k(key, day, i, P_HIT, comp)
            if direct:
                if v >= xmax[u]:  # x_i <= xmax: a miss whatever the agent's data
                    continue
            else:
                v *= pbar
            if state[i] != _S:
                continue
            m = _mult(3, i, contact_mult, area_mult, community, isolation, iso_factor)
            x = r * (activity[i] * m) * sus_age[age_bin[i]] * rel_sus[i]
            if x <= 0.0 or v >= x or v >= -np.expm1(-x):
                continue
            cnt += record_hit(i, v, x, comp, hit_t, hit_comp, buf, lo + cnt)
        counts[b] = cnt


class CommunityPools:
    """The community pools' activity sums and hazard bounds for one run.

    ``sums[r, u]`` is ``Σ a_j m_j`` over unit *u*'s agents for activity row
    *r* (0 weekdays, 1 weekends) in fixed point, where ``m_j`` is the
    agent's community factor ``contact_mult[3, j] × area_mult[3, k_j] ×
    iso_factor[isolation_j, 3]``.  :meth:`refresh` compares the hooks with
    its copy of the values the sums hold and moves only the agents (and the
    communities) that changed, so the hooks may be written anywhere in place.
    """

    def __init__(
        self,
        pop: Population,
        activity: CommunityActivity,
        age_bin: NDArray[np.int8],
        sus_age: F64,
        iso_factor: F32,
        *,
        contact_mult: F32,
        area_mult: F32,
        isolation: NDArray[np.uint8],
    ) -> None:
        self.index = pop.cached("pool_index", build_pool_index)
        ix = self.index
        n_c, n_d = ix.n_communities, ix.n_districts
        self.activity = np.ascontiguousarray(activity.contacts, dtype=np.float32)
        self.age_bin = age_bin
        self.sus_age = np.asarray(sus_age, dtype=np.float64)
        self.iso_factor = iso_factor
        self.community, self.district = pop.community, pop.district
        # The copy of the hooks the sums hold, and the sums (exact, in any order).
        self._snap_cm = contact_mult[3].copy()
        self._snap_iso = isolation.copy()
        self._snap_am = area_mult[3].copy()
        self.sums: I64 = _pool_fill(
            self.activity, self._snap_cm, self._snap_am, self._snap_iso, iso_factor,
            self.community, self.district, n_c, n_d,
        )  # fmt: skip
        self._buf = np.empty(pop.n, dtype=np.int32)
        self._counts = np.zeros((pop.n + CHUNK - 1) // CHUNK, dtype=np.int64)
        peaks = np.zeros((2, ix.n_units), dtype=np.float64)
        for r in range(2):
            x = self.activity[r] * self.sus_age[age_bin]  # a_i × s_age, per agent
            peaks[r, :n_c] = _unit_peaks(x, ix.comm_offsets, ix.comm_members)
            peaks[r, n_c : n_c + n_d] = _unit_peaks(x, ix.dist_offsets, ix.dist_members)
            peaks[r, -1] = peaks[r, :n_c].max()
        self.peaks: F64 = peaks
        self.cm_max = 1.0
        self.rs_max = 1.0

    def refresh(
        self, contact_mult: F32, area_mult: F32, isolation: NDArray[np.uint8], rel_sus: F32
    ) -> int:
        """Bring the sums up to date with the hooks; returns the number of agents moved."""
        cm3 = np.ascontiguousarray(contact_mult[3])  # a view unless a measure re-laid it out
        _pool_scan(
            cm3.view(np.uint32), isolation, self._snap_cm.view(np.uint32), self._snap_iso,
            self._buf, self._counts,
        )  # fmt: skip
        self.cm_max = float(cm3.max())
        self.rs_max = float(rel_sus.max())
        comms = np.flatnonzero(area_mult[3] != self._snap_am)
        return int(
            _pool_update(
                self._buf, self._counts, comms, self.activity, contact_mult, area_mult,
                isolation, self.iso_factor, self.community, self.district,
                self.index.comm_offsets, self.index.comm_members, self._snap_cm,
                self._snap_iso, self._snap_am, self.sums, self.index.n_districts,
            )
        )  # fmt: skip

    def totals(self, row: int) -> F64:
        """``Σ a_j m_j`` per unit for activity row ``row`` (as of the last refresh)."""
        out: F64 = self.sums[row] * (1.0 / POOL_SCALE)
        return out

    def bounds(self, row: int, ratio: F64, area_mult: F32) -> F64:
        """An upper bound of every unit's members' hazards, given ``ratio`` per unit."""
        ix = self.index
        n_c, n_d = ix.n_communities, ix.n_districts
        am3 = area_mult[3].astype(np.float64)
        am_top = float(am3.max()) if len(am3) else 0.0
        per_unit = np.empty(ix.n_units, dtype=np.float64)
        per_unit[:n_c] = am3
        dist = np.full(n_d, am_top)
        if (ix.comm_district >= 0).all():
            dist[:] = 0.0
            np.maximum.at(dist, ix.comm_district, am3)
        per_unit[n_c : n_c + n_d] = dist
        per_unit[-1] = am_top
        iso_top = float(self.iso_factor[:, 3].max())
        scale = self.cm_max * self.rs_max * iso_top * (1.0 + 1e-5)
        out: F64 = ratio * self.peaks[row] * per_unit * scale
        return out

    def hits(
        self,
        row: int,
        ratio: F64,
        *,
        day: int,
        key: np.uint64,
        state: NDArray[np.int8],
        contact_mult: F32,
        area_mult: F32,
        isolation: NDArray[np.uint8],
        rel_sus: F32,
        hit_t: F64,
        hit_comp: NDArray[np.int8],
        buf: I32,
        out: I32,
        n_out: int,
    ) -> int:
        """Draw today's pool clocks (community, district, city); append first hits to ``out``."""
        ix = self.index
        xmax = self.bounds(row, ratio, area_mult)
        act = self.activity[row]
        for level, members in enumerate((ix.comm_members, ix.dist_members, ix.comm_members)):
            unit, lo, hi = ix.blocks[level]
            if not len(unit) or not (ratio[unit] > 0).any():
                continue
            counts = np.zeros(len(unit), dtype=np.int64)
            community_hits(
                level, unit, lo, hi, members, level == 2, ratio, xmax, day, key, state, act,
                contact_mult, area_mult, self.community, isolation, self.iso_factor,
                self.age_bin, self.sus_age, rel_sus, hit_t, hit_comp, buf, counts,
            )  # fmt: skip
            n_out = int(gather(buf, lo, counts, out, n_out))
        return n_out
