"""Vocabulary and Arrow schemas of the city tables.

The same code lists are used by the generator, the importer, the ORM and the
lake, so that an id or a code means one thing everywhere.  Integer ids are
dense and start at 0, so that they index numpy arrays directly; times in the
lake are int32 minutes since the city's epoch.
"""

from __future__ import annotations

from enum import IntFlag
from typing import Final

import pyarrow as pa

#: Area levels, from the top.  The index in this tuple is the level number.
AREA_LEVELS: Final = ("city", "district", "street", "community", "compound", "building")
LEVEL: Final = {name: i for i, name in enumerate(AREA_LEVELS)}

#: District kinds: dense urban district or sparse county / county-level city.
DISTRICT_KINDS: Final = ("urban", "county")

#: Venue types (场所).  Schools, universities, offices and factories are also
#: the organisations that persons belong to (class / team groups).
VENUE_TYPES: Final = (
    "market",
    "mall",
    "restaurant",
    "transport_hub",
    "pharmacy",
    "hospital",
    "school",
    "university",
    "office",
    "factory",
)
VENUE_TYPE: Final = {name: i for i, name in enumerate(VENUE_TYPES)}
#: Venue types that are an organisation persons are members of.
ORG_VENUE_TYPES: Final = ("school", "university", "office", "factory", "hospital")

OCCUPATIONS: Final = (
    "infant",
    "preschool",
    "student",
    "university_student",
    "office_worker",
    "factory_worker",
    "service_worker",
    "health_worker",
    "retired",
    "unemployed",
)
OCCUPATION: Final = {name: i for i, name in enumerate(OCCUPATIONS)}

SEXES: Final = ("F", "M")

FACILITY_KINDS: Final = ("hospital", "quarantine_site", "lab", "sampling_site")
HOSPITAL_KINDS: Final = ("designated", "general", "county")

GROUP_KINDS: Final = ("class", "team")

SIGNALS: Final = ("fever_clinic", "pharmacy_fever_drug", "school_absence")

TIERS: Final = ("red", "yellow", "green")


class SpecialFlag(IntFlag):
    """Special-population flags (红黄绿台账); a person may carry several."""

    DIALYSIS = 1
    PREGNANCY = 2
    CANCER_THERAPY = 4
    LIVING_ALONE_ELDERLY = 8
    DISABLED = 16
    CHRONIC_DISEASE = 32
    OTHER_NEEDS = 64


RED_FLAGS: Final = SpecialFlag.DIALYSIS | SpecialFlag.PREGNANCY | SpecialFlag.CANCER_THERAPY
YELLOW_FLAGS: Final = (
    SpecialFlag.LIVING_ALONE_ELDERLY | SpecialFlag.DISABLED | SpecialFlag.CHRONIC_DISEASE
)
GREEN_FLAGS: Final = SpecialFlag.OTHER_NEEDS


def tier_of(flags: int) -> str | None:
    """Ledger tier of a flag set: red beats yellow beats green; ``None`` if no flag."""
    if flags & RED_FLAGS:
        return "red"
    if flags & YELLOW_FLAGS:
        return "yellow"
    if flags & GREEN_FLAGS:
        return "green"
    return None


AREAS: Final = pa.schema(
    [
        ("id", pa.int32()),
        ("code", pa.string()),
        ("level", pa.string()),
        ("parent_id", pa.int32()),
        ("name", pa.string()),
        ("name_en", pa.string()),
        ("kind", pa.string()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
        ("population", pa.int32()),
        ("households", pa.int32()),
    ]
)

ADJACENCY: Final = pa.schema([("area_a", pa.int32()), ("area_b", pa.int32())])

HOUSEHOLDS: Final = pa.schema(
    [("id", pa.int32()), ("building_id", pa.int32()), ("size", pa.int16())]
)

PERSONS: Final = pa.schema(
    [
        ("id", pa.int32()),
        ("code", pa.string()),
        ("household_id", pa.int32()),
        ("building_id", pa.int32()),
        ("age", pa.int16()),
        ("sex", pa.string()),
        ("occupation", pa.string()),
        ("org_venue_id", pa.int32()),
        ("group_id", pa.int32()),
        ("phone", pa.string()),
        ("id_number", pa.string()),
        ("special_flags", pa.int16()),
        ("special_tier", pa.string()),
        ("home_jurisdiction", pa.string()),
    ]
)

GROUPS: Final = pa.schema(
    [("id", pa.int32()), ("venue_id", pa.int32()), ("kind", pa.string()), ("label", pa.string())]
)

VENUES: Final = pa.schema(
    [
        ("id", pa.int32()),
        ("code", pa.string()),
        ("type", pa.string()),
        ("name", pa.string()),
        ("building_id", pa.int32()),
        ("capacity", pa.int32()),
        ("lon", pa.float64()),
        ("lat", pa.float64()),
    ]
)

FACILITIES: Final = pa.schema(
    [
        ("id", pa.int32()),
        ("code", pa.string()),
        ("kind", pa.string()),
        ("subtype", pa.string()),
        ("name", pa.string()),
        ("building_id", pa.int32()),
        ("venue_id", pa.int32()),
        ("beds", pa.int32()),
        ("icu_beds", pa.int32()),
        ("rooms", pa.int32()),
        ("accessible_rooms", pa.int32()),
        ("tests_per_day", pa.int32()),
        ("samples_per_hour", pa.int32()),
    ]
)

#: Lake: one row per venue check-in (场所码扫码), minutes since the epoch.
CHECKINS: Final = pa.schema(
    [
        ("person_id", pa.int32()),
        ("venue_id", pa.int32()),
        ("t_in", pa.int32()),
        ("t_out", pa.int32()),
    ]
)

#: Lake: daily syndromic counts per community and signal; the day is the
#: partition key (``day=<d>``), so it is not repeated inside the files.
SYNDROMIC: Final = pa.schema(
    [("area_id", pa.int32()), ("signal", pa.string()), ("count", pa.int32())]
)
