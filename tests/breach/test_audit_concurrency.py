"""Several processes appending to the audit log at once still build one unbroken chain."""

from __future__ import annotations

import dataclasses
import multiprocessing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from breach import audit
from breach.store.session import engine_for
from breach.store.tables import AuditEventRow
from tests.conftest import TEST_AUDIT_SEAL

pytestmark = pytest.mark.integration

WRITERS, ENTRIES = 4, 40


def _seal(head_file: str) -> audit.AuditSeal:
    """The test database's audit key, with a head file of this test's own (appended by every writer)."""
    return dataclasses.replace(TEST_AUDIT_SEAL, head_file=Path(head_file))


def _append(url: str, writer: int, start: multiprocessing.synchronize.Event, head_file: str) -> None:
    sessions = sessionmaker(engine_for(url), info={audit.SEAL: _seal(head_file)})
    start.wait(30)
    for i in range(ENTRIES):
        with sessions.begin() as session:
            # a read before the append, as the send path does, must not let two writers take one seq
            session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()
            audit.record(session=session, action="test.concurrent", actor=f"writer-{writer}@example.com",
                         at=datetime.now(UTC), incident_id="BR-CONCURRENT", details={"i": i})


def _start_writers(db_url: str, head_file: str) -> tuple[list[multiprocessing.process.BaseProcess], Any]:
    """WRITERS processes appending ENTRIES entries each, let go at once; and the start event, which the caller keeps
    until they have ended (spawned children open it after this returns)."""
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Event()
    procs = [ctx.Process(target=_append, args=(db_url, w, start, head_file)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    start.set()
    return procs, start


def test_writers_in_several_processes_keep_one_chain(db_url: str, tmp_path: Path) -> None:
    head_file = str(tmp_path / "audit-head.log")
    sessions = sessionmaker(engine_for(db_url), info={audit.SEAL: _seal(head_file)})
    with sessions() as session:
        before = session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()
    procs, _start = _start_writers(db_url, head_file)
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS
    with sessions() as session:
        report = audit.verify(session=session)
        seqs = list(session.execute(select(AuditEventRow.seq).order_by(AuditEventRow.seq)).scalars())
    assert report.entries == before + WRITERS * ENTRIES
    assert report.anchors == WRITERS * ENTRIES  # every writer's heads, appended concurrently, agree with the database
    assert seqs == list(range(1, len(seqs) + 1))


def test_verifying_while_others_append_never_reports_damage(db_url: str, tmp_path: Path) -> None:
    """The send path verifies the whole chain while other incidents' runs append (bench/incidents.py with two workers
    found 'the chain ends at entry 912 but its head says 914' on PostgreSQL: the head was read after the entries)."""
    head_file = str(tmp_path / "audit-head.log")
    sessions = sessionmaker(engine_for(db_url), info={audit.SEAL: _seal(head_file)})
    procs, _start = _start_writers(db_url, head_file)
    checks = 0
    while any(p.is_alive() for p in procs) or checks == 0:
        with sessions() as session:
            session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()  # a read first, as the send path does
            audit.verify(session=session)
        checks += 1
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * WRITERS and checks >= 1
