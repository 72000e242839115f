"""Collect the routers: auth, audit, users and every domain's ``views.py``."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from pydantic import BaseModel

from ..domains.campaigns import views as campaigns_views
from ..domains.city import views as city_views
from ..domains.quarantine import views as quarantine_views
from ..domains.surveillance import views as surveillance_views
from ..domains.tasks import views as tasks_views
from ..domains.tracing import views as tracing_views
from ..domains.zones import views as zones_views
from . import audit, board, users_views


class HealthOut(BaseModel):
    status: str
    database: str


health = APIRouter(prefix="/api", tags=["meta"])


@health.get("/health")
def get_health() -> HealthOut:
    """Liveness (no authentication)."""
    return HealthOut(status="ok", database="configured")


def include_routers(app: FastAPI) -> None:
    """Add every router of the API to ``app``."""
    app.include_router(health)
    app.include_router(audit.router)
    app.include_router(board.router)
    app.include_router(users_views.router)
    for module in (
        city_views,
        tracing_views,
        surveillance_views,
        zones_views,
        tasks_views,
        quarantine_views,
        campaigns_views,
    ):
        app.include_router(module.router)
