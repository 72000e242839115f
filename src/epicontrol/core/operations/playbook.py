"""Deadline playbooks (处置时限): declarative steps with owners, due offsets and escalation.

A playbook is a TOML file the user can edit: a ``[playbook]`` table (name,
titles, default escalation) and ``[[steps]]``, each with a key, titles in
Chinese and English, the owning department, the hours from the trigger (the
case reported, 发现初筛阳性个案后) by which it is due, the steps it depends on
and, optionally, its own escalation rules.  :func:`parse_playbook` checks every
rule and raises :class:`PlaybookError` naming the file, the line, the step
and the rule; the steps come back in dependency order.

Two playbooks ship as package data (``playbooks/*.toml``):

* ``1+4+6+24`` (Shenzhen [1]_): team on site in 1 h; core information in
  4 h; close and secondary contacts transferred and key venues controlled in
  6 h; key population screened in 24 h.
* ``2+4+24`` (plan 002 [2]_): team on site in 2 h; core information in 4 h;
  all transmission chains in 24 h.

References
----------
.. [1] 深圳市疫情防控经验 (``seeds/004``): "1+4+6+24" 流调工作要求 —
   流调队 1 小时到达现场, 4 小时完成核心信息初步流调、划定重点人群范围,
   6 小时完成密接、次密接转运隔离和重点场所管控措施, 24 小时完成重点人群核酸筛查.
.. [2] 市疫情防控能力提升方案 (``seeds/002``), item 8: "2+4+24" —
   2 小时到达现场, 4 小时完成核心信息调查, 24 小时基本查清所有传播链;
   公安牵头、"三公(工)"协同、交通配合.
"""

from __future__ import annotations

import hashlib
import heapq
import json
import math
import re
import tomllib
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

#: Departments that own tasks (DESIGN.md §1): 卫健, 公安, 交通, 教育, 商务, 民政, 社区.
DEPARTMENTS: Final = (
    "health",
    "police",
    "transport",
    "education",
    "commerce",
    "civil_affairs",
    "community",
)
#: Who an overdue task escalates to, in rising order: 部门负责人, 指挥长.
ESCALATION_ROLES: Final = ("department_head", "commander")
#: What starts a playbook's clock: the case reported (detected and notified).
TRIGGERS: Final = ("reported",)
#: Longest due offset or escalation delay accepted, in hours (30 days).
MAX_HOURS: Final = 720.0

_KEY = re.compile(r"^[a-z][a-z0-9_]*$")
_PLAYBOOK_FIELDS: Final = ("name", "title_zh", "title_en", "trigger", "source", "escalation")
_STEP_FIELDS: Final = (
    "key",
    "title_zh",
    "title_en",
    "department",
    "due_hours",
    "depends_on",
    "escalation",
)
_RULE_FIELDS: Final = ("after_hours", "to")


class PlaybookError(ValueError):
    """A playbook breaks a rule; the message names the file, line, step, field and rule."""


@dataclass(frozen=True)
class EscalationRule:
    """Escalate an overdue task to ``to`` once it is ``after_hours`` past due.

    ``after_hours = 0`` escalates as soon as the task is overdue.
    """

    after_hours: float
    to: str


#: Escalation of tasks whose playbook (or creator) gives none: the department
#: head as soon as the task is overdue, the commander 2 h later.
DEFAULT_ESCALATION: Final = (
    EscalationRule(0.0, "department_head"),
    EscalationRule(2.0, "commander"),
)


@dataclass(frozen=True)
class Step:
    """One step of a playbook: a task for ``department`` due ``due_hours`` after the trigger."""

    key: str
    title_zh: str
    title_en: str
    department: str
    due_hours: float
    depends_on: tuple[str, ...]
    escalation: tuple[EscalationRule, ...]


@dataclass(frozen=True)
class Playbook:
    """A validated playbook; ``steps`` are in dependency order (file order among equals)."""

    name: str
    title_zh: str
    title_en: str
    trigger: str
    source: str
    steps: tuple[Step, ...]

    def digest(self) -> str:
        """SHA-256 of the playbook's canonical JSON (same content → same digest)."""
        text = json.dumps(asdict(self), sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()

    def step(self, key: str) -> Step:
        """The step ``key``; ``KeyError`` when there is none."""
        for step in self.steps:
            if step.key == key:
                return step
        raise KeyError(key)


# --------------------------------------------------------------------------- parsing


class _Where:
    """Formats error locations: ``file:line: steps[2] (key 'x').field: rule``."""

    def __init__(self, source: str, text: str) -> None:
        self.source = source
        self.lines = text.splitlines()

    def line_of_key(self, key: str) -> int | None:
        pattern = re.compile(r"""^\s*key\s*=\s*["']""" + re.escape(key) + r"""["']""")
        for number, line in enumerate(self.lines, start=1):
            if pattern.match(line):
                return number
        return None

    def error(self, where: str, rule: str, *, key: str | None = None) -> PlaybookError:
        line = self.line_of_key(key) if key else None
        place = f"{self.source}:{line}" if line else self.source
        return PlaybookError(f"{place}: {where}: {rule}")


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _string(
    table: dict[str, Any], field: str, where: str, w: _Where, key: str | None, limit: int = 200
) -> str:
    if field not in table:
        raise w.error(f"{where}.{field}", "is missing (required)", key=key)
    value = table[field]
    if not isinstance(value, str) or not value.strip():
        raise w.error(f"{where}.{field}", "must be a non-empty string", key=key)
    if len(value.strip()) > limit:
        raise w.error(f"{where}.{field}", f"at most {limit} characters", key=key)
    return value.strip()


def _unknown_fields(
    table: dict[str, Any], allowed: tuple[str, ...], where: str, w: _Where, key: str | None
) -> None:
    unknown = sorted(set(table) - set(allowed))
    if unknown:
        raise w.error(
            where,
            f"unknown field {unknown[0]!r} (allowed: {', '.join(allowed)})",
            key=key,
        )


def _rules(value: object, where: str, w: _Where, key: str | None) -> tuple[EscalationRule, ...]:
    if not isinstance(value, list):
        raise w.error(where, "must be an array of tables [[...escalation]]", key=key)
    rules: list[EscalationRule] = []
    for i, item in enumerate(value):
        here = f"{where}[{i}]"
        if not isinstance(item, dict):
            raise w.error(here, "must be a table with after_hours and to", key=key)
        _unknown_fields(item, _RULE_FIELDS, here, w, key)
        if "after_hours" not in item:
            raise w.error(f"{here}.after_hours", "is missing (required)", key=key)
        hours = _number(item["after_hours"])
        if hours is None or not math.isfinite(hours):
            raise w.error(f"{here}.after_hours", "must be a number of hours", key=key)
        if hours < 0:
            raise w.error(f"{here}.after_hours", f"must not be negative (got {hours:g})", key=key)
        if hours > MAX_HOURS:
            raise w.error(f"{here}.after_hours", f"must be at most {MAX_HOURS:g} h", key=key)
        to = item.get("to")
        if to not in ESCALATION_ROLES:
            raise w.error(
                f"{here}.to",
                f"must be one of {', '.join(ESCALATION_ROLES)}"
                + (" (missing)" if to is None else f", got {to!r}"),
                key=key,
            )
        if rules and hours <= rules[-1].after_hours:
            raise w.error(
                f"{here}.after_hours",
                f"must be later than the previous rule's {rules[-1].after_hours:g} h "
                "(rules rise in time)",
                key=key,
            )
        rules.append(EscalationRule(hours, str(to)))
    return tuple(rules)


def _step(table: object, index: int, w: _Where, default_rules: tuple[EscalationRule, ...]) -> Step:
    where = f"steps[{index}]"
    if not isinstance(table, dict):
        raise w.error(where, "must be a table [[steps]]")
    raw_key = table.get("key")
    if not isinstance(raw_key, str) or not _KEY.match(raw_key) or len(raw_key) > 64:
        raise w.error(
            f"{where}.key",
            "is required: lower-case letters, digits and _ starting with a letter, "
            "at most 64 characters" + ("" if raw_key is None else f" (got {raw_key!r})"),
        )
    key = raw_key
    where = f"{where} (key {key!r})"
    _unknown_fields(table, _STEP_FIELDS, where, w, key)
    title_zh = _string(table, "title_zh", where, w, key)
    title_en = _string(table, "title_en", where, w, key)
    if "department" not in table:
        raise w.error(
            f"{where}.department",
            f"is missing: every step needs an owning department ({', '.join(DEPARTMENTS)})",
            key=key,
        )
    department = table["department"]
    if department not in DEPARTMENTS:
        raise w.error(
            f"{where}.department",
            f"must be one of {', '.join(DEPARTMENTS)}, got {department!r}",
            key=key,
        )
    if "due_hours" not in table:
        raise w.error(f"{where}.due_hours", "is missing (hours from the trigger)", key=key)
    due = _number(table["due_hours"])
    if due is None or not math.isfinite(due):
        raise w.error(f"{where}.due_hours", "must be a number of hours", key=key)
    if due <= 0:
        raise w.error(
            f"{where}.due_hours",
            f"must be a positive number of hours after the trigger (got {due:g})",
            key=key,
        )
    if due > MAX_HOURS:
        raise w.error(f"{where}.due_hours", f"must be at most {MAX_HOURS:g} h", key=key)
    depends = table.get("depends_on", [])
    if not isinstance(depends, list) or not all(isinstance(d, str) for d in depends):
        raise w.error(f"{where}.depends_on", "must be an array of step keys", key=key)
    if len(set(depends)) != len(depends):
        raise w.error(f"{where}.depends_on", "lists a step twice", key=key)
    rules = (
        _rules(table["escalation"], f"{where}.escalation", w, key)
        if "escalation" in table
        else default_rules
    )
    return Step(key, title_zh, title_en, str(department), due, tuple(depends), rules)


def _cycle(steps: dict[str, Step]) -> list[str] | None:
    """A dependency cycle as a path ``[a, b, ..., a]``, or ``None`` (iterative DFS)."""
    state: dict[str, int] = {}  # 1 = on the path, 2 = finished
    for root in steps:
        if state.get(root):
            continue
        path: list[str] = [root]
        stack: list[int] = [0]
        state[root] = 1
        while stack:
            node = path[-1]
            deps = steps[node].depends_on
            if stack[-1] < len(deps):
                nxt = deps[stack[-1]]
                stack[-1] += 1
                if state.get(nxt) == 1:
                    return [*path[path.index(nxt) :], nxt]
                if not state.get(nxt):
                    state[nxt] = 1
                    path.append(nxt)
                    stack.append(0)
            else:
                state[node] = 2
                path.pop()
                stack.pop()
    return None


def _ordered(steps: list[Step]) -> tuple[Step, ...]:
    """Topological order (Kahn); among ready steps the earliest due, then file order, first."""
    index = {step.key: i for i, step in enumerate(steps)}
    waiting = {step.key: len(step.depends_on) for step in steps}
    children: dict[str, list[str]] = {step.key: [] for step in steps}
    for step in steps:
        for dep in step.depends_on:
            children[dep].append(step.key)
    by_key = {step.key: step for step in steps}
    ready = [(s.due_hours, index[s.key], s.key) for s in steps if not s.depends_on]
    heapq.heapify(ready)
    out: list[Step] = []
    while ready:
        _, _, key = heapq.heappop(ready)
        out.append(by_key[key])
        for child in children[key]:
            waiting[child] -= 1
            if waiting[child] == 0:
                heapq.heappush(ready, (by_key[child].due_hours, index[child], child))
    return tuple(out)


def parse_playbook(text: str, *, source: str = "<playbook>") -> Playbook:
    """Parse and validate the TOML playbook ``text`` (``source`` names it in errors).

    Raises
    ------
    PlaybookError
        Bad TOML, a missing or unknown field, an unknown department, a
        non-positive or too large due offset, a duplicate key, a dependency
        on an unknown step, a dependency cycle (the message lists it), a step
        due before one it depends on, or escalation rules that are negative,
        not rising or to an unknown role.
    """
    w = _Where(source, text)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlaybookError(f"{source}: not valid TOML: {exc}") from None
    _unknown_fields(data, ("playbook", "steps"), "top level", w, None)
    head = data.get("playbook")
    if not isinstance(head, dict):
        raise w.error("playbook", "the [playbook] table (name, title_zh, title_en) is missing")
    _unknown_fields(head, _PLAYBOOK_FIELDS, "playbook", w, None)
    name = _string(head, "name", "playbook", w, None, limit=64)
    title_zh = _string(head, "title_zh", "playbook", w, None)
    title_en = _string(head, "title_en", "playbook", w, None)
    trigger = head.get("trigger", "reported")
    if trigger not in TRIGGERS:
        raise w.error("playbook.trigger", f"must be one of {', '.join(TRIGGERS)}, got {trigger!r}")
    source_text = head.get("source", "")
    if not isinstance(source_text, str):
        raise w.error("playbook.source", "must be a string")
    default_rules = (
        _rules(head["escalation"], "playbook.escalation", w, None)
        if "escalation" in head
        else DEFAULT_ESCALATION
    )
    raw_steps = data.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise w.error("steps", "at least one [[steps]] table is required")
    steps: list[Step] = []
    by_key: dict[str, Step] = {}
    for i, table in enumerate(raw_steps):
        step = _step(table, i, w, default_rules)
        if step.key in by_key:
            raise w.error(f"steps[{i}].key", f"{step.key!r} is used by an earlier step")
        steps.append(step)
        by_key[step.key] = step
    for i, step in enumerate(steps):
        where = f"steps[{i}] (key {step.key!r}).depends_on"
        for dep in step.depends_on:
            if dep not in by_key:
                raise w.error(
                    where,
                    f"unknown step {dep!r} (steps: {', '.join(by_key)})",
                    key=step.key,
                )
    cycle = _cycle(by_key)
    if cycle is not None:
        raise w.error(
            f"steps (key {cycle[0]!r}).depends_on",
            "dependency cycle " + " → ".join(cycle) + ": a step cannot wait for itself",
            key=cycle[0],
        )
    for i, step in enumerate(steps):
        for dep in step.depends_on:
            before = by_key[dep]
            if before.due_hours > step.due_hours:
                raise w.error(
                    f"steps[{i}] (key {step.key!r}).due_hours",
                    f"{step.due_hours:g} h is before the {before.due_hours:g} h of {dep!r}, "
                    "which it depends on: a step cannot be due before its prerequisites",
                    key=step.key,
                )
    return Playbook(name, title_zh, title_en, str(trigger), source_text, _ordered(steps))


# --------------------------------------------------------------------------- files

#: Shipped playbooks: name → file in ``epicontrol/core/operations/playbooks``.
DEFAULT_PLAYBOOKS: Final[dict[str, str]] = {
    "1+4+6+24": "shenzhen_1_4_6_24.toml",
    "2+4+24": "plan002_2_4_24.toml",
}


def load_playbook(path: Path) -> Playbook:
    """Read and validate the playbook file ``path`` (errors name the file and line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PlaybookError(f"{path}: no such file") from None
    except UnicodeDecodeError:
        raise PlaybookError(f"{path}: not UTF-8 text") from None
    return parse_playbook(text, source=str(path))


def default_playbook(name: str) -> Playbook:
    """The shipped playbook ``name`` (``1+4+6+24`` or ``2+4+24``)."""
    if name not in DEFAULT_PLAYBOOKS:
        raise PlaybookError(
            f"playbook: {name!r} is not a shipped playbook ({', '.join(DEFAULT_PLAYBOOKS)})"
        )
    ref = resources.files(__package__).joinpath("playbooks", DEFAULT_PLAYBOOKS[name])
    return parse_playbook(ref.read_text(encoding="utf-8"), source=f"{name} ({ref.name})")


def resolve_playbook(spec: str) -> Playbook:
    """A shipped playbook by name, or a playbook file by path."""
    if spec in DEFAULT_PLAYBOOKS:
        return default_playbook(spec)
    return load_playbook(Path(spec))
