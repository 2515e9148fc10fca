"""Shared fixtures: a database per test session (SQLite by default, PostgreSQL with BREACH_TEST_DB_URL)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

# Prefect writes into PREFECT_HOME; keep every test run's Prefect database out of the user's home.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="breach-prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from breach.store.session import engine_for

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"  # copies with provenance: tests/fixtures/MANIFEST.json
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)


def case_paths() -> list[Path]:
    """The public authority cases the repository carries; none is an error, never a skip."""
    paths = sorted(path for path in (FIXTURES / "cases").glob("*.json") if path.name != "INDEX.json")
    if not paths:
        raise FileNotFoundError(f"no authority cases in {FIXTURES / 'cases'}: the repository is incomplete")
    return paths


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database: BREACH_TEST_DB_URL (e.g. PostgreSQL) or a fresh SQLite file."""
    return os.environ.get("BREACH_TEST_DB_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'breach.db'}"


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    engine = engine_for(db_url)
    connection = engine.connect()
    outer = connection.begin()
    s = Session(bind=connection, join_transaction_mode="create_savepoint")
    try:
        yield s
    finally:
        s.close()
        outer.rollback()
        connection.close()


@pytest.fixture()
def now() -> datetime:
    """A fixed instant for tests."""
    return NOW
