"""SLA clocks: remaining time, overdue at the boundary, escalation levels and their times."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.operations.sla import (
    escalation_due_at,
    escalation_levels,
    overdue_mask,
    remaining_hours,
    rule_matrix,
)

H = 3600


def test_remaining_and_overdue_boundary() -> None:
    due = np.array([10 * H, 10 * H, 10 * H, 2 * H], dtype=np.int64)
    now = 10 * H
    np.testing.assert_allclose(remaining_hours(due, now), [0, 0, 0, -8])
    # at the due second itself a task is still on time; one second later it is overdue
    active = np.array([True, False, True, True])
    assert overdue_mask(due, now, active).tolist() == [False, False, False, True]
    assert overdue_mask(due, now + 1, active).tolist() == [True, False, True, True]
    assert overdue_mask(due, now + 1).tolist() == [True, True, True, True]


def test_escalation_levels_step_by_step() -> None:
    # due at 1 h; department head as soon as overdue, commander 1 h later
    due = np.array([1 * H], dtype=np.int64)
    rules = rule_matrix([[0.0, 1.0]])
    levels = [int(escalation_levels(due, s, rules)[0]) for s in (0, H, H + 1, 2 * H - 1, 2 * H)]
    assert levels == [0, 0, 1, 1, 2]
    # inactive (done) tasks never escalate
    assert escalation_levels(due, 5 * H, rules, np.array([False]))[0] == 0


def test_escalation_padding_and_mixed_rules() -> None:
    due = np.array([0, 0, 0], dtype=np.int64)
    rules = rule_matrix([[0.0, 2.0, 4.0], [1.5], []])
    assert rules.shape == (3, 3)
    assert np.isinf(rules[1, 1:]).all()
    now = 3 * H
    assert escalation_levels(due, now, rules).tolist() == [2, 1, 0]
    at = escalation_due_at(due, rules)
    assert at.tolist() == [[1, 2 * H, 4 * H], [int(1.5 * H), -1, -1], [-1, -1, -1]]
    # each level is reached exactly at its time and not one second before
    for i in range(2):
        for k in range(3):
            if at[i, k] < 0:
                continue
            before = escalation_levels(due[i : i + 1], int(at[i, k]) - 1, rules[i : i + 1])[0]
            after = escalation_levels(due[i : i + 1], int(at[i, k]), rules[i : i + 1])[0]
            assert (before, after) == (k, k + 1)


def test_vectorised_matches_a_loop() -> None:
    rng = np.random.default_rng(3)
    n = 2_000
    due = rng.integers(0, 48 * H, n).astype(np.int64)
    offsets = [sorted(set(np.round(rng.uniform(0, 8, rng.integers(0, 4)), 2))) for _ in range(n)]
    rules = rule_matrix(offsets)
    active = rng.random(n) < 0.8
    now = 30 * H
    got = escalation_levels(due, now, rules, active)
    for i in range(n):
        over = now - due[i]
        want = 0
        if active[i] and over > 0:
            want = sum(1 for a in offsets[i] if over >= np.ceil(a * H))
        assert got[i] == want


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="rules\\[0\\]: after_hours must rise"):
        rule_matrix([[2.0, 1.0]])
    with pytest.raises(ValueError, match="rules\\[1\\]: after_hours must be finite and >= 0"):
        rule_matrix([[0.0], [-1.0]])
    with pytest.raises(ValueError, match="due: must hold integer seconds"):
        remaining_hours(np.array([1.5]), 0)
    with pytest.raises(ValueError, match="one row per task"):
        escalation_levels(np.array([0, 1]), 0, rule_matrix([[0.0]]))
    with pytest.raises(ValueError, match="active: must be a boolean array"):
        overdue_mask(np.array([0, 1]), 0, np.array([1, 0]))
