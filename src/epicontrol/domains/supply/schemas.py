"""Settings and pydantic views of supply distribution (what the CLI prints as JSON)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field

from ...core.resources.distribution import DEFAULT_STANDARD, Timing


class StandardItem(BaseModel):
    """One item of the per-person-per-day standard."""

    amount: float = Field(ge=0)
    unit: str


class SupplySettings(BaseModel):
    """How the network is derived and the day planned (DESIGN.md §3 defaults).

    The per-person standard is plan 001's (1 mask, 1 kg vegetables, 0.5 kg
    grain, 0.2 kg meat).  Default nodes, when the store has none: one centre on
    the city, a hub per district and a point per community, with throughput a
    share of the residents' baskets (``*_share``), trucks and vans enough to
    move it in two (trucks) or three (vans) trips, and 8 delivery workers per
    point (Fuzhou's community staffing).  Travel times are great-circle km ×
    ``road_factor`` at the vehicle's speed.
    """

    standard: dict[str, StandardItem] = Field(
        default_factory=lambda: {
            k: StandardItem(amount=a, unit=u) for k, (a, u) in DEFAULT_STANDARD.items()
        }
    )
    stage1_hours: float = Field(4.0, gt=0)
    stage2_hours: float = Field(4.0, gt=0)
    handling_hours: float = Field(0.5, ge=0)
    point_hours: float = Field(1.0, ge=0)
    round_hours: float = Field(1.5, gt=0)
    deadline_hours: float = Field(24.0, gt=0)
    time_limit: float = Field(15.0, gt=0)
    #: Hubs of other districts (nearest first) a point may also be served from.
    extra_hubs: int = Field(1, ge=0)
    truck_kmh: float = Field(40.0, gt=0)
    van_kmh: float = Field(25.0, gt=0)
    road_factor: float = Field(1.3, ge=1)
    centre_share: float = Field(0.25, gt=0)
    hub_share: float = Field(0.3, gt=0)
    point_share: float = Field(0.5, gt=0)
    truck_kg: float = Field(5000.0, gt=0)
    van_kg: float = Field(1500.0, gt=0)
    workers_per_point: int = Field(8, ge=0)
    doors_per_round: int = Field(10, ge=1)

    def timing(self) -> Timing:
        return Timing(
            stage1_hours=self.stage1_hours,
            stage2_hours=self.stage2_hours,
            handling_hours=self.handling_hours,
            point_hours=self.point_hours,
            round_hours=self.round_hours,
            deadline_hours=self.deadline_hours,
        )

    def standard_tuples(self) -> dict[str, tuple[float, str]]:
        return {k: (v.amount, v.unit) for k, v in self.standard.items()}


class NodeIn(BaseModel):
    """A supply node as imported (one CSV row)."""

    code: str
    level: Literal["city", "district", "community"]
    area_code: str
    name: str
    capacity_kg: float = Field(ge=0)
    vehicles: int = Field(ge=0)
    vehicle_kg: float = Field(ge=0)
    workers: int = Field(ge=0)
    doors_per_round: int = Field(ge=0)
    lon: float | None = None
    lat: float | None = None


class NodeOut(BaseModel):
    id: int
    code: str
    level: str
    area_id: int
    area_code: str
    name: str
    capacity_kg: float
    vehicles: int
    vehicle_kg: float
    workers: int
    doors_per_round: int
    lon: float | None
    lat: float | None
    source: str


class NodesResult(BaseModel):
    """What an import or a default derivation did."""

    created: int
    updated: int
    unchanged: int
    nodes: int


class PhaseOut(BaseModel):
    name: str
    status: str
    objective: float
    bound: float
    gap: float
    seconds: float


class LegOut(BaseModel):
    tier: int
    from_node: str
    to_node: str
    hours: float
    vehicles: int
    trips: int
    kg: float


class PointOut(BaseModel):
    node: str
    community_id: int
    households_lockdown: int
    served_lockdown: int
    households_control: int
    served_control: int
    rounds: int
    kg: float


class UnservedOut(BaseModel):
    household_id: int
    community_id: int
    node: str | None
    zone_class: str
    size: int
    reason: str


class Coverage(BaseModel):
    households: int
    served: int
    rate: float


class PlanOut(BaseModel):
    """A day's plan: coverage, what it moves, the solver's phases and gap, who is left out."""

    plan_id: int
    day: date
    created_at: datetime
    zone_source: Literal["zones", "areas"]
    zones: int
    lockdown: Coverage
    control: Coverage
    deadline_hours: float
    gap: float
    optimal: bool
    seconds: float
    phases: list[PhaseOut]
    items: dict[str, float]
    unserved_by_reason: dict[str, int]
    legs: list[LegOut]
    points: list[PointOut]
    unserved: list[UnservedOut]
