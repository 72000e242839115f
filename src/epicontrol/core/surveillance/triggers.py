"""Multi-signal trigger (多点触发): alert levels from the alarms of an area's signals.

An area's sentinel signals (fever-clinic visits, pharmacy fever-drug sales,
school absences, …) are each watched by an aberration detector.  One signal
alone is weak evidence; several independent sources that agree within a few
days are strong.  A :class:`LevelRule` says: the area is at level ``L`` on
day ``t`` when at least ``min_signals`` (``k``) of its ``m`` signals alarmed
on some day of the window ``t - window_days + 1 … t``, and, optionally, at
least ``min_lab_positives`` laboratory-confirmed positives were reported in
the area within ``lab_window_days``.  The area's level is the highest level
whose rule holds.

Default rules (:data:`DEFAULT_RULES`; every number is configurable):

========  ========================================  ==========================================
level     rule                                      meaning
========  ========================================  ==========================================
blue      1 signal alarms today (window 1 day)      single-source aberration: the responsible
                                                    department and the community check it
yellow    ≥ 2 signals within 3 days                 two independent sources agree
orange    ≥ 3 signals within 3 days                 every syndromic source agrees
red       ≥ 2 signals within 3 days and ≥ 1 lab     syndromic rise confirmed by the laboratory
          positive within 7 days
========  ========================================  ==========================================

Laboratory positives (:data:`LAB_SIGNAL`) are not passed through an
aberration detector: their background is zero, so any positive counts; they
are given to :func:`evaluate_triggers` as counts.  Time steps are days.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "DEFAULT_RULES",
    "LAB_SIGNAL",
    "LEVELS",
    "LevelRule",
    "TriggerResult",
    "TriggerRules",
    "evaluate_triggers",
    "level_code",
    "level_name",
]

#: Alert levels, lowest first; code ``i + 1`` in :attr:`TriggerResult.level` (0 = none).
LEVELS: Final = ("blue", "yellow", "orange", "red")
#: Signal name of laboratory-confirmed positives (counts, not detector alarms).
LAB_SIGNAL: Final = "lab_positive"
#: Longest window a rule may use (one year of days).
MAX_WINDOW_DAYS: Final = 366


@dataclass(frozen=True)
class LevelRule:
    """The condition for one alert level.

    Attributes
    ----------
    level : str
        One of :data:`LEVELS`.
    min_signals : int
        ``k``: distinct signals that must have alarmed within the window (>= 1).
    window_days : int
        ``w``: the window, ending on the evaluated day, in days (1 = that day only).
    min_lab_positives : int
        Laboratory-confirmed positives needed in the area within ``lab_window_days``
        (0 = no laboratory condition).
    lab_window_days : int or None
        Window of the laboratory condition; ``None`` = ``window_days``.
    """

    level: str
    min_signals: int
    window_days: int
    min_lab_positives: int = 0
    lab_window_days: int | None = None

    def __post_init__(self) -> None:
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {self.level!r}")
        for name in ("min_signals", "window_days", "min_lab_positives"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | np.integer):
                raise ValueError(f"{self.level}: {name} must be an integer, got {value!r}")
        if self.min_signals < 1:
            raise ValueError(f"{self.level}: min_signals must be >= 1, got {self.min_signals}")
        if not 1 <= self.window_days <= MAX_WINDOW_DAYS:
            raise ValueError(
                f"{self.level}: window_days must be between 1 and {MAX_WINDOW_DAYS}, "
                f"got {self.window_days}"
            )
        if self.min_lab_positives < 0:
            raise ValueError(
                f"{self.level}: min_lab_positives must be >= 0, got {self.min_lab_positives}"
            )
        lab = self.lab_window_days
        if lab is not None and (
            isinstance(lab, bool)
            or not isinstance(lab, int | np.integer)
            or not 1 <= lab <= MAX_WINDOW_DAYS
        ):
            raise ValueError(
                f"{self.level}: lab_window_days must be between 1 and {MAX_WINDOW_DAYS}, "
                f"got {lab!r}"
            )

    @property
    def lab_window(self) -> int:
        """The laboratory window in days."""
        return self.window_days if self.lab_window_days is None else self.lab_window_days

    @property
    def span_days(self) -> int:
        """Days of history this rule looks at (its longest window)."""
        return max(self.window_days, self.lab_window if self.min_lab_positives else 1)


DEFAULT_RULES: Final = (
    LevelRule("blue", min_signals=1, window_days=1),
    LevelRule("yellow", min_signals=2, window_days=3),
    LevelRule("orange", min_signals=3, window_days=3),
    LevelRule("red", min_signals=2, window_days=3, min_lab_positives=1, lab_window_days=7),
)


@dataclass(frozen=True)
class TriggerRules:
    """A validated set of level rules: at most one per level, listed lowest level first."""

    rules: tuple[LevelRule, ...] = field(default=DEFAULT_RULES)

    def __post_init__(self) -> None:
        rules = tuple(self.rules)
        object.__setattr__(self, "rules", rules)
        if not rules:
            raise ValueError("at least one level rule is needed")
        for rule in rules:
            if not isinstance(rule, LevelRule):
                raise ValueError(f"rules must be LevelRule objects, got {type(rule).__name__}")
        levels = [r.level for r in rules]
        if len(set(levels)) != len(levels):
            raise ValueError(f"one rule per level, got {levels}")
        if levels != sorted(levels, key=LEVELS.index):
            raise ValueError(f"rules must be listed lowest level first ({', '.join(LEVELS)})")

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> TriggerRules:
        """Rules from ``{"blue": {"min_signals": 1, "window_days": 1}, ...}`` (JSON/TOML).

        Levels are ordered by :data:`LEVELS` whatever the mapping's order;
        unknown keys are refused with their name.
        """
        allowed = {"min_signals", "window_days", "min_lab_positives", "lab_window_days"}
        rules = []
        for level in sorted(data, key=lambda k: LEVELS.index(k) if k in LEVELS else -1):
            spec = data[level]
            if not isinstance(spec, Mapping):
                raise ValueError(f"{level}: a rule must be a table of settings, got {spec!r}")
            unknown = set(spec) - allowed
            if unknown:
                raise ValueError(
                    f"{level}: unknown setting(s) {', '.join(sorted(unknown))}; "
                    f"allowed: {', '.join(sorted(allowed))}"
                )
            missing = {"min_signals", "window_days"} - set(spec)
            if missing:
                raise ValueError(f"{level}: {', '.join(sorted(missing))} is required")
            rules.append(LevelRule(level=level, **dict(spec)))
        return cls(tuple(rules))

    def to_mapping(self) -> dict[str, dict[str, int | None]]:
        """The rules as a plain mapping (inverse of :meth:`from_mapping`)."""
        return {
            r.level: {
                "min_signals": r.min_signals,
                "window_days": r.window_days,
                "min_lab_positives": r.min_lab_positives,
                "lab_window_days": r.lab_window_days,
            }
            for r in self.rules
        }

    @property
    def span_days(self) -> int:
        """Days of alarms and laboratory counts any rule looks back over."""
        return max(r.span_days for r in self.rules)


@dataclass(frozen=True)
class TriggerResult:
    """Per area and day.

    Attributes
    ----------
    level : (n_areas, T) int8
        0 = no alert, ``i + 1`` = ``LEVELS[i]``.
    contributing : (n_areas, n_signals, T) bool
        Signals that alarmed within the window of the rule that set the level.
    n_signals : (n_areas, T) int16
        Number of contributing signals.
    lab_positives : (n_areas, T) int64
        Laboratory positives within the winning rule's laboratory window (0 without one).
    """

    level: NDArray[np.int8]
    contributing: NDArray[np.bool_]
    n_signals: NDArray[np.int16]
    lab_positives: NDArray[np.int64]


def _rolling_any(alarms: NDArray[np.bool_], window: int) -> NDArray[np.bool_]:
    """True where the last ``window`` steps (inclusive) hold an alarm, along the last axis."""
    csum = np.cumsum(alarms, axis=-1, dtype=np.int32)
    out = csum.copy()
    out[..., window:] -= csum[..., :-window]
    return out > 0


def _rolling_sum(x: NDArray[np.int64], window: int) -> NDArray[np.int64]:
    csum = np.cumsum(x, axis=-1)
    out = csum.copy()
    out[..., window:] -= csum[..., :-window]
    return out


def evaluate_triggers(
    alarms: ArrayLike,
    *,
    lab_positives: ArrayLike | None = None,
    rules: TriggerRules | Sequence[LevelRule] | None = None,
) -> TriggerResult:
    """Alert level of every area on every day from its signals' alarms.

    Parameters
    ----------
    alarms : array_like of bool, shape (n_areas, n_signals, T)
        Detector alarms per area, signal and consecutive day.
    lab_positives : array_like of int, shape (n_areas, T), optional
        Laboratory-confirmed positives per area and day (>= 0); ``None`` = none reported.
    rules : TriggerRules or sequence of LevelRule, optional
        Default :data:`DEFAULT_RULES`.

    Returns
    -------
    TriggerResult
        The highest level whose rule holds, the signals behind it and the
        laboratory positives counted.  Days before a window is complete use
        the days available (a window never reaches before the first day).

    Raises
    ------
    ValueError
        Wrong shapes or negative laboratory counts.
    """
    if rules is None:
        ruleset = TriggerRules()
    elif isinstance(rules, TriggerRules):
        ruleset = rules
    else:
        ruleset = TriggerRules(tuple(rules))
    a = np.asarray(alarms)
    if a.ndim != 3:
        raise ValueError(f"alarms must be 3-D (areas × signals × days), got {a.ndim}-D")
    a = a.astype(bool, copy=False)
    n_areas, n_signals, length = a.shape
    if lab_positives is None:
        lab = np.zeros((n_areas, length), dtype=np.int64)
    else:
        lab = np.asarray(lab_positives)
        if lab.shape != (n_areas, length):
            raise ValueError(
                f"lab_positives must have shape (n_areas, T) = {(n_areas, length)}, got {lab.shape}"
            )
        if not np.isfinite(lab).all() or (lab < 0).any():
            raise ValueError("lab_positives must be finite and >= 0")
        lab = lab.astype(np.int64)

    level = np.zeros((n_areas, length), dtype=np.int8)
    contributing = np.zeros((n_areas, n_signals, length), dtype=bool)
    lab_out = np.zeros((n_areas, length), dtype=np.int64)
    for rule in ruleset.rules:  # lowest first: a later (higher) rule overwrites
        recent = _rolling_any(a, rule.window_days)
        count = recent.sum(axis=1)
        holds = count >= rule.min_signals
        lab_sum = np.zeros_like(lab_out)
        if rule.min_lab_positives:
            lab_sum = _rolling_sum(lab, rule.lab_window)
            holds &= lab_sum >= rule.min_lab_positives
        code = np.int8(LEVELS.index(rule.level) + 1)
        take = holds & (code > level)
        level[take] = code
        contributing[:, :, :] = np.where(take[:, None, :], recent, contributing)
        lab_out[take] = lab_sum[take]
    return TriggerResult(
        level=level,
        contributing=contributing,
        n_signals=contributing.sum(axis=1).astype(np.int16),
        lab_positives=lab_out,
    )


def level_name(code: int) -> str | None:
    """``LEVELS[code - 1]``, or ``None`` for 0."""
    if code == 0:
        return None
    if not 1 <= code <= len(LEVELS):
        raise ValueError(f"level code must be between 0 and {len(LEVELS)}, got {code}")
    return LEVELS[code - 1]


def level_code(name: str) -> int:
    """The code of level ``name`` (``blue`` → 1 … ``red`` → 4)."""
    if name not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, got {name!r}")
    return LEVELS.index(name) + 1
