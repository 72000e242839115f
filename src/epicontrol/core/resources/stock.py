"""Stockpiles: burn rates from the standards, days of supply, alarms and a reorder plan.

Each holding area (the city, a district hub, a community point) serves the
people below it.  Its daily burn of an item is

``burn = per_person_day * zone residents + per_case_day * active cases + per_staff_day * staff``

where the zone residents are those of the lockdown zones (and of the control
zones treated as lockdown, see the service), whose supplies the centre
provides (plan 001: 1 mask, 1 kg vegetables, 0.5 kg grain and 0.2 kg meat per
person per day).  Days of supply are ``stock / burn`` (``inf`` when nothing is
burnt), an alarm is raised below an item's alarm days (N95 90 days, other
medical items 30 days, living supplies 15 days: Fuzhou, plans 001 and 002)
and the reorder plan brings every area with an alarm up to the item's target
days (living supplies to 30 days, the top of the plans' 15–30-day range):
``ceil(target_days * burn - stock)`` units.

The item catalogue is a TOML file (``catalogue.toml`` next to this module is
the default); :func:`load_catalogue` reads and checks one.

References
----------
.. [1] Silver E. A., Pyke D. F., Thomas D. J. (2017). Inventory and Production
   Management in Supply Chains, 4th ed., ch. 4 (days of supply, order-up-to
   levels).
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import ArrayLike, NDArray

F64 = NDArray[np.float64]
I64 = NDArray[np.int64]

#: Item categories: the alarm standards differ; equipment (ventilators) is not burnt.
ITEM_CATEGORIES: Final = ("medical", "living", "equipment")
#: Default alarm / target days by category (an item may set its own).
CATEGORY_DAYS: Final = {"medical": (30.0, 30.0), "living": (15.0, 30.0), "equipment": (0.0, 0.0)}
#: Holding levels of the three-tier network, from the top.
STOCK_LEVELS: Final = ("city", "district", "community")

_CODE_CHARS: Final = set("abcdefghijklmnopqrstuvwxyz0123456789_")


@dataclass(frozen=True)
class Item:
    """A catalogue item: unit, category, burn per person / case / staff per day, days."""

    code: str
    name: str
    name_en: str
    unit: str
    category: str
    per_person_day: float = 0.0
    per_case_day: float = 0.0
    per_staff_day: float = 0.0
    alarm_days: float = 0.0
    target_days: float = 0.0
    source: str = ""


def _item(raw: Mapping[str, Any], where: str) -> Item:
    def fail(field: str, rule: str) -> ValueError:
        return ValueError(f"{where}.{field}: {rule}, got {raw.get(field)!r}")

    code = raw.get("code")
    if not isinstance(code, str) or not code or not set(code) <= _CODE_CHARS or len(code) > 32:
        raise fail("code", "must be 1-32 characters of a-z, 0-9 and _")
    for key in ("name", "name_en", "unit"):
        if not isinstance(raw.get(key), str) or not raw[key]:
            raise fail(key, "must be a non-empty string")
    category = raw.get("category")
    if category not in ITEM_CATEGORIES:
        raise fail("category", f"must be one of {', '.join(ITEM_CATEGORIES)}")
    alarm_default, target_default = CATEGORY_DAYS[category]
    values: dict[str, float] = {}
    for key, default in (
        ("per_person_day", 0.0),
        ("per_case_day", 0.0),
        ("per_staff_day", 0.0),
        ("alarm_days", alarm_default),
        ("target_days", target_default),
    ):
        v = raw.get(key, default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
            raise fail(key, "must be a number >= 0")
        values[key] = float(v)
    if values["target_days"] < values["alarm_days"]:
        raise fail("target_days", f"must be >= alarm_days ({values['alarm_days']:g})")
    if category == "equipment" and any(
        values[k] for k in ("per_person_day", "per_case_day", "per_staff_day")
    ):
        raise fail("category", "equipment is not burnt: its per-day rates must be 0")
    unknown = set(raw) - {
        "code",
        "name",
        "name_en",
        "unit",
        "category",
        "source",
        *values,
    }
    if unknown:
        raise ValueError(f"{where}: unknown field(s) {', '.join(sorted(unknown))}")
    return Item(
        code=code,
        name=raw["name"],
        name_en=raw["name_en"],
        unit=raw["unit"],
        category=category,
        source=str(raw.get("source", "")),
        **values,
    )


def parse_catalogue(data: Mapping[str, Any], source: str = "catalogue") -> tuple[Item, ...]:
    """Items of a parsed catalogue (``[[item]]`` tables); raises ``ValueError`` naming the field."""
    raw_items = data.get("item")
    if not isinstance(raw_items, list) or not raw_items:
        raise ValueError(f"{source}: needs at least one [[item]] table")
    items = tuple(_item(r, f"{source}: item[{k}]") for k, r in enumerate(raw_items))
    codes = [i.code for i in items]
    twice = sorted({c for c in codes if codes.count(c) > 1})
    if twice:
        raise ValueError(f"{source}: item code(s) defined twice: {', '.join(twice)}")
    return items


def load_catalogue(path: Path | None = None) -> tuple[Item, ...]:
    """The catalogue at ``path``, or the default one shipped with the package."""
    if path is None:
        text = resources.files(__package__).joinpath("catalogue.toml").read_text("utf-8")
        source = "catalogue.toml"
    else:
        text = Path(path).read_text("utf-8")
        source = str(path)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{source}: not valid TOML: {exc}") from exc
    return parse_catalogue(data, source)


@dataclass(frozen=True)
class StockStatus:
    """Per area and item (shape ``(areas, items)``)."""

    stock: F64
    burn: F64
    #: ``stock / burn``; ``inf`` where nothing is burnt.
    days: F64
    alarm_days: F64
    target_days: F64
    alarm: NDArray[np.bool_]
    #: Units to order to bring alarmed areas up to the target days (0 elsewhere).
    reorder: F64


def _column(name: str, value: ArrayLike, n: int) -> F64:
    a = np.asarray(value, dtype=np.float64)
    if a.shape != (n,):
        raise ValueError(f"{name} must have shape ({n},), got {a.shape}")
    if not np.isfinite(a).all() or (a < 0).any():
        raise ValueError(f"{name} must be finite and >= 0")
    return a


def burn_rates(
    items: Sequence[Item], residents: ArrayLike, cases: ArrayLike, staff: ArrayLike
) -> F64:
    """Daily burn ``(areas, items)`` from residents in zones, active cases and staff per area."""
    r = np.asarray(residents, dtype=np.float64)
    n = r.shape[0] if r.ndim == 1 else -1
    if n < 0:
        raise ValueError(f"residents must be 1-D, got shape {r.shape}")
    r = _column("residents", r, n)
    c = _column("cases", cases, n)
    s = _column("staff", staff, n)
    per_person = np.array([i.per_person_day for i in items], np.float64)
    per_case = np.array([i.per_case_day for i in items], np.float64)
    per_staff = np.array([i.per_staff_day for i in items], np.float64)
    return np.asarray(
        r[:, None] * per_person[None, :] + c[:, None] * per_case[None, :] + s[:, None] * per_staff,
        np.float64,
    )


def stock_status(items: Sequence[Item], stock: ArrayLike, burn: ArrayLike) -> StockStatus:
    """Days of supply, alarms (days < the item's alarm days) and reorder quantities.

    Parameters
    ----------
    items : sequence of Item
        The catalogue, in column order.
    stock : array_like, shape (areas, items)
        Units held, finite, >= 0.
    burn : array_like, shape (areas, items)
        Units burnt per day, finite, >= 0 (see :func:`burn_rates`).

    Examples
    --------
    >>> n95 = Item("n95", "N95", "N95", "piece", "medical", alarm_days=90, target_days=90)
    >>> s = stock_status([n95], [[450.0], [100.0]], [[10.0], [0.0]])
    >>> s.days[:, 0].tolist(), s.alarm[:, 0].tolist(), s.reorder[:, 0].tolist()
    ([45.0, inf], [True, False], [450.0, 0.0])
    """
    st = np.asarray(stock, dtype=np.float64)
    b = np.asarray(burn, dtype=np.float64)
    if st.ndim != 2 or st.shape[1] != len(items):
        raise ValueError(f"stock must have shape (areas, {len(items)}), got {st.shape}")
    if b.shape != st.shape:
        raise ValueError(f"burn must have the shape of stock {st.shape}, got {b.shape}")
    if not np.isfinite(st).all() or (st < 0).any():
        raise ValueError("stock must be finite and >= 0")
    if not np.isfinite(b).all() or (b < 0).any():
        raise ValueError("burn must be finite and >= 0")
    alarm_days = np.broadcast_to(np.array([i.alarm_days for i in items], np.float64), st.shape)
    target_days = np.broadcast_to(np.array([i.target_days for i in items], np.float64), st.shape)
    with np.errstate(divide="ignore", invalid="ignore"):
        days = np.where(b > 0, st / b, np.inf)
    alarm = (b > 0) & (days < alarm_days)
    # round before ceil so that float error in target * burn does not order a unit more
    need = np.ceil(np.round(target_days * b - st, 6))
    reorder = np.where(alarm, np.maximum(need, 0.0), 0.0)
    return StockStatus(
        stock=st,
        burn=b,
        days=days,
        alarm_days=np.array(alarm_days),
        target_days=np.array(target_days),
        alarm=alarm,
        reorder=reorder,
    )
