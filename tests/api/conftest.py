"""A seeded store per backend and a TestClient on the app over it.

The store holds a generated city (2,000 persons), cases in two communities
(A and B), their contacts routed to A and B, alerts in A and B, tasks of the
health and police departments and community tasks, and one account per role.
Requests commit for real (the request owns its transaction), so tests that
write make their own fresh alert or task with :func:`new_alert` /
:func:`new_task` and never depend on the order tests run in.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, aliased

from epicontrol.api.app import create_app
from epicontrol.api.settings import ApiSettings
from epicontrol.config import Settings
from epicontrol.core.city.generator import generate_city
from epicontrol.core.city.params import CityParams
from epicontrol.domains.city import service as city_service
from epicontrol.domains.city.models import Area, Facility, Person
from epicontrol.domains.surveillance.models import Alert
from epicontrol.domains.tasks import service as tasks_service
from epicontrol.domains.tracing.models import Case, Contact, Investigation
from epicontrol.domains.users import service as users
from epicontrol.domains.users.schemas import UserIn
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade
from tests.conftest import fresh_database_url

PASSWORD = "s3cret-pass-word"
NOW = datetime(2026, 11, 5, 2, 0)
_counter = itertools.count(1)


@dataclass
class Store:
    engine: Engine
    community_a: int
    community_b: int
    area_a: int  # a building of community A
    area_b: int
    persons_a: list[int]
    persons_b: list[int]
    cases_a: list[int]
    case_b: int
    site_id: int
    other_site_id: int


def _people(session: Session, community: int, n: int) -> list[int]:
    compound = aliased(Area)
    return list(
        session.scalars(
            select(Person.id)
            .join(Area, Area.id == Person.building_id)
            .join(compound, compound.id == Area.parent_id)
            .where(compound.parent_id == community)
            .order_by(Person.id)
            .limit(n)
        )
    )


def _case(session: Session, person_id: int) -> int:
    case = Case(
        person_id=person_id,
        status="confirmed",
        onset_at=NOW - timedelta(days=1),
        reported_at=NOW,
        source="test",
        created_at=NOW,
        updated_at=NOW,
    )
    session.add(case)
    session.flush()
    return case.id


def _contacts(session: Session, case_id: int, persons: list[int], community: int) -> None:
    inv = Investigation(
        case_id=case_id,
        status="current",
        started_at=NOW,
        completed_at=NOW,
        window_start_at=NOW - timedelta(days=4),
        window_end_at=NOW,
        rules="{}",
        risk_venues="[]",
        index_version="test",
        n_close=len(persons),
        n_secondary=0,
        n_general=0,
        n_yellow_code=0,
        counts="{}",
    )
    session.add(inv)
    session.flush()
    for pid in persons:
        session.add(
            Contact(
                investigation_id=inv.id,
                category="close",
                person_id=pid,
                case_id=case_id,
                relation="household",
                first_exposure_at=NOW - timedelta(days=2),
                last_exposure_at=NOW - timedelta(days=1),
                overlap_minutes=600,
                home_community_id=community,
                priority=1,
            )
        )
    session.flush()


def add_alert(session: Session, area_id: int, departments: tuple[str, ...] = ("health",)) -> int:
    recipients = [{"kind": "department", "code": d, "name": d, "name_en": d} for d in departments]
    alert = Alert(
        area_id=area_id,
        level="yellow",
        status="raised",
        outcome=None,
        signals=["fever_clinic"],
        detections=[],
        first_day=0,
        last_day=0,
        window_days=7,
        recipients=recipients,
        message_zh="发热门诊就诊异常",
        message_en="Fever clinic visits above expected",
        data_arrived_at=NOW,
        raised_at=NOW + timedelta(minutes=5),
        latency_seconds=300.0,
        updated_at=NOW,
    )
    session.add(alert)
    session.flush()
    return alert.id


def add_task(
    session: Session, department: str, *, case_id: int | None = None, subject: int | None = None
) -> int:
    n = next(_counter)
    out = tasks_service.create_task(
        session=session,
        kind="test_step",
        department=department,
        title_zh=f"测试任务 {n}",
        title_en=f"Test task {n}",
        due_at=NOW + timedelta(hours=6),
        created_at=NOW,
        case_id=case_id,
        subject_type="person" if subject is not None else None,
        subject_id=subject,
        actor="seed",
    )
    return out.id


def seed(engine: Engine) -> Store:
    city = generate_city(CityParams(population=2_000, days=1, seed=11))
    with Session(engine) as session, session.begin():
        city_service.create_city(session=session, city=city, days=1)
        communities = list(
            session.scalars(select(Area.id).where(Area.level == "community").order_by(Area.id))
        )
        a, b = communities[0], communities[1]
        pa, pb = _people(session, a, 8), _people(session, b, 8)
        assert len(pa) == 8 and len(pb) == 8
        cases_a = [_case(session, pa[0]), _case(session, pa[1])]
        case_b = _case(session, pb[0])
        _contacts(session, cases_a[0], pa[2:6], a)
        _contacts(session, case_b, pb[2:6], b)
        compound = aliased(Area)
        area_a = session.scalar(
            select(Area.id)
            .join(compound, compound.id == Area.parent_id)
            .where(compound.parent_id == a)
            .limit(1)
        )
        area_b = session.scalar(
            select(Area.id)
            .join(compound, compound.id == Area.parent_id)
            .where(compound.parent_id == b)
            .limit(1)
        )
        assert area_a is not None and area_b is not None
        for department in ("police", "police", "health"):
            add_task(session, department, case_id=cases_a[0])
        add_alert(session, area_a, ("health",))
        sites = list(
            session.scalars(
                select(Facility.id).where(Facility.kind == "quarantine_site").order_by(Facility.id)
            )
        )
        for name, role, scope in (
            ("chief", "commander", {}),
            ("epi", "epidemiologist", {}),
            ("police1", "department_officer", {"department": "police"}),
            ("health1", "department_officer", {"department": "health"}),
            ("gridA", "grid_worker", {"community_id": a}),
            ("gridB", "grid_worker", {"community_id": b}),
            ("site1", "facility_manager", {"facility_id": sites[0]}),
        ):
            users.create_user(
                session=session,
                data=UserIn(name=name, password=PASSWORD, role=role, **scope),  # type: ignore[arg-type]
            )
        return Store(
            engine=engine,
            community_a=a,
            community_b=b,
            area_a=area_a,
            area_b=area_b,
            persons_a=pa,
            persons_b=pb,
            cases_a=cases_a,
            case_b=case_b,
            site_id=sites[0],
            other_site_id=sites[1],
        )


@pytest.fixture(scope="session")
def store(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Store]:
    url = fresh_database_url(backend, tmp_path_factory.mktemp("api"), request)
    engine = make_engine(url)
    upgrade(engine)
    yield seed(engine)
    engine.dispose()


@pytest.fixture(scope="session")
def client(store: Store, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    workspace: Path = tmp_path_factory.mktemp("workspace")
    app = create_app(Settings(workspace=workspace), engine=store.engine, api_settings=ApiSettings())
    with TestClient(app) as c:
        yield c


_tokens: dict[tuple[int, str], str] = {}


def token(client: TestClient, name: str) -> str:
    key = (id(client), name)
    if key not in _tokens:
        r = client.post("/api/auth/login", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        _tokens[key] = r.json()["access_token"]
        client.cookies.clear()
    return _tokens[key]


def auth(client: TestClient, name: str) -> dict[str, str]:
    """The Authorization header of account ``name``."""
    return {"Authorization": f"Bearer {token(client, name)}"}


def new_alert(store: Store, area_id: int, departments: tuple[str, ...] = ("health",)) -> int:
    with Session(store.engine) as session, session.begin():
        return add_alert(session, area_id, departments)


def new_task(
    store: Store, department: str, *, case_id: int | None = None, subject: int | None = None
) -> int:
    with Session(store.engine) as session, session.begin():
        return add_task(session, department, case_id=case_id, subject=subject)
