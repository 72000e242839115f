"""Regional assistance (区域协查): lists sent per destination, received lists matched."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from epicontrol.core.tracing.rules import TracingRules
from epicontrol.domains.city.models import Area, Person
from epicontrol.domains.tracing import service
from epicontrol.domains.tracing.assist import (
    EXPORT_COLUMNS,
    AssistError,
    export_lists,
    import_list,
)
from epicontrol.domains.tracing.context import TracingContext, area_ancestors
from epicontrol.domains.tracing.models import AssistRequest, Contact

from .conftest import confirmed, workers


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture()
def traced(session: Session, ctx: TracingContext) -> list[int]:
    """Two traced cases; three of their contacts registered in other cities."""
    for pid in workers(session, 2):
        service.investigate(
            session=session, ctx=ctx, case=confirmed(ctx, pid), rules=TracingRules()
        )
    contacts = sorted(set(session.scalars(select(Contact.person_id))))
    chosen = contacts[:3]
    session.execute(
        update(Person).where(Person.home_jurisdiction.is_not(None)).values(home_jurisdiction=None)
    )
    for pid, where in zip(chosen, ("云江市", "宁海市", "云江市"), strict=True):
        session.execute(update(Person).where(Person.id == pid).values(home_jurisdiction=where))
    session.flush()
    return chosen


def test_export_per_city(
    session: Session, ctx: TracingContext, traced: list[int], tmp_path: Path
) -> None:
    result = export_lists(session=session, clock=ctx.clock, out_dir=tmp_path)
    assert result.contacts == 3 and result.jurisdiction is None
    assert [(f.destination, f.kind, f.rows) for f in result.files] == [
        ("云江市", "city", 2),
        ("宁海市", "city", 1),
    ]
    rows = read_csv(Path(result.files[0].path))
    assert Path(result.files[0].path).name == "assist-city-云江市.csv"
    assert list(rows[0]) == list(EXPORT_COLUMNS)
    persons = {p.code: p for p in session.scalars(select(Person).where(Person.id.in_(traced)))}
    for row in rows:
        person = persons[row["person_code"]]
        # the receiving jurisdiction gets the whole identifiers to find the person
        assert row["id_number"] == person.id_number and row["home_jurisdiction"] == "云江市"
        assert row["category"] in ("close", "secondary", "general", "yellow_code")
        assert row["first_exposure"] <= row["last_exposure"]
        assert row["case_ids"] and row["home_community"] and row["screen_by"]
    recorded = session.scalars(select(AssistRequest).order_by(AssistRequest.id)).all()
    assert [(r.direction, r.counterpart, r.row_count) for r in recorded] == [
        ("outgoing", "云江市", 2),
        ("outgoing", "宁海市", 1),
    ]


def test_export_per_district(
    session: Session, ctx: TracingContext, traced: list[int], tmp_path: Path
) -> None:
    case_person = session.get(Person, workers(session, 1)[0])
    assert case_person is not None
    community_of, district_of = area_ancestors(session)
    home = session.get(Area, int(district_of[community_of[case_person.building_id]]))
    assert home is not None and home.level == "district"
    result = export_lists(
        session=session, clock=ctx.clock, out_dir=tmp_path, jurisdiction=home.code
    )
    districts = [f for f in result.files if f.kind == "district"]
    assert districts and all(f.destination != home.code for f in districts)
    names = {a.code: a.name for a in session.scalars(select(Area).where(Area.level == "district"))}
    for f in districts:
        for row in read_csv(Path(f.path)):
            assert row["home_district"] == names[f.destination] != home.name
    # every current contact living outside the district is on exactly one district list
    outside = {
        pid
        for pid, community in session.execute(select(Contact.person_id, Contact.home_community_id))
        if community is not None and district_of[community] != home.id
    }
    listed = [row["person_code"] for f in districts for row in read_csv(Path(f.path))]
    assert len(listed) == len(set(listed)) == len(outside)
    assert sum(f.rows for f in result.files if f.kind == "city") == 3

    with pytest.raises(AssistError, match="jurisdiction: must be a district code"):
        export_lists(session=session, clock=ctx.clock, out_dir=tmp_path, jurisdiction="nowhere")


def test_import_matches_id_number_then_phone(
    session: Session, ctx: TracingContext, traced: list[int], tmp_path: Path
) -> None:
    a, b, c = (session.get(Person, pid) for pid in traced)
    assert a and b and c and a.id_number and b.phone and c.phone
    other = session.scalars(
        select(Person).where(Person.id.not_in(traced), Person.phone.is_not(None)).limit(1)
    ).one()
    # c's phone is shared with another resident: a phone-only row for it is ambiguous
    session.execute(update(Person).where(Person.id == other.id).values(phone=c.phone))
    received = tmp_path / "from-yunjiang.csv"
    received.write_text(
        "姓名,身份证号,手机号,备注\n"
        f"张三,{a.id_number},13000000000,\n"
        f"李四,,{b.phone[:3]}-{b.phone[3:7]}-{b.phone[7:]},\n"
        f"王五,,{c.phone},\n"
        "赵六,11010519491231002X,,\n",
        encoding="utf-8",
    )
    result = import_list(session=session, path=received, sender="云江市")
    assert (result.rows, result.matched, result.ambiguous, result.unmatched) == (4, 2, 1, 1)
    got = [(m.line, m.status, m.matched_by, m.person_ids) for m in result.results]
    assert got == [
        (2, "matched", "id_number", [a.id]),
        (3, "matched", "phone", [b.id]),
        (4, "ambiguous", "phone", sorted([c.id, other.id])),
        (5, "unmatched", None, []),
    ]
    assert result.results[0].name == "张三" and result.results[0].community
    assert result.results[0].known_contact in ("close", "secondary", "general")
    assert result.results[0].id_number is not None and "*" in result.results[0].id_number
    assert not result.received_before
    again = import_list(session=session, path=received, sender="云江市")
    assert again.received_before and again.matched == 2
    incoming = session.scalars(
        select(AssistRequest).where(AssistRequest.direction == "incoming")
    ).all()
    assert [(r.counterpart, r.row_count, r.matched) for r in incoming] == [("云江市", 4, 2)]


def test_bad_received_lists_are_rejected_whole(
    session: Session, ctx: TracingContext, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "name,id_number,phone\n"
        "a,110105194912310021,\n"
        "b,,12ab\n"
        "c,,\n"
        "d,1101051949123100,\n"
        "e,11010519491231002X,13800001111\n"
        "f,1\n",
        encoding="utf-8",
    )
    with pytest.raises(AssistError) as caught:
        import_list(session=session, path=bad)
    got = [(e.line, e.field, e.rule) for e in caught.value.errors]
    assert got == [
        (2, "id_number", "check character must be X (GB 11643 ISO 7064 MOD 11-2)"),
        (3, "phone", "must be 7 to 15 digits"),
        (4, "", "id_number or phone is required"),
        (5, "id_number", "must have 15 or 18 characters"),
        (7, "", "must have 3 fields, has 2"),
    ]
    assert session.scalar(select(func.count()).select_from(AssistRequest)) == 0
    header = tmp_path / "header.csv"
    header.write_text("name,address\nx,y\n", encoding="utf-8")
    with pytest.raises(AssistError, match=r"header\.csv:1: must have an id_number or a phone"):
        import_list(session=session, path=header)
