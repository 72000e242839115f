"""The rules file: defaults, edits, and errors that name the rule and the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from epicontrol.core.zones import (
    RulesError,
    ZoneRules,
    default_rules,
    default_rules_text,
    load_rules,
    parse_rules,
)


def test_shipped_defaults_equal_the_dataclass_defaults() -> None:
    rules = default_rules()
    plain = ZoneRules()
    assert (rules.delineation, rules.downgrades, rules.new_case, rules.surge) == (
        plain.delineation,
        plain.downgrades,
        plain.new_case,
        plain.surge,
    )
    assert rules.rule_ids[:3] == (
        "lockdown-to-control",
        "control-to-prevention",
        "prevention-lifted",
    )
    assert len(rules.sha256) == 64 and rules.source == "default_rules.toml"


def test_an_edited_copy(tmp_path: Path) -> None:
    text = default_rules_text().replace("days_without_case = 7", "days_without_case = 14", 1)
    text = text.replace('unit = "building"', 'unit = "compound"')
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    rules = load_rules(path)
    assert (
        rules.downgrades[0].days_without_case == 14 and rules.downgrades[1].days_without_case == 7
    )
    assert rules.delineation.unit == "compound" and rules.source == "mine.toml"
    assert rules.with_unit("community").delineation.unit == "community"


@pytest.mark.parametrize(
    ("edit", "match"),
    [
        (
            ("days_without_case = 7", "days_without_case = -1"),
            r'mine.toml: rule "lockdown-to-control" downgrade\[0\].days_without_case: '
            r"must be an integer from 0",
        ),
        (
            ('to = "control"\ndays', 'to = "lockdown"\ndays'),
            r'rule "lockdown-to-control" downgrade\[0\].to: '
            r"must be one of control, prevention, lifted",
        ),
        (
            ('from = "control"', 'from = "lockdown"'),
            r'rule "control-to-prevention" downgrade\[1\].from: a second downgrade from .lockdown.',
        ),
        (
            ('from = "control"', 'form = "control"'),
            r'rule "control-to-prevention" downgrade\[1\].form: unknown key',
        ),
        (
            ('id = "prevention-lifted"', 'id = "lockdown-to-control"'),
            r'rule "lockdown-to-control" id: rule ids must be unique',
        ),
        (
            ("rise = 0.5", "rise = -0.5"),
            r'rule "city-surge" escalation.surge.rise: must be a number > 0',
        ),
        (
            (
                'escalate = [{ from = "prevention", to = "control" }]',
                'escalate = [{ from = "control", to = "prevention" }]',
            ),
            r'rule "city-surge" escalation.surge.escalate\[0\].to: must be stricter than from',
        ),
        (
            ('blocked_by = ["lockdown"]', 'blocked_by = ["downtown"]'),
            r"downgrade\[1\].blocked_by: must be one of lockdown, control, "
            r"prevention, got 'downtown'",
        ),
        (
            ("stay_minutes = 240", "stay_minutes = 240.5"),
            r"delineation.stay_minutes: must be an integer",
        ),
        (
            ('unit = "building"', 'unit = "district"'),
            r"delineation.unit: must be one of building, compound",
        ),
        (
            ('prevention_level = "street"', 'prevention_level = "street"\nprevention_radius = 2'),
            r"delineation.prevention_level: give exactly one",
        ),
        (("version = 1", "version = 2"), r"version: must be 1"),
        (("version = 1", "version = 1\nvertion = 1"), r"\(top level\).vertion: unknown key"),
        (
            ("redelineate = true", "redelineate = 1"),
            r'rule "new-case-inside" escalation.new_case.redelineate: must be true or false',
        ),
    ],
)
def test_bad_rules_name_the_rule_and_key(tmp_path: Path, edit: tuple[str, str], match: str) -> None:
    text = default_rules_text()
    assert edit[0] in text
    path = tmp_path / "mine.toml"
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(RulesError, match=match):
        load_rules(path)


def test_syntax_errors_give_the_line_and_missing_levels_are_refused(tmp_path: Path) -> None:
    with pytest.raises(RulesError, match=r"mine.toml: \(syntax\): not valid TOML: .*line 2"):
        parse_rules("version = 1\nunit = = 3\n", "mine.toml")
    with pytest.raises(RulesError, match="no rule downgrades 'prevention'"):
        parse_rules(
            '[[downgrade]]\nid="a"\nfrom="lockdown"\nto="control"\ndays_without_case=7\n'
            '[[downgrade]]\nid="b"\nfrom="control"\nto="lifted"\ndays_without_case=7\n'
        )
    with pytest.raises(RulesError, match=r'"delineation" is reserved'):
        parse_rules('[escalation.new_case]\nid = "delineation"\n')
    with pytest.raises(RulesError, match=r"nope.toml: \(file\): cannot be read"):
        load_rules(tmp_path / "nope.toml")
    assert parse_rules("").downgrades == ZoneRules().downgrades  # all sections optional
