"""Files the notices layer writes: whole or not at all, safe in a spreadsheet, and remembered by hash.

Every room that writes a file (letters, the filing pack, the register, public notices) uses these, so
they live below all of them: ``atomic_output`` (a temporary file moved into place), ``neutralise``
(a CSV cell a spreadsheet would run as a formula gets a quote; OWASP CSV injection), ``markdown_text``
(text from the facts made inert in Markdown) and
``remember_export`` (the file's SHA-256 in ``exports`` and the audit log, Art. 5(2) and 33(5)).
"""

from __future__ import annotations

import hashlib
import html
import os
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy.orm import Session

from breach import audit
from breach.store.tables import ExportRow

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# What a spreadsheet skips before it looks for a formula sign: whitespace (also no-break and
# ideographic spaces), zero-width characters and a byte-order mark.
_SKIPPED = (" \t\r\n\v\f\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
            "\u200b\u200c\u200d\u2028\u2029\u202f\u205f\u2060\u3000\ufeff")


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
    """Prefix a single quote to a cell a spreadsheet would read as a formula: one starting with = + - @ (or their
    fullwidth and small forms, ＝ ﹦ ...), a tab or a line break, also after leading spaces or invisible characters."""
    if cell.startswith(FORMULA_PREFIXES):
        return f"'{cell}"
    first = cell.lstrip(_SKIPPED)[:1]
    if first and (first != cell[:1] or not first.isascii()) and unicodedata.normalize("NFKC", first) in ("=", "+", "-", "@"):
        return f"'{cell}"
    return cell


_MD_INLINE = re.compile(r"[\\`*\[\]|~]|(?<!\w)_|_(?!\w)")  # an underscore inside a word (snake_case) is no emphasis
_MD_LINE_START = re.compile(r"^(\s*)(>|[#+\-=](?=[\s#=\-]|$))", re.MULTILINE)  # quote, heading, list, rule
_MD_NUMBERED = re.compile(r"^(\s*\d+)([.)])(?=\s|$)", re.MULTILINE)


def markdown_text(text: str, *, starts_line: bool = True) -> str:
    """Text from the facts or a profile made inert in Markdown: HTML escaped (as the HTML outputs do), and no
    emphasis, link, image, table or heading of its own; it reads the same once rendered.

    ``starts_line=False``: the text follows something on its line (``- **Deadline:** 24. november``), so its
    first line cannot open a heading, quote or list and is left as written; its later lines are escaped."""
    text = html.escape(text, quote=False)
    text = _MD_INLINE.sub(lambda m: "\\" + m.group(0), text)
    first, newline, rest = text.partition("\n")
    if starts_line:
        first, rest = _line_starts(first), _line_starts(rest)
    else:
        rest = _line_starts(rest)
    return first + newline + rest


def _line_starts(text: str) -> str:
    text = _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), text)
    return _MD_NUMBERED.sub(lambda m: m.group(1) + "\\" + m.group(2), text)


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
