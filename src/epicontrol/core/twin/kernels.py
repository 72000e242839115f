"""numba kernels of the twin: random streams, duration draws, progression, transmission.

Every random number is counter-based: a SplitMix64 stream [1]_ is seeded by
``(seed key, day, agent, purpose)``, so a draw depends only on who, when and
what for — never on the thread count, the chunking or the order in which
agents are visited.  Sums of floating-point infectious pressure are formed
serially in agent order, or per fixed chunk of agents and then added in
chunk order, so they are bit-identical on any number of threads.

Per day the engine runs :func:`progress` (due transitions; today's infectious
weight of every agent; census by state and district), then
:func:`pool_sums` (activity of each community pool), :func:`source_loads`
(infectious pressure per group and pool, and per-pool CSRs of sources for
attribution) and :func:`transmit` (each susceptible's hazard, infection, and
its infector and layer).

References
----------
.. [1] G. L. Steele, D. Lea and C. H. Flood, "Fast splittable pseudorandom
   number generators", *OOPSLA* 2014, 453–472.
.. [2] G. Marsaglia and W. W. Tsang, "A simple method for generating gamma
   variables", *ACM Trans. Math. Softw.* 26(3):363–372, 2000.
"""

from __future__ import annotations

import numba as nb
import numpy as np

CHUNK = 8192
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
            i,
            _E,
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
        )
        t_infected[i] = day
        infected_by[i] = source
        infection_layer[i] = SEEDED
        k += 1
    return k


@nb.njit(parallel=True, nogil=True, cache=True)
def progress(  # type: ignore[no-untyped-def]
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
    """Apply today's transitions; write each agent's infectious weight; census.

    Returns ``(state counts, hospital by district, ICU by district,
    new symptomatic, new severe, new critical, new deaths)``.
    """
    n = len(state)
    n_chunks = (n + CHUNK - 1) // CHUNK
    counts = np.zeros((n_chunks, 9), dtype=np.int64)
    beds = np.zeros((n_chunks, 2, n_districts), dtype=np.int64)
    new = np.zeros((n_chunks, 4), dtype=np.int64)
    for c in nb.prange(n_chunks):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            s = state[i]
            if t_next[i] == day and s != _S and s < _R:
                st = _stream(key, day, i, P_PROGRESS)
                s = next_state[i]
                _enter(
                    i,
                    s,
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
                )
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
                beds[c, 0, district[i]] += 1
            elif s == _CRIT:
                beds[c, 1, district[i]] += 1
            weight[i] = rel_trans_state[s] * rel_trans[i] if _IP <= s <= _CRIT else 0.0
    tot = counts.sum(axis=0)
    b = beds.sum(axis=0)
    nw = new.sum(axis=0)
    return tot, b[0], b[1], nw[0], nw[1], nw[2], nw[3]


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
def pool_sums(  # type: ignore[no-untyped-def]
    activity,
    contact_mult,
    area_mult,
    community,
    district,
    isolation,
    iso_factor,
    n_units,
    n_communities,
    n_districts,
):
    """Σ a_j m_j per pool unit: communities, then districts, then the city."""
    n = len(activity)
    n_chunks = (n + CHUNK - 1) // CHUNK
    part = np.zeros((n_chunks, n_units), dtype=np.float64)
    city = n_communities + n_districts
    for c in nb.prange(n_chunks):
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            a = activity[i] * _mult(3, i, contact_mult, area_mult, community, isolation, iso_factor)
            if a > 0.0:
                part[c, community[i]] += a
                part[c, n_communities + district[i]] += a
                part[c, city] += a
    out = np.zeros(n_units, dtype=np.float64)
    for c in range(n_chunks):
        out += part[c]
    return out


@nb.njit(nogil=True, cache=True)
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
    n_units,
    n_communities,
):
    """Infectious pressure per group (into ``load``) and per pool unit.

    ``sources`` are today's infectious agents, ascending.  Returns the number
    of touched groups (their ids in ``touched``), the pool pressure per unit
    and, for attribution, a CSR per level of the sources in each unit with
    cumulative pressure: ``(n_touched, pool, offsets (3, n_units + 1),
    members (3, k), cum (3, k))``.
    """
    n_touched = 0
    k = len(sources)
    contrib = np.zeros(k, dtype=np.float64)
    pool = np.zeros(n_units, dtype=np.float64)
    city = n_units - 1
    for idx in range(k):
        j = sources[idx]
        w = weight[j]
        for layer in range(3):
            g = group_of[layer, j]
            if g < 0:
                continue
            if not _present(layer, j, day, weekday, key, active_days, attendance):
                continue
            m = _mult(layer, j, contact_mult, area_mult, community, isolation, iso_factor)
            if m <= 0.0:
                continue
            if load[g] == 0.0:
                touched[n_touched] = g
                n_touched += 1
            load[g] += w * m
        c = w * activity[j] * _mult(3, j, contact_mult, area_mult, community, isolation, iso_factor)
        contrib[idx] = c
        if c > 0.0:
            pool[community[j]] += c
            pool[n_communities + district[j]] += c
            pool[city] += c
    offsets = np.zeros((3, n_units + 1), dtype=np.int64)
    for idx in range(k):
        if contrib[idx] > 0.0:
            j = sources[idx]
            offsets[0, community[j] + 1] += 1
            offsets[1, n_communities + district[j] + 1] += 1
            offsets[2, city + 1] += 1
    for lev in range(3):
        for u in range(n_units):
            offsets[lev, u + 1] += offsets[lev, u]
    m_count = offsets[0, n_units]
    members = np.empty((3, m_count), dtype=np.int32)
    cum = np.empty((3, m_count), dtype=np.float64)
    fill = offsets[:, :-1].copy()
    for idx in range(k):
        c = contrib[idx]
        if c > 0.0:
            j = sources[idx]
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
    return n_touched, pool, offsets, members, cum


@nb.njit(nogil=True)
def _pick_in_group(  # type: ignore[no-untyped-def]
    g,
    target,
    layer,
    day,
    weekday,
    key,
    g_offsets,
    g_members,
    weight,
    contact_mult,
    area_mult,
    community,
    isolation,
    iso_factor,
    active_days,
    attendance,
):
    acc = 0.0
    last = -1
    for p in range(g_offsets[g], g_offsets[g + 1]):
        j = g_members[p]
        w = weight[j]
        if w <= 0.0:
            continue
        if not _present(layer, j, day, weekday, key, active_days, attendance):
            continue
        m = _mult(layer, j, contact_mult, area_mult, community, isolation, iso_factor)
        if m <= 0.0:
            continue
        acc += w * m
        last = j
        if acc >= target:
            return j
    return last


@nb.njit(parallel=True, nogil=True, cache=True)
def transmit(  # type: ignore[no-untyped-def]
    day,
    weekday,
    key,
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
    sus_age,
    rel_sus,
    weight,
    group_of,
    g_offsets,
    g_members,
    load,
    activity,
    contact_mult,
    area_mult,
    community,
    district,
    isolation,
    iso_factor,
    active_days,
    attendance,
    beta,
    shares,
    pool,
    pool_total,
    p_offsets,
    p_members,
    p_cum,
    n_communities,
    n_districts,
):
    """Infect susceptibles by today's pressure; returns new infections by district and layer."""
    n = len(state)
    n_chunks = (n + CHUNK - 1) // CHUNK
    new = np.zeros((n_chunks, n_districts), dtype=np.int64)
    by_layer = np.zeros((n_chunks, 4), dtype=np.int64)
    city = n_communities + n_districts
    # community pressure per contact, per pool unit: β × share × Σ a w / Σ a
    ratio = np.zeros(len(pool), dtype=np.float64)
    for u in range(len(pool)):
        lev = 0 if u < n_communities else (1 if u < city else 2)
        if pool[u] > 0.0 and pool_total[u] > 0.0:
            ratio[u] = beta[3] * shares[lev] * pool[u] / pool_total[u]
    for c in nb.prange(n_chunks):
        contrib = np.zeros(6, dtype=np.float64)
        units = np.zeros(3, dtype=np.int64)
        for i in range(c * CHUNK, min(n, (c + 1) * CHUNK)):
            if state[i] != _S:
                continue
            h = 0.0
            for layer in range(3):
                contrib[layer] = 0.0
                g = group_of[layer, i]
                if g < 0 or load[g] <= 0.0 or beta[layer] <= 0.0:
                    continue
                if not _present(layer, i, day, weekday, key, active_days, attendance):
                    continue
                m = _mult(layer, i, contact_mult, area_mult, community, isolation, iso_factor)
                contrib[layer] = beta[layer] * m * load[g]
                h += contrib[layer]
            units[0] = community[i]
            units[1] = n_communities + district[i]
            units[2] = city
            a = activity[i] * _mult(3, i, contact_mult, area_mult, community, isolation, iso_factor)
            for lev in range(3):
                contrib[3 + lev] = a * ratio[units[lev]] if a > 0.0 else 0.0
                h += contrib[3 + lev]
            if h <= 0.0:
                continue
            x = h * sus_age[age_bin[i]] * rel_sus[i]
            st = _stream(key, day, i, P_INFECT)
            st, u0 = _next(st)
            if u0 >= x or u0 >= -np.expm1(-x):  # 1 - exp(-x) <= x: most rejections skip expm1
                continue
            # Attribute: which layer (or pool level), then which source.
            st, u1 = _next(st)
            target = u1 * h
            pick = 5
            acc = 0.0
            for q in range(6):
                acc += contrib[q]
                if contrib[q] > 0.0 and acc >= target:
                    pick = q
                    break
            while contrib[pick] <= 0.0:
                pick -= 1
            st, u2 = _next(st)
            if pick < 3:
                g = group_of[pick, i]
                src = _pick_in_group(
                    g,
                    u2 * load[g],
                    pick,
                    day,
                    weekday,
                    key,
                    g_offsets,
                    g_members,
                    weight,
                    contact_mult,
                    area_mult,
                    community,
                    isolation,
                    iso_factor,
                    active_days,
                    attendance,
                )
                layer = pick
            else:
                lev = pick - 3
                u = units[lev]
                lo = p_offsets[lev, u]
                hi = p_offsets[lev, u + 1]
                t = u2 * p_cum[lev, hi - 1]
                # first position with cum >= t
                a_lo, a_hi = lo, hi - 1
                while a_lo < a_hi:
                    mid = (a_lo + a_hi) // 2
                    if p_cum[lev, mid] >= t:
                        a_hi = mid
                    else:
                        a_lo = mid + 1
                src = p_members[lev, a_lo]
                layer = 3
            st, rt = _rel_trans(st, dispersion)
            rel_trans[i] = rt
            _enter(
                i,
                _E,
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
            )
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
