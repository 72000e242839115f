"""Shared fixtures: a migrated store per backend, sessions in rolled-back transactions.

Every database test runs on SQLite, and on PostgreSQL too when
``EPICONTROL_TEST_POSTGRES_URL`` is set (each test run gets its own schema,
dropped at the end).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import upgrade

PG_URL = os.environ.get("EPICONTROL_TEST_POSTGRES_URL")
BACKENDS = ["sqlite"] + (["postgres"] if PG_URL else [])


def postgres_schema_url(base_url: str, schema: str) -> str:
    """``base_url`` with the search path set to ``schema``."""
    url = make_url(base_url)
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    return url.update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False
    )


@pytest.fixture(scope="session")
def pg_schema_factory() -> Iterator[object]:
    """Creates fresh PostgreSQL schemas and drops them all at the end."""
    if not PG_URL:
        pytest.skip("EPICONTROL_TEST_POSTGRES_URL is not set")
    admin = make_engine(postgres_schema_url(PG_URL, "public"))
    made: list[str] = []

    def new_schema() -> str:
        name = f"t_{uuid.uuid4().hex[:12]}"
        with admin.begin() as c:
            c.execute(text(f'CREATE SCHEMA "{name}"'))
        made.append(name)
        return postgres_schema_url(PG_URL, name)

    yield new_schema
    # one transaction per schema: dropping them all at once takes a lock per table
    # of every schema and exceeds max_locks_per_transaction
    for name in made:
        with admin.begin() as c:
            c.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


def fresh_database_url(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    """An empty database of ``backend`` (a new SQLite file or a new PostgreSQL schema)."""
    if backend == "sqlite":
        return f"sqlite:///{tmp_path / 'store.db'}"
    factory = request.getfixturevalue("pg_schema_factory")
    return factory()  # type: ignore[no-any-return,operator]


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def db_engine(
    backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Engine]:
    """A migrated, otherwise empty store, shared by the session's tests."""
    url = fresh_database_url(backend, tmp_path_factory.mktemp("db"), request)
    engine = make_engine(url)
    upgrade(engine)
    yield engine
    engine.dispose()


@pytest.fixture()
def session(db_engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    connection = db_engine.connect()
    transaction = connection.begin()
    db_session = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield db_session
    finally:
        db_session.close()
        transaction.rollback()
        connection.close()
