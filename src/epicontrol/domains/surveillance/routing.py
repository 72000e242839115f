"""Configuration of surveillance: detectors on ingest, level rules, alert routing.

Defaults work without any file.  A workspace may hold ``surveillance.toml``
(or ``surveillance.json``) to change them; ``epicontrol surveil ... --config
FILE`` names another file.  Every key is optional::

    alert_window_days = 7        # new alarms within 7 days update an open alert
    early_warning_hours = 1.0    # standard: alert ≤ 1 h after the data arrives

    [[detectors]]                # run on every ingested series; a signal alarms
    name = "ears-c2"             # when any of them alarms
    params = { min_sigma = 1.0 }

    [levels.yellow]              # multi-signal rules (core.surveillance.triggers)
    min_signals = 2
    window_days = 3

    [departments.health]
    name = "市卫生健康委员会"
    name_en = "Municipal Health Commission"

    [signals]                    # signal → responsible departments
    fever_clinic = ["health", "cdc"]

    [escalation]                 # level → departments added from that level on
    orange = ["command_centre"]

    [community]
    notify = true                # the community grid (社区网格) of the area
    district_from = "orange"     # the district's prevention office from this level

Recipients of an alert: the departments of its signals, the community grid
of its area, the departments of the escalation entries up to its level, and
the district office from ``district_from``.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

from ...core.city.schemas import SIGNALS
from ...core.surveillance.registry import DETECTORS, validate_params
from ...core.surveillance.triggers import LAB_SIGNAL, LEVELS, TriggerRules

#: Every signal a feed may carry: the syndromic signals and laboratory positives.
FEED_SIGNALS: Final = (*SIGNALS, LAB_SIGNAL)
#: Config file names looked for in the workspace, in this order.
CONFIG_FILES: Final = ("surveillance.toml", "surveillance.json")


@dataclass(frozen=True)
class Department:
    """A department that receives alerts."""

    code: str
    name: str
    name_en: str


DEFAULT_DEPARTMENTS: Final = MappingProxyType(
    {
        "health": Department("health", "市卫生健康委员会", "Municipal Health Commission"),
        "cdc": Department("cdc", "市疾病预防控制中心", "Municipal Center for Disease Control"),
        "education": Department("education", "市教育局", "Municipal Education Bureau"),
        "market_regulation": Department(
            "market_regulation", "市市场监督管理局", "Municipal Market Regulation Administration"
        ),
        "commerce": Department("commerce", "市商务局", "Municipal Commerce Bureau"),
        "command_centre": Department(
            "command_centre", "市联防联控指挥部", "Joint Prevention and Control Command Centre"
        ),
    }
)
#: Signal → the departments responsible for checking it.
DEFAULT_SIGNAL_ROUTES: Final = MappingProxyType(
    {
        "fever_clinic": ("health", "cdc"),
        "pharmacy_fever_drug": ("market_regulation",),
        "school_absence": ("education",),
        LAB_SIGNAL: ("cdc", "health"),
    }
)
#: Level → departments added from that level on.
DEFAULT_ESCALATION: Final = MappingProxyType(
    {"yellow": ("cdc",), "orange": ("command_centre",), "red": ("command_centre", "health")}
)
#: The default ingest detector and its parameters (see docs/surveillance.md).
DEFAULT_DETECTORS: Final = (("ears-c2", MappingProxyType({"min_sigma": 1.0})),)


@dataclass(frozen=True)
class AreaRef:
    """An area as it appears among the recipients."""

    id: int
    code: str
    name: str
    name_en: str | None


@dataclass(frozen=True)
class Routing:
    """Who receives an alert, by signal and level."""

    departments: Mapping[str, Department] = field(default_factory=lambda: DEFAULT_DEPARTMENTS)
    signals: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_SIGNAL_ROUTES)
    escalation: Mapping[str, tuple[str, ...]] = field(default_factory=lambda: DEFAULT_ESCALATION)
    notify_community: bool = True
    district_from: str | None = "orange"

    def __post_init__(self) -> None:
        for signal, codes in self.signals.items():
            if signal not in FEED_SIGNALS:
                raise ValueError(
                    f"signals: unknown signal {signal!r}; known: {', '.join(FEED_SIGNALS)}"
                )
            self._check_departments(f"signals.{signal}", codes)
        for level, codes in self.escalation.items():
            if level not in LEVELS:
                raise ValueError(f"escalation: level must be one of {', '.join(LEVELS)}: {level!r}")
            self._check_departments(f"escalation.{level}", codes)
        if self.district_from is not None and self.district_from not in LEVELS:
            raise ValueError(
                f"community.district_from must be one of {', '.join(LEVELS)}, "
                f"got {self.district_from!r}"
            )

    def _check_departments(self, where: str, codes: tuple[str, ...]) -> None:
        for code in codes:
            if code not in self.departments:
                raise ValueError(
                    f"{where}: unknown department {code!r}; "
                    f"known: {', '.join(sorted(self.departments))}"
                )

    def recipients(
        self,
        *,
        signals: list[str],
        level: str,
        community: AreaRef,
        district: AreaRef | None,
    ) -> list[dict[str, Any]]:
        """The recipients of an alert: departments first, then the district and community."""
        codes: list[str] = []
        for signal in signals:
            codes.extend(self.signals.get(signal, ()))
        rank = LEVELS.index(level)
        for lvl in LEVELS[: rank + 1]:
            codes.extend(self.escalation.get(lvl, ()))
        out: list[dict[str, Any]] = []
        for code in dict.fromkeys(codes):
            dept = self.departments[code]
            out.append(
                {"kind": "department", "code": code, "name": dept.name, "name_en": dept.name_en}
            )
        if (
            district is not None
            and self.district_from is not None
            and rank >= LEVELS.index(self.district_from)
        ):
            out.append(_area_recipient("district", district))
        if self.notify_community:
            out.append(_area_recipient("community", community))
        return out


#: How an area recipient is addressed: (zh-CN suffix, en suffix).
_AREA_ROLES: Final = {
    "community": ("社区网格", "community grid"),
    "district": ("疫情防控办公室", "district prevention office"),
}


def _area_recipient(kind: str, area: AreaRef) -> dict[str, Any]:
    zh, en = _AREA_ROLES[kind]
    return {
        "kind": kind,
        "area_id": area.id,
        "code": area.code,
        "name": f"{area.name}{zh}",
        "name_en": f"{area.name_en or area.name} {en}",
    }


@dataclass(frozen=True)
class SurveillanceConfig:
    """Everything ingest and alerting need; defaults documented in the module."""

    detectors: tuple[tuple[str, Mapping[str, Any]], ...] = DEFAULT_DETECTORS
    rules: TriggerRules = field(default_factory=TriggerRules)
    routing: Routing = field(default_factory=Routing)
    alert_window_days: int = 7
    early_warning_hours: float = 1.0

    def __post_init__(self) -> None:
        if not self.detectors:
            raise ValueError("detectors: at least one detector is needed")
        for name, params in self.detectors:
            if name not in DETECTORS:
                raise ValueError(
                    f"detectors: unknown detector {name!r}; known: {', '.join(DETECTORS)}"
                )
            if DETECTORS[name].frequency != "daily":
                raise ValueError(
                    f"detectors: {name} is a weekly detector; ingest evaluates daily series"
                )
            validate_params(name, dict(params))
        if isinstance(self.alert_window_days, bool) or not 1 <= self.alert_window_days <= 366:
            raise ValueError(
                f"alert_window_days must be between 1 and 366, got {self.alert_window_days!r}"
            )
        if not 0 < self.early_warning_hours <= 24 * 7:
            raise ValueError(
                f"early_warning_hours must be in (0, 168], got {self.early_warning_hours!r}"
            )

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> SurveillanceConfig:
        """A config from a parsed TOML/JSON document (keys as in the module docstring)."""
        known = {
            "detectors",
            "levels",
            "departments",
            "signals",
            "escalation",
            "community",
            "alert_window_days",
            "early_warning_hours",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(
                f"unknown setting(s) {', '.join(sorted(unknown))}; "
                f"allowed: {', '.join(sorted(known))}"
            )
        kwargs: dict[str, Any] = {}
        if "detectors" in data:
            kwargs["detectors"] = tuple(
                _detector_entry(i, d) for i, d in enumerate(data["detectors"])
            )
        if "levels" in data:
            kwargs["rules"] = TriggerRules.from_mapping(_table(data, "levels"))
        departments = dict(DEFAULT_DEPARTMENTS)
        for code, spec in _table(data, "departments").items():
            if not isinstance(spec, Mapping) or not {"name", "name_en"} <= set(spec):
                raise ValueError(f"departments.{code}: needs name and name_en")
            departments[code] = Department(code, str(spec["name"]), str(spec["name_en"]))
        signals = dict(DEFAULT_SIGNAL_ROUTES)
        signals.update({k: _codes(f"signals.{k}", v) for k, v in _table(data, "signals").items()})
        escalation = dict(DEFAULT_ESCALATION)
        escalation.update(
            {k: _codes(f"escalation.{k}", v) for k, v in _table(data, "escalation").items()}
        )
        community = _table(data, "community")
        unknown = set(community) - {"notify", "district_from"}
        if unknown:
            raise ValueError(f"community: unknown setting(s) {', '.join(sorted(unknown))}")
        notify = community.get("notify", True)
        if not isinstance(notify, bool):
            raise ValueError(f"community.notify must be true or false, got {notify!r}")
        kwargs["routing"] = Routing(
            departments=MappingProxyType(departments),
            signals=MappingProxyType(signals),
            escalation=MappingProxyType(escalation),
            notify_community=notify,
            district_from=community.get("district_from", "orange"),
        )
        for key in ("alert_window_days", "early_warning_hours"):
            if key in data:
                kwargs[key] = data[key]
        return cls(**kwargs)

    def detector_list(self) -> list[dict[str, Any]]:
        """The ingest detectors as JSON (stored with each batch)."""
        return [{"name": name, "params": dict(params)} for name, params in self.detectors]


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ValueError(f"{key} must be a table (mapping), got {value!r}")
    return value


def _codes(where: str, value: Any) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, list | tuple):
        raise ValueError(f"{where} must be a list of department codes, got {value!r}")
    return tuple(str(v) for v in value)


def _detector_entry(index: int, entry: Any) -> tuple[str, Mapping[str, Any]]:
    if not isinstance(entry, Mapping) or "name" not in entry:
        raise ValueError(f"detectors[{index}] must be a table with a name, got {entry!r}")
    params = entry.get("params", {})
    if not isinstance(params, Mapping):
        raise ValueError(f"detectors[{index}].params must be a table, got {params!r}")
    unknown = set(entry) - {"name", "params"}
    if unknown:
        raise ValueError(f"detectors[{index}]: unknown key(s) {', '.join(sorted(unknown))}")
    return str(entry["name"]), MappingProxyType(dict(params))


def load_config(path: Path | None = None, *, workspace: Path | None = None) -> SurveillanceConfig:
    """The config in ``path``, else the workspace's ``surveillance.toml``/``.json``, else defaults.

    Raises ``ValueError`` naming the file and the setting when the file is invalid.
    """
    if path is None and workspace is not None:
        path = next((workspace / n for n in CONFIG_FILES if (workspace / n).is_file()), None)
    if path is None:
        return SurveillanceConfig()
    if not path.is_file():
        raise ValueError(f"{path}: no such configuration file")
    try:
        if path.suffix == ".json":
            data = json.loads(path.read_text(encoding="utf-8"))
        else:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        kind = "JSON" if path.suffix == ".json" else "TOML"
        raise ValueError(f"{path}: not valid {kind}: {exc}") from exc
    if not isinstance(data, Mapping):
        raise ValueError(f"{path}: the document must be a table of settings")
    try:
        return SurveillanceConfig.from_mapping(data)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{path}: {exc}") from exc
