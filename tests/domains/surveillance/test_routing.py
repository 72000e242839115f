"""Routing and the surveillance config file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from epicontrol.domains.surveillance.routing import (
    AreaRef,
    Routing,
    SurveillanceConfig,
    load_config,
)

COMMUNITY = AreaRef(7, "COM-7", "鼓楼1社区", "Gulou 1")
DISTRICT = AreaRef(1, "D1", "鼓楼区", "Gulou")


def codes(recipients: list[dict[str, object]]) -> list[tuple[object, object]]:
    return [(r["kind"], r["code"]) for r in recipients]


def test_default_routing_by_signal_and_level() -> None:
    routing = Routing()
    blue = routing.recipients(
        signals=["school_absence"], level="blue", community=COMMUNITY, district=DISTRICT
    )
    assert codes(blue) == [("department", "education"), ("community", "COM-7")]
    assert (
        blue[-1]["name"] == "鼓楼1社区社区网格" and blue[-1]["name_en"] == "Gulou 1 community grid"
    )
    yellow = routing.recipients(
        signals=["fever_clinic", "pharmacy_fever_drug"],
        level="yellow",
        community=COMMUNITY,
        district=DISTRICT,
    )
    assert codes(yellow) == [
        ("department", "health"),
        ("department", "cdc"),
        ("department", "market_regulation"),
        ("community", "COM-7"),
    ]
    red = routing.recipients(
        signals=["fever_clinic", "lab_positive"],
        level="red",
        community=COMMUNITY,
        district=DISTRICT,
    )
    assert ("department", "command_centre") in codes(red)
    assert ("district", "D1") in codes(red)
    assert len(codes(red)) == len(set(codes(red)))  # each recipient once


def test_a_config_file_changes_rules_routing_and_detectors(tmp_path: Path) -> None:
    path = tmp_path / "surveillance.toml"
    path.write_text(
        """
alert_window_days = 3
early_warning_hours = 0.5

[[detectors]]
name = "ears-c3"
params = { min_sigma = 2.0 }

[levels.blue]
min_signals = 1
window_days = 2

[levels.yellow]
min_signals = 2
window_days = 5

[departments.disease_control_office]
name = "区疾控办"
name_en = "District disease control office"

[signals]
pharmacy_fever_drug = ["commerce", "disease_control_office"]

[community]
notify = false
district_from = "yellow"
""",
        encoding="utf-8",
    )
    config = load_config(workspace=tmp_path)  # found in the workspace
    assert config.alert_window_days == 3 and config.early_warning_hours == 0.5
    assert config.detector_list() == [{"name": "ears-c3", "params": {"min_sigma": 2.0}}]
    assert [r.level for r in config.rules.rules] == ["blue", "yellow"]
    assert config.rules.rules[1].window_days == 5
    got = config.routing.recipients(
        signals=["pharmacy_fever_drug"], level="yellow", community=COMMUNITY, district=DISTRICT
    )
    assert codes(got) == [
        ("department", "commerce"),
        ("department", "disease_control_office"),
        ("department", "cdc"),
        ("district", "D1"),
    ]
    as_json = tmp_path / "other.json"
    as_json.write_text(json.dumps({"alert_window_days": 10}), encoding="utf-8")
    assert load_config(as_json, workspace=tmp_path).alert_window_days == 10
    assert load_config(workspace=tmp_path / "nothing-here") == SurveillanceConfig()


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour = 1", "unknown setting(s) colour"),
        (
            "[signals]\nfever_clinic = ['police']",
            "signals.fever_clinic: unknown department 'police'",
        ),
        ("[signals]\ncough = ['health']", "signals: unknown signal 'cough'"),
        ("[escalation]\npurple = ['health']", "escalation: level must be one of"),
        ("[levels.yellow]\nmin_signals = 0\nwindow_days = 3", "yellow: min_signals must be >= 1"),
        ("[levels.yellow]\nmin_signals = 2", "yellow: window_days is required"),
        ("[levels.yellow]\nmin_signals = 2\nwindow_days = 3\nk = 1", "unknown setting(s) k"),
        ("[[detectors]]\nname = 'magic'", "detectors: unknown detector 'magic'"),
        ("[[detectors]]\nname = 'farrington'", "farrington is a weekly detector"),
        (
            "[[detectors]]\nname = 'ears-c2'\nparams = { lag = 3 }",
            "ears-c2: unknown parameter(s) lag",
        ),
        ("alert_window_days = 0", "alert_window_days must be between 1 and 366"),
        ("[community]\ndistrict_from = 'pink'", "community.district_from must be one of"),
        ("[community]\nnotify = 'yes'", "community.notify must be true or false"),
        ("[departments.x]\nname = 'X'", "departments.x: needs name and name_en"),
        ("not toml at all [", "not valid TOML"),
    ],
)
def test_bad_config_files_name_the_file_and_the_setting(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "s.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError) as info:
        load_config(path)
    assert str(info.value).startswith(str(path)) and message in str(info.value)


def test_a_missing_config_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no such configuration file"):
        load_config(tmp_path / "absent.toml")
