"""Declarative parameters of the synthetic city "Minjiang" (闽江市).

Sizes follow a Fuzhou-like provincial capital: 13 districts and counties,
seven dense urban districts holding about 62 % of the residents and six
sparse counties; communities of about 3 000 residents; household sizes from
China's 7th census (2020); bed, ICU and quarantine-room provision drawn
around the figures quoted in the Fuzhou plan (Gulou 8.5 beds per 1 000 and
5.2 ICU beds per 10 000; Minqing 4.2 and 1.8; 1.2 × 10⁴ quarantine rooms for
8.3 × 10⁶ residents).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np


@dataclass(frozen=True)
class DistrictSpec:
    """One district or county: names, kind, share of residents and map position."""

    name: str
    name_en: str
    kind: str
    share: float
    #: Offset of the district centre from the city centre, degrees (lon, lat).
    offset: tuple[float, float]


DEFAULT_DISTRICTS: tuple[DistrictSpec, ...] = (
    DistrictSpec("中洲区", "Zhongzhou", "urban", 0.110, (0.00, 0.01)),
    DistrictSpec("江北区", "Jiangbei", "urban", 0.100, (0.03, 0.06)),
    DistrictSpec("南台区", "Nantai", "urban", 0.090, (0.01, -0.05)),
    DistrictSpec("东湖区", "Donghu", "urban", 0.090, (0.07, 0.00)),
    DistrictSpec("西岭区", "Xiling", "urban", 0.080, (-0.07, 0.02)),
    DistrictSpec("马港区", "Magang", "urban", 0.080, (0.16, -0.01)),
    DistrictSpec("长湾区", "Changwan", "urban", 0.070, (0.10, -0.12)),
    DistrictSpec("石竹市", "Shizhu", "county", 0.120, (0.05, -0.45)),
    DistrictSpec("云阳县", "Yunyang", "county", 0.070, (-0.30, 0.05)),
    DistrictSpec("梅溪县", "Meixi", "county", 0.060, (-0.55, 0.30)),
    DistrictSpec("青峰县", "Qingfeng", "county", 0.050, (-0.45, -0.25)),
    DistrictSpec("白沙县", "Baisha", "county", 0.040, (0.25, 0.40)),
    DistrictSpec("龙屿县", "Longyu", "county", 0.040, (0.40, 0.20)),
)

#: Household sizes 1..6 (6 = "6 or more", drawn 6–8) from China's 2020 census.
HOUSEHOLD_SIZE_SHARES: tuple[float, ...] = (0.254, 0.297, 0.209, 0.132, 0.063, 0.045)


@dataclass(frozen=True)
class CityParams:
    """Everything the generator needs; the same params and seed give the same city."""

    population: int
    days: int = 14
    seed: int = 1
    start: date = date(2026, 11, 2)
    timezone: str = "Asia/Shanghai"
    utc_offset_minutes: int = 480
    name: str = "闽江市"
    name_en: str = "Minjiang"
    centre: tuple[float, float] = (119.30, 26.08)
    districts: tuple[DistrictSpec, ...] = DEFAULT_DISTRICTS
    residents_per_community: int = 3000
    communities_per_street: dict[str, int] = field(
        default_factory=lambda: {"urban": 10, "county": 7}
    )
    residents_per_compound: dict[str, int] = field(
        default_factory=lambda: {"urban": 1000, "county": 400}
    )
    residents_per_building: dict[str, int] = field(
        default_factory=lambda: {"urban": 100, "county": 14}
    )
    #: Ranges (per 10 000 residents) that hospital beds, ICU beds and
    #: quarantine rooms of a district are drawn from, by district kind.
    beds_per_10k: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"urban": (70.0, 95.0), "county": (38.0, 56.0)}
    )
    icu_per_10k: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"urban": (3.5, 5.5), "county": (0.6, 1.9)}
    )
    quarantine_rooms_per_10k: dict[str, tuple[float, float]] = field(
        default_factory=lambda: {"urban": (11.0, 21.0), "county": (6.0, 17.0)}
    )
    lab_tests_per_10k: tuple[float, float] = (250.0, 650.0)
    #: Share of working-age residents registered in another city (floating
    #: population, cross-city commuters), and those cities; regional
    #: assistance lists (区域协查) for their contacts go there.
    registered_elsewhere_share: float = 0.03
    neighbour_cities: tuple[str, ...] = ("云江市", "宁海市", "南屏市", "莆阳市", "泉安市")

    def validate(self) -> None:
        """Raise ``ValueError`` naming the field and the rule it breaks."""
        if not 1_000 <= self.population <= 20_000_000:
            raise ValueError(f"population must be between 1000 and 20000000, got {self.population}")
        if not 0 <= self.days <= 366:
            raise ValueError(f"days must be between 0 and 366, got {self.days}")
        if not 0 <= self.seed < 2**63:
            raise ValueError(f"seed must be between 0 and 2**63-1, got {self.seed}")
        if not self.districts:
            raise ValueError("districts must not be empty")
        shares = np.array([d.share for d in self.districts])
        if (shares <= 0).any() or abs(shares.sum() - 1.0) > 1e-6:
            raise ValueError("districts: every share must be > 0 and the shares must sum to 1")
        if {d.kind for d in self.districts} - {"urban", "county"}:
            raise ValueError("districts: kind must be 'urban' or 'county'")
        if not 0 <= self.registered_elsewhere_share <= 1:
            raise ValueError("registered_elsewhere_share must be between 0 and 1")
        if self.registered_elsewhere_share > 0 and not self.neighbour_cities:
            raise ValueError(
                "neighbour_cities must not be empty when registered_elsewhere_share > 0"
            )
        if self.residents_per_community < 100:
            raise ValueError("residents_per_community must be >= 100")
