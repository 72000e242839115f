"""numba kernels of the twin: random streams, duration draws, progression, transmission.

Every random number is counter-based: a SplitMix64 stream [1]_ is seeded by
``(seed key, day, agent, purpose)``, so a draw depends only on who, when and
what for — never on the thread count, the chunking or the order in which
agents are visited.  Sums of floating-point infectious pressure are formed
serially in agent order, or per fixed chunk of agents and then added in
chunk order, so they are bit-identical on any number of threads.

Per day the engine runs :func:`progress` over the *active* agents (infected,
not yet recovered or dead: due transitions, today's infectious weight,
census), refreshes the community pools' activity sums
(:class:`~.layers.CommunityPools`, only for the agents whose hooks changed),
then :func:`source_loads` (infectious pressure per group and pool unit, and
per-unit CSRs of sources for attribution).  Infections are drawn as
competing clocks [3]_: every susceptible *i* exposed to component *q* (its
household, class or team, or its community, district or city pool) with
hazard ``x_q`` gets an exponential clock of rate ``x_q``; it is infected when
the earliest clock rings within the day, by that component.  This is the
same model as one draw with ``P = 1 - exp(-Σ x_q)`` and attribution in
proportion to ``x_q``, but needs only the members of today's infectious
groups (:func:`group_hits`) and, for the pools, candidates thinned from a
per-unit bound (:func:`~.layers.community_hits`) — work in proportion to the
epidemic, not to the population.  :func:`infect` then infects the hit
agents and draws their infectors.

References
----------
.. [1] G. L. Steele, D. Lea and C. H. Flood, "Fast splittable pseudorandom
   number generators", *OOPSLA* 2014, 453–472.
.. [2] G. Marsaglia and W. W. Tsang, "A simple method for generating gamma
   variables", *ACM Trans. Math. Softw.* 26(3):363–372, 2000.
.. [3] D. T. Gillespie, "Exact stochastic simulation of coupled chemical
   reactions", *J. Phys. Chem.* 81(25):2340–2361, 1977 (first-reaction method).
.. [4] P. A. W. Lewis and G. S. Shedler, "Simulation of nonhomogeneous
   Poisson processes by thinning", *Naval Res. Logist. Q.* 26(3):403–413, 1979.
"""

from __future__ import annotations

import numba as nb
import numpy as np

CHUNK = 8192
#: Chunk of the per-source and per-infection loops (fewer items, costlier each).
SMALL_CHUNK = 1024
MAX_DAYS = 1000

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S11 = np.uint64(11)

# Purposes of the random streams.
P_PROGRESS = 1
P_INFECT = 2
P_ATTEND = 3
P_SEED = 4
#: One stream per agent and day; draw k is the clock of component k (0–2 group
#: layers, 3–5 community, district and city pools).
P_HIT = 5
#: Streams of the pool candidates' gaps, one per block of a pool level (6, 7, 8).
P_SKIP = 6
#: ``hit_t`` of an agent without a clock today (clock times are < 1 day).
NO_HIT = 2.0

# States (see disease.py).
_S, _E, _IP, _IS, _IA, _SEV, _CRIT, _R, _D = 0, 1, 2, 3, 4, 5, 6, 7, 8
# Duration rows (see disease.DURATIONS).
_D_E2I, _D_I2S, _D_S2SEV, _D_SEV2C, _D_A2R, _D_M2R, _D_SEV2R, _D_C2R, _D_C2D = range(9)
# History bits.
_H_INF, _H_SYMP, _H_SEV, _H_CRIT, _H_DEAD = 1, 2, 4, 8, 16
#: Source code of seeded infections (``infection_layer``); layers are 0..3.
SEEDED = 4


@nb.njit(inline="always")
def _mix(z):  # type: ignore[no-untyped-def]
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@nb.njit(inline="always")
def _stream(key, day, agent, purpose):  # type: ignore[no-untyped-def]
    """The state of the stream of ``(key, day, agent, purpose)``."""
    s = _mix(key ^ (np.uint64(day) * _M1 + np.uint64(purpose)))
    return _mix(s ^ (np.uint64(agent) * _GOLDEN))


@nb.njit(inline="always")
def _next(state):  # type: ignore[no-untyped-def]
    """SplitMix64 step: new state and a uniform double in [0, 1)."""
    state = state + _GOLDEN
    return state, float(_mix(state) >> _S11) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always")
def _normal(state):  # type: ignore[no-untyped-def]
    state, u1 = _next(state)
    state, u2 = _next(state)
    z = np.sqrt(-2.0 * np.log(max(u1, 1e-300))) * np.cos(2.0 * np.pi * u2)
    return state, z


@nb.njit
def _gamma(state, shape):  # type: ignore[no-untyped-def]
    """Gamma(shape, 1) by Marsaglia–Tsang [2]_ (boosted for shape < 1)."""
    boost = 1.0
    k = shape
    if k < 1.0:
        state, u = _next(state)
        boost = u ** (1.0 / k)
        k += 1.0
    d = k - 1.0 / 3.0
    c = 1.0 / np.sqrt(9.0 * d)
    while True:
        state, z = _normal(state)
        v = 1.0 + c * z
        if v <= 0.0:
            continue
        v = v * v * v
        state, u = _next(state)
        if u < 1.0 - 0.0331 * z * z * z * z:
            return state, d * v * boost
        if np.log(max(u, 1e-300)) < 0.5 * z * z + d * (1.0 - v + np.log(v)):
            return state, d * v * boost


@nb.njit
def _duration(state, row, dur_kind, dur_a, dur_b):  # type: ignore[no-untyped-def]
    """Whole days (1..MAX_DAYS) from duration ``row``."""
    kind = dur_kind[row]
    if kind == 0:
        x = dur_a[row]
    elif kind == 1:
        state, z = _normal(state)
        x = np.exp(dur_a[row] + dur_b[row] * z)
    else:
        state, g = _gamma(state, dur_a[row])
        x = g * dur_b[row]
    days = int(np.floor(x + 0.5))
    return state, min(max(days, 1), MAX_DAYS)


@nb.njit
def _enter(  # type: ignore[no-untyped-def]
    i,
    new,
    day,
    st,
    state,
    next_state,
    t_next,
    t_onset,
    history,
    age_bin,
    rel_sev,
    prog,
    dur_kind,
    dur_a,
    dur_b,
):
    """Agent ``i`` enters state ``new`` on ``day``: draw its branch and next transition."""
    state[i] = new
    b = age_bin[i]
    if new == _E:
        history[i] |= _H_INF
        st, u = _next(st)
        next_state[i] = _IP if u < prog[b, 0] else _IA
        st, d = _duration(st, _D_E2I, dur_kind, dur_a, dur_b)
    elif new == _IP:
        next_state[i] = _IS
        st, d = _duration(st, _D_I2S, dur_kind, dur_a, dur_b)
    elif new == _IA:
        next_state[i] = _R
        st, d = _duration(st, _D_A2R, dur_kind, dur_a, dur_b)
    elif new == _IS:
        history[i] |= _H_SYMP
        t_onset[i] = day
        st, u = _next(st)
        if u < prog[b, 1] * rel_sev[i]:
            next_state[i] = _SEV
            st, d = _duration(st, _D_S2SEV, dur_kind, dur_a, dur_b)
        else:
            next_state[i] = _R
            st, d = _duration(st, _D_M2R, dur_kind, dur_a, dur_b)
    elif new == _SEV:
        history[i] |= _H_SEV
        st, u = _next(st)
        if u < prog[b, 2]:
            next_state[i] = _CRIT
            st, d = _duration(st, _D_SEV2C, dur_kind, dur_a, dur_b)
        else:
            next_state[i] = _R
            st, d = _duration(st, _D_SEV2R, dur_kind, dur_a, dur_b)
    elif new == _CRIT:
        history[i] |= _H_CRIT
        st, u = _next(st)
        if u < prog[b, 3]:
            next_state[i] = _D
            st, d = _duration(st, _D_C2D, dur_kind, dur_a, dur_b)
        else:
            next_state[i] = _R
            st, d = _duration(st, _D_C2R, dur_kind, dur_a, dur_b)
    else:  # recovered or dead
        if new == _D:
            history[i] |= _H_DEAD
        next_state[i] = -1
        t_next[i] = -1
        return st
    t_next[i] = day + d
    return st


@nb.njit(inline="always")
def _rel_trans(st, dispersion):  # type: ignore[no-untyped-def]
    if dispersion <= 0.0:
        return st, 1.0
    st, g = _gamma(st, dispersion)
    return st, g / dispersion


@nb.njit(nogil=True, cache=True)
def seed(  # type: ignore[no-untyped-def]
    ids,
    day,
    key,
    source,
    state,
    next_state,
    t_next,
    t_onset,
    t_infected,
    infected_by,
    infection_layer,
    history,
    rel_trans,
    age_bin,
    rel_sev,
    prog,
    dur_kind,
    dur_a,
    dur_b,
    dispersion,
):
    """Infect ``ids`` on ``day`` (susceptible ones only); returns how many were infected."""
    k = 0
    for i in ids:
        if state[i] != _S:
            continue
        st = _stream(key, day, i, P_SEED)
        st, rt = _rel_trans(st, dispersion)
        rel_trans[i] = rt
        _enter(
            i, _E, day, st, state, next_state, t_next, t_onset, history, age_bin, rel_sev, prog,
            dur_kind, dur_a, dur_b,
        )  # fmt: skip
        t_infected[i] = day
        infected_by[i] = source
        infection_layer[i] = SEEDED
        k += 1
    return k


@nb.njit(parallel=True, nogil=True, cache=True)
def progress(  # type: ignore[no-untyped-def]
    a_id,
    a_state,
    a_next,
    a_w,
    day,
    key,
    state,
    next_state,
    t_next,
    t_onset,
    history,
    age_bin,
    rel_sev,
    prog,
    dur_kind,
    dur_a,
    dur_b,
    rel_trans,
    rel_trans_state,
    district,
    n_districts,
    weight,
):
    """Apply today's transitions of the *active* agents (infected, not yet out).

    The active table holds, by ascending agent id, each agent's id, state,
    day of its next transition and infectious weight (copies of ``state``,
    ``t_next`` and ``weight``, read in order instead of scattered).  An agent's
    weight changes only when its state does, so it is written on transitions
    (0 once recovered or dead; every inactive agent's weight stays 0).

    Returns ``(state counts of the active agents, hospital by district, ICU by
    district, new symptomatic, new severe, new critical, new deaths, the
    table without today's recovered and dead (4 arrays), today's sources)``;
    the counts include the agents that recovered or died today.
    """
    n = len(a_id)
    n_chunks = (n + CHUNK - 1) // CHUNK
    counts = np.zeros((n_chunks, 9), dtype=np.int64)
    beds = np.zeros((n_chunks, 2, n_districts), dtype=np.int64)
    new = np.zeros((n_chunks, 4), dtype=np.int64)
    kept = np.zeros(n_chunks + 1, dtype=np.int64)
    live = np.zeros(n_chunks + 1, dtype=np.int64)
    for c in nb.prange(n_chunks):
        for p in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s = a_state[p]
            if a_next[p] == day and s != _S and s < _R:
                i = a_id[p]
                st = _stream(key, day, i, P_PROGRESS)
                s = next_state[i]
                _enter(
                    i, s, day, st, state, next_state, t_next, t_onset, history, age_bin, rel_sev,
                    prog, dur_kind, dur_a, dur_b,
                )  # fmt: skip
                a_state[p] = s
                a_next[p] = t_next[i]
                w = rel_trans_state[s] * rel_trans[i] if _IP <= s <= _CRIT else 0.0
                weight[i] = w
                a_w[p] = w
                if s == _IS:
                    new[c, 0] += 1
                elif s == _SEV:
                    new[c, 1] += 1
                elif s == _CRIT:
                    new[c, 2] += 1
                elif s == _D:
                    new[c, 3] += 1
            counts[c, s] += 1
            if s == _SEV:
                beds[c, 0, district[a_id[p]]] += 1
            elif s == _CRIT:
                beds[c, 1, district[a_id[p]]] += 1
            if s < _R:
                kept[c + 1] += 1
                if a_w[p] > 0.0:
                    live[c + 1] += 1
    for c in range(n_chunks):
        kept[c + 1] += kept[c]
        live[c + 1] += live[c]
    b_id = np.empty(kept[n_chunks], dtype=np.int32)
    b_state = np.empty(kept[n_chunks], dtype=np.int8)
    b_next = np.empty(kept[n_chunks], dtype=np.int32)
    b_w = np.empty(kept[n_chunks], dtype=np.float32)
    sources = np.empty(live[n_chunks], dtype=np.int32)
    for ch in nb.prange(n_chunks):
        k = kept[ch]
        q = live[ch]
        for r in range(ch * CHUNK, min(n, (ch + 1) * CHUNK)):
            if a_state[r] < _R:
                b_id[k] = a_id[r]
                b_state[k] = a_state[r]
                b_next[k] = a_next[r]
                b_w[k] = a_w[r]
                k += 1
                if a_w[r] > 0.0:
                    sources[q] = a_id[r]
                    q += 1
    tot = counts.sum(axis=0)
    bd = beds.sum(axis=0)
    nw = new.sum(axis=0)
    return tot, bd[0], bd[1], nw[0], nw[1], nw[2], nw[3], b_id, b_state, b_next, b_w, sources


@nb.njit(nogil=True, cache=True)
def merge_active(a_id, a_state, a_next, a_w, ids, state, t_next, weight):  # type: ignore[no-untyped-def]
    """The active table with the agents ``ids`` (ascending, not yet active) added."""
    n = len(a_id) + len(ids)
    b_id = np.empty(n, dtype=np.int32)
    b_state = np.empty(n, dtype=np.int8)
    b_next = np.empty(n, dtype=np.int32)
    b_w = np.empty(n, dtype=np.float32)
    at = np.searchsorted(a_id, ids)
    is_new = np.zeros(n, dtype=np.bool_)
    for j in range(len(ids)):
        is_new[at[j] + j] = True  # output row of ids[j]
    i = j = 0
    for k in range(n):
        if is_new[k]:
            g = ids[j]
            b_id[k] = g
            b_state[k] = state[g]
            b_next[k] = t_next[g]
            b_w[k] = weight[g]
            j += 1
        else:
            b_id[k] = a_id[i]
            b_state[k] = a_state[i]
            b_next[k] = a_next[i]
            b_w[k] = a_w[i]
            i += 1
    return b_id, b_state, b_next, b_w


@nb.njit(inline="always")
def _present(layer, i, day, weekday, key, active_days, attendance):  # type: ignore[no-untyped-def]
    """Whether agent ``i`` attends its school / work group today (households: always)."""
    if layer == 0:
        return True
    if (active_days[i] >> weekday) & 1 == 0:
        return False
    if attendance[layer] >= 1.0:
        return True
    _, u = _next(_stream(key, day, i, P_ATTEND))
    return u < attendance[layer]


@nb.njit(inline="always")
def _mult(layer, i, contact_mult, area_mult, community, isolation, iso_factor):  # type: ignore[no-untyped-def]
    return contact_mult[layer, i] * area_mult[layer, community[i]] * iso_factor[isolation[i], layer]


@nb.njit(parallel=True, nogil=True, cache=True)
def _source_terms(  # type: ignore[no-untyped-def]
    sources, day, weekday, key, weight, group_of, activity, contact_mult, area_mult, community,
    isolation, iso_factor, active_days, attendance, part, contrib,
):  # fmt: skip
    """Each source's ``w m`` per group layer (0: absent) and ``w a m`` in the pools."""
    k = len(sources)
    for ch in nb.prange((k + SMALL_CHUNK - 1) // SMALL_CHUNK):
        for q in range(ch * SMALL_CHUNK, min(k, (ch + 1) * SMALL_CHUNK)):
            src = sources[q]
            ws = weight[src]
            for lay in range(3):
                part[q, lay] = 0.0
                if group_of[lay, src] < 0:
                    continue
                if not _present(lay, src, day, weekday, key, active_days, attendance):
                    continue
                ms = _mult(lay, src, contact_mult, area_mult, community, isolation, iso_factor)
                if ms > 0.0:
                    part[q, lay] = ws * ms
            m3 = _mult(3, src, contact_mult, area_mult, community, isolation, iso_factor)
            contrib[q] = ws * (activity[src] * m3)


@nb.njit(parallel=True, nogil=True, cache=True)
def source_loads(  # type: ignore[no-untyped-def]
    sources,
    day,
    weekday,
    key,
    weight,
    group_of,
    activity,
    contact_mult,
    area_mult,
    community,
    district,
    isolation,
    iso_factor,
    active_days,
    attendance,
    load,
    touched,
    slot_of,
    group_base,
    n_units,
    n_communities,
):
    """Infectious pressure per group (into ``load``) and per pool unit.

    ``sources`` are today's infectious agents, ascending.  Each source's
    terms (attendance, factors) are formed in parallel, then added up
    serially in source order (per layer and for the pools, side by side).
    Returns the number of touched groups per layer (layer *l*'s ids in
    ``touched[group_base[l]:]``), the pool pressure per unit and, for
    attribution, a CSR per pool level of the sources in each unit with
    cumulative pressure, and per group layer the same by touched group
    (``slot_of[g]`` is group *g*'s row): ``(n_touched (3,), pool, offsets
    (3, n_units + 1), members (3, k), cum (3, k), g_off (3, k + 1), g_src (3, k),
    g_cum (3, k))``.
    """
    k = len(sources)
    part = np.empty((k, 3), dtype=np.float64)
    contrib = np.empty(k, dtype=np.float64)
    _source_terms(
        sources, day, weekday, key, weight, group_of, activity, contact_mult, area_mult,
        community, isolation, iso_factor, active_days, attendance, part, contrib,
    )  # fmt: skip
    n_touched = np.zeros(3, dtype=np.int64)
    pool = np.zeros(n_units, dtype=np.float64)
    offsets = np.zeros((3, n_units + 1), dtype=np.int64)
    m_count = 0
    for q in range(k):
        if contrib[q] > 0.0:
            m_count += 1
    members = np.empty((3, m_count), dtype=np.int32)
    cum = np.empty((3, m_count), dtype=np.float64)
    g_off = np.zeros((3, k + 1), dtype=np.int64)
    g_src = np.empty((3, k), dtype=np.int32)
    g_cum = np.empty((3, k), dtype=np.float64)
    # Four serial tasks (three group layers, the pools) side by side.
    for task in nb.prange(4):
        if task < 3:
            n_touched[task] = _group_loads(
                task, sources, part, group_of, load, touched, group_base, slot_of, g_off[task],
                g_src[task], g_cum[task],
            )  # fmt: skip
        else:
            _pool_csr(sources, contrib, community, district, n_communities, pool, offsets, members,
                      cum)  # fmt: skip
    return n_touched, pool, offsets, members, cum, g_off, g_src, g_cum


@nb.njit(nogil=True, cache=True)
def _group_loads(layer, sources, part, group_of, load, touched, group_base, slot_of, off, src, cum):  # type: ignore[no-untyped-def]
    """Add the sources' ``w m`` of one layer into ``load``, in source order.

    The layer's touched groups go to ``touched[group_base[layer]:]`` and group
    ``touched[base + t]`` gets ``slot_of[g] = t``; ``src[off[t]:off[t + 1]]``
    are its sources (ascending) and ``cum`` their cumulative terms.  Returns
    the number of touched groups.
    """
    base = group_base[layer]
    cnt = 0
    for q in range(len(sources)):
        v = part[q, layer]
        if v > 0.0:
            g = group_of[layer, sources[q]]
            if load[g] == 0.0:
                touched[base + cnt] = g
                slot_of[g] = cnt
                cnt += 1
            load[g] += v
            off[slot_of[g] + 1] += 1
    for t in range(cnt):
        off[t + 1] += off[t]
    fill = off[:cnt].copy()
    for q in range(len(sources)):
        v = part[q, layer]
        if v > 0.0:
            t = slot_of[group_of[layer, sources[q]]]
            p = fill[t]
            src[p] = sources[q]
            cum[p] = v if p == off[t] else cum[p - 1] + v
            fill[t] = p + 1
    return cnt


@nb.njit(inline="always")
def _search(cum, lo, hi, u):  # type: ignore[no-untyped-def]
    """First position in ``cum[lo:hi]`` (ascending) with ``cum >= u × cum[hi - 1]``."""
    t = u * cum[hi - 1]
    a_lo, a_hi = lo, hi - 1
    while a_lo < a_hi:
        mid = (a_lo + a_hi) // 2
        if cum[mid] >= t:
            a_hi = mid
        else:
            a_lo = mid + 1
    return a_lo


@nb.njit(nogil=True, cache=True)
def _pool_csr(sources, contrib, community, district, n_communities, pool, offsets, members, cum):  # type: ignore[no-untyped-def]
    """Pool pressure per unit and, per level, the CSR of its sources with cumulative pressure."""
    n_units = len(pool)
    city = n_units - 1
    for q in range(len(sources)):
        c = contrib[q]
        if c > 0.0:
            j = sources[q]
            u0 = community[j]
            u1 = n_communities + district[j]
            pool[u0] += c
            pool[u1] += c
            pool[city] += c
            offsets[0, u0 + 1] += 1
            offsets[1, u1 + 1] += 1
            offsets[2, city + 1] += 1
    for lev in range(3):
        for u in range(n_units):
            offsets[lev, u + 1] += offsets[lev, u]
    fill = offsets[:, :-1].copy()
    for q in range(len(sources)):
        c = contrib[q]
        if c > 0.0:
            j = sources[q]
            for lev in range(3):
                if lev == 0:
                    u = community[j]
                elif lev == 1:
                    u = n_communities + district[j]
                else:
                    u = city
                p = fill[lev, u]
                members[lev, p] = j
                cum[lev, p] = c if p == offsets[lev, u] else cum[lev, p - 1] + c
                fill[lev, u] = p + 1


@nb.njit(inline="always")
def uniform_k(key, day, agent, purpose, k):  # type: ignore[no-untyped-def]
    """The ``k``-th uniform (k ≥ 0) of stream ``(key, day, agent, purpose)``, directly."""
    z = _stream(key, day, agent, purpose) + np.uint64(k + 1) * _GOLDEN
    return float(_mix(z) >> _S11) * (1.0 / 9007199254740992.0)


@nb.njit(inline="always")
def record_hit(i, u, x, comp, hit_t, hit_comp, buf, pos):  # type: ignore[no-untyped-def]
    """Agent ``i``'s clock of component ``comp`` rang at ``-log(1 - u) / x`` (< 1 day).

    Keeps the earliest clock per agent; returns 1 (and writes ``buf[pos] = i``)
    when this is the agent's first hit today, else 0.
    """
    t = -np.log1p(-u) / x
    prev = hit_t[i]
    if t < prev:
        hit_t[i] = t
        hit_comp[i] = comp
    if prev >= NO_HIT:
        buf[pos] = i
        return 1
    return 0


@nb.njit(parallel=True, nogil=True, cache=True)
def group_hits(  # type: ignore[no-untyped-def]
    groups,
    layer,
    day,
    weekday,
    key,
    beta,
    g_offsets,
    g_members,
    load,
    state,
    age_bin,
    sus_age,
    rel_sus,
    contact_mult,
    area_mult,
    community,
    isolation,
    iso_factor,
    active_days,
    attendance,
    x_bound,
    hit_t,
    hit_comp,
    buf,
    counts,
):
    """Clocks of the susceptible members of today's infectious ``groups`` of one layer.

    Member *i* of group *g* has hazard ``x = β m_i load[g] s_i`` (``s_i`` its
    susceptibility); it is hit when ``u < 1 - exp(-x)`` for its uniform *u*
    of this layer, at time ``-log(1 - u) / x`` of the day.  ``x_bound`` bounds
    ``m_i s_i`` over all agents, so most members are passed over on *u* alone.
    Each agent is in one group per layer, so the groups are processed in
    parallel without conflict.  Group ``groups[k]``'s first-hit agents go to
    ``buf`` from its first member position on; ``counts[k]`` says how many.
    """
    for k in nb.prange(len(groups)):
        g = groups[k]
        lo = g_offsets[g]
        lg = beta * load[g]
        top = lg * x_bound
        cnt = 0
        for p in range(lo, g_offsets[g + 1]):
            i = g_members[p]
            u = uniform_k(key, day, i, P_HIT, layer)
            if u >= top or state[i] != _S:
                continue
            if not _present(layer, i, day, weekday, key, active_days, attendance):
                continue
            m = _mult(layer, i, contact_mult, area_mult, community, isolation, iso_factor)
            x = lg * m * sus_age[age_bin[i]] * rel_sus[i]
            if x <= 0.0 or u >= x or u >= -np.expm1(-x):  # 1 - exp(-x) <= x
                continue
            cnt += record_hit(i, u, x, layer, hit_t, hit_comp, buf, lo + cnt)
        counts[k] = cnt


@nb.njit(nogil=True, cache=True)
def gather(buf, starts, counts, out, n_out):  # type: ignore[no-untyped-def]
    """Append ``buf[starts[k]:starts[k] + counts[k]]`` for every k to ``out[n_out:]``."""
    for k in range(len(starts)):
        s = starts[k]
        for p in range(s, s + counts[k]):
            out[n_out] = buf[p]
            n_out += 1
    return n_out


@nb.njit(parallel=True, nogil=True, cache=True)
def infect(  # type: ignore[no-untyped-def]
    winners,
    day,
    key,
    hit_t,
    hit_comp,
    state,
    next_state,
    t_next,
    t_onset,
    t_infected,
    infected_by,
    infection_layer,
    history,
    rel_trans,
    age_bin,
    rel_sev,
    prog,
    dur_kind,
    dur_a,
    dur_b,
    dispersion,
    group_of,
    community,
    district,
    slot_of,
    g_off,
    g_src,
    g_cum,
    p_offsets,
    p_members,
    p_cum,
    n_communities,
    n_districts,
):
    """Infect the hit agents: the earliest clock names the layer (or pool level).

    The infector is drawn within the group in proportion to ``w_j m_j`` of
    its present sources, or within the pool unit in proportion to the
    sources' ``w_j a_j m_j`` (the CSRs of :func:`source_loads`).  Clears the
    agents' clocks.  Returns new infections by home district and by layer.
    """
    n = len(winners)
    n_chunks = (n + SMALL_CHUNK - 1) // SMALL_CHUNK
    new = np.zeros((n_chunks, n_districts), dtype=np.int64)
    by_layer = np.zeros((n_chunks, 4), dtype=np.int64)
    city = n_communities + n_districts
    for c in nb.prange(n_chunks):
        for q in range(c * SMALL_CHUNK, min(n, (c + 1) * SMALL_CHUNK)):
            i = winners[q]
            pick = hit_comp[i]
            hit_t[i] = NO_HIT
            st = _stream(key, day, i, P_INFECT)
            st, u = _next(st)
            if pick < 3:
                t = slot_of[group_of[pick, i]]
                src = g_src[pick, _search(g_cum[pick], g_off[pick, t], g_off[pick, t + 1], u)]
                layer = pick
            else:
                lev = pick - 3
                if lev == 0:
                    unit = community[i]
                elif lev == 1:
                    unit = n_communities + district[i]
                else:
                    unit = city
                lo = p_offsets[lev, unit]
                hi = p_offsets[lev, unit + 1]
                src = p_members[lev, _search(p_cum[lev], lo, hi, u)]
                layer = 3
            st, rt = _rel_trans(st, dispersion)
            rel_trans[i] = rt
            _enter(
                i, _E, day, st, state, next_state, t_next, t_onset, history, age_bin, rel_sev,
                prog, dur_kind, dur_a, dur_b,
            )  # fmt: skip
            t_infected[i] = day
            infected_by[i] = src
            infection_layer[i] = layer
            new[c, district[i]] += 1
            by_layer[c, layer] += 1
    return new.sum(axis=0), by_layer.sum(axis=0)


@nb.njit(nogil=True, cache=True)
def sample_durations(key, row, count, dur_kind, dur_a, dur_b):  # type: ignore[no-untyped-def]
    """``count`` draws (whole days) of duration ``row``, one stream per draw (for checks)."""
    out = np.empty(count, dtype=np.int64)
    for i in range(count):
        _, out[i] = _duration(_stream(key, 0, i, P_PROGRESS), row, dur_kind, dur_a, dur_b)
    return out
