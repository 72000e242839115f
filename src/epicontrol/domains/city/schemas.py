"""Pydantic views of the city (what the CLI prints as JSON and the API returns)."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class CityOut(BaseModel):
    name: str
    name_en: str
    epoch: datetime
    timezone: str
    source: str
    seed: int | None
    days: int


class DistrictSummary(BaseModel):
    id: int
    code: str
    name: str
    name_en: str | None
    kind: str | None
    population: int
    households: int
    streets: int
    communities: int
    buildings: int
    venues: int


class ProvisionRow(BaseModel):
    """One district against one standard (per 10 000 residents)."""

    district_id: int
    district: str
    district_en: str | None
    population: int
    measure: str
    capacity: int
    per_10k: float | None
    standard_per_10k: float
    required: int
    shortfall: int


class CitySummary(BaseModel):
    city: CityOut
    population: int
    households: int
    areas: dict[str, int]
    venues: dict[str, int]
    facilities: dict[str, int]
    special_tiers: dict[str, int]
    districts: list[DistrictSummary]
    provision: list[ProvisionRow]


class PersonOut(BaseModel):
    """A person as shown to a user; phone and ID number masked unless revealed."""

    id: int
    code: str
    household_id: int
    building_id: int
    building: str
    community: str
    age: int
    sex: str
    occupation: str
    org_venue_id: int | None
    group_id: int | None
    phone: str | None
    id_number: str | None
    special_flags: list[str]
    special_tier: str | None
    masked: bool


class WriteCounts(BaseModel):
    """Rows written per table."""

    areas: int
    adjacency: int
    households: int
    persons: int
    groups: int
    venues: int
    facilities: int
