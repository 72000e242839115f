"""The tracing tests' small city (3,000 persons), with two traced cases."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.tracing.rules import TracingRules
from epicontrol.domains.city.models import Facility
from epicontrol.domains.tracing import service as tracing
from epicontrol.domains.tracing.context import TracingContext
from tests.domains.tracing.conftest import city, confirmed, ctx, day, lake_dir, workers

__all__ = ["city", "ctx", "lake_dir", "traced"]


@pytest.fixture()
def traced(session: Session, ctx: TracingContext) -> list[int]:
    """Two confirmed, traced cases (their contacts are the current investigations').

    The city's 13 quarantine sites get 40 rooms each (2 accessible): at 15 rooms per
    10,000 residents a city of 3,000 has only a handful.
    """
    for site in session.scalars(select(Facility).where(Facility.kind == "quarantine_site")):
        site.rooms, site.accessible_rooms = 40, 2
    session.flush()
    ids = []
    for person in workers(session, 2):
        case = confirmed(ctx, person, onset_day=2, reported=day(ctx, 3, 9))
        done = tracing.investigate(
            session=session, ctx=ctx, case=case, rules=TracingRules(), now=datetime(2030, 1, 1)
        )
        ids.append(done.out.case_id)
    return ids
