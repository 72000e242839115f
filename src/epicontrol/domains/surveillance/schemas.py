"""Pydantic views of surveillance records (what the CLI prints as JSON and the API returns)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel


class AlertEventOut(BaseModel):
    """One audited change of an alert."""

    id: int
    at: datetime
    actor: str
    action: str
    from_status: str | None
    to_status: str
    from_level: str | None
    to_level: str
    note: str | None


class AlertOut(BaseModel):
    """An alert with its area, signals, detections, recipients and lifecycle."""

    id: int
    area_id: int
    area_code: str
    area_name: str
    area_name_en: str | None
    level: str
    status: str
    outcome: str | None
    signals: list[str]
    detections: list[dict[str, Any]]
    first_day: int
    last_day: int
    first_date: date
    last_date: date
    window_days: int
    recipients: list[dict[str, Any]]
    message_zh: str
    message_en: str
    data_arrived_at: datetime
    raised_at: datetime
    latency_seconds: float
    #: Whether ``latency_seconds`` meets the early-warning standard (≤ 1 h by default).
    within_standard: bool
    updated_at: datetime
    closed_at: datetime | None
    batch_id: str | None
    version: int
    events: list[AlertEventOut] | None = None


class IngestResult(BaseModel):
    """Outcome of ``surveil ingest``."""

    batch_id: str
    unchanged: bool
    source: str
    rows: int
    series: int
    days: list[int]
    dates: list[date]
    #: Series (area × signal) evaluated by the detectors.
    evaluated_series: int
    alarms: int
    alerts_raised: int
    alerts_updated: int
    alert_ids: list[int]
    received_at: datetime
    committed_at: datetime | None
    evaluated_at: datetime | None
    #: Seconds from the batch's rows being durable in the lake to the alerts stored.
    alert_latency_seconds: float | None
    lake_path: str | None
    detectors: list[dict[str, Any]]
    timings: dict[str, float]


class DetectionRow(BaseModel):
    """One evaluated step of ``surveil detect``."""

    area: str | None
    signal: str | None
    date: date
    count: float
    statistic: float | None
    threshold: float | None
    p_value: float | None
    alarm: bool
