"""Playbook parsing and validation: the shipped defaults and every error rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from epicontrol.core.operations.playbook import (
    DEFAULT_ESCALATION,
    DEFAULT_PLAYBOOKS,
    DEPARTMENTS,
    EscalationRule,
    PlaybookError,
    default_playbook,
    load_playbook,
    parse_playbook,
    resolve_playbook,
)

HEAD = """
[playbook]
name = "test"
title_zh = "测试"
title_en = "Test"
"""


def step(key: str, hours: float | str = 1, department: str | None = "health", **extra: str) -> str:
    lines = [
        "[[steps]]",
        f'key = "{key}"',
        f'title_zh = "{key} 中文"',
        f'title_en = "{key} English"',
    ]
    if department is not None:
        lines.append(f'department = "{department}"')
    lines.append(f"due_hours = {hours}")
    lines += [f"{k} = {v}" for k, v in extra.items()]
    return "\n".join(lines) + "\n"


def book(*steps: str, head: str = HEAD) -> str:
    return head + "\n" + "\n".join(steps)


def test_shenzhen_1_4_6_24_deadlines_and_departments() -> None:
    pb = default_playbook("1+4+6+24")
    hours = {s.key: s.due_hours for s in pb.steps}
    # team on site 1 h (health and police), core information 4 h, transfer and venues 6 h,
    # key population 24 h
    assert hours["onsite_health"] == hours["onsite_police"] == 1
    assert hours["core_information"] == 4
    assert hours["transfer_contacts"] == hours["quarantine_admission"] == 6
    assert {s.department for s in pb.steps if s.key.startswith("venue_control")} == {
        "commerce",
        "police",
        "community",
    }
    assert {s.department for s in pb.steps if s.key.startswith("key_population")} == {
        "community",
        "health",
    }
    assert pb.step("transfer_contacts").department == "transport"
    assert {s.due_hours for s in pb.steps} == {1, 4, 6, 24}
    # dependency order: every prerequisite comes before the step
    seen: set[str] = set()
    for s in pb.steps:
        assert set(s.depends_on) <= seen
        seen.add(s.key)
    assert pb.step("key_population_health").escalation[-1] == EscalationRule(4.0, "commander")
    assert pb.step("onsite_health").escalation == (
        EscalationRule(0.0, "department_head"),
        EscalationRule(1.0, "commander"),
    )


def test_plan_002_2_4_24() -> None:
    pb = default_playbook("2+4+24")
    assert {s.key: s.due_hours for s in pb.steps if s.key.startswith("onsite")} == {
        "onsite_police": 2,
        "onsite_health": 2,
    }
    assert pb.step("core_information").due_hours == 4
    assert pb.step("all_chains").due_hours == 24
    assert set(pb.step("all_chains").depends_on) == {
        "core_information",
        "core_trajectory",
        "vehicle_contacts",
    }
    assert sorted(DEFAULT_PLAYBOOKS) == ["1+4+6+24", "2+4+24"]


def test_digest_is_content_and_steps_order_by_due_then_file() -> None:
    text = book(step("b", 6, depends_on='["a"]'), step("c", 1), step("a", 4))
    pb = parse_playbook(text)
    assert [s.key for s in pb.steps] == ["c", "a", "b"]
    assert pb.digest() == parse_playbook(text).digest()
    assert pb.digest() != parse_playbook(text.replace("due_hours = 6", "due_hours = 7")).digest()
    # no escalation given: the default
    assert pb.step("a").escalation == DEFAULT_ESCALATION


def test_file_round_trip_and_resolve(tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(book(step("a", 2)), encoding="utf-8")
    assert load_playbook(path).name == "test"
    assert resolve_playbook(str(path)).steps[0].key == "a"
    assert resolve_playbook("2+4+24").name == "2+4+24"
    with pytest.raises(PlaybookError, match="no such file"):
        load_playbook(tmp_path / "missing.toml")


def test_cycle_is_named() -> None:
    text = book(
        step("a", 4, depends_on='["c"]'),
        step("b", 4, depends_on='["a"]'),
        step("c", 4, depends_on='["b"]'),
    )
    with pytest.raises(PlaybookError, match=r"dependency cycle a → c → b → a"):
        parse_playbook(text, source="cyc.toml")


def test_self_dependency_is_a_cycle() -> None:
    with pytest.raises(PlaybookError, match=r"cyc.toml:\d+: .*key 'a'.*dependency cycle a → a"):
        parse_playbook(book(step("a", 4, depends_on='["a"]')), source="cyc.toml")


def test_missing_department_names_step_and_line() -> None:
    text = book(step("a", 1), step("b", 2, department=None))
    # the step's key line is line 16 of the file
    line = text.splitlines().index('key = "b"') + 1
    with pytest.raises(
        PlaybookError,
        match=rf"^x.toml:{line}: steps\[1\] \(key 'b'\)\.department: is missing: every step",
    ):
        parse_playbook(text, source="x.toml")


def test_unknown_department() -> None:
    with pytest.raises(PlaybookError, match=r"department: must be one of health, .*got 'fire'"):
        parse_playbook(book(step("a", 1, department="fire")))


def test_negative_and_zero_hours() -> None:
    with pytest.raises(PlaybookError, match=r"due_hours: must be a positive number .*got -2"):
        parse_playbook(book(step("a", -2)))
    with pytest.raises(PlaybookError, match=r"due_hours: must be a positive number .*got 0"):
        parse_playbook(book(step("a", 0)))
    with pytest.raises(PlaybookError, match=r"due_hours: must be a number of hours"):
        parse_playbook(book(step("a", '"six"')))
    with pytest.raises(PlaybookError, match=r"due_hours: must be at most 720 h"):
        parse_playbook(book(step("a", 1000)))


def test_unknown_dependency() -> None:
    with pytest.raises(PlaybookError, match=r"key 'a'\)\.depends_on: unknown step 'zz'"):
        parse_playbook(book(step("a", 1, depends_on='["zz"]')))


def test_step_due_before_its_prerequisite() -> None:
    text = book(step("a", 6), step("b", 4, depends_on='["a"]'))
    with pytest.raises(PlaybookError, match=r"key 'b'\)\.due_hours: 4 h is before the 6 h of 'a'"):
        parse_playbook(text)


def test_escalation_rules() -> None:
    bad_neg = 'escalation = [{ after_hours = -1, to = "commander" }]'
    with pytest.raises(PlaybookError, match=r"escalation\[0\]\.after_hours: must not be negative"):
        parse_playbook(book(step("a", 1) + bad_neg))
    bad_role = 'escalation = [{ after_hours = 1, to = "mayor" }]'
    with pytest.raises(PlaybookError, match=r"escalation\[0\]\.to: must be one of .*'mayor'"):
        parse_playbook(book(step("a", 1) + bad_role))
    not_rising = (
        'escalation = [{ after_hours = 2, to = "department_head" },'
        ' { after_hours = 2, to = "commander" }]'
    )
    with pytest.raises(PlaybookError, match=r"escalation\[1\]\.after_hours: must be later"):
        parse_playbook(book(step("a", 1) + not_rising))
    head = HEAD + 'escalation = [{ after_hours = 3, to = "commander" }]\n'
    pb = parse_playbook(book(step("a", 1), head=head))
    assert pb.step("a").escalation == (EscalationRule(3.0, "commander"),)


def test_structure_errors() -> None:
    with pytest.raises(PlaybookError, match="not valid TOML"):
        parse_playbook("[playbook\nname=")
    with pytest.raises(PlaybookError, match=r"playbook: the \[playbook\] table"):
        parse_playbook(step("a", 1))
    with pytest.raises(PlaybookError, match=r"steps: at least one"):
        parse_playbook(HEAD)
    with pytest.raises(PlaybookError, match=r"playbook\.title_en: is missing"):
        parse_playbook(book(step("a", 1), head='[playbook]\nname = "x"\ntitle_zh = "x"\n'))
    with pytest.raises(PlaybookError, match=r"steps\[1\]\.key: 'a' is used by an earlier step"):
        parse_playbook(book(step("a", 1), step("a", 2)))
    with pytest.raises(PlaybookError, match=r"key 'a'\): unknown field 'deparment'"):
        parse_playbook(book(step("a", 1, deparment='"health"')))
    with pytest.raises(PlaybookError, match=r"steps\[0\]\.key: is required: lower-case"):
        parse_playbook(book(step("Bad Key", 1)))
    assert len(DEPARTMENTS) == 7
