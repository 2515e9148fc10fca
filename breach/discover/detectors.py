"""Value detectors: a cheap shape check first, then the real validation (check digits, parsers).

Each detector names the data category it finds (the codes of incident-facts.schema.json). The
shape is a compiled regular expression used as a pre-filter: it is cheap enough to run on every
value of an assigned column, while the full validation (python-stdnum, phonenumbers, ipaddress)
runs on column samples and on a few values per chunk.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

import phonenumbers
from stdnum import iban as std_iban
from stdnum import luhn
from stdnum.dk import cpr
from stdnum.fi import hetu
from stdnum.nl import bsn
from stdnum.no import fodselsnummer
from stdnum.se import personnummer

PHONE_REGIONS = ("DK", "NO", "SE", "FI", "NL", "GB")
# Issuer prefixes of the card schemes a European leak holds (Visa, Mastercard, Amex, Diners, Discover, JCB, Maestro, UnionPay).
CARD_PREFIX = re.compile(r"4|5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)|3[47]|3(?:0[0-5]|[68])|6(?:011|5|4[4-9]|2)|35|50|5[6-9]")


@dataclass(frozen=True)
class Detector:
    """One kind of value: its category, cheap shape, full validation and masking."""

    name: str
    category: str
    shape: re.Pattern[str]
    validate: Callable[[str], bool]
    mask: Callable[[str], str]
    needs_hint: bool = False  # too ambiguous to assign a column without a column-name hint
    identifier: bool = False  # distinct values estimate the number of people

    def check(self, value: str) -> bool:
        """Shape and full validation of one value."""
        if self.shape.fullmatch(value) is None:
            return False
        try:
            return bool(self.validate(value))
        except (ValueError, TypeError, ArithmeticError, phonenumbers.NumberParseException):
            return False


# ---- masking: reveal at most a few characters -------------------------------------------------

def mask_tail(value: str, keep: int = 2) -> str:
    """Replace every letter and digit except the last `keep` with '*', keeping separators."""
    alnum = sum(ch.isalnum() for ch in value)
    out, seen = [], 0
    for ch in value:
        if ch.isalnum():
            seen += 1
            out.append(ch if seen > alnum - keep else "*")
        else:
            out.append(ch)
    return "".join(out)


def mask_email(value: str) -> str:
    """`jane@example.org` -> `j***@example.org`."""
    local, _, domain = value.partition("@")
    return f"{local[:1]}***@{domain}"


def mask_iban(value: str) -> str:
    """Keep the country code and the last two characters."""
    compact = value.replace(" ", "")
    return compact[:2] + mask_tail(compact[2:], 2)


def mask_card(value: str) -> str:
    """Keep the last four digits, as printed on receipts."""
    return mask_tail(value, 4)


def mask_ip(value: str) -> str:
    """Keep the first octet (IPv4) or group (IPv6)."""
    if ":" in value:
        return value.split(":", 1)[0] + ":****:****"
    return value.split(".", 1)[0] + ".*.*.*"


def mask_all(value: str) -> str:
    """Reveal nothing but the separators."""
    return mask_tail(value, 0)


def mask_words(value: str) -> str:
    """Keep the first letter of the first two words (names, addresses)."""
    words = value.split()
    return " ".join((w[:1] if w[:1].isalpha() else "*") + "***" for w in words[:2]) + (" …" if len(words) > 2 else "")


def mask_secret(value: str) -> str:
    """Credentials, health data: nothing at all."""
    return "[redacted]"


# ---- validation -------------------------------------------------------------------------------

_EMAIL = re.compile(r"[A-Za-z0-9._%+'-]{1,64}@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}")


def valid_email(value: str) -> bool:
    """An address with a plausible local part and a dotted domain ending in letters."""
    local = value.split("@", 1)[0]
    return len(value) <= 254 and _EMAIL.fullmatch(value) is not None and not local.startswith(".") and ".." not in local


def valid_card(value: str) -> bool:
    """13-19 digits, a known issuer prefix and a Luhn check digit."""
    digits = value.replace(" ", "").replace("-", "")
    return 13 <= len(digits) <= 19 and CARD_PREFIX.match(digits) is not None and luhn.is_valid(digits)


def valid_phone_international(value: str) -> bool:
    """A valid number written with its country code (+45..., 0045...)."""
    text = "+" + value[2:] if value.startswith("00") else value
    return phonenumbers.is_valid_number(phonenumbers.parse(text, None))


def valid_phone_national(value: str) -> bool:
    """A valid number in one of the Nordic, Dutch or British numbering plans."""
    if value.startswith(("+", "00")):
        return valid_phone_international(value)
    return any(phonenumbers.is_valid_number(phonenumbers.parse(value, region)) for region in PHONE_REGIONS)


def valid_ipv4(value: str) -> bool:
    """A dotted quad that is an address a person could use (not 0.0.0.0 or a broadcast)."""
    addr = ipaddress.IPv4Address(value)
    return not (addr.is_unspecified or addr.is_multicast or value.endswith(".255"))


def valid_ipv6(value: str) -> bool:
    """An IPv6 address (not :: or loopback)."""
    addr = ipaddress.IPv6Address(value)
    return not (addr.is_unspecified or addr.is_loopback)


_DATE_FORMS = (
    (re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ].*)?"), (1, 2, 3)),
    (re.compile(r"(\d{1,2})[./-](\d{1,2})[./-](\d{4})"), (3, 2, 1)),
    (re.compile(r"(\d{4})(\d{2})(\d{2})"), (1, 2, 3)),
)


def parse_date(value: str) -> date | None:
    """A date in ISO, European (d.m.yyyy, d/m/yyyy, d-m-yyyy) or compact yyyymmdd form."""
    for pattern, (y, m, d) in _DATE_FORMS:
        match = pattern.fullmatch(value)
        if match:
            try:
                return date(int(match.group(y)), int(match.group(m)), int(match.group(d)))
            except ValueError:
                return None
    return None


def valid_birth_date(value: str, *, today: date | None = None) -> bool:
    """A real date at most 120 years ago and not in the future."""
    born = parse_date(value)
    today = today or date.today()
    return born is not None and today.year - 120 <= born.year and born <= today


DETECTORS: tuple[Detector, ...] = (
    Detector("email", "email", re.compile(r"[^@\s]{1,64}@[^@\s]{3,253}"), valid_email, mask_email, identifier=True),
    Detector("dk_cpr", "national_id", re.compile(r"(?:0[1-9]|[12]\d|3[01])(?:0[1-9]|1[0-2])\d\d-?\d{4}"), cpr.is_valid, mask_tail,
             identifier=True),
    Detector("no_fnr", "national_id", re.compile(r"[0-7]\d[0-5]\d{3} ?\d{5}"), fodselsnummer.is_valid, mask_tail, identifier=True),
    Detector("se_pnr", "national_id", re.compile(r"(?:19|20)?\d{6}[-+]?\d{4}"), personnummer.is_valid, mask_tail, identifier=True),
    Detector("fi_hetu", "national_id", re.compile(r"\d{6}[-+A-FU-Ya-fu-y]\d{3}[0-9A-Ya-y]"), hetu.is_valid, mask_tail, identifier=True),
    Detector("nl_bsn", "national_id", re.compile(r"\d{4}\.?\d{2}\.?\d{3}|\d{8}"), bsn.is_valid, mask_tail, needs_hint=True,
             identifier=True),
    Detector("iban", "bank_account", re.compile(r"[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]){11,30}"), std_iban.is_valid, mask_iban),
    Detector("payment_card", "payment_card", re.compile(r"\d{4}(?:[ -]?\d{4}){2}[ -]?\d{1,7}"), valid_card, mask_card),
    Detector("payment_card_partial", "payment_card_partial", re.compile(r"(?:[*Xx#•]{4}[ -]?){2,3}[*Xx#•]{0,3}\d{4}"),
             lambda v: True, mask_card),
    Detector("phone", "phone", re.compile(r"(?:\+|00)[1-9][\d \-().]{6,18}\d"), valid_phone_international, mask_tail, identifier=True),
    Detector("phone_national", "phone", re.compile(r"\(?\d[\d \-().]{6,15}\d"), valid_phone_national, mask_tail, needs_hint=True,
             identifier=True),
    Detector("ipv4", "ip_address", re.compile(r"(?:\d{1,3}\.){3}\d{1,3}"), valid_ipv4, mask_ip),
    Detector("ipv6", "ip_address", re.compile(r"[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}"), valid_ipv6, mask_ip),
    Detector("date_of_birth", "date_of_birth", re.compile(r"\d{4}-\d{2}-\d{2}(?:[T ][\d:.+Z]*)?|\d{1,2}[./-]\d{1,2}[./-]\d{4}|\d{8}"),
             valid_birth_date, mask_all, needs_hint=True),
    Detector("password_hash", "credentials", re.compile(r"\$(?:2[abxy]?|argon2(?:id|i|d)|[156]|pbkdf2[-_a-z0-9]*|scrypt)\$\S{8,}"),
             lambda v: True, mask_secret),
)
BY_NAME = {d.name: d for d in DETECTORS}

# Categories found from a column name alone: their values have no check digits to test.
HINT_MASKS: dict[str, Callable[[str], str]] = {
    "name": mask_words, "postal_address": mask_words, "online_identifier": mask_words,
}


def hint_detector(category: str) -> Detector:
    """A detector for a column assigned by its name: any non-empty value counts."""
    mask = HINT_MASKS.get(category, mask_secret)
    return Detector(f"hint:{category}", category, re.compile(r"(?s).*\S.*"), lambda v: True, mask)
