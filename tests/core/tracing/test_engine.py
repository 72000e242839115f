"""The tracing engine on a hand-made city (every rule at its exact boundary) and its errors."""

from __future__ import annotations

from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pytest

from epicontrol.core.city.generator import generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.core.tracing import (
    CONTACT_SCHEMA,
    CaseInput,
    CheckinIndex,
    Registry,
    TracingRules,
    trace,
    venue_contacts,
)

# person, venue, t_in, t_out — case A is person 0, window [1000, 4000)
CHECKINS = [
    (0, 0, 1500, 1800),  # the case at school (venue 0), day 1
    (2, 0, 1600, 2000),  # classmate, same day
    (0, 1, 2000, 2100),  # the case at a restaurant (venue 1)
    (3, 1, 2085, 2200),  # overlap exactly 15 -> close
    (4, 1, 2086, 2200),  # overlap 14 -> general
    (5, 1, 2160, 2300),  # gap exactly 60 -> general
    (6, 1, 2161, 2300),  # gap 61 -> not first-order
    (3, 2, 3000, 3100),  # close contact 3 later at venue 2 ...
    (7, 2, 2900, 3015),  # ... meets 7 for exactly 15 minutes -> secondary
    (9, 3, 1000, 1240),  # 240 min in risk venue 3 -> yellow code
    (10, 3, 1500, 1739),  # 239 min -> no
]
HOUSEHOLD = [10, 10, -1, 11, -1, -1, -1, -1, 11, -1, -1]
GROUP = [0, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1]
ORG = [0, -1, 0, -1, -1, -1, -1, -1, -1, -1, -1]
CASE = CaseInput(case_id=42, person_id=0, window_start=1000, window_end=4000)
T_MAX = 3100


def make_index(rows: list[tuple[int, int, int, int]], n_persons: int = 11) -> CheckinIndex:
    p, v, a, b = (np.array(x, dtype=np.int32) for x in zip(*rows, strict=True))
    table = pa.table({"person_id": p, "venue_id": v, "t_in": a, "t_out": b})
    return CheckinIndex.build([table], n_persons=n_persons, n_venues=4)


@pytest.fixture(scope="module")
def index() -> CheckinIndex:
    return make_index(CHECKINS)


@pytest.fixture(scope="module")
def registry() -> Registry:
    return Registry(
        np.array(HOUSEHOLD, np.int32),
        np.array(GROUP, np.int32),
        np.array(ORG, np.int32),
        np.array([0], np.int8),
    )


def rows(table: pa.Table) -> list[tuple[Any, ...]]:
    return [tuple(r.values()) for r in table.to_pylist()]


EXPECTED = [
    # person, category, relation, case_ids, first, last, overlap, venue, via, priority
    (1, "close", "household", [42], 1000, 4000, 3000, None, None, 1),
    (2, "close", "classmate", [42], 1600, 1800, 400, None, None, 2),  # 200 class + 200 venue
    (3, "close", "venue", [42], 2085, 2100, 15, 1, None, 2),
    (4, "secondary", "venue", [42], 2086, 2200, 114, 1, 3, 3),
    (5, "secondary", "venue", [42], 2160, 2200, 40, 1, 3, 3),
    (6, "secondary", "venue", [42], 2161, 2200, 39, 1, 3, 3),
    (7, "secondary", "venue", [42], 3000, 3015, 15, 2, 3, 3),
    (8, "secondary", "household", [42], 2085, T_MAX, T_MAX - 2085, None, 3, 3),
    (4, "general", "venue", [42], 2086, 2100, 14, 1, None, 5),
    (5, "general", "venue", [42], 2100, 2160, 0, 1, None, 5),
    (9, "yellow_code", "venue", [], 1000, 1240, 240, 3, None, 4),
]


def test_every_rule_at_its_boundary(index: CheckinIndex, registry: Registry) -> None:
    got = trace(index, registry, [CASE], TracingRules(), risk_venues=[3])
    assert got.schema == CONTACT_SCHEMA
    assert rows(got) == EXPECTED


def test_switches_and_thresholds(index: CheckinIndex, registry: Registry) -> None:
    no_hh = trace(index, registry, [CASE], TracingRules(household=False))
    assert {(r[0], r[1]) for r in rows(no_hh)} == {
        (2, "close"), (3, "close"), (4, "secondary"), (5, "secondary"), (6, "secondary"),
        (7, "secondary"), (4, "general"), (5, "general"),
    }  # fmt: skip
    no_groups = rows(trace(index, registry, [CASE], TracingRules(groups=False)))
    assert no_groups[1] == (2, "close", "venue", [42], 1600, 1800, 200, 0, None, 2)
    no_secondary = rows(trace(index, registry, [CASE], TracingRules(secondary=False)))
    assert [r[1] for r in no_secondary] == ["close"] * 3 + ["general"] * 2
    stricter = rows(trace(index, registry, [CASE], TracingRules(overlap_minutes=16)))
    assert (3, "general", "venue", [42], 2085, 2100, 15, 1, None, 5) in stricter
    wider = rows(trace(index, registry, [CASE], TracingRules(general_window_minutes=61)))
    assert (6, "general", "venue", [42], 2100, 2161, 0, 1, None, 5) in wider
    yellow = rows(
        trace(index, registry, [CASE], TracingRules(yellow_hours=239 / 60), risk_venues=[3])
    )
    assert [r[0] for r in yellow if r[1] == "yellow_code"] == [9, 10]


def test_secondary_horizon_and_risk_window(index: CheckinIndex, registry: Registry) -> None:
    got = rows(trace(index, registry, [CASE], TracingRules(), secondary_until=3010))
    sec = {r[0]: r for r in got if r[1] == "secondary"}
    assert 7 not in sec  # 3's stay cut at 3010 meets 7 for only 10 minutes
    assert sec[8][4:7] == (2085, 3010, 3010 - 2085)
    risk = rows(
        trace(index, registry, [], TracingRules(), risk_venues=[3], risk_window=(1100, 1800))
    )
    assert risk == []  # 140 and 239 minutes in the window: under 4 hours
    assert rows(trace(index, registry, [], TracingRules(yellow_hours=2), risk_venues=[3],
                      risk_window=(1100, 1800))) == [
        (9, "yellow_code", "venue", [], 1100, 1240, 140, 3, None, 4),
        (10, "yellow_code", "venue", [], 1500, 1739, 239, 3, None, 4),
    ]  # fmt: skip


def test_several_cases_merge_links(index: CheckinIndex, registry: Registry) -> None:
    second = CaseInput(case_id=7, person_id=6, window_start=2000, window_end=2400)
    got = {(r[0], r[1]): r for r in rows(trace(index, registry, [CASE, second], TracingRules()))}
    # 6 is now a case: its contacts 3, 4, 5 (venue 1) are close to both cases -> priority 1
    assert got[(3, "close")][3] == [7, 42] and got[(3, "close")][9] == 1
    assert got[(5, "close")][3] == [7]  # 5 met case 42 only as general: close wins
    assert (5, "general") not in got
    assert (6, "close") not in got  # a case is not its own contact, and 6 met case 42 too briefly
    assert all(r[0] != 6 for k, r in got.items() if k[1] in ("secondary", "yellow_code"))


def test_progress_reports_cases_done(index: CheckinIndex, registry: Registry) -> None:
    seen: list[int] = []
    cases = [CaseInput(i, i % 11, 1000, 3000) for i in range(5)]
    trace(index, registry, cases, TracingRules(), progress=seen.append, threads=2)
    assert seen == sorted(seen) and seen[-1] == 5


def test_venue_contacts(index: CheckinIndex) -> None:
    got = venue_contacts(index, [CASE], TracingRules()).to_pylist()
    assert [(r["person_id"], r["category"]) for r in got] == [
        (2, "close"), (3, "close"), (4, "general"), (5, "general"),
    ]  # fmt: skip
    assert got[1] == {
        "case_id": 42, "person_id": 3, "category": "close", "first_exposure": 2085,
        "last_exposure": 2100, "overlap_minutes": 15, "venue_id": 1,
    }  # fmt: skip
    assert len(venue_contacts(index, [CASE], TracingRules(), general=False)) == 2


@pytest.mark.parametrize(
    ("case", "message"),
    [
        (CaseInput(1, 11, 1000, 2000), r"cases\[0\] \(case_id 1\): person_id 11 is not a known"),
        (CaseInput(1, -1, 1000, 2000), "person_id -1 is not a known person"),
        (CaseInput(1, 0, 2000, 2000), r"window_end \(2000\) must be after window_start"),
        (CaseInput(1, 0, 3100, 5000), r"outside the index's time range \[1000, 3100\)"),
        (CaseInput(1, 0, 0, 1000), "outside the index's time range"),
        (CaseInput(1, 0, 1.5, 2000), "window_start must be an integer"),  # type: ignore[arg-type]
    ],
)
def test_bad_cases(index: CheckinIndex, registry: Registry, case: CaseInput, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        trace(index, registry, [case], TracingRules())


def test_bad_batches(index: CheckinIndex, registry: Registry) -> None:
    with pytest.raises(ValueError, match="case_id 42 appears more than once"):
        trace(index, registry, [CASE, CASE], TracingRules())
    with pytest.raises(ValueError, match="risk_venues: 4 is not a known venue"):
        trace(index, registry, [CASE], TracingRules(), risk_venues=[4])
    with pytest.raises(ValueError, match="risk_window is required"):
        trace(index, registry, [], TracingRules(), risk_venues=[3])
    with pytest.raises(ValueError, match=r"risk_window: end \(5\) must be after start \(9\)"):
        trace(index, registry, [CASE], TracingRules(), risk_venues=[3], risk_window=(9, 5))
    with pytest.raises(ValueError, match="overlap_minutes must be between 1 and 1440"):
        trace(index, registry, [CASE], TracingRules(overlap_minutes=0))
    with pytest.raises(ValueError, match=r"registry.household must have one entry per person"):
        short = Registry(np.zeros(3, np.int32), np.zeros(11, np.int32), np.zeros(11, np.int32))
        trace(index, short, [CASE], TracingRules())
    with pytest.raises(ValueError, match=r"registry.org_venue\[2\] = 9 is not a known venue"):
        org = np.array([0, -1, 9] + [-1] * 8, np.int32)
        trace(index, Registry(np.full(11, -1, np.int32), np.full(11, -1, np.int32), org), [CASE],
              TracingRules())  # fmt: skip
    with pytest.raises(ValueError, match=r"registry\.group must hold integer ids"):
        Registry(np.zeros(11, np.int32), np.zeros(11), np.zeros(11, np.int32))  # type: ignore[arg-type]
    assert trace(index, registry, [], TracingRules()).num_rows == 0


def test_registry_from_city_tables() -> None:
    city = generate_city(CityParams(population=2_000, days=1, seed=3))
    reg = Registry.from_arrow(city.persons, city.groups)
    assert len(reg.household) == 2_000 and reg.group_kind is not None
    with_group = reg.group >= 0
    assert (reg.org_venue[with_group] >= 0).all()
    kinds = dict(zip(city.groups["id"].to_pylist(), city.groups["kind"].to_pylist(), strict=True))
    g = int(reg.group[with_group][0])
    assert reg.group_kind[g] == (0 if kinds[g] == "class" else 1)


def test_first_order_pairs_equal_a_duckdb_self_join() -> None:
    """On a generated city, the close venue pairs are those of the SQL interval join."""
    city = generate_city(CityParams(population=3_000, days=2, seed=5))
    table = pa.concat_tables(
        pa.Table.from_batches(list(city.checkins_for_day(d))) for d in range(2)
    )
    index = CheckinIndex.build([table], n_persons=3_000, n_venues=city.venues.num_rows)
    rng = np.random.default_rng(2)
    cases = [
        CaseInput(i, int(p), int(s), int(s) + 1440)
        for i, (p, s) in enumerate(zip(rng.choice(3_000, 40, replace=False),
                                       rng.integers(0, 1440, 40), strict=True))
    ]  # fmt: skip
    got = venue_contacts(index, cases, TracingRules(), general=False)
    cases_t = pa.table(
        {
            "case_id": [c.case_id for c in cases],
            "person_id": [c.person_id for c in cases],
            "ws": [c.window_start for c in cases],
            "we": [c.window_end for c in cases],
        }
    )
    con = duckdb.connect()
    con.register("checkins", table)
    con.register("cases", cases_t)
    want = con.sql(
        """
        WITH cc AS (SELECT k.case_id, c.person_id, c.venue_id,
                           greatest(c.t_in, k.ws) AS a, least(c.t_out, k.we) AS b
                    FROM checkins c JOIN cases k USING (person_id)
                    WHERE c.t_out > k.ws AND c.t_in < k.we)
        SELECT cc.case_id, o.person_id, min(greatest(cc.a, o.t_in)) AS first,
               sum(least(cc.b, o.t_out) - greatest(cc.a, o.t_in)) AS overlap
        FROM cc JOIN checkins o ON o.venue_id = cc.venue_id AND o.person_id <> cc.person_id
        WHERE least(cc.b, o.t_out) - greatest(cc.a, o.t_in) >= 15
        GROUP BY ALL ORDER BY ALL
        """
    ).fetchall()
    mine = sorted(
        zip(
            got["case_id"].to_pylist(), got["person_id"].to_pylist(),
            got["first_exposure"].to_pylist(), got["overlap_minutes"].to_pylist(), strict=True,
        )
    )  # fmt: skip
    assert len(mine) > 1000
    assert mine == [tuple(int(x) for x in r) for r in want]
