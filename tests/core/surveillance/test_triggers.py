"""Multi-signal trigger: k of m signals within w days, levels, laboratory condition."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from epicontrol.core.surveillance.triggers import (
    DEFAULT_RULES,
    LEVELS,
    LevelRule,
    TriggerRules,
    evaluate_triggers,
    level_code,
    level_name,
)


def alarms(n_signals: int, days: int, on: list[tuple[int, int]]) -> np.ndarray:
    """One area; ``on`` = (signal, day) pairs that alarm."""
    a = np.zeros((1, n_signals, days), dtype=bool)
    for s, d in on:
        a[0, s, d] = True
    return a


def test_default_levels() -> None:
    # signal 0 on day 0, 1 on day 1, 2 on day 2, 0 again on day 6
    a = alarms(3, 8, [(0, 0), (1, 1), (2, 2), (0, 6)])
    r = evaluate_triggers(a)
    # day 0: one signal today → blue; day 1: two within 3 days → yellow; day 2: three → orange;
    # day 3: days 1..3 hold signals 1, 2 → yellow; day 4: only signal 2 and none today → none;
    # day 6: a lone alarm today → blue
    assert [level_name(int(x)) for x in r.level[0]] == [
        "blue",
        "yellow",
        "orange",
        "yellow",
        None,
        None,
        "blue",
        None,
    ]
    assert r.n_signals[0].tolist() == [1, 2, 3, 2, 0, 0, 1, 0]
    assert r.contributing[0, :, 3].tolist() == [False, True, True]
    assert r.lab_positives.sum() == 0


def test_contributing_signals_follow_the_winning_rule() -> None:
    a = alarms(3, 4, [(0, 0), (1, 2)])
    r = evaluate_triggers(a)
    assert r.level[0, 2] == level_code("yellow")
    assert r.contributing[0, :, 2].tolist() == [True, True, False]
    # blue uses a one-day window: only today's signal
    assert r.level[0, 0] == level_code("blue")
    assert r.contributing[0, :, 0].tolist() == [True, False, False]


def test_red_needs_laboratory_positives_within_its_window() -> None:
    a = alarms(3, 10, [(0, 8), (1, 9)])
    lab = np.zeros((1, 10), dtype=np.int64)
    assert evaluate_triggers(a, lab_positives=lab).level[0, 9] == level_code("yellow")
    lab[0, 3] = 2  # 7-day laboratory window of day 9 is days 3..9
    r = evaluate_triggers(a, lab_positives=lab)
    assert r.level[0, 9] == level_code("red") and r.lab_positives[0, 9] == 2
    lab[0, 3], lab[0, 2] = 0, 2  # outside the window
    assert evaluate_triggers(a, lab_positives=lab).level[0, 9] == level_code("yellow")


def test_many_areas_at_once_and_custom_rules() -> None:
    rng = np.random.default_rng(4)
    a = rng.random((50, 4, 30)) < 0.2
    rules = TriggerRules(
        (
            LevelRule("yellow", min_signals=2, window_days=2),
            LevelRule("red", min_signals=4, window_days=7),
        )
    )
    r = evaluate_triggers(a, rules=rules)
    for area in range(50):
        for t in range(30):
            w2 = a[area, :, max(0, t - 1) : t + 1].any(axis=1).sum()
            w7 = a[area, :, max(0, t - 6) : t + 1].any(axis=1).sum()
            want = 4 if w7 >= 4 else 2 if w2 >= 2 else 0
            assert r.level[area, t] == want


@settings(max_examples=60, deadline=None)
@given(arrays(np.bool_, st.tuples(st.integers(1, 4), st.integers(1, 4), st.integers(1, 15))))
def test_levels_match_a_direct_count(a: np.ndarray) -> None:
    r = evaluate_triggers(a)
    n_areas, _, days = a.shape
    for area in range(n_areas):
        for t in range(days):
            got = int(r.level[area, t])
            w3 = a[area, :, max(0, t - 2) : t + 1].any(axis=1).sum()
            want = 3 if w3 >= 3 else 2 if w3 >= 2 else 1 if a[area, :, t].any() else 0
            assert got == want
            assert r.n_signals[area, t] == r.contributing[area, :, t].sum()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"level": "purple", "min_signals": 1, "window_days": 1}, "level must be one of"),
        ({"level": "blue", "min_signals": 0, "window_days": 1}, "min_signals must be >= 1"),
        ({"level": "blue", "min_signals": 1, "window_days": 0}, "window_days must be between"),
        ({"level": "blue", "min_signals": 1, "window_days": 400}, "window_days must be between"),
        (
            {"level": "red", "min_signals": 1, "window_days": 1, "min_lab_positives": -1},
            "min_lab_positives must be >= 0",
        ),
        (
            {"level": "red", "min_signals": 1, "window_days": 1, "lab_window_days": 0},
            "lab_window_days must be between",
        ),
        ({"level": "blue", "min_signals": 1.5, "window_days": 1}, "min_signals must be an integer"),
    ],
)
def test_rule_validation(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        LevelRule(**kwargs)  # type: ignore[arg-type]


def test_ruleset_validation_and_mappings() -> None:
    with pytest.raises(ValueError, match="at least one"):
        TriggerRules(())
    with pytest.raises(ValueError, match="one rule per level"):
        TriggerRules((DEFAULT_RULES[0], DEFAULT_RULES[0]))
    with pytest.raises(ValueError, match="lowest level first"):
        TriggerRules((DEFAULT_RULES[1], DEFAULT_RULES[0]))
    rules = TriggerRules()
    assert TriggerRules.from_mapping(rules.to_mapping()) == rules
    assert rules.span_days == 7  # red's laboratory window
    with pytest.raises(ValueError, match="unknown setting"):
        TriggerRules.from_mapping({"blue": {"min_signals": 1, "window_days": 1, "k": 2}})
    with pytest.raises(ValueError, match="level must be one of"):
        TriggerRules.from_mapping({"pink": {"min_signals": 1, "window_days": 1}})
    assert [level_name(i) for i in range(5)] == [None, *LEVELS]
    with pytest.raises(ValueError):
        level_name(5)


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="3-D"):
        evaluate_triggers(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="lab_positives must have shape"):
        evaluate_triggers(np.zeros((2, 3, 4)), lab_positives=np.zeros((2, 5)))
    with pytest.raises(ValueError, match=">= 0"):
        evaluate_triggers(np.zeros((1, 3, 4)), lab_positives=-np.ones((1, 4)))
