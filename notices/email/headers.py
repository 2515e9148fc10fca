"""Names and words that go into e-mail headers, made harmless before a header is built, and checked after.

A customer's name is hostile input. Python's ``email`` package before 3.11.10 / 3.12.5 decodes an
RFC 2047 encoded word in a display name and writes the decoded CR LF out as a raw header line
(CVE-2024-6923), and folds a long quoted display name so that it loses its quotes: a name could
add a ``Bcc:`` or replace the recipient. This module does not rely on the interpreter's fix:

``header_name``
    a display name reduced to a plain phrase: no control, line-break, bidi or zero-width
    characters, no RFC 5322 specials but the dot (``<>()[]:;@,"\\``) and no ``=`` (so no encoded word ``=?..?=``),
    at most ``MAX_HEADER_NAME`` characters; compatibility forms (fullwidth ``＜``, ``＠``) are
    folded first (NFKC), so a look-alike cannot slip through.
``header_text``
    free text for an unstructured header (the Subject): one line, no invisible characters, no
    encoded-word markers.
``verify_eml_headers`` / ``verify_sendgrid_body``
    after building: parse the message (or the request body) back and refuse anything but exactly
    one To address (the recipient's), one From address (ours), no Cc/Bcc/Reply-To and no header
    line we did not write.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from email import message_from_bytes, policy
from typing import Any

from notices.email.errors import EmailDeliveryError

MAX_HEADER_NAME = 128
# C0/C1 controls, DEL, line/paragraph separators, lone surrogates: never in a header
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
# Invisible or direction-changing characters: soft hyphen, combining grapheme joiner, Arabic letter
# mark, Hangul fillers, Khmer and Mongolian marks, zero-width space/joiners, LRM/RLM, bidi embeddings
# and isolates (U+202A-202E, U+2066-2069), word joiner and invisible operators, variation
# selectors, BOM, tag characters.
_INVISIBLE = re.compile("[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
                        "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]")
_SPECIALS = str.maketrans(dict.fromkeys('<>()[]:;@,"\\=', " "))  # '=' too: no encoded word can start
_SAFE_NAME = re.compile(r"[A-Za-z0-9'\- ]{0,128}")  # the common case, already harmless
# letters and digits of any script (no '_'), apostrophes, hyphens and spaces: harmless once NFKC-stable and visible
_PLAIN_NAME = re.compile(r"(?:[^\W_]|['\- ]){1,128}")
_HEADER_LINE = re.compile(rb"^([A-Za-z0-9-]+):(?:[ \t]|$)")
EML_HEADERS = frozenset({"from", "to", "subject", "date", "message-id", "x-breach-delivery-id", "x-breach-incident-id",
                         "content-type", "content-transfer-encoding", "mime-version"})


class UnsafeHeader(EmailDeliveryError):
    """A generated header did not verify: nothing is written or sent (a refusal, never retried as it is)."""

    def __init__(self, reason: str, *, batch_key: str | None = None) -> None:
        super().__init__(status_code=None, batch_key=batch_key, reason=f"unsafe e-mail header refused: {reason}")


def header_text(value: str) -> str:
    """Free text made safe for an unstructured header: one line, visible characters, no encoded words."""
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", value))
    return " ".join(text.replace("=?", "= ?").replace("?=", "? =").split())


def header_name(value: str) -> str:
    """A display name made a plain phrase that can only ever be read as a name (see the module docstring)."""
    if (_SAFE_NAME.fullmatch(value) or _PLAIN_NAME.fullmatch(value) and unicodedata.is_normalized("NFKC", value)
            and not _INVISIBLE.search(value)) and "  " not in value and value == value.strip():
        return value  # already what plain_header_name makes of it (Søren Ærø-Ødegård): the common case, checked in one pass
    return plain_header_name(value)


def plain_header_name(value: str) -> str:
    """header_name without its fast paths: what every display name is reduced to."""
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", value))
    text = _INVISIBLE.sub("", _CONTROL.sub(" ", text)).translate(_SPECIALS)
    return " ".join(text.split())[:MAX_HEADER_NAME].strip()


def _header_lines(raw: bytes) -> list[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return head.split(b"\r\n")


def verify_eml_headers(raw: bytes, *, to_address: str, from_address: str, reply_to: str | None = None,
                       batch_key: str | None = None) -> None:
    """Parse a written message back; UnsafeHeader unless its headers are exactly the ones we wrote."""
    names = []
    allowed = EML_HEADERS | ({"reply-to"} if reply_to else set())
    for line in _header_lines(raw):
        if line[:1] in (b" ", b"\t"):
            continue  # a folded continuation of the header above
        match = _HEADER_LINE.match(line)
        if match is None or match.group(1).decode("ascii").lower() not in allowed:
            raise UnsafeHeader("a header line that was not written by us", batch_key=batch_key)
        names.append(match.group(1).decode("ascii").lower())
    if len(names) != len(set(names)):
        raise UnsafeHeader("a header appears twice", batch_key=batch_key)
    message = message_from_bytes(raw, policy=policy.default)
    for field, wanted in (("To", to_address), ("From", from_address), *((("Reply-To", reply_to),) if reply_to else ())):
        header = message[field]
        addresses: tuple[Any, ...] = tuple(getattr(header, "addresses", ()))
        if header is None or len(addresses) != 1 or addresses[0].addr_spec.lower() != wanted.lower():
            raise UnsafeHeader(f"the {field} header does not hold exactly the one intended address", batch_key=batch_key)
    if any(message[name] is not None for name in ("Cc", "Bcc", "Sender", *(() if reply_to else ("Reply-To",)))):
        raise UnsafeHeader("a Cc, Bcc, Sender or unexpected Reply-To header", batch_key=batch_key)


def _names(entries: Iterable[dict[str, Any]]) -> Iterable[str]:
    return (str(entry["name"]) for entry in entries if "name" in entry)


def verify_sendgrid_body(body: dict[str, Any], *, to_addresses: list[str], from_address: str, reply_to: str | None = None,
                         batch_key: str | None = None) -> None:
    """Check a /v3/mail/send body before it leaves; UnsafeHeader unless each personalization has exactly its one To."""
    known = {"personalizations", "from", "subject", "content", "custom_args", "mail_settings"} | ({"reply_to"} if reply_to else set())
    if set(body) - known:
        raise UnsafeHeader("a field of the request that we do not write (headers, reply_to_list, ...)", batch_key=batch_key)
    if reply_to and body.get("reply_to", {}).get("email") != reply_to:
        raise UnsafeHeader("the Reply-To address is not the contact point", batch_key=batch_key)
    personalizations = body.get("personalizations", [])
    if len(personalizations) != len(to_addresses):
        raise UnsafeHeader("the request does not hold one personalization per person", batch_key=batch_key)
    for entry, wanted in zip(personalizations, to_addresses, strict=True):
        if set(entry) - {"to", "substitutions", "custom_args"} or len(entry.get("to", [])) != 1 or entry["to"][0]["email"] != wanted:
            raise UnsafeHeader("a personalization with other recipients than its one person (cc, bcc, headers)", batch_key=batch_key)
    if body.get("from", {}).get("email") != from_address:
        raise UnsafeHeader("the From address is not ours", batch_key=batch_key)
    for name in [*_names(p["to"][0] for p in personalizations), *_names([body.get("from", {}), body.get("reply_to", {})])]:
        if header_name(name) != name:
            raise UnsafeHeader("a display name that was not made safe", batch_key=batch_key)
    if header_text(str(body.get("subject", ""))) != body.get("subject"):
        raise UnsafeHeader("a subject that is not one plain line", batch_key=batch_key)
