"""The fast path of `limit_problems` never passes a body that the detailed checks would refuse.

`limit_problems` first asks `_surely_clean` (one pass, sizes measured with orjson); only when that is unsure
does it run the detailed checks, which name every field. These tests pin the fast path to the detailed
checks: at the size boundaries of L8 and L17 (multi-byte characters and JSON escapes included), for every
rule through a set of bad bodies, and for every code point in the orjson-versus-json.dumps sizing.
"""

from __future__ import annotations

import copy
import html
import json
import time
from typing import Any

import httpx
import orjson
import pytest

from . import limits
from .body_edits import drop as _drop
from .body_edits import set_at as _set
from .server import SendGridTestServer

pytestmark = pytest.mark.unit

NOW = 1_800_000_000.0
TEXT_TAG, HTML_TAG = "-recipient_name_text-", "-recipient_name_html-"
NAMES = ["Søren Nørgaard", "Åse Bæk", "Håkon Ødegård", "Ærle Kvåle", "Siobhán O'Donnell", "Zoë \"Z\" Brontë"]


def _body(n: int = 3) -> dict[str, Any]:
    """Shaped like notices.email.message.sendgrid_body: one person per personalization, names as substitutions."""
    personalizations = []
    for i in range(n):
        name = NAMES[i % len(NAMES)]
        personalizations.append({
            "to": [{"email": f"person.{i}@example.com", "name": name}],
            "substitutions": {TEXT_TAG: name, HTML_TAG: html.escape(name, quote=True)},
            "custom_args": {"delivery_id": f"d-{i}"},
        })
    return {
        "personalizations": personalizations,
        "from": {"email": "dpo@example.org", "name": "Aero Kommune"},
        "subject": "Om dine personoplysninger",
        "content": [{"type": "text/plain", "value": f"Kære {TEXT_TAG}"}, {"type": "text/html", "value": f"<p>{HTML_TAG}</p>"}],
        "custom_args": {"incident_id": "BR-1", "batch_key": "BR-1:0"},
    }


def _exact(mapping: dict[str, Any]) -> int:
    """The size the rules are written against: compact json.dumps in UTF-8."""
    return len(json.dumps(mapping, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def _sized(prefix: str, key: str, target: int) -> dict[str, str]:
    """{key: value} whose compact JSON is exactly `target` bytes: `prefix` (any characters), then ASCII padding."""
    base = _exact({key: prefix})
    mapping = {key: prefix + "x" * (target - base)}
    assert _exact(mapping) == target
    return mapping


def _agrees(body: dict[str, Any]) -> list[limits.Problem]:
    """limit_problems(body), after checking it equals the detailed checks and the fast path did not lie."""
    detailed = limits._detailed_problems(copy.deepcopy(body), NOW)
    found = limits.limit_problems(body, now=NOW)
    assert found == detailed
    if limits._surely_clean(body, NOW):
        assert detailed == []
    return found


# Multi-byte characters (2, 3 and 4 bytes in UTF-8), and characters json escapes ('"' -> 2, '\n' -> 2, '\x01' -> 6).
PREFIXES = ["ÆØÅæøå" * 50, "€" * 40 + "𝄞" * 10, 'Zoë "Z"\n\x01\x1f\\ Brontë' * 20]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_substitutions_of_exactly_10000_bytes_pass_and_10001_are_refused(prefix: str) -> None:  # L17
    body = _body()
    body["personalizations"][1]["substitutions"] = _sized(prefix, TEXT_TAG, 10_000)
    assert _agrees(body) == []
    assert limits._surely_clean(body, NOW)  # the fast path decides a clean body at the boundary itself
    body["personalizations"][1]["substitutions"] = _sized(prefix, TEXT_TAG, 10_001)
    assert _agrees(body) == [limits.problem("The substitutions may not exceed 10,000 bytes per personalization.",
                                            "personalizations.1.substitutions")]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_custom_args_of_9999_bytes_pass_and_10000_are_refused(prefix: str) -> None:  # L8
    body = _body()
    body["personalizations"][2]["custom_args"] = _sized(prefix, "delivery_id", 9_999)
    body["custom_args"] = _sized(prefix, "incident_id", 9_999)
    assert _agrees(body) == []
    assert limits._surely_clean(body, NOW)
    body["personalizations"][2]["custom_args"] = _sized(prefix, "delivery_id", 10_000)
    body["custom_args"] = _sized(prefix, "incident_id", 10_000)
    assert _agrees(body) == [
        limits.problem("The custom arguments may not exceed 10,000 bytes.", "custom_args"),
        limits.problem("The custom arguments may not exceed 10,000 bytes.", "personalizations.2.custom_args"),
    ]


LATE = NOW + 72 * 3600 + 1
BAD = {
    "L2 recipients over 1000": _set("personalizations.0.bcc", [{"email": f"b{i}@example.com"} for i in range(999)]),
    "L3 empty to": _set("personalizations.1.to", []),
    "L4 duplicate, other case and spaces": _set("personalizations.2.to.0.email", " PERSON.0@Example.com "),
    "L4 duplicate through cc": _set("personalizations.0.cc", [{"email": "person.1@example.com"}]),
    "L5 ';' in a name": _set("personalizations.1.to.0.name", "Doe; Jane"),
    "L5 ',' in a bcc name": _set("personalizations.1.bcc", [{"email": "x@example.com", "name": "Doe, Jane"}]),
    "L6 Unicode from name": _set("from.name", "Ærø Kommune"),
    "L6 Unicode personalization from": _set("personalizations.2.from", {"email": "dpo@example.org", "name": "Ærø"}),
    "L8 message custom_args": _set("custom_args", {"k": "x" * 10_000}),
    "L9 empty message custom_args": _set("custom_args", {}),
    "L9 empty personalization custom_args": _set("personalizations.0.custom_args", {}),
    "L10 no subject": _drop("subject"),
    "L11 no content": _drop("content"),
    "L11 order": _set("content", [{"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}]),
    "L11 ';' in type": _set("content.0.type", "text/plain; charset=x"),
    "L12 not base64": _set("attachments", [{"content": "not base64!", "filename": "a.pdf"}]),
    "L12 CRLF in filename": _set("attachments", [{"content": "eA==", "filename": "a\r\n.pdf"}]),
    "L13 Unicode category": _set("categories", ["brud-æ"]),
    "L14 reserved message header": _set("headers", {"Subject": "x"}),
    "L14 reserved personalization header": _set("personalizations.1.headers", {"X-Ok": "1", "bcc": "x"}),
    "L14 space in a header name": _set("personalizations.1.headers", {"X Bad": "1"}),
    "L14 empty header name": _set("headers", {"": "1"}),
    "L15 reply_to and reply_to_list": lambda b: b.update(reply_to={"email": "a@example.org"},
                                                          reply_to_list=[{"email": "b@example.org"}]),
    "L16 message send_at": _set("send_at", LATE),
    "L16 personalization send_at": _set("personalizations.2.send_at", LATE),
    "L17 substitutions": _set("personalizations.0.substitutions", {TEXT_TAG: "ø" * 5_000}),
    "many problems at once": lambda b: [_set(f"personalizations.{i}.to", [])(b) for i in range(3)]
                                       + [_set("from.name", "Ærø")(b), _drop("subject")(b)],
}


@pytest.mark.parametrize("name", list(BAD))
def test_every_rule_is_still_refused_with_the_detailed_fields(name: str) -> None:
    body = _body()
    BAD[name](body)
    assert not limits._surely_clean(body, NOW)
    assert _agrees(body), name


GOOD = {
    "plain": lambda b: None,
    "cc, bcc, headers, send_at and from that are fine": lambda b: b["personalizations"][0].update(
        cc=[{"email": "cc@example.com", "name": "C C"}], bcc=[{"email": "bcc@example.com"}],
        headers={"X-Notice": "1"}, send_at=int(NOW) + 3600, **{"from": {"email": "a@example.org", "name": "A"}}),
    "exactly 1000 recipients": _set("personalizations.0.bcc", [{"email": f"b{i}@example.com"} for i in range(997)]),
    "send_at exactly 72 hours ahead": _set("send_at", NOW + 72 * 3600),
    "template instead of subject and content": lambda b: (b.pop("subject"), b.pop("content"), b.update(template_id="d-1")),
    "empty substitutions": _set("personalizations.0.substitutions", {}),
    "base64 attachment": _set("attachments", [{"content": "eA==", "filename": "a.pdf", "type": "application/pdf"}]),
}


@pytest.mark.parametrize("name", list(GOOD))
def test_clean_bodies_take_the_fast_path(name: str) -> None:
    body = _body()
    GOOD[name](body)
    assert _agrees(body) == []
    assert limits._surely_clean(body, NOW)


@pytest.mark.parametrize("value", [1, 1.5e300, float("inf"), None, True, ["x"], {"nested": "x"}])
def test_values_the_schema_refuses_are_measured_by_the_detailed_checks(value: Any) -> None:
    body = _body()
    body["personalizations"][0]["custom_args"] = {"n": value}
    body["personalizations"][1]["substitutions"] = {"n": value}
    assert not limits._surely_clean(body, NOW)
    _agrees(body)


def test_non_string_keys_go_to_the_detailed_checks() -> None:
    body = _body()
    body["custom_args"] = {1: "x"}
    assert not limits._surely_clean(body, NOW)
    _agrees(body)


def test_a_1000_person_body_takes_the_fast_path() -> None:
    body = _body(1000)
    assert limits._surely_clean(body, time.time())
    assert limits.limit_problems(body) == []


def test_orjson_writes_the_bytes_json_dumps_writes_for_every_code_point() -> None:
    """The premise of `_compact_sizes`: same bytes for string keys and values, escapes included."""
    points = [chr(c) for c in range(0x110000) if not 0xD800 <= c <= 0xDFFF]
    for start in range(0, len(points), 4096):
        chunk = "".join(points[start:start + 4096])
        mapping = {chunk: chunk, "k": chunk[::-1], chunk[:7]: ""}
        assert orjson.dumps(mapping) == json.dumps(mapping, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


@pytest.mark.parametrize(("where", "field", "message"), [
    ("substitutions", "personalizations.1.substitutions", "The substitutions may not exceed 10,000 bytes per personalization."),
    ("custom_args", "personalizations.1.custom_args", "The custom arguments may not exceed 10,000 bytes."),
])
def test_server_refuses_oversized_personalization_maps_sent_by_the_client(where: str, field: str, message: str) -> None:
    """End to end: json.dumps' ASCII escapes (\\u00f8) are sized as the UTF-8 characters they stand for."""
    limit, key = (10_000, TEXT_TAG) if where == "substitutions" else (9_999, "delivery_id")
    with SendGridTestServer(api_key="SG.k") as server:
        for size, expected in ((limit, 202), (limit + 1, 400)):
            body = _body()
            body["personalizations"][1][where] = _sized("ø" * 3000, key, size)
            response = httpx.post(f"{server.host}/v3/mail/send", content=json.dumps(body).encode(),
                                  headers={"Authorization": "Bearer SG.k"}, timeout=10)
            assert response.status_code == expected, response.text
            if expected == 400:
                assert response.json() == {"errors": [{"message": message, "field": field, "help": None}]}
