"""The synthetic city generator: one seed, one city.

:func:`generate_city` draws the area hierarchy, households, persons,
venues, organisations and facilities in memory as Arrow tables;
:func:`checkins_for_day` and :func:`syndromic_day` then stream the lake's
daily tables, so a city of 8.3 million is written one day at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import numpy as np
import pyarrow as pa
from numpy.typing import NDArray

from . import checkins as _checkins
from . import syndromic as _syndromic
from .geography import build_geography
from .params import CityParams
from .population import build_population
from .schemas import HOUSEHOLDS, OCCUPATION, OCCUPATIONS, PERSONS, SEXES, tier_of
from .venues import build_venues

Progress = Callable[[str], None]

_ID_WEIGHTS = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2], dtype=np.int64)
_ID_CHECK = np.frombuffer(b"10X98765432", dtype=np.uint8)
_PHONE_PREFIXES = np.array(
    [
        130,
        131,
        132,
        133,
        135,
        136,
        137,
        138,
        139,
        150,
        151,
        152,
        155,
        156,
        157,
        158,
        159,
        180,
        181,
        182,
        185,
        186,
        187,
        188,
        189,
        199,
    ],
    dtype=np.int64,
)


@dataclass(frozen=True)
class GeneratedCity:
    """A generated city: the operational tables and what the lake streams need."""

    params: CityParams
    epoch: datetime
    areas: pa.Table
    adjacency: pa.Table
    households: pa.Table
    persons: pa.Table
    groups: pa.Table
    venues: pa.Table
    facilities: pa.Table
    activity: _checkins.ActivityModel
    community_ids: NDArray[np.int32]
    community_population: NDArray[np.int64]
    community_pupils: NDArray[np.int64]
    syndromic_effects: NDArray[np.float64]

    def checkins_for_day(self, day: int, *, chunk: int = 1_000_000) -> Iterator[pa.RecordBatch]:
        """Stream day ``day``'s check-ins (ordered by person, then time)."""
        return _checkins.checkins_for_day(self.activity, day, self.params.seed, chunk=chunk)

    def syndromic_day(self, day: int) -> pa.Table:
        """Day ``day``'s counts per community and signal."""
        return _syndromic.syndromic_for_day(
            community_ids=self.community_ids,
            population=self.community_population,
            pupils=self.community_pupils,
            effects=self.syndromic_effects,
            start=self.params.start,
            day=day,
            seed=self.params.seed,
        )


def city_epoch(params: CityParams) -> datetime:
    """Local midnight of the first day, timezone-aware."""
    tz = timezone(timedelta(minutes=params.utc_offset_minutes))
    return datetime.combine(params.start, time(0, 0), tzinfo=tz)


def _digits(values: NDArray[np.int64], width: int) -> NDArray[np.uint8]:
    """ASCII digits of non-negative ``values``, zero-padded to ``width`` columns."""
    powers = 10 ** np.arange(width - 1, -1, -1, dtype=np.int64)
    return ((values[:, None] // powers[None, :]) % 10 + ord("0")).astype(np.uint8)


def _strings(chars: NDArray[np.uint8], mask: NDArray[np.bool_] | None = None) -> pa.Array:
    """A string array from an (n, width) matrix of ASCII bytes; ``mask`` marks nulls."""
    n, width = chars.shape
    data = pa.py_buffer(np.ascontiguousarray(chars).tobytes())
    offsets = pa.py_buffer((np.arange(n + 1, dtype=np.int32) * width).tobytes())
    validity = None if mask is None else pa.array(~mask).buffers()[1]
    nulls = 0 if mask is None else int(mask.sum())
    return pa.Array.from_buffers(pa.string(), n, [validity, offsets, data], null_count=nulls)


def _labels(codes: NDArray[np.integer], labels: tuple[str | None, ...]) -> pa.Array:
    """Strings ``labels[code]`` for each code, built through a dictionary array."""
    present = [i for i, v in enumerate(labels) if v is not None]
    remap = np.full(len(labels), -1, dtype=np.int32)
    remap[present] = np.arange(len(present), dtype=np.int32)
    idx = remap[codes]
    indices = pa.array(idx, pa.int32(), mask=idx < 0)
    dictionary = pa.array([labels[i] for i in present], pa.string())
    return pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())


def id_numbers(
    region: NDArray[np.int64],
    birth: NDArray[np.datetime64],
    sex: NDArray[np.int8],
    rng: np.random.Generator,
) -> NDArray[np.uint8]:
    """18-character resident ID numbers (GB 11643-1999) as an ASCII matrix.

    Region (6 digits), birth date (8), sequence (3, odd for men), and the
    ISO 7064 MOD 11-2 check character.
    """
    y = birth.astype("datetime64[Y]").astype(np.int64) + 1970
    months = birth.astype("datetime64[M]")
    m = months.astype(np.int64) % 12 + 1
    d = (birth - months.astype("datetime64[D]")).astype(np.int64) + 1
    seq = rng.integers(0, 500, size=len(sex)) * 2 + sex.astype(np.int64)
    body = np.concatenate(
        [_digits(region, 6), _digits(y, 4), _digits(m, 2), _digits(d, 2), _digits(seq, 3)], axis=1
    )
    check = _ID_CHECK[((body.astype(np.int64) - ord("0")) @ _ID_WEIGHTS) % 11]
    return np.concatenate([body, check[:, None]], axis=1)


def generate_city(params: CityParams, progress: Progress | None = None) -> GeneratedCity:
    """Generate the city described by ``params`` (deterministic for its seed)."""
    params.validate()

    def step(name: str) -> None:
        if progress is not None:
            progress(name)

    rng = np.random.default_rng(params.seed)
    step("areas")
    geo = build_geography(params, rng)
    b_ids = geo.ids("building")
    step("households")
    pop = build_population(
        params.population, b_ids, geo.building_capacity, geo.district_kind_of_building, rng
    )
    step("venues")
    ven = build_venues(params, geo, pop, rng)

    # Residents and households per area, rolled up the hierarchy.
    n_areas = geo.table.num_rows
    population = np.bincount(pop.person_building, minlength=n_areas).astype(np.int64)
    households = np.bincount(pop.household_building, minlength=n_areas).astype(np.int64)
    for lvl in range(5, 0, -1):
        lo, hi = int(geo.first_id[lvl]), int(geo.first_id[lvl] + geo.count[lvl])
        np.add.at(population, geo.parent[lo:hi], population[lo:hi])
        np.add.at(households, geo.parent[lo:hi], households[lo:hi])
    areas = geo.table.set_column(
        geo.table.schema.get_field_index("population"),
        "population",
        pa.array(population.astype(np.int32)),
    ).set_column(
        geo.table.schema.get_field_index("households"),
        "households",
        pa.array(households.astype(np.int32)),
    )

    step("persons")
    n = params.population
    ids = np.arange(n, dtype=np.int64)
    district = geo.ancestor(pop.person_building, "district").astype(np.int64) - geo.first_id[1] + 1
    region = 350100 + district
    start = np.datetime64(params.start, "D")
    birth = start - (pop.age.astype(np.int64) * 36525 // 100 + rng.integers(1, 365, size=n)).astype(
        "timedelta64[D]"
    )
    id_chars = id_numbers(region, birth, pop.sex, rng)
    phone_num = _PHONE_PREFIXES[rng.integers(0, len(_PHONE_PREFIXES), size=n)] * 10**8 + (
        rng.integers(0, 10**8, size=n)
    )
    code_chars = np.concatenate([np.full((n, 1), ord("P"), np.uint8), _digits(ids, 9)], axis=1)
    tiers = tuple(tier_of(f) for f in range(128))
    working_age = (pop.age >= 18) & (pop.age < 60)
    elsewhere = working_age & (rng.random(n) < params.registered_elsewhere_share)
    neighbour = rng.integers(0, max(len(params.neighbour_cities), 1), size=n)
    jurisdiction = np.where(elsewhere, neighbour, -1)
    persons = pa.table(
        {
            "id": pa.array(ids.astype(np.int32)),
            "code": _strings(code_chars),
            "household_id": pa.array(pop.person_household),
            "building_id": pa.array(pop.person_building),
            "age": pa.array(pop.age),
            "sex": _labels(pop.sex, SEXES),
            "occupation": _labels(pop.occupation, OCCUPATIONS),
            "org_venue_id": pa.array(ven.person_org, mask=ven.person_org < 0),
            "group_id": pa.array(ven.person_group, mask=ven.person_group < 0),
            "phone": _strings(_digits(phone_num, 11), mask=pop.age < 12),
            "id_number": _strings(id_chars),
            "special_flags": pa.array(pop.special_flags),
            "special_tier": _labels(pop.special_flags, tiers),
            "home_jurisdiction": _labels(
                np.where(jurisdiction < 0, len(params.neighbour_cities), jurisdiction),
                (*params.neighbour_cities, None),
            ),
        },
        schema=PERSONS,
    )
    households_t = pa.table(
        {
            "id": pa.array(np.arange(len(pop.household_size), dtype=np.int32)),
            "building_id": pa.array(pop.household_building),
            "size": pa.array(pop.household_size),
        },
        schema=HOUSEHOLDS,
    )

    step("activity")
    rel = [geo.first_id[i] for i in (3, 2, 1)]
    person_units = np.stack(
        [
            geo.ancestor(pop.person_building, lvl) - r
            for lvl, r in zip(("community", "street", "district"), rel, strict=True)
        ],
        axis=1,
    ).astype(np.int32)
    venue_units = np.stack(
        [
            geo.ancestor(ven.venue_building, lvl) - r
            for lvl, r in zip(("community", "street", "district"), rel, strict=True)
        ],
        axis=1,
    ).astype(np.int32)
    activity = _checkins.build_activity_model(
        venue_type=ven.venue_type,
        venue_units=venue_units,
        person_units=person_units,
        occupation=pop.occupation,
        age=pop.age,
        org_venue=ven.person_org,
        n_units=(int(geo.count[3]), int(geo.count[2]), int(geo.count[1])),
        start_weekday=params.start.weekday(),
    )
    n_c = int(geo.count[3])
    pupil = (pop.occupation == OCCUPATION["student"]) | (pop.occupation == OCCUPATION["preschool"])
    return GeneratedCity(
        params=params,
        epoch=city_epoch(params),
        areas=areas,
        adjacency=geo.adjacency,
        households=households_t,
        persons=persons,
        groups=ven.groups,
        venues=ven.venues,
        facilities=ven.facilities,
        activity=activity,
        community_ids=geo.ids("community"),
        community_population=np.bincount(person_units[:, 0], minlength=n_c).astype(np.int64),
        community_pupils=np.bincount(person_units[pupil, 0], minlength=n_c).astype(np.int64),
        syndromic_effects=_syndromic.community_effects(n_c, params.seed),
    )
