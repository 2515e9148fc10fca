"""SendGrid Event Webhook: verify a signed request and map its events to delivery states (pure).

SendGrid signs ``timestamp + raw body`` with ECDSA (P-256, SHA-256) and sends the base64 DER
signature and the timestamp in two headers. The verification key is the base64 SPKI DER shown
in SendGrid's settings (``BREACH_WEBHOOK_PUBLIC_KEY``). SendGrid publishes no freshness window,
so ours is ``BREACH_WEBHOOK_MAX_AGE_SECONDS``; replays inside it are caught by the digest of
``timestamp + body`` (not of the signature: an ECDSA signature can be re-encoded into another
valid one, the signed bytes cannot).

Events carry e-mail addresses. Nothing here keeps, logs or raises with one: events are reduced
to our ``delivery_id`` and ``batch_key`` custom args, the event name, its time and the bounce type.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import load_der_public_key
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from breach.enums import DeliveryState
from breach.exceptions import BreachError, ConfigurationError

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"
ARG_DELIVERY_ID = "delivery_id"  # same key as notices.email.message puts into each personalization's custom_args
ARG_BATCH_KEY = "batch_key"  # and the message-level custom arg naming the request (notices.sending.evidence.batch_key)
MAX_EVENTS = 10_000


class WebhookSettings(BaseSettings):
    """Event Webhook receiver settings (environment prefix ``BREACH_WEBHOOK_``)."""

    model_config = SettingsConfigDict(env_prefix="BREACH_WEBHOOK_", extra="ignore")

    public_key: str | None = Field(default=None,
                                   description="SendGrid's verification key: base64 SPKI DER (starts MFkwEwYHKoZIzj0CAQYI...)")
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="Larger request bodies are refused with 413")
    max_age_seconds: int = Field(default=300, ge=10, description="Requests whose signed timestamp is older are refused as stale")
    max_skew_seconds: int = Field(default=60, ge=0, description="Tolerated clock difference for timestamps in the future")

    @field_validator("public_key")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return "".join(value.split()) or None if value else None

    def verification_key(self) -> ec.EllipticCurvePublicKey:
        """The loaded public key; refuses to run unconfigured rather than accept unsigned events."""
        if not self.public_key:
            raise ConfigurationError("BREACH_WEBHOOK_PUBLIC_KEY", "is not set; the receiver will not accept unsigned events")
        return load_public_key(self.public_key)


class WebhookRefused(BreachError):
    """A request the receiver refuses; ``status`` is the HTTP answer, ``reason`` holds no personal data."""

    def __init__(self, status: int, reason: str) -> None:
        self.status = status
        self.reason = reason
        super().__init__(f"{status}: {reason}")


@dataclass(frozen=True)
class DeliveryEvent:
    """One event reduced to what we act on: no address, no IP, no user agent."""

    delivery_id: int | None
    event: str
    bounce_type: str | None = None
    batch_key: str | None = None
    occurred_at: datetime | None = None


def load_public_key(b64: str) -> ec.EllipticCurvePublicKey:
    """Load SendGrid's base64 SPKI DER verification key (an EC key, P-256 in practice)."""
    try:
        key = load_der_public_key(base64.b64decode(b64, validate=True))
    except (ValueError, binascii.Error, TypeError) as exc:
        raise ConfigurationError("BREACH_WEBHOOK_PUBLIC_KEY", "is not a base64 DER public key") from exc
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise ConfigurationError("BREACH_WEBHOOK_PUBLIC_KEY", "is not an elliptic-curve key")
    return key


def request_digest(timestamp: str, body: bytes) -> str:
    """What a replay is recognised by: sha256 of exactly the signed bytes (timestamp + body).

    No separator on purpose: moving a byte between the timestamp header and the body gives the
    same signed bytes, so it must give the same digest (a malleated replay is a replay).
    """
    return hashlib.sha256(timestamp.encode("ascii", "replace") + body).hexdigest()


def verify_request(*, body: bytes, signature: str | None, timestamp: str | None, key: ec.EllipticCurvePublicKey,
                   now: datetime, max_age_seconds: int = 300, max_skew_seconds: int = 60) -> str:
    """Check signature and freshness; returns the request digest or raises WebhookRefused (401)."""
    if not signature or not timestamp:
        raise WebhookRefused(401, "unsigned request")
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:  # digits only: SendGrid sends nothing else
        raise WebhookRefused(401, "malformed timestamp")
    try:
        raw_signature = base64.b64decode(signature.strip(), validate=True)
        key.verify(raw_signature, timestamp.encode("ascii") + body, ec.ECDSA(hashes.SHA256()))
    except (InvalidSignature, ValueError, binascii.Error) as exc:
        raise WebhookRefused(401, "signature does not verify") from exc
    age = now.timestamp() - int(timestamp)
    if age > max_age_seconds:
        raise WebhookRefused(401, f"stale request (signed {int(age)} s ago, limit {max_age_seconds} s)")
    if -age > max_skew_seconds:
        raise WebhookRefused(401, "timestamp is in the future")
    return request_digest(timestamp, body)


def _delivery_id(value: object) -> int | None:
    """Our custom arg as an int; anything else (absent, foreign, junk) is None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 < value < 2**63 else None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value) or None
    return None


def parse_events(body: bytes) -> list[DeliveryEvent]:
    """The signed body as events; a body that is not a JSON array of objects is refused (400)."""
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise WebhookRefused(400, "body is not UTF-8 JSON") from exc
    if not isinstance(data, list):
        raise WebhookRefused(400, "body is not a JSON array of events")
    if len(data) > MAX_EVENTS:
        raise WebhookRefused(413, f"more than {MAX_EVENTS} events")
    events = []
    for item in data:
        if not isinstance(item, dict) or not isinstance(item.get("event"), str):
            raise WebhookRefused(400, "an event is not an object with an 'event' name")
        bounce_type = item.get("type") if isinstance(item.get("type"), str) else None
        key = item.get(ARG_BATCH_KEY)
        events.append(DeliveryEvent(delivery_id=_delivery_id(item.get(ARG_DELIVERY_ID)), event=item["event"][:40], bounce_type=bounce_type,
                                    batch_key=key if isinstance(key, str) and 0 < len(key) <= 200 else None,
                                    occurred_at=_instant(item.get("timestamp"))))
    return events


def _instant(value: object) -> datetime | None:
    """An event's UNIX `timestamp` as an aware instant; anything else is None."""
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 10**11:
        return None
    return datetime.fromtimestamp(value, tz=UTC)


# What an event means for an e-mail delivery. Deferred is SendGrid still trying; processed is the
# 202 we already recorded; open, click and spam reports prove the message arrived.
_EVENT_STATES: dict[str, DeliveryState] = {
    "delivered": DeliveryState.DELIVERED,
    "open": DeliveryState.DELIVERED,
    "click": DeliveryState.DELIVERED,
    "spamreport": DeliveryState.DELIVERED,
    "bounce": DeliveryState.BOUNCED,
    "blocked": DeliveryState.BOUNCED,
    "dropped": DeliveryState.FAILED,
}
# Which states an event may move a delivery from. A bounce can follow 'delivered' (an
# asynchronous bounce); nothing moves a bounced or failed delivery back to delivered.
FROM_STATES: dict[DeliveryState, frozenset[str]] = {
    DeliveryState.DELIVERED: frozenset({DeliveryState.ACCEPTED, DeliveryState.SENDING}),
    DeliveryState.BOUNCED: frozenset({DeliveryState.ACCEPTED, DeliveryState.SENDING, DeliveryState.DELIVERED}),
    DeliveryState.FAILED: frozenset({DeliveryState.ACCEPTED, DeliveryState.SENDING, DeliveryState.DELIVERED}),
}
# Undelivered for good: the person needs another way (a letter) or a human's attention.
NEEDS_FALLBACK = frozenset({DeliveryState.BOUNCED, DeliveryState.FAILED})


def target_state(event: DeliveryEvent) -> DeliveryState | None:
    """The delivery state an event leads to, or None when it changes nothing."""
    return _EVENT_STATES.get(event.event)


def next_state(current: str, event: DeliveryEvent) -> DeliveryState | None:
    """The new state for a delivery now in ``current``, or None to leave it (idempotent)."""
    target = target_state(event)
    if target is None or current == target or current not in FROM_STATES[target]:
        return None
    return target
