"""A small traced city for the dashboard's tests: 3,000 persons, 14 days, two cases
traced, their zones delineated (with the playbook tasks) and an outbreak alert, plus one
account per role.  Built once per backend (SQLite, and PostgreSQL when configured)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from epicontrol.api.queries import community_of
from epicontrol.cli.main import app
from epicontrol.cli.surveil import outbreak_demo
from epicontrol.config import Settings
from epicontrol.domains.city.models import City, Person
from epicontrol.domains.tracing.models import Case
from epicontrol.domains.users import service as users
from epicontrol.domains.users.schemas import UserIn
from epicontrol.store.engine import make_engine
from tests.conftest import fresh_database_url

runner = CliRunner()
PASSWORDS = {
    "commander": "commander-pass-1",
    "epi": "epidemiologist-1",
    "grid": "grid-worker-pass",
    "grid2": "grid-worker-two",
    "health": "health-officer-1",
}


@dataclass
class City3k:
    """The seeded workspace, its store and the ids the tests look for."""

    path: Path
    settings: Settings
    engine: Engine
    alert_id: int
    alert_community: int
    case_ids: list[int]
    case_community: int


def _run(env: dict[str, str], *args: str) -> None:
    result = runner.invoke(app, list(args), env=env)
    assert result.exit_code == 0, (args, result.stdout, result.stderr)


def seed_city(path: Path, url: str) -> City3k:
    """Generate, trace, delineate, raise an alert and add the accounts (in ``path``)."""
    env = {"EPICONTROL_DATABASE_URL": "" if url.startswith("sqlite") else url}
    ws = str(path)
    _run(env, "city", "generate", "-n", "3000", "-d", "14", "-s", "2", "-w", ws, "--json")
    engine = make_engine(url)
    with Session(engine) as session:
        day0 = session.scalars(select(City.epoch_utc)).one() + timedelta(hours=8)
        pids = list(
            session.scalars(
                select(Person.id).where(Person.age.between(25, 55)).order_by(Person.id).limit(2)
            )
        )
    onset = (day0 + timedelta(days=10)).date().isoformat()
    for pid in pids:
        _run(
            env,
            "trace",
            "case",
            str(pid),
            "--onset",
            onset,
            "--reported",
            onset + "T20:00",
            "-w",
            ws,
            "--json",
        )
    _run(env, "zones", "delineate", "--all", "-w", ws, "--json")
    settings = Settings(workspace=path, database_url=None if url.startswith("sqlite") else url)
    demo = outbreak_demo(settings)
    with Session(engine) as session, session.begin():
        cases = list(session.scalars(select(Case.id).order_by(Case.id)))
        person = session.get(Person, session.get(Case, cases[0]).person_id)  # type: ignore[union-attr]
        assert person is not None
        case_community = community_of(session, person.building_id)
        assert case_community is not None and case_community != demo.community_id
        accounts = [
            UserIn(name="commander", password=PASSWORDS["commander"], role="commander"),
            UserIn(name="epi", password=PASSWORDS["epi"], role="epidemiologist"),
            UserIn(
                name="grid",
                password=PASSWORDS["grid"],
                role="grid_worker",
                community_id=demo.community_id,
            ),
            UserIn(
                name="grid2",
                password=PASSWORDS["grid2"],
                role="grid_worker",
                community_id=case_community,
            ),
            UserIn(
                name="health",
                password=PASSWORDS["health"],
                role="department_officer",
                department="health",
            ),
        ]
        for account in accounts:
            users.create_user(session=session, data=account)
    return City3k(
        path=path,
        settings=settings,
        engine=engine,
        alert_id=demo.alert.id,
        alert_community=demo.community_id,
        case_ids=cases,
        case_community=case_community,
    )


@pytest.fixture(scope="package")
def city3k(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[City3k]:
    path = tmp_path_factory.mktemp("web") / "ws"
    url = (
        f"sqlite:///{path / 'epicontrol.db'}"
        if backend == "sqlite"
        else fresh_database_url(backend, path.parent, request)
    )
    city = seed_city(path, url)
    yield city
    city.engine.dispose()
