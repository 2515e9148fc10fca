"""Engines and sessions; the schema is brought to the newest migration on first use."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def alembic_config(url: str) -> Config:
    """An Alembic configuration pointing at the bundled migrations."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the watcher read while a send writes; foreign keys are off by default in SQLite.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; for SQLite the parent folder is created and WAL enabled."""
    if url.startswith("sqlite:///") and not url.startswith(("sqlite:///:memory:", "sqlite:///file:")) and "?" not in url:
        Path(url.removeprefix("sqlite:///")).parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    # hide_parameters: a database error's message never carries the statement's values (a summary, a name),
    # so nothing personal reaches the console, the logs or Prefect's database through an exception
    engine = create_engine(url, pool_pre_ping=True, hide_parameters=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def upgrade(engine: Engine) -> bool:
    """Apply pending migrations; returns True when something was applied."""
    config = alembic_config(engine.url.render_as_string(hide_password=False))
    heads = set(ScriptDirectory.from_config(config).get_heads())
    with engine.connect() as connection:
        if set(MigrationContext.configure(connection).get_current_heads()) == heads:
            return False
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "heads")
    return True


@lru_cache(maxsize=8)
def engine_for(url: str) -> Engine:
    """One migrated engine per URL per process."""
    engine = make_engine(url)
    upgrade(engine)
    return engine


def session_factory(url: str, *, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    """Sessions bound to the migrated engine for ``url``; callers own ``with session.begin():``.

    ``info`` is copied into every session's ``info`` (e.g. the audit seal, breach.audit).
    """
    return sessionmaker(engine_for(url), expire_on_commit=False, info=info)
