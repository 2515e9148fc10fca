"""Real Prefect runs against a temporary local server (prefect_test_harness)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from breach import instants
from breach.approval import roster
from breach.approval.roster import RosterEntry
from flows.runtime import Runtime, runtime
from tests.conftest import TEST_AUDIT_KEY_TEXT, TEST_MASTER_KEY_TEXT

MANAGER = "manager@example.com"
RESPONDER = "responder@example.com"


@pytest.fixture(autouse=True, scope="session")
def _flows_harness(prefect_harness: None) -> None:
    """Every flow test runs against the one temporary Prefect server (tests/conftest.py)."""


@pytest.fixture()
def rt(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Runtime]:
    """A runtime on the test database with its own data folder and the outbox channel."""
    for name in ("SENDGRID_API_KEY", "BREACH_SENDGRID_HOST", "BREACH_CONTROLLER_FILE", "BREACH_MASTER_KEY"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BREACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BREACH_DB_URL", db_url)
    monkeypatch.setenv("BREACH_MANAGERS", MANAGER)
    # One master key for the whole test database, so people imported by earlier tests still decrypt.
    monkeypatch.setenv("BREACH_MASTER_KEY", TEST_MASTER_KEY_TEXT)
    monkeypatch.setenv("BREACH_AUDIT_KEY", TEST_AUDIT_KEY_TEXT)  # the test database's one audit key (tests/conftest.py)
    # The SendGrid stand-in indexes its Activity API at once and each test has its own (6 a minute each);
    # a test that models SendGrid's delay, its limit or a missing add-on sets these itself.
    monkeypatch.setenv("BREACH_ACTIVITY_INDEX_DELAY", "0")
    monkeypatch.setenv("BREACH_ACTIVITY_PER_MINUTE", "0")
    monkeypatch.setenv("BREACH_RECONCILE_WAIT", "10")
    runtime.cache_clear()
    built = runtime()
    # The test database is shared by the whole session: every test starts from the same stored roster.
    with built.sessions.begin() as session:
        roster.set_roster(session=session, entries=[RosterEntry(email=MANAGER)], actor="os:test", now=instants.utcnow(), source="test")
    yield built
    runtime.cache_clear()
