"""The per-case report 一图一表一报告: JSON contents and the HTML page."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import numpy as np
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from epicontrol.core.tracing.rules import TracingRules
from epicontrol.domains.city.models import Person
from epicontrol.domains.tracing import service
from epicontrol.domains.tracing.context import TracingContext
from epicontrol.domains.tracing.report import build_report, render_html, write_report
from epicontrol.domains.tracing.schemas import CaseReport

from .conftest import confirmed, workers

CATEGORIES = ("close", "secondary", "general", "yellow_code")


@pytest.fixture()
def traced(session: Session, ctx: TracingContext) -> tuple[int, int]:
    pid = workers(session, 1)[0]
    result = service.investigate(
        session=session, ctx=ctx, case=confirmed(ctx, pid), rules=TracingRules()
    ).out
    return result.case_id, pid


def test_report_contents(session: Session, ctx: TracingContext, traced: tuple[int, int]) -> None:
    case_id, pid = traced
    report = build_report(session=session, lake=ctx.lake, case_id=case_id)
    inv = service.current_investigation(session=session, case_id=case_id)
    assert report.investigation_id == inv.id and report.person.id == pid
    assert report.counts == {
        "close": inv.n_close,
        "secondary": inv.n_secondary,
        "general": inv.n_general,
        "yellow_code": inv.n_yellow_code,
    }
    assert {c: len(report.contacts[c]) for c in CATEGORIES} == report.counts
    assert sum(sum(d.counts.values()) for d in report.per_day) == sum(report.counts.values())
    assert report.by_relation["close"].get("household", 0) >= 1

    # the timeline is the case's check-ins in the window, in time order
    t0 = ctx.clock.minutes(report.window_start)
    t1 = ctx.clock.minutes(report.window_end)
    venues, t_in, _ = ctx.index.of_person(pid, t0, t1)
    assert [v.venue_id for v in report.timeline] == [int(v) for v in venues[np.argsort(t_in)]]
    assert all(a.t_in <= b.t_in for a, b in zip(report.timeline, report.timeline[1:], strict=False))
    assert all(v.minutes > 0 and v.t_out > v.t_in for v in report.timeline)
    assert sum(v.contacts for v in report.timeline) > 0
    visited = {v.venue_id for v in report.timeline}
    assert visited <= {m.venue_id for m in report.map_venues}
    assert all(m.visits > 0 for m in report.map_venues if m.venue_id in visited)
    homes = {c.community for cat in CATEGORIES for c in report.contacts[cat]}
    assert len(report.map_communities) == len(homes)

    # phones and ID numbers are masked everywhere
    person = session.get(Person, pid)
    assert person is not None and person.phone and person.id_number
    assert report.person.phone == person.phone[:3] + "****" + person.phone[-4:]
    assert report.person.id_number is not None and "********" in report.person.id_number
    rows = [c for cat in CATEGORIES for c in report.contacts[cat]]
    assert all(c.id_number is None or "*" in c.id_number for c in rows)
    assert all(c.phone is None or "****" in c.phone for c in rows)

    # the written report in both languages
    zh, en = report.summary["zh-CN"], report.summary["en"]
    assert f"病例 {case_id}" in zh and f"密接 {report.counts['close']} 人" in zh
    assert f"case {case_id}" in en and f"{report.counts['close']} close contacts" in en
    assert "1+4+6+24" in zh and "1+4+6+24" in en
    assert "household" in en and "同住" in zh


def test_report_files(
    session: Session, ctx: TracingContext, traced: tuple[int, int], tmp_path: Path
) -> None:
    case_id, pid = traced
    report = build_report(
        session=session, lake=ctx.lake, case_id=case_id, now=datetime(2026, 11, 6, 1, 0)
    )
    json_path, html_path = write_report(report, tmp_path / "out", "en")
    assert json_path.name == f"case-{case_id}.json" and html_path.name == f"case-{case_id}.html"
    loaded = CaseReport.model_validate(json.loads(json_path.read_text(encoding="utf-8")))
    assert loaded == report
    html = html_path.read_text(encoding="utf-8")
    assert f"Case {case_id}: tracing report" in html
    assert report.summary["en"].split(".")[0] in html
    assert html.count("<svg") == 3 and "<circle" in html and "<rect" in html
    for category in ("Close contacts", "Secondary contacts", "General contacts", "Yellow code"):
        assert category in html
    # no whole phone number of the case or of any contact leaks into the page
    ids = [pid] + [c.person_id for cat in CATEGORIES for c in report.contacts[cat]]
    phones = session.scalars(select(Person.phone).where(Person.id.in_(ids[:500]))).all()
    assert not [p for p in phones if p and p in html]
    assert "http" not in html.replace("http-equiv", "")  # self-contained, nothing fetched

    zh = render_html(report, "zh-CN")
    assert f"病例 {case_id} 流调报告" in zh and "一表：接触者名单" in zh
    assert report.summary["zh-CN"][:20] in zh


def test_report_needs_a_traced_case(session: Session, ctx: TracingContext) -> None:
    with pytest.raises(service.NotFoundError, match="case 424242 does not exist"):
        build_report(session=session, lake=ctx.lake, case_id=424242)
