"""Case records: one transaction per case, replaced on re-run, bad input rejected."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pyarrow as pa
import pytest
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from epicontrol.core.city.generator import GeneratedCity
from epicontrol.core.tracing.rules import TracingRules
from epicontrol.domains.city import service as city_service
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing import service
from epicontrol.domains.tracing.context import (
    CheckinError,
    Clock,
    TracingContext,
    ensure_index,
    index_root,
    open_context,
    parse_when,
)
from epicontrol.domains.tracing.models import Case, Contact, Investigation
from epicontrol.domains.tracing.schemas import CaseIn
from epicontrol.store import lake
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade
from tests.conftest import fresh_database_url

from .conftest import DAYS, confirmed, day, workers

RULES = TracingRules()


def count(session: Session, model: type) -> int:
    return int(session.scalar(select(func.count()).select_from(model)) or 0)


def test_clock_round_trips_and_parses(ctx: TracingContext) -> None:
    clock = ctx.clock
    epoch_local = clock.local(0)
    assert epoch_local.utcoffset() == timedelta(hours=8) and epoch_local.hour == 0
    assert clock.minutes(day(ctx, 1, 9)) == 1440 + 9 * 60
    assert clock.minutes(clock.local(777)) == 777
    assert clock.to_utc(day(ctx, 0)) == clock.epoch_utc
    assert clock.utc_text(pa.array([0, 61]).to_numpy()).to_pylist() == [
        clock.epoch_utc.strftime("%Y-%m-%d %H:%M:%S.000000"),
        (clock.epoch_utc + timedelta(minutes=61)).strftime("%Y-%m-%d %H:%M:%S.000000"),
    ]
    assert parse_when("2026-11-05") == parse_when("2026-11-05T00:00")
    with pytest.raises(ValueError, match="must be an ISO date"):
        parse_when("05/11/2026")


def test_investigate_writes_case_investigation_and_contacts(
    session: Session, ctx: TracingContext
) -> None:
    pid = workers(session, 1)[0]
    done = service.investigate(session=session, ctx=ctx, case=confirmed(ctx, pid), rules=RULES)
    result, entries = done.out, service.contact_entries(done.contacts, ctx)
    assert count(session, Case) == 1 and count(session, Investigation) == 1
    total = sum(result.counts.values())
    assert total > 0 and count(session, Contact) == total
    assert result.replaced_investigation_id is None
    # the window: two days before onset, to the end of the lake (not isolated yet)
    assert result.window_start == ctx.clock.local(0)
    assert result.window_end == ctx.clock.local(DAYS * 1440)

    case = session.get(Case, result.case_id)
    assert case is not None and case.status == "confirmed" and case.source == "cli"
    assert case.onset_at == ctx.clock.epoch_utc + timedelta(days=2)  # stored as naive UTC
    inv = session.get(Investigation, result.investigation_id)
    assert inv is not None and inv.status == "current"
    assert json.loads(inv.rules)["overlap_minutes"] == 15
    assert (inv.n_close, inv.n_secondary, inv.n_general, inv.n_yellow_code) == tuple(
        result.counts[c] for c in ("close", "secondary", "general", "yellow_code")
    )
    assert json.loads(inv.counts) == result.by_relation

    # household members are close contacts for the whole window
    person = session.get(Person, pid)
    assert person is not None
    household = set(
        session.scalars(
            select(Person.id).where(Person.household_id == person.household_id, Person.id != pid)
        )
    )
    close = {c["person_id"]: c for c in entries["close"]}
    assert household <= set(close)
    assert all(close[h]["relation"] == "household" for h in household)
    assert [len(entries[c]) for c in entries] == [result.counts[c] for c in entries]

    # stored rows are the engine's rows, with times in UTC and the home community
    stored = {
        (c.category, c.person_id): c
        for c in session.scalars(select(Contact).where(Contact.investigation_id == inv.id))
    }
    for category in ("close", "secondary", "general"):
        for entry in entries[category]:
            row = stored[(category, entry["person_id"])]
            assert row.case_id == case.id and row.relation == entry["relation"]
            first = ctx.clock.from_store(row.first_exposure_at).isoformat()
            assert first == entry["first_exposure"]
            assert ctx.clock.from_store(row.last_exposure_at).isoformat() == entry["last_exposure"]
            assert row.overlap_minutes == entry["overlap_minutes"]
            assert row.venue_id == entry["venue_id"]
            assert row.via_person_id == entry["via_person"]
            assert row.home_community_id == entry["home_community_id"]
    some = next(iter(stored.values()))
    contact_person = session.get(Person, some.person_id)
    assert contact_person is not None
    building = session.get(Area, contact_person.building_id)
    assert building is not None and building.parent_id is not None
    compound = session.get(Area, building.parent_id)
    assert compound is not None and some.home_community_id == compound.parent_id
    assert all(c["via_person"] in close for c in entries["secondary"])
    priorities = [c["priority"] for c in entries["close"]]
    assert priorities == sorted(priorities)


def test_rerun_replaces_the_previous_contacts(session: Session, ctx: TracingContext) -> None:
    pid = workers(session, 1)[0]
    first = service.investigate(session=session, ctx=ctx, case=confirmed(ctx, pid), rules=RULES).out
    strict = TracingRules(overlap_minutes=45, secondary=False)
    done = service.investigate(
        session=session,
        ctx=ctx,
        case=confirmed(ctx, pid, isolated=day(ctx, 3, 12)),
        rules=strict,
    )
    second = done.out
    assert second.case_id == first.case_id
    assert second.replaced_investigation_id == first.investigation_id
    assert second.counts["secondary"] == 0
    assert second.window_end == ctx.clock.local(3 * 1440 + 12 * 60)
    assert count(session, Case) == 1 and count(session, Investigation) == 2
    old = session.get(Investigation, first.investigation_id)
    assert old is not None and old.status == "superseded" and old.superseded_at is not None
    by_inv = {
        inv: n
        for inv, n in session.execute(
            select(Contact.investigation_id, func.count()).group_by(Contact.investigation_id)
        )
    }
    assert by_inv == {second.investigation_id: sum(second.counts.values())}
    close = service.contact_entries(done.contacts, ctx)["close"]
    assert all(c["overlap_minutes"] >= 45 for c in close if c["relation"] == "venue")
    case = session.get(Case, second.case_id)
    assert case is not None and case.isolated_at is not None


def test_asymptomatic_case_and_yellow_code(session: Session, ctx: TracingContext) -> None:
    pid = workers(session, 2)[1]
    case = CaseIn(person_id=pid, status="asymptomatic", sample=day(ctx, 2, 10))
    first = service.investigate(session=session, ctx=ctx, case=case, rules=RULES)
    assert first.out.window_start == ctx.clock.local(10 * 60)
    venues = sorted(set(first.contacts.column("venue_id").drop_null().to_pylist()))
    assert venues, "the case met someone at a venue"
    done = service.investigate(
        session=session,
        ctx=ctx,
        case=case,
        rules=TracingRules(yellow_hours=0.25),
        risk_venues=venues[:3],
    )
    result, yellow = done.out, service.contact_entries(done.contacts, ctx)["yellow_code"]
    assert result.risk_venues == venues[:3]
    assert result.counts["yellow_code"] == len(yellow) > 0
    assert all(c["overlap_minutes"] >= 15 for c in yellow)
    stored = session.scalar(
        select(func.count())
        .select_from(Contact)
        .where(
            Contact.investigation_id == result.investigation_id,
            Contact.category == "yellow_code",
        )
    )
    assert stored == len(yellow)
    inv = session.get(Investigation, result.investigation_id)
    assert inv is not None and json.loads(inv.risk_venues) == venues[:3]
    assert inv.risk_start_at is not None and inv.risk_end_at is not None


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"person_id": 10**6}, "person_id: unknown person id"),
        ({"onset": "2030-01-01"}, r"onset: must be within the lake's check-ins \(2026-11-02 to"),
        ({"onset": "2026-10-01"}, "onset: must be within the lake's check-ins"),
        ({"status": "asymptomatic", "onset": None}, "sample: is required for an asymptomatic"),
        ({"status": "asymptomatic"}, "onset: must be empty for an asymptomatic case"),
        ({"onset": None}, "onset: is required for a confirmed case"),
        ({"isolated": "2026-11-02"}, "isolated: must be after the start of the infectious"),
    ],
)
def test_bad_cases_are_rejected_before_anything_is_written(
    session: Session, ctx: TracingContext, change: dict[str, object], message: str
) -> None:
    pid = workers(session, 1)[0]
    fields: dict[str, object] = {"person_id": pid, "status": "confirmed", "onset": "2026-11-04"}
    fields.update(change)
    case = CaseIn.model_validate(fields)
    with pytest.raises(service.TracingInputError, match=message):
        service.investigate(session=session, ctx=ctx, case=case, rules=RULES)
    assert count(session, Case) == count(session, Investigation) == count(session, Contact) == 0


def test_unknown_risk_venue_is_rejected(session: Session, ctx: TracingContext) -> None:
    pid = workers(session, 1)[0]
    with pytest.raises(service.TracingInputError, match="risk_venues: unknown venue id"):
        service.investigate(
            session=session, ctx=ctx, case=confirmed(ctx, pid), rules=RULES, risk_venues=[-1]
        )
    assert count(session, Case) == 0


def test_a_failed_write_leaves_nothing_behind(
    backend: str,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    city: GeneratedCity,
    lake_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    engine: Engine = make_engine(fresh_database_url(backend, tmp_path, request))
    try:
        upgrade(engine)
        with Session(engine) as session, session.begin():
            city_service.create_city(session=session, city=city, days=DAYS)
        with Session(engine) as session:
            ctx = open_context(session=session, lake_dir=lake_dir)
            pid = workers(session, 1)[0]
        with Session(engine) as session, session.begin():
            first = service.investigate(
                session=session, ctx=ctx, case=confirmed(ctx, pid), rules=RULES
            ).out

        def broken(*_args: object, **_kw: object) -> int:
            raise OSError("disk full")

        monkeypatch.setattr(service, "bulk_insert", broken)
        with (
            pytest.raises(OSError, match="disk full"),
            Session(engine) as session,
            session.begin(),
        ):
            service.investigate(
                session=session, ctx=ctx, case=confirmed(ctx, pid, onset_day=3), rules=RULES
            )
        with Session(engine) as session:
            # the earlier investigation is intact: still current, with all its contacts
            invs = session.scalars(select(Investigation)).all()
            assert [(i.id, i.status) for i in invs] == [(first.investigation_id, "current")]
            assert count(session, Contact) == sum(first.counts.values())
            case = session.get(Case, first.case_id)
            assert case is not None and case.onset_at == ctx.clock.to_utc(day(ctx, 2))
    finally:
        engine.dispose()


def test_batch_file_is_checked_whole(session: Session, ctx: TracingContext, tmp_path: Path) -> None:
    a, b, c = workers(session, 3)
    good = tmp_path / "good.csv"
    good.write_text(
        "person_id,status,onset,sample,isolated,report\n"
        f"{a},confirmed,2026-11-04,,2026-11-05T12:00,2026-11-05T08:30\n"
        f"{b},asymptomatic,,2026-11-03,,\n"
        "\n"
        f"{c},suspected,2026-11-03T14:00,,,\n",
        encoding="utf-8",
    )
    cases = service.read_cases(good, ctx, RULES)
    assert [(line, case.person_id, case.status) for line, case in cases] == [
        (2, a, "confirmed"),
        (3, b, "asymptomatic"),
        (5, c, "suspected"),
    ]
    assert cases[0][1].source == "batch:good.csv"
    assert cases[0][1].reported is not None and cases[0][1].reported.hour == 8

    bad = tmp_path / "bad.csv"
    bad.write_text(
        "person_id,status,onset,sample\n"
        f"{a},confirmed,2026-11-04,\n"
        f"{a},confirmed,2026-11-04,\n"
        "99999999,confirmed,2026-11-04,\n"
        f"{b},recovered,2026-11-04,\n"
        f"{c},confirmed,04/11/2026,\n"
        f"{c},confirmed,2031-01-01,\n"
        "x,confirmed\n",
        encoding="utf-8",
    )
    with pytest.raises(service.TracingInputError) as caught:
        service.read_cases(bad, ctx, RULES)
    got = [(e.line, e.field, e.rule.split(" (")[0]) for e in caught.value.errors]
    assert got == [
        (3, "person_id", "appears again"),
        (4, "person_id", "unknown person id"),
        (5, "status", "must be one of: confirmed, suspected, asymptomatic"),
        (6, "onset", "must be an ISO date"),
        (7, "onset", "must be within the lake's check-ins"),
        (8, "", "must have 4 fields, has 2"),
    ]
    assert all(e.file == "bad.csv" for e in caught.value.errors)

    header = tmp_path / "header.csv"
    header.write_text("person,status,onest\n1,confirmed,2026-11-04\n", encoding="utf-8")
    with pytest.raises(service.TracingInputError, match=r"header\.csv:1: person: unknown column"):
        service.read_cases(header, ctx, RULES)
    empty = tmp_path / "empty.csv"
    empty.write_text("person_id,status\n", encoding="utf-8")
    with pytest.raises(service.TracingInputError, match=r"empty\.csv:0: has no cases"):
        service.read_cases(empty, ctx, RULES)


def test_index_is_cached_per_lake_version(city: GeneratedCity, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    city_service.write_lake(city=city, lake_dir=lake_dir, days=2)
    n_persons, n_venues = city.persons.num_rows, city.venues.num_rows
    seen: list[tuple[int, int]] = []
    index, version, built = ensure_index(
        lake_dir,
        n_persons=n_persons,
        n_venues=n_venues,
        on_rows=lambda done, total: seen.append((done, total)),
    )
    assert built and seen[-1] == (4, 4)  # two passes over two days
    assert index.n_persons == n_persons and index.t_max <= 2 * 1440 + 24 * 60
    again, same, rebuilt = ensure_index(lake_dir, n_persons=n_persons, n_venues=n_venues)
    assert same == version and not rebuilt and again.n_checkins == index.n_checkins
    assert [p.name for p in index_root(lake_dir).iterdir()] == [version]

    lake.write_partition(lake_dir, "checkins", 2, city.checkins_for_day(2), city.epoch)
    newer, other, built3 = ensure_index(lake_dir, n_persons=n_persons, n_venues=n_venues)
    assert other != version and built3 and newer.n_checkins > index.n_checkins
    assert [p.name for p in index_root(lake_dir).iterdir()] == [other]


def test_bad_checkins_name_the_file_row_and_rule(city: GeneratedCity, tmp_path: Path) -> None:
    lake_dir = tmp_path / "lake"
    city_service.write_lake(city=city, lake_dir=lake_dir, days=1)
    bad = pa.table(
        {
            "person_id": pa.array([1, 2, 3, 4], pa.int32()),
            "venue_id": pa.array([0, 0, 1, 10**6], pa.int32()),
            "t_in": pa.array([1500, 1600, 1700, 1800], pa.int32()),
            "t_out": pa.array([1510, 1590, 1700, 1900], pa.int32()),
        }
    )
    lake.write_partition(lake_dir, "checkins", 1, [bad], city.epoch)
    n_persons, n_venues = city.persons.num_rows, city.venues.num_rows
    with pytest.raises(CheckinError) as caught:
        ensure_index(lake_dir, n_persons=n_persons, n_venues=n_venues)
    assert caught.value.total == 3
    assert [str(e).split(" (got")[0] for e in caught.value.errors] == [
        f"lake/checkins/day=1/part-0.parquet:4: venue_id: must be a venue id (0 to {n_venues - 1})",
        "lake/checkins/day=1/part-0.parquet:2: t_out: must be after t_in (time out before time in)",
        "lake/checkins/day=1/part-0.parquet:3: t_out: must be after t_in (time out before time in)",
    ]
    # nothing was cached
    assert not [p for p in index_root(lake_dir).iterdir() if not p.name.startswith(".")]


def test_context_needs_a_city_and_checkins(session: Session, tmp_path: Path) -> None:
    from epicontrol.domains.tracing.context import TracingError

    with pytest.raises(TracingError, match="holds no city yet"):
        open_context(session=session, lake_dir=tmp_path)


def test_clock_of_the_store(ctx: TracingContext) -> None:
    assert isinstance(ctx.clock, Clock)
    assert ctx.lake.first_day == 0 and ctx.lake.last_day == DAYS - 1
    assert ctx.lake.day_range_text() == "2026-11-02 to 2026-11-05"
    assert ctx.n_persons == 3_000 and ctx.person_exists.all()
    assert (ctx.person_community >= 0).all()
