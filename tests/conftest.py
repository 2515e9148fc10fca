"""Shared fixtures: a database per test session (SQLite by default, PostgreSQL with BREACH_TEST_DB_URL)."""

from __future__ import annotations

import base64
import os
import tempfile
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.orm import Session

# Prefect writes into PREFECT_HOME; keep every test run's Prefect database out of the user's home.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="breach-prefect-home-"))
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from breach import audit
from breach.keys.audit_key import audit_key_id
from breach.store.session import engine_for

REPO = Path(__file__).resolve().parents[1]
FIXTURES = REPO / "tests" / "fixtures"  # copies with provenance: tests/fixtures/MANIFEST.json
NOW = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
# One master key for everything written to the shared test database (tests/flows/conftest.py's runtime
# uses it too): the runtime refuses to start when no key it has made the stored contacts (breach.keys.guard).
TEST_MASTER_KEY_TEXT = os.environ.get("BREACH_TEST_MASTER_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=")
TEST_MASTER_KEY = base64.b64decode(TEST_MASTER_KEY_TEXT)
# One audit key for the whole test database (like the master key in tests/flows/conftest.py), so the
# chain that one test keys is verified by the next; BREACH_TEST_AUDIT_KEY overrides it.
TEST_AUDIT_KEY_TEXT = os.environ.get("BREACH_TEST_AUDIT_KEY", "YXVkaXQta2V5LWZvci10aGUtdGVzdC1kYXRhYmFzZSE=")
TEST_AUDIT_SEAL = audit.AuditSeal(key=base64.b64decode(TEST_AUDIT_KEY_TEXT), key_id=audit_key_id(base64.b64decode(TEST_AUDIT_KEY_TEXT)))


def case_paths() -> list[Path]:
    """The public authority cases the repository carries; none is an error, never a skip."""
    paths = sorted(path for path in (FIXTURES / "cases").glob("*.json") if path.name != "INDEX.json")
    if not paths:
        raise FileNotFoundError(f"no authority cases in {FIXTURES / 'cases'}: the repository is incomplete")
    return paths


@pytest.fixture(scope="session")
def prefect_harness() -> Iterator[None]:
    """One temporary Prefect server for the whole test session, shared by tests/flows and tests/security."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture(scope="session")
def db_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The test database: BREACH_TEST_DB_URL (e.g. PostgreSQL) or a fresh SQLite file."""
    return os.environ.get("BREACH_TEST_DB_URL") or f"sqlite:///{tmp_path_factory.mktemp('db') / 'breach.db'}"


@pytest.fixture(autouse=True, scope="session")
def _one_audit_key_for_the_test_database(db_url: str) -> Iterator[None]:
    """Every session on the shared test database carries its audit key, also those tests build by hand
    (session_factory(db_url)); databases of a test's own (tests/security) keep the keys their runtime made."""
    def stamp(session: Session, _transaction: object, connection: Any) -> None:
        if audit.SEAL not in session.info and connection.engine.url.render_as_string(hide_password=False) == db_url:
            session.info[audit.SEAL] = TEST_AUDIT_SEAL

    event.listen(Session, "after_begin", stamp)
    yield
    event.remove(Session, "after_begin", stamp)


@pytest.fixture()
def session(db_url: str) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test."""
    engine = engine_for(db_url)
    connection = engine.connect()
    outer = connection.begin()
    s = Session(bind=connection, join_transaction_mode="create_savepoint", info={audit.SEAL: TEST_AUDIT_SEAL})
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
