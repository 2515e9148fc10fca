"""The checks a SendGrid v3 /mail/send body must pass: schema first, then the cross-field limits.

Rule numbers (L1 ... L20) refer to section 1 of tests/fixtures/contracts/sendgrid/LIMITS.md. Messages
follow SendGrid's Mail Send errors page where it gives one; none of them echoes a submitted
value, so an address never comes back in an error body.
"""

from __future__ import annotations

import base64
import binascii
import json
import time
from collections.abc import Iterator
from itertools import chain
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker, ValidationError

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None

Problem = dict[str, Any]  # {"message": str, "field": str | None, "help": None}

MAX_RECIPIENTS = 1000  # L2
MAX_CUSTOM_ARGS_BYTES = 10_000  # L8: the safe figure of the three published ones
MAX_SUBSTITUTION_BYTES = 10_000  # L17
MAX_SCHEDULE_AHEAD_S = 72 * 3600  # L16
MAX_ERRORS = 50  # a body with 1,000 bad rows should not produce a megabyte of errors
RESERVED_HEADERS = frozenset(
    h.lower()
    for h in (
        "x-sg-id", "x-sg-eid", "received", "dkim-signature", "Content-Type",
        "Content-Transfer-Encoding", "To", "From", "Subject", "Reply-To", "CC", "BCC",
    )
)  # L14
_CONTENT_RANK = {"text/plain": 0, "text/html": 1}  # L11: everything else ranks 2

MSG_FROM_REQUIRED = (
    "The from object must be provided for every email send. It is an object that requires "
    "the email parameter, but may also contain a name parameter."
)
MSG_TO_REQUIRED = "The to parameter is required for all personalization objects."
MSG_NO_PERSONALIZATION = "You must have at least one personalization."
MSG_TOO_MANY_RECIPIENTS = "There is a limit of 1000 total recipients (to + cc + bcc) per request."
MSG_DUPLICATE = (
    "Each unique email address in the personalizations array should only be included once."
)
MSG_NAME_CHARS = "The to.name, cc.name and bcc.name fields cannot contain ';' or ','."
MSG_FROM_UNICODE = "Unicode encoding is not supported for the from field."
MSG_SUBJECT = (
    "The subject is required. You can get around this requirement if you use a template with "
    "a subject defined or if every personalization has a subject defined."
)
MSG_CONTENT = (
    "Unless a valid template_id is provided, the content parameter is required. There must be "
    "at least one defined content block."
)
MSG_CONTENT_ORDER = (
    "If present, text/plain must be first, followed by text/html, followed by any other content."
)
MSG_INVALID_JSON = "The JSON you have submitted cannot be parsed."
MSG_INVALID_UTF8 = "Invalid UTF8 in request."


def problem(message: str, field: str | None = None) -> Problem:
    """One entry of SendGrid's `errors` array."""
    return {"message": message, "field": field, "help": None}


def error_body(*problems: Problem) -> dict[str, Any]:
    """SendGrid's error response shape."""
    return {"errors": list(problems)}


def build_validator(schema: dict[str, Any]) -> Draft202012Validator:
    """A draft 2020-12 validator that also checks `format: email`."""
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema, format_checker=FormatChecker())


def schema_problems(validator: Draft202012Validator, body: Any) -> list[Problem]:
    """Schema violations as SendGrid-style problems, without echoing the offending values."""
    found: list[Problem] = []
    for err in validator.iter_errors(body):
        found.append(_schema_problem(err))
        if len(found) >= MAX_ERRORS:
            break
    return found


def _schema_problem(err: ValidationError) -> Problem:
    path = [str(p) for p in err.absolute_path]
    field = ".".join(path) or None
    if err.validator == "required":
        missing = [k for k in err.validator_value if isinstance(err.instance, dict) and k not in err.instance]
        name = missing[0] if missing else "?"
        field = ".".join([*path, name])
        messages = {"from": MSG_FROM_REQUIRED, "to": MSG_TO_REQUIRED}
        return problem(messages.get(name, f"The {name} parameter is required."), field)
    if path == ["personalizations"] and err.validator == "maxItems":
        return problem(
            "The personalization block is limited to 1000 personalizations per API request. "
            f"You have provided {len(err.instance)} personalizations. Please consider splitting "
            "this into multiple requests and resending your request.",
            field,
        )
    if path == ["personalizations"] and err.validator == "minItems":
        return problem(MSG_NO_PERSONALIZATION, field)
    if err.validator == "format":
        return problem("Does not contain a valid address.", field)
    if "custom_args" in path[:-1] and err.validator == "type":
        return problem("All values of custom arguments object must be strings.", field)
    if "headers" in path[:-1] and err.validator == "type":
        return problem("All values of the headers object must be strings.", field)
    return problem(f"Invalid value: it breaks the '{err.validator}' rule of the request schema.", field)


def limit_problems(body: dict[str, Any], *, now: float | None = None) -> list[Problem]:
    """Cross-field rules of LIMITS.md section 1 for a body that already passed the schema.

    A body that `_surely_clean` passes has no problems; any other body (or one of a shape the schema
    refuses) goes through the detailed checks, which name every field and keep SendGrid's order.
    """
    now = time.time() if now is None else now
    if _surely_clean(body, now):
        return []
    return _detailed_problems(body, now)


def _surely_clean(body: dict[str, Any], now: float) -> bool:
    """True only if `_detailed_problems` would find nothing: one pass over the personalizations.

    It builds no field names and sizes maps with orjson, so a 1,000-person body costs ~1.5 ms instead of
    ~20. It may say False for a clean body (the detailed checks then find nothing), never True for a bad
    one; tests/support/sendgrid/test_limits_speed.py holds it to that, rule by rule.
    """
    try:
        return _one_pass(body, now)
    except Exception:  # a shape the schema refuses: the detailed checks decide (or raise) as before
        return False


def _one_pass(body: dict[str, Any], now: float) -> bool:
    """The tests of `_detailed_problems`, each marked with its rule; False at the first that fails."""
    latest = now + MAX_SCHEDULE_AHEAD_S  # L16
    addresses: list[dict[str, Any]] = []
    custom_args: list[dict[str, str]] = []
    substitutions: list[dict[str, str]] = []
    for pers in body["personalizations"]:
        to = pers["to"]
        if not to:  # L3
            return False
        addresses += to
        if "cc" in pers:
            addresses += pers["cc"]
        if "bcc" in pers:
            addresses += pers["bcc"]
        if "from" in pers and not _ascii_sender(pers["from"]):  # L6
            return False
        args = pers.get("custom_args")
        if args is not None:
            if not args:  # L9
                return False
            custom_args.append(args)
        headers = pers.get("headers")
        if headers and not all(map(_allowed_header, headers)):  # L14
            return False
        when = pers.get("send_at")
        if when is not None and when > latest:  # L16
            return False
        subs = pers.get("substitutions")
        if subs:
            substitutions.append(subs)
    if len(addresses) > MAX_RECIPIENTS:  # L2
        return False
    if len({addr["email"].strip().lower() for addr in addresses}) != len(addresses):  # L4, the key of `_recipients`
        return False
    names = "".join([addr.get("name", "") for addr in addresses])
    if ";" in names or "," in names:  # L5
        return False
    if not _ascii_sender(body.get("from") or {}):  # L6
        return False
    args = body.get("custom_args")
    if args is not None:
        if not args:  # L9
            return False
        custom_args.append(args)
    if custom_args and max(_compact_sizes(custom_args)) >= MAX_CUSTOM_ARGS_BYTES:  # L8
        return False
    if substitutions and max(_compact_sizes(substitutions)) > MAX_SUBSTITUTION_BYTES:  # L17
        return False
    if not all(map(_allowed_header, body.get("headers") or {})):  # L14
        return False
    when = body.get("send_at")
    if when is not None and when > latest:  # L16
        return False
    # L10, L11, L12, L13, L15 look at the message level only: their detailed checks are cheap
    for check in (_subject_and_content(body), _attachments(body), _categories(body), _reply_to(body)):
        for _found in check:
            return False
    return True


def _ascii_sender(sender: dict[str, Any]) -> bool:
    """L6: no Unicode in a `from` object (the test of `_from_ascii`)."""
    return sender.get("email", "").isascii() and sender.get("name", "").isascii()


def _allowed_header(name: str) -> bool:
    """L14: not reserved, ASCII, no spaces, not empty (the test of `_headers`)."""
    return (name.lower() not in RESERVED_HEADERS and name.isascii() and not any(c.isspace() for c in name)
            and bool(name))


def _compact_sizes(mappings: list[dict[str, str]]) -> Iterator[int]:
    """`_json_bytes` of each mapping of strings to strings, ~10x faster with orjson.

    For string keys and values orjson writes exactly the bytes of `json.dumps(separators=(",", ":"),
    ensure_ascii=False)` in UTF-8 (same key order, same escapes; test_sendgrid_limits_speed checks every
    code point). A value that is not a string fails the join (TypeError), a key that is not one fails
    orjson: either sends the body to the detailed checks, which measure with json.dumps.
    """
    if orjson is None:
        return map(_json_bytes, mappings)
    "".join(chain.from_iterable(map(dict.values, mappings)))  # TypeError unless every value is a string
    return map(len, map(orjson.dumps, mappings))


def _detailed_problems(body: dict[str, Any], now: float) -> list[Problem]:
    """Every problem, with its field, in rule order; at most MAX_ERRORS of them."""
    checks = (
        _recipients(body), _from_ascii(body), _custom_args(body), _subject_and_content(body),
        _attachments(body), _categories(body), _headers(body), _reply_to(body), _send_at(body, now),
        _substitutions(body),
    )
    found: list[Problem] = []
    for check in checks:
        for item in check:
            found.append(item)
            if len(found) >= MAX_ERRORS:
                return found
    return found


def _addresses(body: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for i, pers in enumerate(body["personalizations"]):
        for kind in ("to", "cc", "bcc"):
            for j, addr in enumerate(pers.get(kind, [])):
                yield f"personalizations.{i}.{kind}.{j}", addr


def _recipients(body: dict[str, Any]) -> Iterator[Problem]:
    """L2 total recipients, L3 non-empty `to`, L4 duplicates, L5 display names."""
    for i, pers in enumerate(body["personalizations"]):
        if not pers["to"]:
            yield problem(MSG_TO_REQUIRED, f"personalizations.{i}.to")
    seen: set[str] = set()
    total = 0
    for field, addr in _addresses(body):
        total += 1
        key = addr["email"].strip().lower()
        if key in seen:
            yield problem(MSG_DUPLICATE, f"{field}.email")
        seen.add(key)
        if any(c in addr.get("name", "") for c in ";,"):
            yield problem(MSG_NAME_CHARS, f"{field}.name")
    if total > MAX_RECIPIENTS:
        yield problem(MSG_TOO_MANY_RECIPIENTS, "personalizations")


def _from_ascii(body: dict[str, Any]) -> Iterator[Problem]:
    """L6: no Unicode in `from`, at message or personalization level."""
    sources = [("from", body.get("from") or {})]
    sources += [(f"personalizations.{i}.from", p["from"]) for i, p in enumerate(body["personalizations"]) if "from" in p]
    for field, sender in sources:
        for part in ("email", "name"):
            if not sender.get(part, "").isascii():
                yield problem(MSG_FROM_UNICODE, f"{field}.{part}")


def _json_bytes(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _custom_args(body: dict[str, Any]) -> Iterator[Problem]:
    """L8 size and L9 non-empty, at both levels."""
    levels = [("custom_args", body.get("custom_args"))]
    levels += [(f"personalizations.{i}.custom_args", p.get("custom_args")) for i, p in enumerate(body["personalizations"])]
    for field, args in levels:
        if args is None:
            continue
        if not args:
            yield problem("custom_args can't be empty.", field)
        elif _json_bytes(args) >= MAX_CUSTOM_ARGS_BYTES:
            yield problem("The custom arguments may not exceed 10,000 bytes.", field)


def _subject_and_content(body: dict[str, Any]) -> Iterator[Problem]:
    """L10 subject presence and L11 content presence, order and type characters."""
    if "template_id" not in body:
        everyone = all("subject" in p for p in body["personalizations"])
        if "subject" not in body and not everyone:
            yield problem(MSG_SUBJECT, "subject")
        if not body.get("content"):
            yield problem(MSG_CONTENT, "content")
    ranks = [_CONTENT_RANK.get(c["type"].lower(), 2) for c in body.get("content", [])]
    if ranks != sorted(ranks):
        yield problem(MSG_CONTENT_ORDER, "content")
    for k, block in enumerate(body.get("content", [])):
        if any(c in block["type"] for c in ";\r\n"):
            yield problem("The content type cannot contain ';', CR or LF.", f"content.{k}.type")


def _attachments(body: dict[str, Any]) -> Iterator[Problem]:
    """L12: base64 content, no CRLF or ';' in filename, type and content_id."""
    for k, att in enumerate(body.get("attachments", [])):
        try:
            base64.b64decode(att["content"], validate=True)
        except (binascii.Error, ValueError):
            yield problem("The attachment content must be base64 encoded.", f"attachments.{k}.content")
        for part in ("filename", "type", "content_id"):
            if any(c in att.get(part, "") for c in ";\r\n"):
                yield problem(f"The attachment {part} cannot contain ';', CR or LF.", f"attachments.{k}.{part}")


def _categories(body: dict[str, Any]) -> Iterator[Problem]:
    """L13: categories are ASCII."""
    for k, cat in enumerate(body.get("categories", [])):
        if not cat.isascii():
            yield problem("Categories must be ASCII.", f"categories.{k}")


def _headers(body: dict[str, Any]) -> Iterator[Problem]:
    """L14: reserved header names and ASCII keys without spaces, at both levels."""
    levels = [("headers", body.get("headers") or {})]
    levels += [(f"personalizations.{i}.headers", p.get("headers") or {}) for i, p in enumerate(body["personalizations"])]
    for field, headers in levels:
        for name in headers:
            if name.lower() in RESERVED_HEADERS:
                yield problem(f"The header {name!r} is reserved and cannot be set.", f"{field}.{name}")
            elif not name.isascii() or any(c.isspace() for c in name) or not name:
                yield problem("Header names must be ASCII without spaces.", field)


def _reply_to(body: dict[str, Any]) -> Iterator[Problem]:
    """L15: reply_to and reply_to_list are mutually exclusive."""
    if "reply_to" in body and "reply_to_list" in body:
        yield problem("You may use either reply_to or reply_to_list, but not both.", "reply_to_list")


def _send_at(body: dict[str, Any], now: float) -> Iterator[Problem]:
    """L16: at most 72 hours ahead."""
    levels = [("send_at", body.get("send_at"))]
    levels += [(f"personalizations.{i}.send_at", p.get("send_at")) for i, p in enumerate(body["personalizations"])]
    for field, when in levels:
        if when is not None and when > now + MAX_SCHEDULE_AHEAD_S:
            yield problem("The send_at parameter can't be scheduled more than 72 hours in advance.", field)


def _substitutions(body: dict[str, Any]) -> Iterator[Problem]:
    """L17: at most 10,000 bytes of substitutions per personalization."""
    for i, pers in enumerate(body["personalizations"]):
        subs = pers.get("substitutions")
        if subs and _json_bytes(subs) > MAX_SUBSTITUTION_BYTES:
            yield problem(
                "The substitutions may not exceed 10,000 bytes per personalization.",
                f"personalizations.{i}.substitutions",
            )
