"""The schema is made by the migrations: upgrade, downgrade, upgrade again."""

from __future__ import annotations

from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from epicontrol.domains.metadata import metadata
from epicontrol.store.engine import make_engine
from epicontrol.store.migrate import current_revision, downgrade, head_revision, upgrade
from tests.conftest import fresh_database_url

TABLES = {
    "cities",
    "areas",
    "area_adjacency",
    "households",
    "venues",
    "groups",
    "persons",
    "facilities",
    "import_batches",
}


def test_upgrade_downgrade_upgrade(
    backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    engine = make_engine(fresh_database_url(backend, tmp_path, request))
    try:
        assert current_revision(engine) is None
        upgrade(engine)
        assert current_revision(engine) == head_revision()
        assert set(inspect(engine).get_table_names()) >= TABLES

        downgrade(engine, "base")
        assert current_revision(engine) is None
        assert not (TABLES & set(inspect(engine).get_table_names()))

        upgrade(engine)
        assert set(inspect(engine).get_table_names()) >= TABLES
        # the migrated schema is exactly what the models declare
        with engine.connect() as connection:
            diff = compare_metadata(MigrationContext.configure(connection), metadata)
        assert diff == []
    finally:
        engine.dispose()
