"""Import affected people from CSV or JSONL, streaming: validated, de-duplicated, one channel each.

One physical line is one person: no field may hold a line break (that is how e-mail header
injection starts), so a broken quote or a bad byte spoils one line and never the rest of the
file. Problems name the line and column, never the value: the value is somebody's personal data.

This module reads files (encodings, line endings, CSV headers and delimiters, JSON lines),
de-duplicates within a file and counts the outcome (ImportReport). What one row may hold and how
it is validated (PersonIn, RowProblem, normalisation, identity keys) is in ``breach.people.rows``,
re-exported here; storing people in the database is in ``breach.people.store``.
"""

from __future__ import annotations

import csv
import difflib
import itertools
import json
import os
from collections import Counter
from collections.abc import Callable, Generator, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from breach.exceptions import InvalidPeopleFile
from breach.keys.cipher import IndexSet
from breach.people.rows import (
    _SURROGATE,
    COLUMNS,
    REQUIRED_COLUMNS,
    PersonIn,
    ProblemCode,
    RowProblem,
    _person,
    external_id_key,
    normalise_country,
)

MAX_LINE_CHARS = 65_536
_LINE_TOO_LONG = f"the line is longer than {MAX_LINE_CHARS} characters"
_LONG_LINE_BYTES = 4 * MAX_LINE_CHARS + 1  # UTF-8 takes at most 4 bytes a character: longer cannot fit
SAMPLE_PROBLEMS = 100
BLOCK_BYTES = 1 << 20
HEADER_BLOCK = 1 << 16
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_UTF8_BOM = b"\xef\xbb\xbf"


@dataclass
class ImportReport:
    """Counts filled while streaming; no personal data, so safe to log, audit and show."""

    rows: int = 0
    imported: int = 0
    rejected: int = 0
    warnings: int = 0
    problems: Counter[str] = field(default_factory=Counter)
    channels: Counter[str] = field(default_factory=Counter)
    languages: Counter[str] = field(default_factory=Counter)
    samples: list[RowProblem] = field(default_factory=list)

    def add(self, item: PersonIn | RowProblem) -> None:
        """Count one item yielded by ``read_people``."""
        self.add_problem(item) if isinstance(item, RowProblem) else self.add_person(item)

    def add_person(self, person: PersonIn) -> None:
        """Count an imported person."""
        self.add_kept(channel=str(person.channel), language=str(person.language))

    def add_kept(self, *, channel: str, language: str) -> None:
        """Count an imported person by channel and language."""
        self.rows, self.imported = self.rows + 1, self.imported + 1
        self.channels[channel] += 1
        self.languages[language] += 1

    def add_kept_counts(self, *, channels: Counter[str], languages: Counter[str]) -> None:
        """Count many imported people at once, by channel and by language."""
        imported = sum(channels.values())
        self.rows, self.imported = self.rows + imported, self.imported + imported
        self.channels.update(channels)
        self.languages.update(languages)

    def add_problem(self, problem: RowProblem) -> None:
        """Count a problem; a rejected row counts as a row, a warning does not (its person did)."""
        self.problems[str(problem.code)] += 1
        if problem.rejected:
            self.rows, self.rejected = self.rows + 1, self.rejected + 1
        else:
            self.warnings += 1
        if len(self.samples) < SAMPLE_PROBLEMS:
            self.samples.append(problem)

    def as_counts(self) -> dict[str, Any]:
        """Plain counts for JSON, audit events and flow results."""
        return {
            "rows": self.rows, "imported": self.imported, "rejected": self.rejected, "warnings": self.warnings,
            "problems": dict(sorted(self.problems.items())), "channels": dict(sorted(self.channels.items())),
            "languages": dict(sorted(self.languages.items())),
        }



def read_people(path: Path | str, *, default_country: str = "DK",
                index_key: bytes | None = None) -> Iterator[PersonIn | RowProblem]:
    """Stream people from a .csv, .jsonl or .ndjson file: one person or problem per row, in file order.

    Args:
        default_country: ISO alpha-2 for rows without a country.
        index_key: secret for ``dedup_key``; pass the database's blind-index key so keys match
            stored ones. None: a random key, good for de-duplicating within this file only.

    Raises InvalidPeopleFile at once when the file cannot be read at all; bad rows become problems.
    """
    country = _country(default_country)
    layout, raw = open_layout(path)
    try:
        lines = itertools.chain.from_iterable(block_lines(first, data) for first, data in blocks(raw))
        records = _records(lines, layout.parser(), after=layout.header_line)
        if (first := next(records, None)) is None and layout.kind == "jsonl":
            raise InvalidPeopleFile(f"{Path(path).name}: the file is empty; expected one JSON object per line")
    except BaseException:
        raw.close()
        raise
    return _people(first, records, raw, country=country, secret=index_key or os.urandom(32))


def _country(default_country: str) -> str:
    country = normalise_country(default_country)
    if country is None:
        raise ValueError("default_country must be an ISO 3166-1 alpha-2 code such as DK")
    return country


@dataclass(frozen=True)
class Layout:
    """How a people file's rows are read: its kind and, for CSV, the header (names only, never a person)."""

    kind: str
    delimiter: str = ","
    header: tuple[str, ...] = ()
    header_line: int = 0

    def parser(self) -> Callable[[str, int], dict[str, Any] | RowProblem | None]:
        """The function that turns one line into a record, a problem, or None for an empty row."""
        return _jsonl_parse if self.kind == "jsonl" else _csv_row_parser(self.delimiter, list(self.header))


def open_layout(path: Path | str) -> tuple[Layout, IO[bytes]]:
    """Open a people file and read its header; the binary stream is left just after the byte-order mark.

    Raises InvalidPeopleFile when the file cannot be opened, is UTF-16 or its CSV header is unusable.
    """
    path = Path(path)
    kind = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if kind is None:
        raise InvalidPeopleFile(f"{path.name}: unknown file type; use .csv, .jsonl or .ndjson")
    raw = _open(path)
    if kind == "jsonl":
        return Layout(kind), raw
    try:
        start = raw.tell()
        lines = itertools.chain.from_iterable(block_lines(first, data) for first, data in blocks(raw, HEADER_BLOCK))
        seen = [0]  # the number of the last line _csv_header took: the header's

        def counted() -> Iterator[tuple[int, str | None]]:
            for number, text in lines:
                seen[0] = number
                yield number, text

        delimiter, header = _csv_header(counted())
        header_line = seen[0]
        raw.seek(start)
    except BaseException:
        raw.close()
        raise
    return Layout(kind, delimiter, tuple(header), header_line), raw


def check_people_file(path: Path | str) -> list[str]:
    """Refuse a people file that cannot be imported at all (type, encoding, header, mistyped columns), before
    anything is stored; returns the unknown columns of a CSV header, which the import ignores."""
    path = Path(path)
    people = read_people(path)
    try:
        next(people, None)  # started, so closing it closes the file
    finally:
        if isinstance(people, Generator):
            people.close()
    layout, raw = open_layout(path)
    raw.close()
    return unknown_columns(list(layout.header)) if layout.kind == "csv" else []


def _open(path: Path) -> IO[bytes]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - returned open: read_people's caller reads and closes the stream
    except OSError as exc:
        raise InvalidPeopleFile(f"{path.name}: cannot open the file ({exc.strerror})") from exc
    start = raw.peek(3)[:3]
    if start[:2] in _UTF16_BOMS:
        raw.close()
        raise InvalidPeopleFile(f"{path.name}: the file is UTF-16; save it as UTF-8", line=1)
    if start == _UTF8_BOM:
        raw.read(3)
    return raw


def blocks(raw: IO[bytes], size: int = BLOCK_BYTES) -> Iterator[tuple[int, bytes | None]]:
    """(number of the first line, bytes of whole lines), read ``size`` bytes at a time, in file order.

    A line that cannot have MAX_LINE_CHARS characters or fewer (more than 4 bytes each) comes
    alone as None and is skipped without being held, so memory stays bounded by ``size``.
    """
    number, carry = 1, b""
    while data := raw.read(size):
        data = carry + data
        cut = data.rfind(b"\n") + 1
        if cut:
            block, carry = data[:cut], data[cut:]
            yield number, block
            number += block.count(b"\n")
        else:
            carry = data
        if len(carry) > _LONG_LINE_BYTES:
            yield number, None
            number, carry = number + 1, _skip_line(raw, size)
    if carry:
        yield number, carry


def _skip_line(raw: IO[bytes], size: int) -> bytes:
    """Read past the end of the current line; returns what follows its line break."""
    while data := raw.read(size):
        if (end := data.find(b"\n")) >= 0:
            return data[end + 1:]
    return b""


def block_lines(first: int, data: bytes | None) -> Iterator[tuple[int, str | None]]:
    """(line number, text without its line ending) for a block from ``blocks``; None for a line too long to hold.

    Lines end in LF (CR LF loses its CR; a CR alone is no line break). Bytes that are not UTF-8
    become lone surrogates (surrogateescape), reported for their row only.
    """
    if data is None:
        yield first, None
        return
    parts = data.decode("utf-8", "surrogateescape").split("\n")
    if not parts[-1]:
        parts.pop()
    for number, text in enumerate(parts, first):
        if len(text) > MAX_LINE_CHARS:
            yield number, None
        else:
            yield number, text[:-1] if text.endswith("\r") else text


Record = tuple[int, "dict[str, Any] | RowProblem"]


def _records(lines: Iterable[tuple[int, str | None]],
             parse: Callable[[str, int], dict[str, Any] | RowProblem | None], *, after: int = 0) -> Iterator[Record]:
    """Each non-blank line after line ``after`` (the header) parsed into a record or a problem.

    ``parse`` returns None for an empty row.
    """
    for number, text in lines:
        if number <= after:
            continue
        if text is None:
            yield number, RowProblem(number, None, ProblemCode.FIELD_TOO_LONG, _LINE_TOO_LONG)
        elif text and not text.isspace() and (record := parse(text, number)) is not None:  # text.strip(), without a copy
            yield number, record


def _csv_row_parser(delimiter: str, header: list[str]) -> Callable[[str, int], dict[str, Any] | RowProblem | None]:
    """Parse each line as one row of the delimiter, with the header's column names."""
    width = len(header)

    def parse(text: str, number: int) -> dict[str, Any] | RowProblem | None:
        if '"' not in text and "\r" not in text and "\x00" not in text:  # the csv module would split it just so
            fields = text.split(delimiter)
        else:
            try:
                fields = next(csv.reader((text,), delimiter=delimiter))
            except csv.Error:
                code = ProblemCode.CONTROL_CHARACTER if "\r" in text else ProblemCode.MALFORMED_ROW
                return RowProblem(number, None, code, "the line cannot be read as CSV")
        if len(fields) > width and not any(value.strip() for value in fields[width:]):
            fields = fields[:width]  # trailing empty cells, as spreadsheets write them
        if not (fields and fields[0].strip()) and not any(value.strip() for value in fields):  # the first cell mostly tells
            return None
        if len(fields) != width:
            message = f"the line has {len(fields)} fields, the header {width}"
            return RowProblem(number, None, ProblemCode.MALFORMED_ROW, message)
        return dict(zip(header, fields, strict=True))

    return parse


def _csv_header(lines: Iterator[tuple[int, str | None]]) -> tuple[str, list[str]]:
    """The delimiter and the lower-cased column names; InvalidPeopleFile if the header is unusable."""
    for number, text in lines:
        if text is None:
            raise InvalidPeopleFile(f"the header is longer than {MAX_LINE_CHARS} characters", line=number)
        if text.strip():
            break
    else:
        raise InvalidPeopleFile("the file is empty; expected a header with at least: " + ", ".join(REQUIRED_COLUMNS))
    if _SURROGATE.search(text):
        raise InvalidPeopleFile("the header is not UTF-8; save the file as CSV UTF-8", line=number)
    if "\r" in text:
        raise InvalidPeopleFile("lines must end in LF or CR LF, not CR alone", line=number)
    delimiter = max(",;\t", key=text.count)  # column names hold no separators: the commonest one wins
    try:
        header = [name.strip().lower() for name in next(csv.reader((text,), delimiter=delimiter))]
    except csv.Error as exc:
        raise InvalidPeopleFile("the header cannot be read as CSV", line=number) from exc
    if missing := [column for column in REQUIRED_COLUMNS if column not in header]:
        # Never echo what the header held: a file without a header starts with a person.
        raise InvalidPeopleFile("missing required column(s): " + ", ".join(missing), line=number)
    doubled = sorted({name for name in header if name in COLUMNS and header.count(name) > 1})
    if doubled:
        raise InvalidPeopleFile("column(s) given more than once: " + ", ".join(doubled), line=number)
    if typos := mistyped_columns(header):
        # a mistyped column (say "e-mail") would leave every person without that value: refuse the file
        raise InvalidPeopleFile(f"unknown column(s) {typos}; the columns are: {', '.join(COLUMNS)}", line=number)
    return delimiter, header


def _shown(name: str) -> str:
    return repr(name[:40] + ("…" if len(name) > 40 else ""))


def mistyped_columns(names: list[str]) -> str:
    """Unknown column names that look like a known one that is missing ("e-mail", "emial"), for a message; '' if none.

    Other unknown columns (a CRM export's "notes") are ignored, and ``unknown_columns`` lists them for a warning.
    """
    missing = [column for column in COLUMNS if column not in names]
    found = []
    for name in unknown_columns(names):
        squeezed = "".join(ch for ch in name if ch.isalnum())
        close = [c for c in missing if c.replace("_", "") == squeezed] or difflib.get_close_matches(name, missing, n=1, cutoff=0.8)
        if close:
            found.append(f"{_shown(name)} (did you mean {close[0]!r}?)")
    return ", ".join(found)


def unknown_columns(names: list[str]) -> list[str]:
    """Column names that are not people-file columns (ignored when importing)."""
    return [name for name in names if name not in COLUMNS]


def _jsonl_parse(text: str, number: int) -> dict[str, Any] | RowProblem:
    """One JSON object with the columns as keys."""
    if _SURROGATE.search(text):
        return RowProblem(number, None, ProblemCode.BAD_ENCODING, "the line is not valid UTF-8")
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        data = None
    if not isinstance(data, dict):
        return RowProblem(number, None, ProblemCode.MALFORMED_ROW, "the line is not a JSON object")
    record = {str(key).strip().lower(): value for key, value in data.items()}
    if typos := mistyped_columns(list(record)):
        return RowProblem(number, None, ProblemCode.MALFORMED_ROW, f"unknown field(s) {typos}")
    return record


def _people(first: Record | None, records: Iterator[Record], stream: IO[bytes], *, country: str,
            secret: bytes) -> Iterator[PersonIn | RowProblem]:
    seen = IndexSet()
    try:
        if first is None:
            return
        for number, record in itertools.chain((first,), records):
            if isinstance(record, RowProblem):
                yield record
                continue
            result = _person(record, number, country=country, secret=secret)
            if isinstance(result, RowProblem):
                yield result
                continue
            person, warning = result
            duplicate = _duplicate(person, seen, secret)
            if duplicate is not None:
                yield duplicate
                continue
            yield person
            if warning is not None:
                yield warning
    finally:
        stream.close()


def _duplicate(person: PersonIn, seen: IndexSet, secret: bytes) -> RowProblem | None:
    """A duplicate problem if the person's identity or customer number came earlier; else remember them."""
    columns, keys = ["email" if person.email else "name"], [person.dedup_key]
    if (external := external_id_key(person, secret)) is not None:
        columns.append("external_id")
        keys.append(external)
    index, first = seen.claim(keys, person.line)
    if index < 0:
        return None
    return RowProblem(person.line, columns[index], ProblemCode.DUPLICATE, f"duplicate of line {first}")
