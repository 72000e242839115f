"""KPIs against hand computations, including the p90 definition (Hyndman & Fan type 7)."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.operations.kpi import (
    CANCELLED,
    DONE,
    IN_PROGRESS,
    OPEN,
    group_quantiles,
    task_kpis,
)

H = 3600


def test_hand_computed_table() -> None:
    # group 0: five done tasks due at 6 h, completed at 2, 4, 5, 7, 9 h  (2 late)
    #          one open task due at 6 h (overdue at now = 10 h), one cancelled
    # group 1: one done on time at 1 h (due 1 h), one in progress due at 24 h (not decided)
    groups = [0, 0, 0, 0, 0, 0, 0, 1, 1]
    status = [DONE] * 5 + [OPEN, CANCELLED, DONE, IN_PROGRESS]
    triggered = [0] * 9
    due = [6 * H] * 7 + [1 * H, 24 * H]
    completed = [2 * H, 4 * H, 5 * H, 7 * H, 9 * H, -1, -1, 1 * H, -1]
    k = task_kpis(
        groups=groups, status=status, triggered=triggered, due=due, completed=completed, now=10 * H
    )
    assert k.groups.tolist() == [0, 1]
    assert k.total.tolist() == [7, 2]
    assert k.done.tolist() == [5, 1]
    assert k.done_on_time.tolist() == [3, 1]
    assert k.active.tolist() == [1, 1]
    assert k.active_overdue.tolist() == [1, 0]
    assert k.cancelled.tolist() == [1, 0]
    # on time 3 of decided 5 done + 1 open overdue = 6
    np.testing.assert_allclose(k.on_time_rate, [3 / 6, 1.0])
    # median of 2, 4, 5, 7, 9 = 5; p90: h = (5 - 1) * 0.9 = 3.6 → 7 + 0.6 * (9 - 7) = 8.2
    np.testing.assert_allclose(k.median_hours, [5.0, 1.0])
    np.testing.assert_allclose(k.p90_hours, [8.2, 1.0])


def test_completion_time_counts_from_the_trigger() -> None:
    k = task_kpis(
        groups=[3, 3],
        status=[DONE, DONE],
        triggered=[10 * H, 20 * H],
        due=[14 * H, 24 * H],
        completed=[11 * H, 23 * H],
        now=30 * H,
    )
    # 1 h and 3 h: median 2, p90 = 1 + 0.9 * 2 = 2.8
    np.testing.assert_allclose([k.median_hours[0], k.p90_hours[0]], [2.0, 2.8])


def test_nothing_decided_gives_nan() -> None:
    k = task_kpis(groups=[1], status=[OPEN], triggered=[0], due=[5 * H], completed=[-1], now=H)
    assert np.isnan(k.on_time_rate[0]) and np.isnan(k.median_hours[0])
    assert k.active_overdue[0] == 0
    empty = task_kpis(groups=[], status=[], triggered=[], due=[], completed=[], now=0)
    assert empty.groups.size == 0


def test_group_quantiles_match_numpy_default() -> None:
    rng = np.random.default_rng(11)
    g = rng.integers(0, 9, 5_000)
    v = rng.gamma(2.0, 3.0, 5_000)
    for q in (0.0, 0.5, 0.9, 1.0):
        got = group_quantiles(g, v, 10, q)
        want = [np.quantile(v[g == i], q) if np.any(g == i) else np.nan for i in range(10)]
        np.testing.assert_allclose(got, want, equal_nan=True)
    assert np.isnan(group_quantiles(g, v, 10, 0.5)[9])


def test_input_checks() -> None:
    with pytest.raises(ValueError, match="status: codes must be"):
        task_kpis(groups=[0], status=[7], triggered=[0], due=[0], completed=[0], now=0)
    with pytest.raises(ValueError, match="due: must be a 1-D array of the same length"):
        task_kpis(groups=[0, 1], status=[0, 0], triggered=[0, 0], due=[0], completed=[0, 0], now=0)
    with pytest.raises(ValueError, match="completed before its trigger"):
        task_kpis(groups=[0], status=[DONE], triggered=[5], due=[9], completed=[1], now=10)
    with pytest.raises(ValueError, match="q: must be in"):
        group_quantiles(np.array([0]), np.array([1.0]), 1, 1.5)
