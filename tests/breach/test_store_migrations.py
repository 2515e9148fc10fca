"""The migrations build exactly the schema the models describe (tables, columns, indexes), on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from breach.store.session import engine_for
from breach.store.tables import Base, PersonRow

pytestmark = pytest.mark.integration


def test_the_migrated_database_matches_the_models(db_url: str) -> None:
    engine = engine_for(db_url)  # upgraded to the newest migration
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    assert differences == []


def test_people_are_counted_from_an_index_on_language_and_channel(db_url: str) -> None:
    indexes = {tuple(ix["column_names"]) for ix in inspect(engine_for(db_url)).get_indexes(PersonRow.__tablename__)}
    assert ("incident_id", "language", "channel") in indexes
