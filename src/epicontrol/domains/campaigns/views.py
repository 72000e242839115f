"""``/api/campaigns``: testing campaigns (mass PCR testing of delimited areas)."""

from __future__ import annotations

from fastapi import APIRouter

from ...api.auth import CurrentUser
from ...api.deps import DbSession, PageDep, PathId
from ...api.pagination import Paged
from . import service
from .schemas import CampaignRow, PlanOut

router = APIRouter(prefix="/api/campaigns", tags=["campaigns"])


@router.get("")
def list_campaigns(session: DbSession, _viewer: CurrentUser, page: PageDep) -> Paged[CampaignRow]:
    """Campaigns, newest first."""
    try:
        rows = service.list_campaigns(session=session)
    except service.CampaignConflict:  # no city yet: no campaigns
        rows = []
    items = rows[page.offset : page.offset + page.limit]
    return Paged[CampaignRow](items=items, total=len(rows), limit=page.limit, offset=page.offset)


@router.get("/{campaign_id}", responses={404: {"description": "No such campaign"}})
def get_campaign(campaign_id: PathId, session: DbSession, _viewer: CurrentUser) -> PlanOut:
    """The saved plan of a campaign: sites, labs, pooling, shortfalls."""
    return service.get_plan(session=session, campaign_id=campaign_id)
