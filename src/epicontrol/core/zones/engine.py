"""The zone rule engine: one day of escalations, downgrades and lifting, over arrays.

:func:`step` is a pure function: the state of every zone at the start of a
day (level, consecutive clear days, prevention area), the day's new cases
inside each zone and the city's daily case counts go in; the new state and
the list of transitions (zone, from, to, rule, reason) come out.  Nothing
else is read, so the digital twin can run it day after day and the service
replays missed days exactly.

The order within a day is fixed, and a zone changes at most once a day:

1. **new case inside** — a zone with a new case goes to ``new_case.to``
   (lockdown), or stays stricter; its clock restarts;
2. **city surge** — when the city's new cases rose by ≥ ``rise`` on ``days``
   days running (plan 001: 50 %, two days), every zone at an ``escalate.from``
   level goes to its ``escalate.to``; no zone is downgraded on a surge day or
   the ``freeze_days - 1`` days after it;
3. **downgrades** — a zone with ``days_without_case`` consecutive days without a
   new case since it entered its level moves down, unless a zone of a
   ``blocked_by`` level is active in its prevention area after steps 1–2 (the
   lifting order lockdown → control → prevention).

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022 —
   封控区 7 天无新增降为管控区, 管控区 7 天无新增降为防范区.
.. [2] City plan 001 in ``seeds/``: re-escalation when new cases grow by
   more than 50 % two days running.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .graph import FieldError, as_ids
from .rules import LIFTED, STATES, ZoneRules

I64 = NDArray[np.int64]
I8 = NDArray[np.int8]


@dataclass(frozen=True)
class ZoneState:
    """Every zone at the start of a day.

    Attributes
    ----------
    level : ndarray of int8
        0 lockdown, 1 control, 2 prevention, 3 lifted.
    clear_days : ndarray of int64
        Consecutive days without a new case inside, through the previous
        day, since the zone entered its level (a zone entering a level on day
        ``d`` has 0 at the end of day ``d``).
    group : ndarray of int64
        Prevention area (street) of each zone: the scope of ``blocked_by``;
        negative = no scope (never blocked).
    """

    level: I8
    clear_days: I64
    group: I64

    @classmethod
    def of(cls, *, level: ArrayLike, clear_days: ArrayLike, group: ArrayLike) -> ZoneState:
        lv = as_ids(level, "level")
        cd = as_ids(clear_days, "clear_days")
        gr = as_ids(group, "group")
        for name, arr in (("clear_days", cd), ("group", gr)):
            if len(arr) != len(lv):
                raise FieldError(name, f"must have one value per zone ({len(lv)}), has {len(arr)}")
        bad = (lv < 0) | (lv > LIFTED)
        if bad.any():
            i = int(np.argmax(bad))
            raise FieldError("level", f"must be 0..3 ({', '.join(STATES)}), got {lv[i]}", index=i)
        if (cd < -1).any():
            i = int(np.argmax(cd < -1))
            raise FieldError("clear_days", f"must be ≥ -1, got {cd[i]}", index=i)
        return cls(lv.astype(np.int8), cd, gr)

    @property
    def n_zones(self) -> int:
        return len(self.level)


@dataclass(frozen=True)
class Transitions:
    """The changes of one day, one row each; ``rule`` indexes ``ZoneRules.rule_ids``."""

    zone: I64
    from_level: I8
    to_level: I8
    rule: I64
    detail: I64
    reasons: list[str]

    def __len__(self) -> int:
        return len(self.zone)


@dataclass(frozen=True)
class StepResult:
    """The state at the end of the day, its transitions and the city signals."""

    state: ZoneState
    transitions: Transitions
    surge: bool
    frozen: bool
    #: Zones that went to ``new_case.to`` because of a new case inside (re-delineate).
    escalated_by_case: I64


def rising_days(city_cases: I64, rise: float, min_cases: int) -> NDArray[np.bool_]:
    """Per day: cases ≥ ``min_cases`` and ≥ ``(1 + rise)`` × the previous day (and more than it).

    The first day has no previous day and is never a rise.
    """
    prev = np.r_[0, city_cases[:-1]]
    rising = (city_cases >= min_cases) & (city_cases > prev) & (city_cases >= (1.0 + rise) * prev)
    rising[:1] = False
    return np.asarray(rising, np.bool_)


def surge_days(city_cases: ArrayLike, rules: ZoneRules) -> NDArray[np.bool_]:
    """Per day of ``city_cases`` (daily new cases): whether it is a surge day."""
    counts = as_ids(city_cases, "city_cases")
    rule = rules.surge
    if not rule.enabled or not len(counts):
        return np.zeros(len(counts), np.bool_)
    rising = rising_days(counts, rule.rise, rule.min_cases).astype(np.int64)
    run = np.convolve(rising, np.ones(rule.days, np.int64))[: len(counts)]
    return np.asarray(run >= rule.days)


def _pct(rise: float) -> str:
    return f"{rise * 100:g} %"


def step(
    state: ZoneState,
    *,
    new_cases: ArrayLike,
    city_cases: ArrayLike,
    rules: ZoneRules,
) -> StepResult:
    """One day of the zone rules.

    Parameters
    ----------
    state : ZoneState
        Every zone at the start of the day (lifted zones are carried unchanged).
    new_cases : array of int, shape (n_zones,)
        The day's new cases inside each zone.
    city_cases : array of int
        The city's new cases per day, ending with this day (the first day of
        the series is never a rise); the surge rule looks at the last ones.
    rules : ZoneRules
        The downgrade and escalation rules.

    Returns
    -------
    StepResult
        New state, the transitions in rule order, whether today is a surge
        day and whether downgrades are frozen.
    """
    cases = as_ids(new_cases, "new_cases")
    counts = as_ids(city_cases, "city_cases")
    if len(cases) != state.n_zones:
        raise FieldError(
            "new_cases", f"must have one value per zone ({state.n_zones}), has {len(cases)}"
        )
    if (cases < 0).any() or (counts < 0).any():
        name = "new_cases" if (cases < 0).any() else "city_cases"
        raise FieldError(name, "counts must be ≥ 0")
    if not len(counts):
        counts = np.zeros(1, np.int64)
    level = state.level.copy()
    clear = np.where(cases > 0, 0, state.clear_days + 1)
    active = level < LIFTED
    changed = np.zeros(state.n_zones, np.bool_)
    parts: list[tuple[I64, I8, I8, int, I64, list[str]]] = []
    ids = rules.rule_ids

    def record(
        mask: NDArray[np.bool_], to: int | I8, rule_id: str, detail: I64, reasons: list[str]
    ) -> None:
        zones = np.flatnonzero(mask).astype(np.int64)
        target = np.broadcast_to(np.asarray(to, np.int8), level.shape)[zones]
        parts.append(
            (
                zones,
                level[zones].copy(),
                target.astype(np.int8),
                ids.index(rule_id),
                detail,
                reasons,
            )
        )
        level[zones] = target
        clear[zones] = 0
        changed[zones] = True

    # 1. a new case inside
    nc = rules.new_case
    hit = active & (cases > 0) & (level > nc.to_level)
    n_hit = cases[hit]
    record(hit, nc.to_level, nc.id, n_hit, [f"{n} new case(s) inside" for n in n_hit.tolist()])
    escalated = np.flatnonzero(hit).astype(np.int64)

    # 2. the city surge
    surge = surge_days(counts, rules)
    sr = rules.surge
    today_surge = bool(surge[-1])
    frozen = bool(sr.freeze_days > 0 and surge[-sr.freeze_days :].any())
    if today_surge:
        recent = counts[-(sr.days + 1) :].tolist()
        text = (
            f"city cases rose ≥ {_pct(sr.rise)} {sr.days} days running "
            f"({' → '.join(str(c) for c in recent)})"
        )
        for start, to in sr.escalate:
            mask = active & ~changed & (level == start)
            record(
                mask,
                to,
                sr.id,
                np.full(int(mask.sum()), counts[-1], np.int64),
                [text] * int(mask.sum()),
            )

    # 3. downgrades, blocked by stricter zones left in the same prevention area
    if not frozen:
        groups, gidx = np.unique(state.group, return_inverse=True)
        gidx = gidx.reshape(-1)
        scoped = state.group >= 0
        present = np.zeros((len(groups), LIFTED), np.bool_)
        live = active & (level < LIFTED) & scoped
        present[gidx[live], level[live]] = True
        start_level = level.copy()
        for d in rules.downgrades:
            mask = (
                active & ~changed & (start_level == d.from_level) & (clear >= d.days_without_case)
            )
            if d.blocked_by:
                blocked = present[gidx][:, list(d.blocked_by)].any(axis=1) & scoped
                mask &= ~blocked
            days = clear[mask]
            text = (
                f"{{}} consecutive days without a new case inside (rule: {d.days_without_case})"
                + (
                    f"; no {' or '.join(STATES[b] for b in d.blocked_by)} zone left in the area"
                    if d.blocked_by
                    else ""
                )
            )
            record(mask, d.to_level, d.id, days, [text.format(n) for n in days.tolist()])

    zone = np.concatenate([p[0] for p in parts]) if parts else np.zeros(0, np.int64)
    transitions = Transitions(
        zone=zone,
        from_level=np.concatenate([p[1] for p in parts]) if parts else np.zeros(0, np.int8),
        to_level=np.concatenate([p[2] for p in parts]) if parts else np.zeros(0, np.int8),
        rule=np.concatenate([np.full(len(p[0]), p[3], np.int64) for p in parts])
        if parts
        else np.zeros(0, np.int64),
        detail=np.concatenate([p[4] for p in parts]) if parts else np.zeros(0, np.int64),
        reasons=[r for p in parts for r in p[5]],
    )
    clear[~active] = state.clear_days[~active]
    return StepResult(
        state=ZoneState(level, clear.astype(np.int64), state.group),
        transitions=transitions,
        surge=today_surge,
        frozen=frozen,
        escalated_by_case=escalated,
    )


def run(
    state: ZoneState,
    *,
    new_cases: ArrayLike,
    city_cases: ArrayLike,
    rules: ZoneRules,
) -> list[StepResult]:
    """:func:`step` day after day: ``new_cases`` is (days, zones), ``city_cases`` the
    city's daily counts with the simulated days last (one per row of ``new_cases``)."""
    per_day = np.asarray(new_cases)
    if per_day.ndim != 2 or per_day.shape[1] != state.n_zones:
        raise FieldError(
            "new_cases", f"must have shape (days, {state.n_zones}), got {per_day.shape}"
        )
    counts = as_ids(city_cases, "city_cases")
    days = per_day.shape[0]
    if len(counts) < days:
        raise FieldError(
            "city_cases", f"must hold at least the {days} simulated days, has {len(counts)}"
        )
    first = len(counts) - days
    out: list[StepResult] = []
    for d in range(days):
        result = step(state, new_cases=per_day[d], city_cases=counts[: first + d + 1], rules=rules)
        out.append(result)
        state = result.state
    return out
