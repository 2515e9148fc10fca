"""Event Webhook verification and event mapping, pure: no database, no network."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from breach.enums import DeliveryState
from breach.exceptions import ConfigurationError
from notices.webhook.verify import (
    DeliveryEvent,
    WebhookRefused,
    WebhookSettings,
    load_public_key,
    next_state,
    parse_events,
    request_digest,
    verify_request,
)
from tests.conftest import FIXTURES

pytestmark = pytest.mark.unit

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC_B64 = base64.b64encode(PRIVATE.public_key().public_bytes(serialization.Encoding.DER,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
KEY = load_public_key(PUBLIC_B64)


def sign(body: bytes, ts: str, key: ec.EllipticCurvePrivateKey = PRIVATE) -> str:
    return base64.b64encode(key.sign(ts.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()


def check(body: bytes, signature: str | None, ts: str | None, **limits) -> str:
    return verify_request(body=body, signature=signature, timestamp=ts, key=KEY, now=NOW, **limits)


BODY = json.dumps([{"event": "delivered", "delivery_id": "7", "email": "a@example.com"}]).encode()
TS = str(int(NOW.timestamp()) - 5)


def test_a_correct_signature_verifies_and_returns_the_digest_of_the_signed_bytes() -> None:
    assert check(BODY, sign(BODY, TS), TS) == request_digest(TS, BODY)


def test_sendgrid_style_key_starts_like_the_ones_seen_in_the_wild() -> None:
    assert PUBLIC_B64.startswith("MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE")


@pytest.mark.parametrize(("signature", "ts", "reason"), [
    (None, TS, "unsigned"), ("", TS, "unsigned"), ("abc", None, "unsigned"),
    ("not base64!!", TS, "does not verify"), (base64.b64encode(b"\x30\x00").decode(), TS, "does not verify"),
    ("SIG", "12a", "malformed timestamp"), ("SIG", "-5", "malformed timestamp"), ("SIG", "٣٣", "malformed timestamp"),
])
def test_unsigned_and_malformed_requests_are_refused_401(signature, ts, reason) -> None:
    with pytest.raises(WebhookRefused) as info:
        check(BODY, signature, ts)
    assert info.value.status == 401 and reason in info.value.reason


def test_tampered_body_other_timestamp_or_other_key_do_not_verify() -> None:
    good = sign(BODY, TS)
    other_ts = str(int(TS) + 1)
    for body, ts, signature in [(BODY + b" ", TS, good), (BODY, other_ts, good),
                                (BODY, TS, sign(BODY, TS, ec.generate_private_key(ec.SECP256R1())))]:
        with pytest.raises(WebhookRefused, match="does not verify"):
            check(body, signature, ts)


def test_re_serialised_json_breaks_the_signature() -> None:
    reserialised = json.dumps(json.loads(BODY), separators=(",", ":")).encode()
    assert reserialised != BODY
    with pytest.raises(WebhookRefused):
        check(reserialised, sign(BODY, TS), TS)


def test_stale_and_future_timestamps_are_refused() -> None:
    old = str(int(NOW.timestamp()) - 301)
    with pytest.raises(WebhookRefused, match="stale"):
        check(BODY, sign(BODY, old), old)
    assert check(BODY, sign(BODY, old), old, max_age_seconds=600)
    future = str(int(NOW.timestamp()) + 61)
    with pytest.raises(WebhookRefused, match="future"):
        check(BODY, sign(BODY, future), future)
    near = str(int(NOW.timestamp()) + 30)
    assert check(BODY, sign(BODY, near), near)


@pytest.mark.parametrize("body", [b"", b"{}", b"[1]", b'[{"event": 3}]', b"\xff\xfe", b'"x"', b"[" * 5000 + b"]" * 5000])
def test_junk_bodies_are_refused_400(body: bytes) -> None:
    with pytest.raises(WebhookRefused) as info:
        parse_events(body)
    assert info.value.status == 400


def test_events_keep_only_delivery_id_event_and_bounce_type() -> None:
    body = (FIXTURES / "contracts" / "sendgrid" / "events.example.json").read_bytes()
    events = parse_events(body)
    assert len(events) == 10 and all(e.delivery_id is None for e in events)  # the example uses notice_id, not ours
    assert "example.com" not in repr(events)
    ours = parse_events(json.dumps([{"event": "bounce", "type": "blocked", "delivery_id": "42", "email": "x@example.com"},
                                    {"event": "delivered", "delivery_id": 43}, {"event": "open", "delivery_id": "4x"},
                                    {"event": "open", "delivery_id": True}]).encode())
    assert ours == [DeliveryEvent(42, "bounce", "blocked"), DeliveryEvent(43, "delivered"), DeliveryEvent(None, "open"),
                    DeliveryEvent(None, "open")]


@pytest.mark.parametrize(("current", "event", "expected"), [
    ("accepted", "delivered", DeliveryState.DELIVERED), ("accepted", "open", DeliveryState.DELIVERED),
    ("accepted", "bounce", DeliveryState.BOUNCED), ("delivered", "bounce", DeliveryState.BOUNCED),
    ("accepted", "dropped", DeliveryState.FAILED), ("sending", "delivered", DeliveryState.DELIVERED),
    ("accepted", "processed", None), ("accepted", "deferred", None), ("accepted", "unsubscribe", None),
    ("delivered", "delivered", None), ("bounced", "delivered", None), ("bounced", "bounce", None),
    ("failed", "delivered", None), ("pending", "delivered", None), ("pending", "bounce", None),
])
def test_event_to_state_is_monotonic_and_idempotent(current: str, event: str, expected) -> None:
    assert next_state(current, DeliveryEvent(1, event)) == expected


def test_settings_refuse_to_run_without_a_key_or_with_a_bad_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BREACH_WEBHOOK_PUBLIC_KEY", raising=False)
    with pytest.raises(ConfigurationError):
        WebhookSettings().verification_key()
    monkeypatch.setenv("BREACH_WEBHOOK_PUBLIC_KEY", "bm90IGEga2V5")
    with pytest.raises(ConfigurationError):
        WebhookSettings().verification_key()
    monkeypatch.setenv("BREACH_WEBHOOK_PUBLIC_KEY", PUBLIC_B64[:20] + "\n" + PUBLIC_B64[20:])
    assert WebhookSettings().verification_key().public_numbers() == KEY.public_numbers()
