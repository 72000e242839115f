"""The daily report: the day's figures, zero-reports for every unit, HTML and PDF."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.operations.playbook import DEPARTMENTS
from epicontrol.domains.board import render
from epicontrol.domains.board.report import daily_report
from epicontrol.domains.board.scope import BoardInputError, load_tree
from epicontrol.domains.tracing.models import Contact, Investigation

from .conftest import Scenario


def test_daily_report_counts_the_day(session: Session, scenario: Scenario) -> None:
    s = scenario
    r = daily_report(session=session, day=s.day, at=s.at)
    assert r.new_cases == {"confirmed": 2, "suspected": 0, "asymptomatic": 0}
    distinct = Counter(
        cat
        for cat, _ in set(
            session.execute(
                select(Contact.category, Contact.person_id)
                .join(Investigation, Investigation.id == Contact.investigation_id)
                .where(Investigation.status == "current")
            ).all()
        )
    )
    assert r.contacts == {c: distinct[c] for c in ("close", "secondary", "general", "yellow_code")}
    assert r.alerts.raised == {"blue": 1, "yellow": 1, "orange": 0, "red": 1}
    assert (r.quarantine.assigned, r.quarantine.admitted, r.quarantine.released) == (3, 3, 1)
    assert r.quarantine.held == 2
    assert [(c.campaign_id, c.residents, c.sampled, c.coverage) for c in r.campaigns] == [
        (s.campaign_id, 10, 5, 0.5)
    ]
    assert [t.department for t in r.tasks] == list(DEPARTMENTS)
    tasks = {t.department: t for t in r.tasks}
    # due today: A's 1, 4 and 6 h steps (09:00 + 6 h), B's too (12:00 + 6 h); 24 h steps tomorrow
    assert tasks["health"].due == 6 and tasks["education"].due == 0
    assert tasks["health"].done == 1 + 5  # A's on-site step, all five of B's
    assert tasks["police"].done_late == 2  # A's on-site (100 min) and B's (2 h)
    assert tasks["police"].overdue == 2  # A's trajectory (due 13:00) and venue step (15:00)
    assert r.board.on == s.day


def test_zero_reports_list_every_district_and_community(
    session: Session, scenario: Scenario
) -> None:
    s = scenario
    r = daily_report(session=session, day=s.day, at=s.at)
    tree = load_tree(session)
    districts = set(tree.ids_of("district").tolist())
    communities = set(tree.ids_of("community").tolist())
    listed = Counter((u.level, u.area_id) for u in r.units)
    assert set(listed) == {("district", d) for d in districts} | {
        ("community", c) for c in communities
    }
    assert set(listed.values()) == {1}
    for u in r.units:
        counts = (u.cases, u.contacts, u.alerts, u.zone_changes, u.admissions)
        assert u.zero == (not any(counts))
        assert u.cases == u.confirmed + u.asymptomatic + u.suspected
    unit = {(u.level, u.area_id): u for u in r.units}
    assert unit[("community", s.community_a)].cases == 1
    assert unit[("community", s.community_a)].alerts == 3
    assert unit[("community", s.community_a)].admissions == 3
    assert unit[("community", s.community_b)].cases == 1
    for d in districts:
        mine = [u for u in r.units if u.level == "community" and u.district_id == d]
        for key in ("cases", "contacts", "admissions", "alerts"):
            assert getattr(unit[("district", d)], key) == sum(getattr(u, key) for u in mine)
    if s.community_quiet >= 0:
        assert unit[("community", s.community_quiet)].zero
    assert r.zero_communities == sum(u.zero for u in r.units if u.level == "community")
    # a district comes first, then its communities
    order = [u.district_id for u in r.units]
    assert order == sorted(order, key=order.index)


def test_report_needs_a_city_and_a_past_day(session: Session) -> None:
    from datetime import date

    with pytest.raises(BoardInputError, match="workspace: the store holds no city"):
        daily_report(session=session, day=date(2026, 11, 4))


def test_html_is_self_contained_and_lists_zero_reports(
    session: Session, scenario: Scenario
) -> None:
    s = scenario
    r = daily_report(session=session, day=s.day, at=s.at)
    for lang, zero, title in (("zh-CN", "零报告", r.title_zh), ("en", "zero report", r.title_en)):
        html = render.render_html(r, lang)
        assert title in html
        assert html.count("<svg") == 2
        assert "<script" not in html and "<link" not in html
        assert not re.search(r"(src|href)\s*=", html)
        assert set(re.findall(r"https?://[^\s\"']+", html)) <= {"http://www.w3.org/2000/svg"}
        assert html.count(f'<td class="mark">{zero}</td>') == sum(u.zero for u in r.units)
        for u in r.units:
            assert f'data-area="{u.area_id}"' in html
            assert (u.name if lang == "zh-CN" else u.name_en) in html
    assert "足不出户" not in render.render_html(r, "en")


def test_missing_chromium_is_named(session: Session, scenario: Scenario, tmp_path: Path) -> None:
    r = daily_report(session=session, day=scenario.day, at=scenario.at)
    with pytest.raises(render.ChromiumMissing, match="chromium"):
        render.write_report(r, tmp_path / "out", "en", chromium=tmp_path / "no-chromium")
    assert not (tmp_path / "out").exists()  # nothing written
