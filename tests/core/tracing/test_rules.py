"""Contact rules and the infectious window."""

from __future__ import annotations

import pytest

from epicontrol.core.tracing import TracingRules, infectious_window

DAY = 1440


def test_defaults_are_the_plans() -> None:
    r = TracingRules()
    assert (r.overlap_minutes, r.general_window_minutes, r.pre_onset_days) == (15, 60, 2)
    assert (r.yellow_hours, r.household, r.groups, r.secondary) == (4.0, True, True, True)
    r.validate()
    assert r.yellow_minutes == 240.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"overlap_minutes": 0}, "overlap_minutes must be between 1 and 1440, got 0"),
        ({"overlap_minutes": 1441}, "overlap_minutes must be between 1 and 1440"),
        ({"overlap_minutes": 15.0}, "overlap_minutes must be an integer"),
        ({"general_window_minutes": -1}, "general_window_minutes must be between 0 and 1440"),
        ({"pre_onset_days": 31}, "pre_onset_days must be between 0 and 30"),
        ({"pre_onset_days": True}, "pre_onset_days must be an integer"),
        ({"yellow_hours": 0}, "yellow_hours must be > 0"),
        ({"yellow_hours": float("nan")}, "yellow_hours must be > 0"),
        ({"yellow_hours": "4"}, "yellow_hours must be a number"),
        ({"household": 1}, "household must be True or False"),
        ({"secondary": None}, "secondary must be True or False"),
    ],
)
def test_bad_rules_name_the_field(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        TracingRules(**kwargs).validate()  # type: ignore[arg-type]


def test_window_from_onset() -> None:
    rules = TracingRules()
    assert infectious_window(onset=10 * DAY, sample=None, isolated=12 * DAY, rules=rules) == (
        8 * DAY,
        12 * DAY,
    )
    # onset wins over the sample date
    assert infectious_window(onset=10 * DAY, sample=9 * DAY, isolated=11 * DAY, rules=rules)[0] == (
        8 * DAY
    )
    assert infectious_window(
        onset=100, sample=None, isolated=101, rules=TracingRules(pre_onset_days=0)
    ) == (100, 101)


def test_window_asymptomatic_uses_sample() -> None:
    got = infectious_window(onset=None, sample=5 * DAY + 30, isolated=6 * DAY, rules=TracingRules())
    assert got == (3 * DAY + 30, 6 * DAY)


def test_window_errors() -> None:
    rules = TracingRules()
    with pytest.raises(ValueError, match="onset or sample is required"):
        infectious_window(onset=None, sample=None, isolated=100, rules=rules)
    with pytest.raises(ValueError, match=r"isolated \(100\) must be after the window start"):
        infectious_window(onset=100 + 2 * DAY, sample=None, isolated=100, rules=rules)
    with pytest.raises(ValueError, match=r"sample - 2 days"):
        infectious_window(onset=None, sample=3 * DAY, isolated=DAY - 5, rules=rules)
    with pytest.raises(ValueError, match="onset must be an integer"):
        infectious_window(onset=1.5, sample=None, isolated=100, rules=rules)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="pre_onset_days must be between"):
        infectious_window(onset=0, sample=None, isolated=10, rules=TracingRules(pre_onset_days=-1))
