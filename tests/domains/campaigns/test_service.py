"""Campaign service on SQLite and PostgreSQL: plan, save, results, re-test tasks, coverage."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.domains.campaigns import results, service
from epicontrol.domains.campaigns.models import Campaign, CampaignMember, CampaignPool
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tasks.models import Task
from epicontrol.domains.zones.models import Zone

START = datetime(2026, 11, 10, 8, 0)


def count(session: Session, model: type, *where: object) -> int:
    return int(session.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def residents_below(session: Session, area_id: int) -> int:
    """Residents of the buildings below ``area_id``, by walking the hierarchy in SQL rows."""
    rows = session.execute(select(Area.id, Area.parent_id)).all()
    children: dict[int, list[int]] = {}
    for a, p in rows:
        children.setdefault(p, []).append(a)
    stack, below = [area_id], set()
    while stack:
        a = stack.pop()
        below.add(a)
        stack += children.get(a, [])
    return count(session, Person, Person.building_id.in_(below))


def test_plan_and_save_a_round(session: Session, communities: list[int]) -> None:
    areas = communities[:2]
    planned = service.plan(session=session, samplers=10, area_ids=areas, start=START)
    out = planned.out
    assert out.residents == sum(residents_below(session, a) for a in areas)
    assert out.feasible and out.finish is not None and out.finish <= out.deadline
    assert out.start.isoformat() == "2026-11-10T08:00:00+08:00"
    assert sum(s.residents for s in out.sites) == out.residents
    saved = service.save_plan(session=session, planned=planned)
    assert saved.campaign_id is not None and saved.round == 1
    assert saved.next_round is not None and saved.next_round.day == 11
    assert count(session, CampaignPool) == out.pooling.pools
    assert count(session, CampaignMember) == out.residents
    # re-sending the same zone set and start changes nothing
    again = service.save_plan(
        session=session,
        planned=service.plan(session=session, samplers=10, area_ids=areas, start=START),
    )
    assert again.saved_before and again.campaign_id == saved.campaign_id
    assert count(session, Campaign) == 1 and count(session, CampaignMember) == out.residents
    # the next day is round 2 of the same zone set; round 2 again is a conflict
    later = service.plan(
        session=session, samplers=10, area_ids=areas, start=datetime(2026, 11, 11, 8)
    )
    second = service.save_plan(session=session, planned=later)
    assert second.round == 2 and count(session, CampaignMember) == 2 * out.residents
    with pytest.raises(service.CampaignConflict, match="round 2 of this zone set is saved already"):
        service.save_plan(
            session=session,
            planned=service.plan(
                session=session, samplers=10, area_ids=areas, start=datetime(2026, 11, 12)
            ),
            round_no=2,
        )
    listed = service.list_campaigns(session=session)
    assert [c.round for c in listed] == [2, 1]


def _pools(session: Session, campaign_id: int) -> list[tuple[int, int]]:
    return list(  # type: ignore[arg-type]
        session.execute(
            select(CampaignPool.id, CampaignPool.size)
            .where(CampaignPool.campaign_id == campaign_id)
            .order_by(CampaignPool.id)
        ).all()
    )


def test_results_are_idempotent_and_positive_pools_open_retests(
    session: Session, communities: list[int], tmp_path: Path
) -> None:
    planned = service.plan(session=session, samplers=10, area_ids=communities[:1], start=START)
    cid = service.save_plan(session=session, planned=planned).campaign_id
    assert cid is not None
    pools = _pools(session, cid)
    positive_pool, positive_size = pools[3]
    file = tmp_path / "results.csv"
    lines = ["pool_id,result,time"] + [
        f"{pid},{'positive' if pid == positive_pool else 'negative'},2026-11-10T20:00"
        for pid, _ in pools[:-2]
    ]
    file.write_text("\n".join(lines) + "\n")
    done = results.record_results(session=session, path=file)
    assert done.pools_recorded == len(pools) - 2 and done.positive_pools == 1
    assert done.tasks_created == positive_size
    tasks = session.scalars(select(Task).where(Task.kind == "retest")).all()
    assert len(tasks) == positive_size and {t.department for t in tasks} == {"health"}
    assert all((t.due_at - t.triggered_at).total_seconds() == 6 * 3600 for t in tasks)
    # the same file again: nothing new
    again = results.record_results(session=session, path=file)
    assert again.pools_recorded == 0 and again.pools_unchanged == len(pools) - 2
    assert count(session, Task, Task.kind == "retest") == positive_size
    cov = results.coverage(session=session, campaign_id=cid)
    sampled = sum(size for _, size in pools[:-2])
    assert cov.sampled == sampled and cov.residents == planned.out.residents
    assert cov.coverage == pytest.approx(sampled / cov.residents, abs=1e-5)
    assert cov.meets_target == (sampled / cov.residents >= 0.98)
    assert cov.zones[0].area_id == communities[0] and len(cov.rounds) == 1
    # the last two pools and an individual re-test complete the campaign
    member = session.scalars(
        select(CampaignMember.person_id).where(CampaignMember.pool_id == positive_pool)
    ).first()
    rest = tmp_path / "rest.csv"
    rest.write_text(
        "pool_id,result,time,person_id\n"
        + "".join(f"{pid},negative,2026-11-10T21:00,\n" for pid, _ in pools[-2:])
        + f"{positive_pool},positive,2026-11-11T01:00,{member}\n"
    )
    done = results.record_results(session=session, path=rest)
    assert done.pools_recorded == 2 and done.retests_recorded == 1
    cov = results.coverage(session=session, campaign_id=cid)
    assert cov.coverage == 1.0 and cov.meets_target and cov.retests_positive == 1
    assert session.get(Campaign, cid).status == "completed"  # type: ignore[union-attr]


def test_a_bad_results_file_is_rejected_whole(
    session: Session, communities: list[int], tmp_path: Path
) -> None:
    planned = service.plan(session=session, samplers=10, area_ids=communities[:1], start=START)
    cid = service.save_plan(session=session, planned=planned).campaign_id
    pools = _pools(session, cid)  # type: ignore[arg-type]
    file = tmp_path / "bad.csv"
    file.write_text(
        "pool_id,result,time\n"
        f"{pools[0][0]},negative,2026-11-10T20:00\n"
        "99999999,negative,\n"
        f"{pools[1][0]},maybe,\n"
        f"{pools[2][0]},negative,2026-11-01T00:00\n"
        f"{pools[0][0]},positive,\n"
    )
    with pytest.raises(service.CampaignInputError) as info:
        results.record_results(session=session, path=file)
    got = [(e.line, e.field, e.rule) for e in info.value.errors]
    assert (3, "pool_id", "unknown pool") in got
    assert (4, "result", "must be one of negative, positive, invalid") in got
    assert (5, "time", "must not be before the campaign start") in got
    assert (6, "result", "differs from line 2 for this pool") in got
    assert count(session, CampaignPool, CampaignPool.result.is_not(None)) == 0
    header = tmp_path / "header.csv"
    header.write_text("pool,result\n1,negative\n")
    with pytest.raises(service.CampaignInputError, match="pool_id: column is missing"):
        results.record_results(session=session, path=header)


def test_zones_lockdown_is_door_to_door(session: Session, communities: list[int]) -> None:
    compound = session.scalar(
        select(Area.id).where(Area.level == "compound", Area.parent_id == communities[0])
    )
    assert compound is not None
    zone = Zone(
        area_id=compound,
        unit_level="compound",
        level="lockdown",
        status="active",
        level_day=date(2026, 11, 9),
        opened_at=datetime(2026, 11, 9),
        changed_at=datetime(2026, 11, 9),
    )
    session.add(zone)
    session.flush()
    planned = service.plan(session=session, samplers=10, zone_ids=[zone.id], start=START)
    out = planned.out
    assert out.source == "zones" and out.zones == [zone.id] and out.areas == [compound]
    assert [s.kind for s in out.sites] == ["temporary"] and out.sites[0].area_id == compound
    assert out.residents == residents_below(session, compound)
    with pytest.raises(service.CampaignInputError, match="unknown zone id"):
        service.plan(session=session, samplers=10, zone_ids=[zone.id + 100], start=START)


def test_bad_scope(session: Session, communities: list[int]) -> None:
    with pytest.raises(service.CampaignInputError, match="areas: unknown area id"):
        service.plan(session=session, samplers=10, area_ids=[10**7], start=START)
    with pytest.raises(service.CampaignInputError, match="give either areas or zones"):
        service.plan(session=session, samplers=10, area_ids=communities[:1], zone_ids=[1])
