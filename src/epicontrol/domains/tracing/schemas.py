"""Pydantic views of tracing: what the CLI prints as JSON and the API returns.

Datetimes in these views are aware, in the city's local time (UTC offset of
the ``cities`` row); the store keeps naive UTC.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal, TypedDict

from pydantic import BaseModel, Field

CaseStatus = Literal["confirmed", "suspected", "asymptomatic"]


class CaseIn(BaseModel):
    """A case to trace.  Naive datetimes are local city time; aware ones are converted."""

    person_id: int
    status: CaseStatus = "confirmed"
    onset: datetime | None = None
    sample: datetime | None = None
    isolated: datetime | None = None
    reported: datetime | None = None
    source: str = Field("cli", max_length=200)


class ContactEntry(TypedDict):
    """One contact as ``trace case --json`` lists it (times local ISO 8601)."""

    person_id: int
    relation: str
    first_exposure: str
    last_exposure: str
    overlap_minutes: int
    venue_id: int | None
    via_person: int | None
    home_community_id: int | None
    priority: int


class InvestigationOut(BaseModel):
    """The records of one traced case: ids, window, rules and contact counts."""

    case_id: int
    person_id: int
    status: CaseStatus
    investigation_id: int
    replaced_investigation_id: int | None
    window_start: datetime
    window_end: datetime
    risk_venues: list[int]
    risk_start: datetime | None
    risk_end: datetime | None
    rules: dict[str, float | int | bool]
    index_version: str
    counts: dict[str, int]
    by_relation: dict[str, dict[str, int]]


class CaseCounts(BaseModel):
    """One case of a batch: its records and contact counts."""

    line: int
    case_id: int
    person_id: int
    investigation_id: int
    replaced_investigation_id: int | None
    counts: dict[str, int]


class BatchOut(BaseModel):
    """A traced batch of cases (``trace run``)."""

    file: str
    cases: list[CaseCounts]
    #: Distinct persons per category over the whole batch (a person reached by
    #: several cases counts once per category) and ``persons`` in any category.
    distinct: dict[str, int]
    index_version: str
    index_built: bool
    seconds: float


class PersonBrief(BaseModel):
    """A person as shown in a report: phone and ID number masked."""

    id: int
    age: int
    sex: str
    occupation: str
    phone: str | None
    id_number: str | None
    community_id: int | None
    community: str
    district: str
    home_jurisdiction: str | None


class Visit(BaseModel):
    """One check-in of the case (the timeline of the report)."""

    venue_id: int
    venue: str
    venue_type: str
    lon: float | None
    lat: float | None
    t_in: datetime
    t_out: datetime
    minutes: int
    contacts: int


class ReportContact(BaseModel):
    """A row of the report's contact table."""

    person_id: int
    relation: str
    first_exposure: datetime
    last_exposure: datetime
    overlap_minutes: int
    venue_id: int | None
    venue: str | None
    via_person: int | None
    age: int
    sex: str
    phone: str | None
    id_number: str | None
    community: str
    home_jurisdiction: str | None
    priority: int


class MapVenue(BaseModel):
    venue_id: int
    name: str
    type: str
    lon: float
    lat: float
    visits: int
    contacts: int


class MapCommunity(BaseModel):
    community_id: int
    name: str
    lon: float
    lat: float
    counts: dict[str, int]


class DayCount(BaseModel):
    """Contacts by category whose first exposure fell on ``date`` (local)."""

    date: str
    counts: dict[str, int]


class CaseReport(BaseModel):
    """一图一表一报告: the case, its timeline and map, its contact table and a summary."""

    generated_at: datetime
    city: str
    case_id: int
    status: CaseStatus
    person: PersonBrief
    onset: datetime | None
    sample: datetime | None
    isolated: datetime | None
    reported: datetime
    source: str
    investigation_id: int
    investigated_at: datetime
    window_start: datetime
    window_end: datetime
    rules: dict[str, float | int | bool]
    index_version: str
    counts: dict[str, int]
    by_relation: dict[str, dict[str, int]]
    per_day: list[DayCount]
    timeline: list[Visit]
    map_venues: list[MapVenue]
    map_communities: list[MapCommunity]
    contacts: dict[str, list[ReportContact]]
    #: The written report in both languages: ``{"zh-CN": ..., "en": ...}``.
    summary: dict[str, str]


class AssistFile(BaseModel):
    """One regional-assistance list written by ``assist export``."""

    destination: str
    kind: Literal["city", "district"]
    path: str
    rows: int
    by_category: dict[str, int]


class AssistExport(BaseModel):
    jurisdiction: str | None
    contacts: int
    files: list[AssistFile]


class AssistMatch(BaseModel):
    """One row of a received list, matched (or not) to a resident."""

    line: int
    status: Literal["matched", "ambiguous", "unmatched"]
    matched_by: Literal["id_number", "phone"] | None
    person_ids: list[int]
    name: str | None
    id_number: str | None
    phone: str | None
    community: str | None
    district: str | None
    #: Most urgent category of the person in this store's current investigations.
    known_contact: str | None


class AssistImport(BaseModel):
    file: str
    sender: str
    sha256: str
    received_before: bool
    rows: int
    matched: int
    ambiguous: int
    unmatched: int
    results: list[AssistMatch]
