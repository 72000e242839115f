"""Contact tracing of a batch of cases: close, secondary, general contacts and yellow codes.

Definitions (all times are minutes since the lake's epoch; stays are
half-open ``[t_in, t_out)``; two stays ``[a, b)`` and ``[c, d)`` at the same
venue *overlap* by ``ov = min(b, d) - max(a, c)``, a negative ``ov`` being
the gap between them; their *exposure* runs from ``min(s, e)`` to
``max(s, e)`` with ``s = max(a, c)``, ``e = min(b, d)``):

* **case stays** — the case's check-ins overlapping its infectious window
  ``[window_start, window_end)``, clipped to it.
* **close (密接)**, links of a case to another person (never to the case's
  own person):

  - ``household`` (同住, if ``rules.household``): every other member of the
    case's household; exposure = the whole window, overlap = its length;
  - ``classmate`` / ``colleague`` (同学 / 同事, if ``rules.groups``): every
    other member of the case's group (class or team, :attr:`Registry.group_kind`)
    on the days (``t // 1440``) both checked in at their organisation venue —
    the case within its window; per shared day, with ``A`` and ``B`` the
    envelopes (first in, last out) of their stays there, the exposure is that
    of ``A`` and ``B`` as above and the overlap ``max(0, e - s)``, summed over days;
  - ``venue`` (同餐/同伴/同工/同厕…): a case stay and a stay of another person at
    the same venue with ``ov >= rules.overlap_minutes``; overlap = sum of ``ov``.
* **general (一般接触者)**: a case stay and another person's stay at the same venue
  with ``-rules.general_window_minutes <= ov < rules.overlap_minutes``;
  overlap = sum of ``max(ov, 0)``.  Close persons are not listed as general.
* **secondary (次密接)** (if ``rules.secondary``): for each close contact *k*,
  with ``E_k`` its earliest close exposure and ``H`` the horizon
  (``secondary_until``, default the index's ``t_max``: contacts are assumed not
  quarantined before the end of the data), *k*'s household members (if
  ``rules.household``; exposure ``[E_k, H]``, overlap ``H - E_k``) and everyone
  with a stay meeting a stay of *k* clipped to ``[E_k, H)`` for at least
  ``overlap_minutes`` at the same venue.  Per exposed stay of the contact the
  exposure runs from the earliest to the latest moment a close contact was
  there, and the overlap adds that span.  Close persons and case persons are
  never secondary.  ``via_person`` is the close contact the row's relation
  comes from (household: the member with the least ``E_k``; venue: the one at
  the earliest exposure, then least venue and via id); ``case_ids`` are *that*
  contact's cases — listing every case behind every co-present close
  contact would pair all their stays, which at city scale is quadratic.
* **yellow code (黄码)**: everyone but the case persons whose summed stay in
  ``risk_venues`` within the risk window (``risk_window``, default the union
  of the cases' windows) is ``> 0`` and ``>= rules.yellow_hours`` hours;
  exposure = first/last minute there, overlap = the summed minutes, venue =
  that of the first minute, ``case_ids`` empty (the risk is a place, not a case).

Each output row is one (person, category).  A person linked to several cases
(or by several relations) appears once per category: ``relation`` is the
strongest (household > classmate > colleague > venue), ``case_ids`` all
linked cases in ascending order (secondary: see above), ``first_exposure`` the
least and ``last_exposure`` the greatest over the links, ``overlap_minutes``
their sum (capped at 2**31-1), ``venue_id`` (only when the relation is
``venue``) the venue of the earliest exposure (ties: least venue id).

Priority (1 = act first): 1 — close household contact, or close contact of
two or more cases; 2 — other close contact; 3 — secondary; 4 — yellow code;
5 — general.  Rows come ordered by category (close, secondary, general,
yellow_code), then person id.

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022
   (密切接触者, 密接的密接, 一般接触者).
.. [2] M. de Berg et al., *Computational Geometry*, 3rd ed., Springer, 2008,
   ch. 10 (interval queries) — the prefix-maximum search of the secondary kernel.
"""

from __future__ import annotations

import math
import queue
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from typing import Any, NamedTuple

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from . import kernels as K
from .index import CheckinIndex, balanced_ranges, default_threads
from .inputs import INT32_MAX, CaseInput, Cases, Registry, as_int, check_cases, check_risk
from .rules import TracingRules
from .table import (
    CLASSMATE,
    COLLEAGUE,
    CONTACT_SCHEMA,
    HOUSEHOLD,
    VENUE,
    Rows,
    SecondaryRows,
    contact_table,
)

__all__ = [
    "CONTACT_SCHEMA",
    "VENUE_CONTACT_SCHEMA",
    "CaseInput",
    "Registry",
    "trace",
    "venue_contacts",
]

I32 = NDArray[np.int32]
I64 = NDArray[np.int64]
VENUE_CONTACT_SCHEMA = pa.schema(
    [
        ("case_id", pa.int32()),
        ("person_id", pa.int32()),
        ("category", pa.dictionary(pa.int8(), pa.string())),
        ("first_exposure", pa.int32()),
        ("last_exposure", pa.int32()),
        ("overlap_minutes", pa.int32()),
        ("venue_id", pa.int32()),
    ]
)


class _Links(NamedTuple):
    """Link records (:data:`kernels.REC_FIELDS`) and, for venue links, the category."""

    rec: NDArray[np.int32]  # (6, n)
    cat: NDArray[np.int8]  # 0 close, 1 general


def _aggregate(
    links: _Links,
    want: int,
    skip: NDArray[np.bool_],
    extra: NDArray[np.int32],
    n_persons: int,
    pool: ThreadPoolExecutor,
    threads: int,
) -> Rows:
    """One row per person from the venue links of category ``want`` and ``extra`` records.

    Venue links to persons marked in ``skip`` are left out.  Person ranges
    with similar numbers of links are merged in parallel.
    """
    count = np.zeros(n_persons + 1, dtype=np.int64)
    rows = K.aggregate_count(links.rec, links.cat, want, skip, extra, count)
    srt = np.empty((int(count[-1]), 6), dtype=np.int32)  # person order, one record a row
    out = Rows(
        np.empty(rows, np.int32),
        np.empty(rows, np.int8),
        np.empty(rows, np.int64),
        np.empty(rows, np.int64),
        np.empty(rows, np.int64),
        np.empty(rows, np.int32),
        np.zeros(rows + 1, np.int64),
        np.empty(len(srt), np.int32),
    )
    c_len = np.empty(rows, np.int64)
    ranges = balanced_ranges(count, threads)
    has = np.diff(count) > 0
    first_row = np.r_[0, np.cumsum(has)][[r[0] for r in ranges]] if ranges else []

    def work(task: tuple[tuple[int, int], int]) -> None:
        (p0, p1), r0 = task
        K.aggregate(
            links.rec, links.cat, want, skip, extra, count, p0, p1, r0, srt,
            *out[:6], c_len, out.case_val,
        )  # fmt: skip

    list(pool.map(work, zip(ranges, first_row, strict=True)))
    np.cumsum(c_len, out=out.case_off[1:])
    starts = count[:-1][has]  # where each row's case indices were written
    idx = np.repeat(starts - out.case_off[:-1], c_len) + np.arange(out.case_off[-1])
    return out._replace(case_val=out.case_val[idx])


class _Scratch:
    """Per-thread scratch of a kernel, grown on demand."""

    def __init__(self, size: int, width: int = 1) -> None:
        self.keys = np.empty(size * width, dtype=np.int64)
        self.rows = np.empty(size if width == 1 else 0, dtype=np.int32)


def _run(
    pool: ThreadPoolExecutor,
    tasks: Sequence[Any],
    work: Callable[[Any, Any], Any],
    scratch: Sequence[Any],
    done: Callable[[Any], None] | None = None,
) -> None:
    """Run ``work(task, scratch)`` for every task, each running task with its own scratch."""
    free: queue.Queue[Any] = queue.Queue()
    for s in scratch:
        free.put(s)

    def job(task: Any) -> Any:
        s = free.get()
        try:
            return work(task, s)
        finally:
            free.put(s)

    futures = {pool.submit(job, t): t for t in tasks}
    for f in as_completed(futures):
        f.result()
        if done is not None:
            done(futures[f])


def _venue_links(
    index: CheckinIndex,
    cs: Cases,
    rules: TracingRules,
    general: bool,
    pool: ThreadPoolExecutor,
    threads: int,
    progress: Callable[[int], None] | None,
) -> _Links:
    """First-order venue links of all cases (two passes: count, then fill in place)."""
    n = len(cs.ids)
    size = max(1, min(256, math.ceil(n / (8 * threads))))
    tasks = [(i, min(n, i + size)) for i in range(0, n, size)]
    tables = [_Scratch(1 << 16) for _ in range(min(threads, len(tasks)))]
    counts = np.zeros(n + 1, dtype=np.int64)
    out = _Links(np.empty((6, 0), np.int32), np.empty(0, np.int8))

    def work(task: tuple[int, int], table: _Scratch, fill: bool, off: I64) -> None:
        c = task[0]
        while c < task[1]:
            c, need = K.first_order(
                c, task[1], cs.person, cs.start, cs.end,
                index.p_off, index.p_venue, index.p_tin, index.p_tout, index.p_maxdur,
                index.v_off, index.v_person, index.v_tin, index.v_tout, index.v_maxdur,
                rules.overlap_minutes, rules.general_window_minutes, general,
                table.keys, table.rows, fill, off, *out,
            )  # fmt: skip
            if need:
                table.__init__(need)  # type: ignore[misc]

    done_count = [0]

    def done(task: tuple[int, int]) -> None:
        done_count[0] += task[1] - task[0]
        if progress is not None:
            progress(done_count[0])

    _run(pool, tasks, lambda t, s: work(t, s, False, counts), tables)
    offsets = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts[:n], out=offsets[1:])
    total = int(offsets[-1])
    out = _Links(np.empty((6, total), np.int32), np.empty(total, np.int8))
    _run(pool, tasks, lambda t, s: work(t, s, True, offsets), tables, done)
    return out


def venue_contacts(
    index: CheckinIndex,
    cases: Sequence[CaseInput],
    rules: TracingRules,
    *,
    general: bool = True,
    threads: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> pa.Table:
    """First-order venue contacts: one row per (case, person, category) — close or general.

    The co-presence part of :func:`trace`, per case and without merging across
    cases (:data:`VENUE_CONTACT_SCHEMA`: ``case_id, person_id, category,
    first_exposure, last_exposure, overlap_minutes, venue_id`` with the
    definitions of this module; rows grouped by case in case-id order), for
    the per-case contact table.  With ``general=False`` only close pairs are
    searched.  Validation and ``progress`` as in :func:`trace`.
    """
    rules.validate()
    cs = check_cases(cases, index)
    workers = threads or default_threads()
    with ThreadPoolExecutor(workers) as pool:
        links = _venue_links(index, cs, rules, general, pool, workers, progress)
    rec = links.rec
    category = pa.DictionaryArray.from_arrays(
        pa.array(links.cat), pa.array(["close", "general"], pa.string())
    )
    dense = np.array_equal(cs.ids, np.arange(len(cs.ids)))  # case id = case index
    return pa.table(
        [
            pa.array(rec[1] if dense else cs.ids[rec[1]]),
            pa.array(rec[0]),
            category,
            *(pa.array(rec[j]) for j in (2, 3, 4, 5)),
        ],
        schema=VENUE_CONTACT_SCHEMA,
    )


def _subset_csr(labels: I32, wanted: I32) -> tuple[I32, I64, I32]:
    """Members of each label in ``wanted`` (sorted distinct labels, CSR over them)."""
    keys = np.unique(wanted[wanted >= 0]).astype(np.int32)
    members = np.flatnonzero(np.isin(labels, keys)).astype(np.int32)
    members = members[np.argsort(labels[members], kind="stable")]
    off = np.zeros(len(keys) + 1, dtype=np.int64)
    np.cumsum(np.bincount(np.searchsorted(keys, labels[members]), minlength=len(keys)), out=off[1:])
    return keys, off, members


def _registry_links(
    index: CheckinIndex, registry: Registry, cs: Cases, rules: TracingRules
) -> NDArray[np.int32]:
    """Close household and classmate/colleague link records (venue = ``-1 - relation``)."""
    parts = [np.empty((6, 0), np.int32)]
    if rules.household:
        keys, off, members = _subset_csr(registry.household, registry.household[cs.person])
        case, person, first, last = K.household_links(
            cs.person, cs.start, cs.end, registry.household, keys, off, members
        )
        rel = np.full(len(case), -1 - HOUSEHOLD)
        parts.append(np.stack([person, case, first, last, last - first, rel]))
    if rules.groups:
        keys, off, members = _subset_csr(registry.group, registry.group[cs.person])
        case, person, first, last, ov = K.group_links(
            cs.person, cs.start, cs.end, registry.group, registry.org_venue, keys, off, members,
            index.p_off, index.p_venue, index.p_tin, index.p_tout, index.p_maxdur,
        )  # fmt: skip
        if registry.group_kind is None:
            kind = np.full(len(case), COLLEAGUE)
        else:
            kind = np.where(registry.group_kind[registry.group[person]] == 0, CLASSMATE, COLLEAGUE)
        parts.append(np.stack([person, case, first, last, ov, -1 - kind]))
    rec = np.concatenate([np.minimum(p, INT32_MAX).astype(np.int32) for p in parts], axis=1)
    return np.ascontiguousarray(rec)


def _secondary(
    index: CheckinIndex,
    registry: Registry,
    close: Rows,
    is_case: NDArray[np.bool_],
    rules: TracingRules,
    until: int,
    pool: ThreadPoolExecutor,
    threads: int,
) -> SecondaryRows:
    """Secondary contacts (see the module docstring)."""
    n = index.n_persons
    state = np.full(n, K.TARGET, dtype=np.int64)
    state[is_case] = K.EXCLUDED
    state[close.person] = close.first
    excluded = state != K.TARGET

    # Venue: per-thread accumulators over venue ranges, merged by (first, venue, via).
    tasks = balanced_ranges(index.v_off, 4 * threads)
    longest = int(np.diff(index.v_off).max()) if index.n_venues else 0
    init = np.array([K.NO_TIME, -K.NO_TIME, 0, K.NO_TIME], dtype=np.int64)
    accs = [
        (np.empty(8 * longest, np.int64), np.tile(init, (n, 1)))
        for _ in range(max(1, min(threads, len(tasks))))
    ]

    def work(task: tuple[int, int], acc: tuple[I64, I64]) -> None:
        K.secondary_venues(
            task[0], task[1], index.v_off, index.v_person, index.v_tin, index.v_tout,
            state, until, rules.overlap_minutes, *acc,
        )  # fmt: skip

    _run(pool, tasks, work, accs)
    acc = accs[0][1]
    for _, other in accs[1:]:
        better = (other[:, 0] < acc[:, 0]) | (
            (other[:, 0] == acc[:, 0]) & (other[:, 3] < acc[:, 3])
        )
        acc[better, 0] = other[better, 0]
        acc[better, 3] = other[better, 3]
        np.maximum(acc[:, 1], other[:, 1], out=acc[:, 1])
        acc[:, 2] += other[:, 2]
    del accs
    first, last, span = acc[:, 0], acc[:, 1], acc[:, 2]
    venue = (acc[:, 3] >> 32).astype(np.int32)
    via = (acc[:, 3] & 0xFFFFFFFF).astype(np.int32)

    # Household: the close member with the least E_k (then least id) per household.
    hh_first = np.full(n, K.NO_TIME, dtype=np.int64)
    hh_via = np.full(n, -1, dtype=np.int32)
    if rules.household:
        k, e = close.person, close.first
        hh = registry.household[k]
        ok = (hh >= 0) & (e < until)
        k, hh, e = k[ok], hh[ok], e[ok]
        order = np.lexsort((k, e, hh))
        k, hh, e = k[order], hh[order], e[order]
        lead = np.ones(len(hh), dtype=np.bool_)
        lead[1:] = hh[1:] != hh[:-1]
        keys, key_first, key_via = hh[lead], e[lead], k[lead]
        home = registry.household
        if len(keys):
            pos = np.minimum(np.searchsorted(keys, home), len(keys) - 1)
            hit = (home >= 0) & ~excluded & (keys[pos] == home)
            hh_first[hit] = key_first[pos[hit]]
            hh_via[hit] = key_via[pos[hit]]

    has_hh = hh_first < K.NO_TIME
    persons = np.flatnonzero(has_hh | (first < K.NO_TIME)).astype(np.int32)
    h = has_hh[persons]
    return SecondaryRows(
        person=persons,
        rel=np.where(h, HOUSEHOLD, VENUE).astype(np.int8),
        first=np.minimum(hh_first[persons], first[persons]),
        last=np.where(h, np.maximum(until, last[persons]), last[persons]),
        overlap=np.where(h, until - hh_first[persons], 0) + span[persons],
        venue=np.where(h, -1, venue[persons]).astype(np.int32),
        via=np.where(h, hh_via[persons], via[persons]).astype(np.int32),
    )


def _yellow(
    index: CheckinIndex,
    venues: I32,
    window: tuple[I64, I64],
    is_case: NDArray[np.bool_],
    rules: TracingRules,
) -> tuple[I32, I64, I64, I64, I32]:
    """Yellow-code rows: person, first, last, minutes, venue of the first minute."""
    n = index.n_persons
    cum = np.zeros(n, dtype=np.int64)
    first = np.full(n, K.NO_TIME, dtype=np.int64)
    last = np.full(n, -K.NO_TIME, dtype=np.int64)
    at = np.full(n, -1, dtype=np.int32)
    K.yellow(
        venues, index.v_off, index.v_person, index.v_tin, index.v_tout, index.v_maxdur,
        window[0], window[1], cum, first, last, at,
    )  # fmt: skip
    persons = np.flatnonzero((cum > 0) & (cum >= rules.yellow_minutes) & ~is_case).astype(np.int32)
    return persons, first[persons], last[persons], cum[persons], at[persons]


def trace(
    index: CheckinIndex,
    registry: Registry,
    cases: Sequence[CaseInput],
    rules: TracingRules,
    *,
    risk_venues: Sequence[int] = (),
    risk_window: tuple[int, int] | None = None,
    progress: Callable[[int], None] | None = None,
    secondary_until: int | None = None,
    threads: int | None = None,
    timings: dict[str, float] | None = None,
) -> pa.Table:
    """Close, secondary and general contacts of ``cases`` and the yellow-code list.

    Parameters
    ----------
    index : CheckinIndex
        The lake's check-ins.
    registry : Registry
        Households, groups and organisation venues, one entry per person.
    cases : sequence of CaseInput
        The cases and their infectious windows (see
        :func:`~epicontrol.core.tracing.rules.infectious_window`); a window
        must overlap the index's time range and may reach beyond it.
    rules : TracingRules
        Thresholds and switches.
    risk_venues : sequence of int
        Designated risk venues for the yellow code (none: no yellow code).
    risk_window : (start, end), optional
        The yellow-code risk window; default the union of the cases' windows.
    progress : callable, optional
        Called with the number of cases whose first-order contacts are done so
        far (``len(cases)`` last).
    secondary_until : int, optional
        Horizon ``H`` of secondary exposure (e.g. when the close contacts were
        quarantined); default the index's ``t_max``.
    threads : int, optional
        Worker threads (default: :func:`~.index.default_threads`).
    timings : dict, optional
        Filled with seconds per phase (``first_order``, ``registry``,
        ``aggregate``, ``secondary``, ``yellow``, ``table``).

    Returns
    -------
    pyarrow.Table
        :data:`CONTACT_SCHEMA` rows as defined in this module's docstring.

    Raises
    ------
    ValueError
        For bad rules, a registry of the wrong size, unknown person or venue
        ids, empty windows or windows outside the index range, repeated case
        ids — naming the row and the rule.
    """
    rules.validate()
    registry.validate(index.n_persons, index.n_venues)
    cs = check_cases(cases, index)
    venues, w_start, w_end = check_risk(risk_venues, risk_window, cs, index.n_venues)
    until = index.t_max if secondary_until is None else as_int(secondary_until, "secondary_until")
    n = index.n_persons
    is_case = np.zeros(n, dtype=np.bool_)
    is_case[cs.person] = True
    workers = threads or default_threads()
    clock = [time.perf_counter()]

    def lap(name: str) -> None:
        now = time.perf_counter()
        if timings is not None:
            timings[name] = round(now - clock[0], 4)
        clock[0] = now

    with ThreadPoolExecutor(workers) as pool:
        links = _venue_links(index, cs, rules, True, pool, workers, progress)
        lap("first_order")
        extra = _registry_links(index, registry, cs, rules)
        lap("registry")
        close = _aggregate(links, 0, np.zeros(n, np.bool_), extra, n, pool, workers)
        is_close = np.zeros(n, dtype=np.bool_)
        is_close[close.person] = True
        no_extra = np.empty((6, 0), np.int32)  # close persons are not general:
        general = _aggregate(links, 1, is_close, no_extra, n, pool, workers)
        del links, extra
        e32, e64 = np.empty(0, np.int32), np.empty(0, np.int64)
        lap("aggregate")
        if rules.secondary and len(close.person):
            sec = _secondary(index, registry, close, is_case, rules, until, pool, workers)
        else:
            sec = SecondaryRows(e32, np.empty(0, np.int8), e64, e64, e64, e32, e32)
        lap("secondary")
    yel = _yellow(index, venues, (w_start, w_end), is_case, rules) if len(venues) else None
    lap("yellow")
    table = contact_table(cs, close, general, sec, yel)
    lap("table")
    if progress is not None:
        progress(len(cs.ids))
    return table
