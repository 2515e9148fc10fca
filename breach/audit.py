"""Append-only, hash-chained audit log (the record Art. 33(5) asks for), keyed and anchored outside the database.

Each entry's hash covers its own fields and the previous entry's hash, so an edited, deleted or
reordered entry breaks the chain at a position that ``verify`` reports. A plain SHA-256 chain can
be recomputed by anyone who can write to the database, so from the position ``keyed_from`` (kept
on the head row) every entry's hash is an HMAC-SHA256 under the **audit key**, a secret kept
outside the database like the master key (``audit.key`` beside it, ``BREACH_AUDIT_KEY`` or a
Prefect Secret; see ``breach.keys.audit_key``). Entries written before a key existed stay plain
SHA-256 and are verified as before.

After each transaction that appended entries, the new head (sequence number, hash, ``keyed_from``)
is also appended to the **head file** beside the key (``audit-head.log``, JSON lines, mode 0600).
``verify`` checks every line of it against the database, so a database restored to an earlier
state (a rollback), or a chain recomputed from an earlier entry, is detected even by someone who
cannot see the key. Each process appends what it wrote; the file is per machine.

The key and the head file reach this module as an ``AuditSeal`` in ``session.info["audit_seal"]``
(set by the runtime's session factory), so every caller of ``record`` and ``verify`` uses them.
Details must never hold personal data of affected people: counts, ids and hashes only.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache, partial
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Insert, event, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from breach.exceptions import AuditChainBroken, ConfigurationError
from breach.store.locks import write_lock
from breach.store.tables import AuditEventRow, AuditHead

GENESIS = "0" * 64
SEAL = "audit_seal"  # the session.info key of the AuditSeal
_PENDING = "audit_head_pending"
KEY_SETTING = "BREACH_AUDIT_KEY"
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class AuditSeal:
    """The audit key (never printed) with its public id, and the head file outside the database (if any)."""

    key: bytes = field(repr=False)
    key_id: str
    head_file: Path | None = None


@dataclass(frozen=True)
class ChainReport:
    entries: int
    head: str
    keyed_from: int | None = None
    anchors: int = 0  # head-file records checked against the database


def entry_hash(*, seq: int, at: datetime, actor: str, action: str, incident_id: str | None, details: dict[str, Any], prev_hash: str,
               key: bytes | None = None) -> str:
    """SHA-256 (or, with ``key``, HMAC-SHA256) over a canonical JSON of the entry and the previous hash."""
    fields = {"seq": seq, "at": at.isoformat(), "actor": actor, "action": action, "incident_id": incident_id, "details": details}
    body = json.dumps(
        {**fields, "prev": prev_hash},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    ).encode("utf-8")
    return hmac.new(key, body, hashlib.sha256).hexdigest() if key is not None else hashlib.sha256(body).hexdigest()


def _seal(session: Session) -> AuditSeal | None:
    seal = session.info.get(SEAL)
    return seal if isinstance(seal, AuditSeal) else None


def _key_for(seq: int, *, head: AuditHead | None, seal: AuditSeal | None) -> bytes | None:
    """The key entry ``seq`` is hashed with: None before ``keyed_from``; ConfigurationError when it is needed and absent or wrong."""
    keyed_from = head.keyed_from if head is not None else None
    if keyed_from is None or seq < keyed_from:
        return None
    if seal is None:
        key_id = head.key_id if head is not None else "?"
        raise ConfigurationError(KEY_SETTING, f"the audit log is keyed from entry {keyed_from} on (audit key {key_id}), and this "
                                              "process has no audit key: restore audit.key from the recovery copy "
                                              "(breach keys restore) or set BREACH_AUDIT_KEY")
    if head is not None and head.key_id and head.key_id != seal.key_id:
        raise ConfigurationError(KEY_SETTING, f"the audit log is keyed with audit key {head.key_id}, this process has audit key "
                                              f"{seal.key_id}: restore the right audit.key (breach keys restore)")
    return seal.key


def record(*, session: Session, action: str, actor: str, at: datetime, incident_id: str | None = None,
           details: dict[str, Any] | None = None) -> AuditEventRow:
    """Append one entry; the head row is write-locked first so concurrent writers stay in one chain."""
    details = json.loads(json.dumps(details or {}, default=str))
    head = lock_head(session)
    seal = _seal(session)
    seq = head.seq + 1
    if seal is not None and head.keyed_from is None:  # the first entry with a key: keyed from here on (recorded)
        head.keyed_from, head.key_id = seq, seal.key_id
    key = _key_for(seq, head=head, seal=seal)
    digest = entry_hash(seq=seq, at=at, actor=actor, action=action, incident_id=incident_id, details=details, prev_hash=head.hash, key=key)
    row = AuditEventRow(seq=seq, incident_id=incident_id, at=at, actor=actor, action=action, details=details, prev_hash=head.hash,
                        hash=digest)
    session.add(row)
    head.seq, head.hash = seq, digest
    session.flush()
    if seal is not None and seal.head_file is not None:
        session.info[_PENDING] = {"seq": seq, "hash": digest, "keyed_from": head.keyed_from, "key_id": head.key_id}
    return row


@event.listens_for(Session, "after_commit")
def _anchor_after_commit(session: Session) -> None:
    """Once the entries are committed (never before: a rolled-back entry must not be anchored), append the head."""
    pending = session.info.pop(_PENDING, None)
    seal = _seal(session)
    if pending is None or seal is None or seal.head_file is None:
        return
    try:
        append_head(seal.head_file, pending)
    except OSError as exc:  # the entries are committed; say so, and the next append anchors a later head
        log.warning("could not append the audit head to %s: %s", seal.head_file, exc.strerror or exc)


@event.listens_for(Session, "after_rollback")
def _forget_after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


def append_head(path: Path, line: dict[str, Any]) -> None:
    """Append one head record (one short line, one write: O_APPEND keeps concurrent writers whole)."""
    data = (json.dumps(line, sort_keys=True, separators=(",", ":")) + "\n").encode("ascii")
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, data)
    finally:
        os.close(fd)


def read_heads(path: Path | None) -> list[dict[str, Any]]:
    """The head file's records, by sequence; a torn last line (a crash mid-write) is ignored, any other damage is not."""
    if path is None or not path.exists():
        return []
    lines = path.read_text(encoding="ascii", errors="replace").splitlines()
    out = []
    for number, text in enumerate(lines, start=1):
        try:
            item = json.loads(text)
            out.append({"seq": int(item["seq"]), "hash": str(item["hash"]), "keyed_from": item.get("keyed_from")})
        except (ValueError, KeyError, TypeError) as exc:
            if number == len(lines):
                break
            raise AuditChainBroken(0, f"line {number} of the head file {path} is damaged") from exc
    return sorted(out, key=lambda item: item["seq"])


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


def _check_anchors(anchors: Iterator[dict[str, Any]], row: AuditEventRow, pending: dict[str, Any] | None) -> dict[str, Any] | None:
    """Compare the head-file records for ``row.seq`` with the row; return the next record not yet reached."""
    while pending is not None and pending["seq"] <= row.seq:
        if pending["seq"] == row.seq and pending["hash"] != row.hash:
            raise AuditChainBroken(row.seq, "differs from the head recorded outside the database: the chain was rewritten from here")
        pending = next(anchors, None)
    return pending


def verify_rows(rows: Iterable[AuditEventRow], *, head: AuditHead | None, seal: AuditSeal | None = None,
                heads: list[dict[str, Any]] | None = None, committed_seq: Callable[[], int] | None = None) -> ChainReport:
    """Recompute the chain; raise AuditChainBroken at the first entry that does not fit.

    ``head`` must have been read before ``rows``. Where the rows go on past it, or the head file records entries the
    rows do not reach, ``committed_seq`` (the newest committed head, read afresh) tells concurrent writers that
    committed in between from entries appended without moving the head or removed from the end.
    """
    heads = heads or []
    keyed_from = head.keyed_from if head is not None else None
    for anchor in heads:
        if anchor.get("keyed_from") is not None and anchor["keyed_from"] != keyed_from:
            raise AuditChainBroken(int(anchor["keyed_from"]), f"the head file says the chain is keyed from entry {anchor['keyed_from']}, "
                                                            f"the database says {keyed_from}: the database was altered")
    anchors = iter(heads)
    pending = next(anchors, None)
    prev, expected_seq, count = GENESIS, 1, 0
    at_head = GENESIS if head is not None and head.seq == 0 else None  # the hash of the entry the head names
    for row in rows:
        if row.seq != expected_seq:
            raise AuditChainBroken(expected_seq, f"entry {expected_seq} is missing (found {row.seq} next)")
        if row.prev_hash != prev:
            raise AuditChainBroken(row.seq, "does not link to the entry before it (reordered or an entry removed)")
        key = _key_for(row.seq, head=head, seal=seal)
        digest = entry_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action, incident_id=row.incident_id, details=row.details,
                            prev_hash=row.prev_hash, key=key)
        if not hmac.compare_digest(digest, row.hash):
            why = " (or it was written without the audit key)" if key else ""
            raise AuditChainBroken(row.seq, f"its content was changed after it was written{why}")
        pending = _check_anchors(anchors, row, pending)
        if head is not None and row.seq == head.seq:
            at_head = row.hash
        prev, expected_seq, count = row.hash, expected_seq + 1, count + 1
    if pending is not None and (committed_seq is None or committed_seq() < pending["seq"]):
        raise AuditChainBroken(count + 1, f"the head file outside the database records entry {pending['seq']}, the database ends at "
                                          f"entry {count}: the database was rolled back or entries were removed")
    if head is not None and (head.seq > count or at_head != head.hash):
        raise AuditChainBroken(count + 1, f"the chain ends at entry {count} but its head says {head.seq}: "
                                          "entries were removed from the end")
    if head is not None and head.seq < count and (committed_seq is None or committed_seq() < count):
        raise AuditChainBroken(head.seq + 1, f"entries {head.seq + 1} to {count} lie beyond the chain's head: "
                                             "they were written without moving it")
    return ChainReport(entries=count, head=prev, keyed_from=keyed_from, anchors=len(heads))


def verify(*, session: Session) -> ChainReport:
    """Verify the whole audit log in order of sequence, with the audit key and against the head file.

    Read in this order so that writers committing meanwhile never look like damage (PostgreSQL's read committed
    shows each statement the newest commits): the head file, then the head, then the entries. Every record of the
    head file was committed before the head is read, and every entry up to the head before the entries are.
    """
    seal = _seal(session)
    heads = read_heads(seal.head_file if seal else None)
    head = session.execute(select(AuditHead).where(AuditHead.id == 1).execution_options(populate_existing=True)).scalar_one_or_none()
    rows = session.execute(select(AuditEventRow).order_by(AuditEventRow.seq).execution_options(yield_per=1000)).scalars()
    with contextlib.closing(rows):
        return verify_rows(rows, head=head, seal=seal, heads=heads, committed_seq=cache(partial(_committed_seq, session)))  # read once


def _committed_seq(session: Session) -> int:
    """The newest committed head, read on a connection of its own (outside this session's snapshot)."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    with engine.connect() as connection:
        return int(connection.execute(select(AuditHead.seq).where(AuditHead.id == 1)).scalar() or 0)


def sealed(*, session: Session, rows: Iterable[AuditEventRow]) -> list[AuditEventRow]:
    """The rows whose own hash verifies (an HMAC under the audit key from ``keyed_from`` on): a cheap check of single
    entries, without walking the chain; a row inserted by someone without the key is left out."""
    head, seal = session.get(AuditHead, 1), _seal(session)
    out = []
    for row in rows:
        key = _key_for(row.seq, head=head, seal=seal)
        digest = entry_hash(seq=row.seq, at=row.at, actor=row.actor, action=row.action, incident_id=row.incident_id,
                            details=row.details, prev_hash=row.prev_hash, key=key)
        if hmac.compare_digest(digest, row.hash):
            out.append(row)
    return out


def events_for(*, session: Session, incident_id: str, actions: Iterable[str] | None = None) -> list[AuditEventRow]:
    """An incident's timeline, oldest first; only the given actions when ``actions`` is given."""
    stmt = select(AuditEventRow).where(AuditEventRow.incident_id == incident_id).order_by(AuditEventRow.seq)
    if actions is not None:
        stmt = stmt.where(AuditEventRow.action.in_(list(actions)))
    return list(session.execute(stmt).scalars())
