"""The declarative zone rules: delineation parameters, downgrades and escalations, from TOML.

The defaults (``default_rules.toml``, shipped with the package) are those of
DESIGN.md §3: a zone is downgraded after 7 consecutive days without a new case
inside (plans 001, 004), lockdown → control → prevention → lifted in that
order, back to lockdown when a new case appears inside, and city-wide
re-escalation when new cases rise by ≥ 50 % two days running (plan 001).
:func:`parse_rules` checks every key and value and names the offending rule
and key (and the line for TOML syntax errors) when one breaks a rule.

References
----------
.. [1] 国务院联防联控机制综合组, 新型冠状病毒肺炎防控方案 (第九版), 2022 —
   封控区, 管控区, 防范区 and their lifting after 7 days without a new case.
.. [2] City plans 001 and 004 in ``seeds/`` (downgrade and re-escalation).
"""

from __future__ import annotations

import hashlib
import math
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Final, NoReturn

from ..city.schemas import AREA_LEVELS, LEVEL

#: Zone levels, strictest first; their index is the level number the engines use.
ZONE_LEVELS: Final = ("lockdown", "control", "prevention")
#: ``lifted`` ends a zone (state number 3).
STATES: Final = (*ZONE_LEVELS, "lifted")
LOCKDOWN, CONTROL, PREVENTION, LIFTED = 0, 1, 2, 3
#: Units a zone can be drawn on.
UNITS: Final = ("building", "compound", "community")
#: Rule id of the changes made by a delineation.
DELINEATION_RULE: Final = "delineation"
DEFAULT_RULES_FILE: Final = "default_rules.toml"


class RulesError(ValueError):
    """A rules file breaks a rule: ``key`` is the dotted key, ``rule_id`` the rule it is in."""

    def __init__(self, source: str, key: str, message: str, rule_id: str | None = None) -> None:
        self.source = source
        self.key = key
        self.rule_id = rule_id
        where = f' rule "{rule_id}"' if rule_id else ""
        super().__init__(f"{source}:{where} {key}: {message}")


@dataclass(frozen=True)
class DelineationParams:
    """How zones are drawn around a case.

    Attributes
    ----------
    unit : str
        Smallest unit: ``building``, ``compound`` or ``community``.
    stay_minutes : int
        Cumulative dwell in a unit during the infectious window from which the
        case "stayed" there (lockdown); shorter visits make control units.
    prevention_level : str or None
        Area level whose other units form the prevention zone (default
        ``street``); exclusive with ``prevention_radius``.
    prevention_radius : int or None
        The same as a number of hierarchy levels above the unit.
    prevention_around_control : bool
        Whether the prevention areas of control units are drawn too.
    """

    unit: str = "building"
    stay_minutes: int = 240
    prevention_level: str | None = "street"
    prevention_radius: int | None = None
    prevention_around_control: bool = True

    @property
    def unit_level(self) -> int:
        return LEVEL[self.unit]

    @property
    def group_level(self) -> int:
        """Level number of the prevention area (the street by default)."""
        if self.prevention_radius is not None:
            return self.unit_level - self.prevention_radius
        return LEVEL[self.prevention_level or "street"]

    def validate(self, source: str = "delineation") -> None:
        """Raise :class:`RulesError` naming the key and the rule it breaks."""
        key = "delineation."
        if self.unit not in UNITS:
            raise RulesError(
                source, key + "unit", f"must be one of {', '.join(UNITS)}, got {self.unit!r}"
            )
        if not _is_int(self.stay_minutes) or not 1 <= self.stay_minutes <= 14 * 1440:
            raise RulesError(
                source,
                key + "stay_minutes",
                f"must be an integer from 1 to {14 * 1440}, got {self.stay_minutes!r}",
            )
        if (self.prevention_level is None) == (self.prevention_radius is None):
            raise RulesError(
                source,
                key + "prevention_level",
                "give exactly one of prevention_level and prevention_radius",
            )
        if self.prevention_radius is not None:
            r = self.prevention_radius
            top = self.unit_level - LEVEL["district"]
            if not _is_int(r) or not 1 <= r <= top:
                raise RulesError(
                    source,
                    key + "prevention_radius",
                    f"must be an integer from 1 to {top} (levels above a {self.unit}, at most "
                    f"the district), got {r!r}",
                )
        else:
            name = self.prevention_level
            allowed = [lv for lv in AREA_LEVELS[LEVEL["district"] : self.unit_level]]
            if name not in allowed:
                raise RulesError(
                    source,
                    key + "prevention_level",
                    f"must be a level above the unit {self.unit!r}: "
                    f"{', '.join(allowed)}; got {name!r}",
                )
        if not isinstance(self.prevention_around_control, bool):
            raise RulesError(
                source,
                key + "prevention_around_control",
                f"must be true or false, got {self.prevention_around_control!r}",
            )


@dataclass(frozen=True)
class Downgrade:
    """``from_level`` → ``to_level`` after ``days_without_case`` clear days, unless blocked."""

    id: str
    from_level: int
    to_level: int
    days_without_case: int
    blocked_by: tuple[int, ...] = ()


@dataclass(frozen=True)
class NewCaseRule:
    """A new case inside a zone sends it to ``to_level`` (and re-delineates)."""

    id: str = "new-case-inside"
    to_level: int = LOCKDOWN
    redelineate: bool = True


@dataclass(frozen=True)
class SurgeRule:
    """City cases up ≥ ``rise`` on ``days`` days running: escalate and freeze downgrades."""

    id: str = "city-surge"
    enabled: bool = True
    rise: float = 0.5
    days: int = 2
    min_cases: int = 1
    freeze_days: int = 7
    escalate: tuple[tuple[int, int], ...] = ((PREVENTION, CONTROL),)


@dataclass(frozen=True)
class ZoneRules:
    """Every rule of the zone engine, with where it came from."""

    delineation: DelineationParams = field(default_factory=DelineationParams)
    downgrades: tuple[Downgrade, ...] = (
        Downgrade("lockdown-to-control", LOCKDOWN, CONTROL, 7),
        Downgrade("control-to-prevention", CONTROL, PREVENTION, 7, (LOCKDOWN,)),
        Downgrade("prevention-lifted", PREVENTION, LIFTED, 0, (LOCKDOWN, CONTROL)),
    )
    new_case: NewCaseRule = field(default_factory=NewCaseRule)
    surge: SurgeRule = field(default_factory=SurgeRule)
    source: str = "<defaults>"
    sha256: str = ""

    @property
    def rule_ids(self) -> tuple[str, ...]:
        """Ids in the order the engine numbers them: downgrades, new case, surge, delineation."""
        return (*(d.id for d in self.downgrades), self.new_case.id, self.surge.id, DELINEATION_RULE)

    def rule_index(self, rule_id: str) -> int:
        return self.rule_ids.index(rule_id)

    def downgrade_from(self, level: int) -> Downgrade | None:
        return next((d for d in self.downgrades if d.from_level == level), None)

    def with_unit(self, unit: str | None) -> ZoneRules:
        """These rules drawing zones on ``unit`` (``None``: unchanged)."""
        if unit is None or unit == self.delineation.unit:
            return self
        d = self.delineation
        params = DelineationParams(
            unit=unit,
            stay_minutes=d.stay_minutes,
            prevention_level=d.prevention_level,
            prevention_radius=d.prevention_radius,
            prevention_around_control=d.prevention_around_control,
        )
        params.validate(self.source)
        return ZoneRules(
            params, self.downgrades, self.new_case, self.surge, self.source, self.sha256
        )


# --------------------------------------------------------------------------- parsing


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class _Reader:
    """Typed access to one TOML table; every error names the source, rule and key."""

    def __init__(self, source: str, table: object, key: str, rule_id: str | None = None) -> None:
        self.source = source
        self.key = key
        self.rule_id = rule_id
        if not isinstance(table, dict):
            self.fail("", f"must be a table, got {type(table).__name__}")
        self.table: dict[str, Any] = table

    def fail(self, name: str, message: str) -> NoReturn:
        key = f"{self.key}.{name}" if name else self.key
        raise RulesError(self.source, key, message, self.rule_id)

    def only(self, *names: str) -> None:
        for name in self.table:
            if name not in names:
                self.fail(name, f"unknown key (expected: {', '.join(names)})")

    def get(self, name: str, default: Any = ...) -> Any:
        if name not in self.table:
            if default is ...:
                self.fail(name, "is required")
            return default
        return self.table[name]

    def integer(self, name: str, lo: int, hi: int, default: Any = ...) -> int:
        value = self.get(name, default)
        if not _is_int(value) or not lo <= value <= hi:
            self.fail(name, f"must be an integer from {lo} to {hi}, got {value!r}")
        return int(value)

    def boolean(self, name: str, default: Any = ...) -> bool:
        value = self.get(name, default)
        if not isinstance(value, bool):
            self.fail(name, f"must be true or false, got {value!r}")
        return bool(value)

    def level(self, name: str, allowed: tuple[str, ...] = STATES, value: Any = ...) -> int:
        if value is ...:
            value = self.get(name)
        if value not in allowed:
            self.fail(name, f"must be one of {', '.join(allowed)}, got {value!r}")
        return STATES.index(value)

    def rule_id_value(self, default: Any = ...) -> str:
        value = self.get("id", default)
        if not isinstance(value, str) or not value.strip() or len(value) > 64:
            self.fail("id", f"must be a non-empty string of at most 64 characters, got {value!r}")
        return str(value)


def _delineation(source: str, table: object) -> DelineationParams:
    r = _Reader(source, table, "delineation")
    r.only(
        "unit", "stay_minutes", "prevention_level", "prevention_radius", "prevention_around_control"
    )
    radius = r.get("prevention_radius", None)
    level = r.get("prevention_level", None if radius is not None else "street")
    params = DelineationParams(
        unit=r.get("unit", "building"),
        stay_minutes=r.get("stay_minutes", 240),
        prevention_level=level,
        prevention_radius=radius,
        prevention_around_control=r.get("prevention_around_control", True),
    )
    params.validate(source)
    return params


def _downgrades(source: str, items: object) -> tuple[Downgrade, ...]:
    if not isinstance(items, list) or not items:
        raise RulesError(source, "downgrade", "must be a non-empty array of tables ([[downgrade]])")
    out: list[Downgrade] = []
    for i, item in enumerate(items):
        rule_id = item.get("id") if isinstance(item, dict) else None
        r = _Reader(source, item, f"downgrade[{i}]", rule_id if isinstance(rule_id, str) else None)
        r.only("id", "from", "to", "days_without_case", "blocked_by", "description")
        rid = r.rule_id_value()
        start = r.level("from", ZONE_LEVELS)
        if any(d.from_level == start for d in out):
            r.fail("from", f"a second downgrade from {STATES[start]!r}: one rule per level")
        to = r.level("to", STATES[1:])
        if to <= start:
            r.fail(
                "to",
                f"must be less strict than from ({STATES[start]}): a downgrade goes down, "
                f"got {STATES[to]!r}",
            )
        days = r.integer("days_without_case", 0, 366)
        blocked = r.get("blocked_by", [])
        if not isinstance(blocked, list):
            r.fail("blocked_by", f"must be an array of levels, got {blocked!r}")
        levels = tuple(sorted({r.level("blocked_by", ZONE_LEVELS, v) for v in blocked}))
        if any(b == start for b in levels):
            r.fail("blocked_by", f"cannot hold the rule's own level {STATES[start]!r}")
        out.append(Downgrade(rid, start, to, days, levels))
    for level, name in enumerate(ZONE_LEVELS):
        if not any(d.from_level == level for d in out):
            raise RulesError(
                source,
                "downgrade",
                f"no rule downgrades {name!r}: zones at that level would never be lifted",
            )
    return tuple(sorted(out, key=lambda d: d.from_level))


def _escalation(source: str, table: object) -> tuple[NewCaseRule, SurgeRule]:
    r = _Reader(source, table, "escalation")
    r.only("new_case", "surge")
    nc_table = r.get("new_case", {})
    nr = _Reader(
        source,
        nc_table,
        "escalation.new_case",
        nc_table.get("id") if isinstance(nc_table, dict) else None,
    )
    nr.only("id", "to", "redelineate", "description")
    new_case = NewCaseRule(
        id=nr.rule_id_value("new-case-inside"),
        to_level=nr.level("to", ZONE_LEVELS, nr.get("to", "lockdown")),
        redelineate=nr.boolean("redelineate", True),
    )
    s_table = r.get("surge", {})
    sr = _Reader(
        source,
        s_table,
        "escalation.surge",
        s_table.get("id") if isinstance(s_table, dict) else None,
    )
    sr.only("id", "enabled", "rise", "days", "min_cases", "freeze_days", "escalate", "description")
    rise = sr.get("rise", 0.5)
    if (
        isinstance(rise, bool)
        or not isinstance(rise, int | float)
        or not math.isfinite(rise)
        or rise <= 0
    ):
        sr.fail("rise", f"must be a number > 0 (0.5 = a 50 % rise), got {rise!r}")
    pairs = sr.get("escalate", [{"from": "prevention", "to": "control"}])
    if not isinstance(pairs, list):
        sr.fail("escalate", f"must be an array of {{from, to}} tables, got {pairs!r}")
    escalate: list[tuple[int, int]] = []
    for j, pair in enumerate(pairs):
        pr = _Reader(source, pair, f"escalation.surge.escalate[{j}]", sr.rule_id)
        pr.only("from", "to")
        start, to = pr.level("from", ZONE_LEVELS), pr.level("to", ZONE_LEVELS)
        if to >= start:
            pr.fail(
                "to",
                f"must be stricter than from ({STATES[start]}): an escalation goes up, "
                f"got {STATES[to]!r}",
            )
        if any(e[0] == start for e in escalate):
            pr.fail("from", f"a second escalation from {STATES[start]!r}")
        escalate.append((start, to))
    surge = SurgeRule(
        id=sr.rule_id_value("city-surge"),
        enabled=sr.boolean("enabled", True),
        rise=float(rise),
        days=sr.integer("days", 1, 30, 2),
        min_cases=sr.integer("min_cases", 1, 10**9, 1),
        freeze_days=sr.integer("freeze_days", 0, 366, 7),
        escalate=tuple(escalate),
    )
    return new_case, surge


def parse_rules(text: str, source: str = "rules.toml") -> ZoneRules:
    """The rules in TOML ``text``; :class:`RulesError` names the key and rule that is wrong.

    Parameters
    ----------
    text : str
        A rules file in the format of ``default_rules.toml`` (documented in
        ``docs/zones.md``).  Omitted sections take the defaults.
    source : str
        Name of the file, used in the error messages.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(source, "(syntax)", f"not valid TOML: {exc}") from None
    top = _Reader(source, data, "(top level)")
    top.only("version", "delineation", "downgrade", "escalation")
    version = data.get("version", 1)
    if version != 1 or isinstance(version, bool):
        raise RulesError(source, "version", f"must be 1 (the only format so far), got {version!r}")
    defaults = ZoneRules()
    delineation = (
        _delineation(source, data["delineation"]) if "delineation" in data else defaults.delineation
    )
    downgrades = (
        _downgrades(source, data["downgrade"]) if "downgrade" in data else defaults.downgrades
    )
    new_case, surge = _escalation(source, data.get("escalation", {}))
    ids = [d.id for d in downgrades] + [new_case.id, surge.id]
    for rid in ids:
        if rid == DELINEATION_RULE:
            raise RulesError(
                source, "id", f'"{DELINEATION_RULE}" is reserved for delineations', rid
            )
        if ids.count(rid) > 1:
            raise RulesError(source, "id", "rule ids must be unique", rid)
    return ZoneRules(
        delineation=delineation,
        downgrades=downgrades,
        new_case=new_case,
        surge=surge,
        source=source,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
    )


def default_rules_text() -> str:
    """The text of the shipped default rules file."""
    return resources.files(__package__).joinpath(DEFAULT_RULES_FILE).read_text(encoding="utf-8")


def default_rules() -> ZoneRules:
    """The shipped default rules."""
    return parse_rules(default_rules_text(), DEFAULT_RULES_FILE)


def load_rules(path: Path | None) -> ZoneRules:
    """The rules of ``path`` (the defaults when ``None``)."""
    if path is None:
        return default_rules()
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise RulesError(path.name, "(file)", f"cannot be read: {exc}") from None
    return parse_rules(text, path.name)
