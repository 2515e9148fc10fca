"""Alembic environment: runs on the connection handed in by breach.store.session.upgrade."""

from alembic import context
from sqlalchemy import Connection, create_engine

from breach.store.tables import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("alembic: no connection handed in and no sqlalchemy.url configured")
    with create_engine(url).begin() as opened:
        _migrate(opened)


def _migrate(connection: Connection) -> None:
    context.configure(connection=connection, target_metadata=target_metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


run()
