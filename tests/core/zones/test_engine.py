"""The rule engine day by day on hand-made timelines (default rules unless stated)."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.zones import FieldError, ZoneState, default_rules, parse_rules, run, step
from epicontrol.core.zones.engine import surge_days
from epicontrol.core.zones.rules import ZoneRules

L, C, P, LIFTED = 0, 1, 2, 3
RULES = default_rules()


def timeline(
    levels: list[int],
    days: int,
    cases: dict[tuple[int, int], int],
    *,
    groups: list[int] | None = None,
    city: list[int] | None = None,
    rules: ZoneRules = RULES,
) -> tuple[list[list[int]], list[list[tuple[int, int, int, str]]]]:
    """Levels at the end of each day and the transitions (zone, from, to, rule id) of each day."""
    n = len(levels)
    state = ZoneState.of(level=levels, clear_days=[-1] * n, group=groups or [0] * n)
    new = np.zeros((days, n), np.int64)
    for (day, zone), k in cases.items():
        new[day, zone] = k
    counts = np.array(city if city is not None else [0] * days)
    out_levels, out_changes = [], []
    for result in run(state, new_cases=new, city_cases=counts, rules=rules):
        out_levels.append(result.state.level.tolist())
        t = result.transitions
        ids = rules.rule_ids
        out_changes.append(
            [
                (int(z), int(a), int(b), ids[int(r)])
                for z, a, b, r in zip(t.zone, t.from_level, t.to_level, t.rule, strict=True)
            ]
        )
    return out_levels, out_changes


def test_single_lockdown_downgrades_on_day_7_and_day_14_and_is_lifted_next() -> None:
    levels, changes = timeline([L], 17, {(0, 0): 1})
    assert [lv[0] for lv in levels[:7]] == [L] * 7  # case day 0, clear days 1-6
    assert changes[7] == [(0, L, C, "lockdown-to-control")]
    assert [lv[0] for lv in levels[7:14]] == [C] * 7
    assert changes[14] == [(0, C, P, "control-to-prevention")]
    assert changes[15] == [(0, P, LIFTED, "prevention-lifted")]
    assert levels[16] == [LIFTED] and changes[16] == []
    assert sum(map(len, changes)) == 3


def test_lifting_order_within_a_street() -> None:
    # zone 0 lockdown (the case), zone 1 control, zone 2 prevention: one street
    _levels, changes = timeline([L, C, P], 17, {(0, 0): 1})
    assert changes[7] == [(0, L, C, "lockdown-to-control")]  # control 1 waits: lockdown left
    assert changes[8] == [(1, C, P, "control-to-prevention")]  # 8 clear days, no lockdown now
    assert changes[14] == [(0, C, P, "control-to-prevention")]  # prevention 2 still waits
    assert changes[15] == [
        (0, P, LIFTED, "prevention-lifted"),
        (1, P, LIFTED, "prevention-lifted"),
        (2, P, LIFTED, "prevention-lifted"),
    ]
    assert all(not c for d, c in enumerate(changes) if d not in (7, 8, 14, 15))


def test_other_streets_do_not_block() -> None:
    levels, changes = timeline([L, C], 9, {(0, 0): 1}, groups=[0, 1])
    assert changes[7] == [(0, L, C, "lockdown-to-control"), (1, C, P, "control-to-prevention")]
    # zone 1 is alone in its street: nothing blocks it, lifted the day after
    assert changes[8] == [(1, P, LIFTED, "prevention-lifted")]
    assert levels[8] == [C, LIFTED]


def test_new_case_inside_re_escalates_and_restarts_the_clock() -> None:
    _levels, changes = timeline([L, C, P], 26, {(0, 0): 1, (10, 2): 2})
    assert changes[7] == [(0, L, C, "lockdown-to-control")]
    assert changes[8] == [(1, C, P, "control-to-prevention")]
    assert changes[10] == [(2, P, L, "new-case-inside")]
    result = step(
        ZoneState.of(level=[P], clear_days=[4], group=[0]),
        new_cases=[2],
        city_cases=[0, 2],
        rules=RULES,
    )
    assert result.transitions.reasons == ["2 new case(s) inside"]
    assert result.escalated_by_case.tolist() == [0]
    # zone 0 (control since day 7) has 7 clear days on day 14 but waits while zone 2 is
    # lockdown (day 10 to 17), so it moves on day 18
    assert changes[14] == []
    assert changes[17] == [(2, L, C, "lockdown-to-control")]
    assert changes[18] == [(0, C, P, "control-to-prevention")]
    assert changes[24] == [(2, C, P, "control-to-prevention")]
    assert changes[25] == [
        (0, P, LIFTED, "prevention-lifted"),
        (1, P, LIFTED, "prevention-lifted"),
        (2, P, LIFTED, "prevention-lifted"),
    ]


def test_a_case_in_a_lockdown_zone_restarts_it_without_a_transition() -> None:
    _levels, changes = timeline([L], 12, {(0, 0): 1, (3, 0): 1})
    assert changes[3] == [] and changes[7] == []
    assert changes[10] == [(0, L, C, "lockdown-to-control")]  # 7 clear days after day 3


def test_surge_days_need_two_rises_of_50_percent_running() -> None:
    assert surge_days([4, 6, 9], RULES).tolist() == [False, False, True]  # +50 %, +50 %
    assert surge_days([4, 6, 8], RULES).tolist() == [False, False, False]  # +50 %, +33 %
    assert surge_days([0, 2, 3, 5], RULES).tolist() == [False, False, True, True]
    assert surge_days([3, 3, 3], RULES).tolist() == [False, False, False]
    assert surge_days([0, 0, 0], RULES).tolist() == [False, False, False]
    strict = parse_rules("[escalation.surge]\nmin_cases = 5\n")
    assert surge_days([0, 2, 3, 5, 8], strict).tolist() == [False] * 4 + [True]


def test_surge_escalates_prevention_and_freezes_downgrades() -> None:
    # zone 0 lockdown from day 0, zone 1 prevention; rises on days 4, 6, 7: surge on day 7
    city = [1, 0, 0, 0, 4, 4, 6, 9] + [0] * 8
    _levels, changes = timeline([L, P], 16, {(0, 0): 1}, groups=[0, 1], city=city)
    assert changes[0] == [(1, P, LIFTED, "prevention-lifted")]  # nothing stricter in its street
    # the same street: zone 1 waits for zone 0, so it is still prevention on the surge day
    _levels, changes = timeline([L, P], 16, {(0, 0): 1}, city=city)
    assert changes[7] == [(1, P, C, "city-surge")]
    # zone 0 had 7 clear days on day 7, but downgrades are frozen on days 7..13
    assert all(not changes[d] for d in (*range(7), *range(8, 14)))
    assert changes[14] == [(0, L, C, "lockdown-to-control")]
    assert changes[15] == [(1, C, P, "control-to-prevention")]
    reason = step(
        ZoneState.of(level=[P], clear_days=[3], group=[0]),
        new_cases=[0],
        city_cases=[4, 6, 9],
        rules=RULES,
    )
    assert reason.surge and reason.frozen
    assert reason.transitions.reasons == ["city cases rose ≥ 50 % 2 days running (4 → 6 → 9)"]


def test_surge_rule_can_be_turned_off() -> None:
    rules = parse_rules("[escalation.surge]\nenabled = false\n")
    _levels, changes = timeline([L, P], 8, {(0, 0): 1}, city=[1, 0, 0, 0, 4, 6, 9, 0], rules=rules)
    assert changes[6] == [] and changes[7] == [(0, L, C, "lockdown-to-control")]


def test_evaluation_is_a_pure_function() -> None:
    state = ZoneState.of(level=[L, C, P], clear_days=[6, 6, 6], group=[0, 0, 0])
    before = (state.level.copy(), state.clear_days.copy())
    a = step(state, new_cases=[0, 0, 0], city_cases=[1], rules=RULES)
    b = step(state, new_cases=[0, 0, 0], city_cases=[1], rules=RULES)
    assert np.array_equal(state.level, before[0]) and np.array_equal(state.clear_days, before[1])
    assert a.transitions.zone.tolist() == b.transitions.zone.tolist() == [0]
    assert a.state.clear_days.tolist() == [0, 7, 7]


def test_bad_state_and_counts() -> None:
    with pytest.raises(FieldError, match=r"level\[1\]: must be 0..3"):
        ZoneState.of(level=[0, 5], clear_days=[0, 0], group=[0, 0])
    state = ZoneState.of(level=[0], clear_days=[0], group=[0])
    with pytest.raises(FieldError, match="new_cases: must have one value per zone"):
        step(state, new_cases=[0, 1], city_cases=[0], rules=RULES)
    with pytest.raises(FieldError, match="city_cases: counts must be ≥ 0"):
        step(state, new_cases=[0], city_cases=[-1], rules=RULES)
