"""Append-only, hash-chained audit log (the record Art. 33(5) asks for).

Each entry's hash covers its own fields and the previous entry's hash, so an edited, deleted or
reordered entry breaks the chain at a position that ``verify`` reports. Details must never hold
personal data of affected people: counts, ids and hashes only.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Insert, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from breach.exceptions import AuditChainBroken
from breach.store.locks import write_lock
from breach.store.tables import AuditEventRow, AuditHead

GENESIS = "0" * 64


def entry_hash(*, seq: int, at: datetime, actor: str, action: str, incident_id: str | None, details: dict[str, Any], prev_hash: str) -> str:
    """SHA-256 over a canonical JSON of the entry and the previous hash."""
    body = json.dumps(
        {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action, "incident_id": incident_id, "details": details,
         "prev": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def record(*, session: Session, action: str, actor: str, at: datetime, incident_id: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEventRow:
    """Append one entry; the head row is write-locked first so concurrent writers stay in one chain."""
    details = json.loads(json.dumps(details or {}, default=str))
    head = lock_head(session)
    seq = head.seq + 1
    digest = entry_hash(seq=seq, at=at, actor=actor, action=action, incident_id=incident_id, details=details, prev_hash=head.hash)
    row = AuditEventRow(seq=seq, incident_id=incident_id, at=at, actor=actor, action=action, details=details, prev_hash=head.hash,
                        hash=digest)
    session.add(row)
    head.seq, head.hash = seq, digest
    session.flush()
    return row


def lock_head(session: Session) -> AuditHead:
    """The chain's head, read only after this transaction holds the write lock on it (see store.locks)."""
    if not write_lock(session, AuditHead, AuditHead.id == 1):  # the first entry ever: create the head, then lock it
        session.execute(_insert_if_missing(session))
        write_lock(session, AuditHead, AuditHead.id == 1)
    return session.execute(select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)).scalar_one()


def _insert_if_missing(session: Session) -> Insert:
    values = {"id": 1, "seq": 0, "hash": GENESIS}
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(AuditHead).values(**values).on_conflict_do_nothing(index_elements=["id"])
    if dialect == "sqlite":
        return sqlite.insert(AuditHead).values(**values).on_conflict_do_nothing(index_elements=["id"])
    return insert(AuditHead).values(**values)


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str


def verify_rows(rows: Iterable[AuditEventRow], *, head: AuditHead | None) -> ChainReport:
    """Recompute the chain; raise AuditChainBroken at the first entry that does not fit."""
    prev, expected_seq, count = GENESIS, 1, 0
    for row in rows:
        if row.seq != expected_seq:
            raise AuditChainBroken(expected_seq, f"entry {expected_seq} is missing (found {row.seq} next)")
        if row.prev_hash != prev:
            raise AuditChainBroken(row.seq, "does not link to the entry before it (reordered or an entry removed)")
        digest = entry_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action, incident_id=row.incident_id, details=row.details,
                            prev_hash=row.prev_hash)
        if digest != row.hash:
            raise AuditChainBroken(row.seq, "its content was changed after it was written")
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    if head is not None and (head.seq != count or head.hash != prev):
        raise AuditChainBroken(count + 1,
                               f"the chain ends at entry {count} but its head says {head.seq}: entries were removed from the end")
    return ChainReport(entries=count, head=prev)


def verify(*, session: Session) -> ChainReport:
    """Verify the whole audit log in order of sequence."""
    rows = session.execute(select(AuditEventRow).order_by(AuditEventRow.seq)).scalars()
    head = session.get(AuditHead, 1)
    return verify_rows(rows, head=head)


def events_for(*, session: Session, incident_id: str) -> list[AuditEventRow]:
    """An incident's timeline, oldest first."""
    stmt = select(AuditEventRow).where(AuditEventRow.incident_id == incident_id).order_by(AuditEventRow.seq)
    return list(session.execute(stmt).scalars())
