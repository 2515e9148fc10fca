"""The stand-in's Event Webhook: signed event posts for the mail it accepted, to a URL, after a delay.

Like SendGrid's Signed Event Webhook: a POST of a JSON array of events, each carrying the message's
custom args merged with the personalization's (so ``batch_key``, ``incident_id`` and
``delivery_id`` are top-level keys), ``email``, ``timestamp``, ``event``, ``sg_event_id`` and
``sg_message_id``; signed with ECDSA P-256 / SHA-256 over ``timestamp + body``, the base64 DER
signature and the timestamp in ``X-Twilio-Email-Event-Webhook-Signature`` / ``-Timestamp``
(SendGrid's "Getting started with the Event Webhook Security Features"). SendGrid batches events
(about every 30 seconds) and retries a post that gets no 2xx for up to 24 hours; here `delay`
seconds after acceptance, a few retries with backoff.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def public_key_b64(key: ec.EllipticCurvePrivateKey) -> str:
    """The verification key as SendGrid shows it: base64 SPKI DER."""
    der = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(der).decode("ascii")


def sign(key: ec.EllipticCurvePrivateKey, timestamp: str, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    return base64.b64encode(key.sign(timestamp.encode("ascii") + body, ec.ECDSA(hashes.SHA256()))).decode("ascii")


def events_for(body: dict[str, Any], message_id: str, at: float, names: tuple[str, ...]) -> list[dict[str, Any]]:
    """The events SendGrid would post for one accepted mail-send body, one per personalization and name."""
    base = body.get("custom_args") or {}
    out = []
    for n, pers in enumerate(body["personalizations"]):
        args = {**base, **(pers.get("custom_args") or {})}
        for to in pers["to"]:
            for offset, name in enumerate(names):
                out.append({**args, "email": to["email"], "timestamp": int(at) + offset, "event": name,
                            "sg_event_id": secrets.token_urlsafe(16), "sg_message_id": f"{message_id}.filter0001.{n}.0",
                            "smtp-id": f"<{message_id}@stand-in>", **({"response": "250 OK"} if name == "delivered" else {})})
    return out


class EventPoster:
    """Posts signed event batches for accepted mail to `url`, `delay` seconds after acceptance (a background thread)."""

    def __init__(self, url: str, *, delay: float = 1.0, key: ec.EllipticCurvePrivateKey | None = None,
                 names: tuple[str, ...] = ("processed", "delivered"), max_events: int = 1000, retries: int = 5) -> None:
        self.url, self.delay, self.names, self.max_events, self.retries = url, delay, names, max_events, retries
        self.key = key or ec.generate_private_key(ec.SECP256R1())
        self._queue: list[tuple[float, int, list[dict[str, Any]], int]] = []
        self._seq = itertools.count()
        self._wake = threading.Condition()
        self._closing = False
        self._thread = threading.Thread(target=self._run, name="event-webhook", daemon=True)
        self.counts = {"posted": 0, "events": 0, "retried": 0, "refused": 0, "given_up": 0}

    @property
    def public_key(self) -> str:
        """What to set as BREACH_WEBHOOK_PUBLIC_KEY."""
        return public_key_b64(self.key)

    def start(self) -> EventPoster:
        self._thread.start()
        return self

    def close(self) -> None:
        with self._wake:
            self._closing = True
            self._wake.notify_all()
        self._thread.join(timeout=5)

    def accepted(self, body: dict[str, Any], message_id: str, at: float) -> None:
        """Queue the events of one accepted request."""
        events = events_for(body, message_id, at, self.names)
        with self._wake:
            for start in range(0, len(events), self.max_events):
                heapq.heappush(self._queue, (at + self.delay, next(self._seq), events[start:start + self.max_events], 0))
            self._wake.notify()

    def pending(self) -> int:
        """Posts not yet made."""
        with self._wake:
            return len(self._queue)

    def _run(self) -> None:
        while True:
            with self._wake:
                while not self._closing and (not self._queue or self._queue[0][0] > time.time()):
                    self._wake.wait(timeout=None if not self._queue else max(0.0, self._queue[0][0] - time.time()))
                if self._closing:
                    return
                due, seq, events, tries = heapq.heappop(self._queue)
            status = self._post(events)
            if 200 <= status < 300:
                self.counts["posted"] += 1
                self.counts["events"] += len(events)
            elif 400 <= status < 500 and status not in (408, 429):
                self.counts["refused"] += 1
            elif tries + 1 >= self.retries:
                self.counts["given_up"] += 1
            else:  # SendGrid retries a post that got no 2xx
                self.counts["retried"] += 1
                with self._wake:
                    heapq.heappush(self._queue, (time.time() + min(30.0, 0.5 * 2 ** tries), seq, events, tries + 1))

    def _post(self, events: list[dict[str, Any]]) -> int:
        body = json.dumps(events, separators=(",", ":")).encode("utf-8")
        stamp = str(int(time.time()))
        request = urllib.request.Request(self.url, data=body, method="POST", headers={
            "Content-Type": "application/json", SIGNATURE_HEADER: sign(self.key, stamp, body), TIMESTAMP_HEADER: stamp,
            "User-Agent": "SendGrid Event API (stand-in)"})
        try:
            with urllib.request.urlopen(request, timeout=30) as answer:
                return int(answer.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except OSError:
            return 0
