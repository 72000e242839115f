"""Property tests: the engine against the brute-force oracle on tiny random cities."""

from __future__ import annotations

import operator
from functools import partial
from typing import Any

import numpy as np
import pyarrow as pa
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from epicontrol.core.tracing import (
    CaseInput,
    CheckinIndex,
    Registry,
    TracingRules,
    trace,
    venue_contacts,
)

from .oracle import City, Row, oracle

# Times on a 15-minute grid (now and then any minute), so that overlaps and gaps
# often equal the thresholds exactly.
TIME = st.integers(0, 200).map(lambda k: 15 * k) | st.integers(0, 3000)
DURATION = st.integers(1, 40).map(lambda k: 15 * k) | st.integers(1, 600)
THRESHOLD = st.sampled_from([15, 30, 45, 60])
WINDOW = st.integers(-40, 260).map(lambda k: 15 * k) | st.integers(-600, 4000)


@st.composite
def cities(
    draw: st.DrawFn,
    persons: tuple[int, int] = (2, 8),
    stays: tuple[int, int] = (3, 30),
    grouped: bool = False,
) -> City:
    """A few persons and 1–3 venues with stays over ~1.7 days (crossing midnight)."""
    n = draw(st.integers(*persons))
    nv = draw(st.integers(1, 3))
    stay = st.tuples(
        st.integers(0, n - 1),
        st.integers(0, nv - 1),
        TIME.map(lambda t: t % 1800),
        DURATION,
    )
    raw = draw(st.lists(stay, min_size=stays[0], max_size=stays[1]))
    checkins = [(p, v, t, t + d) for p, v, t, d in raw]
    ids = st.sampled_from([-1, 0, 1, 2])
    org = st.sampled_from([-1, 0, 0, nv - 1])
    if grouped:  # everyone in one of two classes/teams of venue 0
        stay = st.tuples(stay.map(lambda s: s[0]), st.just(0), TIME, DURATION)
        raw = draw(st.lists(stay, min_size=stays[0], max_size=stays[1]))
        return City(n, nv, [(p, v, t, t + d) for p, v, t, d in raw],
                    household=[-1] * n,
                    group=draw(st.lists(st.integers(0, 1), min_size=n, max_size=n)),
                    org_venue=[0] * n,
                    group_kind=draw(st.none() | st.just([0, 1, 1])))  # fmt: skip
    return City(
        n_persons=n,
        n_venues=nv,
        checkins=checkins,
        household=draw(st.lists(ids, min_size=n, max_size=n)),
        group=draw(st.lists(ids, min_size=n, max_size=n)),
        org_venue=draw(st.lists(org, min_size=n, max_size=n)),
        group_kind=draw(st.none() | st.lists(st.integers(0, 1), min_size=3, max_size=3)),
    )


rules_st = st.builds(
    TracingRules,
    overlap_minutes=THRESHOLD | st.integers(1, 120),
    general_window_minutes=THRESHOLD | st.sampled_from([0, 1]) | st.integers(0, 120),
    yellow_hours=st.sampled_from([0.05, 0.5, 1.0, 2.5, 4.0]),
    household=st.booleans(),
    groups=st.booleans(),
    secondary=st.booleans(),
)


def build(city: City) -> tuple[CheckinIndex, Registry]:
    p, v, a, b = (np.array(x, dtype=np.int32) for x in zip(*city.checkins, strict=True))
    table = pa.table({"person_id": p, "venue_id": v, "t_in": a, "t_out": b})
    index = CheckinIndex.build([table], n_persons=city.n_persons, n_venues=city.n_venues)
    kind = None if city.group_kind is None else np.array(city.group_kind, np.int8)
    registry = Registry(
        np.array(city.household, np.int32),
        np.array(city.group, np.int32),
        np.array(city.org_venue, np.int32),
        kind,
    )
    return index, registry


def compare(got: pa.Table, want: list[Row]) -> None:
    rows = got.to_pylist()
    key = [(r["category"], r["person_id"]) for r in rows]
    assert key == [(w.category, w.person) for w in want]
    close_cases = {w.person: w.case_ids for w in want if w.category == "close"}
    for r, w in zip(rows, want, strict=True):
        where = f"{w.category} person {w.person}"
        assert r["relation"] == w.relation, where
        assert r["first_exposure"] == w.first, where
        assert r["last_exposure"] == w.last, where
        assert r["overlap_minutes"] == w.overlap, where
        assert r["priority"] == w.priority, where
        if w.category != "secondary":
            assert r["case_ids"] == w.case_ids, where
            assert r["venue_id"] == w.venue, where
            assert r["via_person"] is None, where
            continue
        assert r["case_ids"] == close_cases[r["via_person"]], where
        if w.relation == "household":
            assert (r["venue_id"], r["via_person"]) == (None, w.via), where
        else:
            assert r["venue_id"] == w.venue, where
            assert (r["venue_id"], r["via_person"]) in w.valid_via, where


def check_against_oracle(data: Any, city: City, rules: TracingRules, n_cases: int) -> list[Row]:
    index, registry = build(city)
    ids = data.draw(st.lists(st.integers(0, 99), min_size=n_cases, max_size=n_cases, unique=True))
    cases = []
    for cid in ids:
        person = data.draw(st.integers(0, city.n_persons - 1))
        start = data.draw(WINDOW.filter(lambda t: index.t_min - 600 <= t < index.t_max))
        floor = max(start, index.t_min)
        end = data.draw(WINDOW.filter(partial(operator.lt, floor)))
        cases.append((cid, person, start, end))
    risk = data.draw(st.lists(st.integers(0, city.n_venues - 1), max_size=3, unique=True))
    window = data.draw(st.none() | st.tuples(TIME, DURATION))
    risk_window = None if window is None else (window[0], window[0] + window[1])
    assume(cases or not risk or risk_window is not None)
    until = data.draw(st.none() | WINDOW)

    got = trace(
        index,
        registry,
        [CaseInput(*c) for c in cases],
        rules,
        risk_venues=risk,
        risk_window=risk_window,
        secondary_until=until,
    )
    want = oracle(
        city, cases, rules, risk_venues=risk, risk_window=risk_window, secondary_until=until
    )
    compare(got, want)
    return want


SETTINGS = settings(
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)


@settings(SETTINGS, max_examples=250)
@given(data=st.data(), city=cities(), rules=rules_st)
def test_trace_matches_oracle(data: Any, city: City, rules: TracingRules) -> None:
    """Any rules, 0–3 cases, risk venues and windows, secondary horizons."""
    check_against_oracle(data, city, rules, data.draw(st.sampled_from([0, 1, 1, 2, 3])))


@settings(SETTINGS, max_examples=150)
@given(data=st.data(), city=cities(persons=(8, 14), stays=(15, 45)), rules=rules_st)
def test_trace_matches_oracle_larger(data: Any, city: City, rules: TracingRules) -> None:
    """More persons than close contacts, so that secondary contacts appear."""
    check_against_oracle(data, city, rules, 1)


@settings(SETTINGS, max_examples=100)
@given(data=st.data(), city=cities(stays=(4, 30), grouped=True), rules=rules_st)
def test_trace_matches_oracle_groups(data: Any, city: City, rules: TracingRules) -> None:
    """Classmates and colleagues: everyone in a class or team of one venue, over two days."""
    check_against_oracle(data, city, rules, data.draw(st.sampled_from([1, 2])))


@settings(SETTINGS, max_examples=150)
@given(data=st.data(), city=cities(), rules=rules_st)
def test_venue_contacts_match_oracle_per_case(data: Any, city: City, rules: TracingRules) -> None:
    index, _ = build(city)
    person = data.draw(st.integers(0, city.n_persons - 1))
    start = data.draw(st.integers(index.t_min - 600, index.t_max - 1))
    end = data.draw(st.integers(max(start + 1, index.t_min + 1), start + 3000))
    quiet = TracingRules(
        overlap_minutes=rules.overlap_minutes,
        general_window_minutes=rules.general_window_minutes,
        household=False,
        groups=False,
        secondary=False,
    )
    want = oracle(city, [(5, person, start, end)], quiet)
    got = venue_contacts(index, [CaseInput(5, person, start, end)], quiet).to_pylist()
    close = {(w.person, w.first, w.last, w.overlap, w.venue) for w in want if w.category == "close"}
    assert {
        (
            g["person_id"],
            g["first_exposure"],
            g["last_exposure"],
            g["overlap_minutes"],
            g["venue_id"],
        )
        for g in got
        if g["category"] == "close"
    } == close
    general = {w.person for w in want if w.category == "general"}
    # venue_contacts lists general pairs even for persons also close to the case
    assert {g["person_id"] for g in got if g["category"] == "general"} >= general
    assert all(g["case_id"] == 5 for g in got)
