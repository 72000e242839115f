"""Households and persons of the synthetic city.

Household sizes follow China's 2020 census shares; each household is given
a composition (single, couple, parents with children, three generations)
from which ages follow, so that living-alone elderly, grandparents and
school cohorts come out of the same draw.  Occupations follow age and the
statutory retirement ages (60 for men, 55 for women).  Special-population
flags use prevalences of the order reported for China: about 0.05 % of
adults on dialysis, 4.5 % of women aged 20–40 pregnant at a time, 6 % of
residents with a disability, and living-alone elderly read from the
household itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .params import HOUSEHOLD_SIZE_SHARES
from .schemas import OCCUPATION, SpecialFlag

I32 = NDArray[np.int32]


@dataclass(frozen=True)
class Population:
    """Households and persons as parallel arrays (person and household ids dense from 0)."""

    household_building: I32
    household_size: NDArray[np.int16]
    person_household: I32
    person_building: I32
    age: NDArray[np.int16]
    sex: NDArray[np.int8]  # 0 = F, 1 = M
    occupation: NDArray[np.int8]
    special_flags: NDArray[np.int16]


def _household_sizes(n: int, rng: np.random.Generator) -> NDArray[np.int64]:
    """Household sizes summing exactly to ``n`` (the last one trimmed)."""
    shares = np.asarray(HOUSEHOLD_SIZE_SHARES)
    shares = shares / shares.sum()
    mean = float((np.arange(1, 7) * shares).sum()) + 0.045
    draw = int(n / mean * 1.05) + 16
    sizes = rng.choice(np.arange(1, 7), size=draw, p=shares)
    big = sizes == 6
    sizes[big] += rng.integers(0, 3, size=int(big.sum()))
    while sizes.sum() < n:  # pragma: no cover - the 5 % margin makes this rare
        sizes = np.concatenate([sizes, rng.choice(np.arange(1, 7), size=draw // 10 + 1, p=shares)])
    cum = np.cumsum(sizes)
    k = int(np.searchsorted(cum, n))  # household k reaches n
    sizes = sizes[: k + 1].copy()
    sizes[-1] -= int(cum[k] - n)
    return sizes


def _ages_and_sexes(
    sizes: NDArray[np.int64], rng: np.random.Generator
) -> tuple[NDArray[np.int16], NDArray[np.int8]]:
    """Ages and sexes of every member, household by household."""
    n_h = len(sizes)
    total = int(sizes.sum())
    hh = np.repeat(np.arange(n_h), sizes)
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    member = np.arange(total) - np.repeat(first, sizes)

    u = rng.random(n_h)
    # head age by composition
    head = np.empty(n_h)
    s1 = sizes == 1
    s2 = sizes == 2
    big = sizes >= 3
    elderly_single = s1 & (u < 0.42)
    head[s1] = rng.uniform(20, 46, size=int(s1.sum()))
    head[elderly_single] = rng.uniform(60, 93, size=int(elderly_single.sum()))
    older_couple = s2 & (u < 0.55)
    head[s2] = rng.uniform(22, 46, size=int(s2.sum()))
    head[older_couple] = rng.uniform(50, 88, size=int(older_couple.sum()))
    head[big] = rng.uniform(26, 52, size=int(big.sum()))

    # grandparents and children counts for households of 3+
    grand = np.zeros(n_h, dtype=np.int64)
    v = rng.random(n_h)
    grand[(sizes == 4) & (v < 0.45)] = 1
    grand[(sizes == 5) & (v < 0.5)] = 2
    grand[(sizes == 5) & (v >= 0.5) & (v < 0.8)] = 1
    grand[sizes >= 6] = 2
    n_adults = np.where(sizes >= 2, 2, 1)

    head_m = head[hh]
    age = np.empty(total)
    is_head = member == 0
    is_spouse = (member == 1) & (sizes[hh] >= 2)
    is_grand = (member >= 2) & (member < 2 + grand[hh])
    is_child = (member >= n_adults[hh]) & ~is_grand
    age[is_head] = head_m[is_head]
    age[is_spouse] = head_m[is_spouse] + rng.normal(0, 3, size=int(is_spouse.sum()))
    age[is_grand] = head_m[is_grand] + rng.uniform(24, 33, size=int(is_grand.sum()))
    age[is_child] = head_m[is_child] - rng.uniform(22, 37, size=int(is_child.sum()))
    age = np.clip(np.floor(age), 0, 100)
    # spouses are adults
    age[is_spouse] = np.maximum(age[is_spouse], 20)

    sex = (rng.random(total) < 0.512).astype(np.int8)
    # spouses and the second grandparent have the other sex
    sex[is_spouse] = 1 - sex[np.flatnonzero(is_spouse) - 1]
    second_grand = is_grand & (member == 3)
    sex[second_grand] = 1 - sex[np.flatnonzero(second_grand) - 1]
    return age.astype(np.int16), sex


def _occupations(
    age: NDArray[np.int16],
    sex: NDArray[np.int8],
    county: NDArray[np.bool_],
    rng: np.random.Generator,
) -> NDArray[np.int8]:
    n = len(age)
    u = rng.random(n)
    w = rng.random(n)
    occ = np.full(n, OCCUPATION["unemployed"], dtype=np.int8)
    retire_age = np.where(sex == 1, 60, 55)

    occ[age < 3] = OCCUPATION["infant"]
    pre = (age >= 3) & (age <= 5)
    occ[pre] = np.where(u[pre] < 0.92, OCCUPATION["preschool"], OCCUPATION["infant"])
    school = (age >= 6) & (age <= 17)
    occ[school] = np.where(u[school] < 0.985, OCCUPATION["student"], OCCUPATION["unemployed"])
    uni = (age >= 18) & (age <= 22) & (u < 0.5)
    occ[uni] = OCCUPATION["university_student"]

    working_age = (age >= 18) & (age < retire_age) & ~uni
    employed = working_age & (u < 0.88)
    old_worker = (age >= retire_age) & (age < 70) & (u < 0.08)
    retired = (age >= retire_age) & ~old_worker
    occ[retired] = OCCUPATION["retired"]
    workers = employed | old_worker
    # office / factory / service / health, by district kind
    cut_office = np.where(county, 0.20, 0.40)
    cut_factory = cut_office + np.where(county, 0.45, 0.28)
    cut_service = cut_factory + 0.27
    kind = np.select(
        [w < cut_office, w < cut_factory, w < cut_service],
        [OCCUPATION["office_worker"], OCCUPATION["factory_worker"], OCCUPATION["service_worker"]],
        OCCUPATION["health_worker"],
    ).astype(np.int8)
    occ[workers] = kind[workers]
    occ[old_worker] = OCCUPATION["service_worker"]
    return occ


def _special_flags(
    age: NDArray[np.int16],
    sex: NDArray[np.int8],
    household_size: NDArray[np.int64],
    rng: np.random.Generator,
) -> NDArray[np.int16]:
    n = len(age)
    flags = np.zeros(n, dtype=np.int16)
    old = age >= 60
    adult = age >= 18
    p_dialysis = np.where(old, 0.0012, np.where(adult, 0.0004, 0.0))
    p_cancer = np.where(old, 0.008, np.where(age >= 40, 0.004, 0.001))
    p_disabled = np.where(old, 0.12, 0.035)
    p_chronic = np.where(old, 0.10, np.where(adult, 0.01, 0.0))
    p_preg = np.where((sex == 0) & (age >= 20) & (age <= 40), 0.045, 0.0)
    draws = (
        (p_dialysis, SpecialFlag.DIALYSIS),
        (p_preg, SpecialFlag.PREGNANCY),
        (p_cancer, SpecialFlag.CANCER_THERAPY),
        (p_disabled, SpecialFlag.DISABLED),
        (p_chronic, SpecialFlag.CHRONIC_DISEASE),
        (np.full(n, 0.005), SpecialFlag.OTHER_NEEDS),
    )
    for p, flag in draws:
        flags[rng.random(n) < p] |= int(flag)
    flags[(household_size == 1) & (age >= 65)] |= int(SpecialFlag.LIVING_ALONE_ELDERLY)
    return flags


def build_population(
    n: int,
    building_ids: I32,
    building_capacity: I32,
    building_is_county: NDArray[np.int8],
    rng: np.random.Generator,
) -> Population:
    """Draw households and persons and house them in buildings by capacity.

    Households are laid end to end over the buildings' capacities (which sum
    to ``n``); a household lives in the building its first member falls in.
    """
    if int(building_capacity.sum()) != n:
        raise ValueError("building_capacity must sum to the population")
    sizes = _household_sizes(n, rng)
    first = np.r_[0, np.cumsum(sizes)[:-1]]
    b_index = np.searchsorted(np.cumsum(building_capacity), first, side="right")
    household_building = building_ids[b_index].astype(np.int32)
    person_household = np.repeat(np.arange(len(sizes), dtype=np.int32), sizes)
    person_building = household_building[person_household]
    age, sex = _ages_and_sexes(sizes, rng)
    county = building_is_county[b_index][person_household].astype(bool)
    occupation = _occupations(age, sex, county, rng)
    flags = _special_flags(age, sex, sizes[person_household], rng)
    return Population(
        household_building=household_building,
        household_size=sizes.astype(np.int16),
        person_household=person_household,
        person_building=person_building,
        age=age,
        sex=sex,
        occupation=occupation,
        special_flags=flags,
    )
