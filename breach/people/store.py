"""Store affected people of an incident: streamed, validated, de-duplicated, encrypted at rest.

Contact details leave this module only as AES-GCM ciphertext bound to (incident, blind index),
so a ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import ColumnElement, func, insert, select
from sqlalchemy.orm import Session

from breach import audit
from breach.enums import Channel
from breach.keys.cipher import MultiKeyCipher
from breach.people.importer import ImportReport, read_people
from breach.people.rows import PersonIn, RowProblem, external_id_key
from breach.store.tables import PersonRow

CHUNK = 1000
MAX_PROBLEMS = 1000


@dataclass
class ImportResult:
    report: ImportReport
    problems: list[RowProblem] = field(default_factory=list)
    skipped_same_file: bool = False

    def add_problem(self, problem: RowProblem) -> None:
        """Count a problem and keep the first MAX_PROBLEMS of them to show."""
        self.report.add_problem(problem)
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(problem)


@dataclass(frozen=True)
class Contact:
    """A person's decrypted contact details; never logged, never passed to Prefect."""

    person_id: int
    language: str
    channel: str
    name: str
    email: str | None
    address_lines: list[str]
    country: str | None


def _aad(incident_id: str, key: bytes) -> bytes:
    return b"person:" + incident_id.encode() + b":" + key


def _contact_json(person: PersonIn) -> str:
    return json.dumps({
        "name": person.name, "email": person.email, "phone": person.phone, "external_id": person.external_id,
        "address_lines": person.address_lines(),
    }, ensure_ascii=False)


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_people(*, session: Session, incident_id: str, path: Path, cipher: MultiKeyCipher, batch_size: int, actor: str,
                  now: datetime, default_country: str = "DK", progress: Callable[[int], None] | None = None) -> ImportResult:
    """Stream a CSV/JSONL file into the incident's people; bad rows are reported, good rows kept.

    Runs inside the caller's transaction: a file that cannot be read at all raises and leaves
    nothing behind. Importing the same file again changes nothing.
    """
    digest = file_digest(path)
    if _already_imported(session=session, incident_id=incident_id, digest=digest):
        return ImportResult(report=ImportReport(), skipped_same_file=True)
    seen = set(session.execute(select(PersonRow.dedup_key).where(PersonRow.incident_id == incident_id)).scalars())
    position = int(session.execute(select(func.count()).where(PersonRow.incident_id == incident_id)).scalar_one())
    result, rows = ImportResult(report=ImportReport()), []
    for item in read_people(path, default_country=default_country, index_key=cipher.index_key):
        if isinstance(item, RowProblem):
            result.add_problem(item)
            continue
        key = item.dedup_key
        if key in seen:
            result.add_problem(RowProblem(line=item.line, column="email", code="duplicate",
                                          message="duplicate of a person already imported"))
            continue
        seen.add(key)
        rows.append(_row(incident_id=incident_id, person=item, key=key, cipher=cipher, batch_no=position // batch_size))
        position += 1
        result.report.add_person(item)
        if len(rows) >= CHUNK:
            _flush(session, rows, progress, position)
    _flush(session, rows, progress, position)
    audit.record(session=session, action="people.imported", actor=actor, at=now, incident_id=incident_id,
                 details={"file_sha256": digest, **result.report.as_counts()})
    return result


def _row(*, incident_id: str, person: PersonIn, key: bytes, cipher: MultiKeyCipher, batch_no: int) -> dict[str, Any]:
    return {
        "incident_id": incident_id, "line": person.line, "batch_no": batch_no, "language": person.language,
        "channel": person.channel, "wants_letter": person.wants_letter, "country": person.country, "dedup_key": key,
        "region": person.region, "vulnerable": person.vulnerable, "protected_address": person.protected_address,
        "esign_consent": person.esign_consent, "external_key": external_id_key(person, cipher.index_key),
        "contact_enc": cipher.encrypt(_contact_json(person), aad=_aad(incident_id, key)),
    }


def _flush(session: Session, rows: list[dict[str, Any]], progress: Callable[[int], None] | None, position: int) -> None:
    if rows:
        session.execute(insert(PersonRow), rows)
        rows.clear()
    if progress is not None:
        progress(position)


def _already_imported(*, session: Session, incident_id: str, digest: str) -> bool:
    events = audit.events_for(session=session, incident_id=incident_id)
    return any(e.action == "people.imported" and e.details.get("file_sha256") == digest for e in events)


def contacts(*, session: Session, incident_id: str, cipher: MultiKeyCipher, person_ids: list[int]) -> Iterator[Contact]:
    """Decrypt the contact details of the given people of an incident."""
    stmt = select(PersonRow).where(PersonRow.incident_id == incident_id, PersonRow.id.in_(person_ids)).order_by(PersonRow.id)
    for row in session.execute(stmt).scalars():
        data = json.loads(cipher.decrypt(row.contact_enc, aad=_aad(incident_id, row.dedup_key)))
        yield Contact(person_id=row.id, language=row.language, channel=row.channel, name=data["name"], email=data.get("email"),
                      address_lines=data.get("address_lines") or [], country=row.country)


def channel_counts(*, session: Session, incident_id: str, where: ColumnElement[bool] | None = None) -> dict[str, int]:
    """How many people per channel (email, letter, none); ``where`` narrows it (e.g. to a subset to be told)."""
    stmt = select(PersonRow.channel, func.count()).where(PersonRow.incident_id == incident_id).group_by(PersonRow.channel)
    stmt = stmt if where is None else stmt.where(where)
    counts = {c.value: 0 for c in (Channel.EMAIL, Channel.LETTER, Channel.NONE)}
    counts.update({channel: int(n) for channel, n in session.execute(stmt)})
    return counts
