"""Files the notices layer writes: whole or not at all, safe in a spreadsheet, and remembered by hash.

Every room that writes a file (letters, the filing pack, the register, public notices) uses these, so
they live below all of them: ``atomic_output`` (a temporary file moved into place), ``neutralise``
(a CSV cell a spreadsheet would run as a formula gets a quote; OWASP CSV injection) and
``remember_export`` (the file's SHA-256 in ``exports`` and the audit log, Art. 5(2) and 33(5)).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from breach import audit
from breach.store.tables import ExportRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


@contextmanager
def atomic_output(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success move it into place with os.replace."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def neutralise(cell: str) -> str:
    """Prefix a single quote to a cell a spreadsheet would read as a formula."""
    return f"'{cell}" if cell.startswith(FORMULA_PREFIXES) else cell


@dataclass(frozen=True)
class ExportedFile:
    """A written export: its kind (e.g. filing_pack_json), where it is, and its SHA-256."""

    kind: str
    path: Path
    sha256: str


def remember_export(*, session: Session, incident_id: str | None, kind: str, path: Path, actor: str, now: datetime) -> ExportedFile:
    """Store the file's hash in ``exports`` and the audit log, with the export time (not in the content)."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    session.add(ExportRow(incident_id=incident_id, kind=kind, path=str(path), sha256=digest, created_at=now))
    audit.record(session=session, action="export.written", actor=actor, at=now, incident_id=incident_id,
                 details={"kind": kind, "file": path.name, "sha256": digest})
    return ExportedFile(kind, path, digest)
