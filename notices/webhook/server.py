"""The Event Webhook endpoint: a small stdlib HTTP server in front of ``WebhookReceiver.handle``.

Order of checks, each refusal leaving the database untouched: method and path, declared size
(413 before the body is read), signature (401), freshness (401), body shape (400), replay (409).
Only then are the events applied, in one transaction with the replay guard and the audit entry.
Logs carry the status and counts only: request bodies hold e-mail addresses.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol

from cryptography.hazmat.primitives.asymmetric import ec
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from breach import instants
from breach.keys.cipher import MultiKeyCipher
from notices.webhook.events import apply_events, remember_request
from notices.webhook.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookRefused, WebhookSettings, parse_events, verify_request

log = logging.getLogger("breach.webhook")
DEFAULT_PATH = "/sendgrid/events"


class Headers(Protocol):
    """What the receiver reads of a request's headers: a plain dict in tests, http.client's HTTPMessage in the server."""

    def get(self, name: str, /) -> str | None: ...

    def items(self) -> Iterable[tuple[str, str]]: ...


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


@dataclass
class WebhookReceiver:
    """Everything the endpoint needs, built once by the command that serves it."""

    sessions: sessionmaker[Session]
    cipher: MultiKeyCipher
    key: ec.EllipticCurvePublicKey
    settings: WebhookSettings
    path: str = DEFAULT_PATH
    batch_size: int = 1000
    now: Callable[[], datetime] = instants.utcnow

    def handle(self, *, method: str, path: str, headers: Headers, body: bytes) -> Answer:
        """Answer one request; any refusal is a 4xx with a reason and no state change."""
        try:
            self._route(method, path)
            if len(body) > self.settings.max_body_bytes:
                raise WebhookRefused(413, f"body over {self.settings.max_body_bytes} bytes")
            return Answer(200, self._accept(headers, body))
        except WebhookRefused as exc:
            return Answer(exc.status, {"error": exc.reason})

    def _route(self, method: str, path: str) -> None:
        if path.split("?", 1)[0] != self.path:
            raise WebhookRefused(404, "not found")
        if method != "POST":
            raise WebhookRefused(405, "POST only")

    def _accept(self, headers: Headers, body: bytes) -> dict[str, Any]:
        now = self.now()
        digest = verify_request(body=body, signature=_header(headers, SIGNATURE_HEADER), timestamp=_header(headers, TIMESTAMP_HEADER),
                                key=self.key, now=now, max_age_seconds=self.settings.max_age_seconds,
                                max_skew_seconds=self.settings.max_skew_seconds)
        events = parse_events(body)
        keep = timedelta(seconds=self.settings.max_age_seconds + self.settings.max_skew_seconds + 60)
        try:
            with self.sessions.begin() as session:
                remember_request(session=session, digest=digest, now=now, keep=keep)
                report = apply_events(session=session, events=events, cipher=self.cipher, now=now,
                                      batch_size=self.batch_size)
        except IntegrityError as exc:  # the same request raced itself: the other one won
            raise WebhookRefused(409, "replayed request") from exc
        return report.as_dict()


def _header(headers: Headers, name: str) -> str | None:
    """Case-insensitive header lookup over a plain mapping or an HTTPMessage."""
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


def _handler(receiver: WebhookReceiver) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "breach-webhook"
        sys_version = ""
        timeout = 30

        def _answer(self, answer: Answer) -> None:
            payload = json.dumps(answer.body).encode("utf-8")
            self.send_response(answer.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
            log.info("%s %s -> %s %s", self.command, self.path.split("?", 1)[0][:100], answer.status,
                     answer.body.get("error") or {k: answer.body[k] for k in ("events", "changed", "letters")})

        def _serve(self) -> None:
            try:
                length = int(self.headers.get("Content-Length", ""))
            except ValueError:
                length = -1
            if self.command == "POST" and length < 0:
                self.close_connection = True
                return self._answer(Answer(411, {"error": "Content-Length required"}))
            if length > receiver.settings.max_body_bytes:
                self.close_connection = True  # never read a body we refuse
                return self._answer(Answer(413, {"error": f"body over {receiver.settings.max_body_bytes} bytes"}))
            body = self.rfile.read(max(length, 0))
            try:
                answer = receiver.handle(method=self.command, path=self.path, headers=self.headers, body=body)
            except Exception as exc:  # never echo or log the message: it may quote the body
                log.error("webhook request failed: %s", type(exc).__name__)
                answer = Answer(500, {"error": "internal error"})
            self._answer(answer)

        do_POST = do_GET = do_PUT = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
            return  # the default logs the raw request line to stderr; _answer logs a redacted line

    return Handler


def make_server(receiver: WebhookReceiver, *, host: str = "127.0.0.1", port: int = 8025) -> ThreadingHTTPServer:
    """A threading HTTP server bound to host:port (port 0 picks a free one)."""
    server = ThreadingHTTPServer((host, port), _handler(receiver))
    server.daemon_threads = True
    return server
