"""Importing a real city from CSV files: validation, writing, idempotency, conflicts."""

from __future__ import annotations

import csv
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from epicontrol.config import Standards
from epicontrol.core.city.schemas import SpecialFlag
from epicontrol.domains.city import service
from epicontrol.domains.city.importing import (
    ImportConflict,
    ImportRejected,
    RowError,
    import_city,
)
from epicontrol.domains.city.models import (
    Area,
    AreaAdjacency,
    City,
    Facility,
    Group,
    Household,
    ImportBatch,
    Person,
    Venue,
)

Rows = list[dict[str, str]]
TABLES: tuple[type[Any], ...] = (
    City,
    Area,
    AreaAdjacency,
    Household,
    Venue,
    Group,
    Person,
    Facility,
    ImportBatch,
)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)


def id18(body: str) -> str:
    """``body`` (17 digits) with its GB 11643 check character."""
    return body + "10X98765432"[sum(int(c) * w for c, w in zip(body, WEIGHTS, strict=True)) % 11]


def _area(code: str, level: str, parent: str, name: str, **extra: str) -> dict[str, str]:
    row = {"code": code, "level": level, "parent_code": parent, "name": name, "name_en": "",
           "kind": "", "lon": "", "lat": ""}  # fmt: skip
    row.update(extra)
    return row


def _person(code: str, household: str, building: str, age: int, sex: str, occupation: str,
            **extra: str) -> dict[str, str]:  # fmt: skip
    row = {"code": code, "household_code": household, "building_code": building,
           "age": str(age), "sex": sex, "occupation": occupation, "org_venue_code": "",
           "group_label": "", "phone": "", "id_number": "", "special_flags": ""}  # fmt: skip
    row.update(extra)
    return row


def _facility(code: str, kind: str, building: str, **extra: str) -> dict[str, str]:
    row = {"code": code, "kind": kind, "subtype": "", "name": f"设施{code}",
           "building_code": building, "venue_code": "", "beds": "", "icu_beds": "",
           "rooms": "", "accessible_rooms": "", "tests_per_day": "",
           "samples_per_hour": ""}  # fmt: skip
    row.update(extra)
    return row


def city_files() -> dict[str, Rows]:
    """A small valid city: 2 districts, 4 buildings, 4 venues, 20 persons in 6 households.

    The street S1 is listed before the districts, so ids follow levels, not lines.
    """
    areas = [
        _area("C", "city", "", "榕城", name_en="Rongcheng", lon="119.3", lat="26.08"),
        _area("S1", "street", "D1", "东街街道"),
        _area("D1", "district", "C", "鼓楼区", name_en="Gulou", kind="urban"),
        _area("D2", "district", "C", "闽侯县", kind="county"),
        _area("S2", "street", "D2", "甘蔗街道"),
        _area("M1", "community", "S1", "东街社区"),
        _area("M2", "community", "S2", "甘蔗社区"),
        _area("K1", "compound", "M1", "一号小区"),
        _area("K2", "compound", "M2", "二号小区"),
        _area("K3", "compound", "M1", "三号小区"),
    ]
    buildings = [
        {"code": "B1", "compound_code": "K1", "name": "1栋", "lon": "119.31", "lat": "26.09"},
        {"code": "B2", "compound_code": "K1", "name": "2栋", "lon": "", "lat": ""},
        {"code": "B3", "compound_code": "K2", "name": "1栋", "lon": "", "lat": ""},
        {"code": "B4", "compound_code": "K3", "name": "1栋", "lon": "", "lat": ""},
    ]
    venues = [
        {"code": "V1", "type": "school", "name": "第一小学", "building_code": "B1",
         "capacity": "500", "lon": "", "lat": ""},
        {"code": "V2", "type": "office", "name": "软件园", "building_code": "B3",
         "capacity": "100", "lon": "119.2", "lat": "26.0"},
        {"code": "V3", "type": "market", "name": "东街菜市场", "building_code": "B2",
         "capacity": "300", "lon": "", "lat": ""},
        {"code": "V4", "type": "hospital", "name": "省立医院", "building_code": "B4",
         "capacity": "800", "lon": "", "lat": ""},
    ]  # fmt: skip
    persons = [
        _person("P01", "H1", "B1", 40, "M", "office_worker", org_venue_code="V2",
                group_label="财务", phone="13812345678", id_number="11010519491231002X"),
        _person("P02", "H1", "B1", 38, "F", "health_worker", org_venue_code="V4",
                group_label="内科", special_flags="pregnancy"),
        _person("P03", "H1", "B1", 9, "F", "student", org_venue_code="V1", group_label="三年1班"),
        _person("P04", "H1", "B1", 7, "M", "student", org_venue_code="V1", group_label="一年2班"),
        _person("P05", "H2", "B1", 70, "M", "retired", special_flags="dialysis|disabled"),
        _person("P06", "H2", "B1", 68, "F", "retired", special_flags="chronic_disease"),
        _person("P07", "H2", "B1", 8, "F", "student", org_venue_code="V1", group_label="三年1班"),
        _person("P08", "H3", "B2", 45, "M", "service_worker", phone="0591123456"),
        _person("P09", "H3", "B2", 44, "F", "unemployed", id_number="350102800101123"),
        _person("P10", "H3", "B2", 1, "F", "infant"),
        _person("P11", "H4", "B3", 30, "F", "office_worker", org_venue_code="V2",
                group_label="财务", id_number=id18("35012119900101234")),
        _person("P12", "H4", "B3", 31, "M", "office_worker", org_venue_code="V2"),
        _person("P13", "H4", "B3", 4, "M", "preschool"),
        _person("P14", "H4", "B3", 85, "F", "retired", special_flags="living_alone_elderly"),
        _person("P15", "H5", "B4", 55, "M", "health_worker", org_venue_code="V4",
                group_label="内科"),
        _person("P16", "H5", "B4", 52, "F", "factory_worker", special_flags="other_needs"),
        _person("P17", "H5", "B4", 20, "M", "university_student"),
        _person("P18", "H6", "B3", 33, "F", "service_worker"),
        _person("P19", "H6", "B3", 35, "M", "service_worker", special_flags="cancer_therapy"),
        _person("P20", "H6", "B3", 3, "M", "preschool"),
    ]  # fmt: skip
    facilities = [
        _facility("F1", "hospital", "B4", subtype="designated", venue_code="V4", beds="100",
                  icu_beds="10"),
        _facility("F2", "quarantine_site", "B3", rooms="50", accessible_rooms="5"),
        _facility("F3", "lab", "B2", tests_per_day="1000"),
        _facility("F4", "sampling_site", "B1", samples_per_hour="60"),
    ]  # fmt: skip
    return {
        "city.csv": [
            {
                "name": "榕城",
                "name_en": "Rongcheng",
                "epoch": "2026-11-02T00:00:00+08:00",
                "timezone": "Asia/Shanghai",
            }
        ],
        "areas.csv": areas,
        "buildings.csv": buildings,
        "adjacency.csv": [
            {"code_a": "D1", "code_b": "D2"},
            {"code_a": "D2", "code_b": "D1"},
            {"code_a": "M1", "code_b": "M2"},
            {"code_a": "K1", "code_b": "K2"},
        ],
        "venues.csv": venues,
        "persons.csv": persons,
        "facilities.csv": facilities,
    }


SQUARE = [[[119.0, 26.0], [119.1, 26.0], [119.1, 26.1], [119.0, 26.1], [119.0, 26.0]]]


def geojson() -> dict[str, Any]:
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {"code": "K1"},
             "geometry": {"type": "Polygon", "coordinates": SQUARE}},
            {"type": "Feature", "properties": {"code": "D1", "name": "鼓楼区"},
             "geometry": {"type": "MultiPolygon", "coordinates": [SQUARE]}},
        ],
    }  # fmt: skip


def write_city(
    directory: Path, files: dict[str, Rows] | None = None, features: dict[str, Any] | None = None
) -> Path:
    """Write ``files`` (default: :func:`city_files`) and the GeoJSON into ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in (city_files() if files is None else files).items():
        with (directory / name).open("w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    (directory / "areas.geojson").write_text(
        json.dumps(geojson() if features is None else features, ensure_ascii=False),
        encoding="utf-8",
    )
    return directory


def row_counts(session: Session) -> dict[str, int]:
    return {
        t.__tablename__: session.scalar(select(func.count()).select_from(t)) or 0 for t in TABLES
    }


def rejected(session: Session, directory: Path, *expected: tuple[str, int, str, str]) -> None:
    """Importing ``directory`` fails with exactly these (file, line, field, rule) errors."""
    file, line, field, rule = expected[0]
    where = f"{file}:{line}:" + (f" {field}:" if field else "")
    with pytest.raises(ImportRejected, match=re.escape(f"{where} {rule}")) as ei:
        import_city(session=session, directory=directory)
    got = [(e.file, e.line, e.field, e.rule) for e in ei.value.errors]
    assert got == list(expected)
    assert set(row_counts(session).values()) == {0}, "nothing may be written"


# --------------------------------------------------------------------------- valid city


def test_import_writes_every_table(session: Session, tmp_path: Path) -> None:
    result = import_city(session=session, directory=write_city(tmp_path / "city"))
    assert not result.unchanged
    assert len(result.batch_id) == 64
    assert result.counts == {"areas": 14, "adjacency": 3, "households": 6, "venues": 4,
                             "groups": 4, "persons": 20, "facilities": 4}  # fmt: skip
    counts = row_counts(session)
    assert counts["cities"] == 1 and counts["import_batches"] == 1
    assert counts["persons"] == 20 and counts["areas"] == 14

    city = session.scalars(select(City)).one()
    assert (city.source, city.seed, city.days) == ("imported", None, 0)
    assert city.epoch_utc == datetime(2026, 11, 1, 16, 0)
    assert (city.timezone, city.utc_offset_minutes) == ("Asia/Shanghai", 480)

    areas = {a.code: a for a in session.scalars(select(Area))}
    order = ["C", "D1", "D2", "S1", "S2", "M1", "M2", "K1", "K2", "K3", "B1", "B2", "B3", "B4"]
    assert [a.code for a in sorted(areas.values(), key=lambda a: a.id)] == order
    assert sorted(a.id for a in areas.values()) == list(range(14))
    assert areas["C"].parent_id is None
    assert areas["S1"].parent_id == areas["D1"].id
    assert areas["B4"].parent_id == areas["K3"].id
    assert (areas["D2"].kind, areas["S1"].kind, areas["B1"].level) == ("county", None, "building")
    assert (areas["B1"].lon, areas["B1"].lat, areas["B2"].lon) == (119.31, 26.09, None)

    batch = session.scalars(select(ImportBatch)).one()
    assert batch.id == result.batch_id
    assert json.loads(batch.counts) == result.counts
    names = [f["name"] for f in json.loads(batch.files)]
    assert names == sorted(names) and "areas.geojson" in names and len(names) == 8


def test_populations_roll_up_to_the_city(session: Session, tmp_path: Path) -> None:
    import_city(session=session, directory=write_city(tmp_path / "city"))
    areas = {a.code: a for a in session.scalars(select(Area))}
    expected = {
        "B1": (7, 2), "B2": (3, 1), "B3": (7, 2), "B4": (3, 1),
        "K1": (10, 3), "K2": (7, 2), "K3": (3, 1),
        "M1": (13, 4), "M2": (7, 2), "S1": (13, 4), "S2": (7, 2),
        "D1": (13, 4), "D2": (7, 2), "C": (20, 6),
    }  # fmt: skip
    assert {c: (a.population, a.households) for c, a in areas.items()} == expected
    sizes = {h.id: h.size for h in session.scalars(select(Household))}
    assert sizes == {0: 4, 1: 3, 2: 3, 3: 4, 4: 3, 5: 3}
    summary = service.city_summary(session=session, standards=Standards())
    assert (summary.population, summary.households) == (20, 6)
    assert summary.facilities == {"hospital": 1, "lab": 1, "quarantine_site": 1,
                                  "sampling_site": 1}  # fmt: skip


def test_persons_and_personal_data(session: Session, tmp_path: Path) -> None:
    import_city(session=session, directory=write_city(tmp_path / "city"))
    persons = {p.code: p for p in session.scalars(select(Person))}
    assert sorted(p.id for p in persons.values()) == list(range(20))
    p01 = persons["P01"]
    assert (p01.id, p01.household_id, p01.age, p01.sex) == (0, 0, 40, "M")
    # Stored whole, shown masked.
    assert (p01.phone, p01.id_number) == ("13812345678", "11010519491231002X")
    assert persons["P09"].id_number == "350102800101123"
    shown = service.get_person(session=session, person_id=p01.id)
    assert (shown.phone, shown.id_number, shown.masked) == ("138****5678", "110105********002X",
                                                            True)  # fmt: skip
    revealed = service.get_person(session=session, person_id=p01.id, reveal=True)
    assert revealed.id_number == "11010519491231002X"
    p05 = persons["P05"]
    assert p05.special_flags == SpecialFlag.DIALYSIS | SpecialFlag.DISABLED
    assert p05.special_tier == "red"
    assert (persons["P06"].special_tier, persons["P16"].special_tier) == ("yellow", "green")
    assert (persons["P10"].special_flags, persons["P10"].special_tier) == (0, None)
    assert (persons["P10"].phone, persons["P10"].org_venue_id) == (None, None)


def test_groups_venues_facilities(session: Session, tmp_path: Path) -> None:
    import_city(session=session, directory=write_city(tmp_path / "city"))
    venues = {v.code: v for v in session.scalars(select(Venue))}
    assert [venues[c].id for c in ("V1", "V2", "V3", "V4")] == [0, 1, 2, 3]
    groups = {(g.venue_id, g.label): (g.id, g.kind) for g in session.scalars(select(Group))}
    v1, v2, v4 = venues["V1"].id, venues["V2"].id, venues["V4"].id
    assert groups == {
        (v2, "财务"): (0, "team"),
        (v4, "内科"): (1, "team"),
        (v1, "三年1班"): (2, "class"),
        (v1, "一年2班"): (3, "class"),
    }
    persons = {p.code: p for p in session.scalars(select(Person))}
    assert persons["P07"].group_id == persons["P03"].group_id == 2
    assert (persons["P12"].org_venue_id, persons["P12"].group_id) == (v2, None)
    facilities = {f.code: f for f in session.scalars(select(Facility))}
    f1 = facilities["F1"]
    assert (f1.kind, f1.subtype, f1.venue_id, f1.beds, f1.icu_beds, f1.rooms) == (
        "hospital", "designated", v4, 100, 10, None)  # fmt: skip
    assert (facilities["F2"].rooms, facilities["F2"].accessible_rooms) == (50, 5)
    assert facilities["F3"].tests_per_day == 1000
    assert facilities["F4"].samples_per_hour == 60


def test_geometry_and_adjacency(session: Session, tmp_path: Path) -> None:
    import_city(session=session, directory=write_city(tmp_path / "city"))
    areas = {a.code: a for a in session.scalars(select(Area))}
    assert json.loads(areas["K1"].geometry or "") == {"type": "Polygon", "coordinates": SQUARE}
    assert json.loads(areas["D1"].geometry or "")["type"] == "MultiPolygon"
    assert areas["K2"].geometry is None
    pairs = {(a, b) for a, b in session.execute(select(AreaAdjacency.area_a, AreaAdjacency.area_b))}
    ids = {c: a.id for c, a in areas.items()}
    assert pairs == {(ids["D1"], ids["D2"]), (ids["M1"], ids["M2"]), (ids["K1"], ids["K2"])}


def test_reimport_changes_nothing(session: Session, tmp_path: Path) -> None:
    directory = write_city(tmp_path / "city")
    first = import_city(session=session, directory=directory)
    before = row_counts(session)
    again = import_city(session=session, directory=directory)
    assert again.unchanged
    assert (again.batch_id, again.counts) == (first.batch_id, first.counts)
    assert row_counts(session) == before
    # The same files copied elsewhere are the same batch.
    copy = write_city(tmp_path / "copy")
    assert import_city(session=session, directory=copy).unchanged


def test_second_different_import_conflicts(session: Session, tmp_path: Path) -> None:
    import_city(session=session, directory=write_city(tmp_path / "city"))
    files = city_files()
    files["persons.csv"][0]["age"] = "41"
    before = row_counts(session)
    with pytest.raises(ImportConflict, match="already holds a city"):
        import_city(session=session, directory=write_city(tmp_path / "other", files))
    assert row_counts(session) == before


# --------------------------------------------------------------------------- rejected files


def test_bad_rows_are_all_reported(session: Session, tmp_path: Path) -> None:
    files = city_files()
    persons = files["persons.csv"]
    persons[1]["sex"] = "X"  # line 3
    persons[4]["age"] = "121"  # line 6
    persons[5]["building_code"] = "B9"  # line 7
    persons[6]["occupation"] = "pilot"  # line 8
    persons[7]["phone"] = "12-34"  # line 9
    persons[8]["special_flags"] = "dialysis|flying"  # line 10
    persons[9]["group_label"] = "无组织"  # line 11
    persons[10]["code"] = "P01"  # line 12
    files["venues.csv"][2]["capacity"] = "0"  # line 4
    files["venues.csv"][3]["type"] = "castle"  # line 5
    files["areas.csv"][4]["lat"] = "95"  # line 6
    directory = write_city(tmp_path / "bad", files)
    flags = ", ".join(f.name.lower() for f in SpecialFlag if f.name)
    rejected(
        session,
        directory,
        ("areas.csv", 6, "lat", "must be a number between -90 and 90"),
        ("venues.csv", 4, "capacity", "must be an integer >= 1"),
        ("venues.csv", 5, "type", "must be one of: market, mall, restaurant, transport_hub, "
         "pharmacy, hospital, school, university, office, factory"),
        ("persons.csv", 3, "sex", "must be one of: F, M"),
        ("persons.csv", 6, "age", "must be an integer between 0 and 120"),
        ("persons.csv", 7, "building_code", "unknown building_code"),
        ("persons.csv", 8, "occupation", "must be one of: infant, preschool, student, "
         "university_student, office_worker, factory_worker, service_worker, health_worker, "
         "retired, unemployed"),
        ("persons.csv", 9, "phone", "must be 7 to 15 digits"),
        ("persons.csv", 10, "special_flags", f"must be |-separated names among: {flags}"),
        ("persons.csv", 11, "group_label", "requires org_venue_code"),
        ("persons.csv", 12, "code", "duplicate code (first on line 2)"),
    )  # fmt: skip


def test_error_values_and_message(session: Session, tmp_path: Path) -> None:
    files = city_files()
    files["persons.csv"][1]["sex"] = "X"
    with pytest.raises(ImportRejected, match=r"1 errors\n  persons.csv:3: sex: must be one of: "
                       r"F, M \(got 'X'\)") as ei:  # fmt: skip
        import_city(session=session, directory=write_city(tmp_path / "bad", files))
    assert ei.value.errors == [RowError("persons.csv", 3, "sex", "must be one of: F, M", "X")]


def test_missing_required_column(session: Session, tmp_path: Path) -> None:
    files = city_files()
    for row in files["venues.csv"]:
        del row["capacity"]
        row["colour"] = "red"
    expected = "unknown column; expected: code, type, name, building_code, capacity, lon, lat"
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("venues.csv", 1, "colour", expected),
        ("venues.csv", 1, "capacity", "required column is missing"),
    )


def test_missing_required_file(session: Session, tmp_path: Path) -> None:
    directory = write_city(tmp_path / "bad")
    (directory / "facilities.csv").unlink()
    rejected(session, directory, ("facilities.csv", 0, "", "required file is missing"))


def test_unknown_and_wrong_parents(session: Session, tmp_path: Path) -> None:
    files = city_files()
    files["areas.csv"][5]["parent_code"] = "S9"  # M1, line 7
    files["areas.csv"][6]["parent_code"] = "D2"  # M2 under a district, line 8
    files["areas.csv"][4]["parent_code"] = ""  # S2, line 6
    files["buildings.csv"][2]["compound_code"] = "M2"  # B3, line 4
    files["areas.csv"][2]["level"] = "building"  # D1, line 4
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("areas.csv", 4, "level", "must be one of: city, district, street, community, compound "
         "(buildings go in buildings.csv)"),
        ("areas.csv", 6, "parent_code", "is required (only the city has no parent)"),
        ("areas.csv", 7, "parent_code", "unknown parent_code"),
        ("areas.csv", 8, "parent_code", "parent must be a street"),
        ("buildings.csv", 4, "compound_code", "parent must be a compound"),
    )  # fmt: skip


def test_household_split_across_buildings(session: Session, tmp_path: Path) -> None:
    files = city_files()
    files["persons.csv"][2]["building_code"] = "B2"  # P03 of H1 (B1), line 4
    files["persons.csv"][8]["building_code"] = "K2"  # a compound, line 10
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("persons.csv", 4, "building_code",
         "household H1 lives in building B1 (line 2): all members must share one building"),
        ("persons.csv", 10, "building_code", "must name a building, not a compound"),
    )  # fmt: skip


def test_bad_id_numbers(session: Session, tmp_path: Path) -> None:
    files = city_files()
    good = id18("35012119900101234")
    wrong = "0" if good[-1] != "0" else "1"
    files["persons.csv"][1]["id_number"] = good[:-1] + wrong  # line 3
    files["persons.csv"][2]["id_number"] = "1234567890"  # line 4
    files["persons.csv"][3]["id_number"] = "35012119900101A23X"  # line 5
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("persons.csv", 3, "id_number",
         f"check character must be {good[-1]} (GB 11643 ISO 7064 MOD 11-2)"),
        ("persons.csv", 4, "id_number", "must have 15 or 18 characters"),
        ("persons.csv", 5, "id_number",
         "an 18-character ID number must be 17 digits and a check digit or X"),
    )  # fmt: skip


def test_capacity_columns_follow_the_kind(session: Session, tmp_path: Path) -> None:
    files = city_files()
    facilities = files["facilities.csv"]
    facilities[0]["rooms"] = "3"  # hospital with rooms, line 2
    facilities[0]["icu_beds"] = "101"  # more ICU beds than beds, line 2
    facilities[1]["accessible_rooms"] = ""  # line 3
    facilities[2]["beds"] = "10"  # lab with beds, line 4
    facilities[3]["samples_per_hour"] = "-1"  # line 5
    facilities[3]["venue_code"] = "V9"  # line 5
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("facilities.csv", 2, "rooms", "must be empty for a hospital"),
        ("facilities.csv", 2, "icu_beds", "must not exceed beds"),
        ("facilities.csv", 3, "accessible_rooms", "is required for a quarantine_site"),
        ("facilities.csv", 4, "beds", "must be empty for a lab"),
        ("facilities.csv", 5, "venue_code", "unknown venue_code"),
        ("facilities.csv", 5, "samples_per_hour", "must be an integer >= 0"),
    )


def test_city_epoch_and_adjacency_rules(session: Session, tmp_path: Path) -> None:
    files = city_files()
    files["city.csv"][0]["epoch"] = "2026-11-02T00:00:00+09:00"
    files["adjacency.csv"].append({"code_a": "D1", "code_b": "S2"})  # line 6
    files["adjacency.csv"].append({"code_a": "K1", "code_b": "K1"})  # line 7
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("city.csv", 2, "epoch", "UTC offset must be that of Asia/Shanghai on that day (+08:00)"),
        ("adjacency.csv", 6, "code_b", "must be of the same level as code_a (district)"),
        ("adjacency.csv", 7, "code_b", "must differ from code_a"),
    )


def test_geojson_rules(session: Session, tmp_path: Path) -> None:
    features = geojson()
    features["features"][0]["properties"]["code"] = "NOPE"
    features["features"].append(
        {"type": "Feature", "properties": {"code": "K2"},
         "geometry": {"type": "Point", "coordinates": [119.0, 26.0]}}
    )  # fmt: skip
    features["features"].append(
        {"type": "Feature", "properties": {"code": "K3"},
         "geometry": {"type": "Polygon", "coordinates": [SQUARE[0][:3]]}}
    )  # fmt: skip
    rejected(
        session,
        write_city(tmp_path / "bad", features=features),
        ("areas.geojson", 1, "properties.code", "unknown area or building code"),
        ("areas.geojson", 3, "geometry.type", "must be one of: Polygon, MultiPolygon"),
        ("areas.geojson", 4, "geometry.coordinates",
         "must be closed linear rings of at least 4 [lon, lat] positions"),
    )  # fmt: skip


def test_physical_lines_with_quoted_newlines(session: Session, tmp_path: Path) -> None:
    files = city_files()
    files["venues.csv"][0]["name"] = "第一\n小学"  # row 1 spans lines 2-3
    files["venues.csv"][1]["capacity"] = "many"  # row 2 starts on line 4
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("venues.csv", 4, "capacity", "must be an integer >= 1"),
    )


def test_malformed_csv(session: Session, tmp_path: Path) -> None:
    directory = write_city(tmp_path / "bad")
    text = (directory / "venues.csv").read_text(encoding="utf-8").splitlines()
    text.insert(2, "")  # a blank line (line 3) is skipped but counted
    text[3] += ",extra"  # line 4 has one field too many
    (directory / "venues.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    data = (directory / "buildings.csv").read_bytes().replace("2栋".encode(), b"\xff\xfe")
    (directory / "buildings.csv").write_bytes(data)  # line 3 is not UTF-8
    rejected(
        session,
        directory,
        ("buildings.csv", 3, "", "is not valid UTF-8"),
        ("venues.csv", 4, "", "has 8 fields but the header has 7"),
    )


def test_city_file_needs_one_row(session: Session, tmp_path: Path) -> None:
    files = city_files()
    files["city.csv"].append(dict(files["city.csv"][0]))
    files["city.csv"][0]["timezone"] = "Asia/Atlantis"
    rejected(
        session,
        write_city(tmp_path / "bad", files),
        ("city.csv", 2, "timezone", "must be an IANA time zone name, e.g. Asia/Shanghai"),
        ("city.csv", 3, "", "city.csv must have exactly one row"),
    )


def test_documented_example_imports(session: Session, tmp_path: Path) -> None:
    doc = (Path(__file__).parents[3] / "docs" / "city-import.md").read_text(encoding="utf-8")
    example = doc[doc.index("## Example") :]
    blocks = re.findall(r"`(\w+\.csv)`\s+```csv\n(.*?)```", example, flags=re.S)
    assert {name for name, _ in blocks} == {
        "city.csv", "areas.csv", "buildings.csv", "venues.csv", "persons.csv", "facilities.csv"
    }  # fmt: skip
    for name, body in blocks:
        (tmp_path / name).write_text(body, encoding="utf-8")
    result = import_city(session=session, directory=tmp_path)
    assert result.counts == {"areas": 6, "adjacency": 0, "households": 1, "venues": 1,
                             "groups": 1, "persons": 2, "facilities": 1}  # fmt: skip
    city = session.scalars(select(Area).where(Area.level == "city")).one()
    assert (city.population, city.households) == (2, 1)
