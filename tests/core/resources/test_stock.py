"""Stock arithmetic against hand computations: burn, days of supply, alarms, reorder."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from epicontrol.core.resources.stock import (
    Item,
    burn_rates,
    load_catalogue,
    parse_catalogue,
    stock_status,
)


def _by_code() -> dict[str, Item]:
    return {i.code: i for i in load_catalogue()}


def test_default_catalogue_follows_the_standards() -> None:
    items = _by_code()
    assert set(items) >= {
        "mask",
        "n95",
        "protective_suit",
        "test_kit",
        "reagent",
        "disinfectant",
        "vegetables",
        "grain",
        "meat",
        "medicine",
    }
    assert items["mask"].per_person_day == 1.0
    assert items["vegetables"].per_person_day == 1.0
    assert items["grain"].per_person_day == 0.5
    assert items["meat"].per_person_day == 0.2
    assert items["n95"].alarm_days == 90
    assert (
        items["protective_suit"].alarm_days == 30 and items["protective_suit"].category == "medical"
    )
    assert items["grain"].alarm_days == 15 and items["grain"].target_days == 30
    assert items["ventilator"].category == "equipment"


def test_burn_days_alarm_reorder_by_hand() -> None:
    items = _by_code()
    chosen = [items["vegetables"], items["n95"], items["mask"]]
    # area 0: 2,000 residents in lockdown, 3 cases, 10 staff; area 1: nobody in zones, 50 staff
    burn = burn_rates(chosen, residents=[2_000, 0], cases=[3, 0], staff=[10, 50])
    np.testing.assert_allclose(burn, [[2_000.0, 3 * 6 + 10 * 2, 2_000.0], [0.0, 100.0, 0.0]])
    stock = np.array([[20_000.0, 3_000.0, 100_000.0], [5.0, 9_000.0, 0.0]])
    s = stock_status(chosen, stock, burn)
    # vegetables: 20,000 kg / 2,000 kg a day = 10 days < 15 -> order up to 30 days
    assert s.days[0, 0] == 10 and s.alarm[0, 0] and s.reorder[0, 0] == 30 * 2_000 - 20_000
    # N95 in area 0: 3,000 / 38 = 78.9 days < 90 -> ceil(90 * 38 - 3,000) = 420
    assert s.days[0, 1] == pytest.approx(3_000 / 38) and s.reorder[0, 1] == 420
    # masks: 50 days >= 30, no alarm and nothing ordered
    assert s.days[0, 2] == 50 and not s.alarm[0, 2] and s.reorder[0, 2] == 0
    # area 1: nothing burnt -> infinite days; N95 90 days exactly is not an alarm
    assert math.isinf(s.days[1, 0]) and not s.alarm[1, 0]
    assert s.days[1, 1] == 90 and not s.alarm[1, 1]


def test_fractional_reorder_rounds_up() -> None:
    meat = _by_code()["meat"]
    burn = burn_rates([meat], residents=[333], cases=[0], staff=[0])  # 66.6 kg a day
    s = stock_status([meat], [[100.0]], burn)
    assert s.alarm[0, 0]
    assert s.reorder[0, 0] == math.ceil(30 * 66.6 - 100)  # 1,898


def test_bad_stock_and_catalogue() -> None:
    items = list(load_catalogue())
    n = len(items)
    with pytest.raises(ValueError, match="stock must be finite and >= 0"):
        stock_status(items, -np.ones((1, n)), np.ones((1, n)))
    with pytest.raises(ValueError, match=r"burn must have the shape of stock"):
        stock_status(items, np.ones((1, n)), np.ones((2, n)))
    with pytest.raises(ValueError, match="residents must be finite and >= 0"):
        burn_rates(items, residents=[-1], cases=[0], staff=[0])
    with pytest.raises(ValueError, match=r"item\[0\]\.category: must be one of"):
        parse_catalogue(
            {"item": [{"code": "x", "name": "x", "name_en": "x", "unit": "u", "category": "food"}]}
        )
    with pytest.raises(ValueError, match=r"item\[0\]\.per_person_day: must be a number >= 0"):
        parse_catalogue(
            {
                "item": [
                    {
                        "code": "x",
                        "name": "x",
                        "name_en": "x",
                        "unit": "u",
                        "category": "living",
                        "per_person_day": -1,
                    }
                ]
            }
        )
    with pytest.raises(ValueError, match="defined twice: x"):
        one = {"code": "x", "name": "x", "name_en": "x", "unit": "u", "category": "living"}
        parse_catalogue({"item": [one, one]})


def test_catalogue_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        '[[item]]\ncode = "rice"\nname = "米"\nname_en = "Rice"\nunit = "kg"\n'
        'category = "living"\nper_person_day = 0.4\n',
        "utf-8",
    )
    (rice,) = load_catalogue(path)
    assert rice.per_person_day == 0.4 and rice.alarm_days == 15 and rice.target_days == 30
    path.write_text("[[item]\n", "utf-8")
    with pytest.raises(ValueError, match="not valid TOML"):
        load_catalogue(path)
