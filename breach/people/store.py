"""Store affected people of an incident: streamed, validated, de-duplicated, encrypted at rest.

Contact details leave this module only as AES-GCM ciphertext bound to (incident, blind index),
so a ciphertext copied onto another row does not decrypt.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from itertools import compress, repeat
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, sessionmaker

from breach import audit
from breach.enums import Channel
from breach.exceptions import InvalidPeopleFile
from breach.keys.cipher import MultiKeyCipher
from breach.people.blocks import Block, Reading, read_rows, worker_count
from breach.people.importer import BLOCK_BYTES, ImportReport, _country, open_layout
from breach.people.rows import PersonIn, ProblemCode, RowProblem, address_lines
from breach.people.writer import PeopleWriter
from breach.store import statistics
from breach.store.tables import PersonRow

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


def contact_json(fields: Mapping[str, Any]) -> str:
    """The contact details of a person's fields (a PersonIn's, or ``rows.validated``'s) as the JSON that is sealed."""
    return orjson.dumps({
        "name": fields["name"], "email": fields["email"], "phone": fields["phone"], "external_id": fields["external_id"],
        "address_lines": address_lines(fields),
    }).decode()


def _contact_json(person: PersonIn) -> str:
    return contact_json(person.model_dump())


def file_digest(path: Path) -> str:
    """SHA-256 of a file, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def import_people(*, session: Session, incident_id: str, path: Path, cipher: MultiKeyCipher, batch_size: int, actor: str,
                  now: datetime, default_country: str = "DK", progress: Callable[[int], None] | None = None,
                  workers: int | None = None, block_bytes: int = BLOCK_BYTES) -> ImportResult:
    """Stream a CSV/JSONL file into the incident's people; bad rows are reported, good rows kept.

    Runs inside the caller's transaction: a file that cannot be read at all raises and leaves
    nothing behind. Importing the same file again changes nothing. Blocks of the file are read,
    validated and sealed by ``workers`` processes (default: one per core, see blocks.worker_count).
    """
    digest = file_digest(path)
    if _already_imported(session=session, incident_id=incident_id, digest=digest):
        return ImportResult(report=ImportReport(), skipped_same_file=True)
    reading_country = _country(default_country)
    layout, raw = open_layout(path)
    with raw:
        size = os.fstat(raw.fileno()).st_size
        # About two keys (identity, customer number) for a line of 80 bytes or so: sized so that it rarely grows.
        batch = _Batch(session=session, incident_id=incident_id, batch_size=batch_size, expected_keys=size // 40)
        reading = Reading(layout=layout, country=reading_country, index_key=cipher.index_key,
                          seal=partial(_seal, cipher, incident_id))
        workers = worker_count(size, block_bytes) if workers is None else workers
        try:
            for items in read_rows(raw, reading, workers=workers, block_bytes=block_bytes):
                batch.store(items)
                if progress is not None:
                    progress(batch.position)
        finally:
            batch.writer.close()
    if layout.kind == "jsonl" and batch.result.report.rows == 0:
        raise InvalidPeopleFile(f"{path.name}: the file is empty; expected one JSON object per line")
    audit.record(session=session, action="people.imported", actor=actor, at=now, incident_id=incident_id,
                 details={"file_sha256": digest, **batch.result.report.as_counts()})
    return batch.result


def refresh_statistics(sessions: sessionmaker[Session]) -> list[str]:
    """After an import has committed: let PostgreSQL's planner know the incident's people
    (breach/store/statistics.py)."""
    return statistics.refresh(sessions, PersonRow)


def _seal(cipher: MultiKeyCipher, incident_id: str, fields: dict[str, Any]) -> bytes:
    return cipher.encrypt(contact_json(fields), aad=_aad(incident_id, fields["dedup_key"]))


class _Batch:
    """Keeps the import's state between blocks: the keys seen, the position (for batch numbers), the counts.

    As ``read_people`` does, a row is first de-duplicated within its file (``seen``); a row kept
    there whose identity an earlier import stored (``stored``) is then left out as well.
    """

    def __init__(self, *, session: Session, incident_id: str, batch_size: int, expected_keys: int) -> None:
        import numpy as np  # numpy (and the key table) only where a file is imported, not for every reader of people

        from breach.people.dedup import STORED, KeyTable, as_keys

        self.incident_id, self.batch_size = incident_id, batch_size
        self.result = ImportResult(report=ImportReport())
        self.writer = PeopleWriter(session)
        stored = [bytes(key) for key in session.execute(
            select(PersonRow.dedup_key).where(PersonRow.incident_id == incident_id)).scalars()]
        self.position = len(stored)
        self.stored = KeyTable(expected=len(stored))
        self.stored.add(as_keys(stored), np.full(len(stored), STORED, dtype=np.uint32))
        self.seen = KeyTable(expected=expected_keys)

    def store(self, block: Block) -> None:
        """De-duplicate one block against everything before it, insert the people kept, count, keep problems."""
        import numpy as np

        from breach.people.dedup import STORED, claim_block

        kept, seen = claim_block(self.seen, block.keys, block.externals, block.lines)
        if len(self.stored) and kept.any():
            identity = np.frombuffer(block.keys, dtype="<u8").reshape(-1, 2).astype(np.uint64)
            again = kept & (self.stored.find(identity) != 0)
            seen.update(dict.fromkeys(np.flatnonzero(again).tolist(), (0, STORED)))
            kept &= ~again
        problems = list(block.problems)
        problems += [_duplicate(block, i, *claim) for i, claim in seen.items()]
        problems += [warning for i, warning in block.warnings.items() if kept[i]]
        mask = kept.tolist()
        count = sum(mask)
        batch_nos = ((self.position + np.arange(count)) // self.batch_size).tolist()
        self.writer.write(self._rows(block, mask, batch_nos))
        self.position += count
        self.result.report.add_kept_counts(channels=Counter(compress(block.channels, mask)),
                                           languages=Counter(compress(block.languages, mask)))
        for problem in sorted(problems, key=lambda p: p.line):
            self.result.add_problem(problem)


    def _rows(self, block: Block, mask: list[bool], batch_nos: list[int]) -> Iterator[tuple[Any, ...]]:
        """The kept people of a block as tuples in writer.COLUMNS order, made as the writer reads them."""
        keys = (block.keys[16 * i:16 * i + 16] for i in compress(range(len(mask)), mask))
        middle = (block.languages, block.channels, block.wants_letter, block.countries, block.regions, block.vulnerable,
                  block.protected_address, block.esign_consent, block.externals)
        return zip(repeat(self.incident_id), compress(block.lines, mask), batch_nos, *(compress(column, mask) for column in middle),
                   keys, compress(block.contacts, mask))


def _duplicate(block: Block, index: int, which: int, first: int) -> RowProblem:
    from breach.people.dedup import STORED

    if first == STORED:  # as the import always said: the person's identity is the e-mail (or name and address)
        return RowProblem(block.lines[index], "email", ProblemCode.DUPLICATE, "duplicate of a person already imported")
    column = ("email" if block.has_email[index] else "name") if which == 0 else "external_id"
    return RowProblem(block.lines[index], column, ProblemCode.DUPLICATE, f"duplicate of line {first}")


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
