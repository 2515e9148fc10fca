"""Import affected people from CSV or JSONL, streaming: validated, de-duplicated, one channel each.

One physical line is one person: no field may hold a line break (that is how e-mail header
injection starts), so a broken quote or a bad byte spoils one line and never the rest of the
file. Problems name the line and column, never the value: the value is somebody's personal data.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import IO, Any

from pydantic import BaseModel, ConfigDict, Field

from breach.crypto import INDEX_BYTES, IndexSet, hmac_sha256, normalise_for_index
from breach.enums import Channel, Language
from breach.exceptions import InvalidPeopleFile

REQUIRED_COLUMNS = ("name", "language")
COLUMNS = ("name", "language", "email", "channel", "address_line1", "address_line2", "postal_code", "city",
           "country", "external_id", "phone")
ADDRESS_COLUMNS = ("address_line1", "postal_code", "city")
MAX_FIELD_CHARS = 200
MAX_EMAIL_CHARS = 254
_LIMITS = {column: MAX_EMAIL_CHARS if column == "email" else MAX_FIELD_CHARS for column in COLUMNS}
MAX_LINE_CHARS = 65_536
_LINE_TOO_LONG = f"the line is longer than {MAX_LINE_CHARS} characters"
SAMPLE_PROBLEMS = 100

_LANGUAGES = {
    "da": Language.DA, "dan": Language.DA, "dansk": Language.DA, "danish": Language.DA,
    "nb": Language.NB, "nn": Language.NB, "no": Language.NB, "nob": Language.NB, "nno": Language.NB,
    "nor": Language.NB, "norsk": Language.NB, "norwegian": Language.NB, "bokmål": Language.NB,
    "en": Language.EN, "eng": Language.EN, "english": Language.EN, "engelsk": Language.EN,
}
_WANTS_LETTER = {"": False, "email": False, "e-mail": False, "epost": False, "e-post": False,
                 "letter": True, "post": True, "brev": True}
_COUNTRY_ALIASES = {"UK": "GB"}
_COUNTRY = re.compile(r"[A-Z]{2}")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})")
_SURROGATE = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8 (surrogateescape)
# Those, C0 and C1 controls (CR, LF, NUL, tab, NEL...) and the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class ProblemCode(StrEnum):
    MISSING_VALUE = "missing_value"
    INVALID_EMAIL = "invalid_email"
    INVALID_LANGUAGE = "invalid_language"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_COUNTRY = "invalid_country"
    INVALID_TYPE = "invalid_type"
    INCOMPLETE_ADDRESS = "incomplete_address"
    DUPLICATE = "duplicate"
    FIELD_TOO_LONG = "field_too_long"
    BAD_ENCODING = "bad_encoding"
    CONTROL_CHARACTER = "control_character"
    MALFORMED_ROW = "malformed_row"


@dataclass(frozen=True, slots=True)
class RowProblem:
    """What is wrong with one row; ``rejected=False`` marks a person imported with a warning."""

    line: int
    column: str | None
    code: str
    message: str
    rejected: bool = True

    def __str__(self) -> str:
        where = f"line {self.line}" if self.column is None else f"line {self.line}, column {self.column}"
        return f"{where}: {self.message}"


class PersonIn(BaseModel):
    """One affected person as imported: normalised, with the channel actually to use."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    line: int = Field(ge=1, description="Line in the source file (the CSV header is line 1)")
    name: str = Field(min_length=1, max_length=MAX_FIELD_CHARS, repr=False)
    language: Language
    email: str | None = Field(default=None, max_length=MAX_EMAIL_CHARS, repr=False, description="Lower-cased")
    wants_letter: bool = Field(default=False, description="The person asked for written notice by post")
    address_line1: str | None = Field(default=None, max_length=MAX_FIELD_CHARS, repr=False)
    address_line2: str | None = Field(default=None, max_length=MAX_FIELD_CHARS, repr=False)
    postal_code: str | None = Field(default=None, max_length=MAX_FIELD_CHARS, repr=False)
    city: str | None = Field(default=None, max_length=MAX_FIELD_CHARS, repr=False)
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
    external_id: str | None = Field(default=None, max_length=MAX_FIELD_CHARS, repr=False)
    phone: str | None = Field(default=None, max_length=MAX_FIELD_CHARS, repr=False)
    channel: Channel = Field(description="email, letter, or none when the person cannot be reached")
    dedup_key: bytes = Field(min_length=INDEX_BYTES, max_length=INDEX_BYTES, repr=False,
                             description="Blind index of the person's identity (see dedup_key())")

    @property
    def has_complete_address(self) -> bool:
        """Whether a letter can be addressed: street line, postal code and city."""
        return bool(self.address_line1 and self.postal_code and self.city)

    def address_lines(self) -> list[str]:
        """The postal address as printed on an envelope, in the country's usual order."""
        lines = [line for line in (self.address_line1, self.address_line2) if line]
        if self.country == "GB":
            lines += [part for part in ((self.city or "").upper(), self.postal_code or "") if part]
        elif self.postal_code or self.city:
            lines.append(" ".join(part for part in (self.postal_code, self.city) if part))
        return lines


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
        self.rows, self.imported = self.rows + 1, self.imported + 1
        self.channels[str(person.channel)] += 1
        self.languages[str(person.language)] += 1

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


def normalise_language(value: str) -> Language | None:
    """da, nb or en from a tag such as ``da-DK``, ``no``, ``nn``, ``nb_NO`` or ``en-GB``; None if unknown."""
    return _LANGUAGES.get(value.strip().lower().replace("_", "-").split("-", 1)[0])


def normalise_email(value: str) -> str | None:
    """The trimmed, lower-cased address if it is a plausible RFC 5322 ``local@domain.tld``; else None."""
    email = value.strip().lower()
    local, _, domain = email.rpartition("@")
    if len(email) > MAX_EMAIL_CHARS or len(local) > 64 or len(domain) > 253:
        return None
    return email if _EMAIL.fullmatch(email) else None


def normalise_country(value: str) -> str | None:
    """An ISO 3166-1 alpha-2 code in capitals (``uk`` becomes ``GB``); None if it is not one."""
    code = _COUNTRY_ALIASES.get(value.strip().upper(), value.strip().upper())
    return code if _COUNTRY.fullmatch(code) else None


def choose_channel(*, wants_letter: bool, has_email: bool, has_complete_address: bool) -> Channel:
    """A requested letter if addressable, else e-mail, else a letter as fallback, else none."""
    if has_complete_address and (wants_letter or not has_email):
        return Channel.LETTER
    return Channel.EMAIL if has_email else Channel.NONE


def _keyed(kind: str, parts: tuple[str | None, ...], secret: bytes) -> bytes:
    # Length prefixes keep ("ab", "c") and ("a", "bc") apart; the kind keeps an e-mail from matching an id.
    text = kind + "".join(f"|{len(part)}:{part}" for part in map(normalise_for_index, (p or "" for p in parts)))
    return hmac_sha256(text.encode("utf-8"), key=secret)[:INDEX_BYTES]


def _identity_key(email: str | None, name: str, postal_code: str | None, address_line1: str | None,
                  secret: bytes) -> bytes:
    if email:
        return _keyed("email", (email,), secret)
    return _keyed("address", (name, (postal_code or "").replace(" ", ""), address_line1), secret)


def dedup_key(person: PersonIn, secret: bytes) -> bytes:
    """Keyed 16-byte identity (HMAC-SHA256): the e-mail, or without one name + postal code + first address line."""
    return _identity_key(person.email, person.name, person.postal_code, person.address_line1, secret)


def external_id_key(person: PersonIn, secret: bytes) -> bytes | None:
    """Keyed 16-byte digest of the controller's customer number, if the person has one."""
    return _keyed("external_id", (person.external_id,), secret) if person.external_id else None


def read_people(path: Path | str, *, default_country: str = "DK",
                index_key: bytes | None = None) -> Iterator[PersonIn | RowProblem]:
    """Stream people from a .csv, .jsonl or .ndjson file: one person or problem per row, in file order.

    Args:
        default_country: ISO alpha-2 for rows without a country.
        index_key: secret for ``dedup_key``; pass the database's blind-index key so keys match
            stored ones. None: a random key, good for de-duplicating within this file only.

    Raises InvalidPeopleFile at once when the file cannot be read at all; bad rows become problems.
    """
    country = normalise_country(default_country)
    if country is None:
        raise ValueError("default_country must be an ISO 3166-1 alpha-2 code such as DK")
    path = Path(path)
    kind = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}.get(path.suffix.lower())
    if kind is None:
        raise InvalidPeopleFile(f"{path.name}: unknown file type; use .csv, .jsonl or .ndjson")
    stream = _open(path)
    try:
        lines = _lines(stream)
        records = _records(lines, _csv_parser(lines) if kind == "csv" else _jsonl_parse)
        if (first := next(records, None)) is None and kind == "jsonl":
            raise InvalidPeopleFile(f"{path.name}: the file is empty; expected one JSON object per line")
    except BaseException:
        stream.close()
        raise
    return _people(first, records, stream, country=country, secret=index_key or os.urandom(32))


def _open(path: Path) -> IO[str]:
    try:
        raw = open(path, "rb")
    except OSError as exc:
        raise InvalidPeopleFile(f"{path.name}: cannot open the file ({exc.strerror})") from exc
    if raw.peek(2)[:2] in _UTF16_BOMS:
        raw.close()
        raise InvalidPeopleFile(f"{path.name}: the file is UTF-16; save it as UTF-8", line=1)
    # surrogateescape turns a bad byte into a lone surrogate, reported for its row only.
    return io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="\n")


def _lines(stream: IO[str]) -> Iterator[tuple[int, str | None]]:
    """(line number, text without its line ending), with None for a line too long to hold."""
    number = 0
    while text := stream.readline(MAX_LINE_CHARS + 1):
        number += 1
        if not text.endswith("\n") and len(text) > MAX_LINE_CHARS:
            while text and not text.endswith("\n"):
                text = stream.readline(MAX_LINE_CHARS)
            yield number, None
            continue
        text = text[:-1] if text.endswith("\n") else text
        yield number, text[:-1] if text.endswith("\r") else text


Record = tuple[int, "dict[str, Any] | RowProblem"]


def _records(lines: Iterator[tuple[int, str | None]],
             parse: Callable[[str, int], dict[str, Any] | RowProblem | None]) -> Iterator[Record]:
    """Each non-blank line parsed into a record or a problem; ``parse`` returns None for an empty row."""
    for number, text in lines:
        if text is None:
            yield number, RowProblem(number, None, ProblemCode.FIELD_TOO_LONG, _LINE_TOO_LONG)
        elif text.strip() and (record := parse(text, number)) is not None:
            yield number, record


def _csv_parser(lines: Iterator[tuple[int, str | None]]) -> Callable[[str, int], dict[str, Any] | RowProblem | None]:
    """Read the header, then parse each line as one comma, semicolon or tab separated row."""
    delimiter, header = _csv_header(lines)
    width = len(header)

    def parse(text: str, number: int) -> dict[str, Any] | RowProblem | None:
        try:
            fields = next(csv.reader((text,), delimiter=delimiter))
        except csv.Error:
            code = ProblemCode.CONTROL_CHARACTER if "\r" in text else ProblemCode.MALFORMED_ROW
            return RowProblem(number, None, code, "the line cannot be read as CSV")
        if len(fields) > width and not any(value.strip() for value in fields[width:]):
            fields = fields[:width]  # trailing empty cells, as spreadsheets write them
        if not any(value.strip() for value in fields):
            return None
        if len(fields) != width:
            message = f"the line has {len(fields)} fields, the header {width}"
            return RowProblem(number, None, ProblemCode.MALFORMED_ROW, message)
        return dict(zip(header, fields))

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
    return delimiter, header


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
    return {str(key).strip().lower(): value for key, value in data.items()}


def _people(first: Record | None, records: Iterator[Record], stream: IO[str], *, country: str,
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


def _clean(record: Mapping[str, Any], number: int) -> dict[str, str | None] | RowProblem:
    """Each known column as trimmed NFC text or None, or the first problem found."""
    raw = dict(zip(COLUMNS, map(record.get, COLUMNS)))
    for column, value in raw.items():
        if value is not None and type(value) is not str:
            if isinstance(value, bool) or not isinstance(value, int):
                return RowProblem(number, column, ProblemCode.INVALID_TYPE, "must be text")
            raw[column] = str(value)
    if _UNSAFE.search("".join(value for value in raw.values() if value)):
        column = next(column for column, value in raw.items() if value and _UNSAFE.search(value))
        if _SURROGATE.search(raw[column] or ""):
            return RowProblem(number, column, ProblemCode.BAD_ENCODING, "not valid UTF-8 (is the file saved as UTF-8?)")
        return RowProblem(number, column, ProblemCode.CONTROL_CHARACTER, "contains a line break or control character")
    values: dict[str, str | None] = {}
    for column, value in raw.items():
        if value:
            value = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()
            if len(value) > (limit := _LIMITS[column]):
                return RowProblem(number, column, ProblemCode.FIELD_TOO_LONG, f"longer than {limit} characters")
        values[column] = value or None
    return values


def _person(record: Mapping[str, Any], number: int, *, country: str,
            secret: bytes) -> tuple[PersonIn, RowProblem | None] | RowProblem:
    """Validate one record into a person and an optional warning, or the row's problem."""
    values = _clean(record, number)
    if isinstance(values, RowProblem):
        return values
    name, language, email, channel_text, line1, _, postal_code, _, country_code, *_ = values.values()
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            return RowProblem(number, column, ProblemCode.MISSING_VALUE, "a value is required")
    if (language := normalise_language(language or "")) is None:
        return RowProblem(number, "language", ProblemCode.INVALID_LANGUAGE, "not a known language; use da, nb or en")
    if email and (email := normalise_email(email)) is None:
        return RowProblem(number, "email", ProblemCode.INVALID_EMAIL, "not a valid e-mail address")
    if (wants_letter := _WANTS_LETTER.get((channel_text or "").lower())) is None:
        return RowProblem(number, "channel", ProblemCode.INVALID_CHANNEL, "not a known channel; use email or letter")
    if (country_code := normalise_country(country_code) if country_code else country) is None:
        return RowProblem(number, "country", ProblemCode.INVALID_COUNTRY, "not an ISO 3166-1 alpha-2 country code")
    missing = [column for column in ADDRESS_COLUMNS if not values[column]]
    channel = choose_channel(wants_letter=wants_letter, has_email=email is not None, has_complete_address=not missing)
    key = _identity_key(email, name or "", postal_code, line1, secret)
    values.update(email=email, language=language, country=country_code)
    del values["channel"]
    person = PersonIn(line=number, wants_letter=wants_letter, channel=channel, dedup_key=key, **values)
    return person, _address_warning(person, missing)


def _address_warning(person: PersonIn, missing: list[str]) -> RowProblem | None:
    """A warning when a letter was wanted, or is the only way left, but the address is incomplete."""
    some_address = person.address_line1 or person.address_line2 or person.postal_code or person.city
    if not missing or not (person.wants_letter or (person.email is None and some_address)):
        return None
    instead = "notified by e-mail instead" if person.channel == Channel.EMAIL else "the person cannot be reached"
    message = f"a letter needs {', '.join(ADDRESS_COLUMNS)}; {missing[0]} is missing; {instead}"
    return RowProblem(person.line, missing[0], ProblemCode.INCOMPLETE_ADDRESS, message, rejected=False)
