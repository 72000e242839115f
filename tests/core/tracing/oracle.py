"""Brute-force pure-Python oracle of the tracing rules (engine.py's docstring, literally).

Every pair of stays is compared; nothing is indexed or pruned.  Only for tiny
inputs.  Secondary venue ``via_person``/``venue_id`` ties are returned as the
set of valid choices (the engine may pick any of them, deterministically).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from epicontrol.core.tracing.rules import TracingRules

DAY = 1440
INT32_MAX = 2**31 - 1
HOUSEHOLD, CLASSMATE, COLLEAGUE, VENUE = range(4)
RELATIONS = ("household", "classmate", "colleague", "venue")
Stay = tuple[int, int, int, int]  # person, venue, t_in, t_out


@dataclass
class City:
    n_persons: int
    n_venues: int
    checkins: list[Stay]
    household: list[int]
    group: list[int]
    org_venue: list[int]
    group_kind: list[int] | None = None


@dataclass
class Row:
    person: int
    category: str
    relation: str
    case_ids: list[int]
    first: int
    last: int
    overlap: int
    venue: int | None
    via: int | None
    priority: int
    # secondary venue rows: every valid (venue, via) at the first exposure
    valid_via: set[tuple[int, int]] = field(default_factory=set)


@dataclass
class _Acc:
    rel: int = 99
    first: tuple[int, int] | None = None  # (first, venue)
    last: int = -(2**62)
    overlap: int = 0
    cases: set[int] = field(default_factory=set)

    def add(self, case: int | None, rel: int, first: int, last: int, ov: int, venue: int) -> None:
        self.rel = min(self.rel, rel)
        if self.first is None or (first, venue) < self.first:
            self.first = (first, venue)
        self.last = max(self.last, last)
        self.overlap += ov
        if case is not None:
            self.cases.add(case)


def _exposure(a: int, b: int, c: int, d: int) -> tuple[int, int, int]:
    s, e = max(a, c), min(b, d)
    return min(s, e), max(s, e), e - s


def oracle(
    city: City,
    cases: list[tuple[int, int, int, int]],  # case_id, person, start, end
    rules: TracingRules,
    *,
    risk_venues: list[int] = (),  # type: ignore[assignment]
    risk_window: tuple[int, int] | None = None,
    secondary_until: int | None = None,
) -> list[Row]:
    stays = city.checkins
    t_max = max(s[3] for s in stays)
    until = t_max if secondary_until is None else secondary_until
    case_persons = {p for _, p, _, _ in cases}
    close: dict[int, _Acc] = defaultdict(_Acc)
    general: dict[int, _Acc] = defaultdict(_Acc)
    n = city.n_persons

    for cid, p, ws, we in cases:
        hh = city.household[p]
        if rules.household and hh >= 0:
            for q in range(n):
                if q != p and city.household[q] == hh:
                    close[q].add(cid, HOUSEHOLD, ws, we, we - ws, -1)
        g, org = city.group[p], city.org_venue[p]
        if rules.groups and g >= 0 and org >= 0:
            env_c: dict[int, list[int]] = {}
            for pp, v, a0, b0 in stays:
                if pp == p and v == org and b0 > ws and a0 < we:
                    a, b = max(a0, ws), min(b0, we)
                    e = env_c.setdefault(a // DAY, [a, b])
                    e[0], e[1] = min(e[0], a), max(e[1], b)
            for q in range(n):
                if q == p or city.group[q] != g or city.org_venue[q] < 0:
                    continue
                env_q: dict[int, list[int]] = {}
                for pp, v, a0, b0 in stays:
                    if pp == q and v == city.org_venue[q]:
                        e = env_q.setdefault(a0 // DAY, [a0, b0])
                        e[0], e[1] = min(e[0], a0), max(e[1], b0)
                shared = sorted(set(env_c) & set(env_q))
                if not shared:
                    continue
                parts = [_exposure(*env_c[d], *env_q[d]) for d in shared]
                kind = city.group_kind[g] if city.group_kind is not None else 1
                close[q].add(
                    cid,
                    CLASSMATE if kind == 0 else COLLEAGUE,
                    min(x[0] for x in parts),
                    max(x[1] for x in parts),
                    sum(max(x[2], 0) for x in parts),
                    -1,
                )
        for pp, v, a0, b0 in stays:
            if pp != p or b0 <= ws or a0 >= we:
                continue
            a, b = max(a0, ws), min(b0, we)
            for q, v2, c, d in stays:
                if v2 != v or q == p:
                    continue
                f, la, ov = _exposure(a, b, c, d)
                if ov >= rules.overlap_minutes:
                    close[q].add(cid, VENUE, f, la, ov, v)
                elif ov >= -rules.general_window_minutes:
                    general[q].add(cid, VENUE, f, la, max(ov, 0), v)

    rows: list[Row] = []

    def row(q: int, cat: str, acc: _Acc, prio: int) -> Row:
        assert acc.first is not None
        return Row(
            person=q,
            category=cat,
            relation=RELATIONS[acc.rel],
            case_ids=sorted(acc.cases),
            first=acc.first[0],
            last=acc.last,
            overlap=min(acc.overlap, INT32_MAX),
            venue=acc.first[1] if acc.rel == VENUE else None,
            via=None,
            priority=prio,
        )

    for q in sorted(close):
        acc = close[q]
        rows.append(row(q, "close", acc, 1 if acc.rel == HOUSEHOLD or len(acc.cases) > 1 else 2))

    if rules.secondary and close:
        e_k = {k: acc.first[0] for k, acc in close.items() if acc.first is not None}
        sources = []
        for k, v, a0, b0 in stays:
            if k in e_k:
                a, b = max(a0, e_k[k]), min(b0, until)
                if b - a >= rules.overlap_minutes:
                    sources.append((k, v, a, b))
        for q in range(n):
            if q in close or q in case_persons:
                continue
            hh_cands = []
            if rules.household and city.household[q] >= 0:
                hh_cands = [
                    (e, k)
                    for k, e in e_k.items()
                    if city.household[k] == city.household[q] and e < until
                ]
            v_first: int | None = None
            v_last = -(2**62)
            span = 0
            per_stay: list[tuple[int, int, set[int]]] = []  # first, venue, vias
            for qq, v, c, d in stays:
                if qq != q:
                    continue
                hits = [
                    (max(a, c), min(b, d), k)
                    for k, v2, a, b in sources
                    if v2 == v and min(b, d) - max(a, c) >= rules.overlap_minutes
                ]
                if not hits:
                    continue
                f = min(h[0] for h in hits)
                la = max(h[1] for h in hits)
                span += la - f
                v_last = max(v_last, la)
                per_stay.append((f, v, {h[2] for h in hits if h[0] == f}))
                v_first = f if v_first is None else min(v_first, f)
            if not hh_cands and v_first is None:
                continue
            if hh_cands:
                hh_first, hh_via = min(hh_cands)
                first = hh_first if v_first is None else min(hh_first, v_first)
                last = max(until, v_last)
                overlap = until - hh_first + span
                via, venue, rel = hh_via, None, "household"
                valid: set[tuple[int, int]] = set()
            else:
                assert v_first is not None
                first, last, overlap, rel = v_first, v_last, span, "venue"
                best_venue = min(v for f, v, _ in per_stay if f == v_first)
                valid = {
                    (v, k) for f, v, ks in per_stay if f == v_first and v == best_venue for k in ks
                }
                venue, via = best_venue, None
            rows.append(
                Row(
                    q,
                    "secondary",
                    rel,
                    [],
                    first,
                    last,
                    min(overlap, INT32_MAX),
                    venue,
                    via,
                    3,
                    valid_via=valid,
                )
            )

    for q in sorted(general):
        if q not in close:
            rows.append(row(q, "general", general[q], 5))

    if risk_venues:
        spans = [risk_window] if risk_window is not None else [(s, e) for _, _, s, e in cases]
        cum: dict[int, int] = defaultdict(int)
        firsts: dict[int, tuple[int, int]] = {}
        lasts: dict[int, int] = {}
        minute_sets = [set(range(s, e)) for s, e in spans]
        union = set().union(*minute_sets) if minute_sets else set()
        for q, v, c, d in stays:
            if v not in risk_venues or q in case_persons:
                continue
            minutes = [t for t in range(c, d) if t in union]
            if not minutes:
                continue
            cum[q] += len(minutes)
            firsts[q] = min(firsts.get(q, (minutes[0], v)), (minutes[0], v))
            lasts[q] = max(lasts.get(q, minutes[-1] + 1), minutes[-1] + 1)
        for q in sorted(cum):
            if cum[q] >= rules.yellow_hours * 60:
                rows.append(
                    Row(
                        q,
                        "yellow_code",
                        "venue",
                        [],
                        firsts[q][0],
                        lasts[q],
                        cum[q],
                        firsts[q][1],
                        None,
                        4,
                    )
                )
    order = {"close": 0, "secondary": 1, "general": 2, "yellow_code": 3}
    rows.sort(key=lambda r: (order[r.category], r.person))
    return rows
