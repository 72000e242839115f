"""Pydantic views of campaigns: what ``epicontrol testing --json`` prints.

Datetimes are aware, in the city's local time; the store keeps naive UTC.
"""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel


class SiteOut(BaseModel):
    """A sampling site of the plan: fixed (a facility) or a temporary point in a unit."""

    site_no: int
    kind: str
    facility_id: int | None
    area_id: int | None
    name: str
    residents: int
    samples_per_hour: int
    samplers: int
    on_duty: list[int]
    pools: int
    start: datetime | None
    finish: datetime | None


class LabOut(BaseModel):
    """A lab's share of the campaign."""

    facility_id: int
    name: str
    tests_per_day: int
    capacity: int
    retest_reserve: int
    pools: int
    mean_transport_minutes: float | None
    first_arrival: datetime | None
    finish: datetime | None


class Shortfall(BaseModel):
    """What is missing to finish by the deadline (zeros when the plan is feasible)."""

    samplers_available: int
    samplers_needed: int
    samplers_short: int
    residents_unsampled: int
    lab_tests_short: int
    pools_late: int
    pools_untested: int


class PoolingOut(BaseModel):
    """Pooling figures of the plan (Dorfman two-stage)."""

    pool_size: int
    pools: int
    mean_pool_size: float
    prevalence: float
    tests_per_person: float
    recall: float
    expected_retests: float
    expected_tests: float


class PlanOut(BaseModel):
    """A campaign plan: sites, shifts, pools, labs, the schedule and any shortfall."""

    campaign_id: int | None = None
    round: int | None = None
    saved_before: bool = False
    source: str
    areas: list[int]
    zones: list[int] | None
    residents: int
    start: datetime
    deadline: datetime
    sampling_finish: datetime | None
    finish: datetime | None
    feasible: bool
    next_round: datetime | None
    sites: list[SiteOut]
    labs: list[LabOut]
    shortfall: Shortfall
    pooling: PoolingOut
    seconds: dict[str, float]


class ResultsOut(BaseModel):
    """What a results file changed."""

    rows: int
    pools_recorded: int
    pools_unchanged: int
    positive_pools: int
    retests_recorded: int
    retests_unchanged: int
    tasks_created: int
    campaigns: list[int]


class CoverageRow(BaseModel):
    """Coverage of one zone (requested area) or one round."""

    area_id: int | None = None
    name: str | None = None
    round: int | None = None
    campaign_id: int | None = None
    residents: int
    sampled: int
    coverage: float
    meets_target: bool


class CoverageOut(BaseModel):
    """Coverage of a campaign per zone, and of every round of its zone set."""

    campaign_id: int
    round: int
    target: float
    residents: int
    sampled: int
    coverage: float
    meets_target: bool
    positive_pools: int
    retests_done: int
    retests_positive: int
    zones: list[CoverageRow]
    rounds: list[CoverageRow]


class CampaignRow(BaseModel):
    """A campaign in ``testing list``."""

    campaign_id: int
    round: int
    status: str
    areas: list[int]
    zones: list[int] | None
    residents: int
    pools: int
    sites: int
    start: datetime
    deadline: datetime
    finish: datetime | None
    feasible: bool
    next_round: datetime | None
