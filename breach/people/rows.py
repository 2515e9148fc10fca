"""One affected person as a row of a people file: the PersonIn model, the problems a row can have
(ProblemCode, RowProblem), the accepted columns, normalisation of language, e-mail and country,
the choice of channel, the keyed identity (blind index) used for de-duplication, and the
validation that turns one parsed record into a person, a warning or a problem.

Problems name the line and column, never the value: the value is somebody's personal data.
Reading whole files (CSV, JSONL, encodings, line handling) is in ``breach.people.importer``.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from breach.enums import Channel, Language
from breach.keys.cipher import INDEX_BYTES, hmac_sha256, normalise_for_index
from breach.people.flags import FLAG_COLUMNS, US_TERRITORIES, FlagError, in_us, normalise_region, parse_flag

REQUIRED_COLUMNS = ("name", "language")
COLUMNS = ("name", "language", "email", "channel", "address_line1", "address_line2", "postal_code", "city",
           "country", "external_id", "phone", "region", "state", *FLAG_COLUMNS)
ADDRESS_COLUMNS = ("address_line1", "postal_code", "city")
MAX_FIELD_CHARS = 200
MAX_EMAIL_CHARS = 254
_LIMITS = {column: MAX_EMAIL_CHARS if column == "email" else MAX_FIELD_CHARS for column in COLUMNS}
_TEXT_TYPES = frozenset({str, type(None)})

_LANGUAGES = {
    "da": Language.DA, "dan": Language.DA, "dansk": Language.DA, "danish": Language.DA,
    "nb": Language.NB, "nn": Language.NB, "no": Language.NB, "nob": Language.NB, "nno": Language.NB,
    "nor": Language.NB, "norsk": Language.NB, "norwegian": Language.NB, "bokmål": Language.NB,
    "en": Language.EN, "eng": Language.EN, "english": Language.EN, "engelsk": Language.EN, "engels": Language.EN,
    "nl": Language.NL, "nld": Language.NL, "dut": Language.NL, "nederlands": Language.NL, "dutch": Language.NL,
    "hollandsk": Language.NL, "nederlandsk": Language.NL,
}
_WANTS_LETTER = {"": False, "email": False, "e-mail": False, "epost": False, "e-post": False,
                 "letter": True, "post": True, "brev": True, "brief": True}
_COUNTRY_ALIASES = {"UK": "GB"}
_COUNTRY = re.compile(r"[A-Z]{2}")
_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[^\W_](?:(?:[^\W_]|-){0,61}[^\W_])?"
_EMAIL = re.compile(rf"{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+(?:[^\W\d_]{{2,63}}|xn--[a-z0-9-]{{1,59}})")
_SURROGATE = re.compile("[\ud800-\udfff]")  # bytes that were not UTF-8 (surrogateescape)
# Those, C0 and C1 controls (CR, LF, NUL, tab, NEL...) and the Unicode line and paragraph separators.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


class ProblemCode(StrEnum):
    MISSING_VALUE = "missing_value"
    INVALID_EMAIL = "invalid_email"
    INVALID_LANGUAGE = "invalid_language"
    INVALID_CHANNEL = "invalid_channel"
    INVALID_COUNTRY = "invalid_country"
    INVALID_REGION = "invalid_region"
    INVALID_FLAG = "invalid_flag"
    NO_ESIGN_CONSENT = "no_esign_consent"
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
    region: str | None = Field(default=None, max_length=3, description="US state/DC/territory code, or ISO 3166-2 subdivision")
    vulnerable: bool | None = Field(default=None, description="In a vulnerable situation (None: the file does not say)")
    protected_address: bool | None = Field(default=None, description="Has a secret or protected address")
    esign_consent: bool | None = Field(default=None, description="Consented to electronic notices (E-SIGN, 15 U.S.C. 7001(c))")
    channel: Channel = Field(description="email, letter, or none when the person cannot be reached")
    dedup_key: bytes = Field(min_length=INDEX_BYTES, max_length=INDEX_BYTES, repr=False,
                             description="Blind index of the person's identity (see dedup_key())")

    @property
    def has_complete_address(self) -> bool:
        """Whether a letter can be addressed: street line, postal code and city."""
        return bool(self.address_line1 and self.postal_code and self.city)

    def address_lines(self) -> list[str]:
        """The postal address as printed on an envelope, in the country's usual order."""
        return address_lines({field: getattr(self, field) for field in ADDRESS_FIELDS})


ADDRESS_FIELDS = ("address_line1", "address_line2", "postal_code", "city", "country")


def address_lines(values: Mapping[str, Any]) -> list[str]:
    """The postal address of a person's values as printed on an envelope, in the country's usual order."""
    line1, line2, postal_code, city, country = map(values.get, ADDRESS_FIELDS)
    lines = [line for line in (line1, line2) if line]
    if country == "GB":
        lines += [part for part in ((city or "").upper(), postal_code or "") if part]
    elif postal_code or city:
        lines.append(" ".join(part for part in (postal_code, city) if part))
    return lines



def normalise_language(value: str) -> Language | None:
    """da, nb, nl or en from a tag such as ``da-DK``, ``no``, ``nn``, ``nb_NO`` or ``en-GB``; None if unknown.

    Notices in American English (``en-US``) follow where the person lives, not the tag: see ``_person``.
    """
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
    if len(parts) == 1:  # the same text as below, made faster for the one-part keys of every row
        part = normalise_for_index(parts[0] or "")
        text = f"{kind}|{len(part)}:{part}"
    else:
        text = kind + "".join([f"|{len(part)}:{part}" for part in map(normalise_for_index, [p or "" for p in parts])])
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
    return external_key_of(person.external_id, secret)


def external_key_of(external_id: str | None, secret: bytes) -> bytes | None:
    """Keyed 16-byte digest of a customer number as written in the people file (trimmed, NFC), or None."""
    if not external_id or not external_id.strip():
        return None
    text = external_id.strip()
    return _keyed("external_id", (text if text.isascii() else unicodedata.normalize("NFC", text),), secret)



def _clean(record: Mapping[str, Any], number: int) -> dict[str, str | None] | RowProblem:
    """Each known column as trimmed NFC text or None, or the first problem found."""
    raw = list(map(record.get, COLUMNS))
    if not _TEXT_TYPES.issuperset(map(type, raw)):  # a JSON line's numbers and booleans: the rare case
        for index, (column, value) in enumerate(zip(COLUMNS, raw, strict=True)):
            if isinstance(value, bool) and column in FLAG_COLUMNS:  # JSONL true/false
                raw[index] = "true" if value else "false"
            elif value is not None and type(value) is not str:
                if isinstance(value, bool) or not isinstance(value, int):
                    return RowProblem(number, column, ProblemCode.INVALID_TYPE, "must be text")
                raw[index] = str(value)
    if _UNSAFE.search("".join(filter(None, raw))):
        column, value = next((column, value) for column, value in zip(COLUMNS, raw, strict=True) if value and _UNSAFE.search(value))
        if _SURROGATE.search(value):
            return RowProblem(number, column, ProblemCode.BAD_ENCODING, "not valid UTF-8 (is the file saved as UTF-8?)")
        return RowProblem(number, column, ProblemCode.CONTROL_CHARACTER, "contains a line break or control character")
    values: dict[str, str | None] = {}
    for column, value in zip(COLUMNS, raw, strict=True):
        if value:
            value = (value if value.isascii() else unicodedata.normalize("NFC", value)).strip()
            if len(value) > MAX_FIELD_CHARS and len(value) > (limit := _LIMITS[column]):
                return RowProblem(number, column, ProblemCode.FIELD_TOO_LONG, f"longer than {limit} characters")
            values[column] = value or None
        else:
            values[column] = None
    return values


def _person(record: Mapping[str, Any], number: int, *, country: str,
            secret: bytes) -> tuple[PersonIn, RowProblem | None] | RowProblem:
    """Validate one record into a person and an optional warning, or the row's problem."""
    result = validated(record, number, country=country, secret=secret)
    if isinstance(result, RowProblem):
        return result
    fields, warning = result
    return PersonIn(**fields), warning


def validated(record: Mapping[str, Any], number: int, *, country: str,
              secret: bytes) -> tuple[dict[str, Any], RowProblem | None] | RowProblem:
    """Validate one record into the fields of a PersonIn and an optional warning, or the row's problem.

    Every check a PersonIn makes is made here (the model only restates them), so a bulk import
    can skip building the model and store exactly what it would hold.
    """
    values = _clean(record, number)
    if isinstance(values, RowProblem):
        return values
    name, language, email, channel_text, line1, _, postal_code, _, country_code, *_ = values.values()
    for column in REQUIRED_COLUMNS:
        if not values[column]:
            return RowProblem(number, column, ProblemCode.MISSING_VALUE, "a value is required")
    if (language := normalise_language(language or "")) is None:
        return RowProblem(number, "language", ProblemCode.INVALID_LANGUAGE, "not a known language; use da, nb, nl or en")
    if email and (email := normalise_email(email)) is None:
        return RowProblem(number, "email", ProblemCode.INVALID_EMAIL, "not a valid e-mail address")
    if (wants_letter := _WANTS_LETTER.get((channel_text or "").lower())) is None:
        return RowProblem(number, "channel", ProblemCode.INVALID_CHANNEL, "not a known channel; use email or letter")
    if (country_code := normalise_country(country_code) if country_code else country) is None:
        return RowProblem(number, "country", ProblemCode.INVALID_COUNTRY, "not an ISO 3166-1 alpha-2 country code")
    missing = [column for column in ADDRESS_COLUMNS if not values[column]]
    channel = choose_channel(wants_letter=wants_letter, has_email=email is not None, has_complete_address=not missing)
    key = _identity_key(email, name or "", postal_code, line1, secret)
    extra = _extra_columns(values, number, country=country_code)
    if isinstance(extra, RowProblem):
        return extra
    if language == Language.EN and in_us(country_code):
        language = Language.EN_US  # a US resident reads the notice US state law prescribes
    values.update(email=email, language=language, country=country_code, **extra)
    for column in ("channel", "state"):
        del values[column]
    if channel == Channel.EMAIL and in_us(country_code) and extra["esign_consent"] is not True and not missing:
        channel = Channel.LETTER  # E-SIGN (15 U.S.C. 7001(c)): e-mail counts as notice only with the person's consent
    fields = {"line": number, "wants_letter": wants_letter, "channel": channel, "dedup_key": key, **values}
    return fields, _address_warning(fields, missing) or _consent_warning(fields)


_EXTRA_COLUMNS = ("region", "state", *FLAG_COLUMNS)


def _extra_columns(values: dict[str, Any], number: int, *, country: str) -> dict[str, Any] | RowProblem:
    """The region (``region`` or its synonym ``state``) and the yes/no flags, or the first problem."""
    if country not in US_TERRITORIES and not any(map(values.get, _EXTRA_COLUMNS)):  # most rows: all empty (None)
        return dict.fromkeys(("region", *FLAG_COLUMNS))
    region_column = "region" if values.get("region") or not values.get("state") else "state"
    try:
        region = normalise_region(values.get(region_column), country=country)
    except ValueError as exc:
        return RowProblem(number, region_column, ProblemCode.INVALID_REGION, str(exc))
    flags: dict[str, Any] = {"region": region}
    for column in FLAG_COLUMNS:
        try:
            flags[column] = parse_flag(values.get(column))
        except FlagError as exc:
            return RowProblem(number, column, ProblemCode.INVALID_FLAG, str(exc))
    return flags


def _consent_warning(person: Mapping[str, Any]) -> RowProblem | None:
    """A warning for a US resident told by e-mail without E-SIGN consent, because no postal address is known."""
    if person["channel"] != Channel.EMAIL or not in_us(person["country"]) or person["esign_consent"] is True:
        return None
    message = ("no E-SIGN consent to electronic notice and no complete postal address: notified by e-mail, which may not "
               "count as notice (15 U.S.C. 7001(c)); consider substitute notice")
    return RowProblem(person["line"], "esign_consent", ProblemCode.NO_ESIGN_CONSENT, message, rejected=False)


def _address_warning(person: Mapping[str, Any], missing: list[str]) -> RowProblem | None:
    """A warning when a letter was wanted, or is the only way left, but the address is incomplete."""
    some_address = person["address_line1"] or person["address_line2"] or person["postal_code"] or person["city"]
    if not missing or not (person["wants_letter"] or (person["email"] is None and some_address)):
        return None
    instead = "notified by e-mail instead" if person["channel"] == Channel.EMAIL else "the person cannot be reached"
    message = f"a letter needs {', '.join(ADDRESS_COLUMNS)}; {missing[0]} is missing; {instead}"
    return RowProblem(person["line"], missing[0], ProblemCode.INCOMPLETE_ADDRESS, message, rejected=False)
