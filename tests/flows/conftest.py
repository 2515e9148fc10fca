"""Real Prefect runs against a temporary local server (prefect_test_harness)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from prefect.testing.utilities import prefect_test_harness

from breach import instants
from breach.approval import roster
from breach.approval.roster import RosterEntry
from flows.runtime import Runtime, runtime

MANAGER = "manager@example.com"
RESPONDER = "responder@example.com"


@pytest.fixture(autouse=True, scope="session")
def prefect_harness() -> Iterator[None]:
    with prefect_test_harness(server_startup_timeout=300):
        yield


@pytest.fixture()
def rt(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A runtime on the test database with its own data folder and the outbox channel."""
    for name in ("SENDGRID_API_KEY", "BREACH_SENDGRID_HOST", "BREACH_CONTROLLER_FILE", "BREACH_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BREACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BREACH_DB_URL", db_url)
    monkeypatch.setenv("BREACH_MANAGERS", MANAGER)
    # One master key for the whole test database, so people imported by earlier tests still decrypt.
    monkeypatch.setenv("BREACH_MASTER_KEY", os.environ.get("BREACH_TEST_MASTER_KEY", "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="))
    runtime.cache_clear()
    built = runtime()
    # The test database is shared by the whole session: every test starts from the same stored roster.
    with built.sessions.begin() as session:
        roster.set_roster(session=session, entries=[RosterEntry(email=MANAGER)], actor="os:test", now=instants.utcnow(), source="test")
    yield built
    runtime.cache_clear()
