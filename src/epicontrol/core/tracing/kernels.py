"""numba kernels of the tracing engine (hot loops over the check-in index).

Every kernel is serial and releases the GIL (``nogil=True``); the engine runs
several at once on a thread pool, each on its own slice of cases or venues
and with its own scratch arrays, so results never depend on the thread count.
The definitions they implement are documented in :mod:`.engine`.

Link arrays (one row per (case, contact, category) or per exposed stay) are
grown by doubling; times are carried as int64 so that no sum overflows.
"""

from __future__ import annotations

import numba as nb
import numpy as np

MINUTES_PER_DAY = 1440
NO_TIME = np.iinfo(np.int64).max
INT32_MAX = 2**31 - 1
#: Fields of a link record (int32; link arrays are ``(6, n)``, one row per
#: field): the contact, the case index, first and last exposure, overlap
#: minutes, and the venue (>= 0) or ``-1 - relation`` for a registry link
#: (household, classmate, colleague).
REC_FIELDS = ("person", "case", "first", "last", "overlap", "venue")


@nb.njit(nogil=True, cache=True)
def _grow(a, n):  # type: ignore[no-untyped-def]
    out = np.empty(n, dtype=a.dtype)
    out[: len(a)] = a
    return out


@nb.njit(nogil=True, cache=True)
def _scan_range(a, b, reach, v, v_off, v_tin, v_maxdur):  # type: ignore[no-untyped-def]
    """Rows of venue ``v`` whose stay may come within ``reach`` of ``[a, b)``."""
    vlo = v_off[v]
    vhi = v_off[v + 1]
    j = vlo + np.searchsorted(v_tin[vlo:vhi], a - reach - v_maxdur[v])
    e = vlo + np.searchsorted(v_tin[vlo:vhi], b + reach, side="right")
    return j, e


@nb.njit(nogil=True, cache=True)
def first_order(  # type: ignore[no-untyped-def]
    c0, c1, c_person, c_ws, c_we,
    p_off, p_venue, p_tin, p_tout, p_maxdur,
    v_off, v_person, v_tin, v_tout, v_maxdur,
    min_overlap, gap, general, keys, rows, fill, off, rec, cat_out,
):  # fmt: skip
    """Venue links of cases ``c0..c1``: one row per (case, person, category).

    For every stay ``[a, b)`` of the case clipped to its window and every other
    person's stay ``[c, d)`` at the same venue, ``ov = min(b, d) - max(a, c)``;
    ``ov >= min_overlap`` is a close pair (category 0), otherwise
    ``ov >= -gap`` a general pair (category 1, only if ``general``).  Per
    (case, person, category): earliest (exposure, venue), latest exposure end
    and the sum of positive overlaps.

    Two passes: with ``fill`` false, ``off[ci]`` receives the number of links
    of case ``ci``; with ``fill`` true, ``off[ci]`` is where they start in
    ``rec`` (int32 rows ``person, case, first, last, overlap, venue``, see
    :data:`REC_FIELDS`) and ``cat_out``.  ``keys``/``rows`` are a per-thread open-addressing hash
    table ((person, category) → link), cleared per case and sized to twice
    the rows the case can meet; when it is too small the kernel returns
    ``(case, size needed)`` so that the caller can grow it and resume, else
    ``(c1, 0)``.
    """
    reach = np.int64(gap) if general else np.int64(-min_overlap)
    for ci in range(c0, c1):
        p = c_person[ci]
        ws = np.int64(c_ws[ci])
        we = np.int64(c_we[ci])
        lo = p_off[p]
        hi = p_off[p + 1]
        start = lo + np.searchsorted(p_tin[lo:hi], ws - p_maxdur)
        bound = 0
        i = start
        while i < hi and p_tin[i] < we:
            if p_tout[i] > ws:
                a = max(np.int64(p_tin[i]), ws)
                b = min(np.int64(p_tout[i]), we)
                j, e = _scan_range(a, b, reach, p_venue[i], v_off, v_tin, v_maxdur)
                bound += max(e - j, 0)
            i += 1
        bits = 4
        while (1 << bits) < 2 * bound:
            bits += 1
        size = 1 << bits
        if size > len(keys):
            return ci, size
        mask = size - 1
        shift = 32 - bits
        keys[:size] = -1
        base = off[ci] if fill else 0
        n = 0
        i = start
        while i < hi and p_tin[i] < we:
            if p_tout[i] <= ws:
                i += 1
                continue
            a = max(np.int64(p_tin[i]), ws)
            b = min(np.int64(p_tout[i]), we)
            v = p_venue[i]
            i += 1
            j, end = _scan_range(a, b, reach, v, v_off, v_tin, v_maxdur)
            for k in range(j, end):
                q = v_person[k]
                if q == p:
                    continue
                c = np.int64(v_tin[k])
                d = np.int64(v_tout[k])
                s = max(a, c)
                e = min(b, d)
                ov = e - s
                if ov >= min_overlap:
                    cat = 0
                elif general and ov >= -gap:
                    cat = 1
                else:
                    continue
                key = 2 * np.int64(q) + cat
                h = ((key * 2654435761) & 0xFFFFFFFF) >> shift
                while keys[h] != -1 and keys[h] != key:
                    h = (h + 1) & mask
                if keys[h] == -1:
                    keys[h] = key
                    rows[h] = n
                    if fill:
                        r = base + n
                        rec[0, r] = q
                        rec[1, r] = ci
                        rec[2, r] = min(s, e)
                        rec[3, r] = max(s, e)
                        rec[4, r] = max(ov, 0)
                        rec[5, r] = v
                        cat_out[r] = cat
                    n += 1
                elif fill:
                    r = base + rows[h]
                    first = min(s, e)
                    if first < rec[2, r] or (first == rec[2, r] and v < rec[5, r]):
                        rec[2, r] = first
                        rec[5, r] = v
                    rec[3, r] = max(rec[3, r], max(s, e))
                    if ov > 0:
                        rec[4, r] = min(rec[4, r] + ov, INT32_MAX)
        if not fill:
            off[ci] = n
    return c1, 0


@nb.njit(nogil=True, cache=True)
def household_links(c_person, c_ws, c_we, household, labels, off, members):  # type: ignore[no-untyped-def]
    """Close household links: every other member of the case's household, whole window.

    ``labels`` (sorted), ``off`` and ``members`` are the households of the cases as CSR.
    """
    n = 0
    for ci in range(len(c_person)):
        h = household[c_person[ci]]
        if h >= 0:
            g = np.searchsorted(labels, h)
            n += off[g + 1] - off[g] - 1
    o_case = np.empty(n, dtype=np.int32)
    o_person = np.empty(n, dtype=np.int32)
    o_first = np.empty(n, dtype=np.int64)
    o_last = np.empty(n, dtype=np.int64)
    k = 0
    for ci in range(len(c_person)):
        p = c_person[ci]
        h = household[p]
        if h < 0:
            continue
        g = np.searchsorted(labels, h)
        for m in range(off[g], off[g + 1]):
            q = members[m]
            if q != p:
                o_case[k] = ci
                o_person[k] = q
                o_first[k] = c_ws[ci]
                o_last[k] = c_we[ci]
                k += 1
    return o_case, o_person, o_first, o_last


@nb.njit(nogil=True, cache=True)
def _org_days(venue, t_in, t_out, lo, hi, org, t0, t1, clip):  # type: ignore[no-untyped-def]
    """Per day, the envelope [first in, last out] of stays at ``org`` in rows ``lo..hi``.

    Only stays overlapping ``[t0, t1)``; with ``clip`` they are clipped to it and
    the day is that of the clipped start, else the day of ``t_in``.
    """
    days = np.empty(hi - lo, dtype=np.int64)
    start = np.empty(hi - lo, dtype=np.int64)
    stop = np.empty(hi - lo, dtype=np.int64)
    n = 0
    for i in range(lo, hi):
        if venue[i] != org or t_out[i] <= t0 or t_in[i] >= t1:
            continue
        a = np.int64(t_in[i])
        b = np.int64(t_out[i])
        if clip:
            a = max(a, t0)
            b = min(b, t1)
        d = a // MINUTES_PER_DAY
        if n > 0 and days[n - 1] == d:
            start[n - 1] = min(start[n - 1], a)
            stop[n - 1] = max(stop[n - 1], b)
        else:
            days[n] = d
            start[n] = a
            stop[n] = b
            n += 1
    return days[:n], start[:n], stop[:n]


@nb.njit(nogil=True, cache=True)
def group_links(  # type: ignore[no-untyped-def]
    c_person, c_ws, c_we, group, org_venue, labels, off, members,
    p_off, p_venue, p_tin, p_tout, p_maxdur,
):  # fmt: skip
    """Close classmate/colleague links: same group, days both checked in at their org venue.

    Per shared day ``d`` with envelopes ``A`` (the case's stays clipped to the
    window) and ``B`` (the member's stays that day): ``s = max(A.start,
    B.start)``, ``e = min(A.end, B.end)``; the link's first exposure is the
    least ``min(s, e)``, the last the greatest ``max(s, e)``, and its overlap
    the sum of ``max(0, e - s)``.
    """
    cap = 256
    o_case = np.empty(cap, dtype=np.int32)
    o_person = np.empty(cap, dtype=np.int32)
    o_first = np.empty(cap, dtype=np.int64)
    o_last = np.empty(cap, dtype=np.int64)
    o_ov = np.empty(cap, dtype=np.int64)
    n = 0
    for ci in range(len(c_person)):
        p = c_person[ci]
        grp = group[p]
        org = org_venue[p]
        if grp < 0 or org < 0:
            continue
        ws = np.int64(c_ws[ci])
        we = np.int64(c_we[ci])
        cdays, cs, ce = _org_days(p_venue, p_tin, p_tout, p_off[p], p_off[p + 1], org, ws, we, True)
        if len(cdays) == 0:
            continue
        t0 = cdays[0] * MINUTES_PER_DAY
        t1 = (cdays[-1] + 1) * MINUTES_PER_DAY
        g = np.searchsorted(labels, grp)
        for m in range(off[g], off[g + 1]):
            q = members[m]
            oq = org_venue[q]
            if q == p or oq < 0:
                continue
            lo = p_off[q]
            hi = p_off[q + 1]
            lo = lo + np.searchsorted(p_tin[lo:hi], t0)
            hi = lo + np.searchsorted(p_tin[lo:hi], t1)
            qdays, qs, qe = _org_days(p_venue, p_tin, p_tout, lo, hi, oq, t0 - p_maxdur, t1, False)
            first = NO_TIME
            last = -NO_TIME
            total = np.int64(0)
            x = 0
            for y in range(len(qdays)):
                while x < len(cdays) and cdays[x] < qdays[y]:
                    x += 1
                if x == len(cdays) or cdays[x] != qdays[y]:
                    continue
                s = max(cs[x], qs[y])
                e = min(ce[x], qe[y])
                first = min(first, min(s, e))
                last = max(last, max(s, e))
                total += max(e - s, 0)
            if first == NO_TIME:
                continue
            if n == cap:
                cap *= 2
                o_case = _grow(o_case, cap)
                o_person = _grow(o_person, cap)
                o_first = _grow(o_first, cap)
                o_last = _grow(o_last, cap)
                o_ov = _grow(o_ov, cap)
            o_case[n] = ci
            o_person[n] = q
            o_first[n] = first
            o_last[n] = last
            o_ov[n] = total
            n += 1
    return o_case[:n], o_person[:n], o_first[:n], o_last[:n], o_ov[:n]


@nb.njit(nogil=True, cache=True)
def aggregate_count(a_rec, a_cat, want, skip, b_rec, count):  # type: ignore[no-untyped-def]
    """First step of :func:`aggregate`: link offsets per person into ``count``; rows returned.

    The records are ``a_rec`` rows with ``a_cat == want`` whose person is not
    marked in ``skip``, and all ``b_rec`` rows; ``count`` (zeros,
    ``n_persons + 1``) becomes the CSR offsets.
    """
    n_persons = len(count) - 1
    for i in range(a_rec.shape[1]):
        if a_cat[i] == want and not skip[a_rec[0, i]]:
            count[a_rec[0, i] + 1] += 1
    for i in range(b_rec.shape[1]):
        count[b_rec[0, i] + 1] += 1
    rows = 0
    for p in range(n_persons):
        if count[p + 1] > 0:
            rows += 1
        count[p + 1] += count[p]
    return rows


@nb.njit(nogil=True, cache=True)
def aggregate(  # type: ignore[no-untyped-def]
    a_rec, a_cat, want, skip, b_rec, count, p0, p1, r0, srt,
    r_person, r_rel, r_first, r_last, r_ov, r_venue, c_len, c_val,
):  # fmt: skip
    """Merge the link records of persons ``p0..p1`` into one row each (by person id).

    The records (see :func:`aggregate_count`) of those persons are moved into
    person order in ``srt`` (at their ``count`` offsets), then per person,
    row ``r0, r0 + 1, …``: least relation code (a venue link is ``venue``),
    earliest (first, venue), latest last, summed overlap, and the sorted
    distinct case indices — ``c_len[r]`` of them, written to ``c_val`` from
    the person's ``count`` offset (to be compacted by the caller).  Several
    calls on disjoint person ranges may run at once.
    """
    cursor = count[p0:p1].copy()
    for i in range(a_rec.shape[1]):
        p = a_rec[0, i]
        if p >= p0 and p < p1 and a_cat[i] == want and not skip[p]:
            j = cursor[p - p0]
            cursor[p - p0] = j + 1
            for f in range(6):
                srt[j, f] = a_rec[f, i]
    for i in range(b_rec.shape[1]):
        p = b_rec[0, i]
        if p >= p0 and p < p1:
            j = cursor[p - p0]
            cursor[p - p0] = j + 1
            for f in range(6):
                srt[j, f] = b_rec[f, i]
    r = r0
    for p in range(p0, p1):
        lo = count[p]
        hi = count[p + 1]
        if hi == lo:
            continue
        rel = 127
        first = NO_TIME
        venue = INT32_MAX
        last = -NO_TIME
        ov = np.int64(0)
        for t in range(lo, hi):
            c_val[t] = srt[t, 1]
            code = srt[t, 5]
            v = code if code >= 0 else -1
            code_rel = 3 if code >= 0 else -1 - code
            if code_rel < rel:
                rel = code_rel
            f = srt[t, 2]
            if f < first or (f == first and v < venue):
                first = f
                venue = v
            if srt[t, 3] > last:
                last = srt[t, 3]
            ov += srt[t, 4]
        r_person[r] = p
        r_rel[r] = rel
        r_first[r] = first
        r_venue[r] = venue
        r_last[r] = last
        r_ov[r] = ov
        m = hi - lo
        if m > 1:
            c_val[lo:hi].sort()
        k = lo
        for t in range(lo, hi):
            if t == lo or c_val[t] != c_val[t - 1]:
                c_val[k] = c_val[t]
                k += 1
        c_len[r] = k - lo
        r += 1


#: ``state`` of a person in :func:`secondary_venues`: neither close nor excluded.
TARGET = NO_TIME
#: ``state`` of an excluded person who is not close (a case).
EXCLUDED = NO_TIME - 1


@nb.njit(nogil=True, cache=True)
def secondary_venues(  # type: ignore[no-untyped-def]
    v0, v1, v_off, v_person, v_tin, v_tout, state, until, min_overlap, scratch, acc
):  # fmt: skip
    """Secondary venue exposure of every stay at venues ``v0..v1``, without pairing stays.

    ``state[k]`` is the close contact *k*'s earliest exposure ``E_k``, or
    :data:`TARGET` (a person who can be secondary) or :data:`EXCLUDED`.
    Sources are the close contacts' stays clipped to ``[E_k, until)`` and at
    least ``min_overlap`` long, in (start, person) order — the venue's rows are
    in (t_in, person) order, so only stays cut at ``E_k`` need sorting and
    merging — with a prefix maximum of their ends.  A target stay ``[c, d)``
    meets some source for ``>= min_overlap`` minutes iff the first source
    whose prefix-max end reaches ``c + min_overlap`` starts by
    ``d - min_overlap``; that source gives the earliest exposure ``max(a, c)``
    and its person the via, and the prefix maximum over sources starting by
    ``d - min_overlap`` the latest co-presence.  Targets come in ``t_in``
    order, so the first search is a forward scan.

    Per target person ``acc`` (int64 rows ``first, last, span, venue << 32 |
    via``) keeps the least (first, venue, via), the greatest last and the
    summed spans (last - first of each exposed stay).  ``scratch`` is an int64
    array of at least 8 × the longest venue segment.
    """
    for v in range(v0, v1):
        lo = v_off[v]
        hi = v_off[v + 1]
        seg = hi - lo
        s_a = scratch[0:seg]
        s_b = scratch[seg : 2 * seg]
        s_p = scratch[2 * seg : 3 * seg]
        x_key = scratch[3 * seg : 4 * seg]
        x_b = scratch[4 * seg : 5 * seg]
        pref = scratch[5 * seg : 6 * seg]
        targets = scratch[6 * seg : 7 * seg]
        st = scratch[7 * seg : 8 * seg]
        for i in range(lo, hi):  # gather first: independent loads overlap
            st[i - lo] = state[v_person[i]]
        m = 0
        mx = 0
        nt = 0
        for i in range(lo, hi):
            e_k = st[i - lo]
            if e_k == TARGET:
                if v_tout[i] - v_tin[i] >= min_overlap:
                    targets[nt] = i
                    nt += 1
                continue
            if e_k == EXCLUDED:
                continue
            t_in = np.int64(v_tin[i])
            a = max(t_in, e_k)
            b = min(np.int64(v_tout[i]), until)
            if b - a < min_overlap:
                continue
            if a == t_in:
                s_a[m] = a
                s_b[m] = b
                s_p[m] = v_person[i]
                m += 1
            else:
                x_key[mx] = (a << 32) + v_person[i]
                x_b[mx] = b
                mx += 1
        if m + mx == 0 or nt == 0:
            continue
        if mx:
            # Merge the cut stays (sorted here) into the ordered ones, from the back.
            order = np.argsort(x_key[:mx])
            xk = x_key[:mx][order]
            xb = x_b[:mx][order]
            i = m - 1
            j = mx - 1
            for t in range(m + mx - 1, -1, -1):
                if j < 0:
                    break
                if i >= 0 and (s_a[i] << 32) + s_p[i] > xk[j]:
                    s_a[t] = s_a[i]
                    s_b[t] = s_b[i]
                    s_p[t] = s_p[i]
                    i -= 1
                else:
                    s_a[t] = xk[j] >> 32
                    s_b[t] = xb[j]
                    s_p[t] = xk[j] - (s_a[t] << 32)
                    j -= 1
            m += mx
        best = -NO_TIME
        for t in range(m):
            best = max(best, s_b[t])
            pref[t] = best
        sa = s_a[:m]
        pf = pref[:m]
        t = 0
        for r in range(nt):
            i = targets[r]
            c = np.int64(v_tin[i])
            d = np.int64(v_tout[i])
            while t < m and pf[t] < c + min_overlap:
                t += 1
            if t == m:
                break
            if sa[t] > d - min_overlap:
                continue
            first = max(sa[t], c)
            tag = (np.int64(v) << 32) + s_p[t]
            if pf[t] >= d:
                last = d
            else:  # last source starting by d - min_overlap: gallop forward from t
                step = 1
                u = t
                while u + step < m and sa[u + step] <= d - min_overlap:
                    u += step
                    step *= 2
                u += np.searchsorted(sa[u + 1 : min(u + step, m)], d - min_overlap, side="right")
                last = min(pf[u], d)
            q = v_person[i]
            row = acc[q]
            f0 = row[0]
            g0 = row[3]
            better = (first < f0) | ((first == f0) & (tag < g0))
            row[0] = first if better else f0  # no branch: updates of many rows overlap
            row[3] = tag if better else g0
            row[1] = max(row[1], last)
            row[2] += last - first


@nb.njit(nogil=True, cache=True)
def yellow(venues, v_off, v_person, v_tin, v_tout, v_maxdur, u_start, u_end, cum, first, last, at):  # type: ignore[no-untyped-def]
    """Cumulative minutes per person in ``venues`` within the union of ``[u_start, u_end)``.

    ``u_*`` are sorted, disjoint intervals.  ``first``/``at`` keep the earliest
    (clipped start, venue), ``last`` the latest clipped end.
    """
    if len(u_start) == 0:
        return
    t_lo = u_start[0]
    t_hi = u_end[-1]
    for v in venues:
        lo = v_off[v]
        hi = v_off[v + 1]
        i = lo + np.searchsorted(v_tin[lo:hi], t_lo - v_maxdur[v])
        end = lo + np.searchsorted(v_tin[lo:hi], t_hi)
        for j in range(i, end):
            c = np.int64(v_tin[j])
            d = np.int64(v_tout[j])
            if d <= t_lo:
                continue
            k = np.searchsorted(u_end, c, side="right")
            total = np.int64(0)
            fs = NO_TIME
            le = -NO_TIME
            while k < len(u_start) and u_start[k] < d:
                s = max(c, u_start[k])
                e = min(d, u_end[k])
                if e > s:
                    total += e - s
                    fs = min(fs, s)
                    le = max(le, e)
                k += 1
            if total == 0:
                continue
            q = v_person[j]
            cum[q] += total
            if fs < first[q] or (fs == first[q] and v < at[q]):
                first[q] = fs
                at[q] = v
            last[q] = max(last[q], le)
