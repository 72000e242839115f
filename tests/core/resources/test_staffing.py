"""Staffing against the standards, by hand."""

from __future__ import annotations

import numpy as np
import pytest

from epicontrol.core.resources.staffing import (
    ROLES,
    StaffingStandards,
    required_staff,
    staffing_gap,
)


def test_required_by_hand() -> None:
    r = required_staff(
        population=[250_000, 64_000, 0],
        lockdown_population=[20_000, 0, 0],
        communities=[12, 30, 0],
        quarantined=[400, 3, 0],
        county=[False, True, False],
    )
    got = [dict(zip(ROLES, row.tolist(), strict=True)) for row in r]
    # urban: tracers max(2 * 25, 15 * 2) = 50; samplers 10 * 2; lab 5 * 2; 8 * 12 workers;
    # 400 quarantined * 25 / 100 = 100; 250,000 / 30,000 = 8.33 -> 9 ambulances, 40 % -> 3.6 -> 4
    assert got[0] == {
        "tracer": 50,
        "sampler": 20,
        "lab": 10,
        "community_worker": 96,
        "quarantine_staff": 100,
        "ambulance": 9,
        "ambulance_np": 4,
    }
    # county: 2 * 6.4 = 12.8 -> 13 tracers; 3 * 0.25 = 0.75 -> 1; 64,000 / 10,000 = 6.4 -> 7
    # ambulances, 2.8 -> 3 negative-pressure
    assert got[1] == {
        "tracer": 13,
        "sampler": 0,
        "lab": 0,
        "community_worker": 240,
        "quarantine_staff": 1,
        "ambulance": 7,
        "ambulance_np": 3,
    }
    assert got[2] == dict.fromkeys(ROLES, 0)


def test_lockdown_tracers_dominate() -> None:
    r = required_staff(
        population=[40_000],
        lockdown_population=[30_000],
        communities=[1],
        quarantined=[0],
        county=[False],
    )
    assert r[0, ROLES.index("tracer")] == 45  # 15 * 3 > 2 * 4


def test_gap_and_rules() -> None:
    req = np.array([[5, 0, 0, 8, 2, 3, 2]])
    gap = staffing_gap(req, [[2, 1, 0, 8, 0, 3, 1]])
    assert gap.shortfall.tolist() == [[3, 0, 0, 0, 2, 0, 1]]
    with pytest.raises(ValueError, match="ambulance_np must be <= ambulance"):
        staffing_gap(req, [[0, 0, 0, 0, 0, 1, 2]])
    with pytest.raises(ValueError, match="lockdown_population must be <= population"):
        required_staff(
            population=[1],
            lockdown_population=[2],
            communities=[0],
            quarantined=[0],
            county=[False],
        )
    with pytest.raises(ValueError, match="negative_pressure_share must be in"):
        required_staff(
            population=[1],
            lockdown_population=[0],
            communities=[0],
            quarantined=[0],
            county=[False],
            standards=StaffingStandards(negative_pressure_share=2),
        )
