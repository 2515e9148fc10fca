"""Master-key rotation over the people table: re-encrypt every contact under the newest key.

Online and resumable: rows are rotated in chunks of ``chunk`` rows, one transaction each, in order
of id, each audited in the same transaction (``keys.rotated_chunk``), so a rotation killed midway
leaves a record of every chunk it re-encrypted; a finished run adds ``keys.rotated`` with the
totals. A row is done when its token carries the current key id (``MultiKeyCipher.needs_rotation``),
so a second run after a crash only touches what is left. Reads keep working throughout, because
the runtime's cipher decrypts with every known key.

The blind index (``dedup_key``) is derived from the master key too, so it is re-keyed in the same
update: the person's identity is recovered from the decrypted contact, checked against the stored
index under the old key, and indexed again under the new one. The AES-GCM ``aad`` binds the new
token to the new index. A row whose identity cannot be recovered keeps its index (it still
decrypts); it is counted as ``index_kept``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from breach import audit
from breach.keys.cipher import MultiKeyCipher
from breach.people.rows import _identity_key, external_key_of  # the one definition of a person's identity
from breach.people.store import _aad  # the one definition of a contact's binding
from breach.store.tables import PersonRow

CHUNK = 1000


@dataclass
class RotationReport:
    """What one run of ``rotate_people`` did."""

    key_id: str
    rows: int = 0
    rotated: int = 0
    already_current: int = 0
    index_rekeyed: int = 0
    index_kept: int = 0
    chunks: int = 0

    def as_counts(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class KeyStatus:
    """How many contacts each key id protects."""

    current: str
    by_key: dict[str, int]

    @property
    def pending(self) -> int:
        return sum(n for kid, n in self.by_key.items() if kid != self.current)


def _hex(kid: int) -> str:
    return f"0x{kid:08x}"


def status(*, session: Session, cipher: MultiKeyCipher) -> KeyStatus:
    """Count contacts per key id (reads only the 5-byte token header of each row)."""
    counts: dict[str, int] = {}
    stmt = select(PersonRow.contact_enc).execution_options(yield_per=CHUNK)
    for token in session.execute(stmt).scalars():
        kid = _hex(int.from_bytes(bytes(token[1:5]), "big"))
        counts[kid] = counts.get(kid, 0) + 1
    return KeyStatus(current=_hex(cipher.current.key_id), by_key=counts)


def _identity_candidates(data: dict[str, Any], country: str | None) -> Iterator[tuple[str | None, str, str | None, str | None]]:
    """Possible (email, name, postal code, first address line) that produced the stored index."""
    if data.get("email"):
        yield data["email"], data["name"], None, None
        return
    lines: list[str] = data.get("address_lines") or []
    firsts = [lines[0], None] if lines else [None]
    postals: list[str | None] = [None]
    for line in lines[-2:]:
        tokens = line.split()
        postals += [" ".join(tokens[:k]) for k in range(1, len(tokens) + 1)]
    if country == "GB" and lines:
        postals.append(lines[-1])
    for first in firsts:
        for postal in dict.fromkeys(postals):
            yield None, data["name"], postal, first


def rekey_index(data: dict[str, Any], *, country: str | None, stored: bytes, old_key: bytes, new_key: bytes) -> bytes | None:
    """The person's index under ``new_key``, or None when no candidate identity matches ``stored`` under ``old_key``."""
    for email, name, postal, first in _identity_candidates(data, country):
        if _identity_key(email, name, postal, first, old_key) == bytes(stored):
            return _identity_key(email, name, postal, first, new_key)
    return None


def _rotate_row(row: Any, cipher: MultiKeyCipher, report: RotationReport) -> dict[str, Any]:
    old_aad = _aad(row.incident_id, bytes(row.dedup_key))
    plaintext = cipher.decrypt(row.contact_enc, aad=old_aad)
    old_index_key = cipher.index_key_of(row.contact_enc)
    key = bytes(row.dedup_key)
    if old_index_key != cipher.index_key:
        new = rekey_index(json.loads(plaintext), country=row.country, stored=key, old_key=old_index_key, new_key=cipher.index_key)
        if new is None:
            report.index_kept += 1
        else:
            key, report.index_rekeyed = new, report.index_rekeyed + 1
    token = cipher.encrypt(plaintext, aad=_aad(row.incident_id, key))
    external = external_key_of(json.loads(plaintext).get("external_id"), cipher.index_key)
    return {"id": row.id, "dedup_key": key, "contact_enc": token, "external_key": external}


def _chunk(session: Session, *, after: int, size: int) -> list[Any]:
    stmt = (select(PersonRow.id, PersonRow.incident_id, PersonRow.country, PersonRow.dedup_key, PersonRow.contact_enc)
            .where(PersonRow.id > after).order_by(PersonRow.id).limit(size))
    return list(session.execute(stmt))


def _write(session: Session, changes: list[dict[str, Any]]) -> None:
    if changes:  # ORM bulk UPDATE by primary key: one executemany per chunk
        session.execute(update(PersonRow), changes)


def rotate_people(*, sessions: sessionmaker[Session], cipher: MultiKeyCipher, actor: str, now: datetime, chunk: int = CHUNK,
                  progress: Callable[[int, int], None] | None = None,
                  after_chunk: Callable[[int], None] | None = None) -> RotationReport:
    """Re-encrypt every contact made with an older key, ``chunk`` rows per transaction; audited with counts.

    ``progress(done, total)`` after each chunk; ``after_chunk(n)`` is a hook for tests (a crash midway).
    """
    report = RotationReport(key_id=_hex(cipher.current.key_id))
    with sessions() as session:
        total = int(session.execute(select(func.count()).select_from(PersonRow)).scalar_one())
    last = 0
    while True:
        with sessions.begin() as session:
            rows = _chunk(session, after=last, size=chunk)
            if not rows:
                break
            stale = [row for row in rows if cipher.needs_rotation(row.contact_enc)]
            _write(session, [_rotate_row(row, cipher, report) for row in stale])
            if stale:  # in the same transaction: a rotation killed later still has every committed chunk on record
                audit.record(session=session, action="keys.rotated_chunk", actor=actor, at=now,
                             details={"key_id": report.key_id, "chunk": report.chunks + 1, "rotated": len(stale),
                                      "first_id": rows[0].id, "last_id": rows[-1].id})
        last, report.chunks = rows[-1].id, report.chunks + 1
        report.rows += len(rows)
        report.rotated += len(stale)
        report.already_current += len(rows) - len(stale)
        if progress is not None:
            progress(report.rows, max(total, report.rows))
        if after_chunk is not None:
            after_chunk(report.chunks)
    with sessions.begin() as session:
        audit.record(session=session, action="keys.rotated", actor=actor, at=now, details=report.as_counts())
    return report
