"""A local stand-in for SendGrid's POST /v3/mail/send, for tests and benchmarks.

It authenticates, validates the body against the contract schema
(tests/fixtures/contracts/sendgrid/mail_send.schema.json) and the cross-field limits of LIMITS.md
section 1, answers with SendGrid's status codes, bodies and X-RateLimit-* headers, and can
rate-limit and inject faults (429, 5xx, a dropped connection, a hang past the client timeout).
It also plays the two places SendGrid tells what became of a request: the Email Activity API
(tests/support/sendgrid/activity.py: add-on, indexing delay, 6 a minute) and the signed Event
Webhook, posting to `webhook_url` after `webhook_delay` (tests/support/sendgrid/events.py).

    with SendGridTestServer(api_key="SG.test", keep_bodies=True) as server:
        sender = SendGridSender(SecretStr("SG.test"), host=server.host, timeout=2)
        ...
        server.received_emails()   # [(email, merged custom_args), ...]

What it records is compact unless a test asks for the bodies (`keep_bodies=True`): counts, a 64-bit
digest of each address (for duplicates) and, per batch key, one string of (address, delivery id)
lines for the Activity API. So its cost per request stays flat however much it has accepted, and
`stats()` reports the CPU it spent per accepted request (each request's handler thread, measured).
"""

from __future__ import annotations

import gc
import gzip
import json
import math
import random
import secrets
import select
import socket
import statistics
import threading
import time
from array import array
from collections import Counter, deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None
try:  # optional: a compiled validator (pip install jsonschema-rs); jsonschema alone is ~300x slower
    import jsonschema_rs
except ImportError:  # pragma: no cover - depends on the environment
    jsonschema_rs = None

import contextlib

from . import limits
from .activity import ActivityFeed
from .events import EventPoster

SEND_PATH = "/v3/mail/send"
ACTIVITY_PATH = "/v3/messages"  # Email Activity API (message-level unique_args only)
STATS_PATH = "/_test/stats"  # not SendGrid: counts for benchmarks
TAKEN_PATH = "/_test/taken"  # not SendGrid: people taken under one batch key (what an operator sees in the console)
MAX_BODY_BYTES = 30_000_000  # L7: "< 30 MB"; the decimal reading is the stricter one
FAULT_KINDS = frozenset({"429", "500", "502", "503", "504", "drop", "timeout"})
_CPU_WINDOW = 20  # requests in the first and last windows of stats()["cpu_ms_per_request"]
_STATUS_BODIES = {
    "429": "too many requests",
    "500": "internal server error",
    "502": "bad gateway",
    "503": "service unavailable",
    "504": "gateway timeout",
}


def default_schema_path() -> Path:
    """The mail-send contract schema carried by the repository (provenance in SOURCE.md beside it)."""
    return Path(__file__).resolve().parents[2] / "fixtures" / "contracts" / "sendgrid" / "mail_send.schema.json"


@dataclass(frozen=True)
class Refusal:
    """A request the server answered with a 4xx (not an injected fault)."""

    status: int
    errors: list[dict[str, Any]]


@dataclass
class _State:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: list[dict[str, Any]] = field(default_factory=list)
    message_ids: list[str] = field(default_factory=list)
    sandbox_requests: list[dict[str, Any]] = field(default_factory=list)
    errors: list[Refusal] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    forced: deque[str] = field(default_factory=deque)
    window_start: float = 0.0
    window_count: int = 0
    digests: set[int] = field(default_factory=set)  # one per distinct address (a salted 64-bit hash, not the address)
    repeats: dict[int, int] = field(default_factory=dict)  # how often, for the digests seen more than once
    recipients: int = 0
    accepted: int = 0
    sandboxed: int = 0
    cpu: array = field(default_factory=lambda: array("d"))  # CPU seconds of each accepted request's handler


class SendGridTestServer:
    """A threaded HTTP server on 127.0.0.1 that behaves like SendGrid's mail send endpoint.

    Args:
        api_key: the only bearer key accepted; None accepts any non-empty key.
        fault_rate: share of authenticated requests that get a random fault from `fault_kinds`.
        rate_limit: requests per `rate_window` seconds before 429s; None means unlimited.
        hang_seconds: how long a "timeout" fault sleeps before closing without an answer.
        timeout_accepts: a "timeout" fault still records the mail as sent, like a real request
            that got through while the client gave up (the duplicate-on-retry case).
        keep_bodies: keep every accepted body for `requests`/`received_emails`/`message_ids`/
            `sandbox_requests` (a test asks for them; off by default: `stats()` and the Activity API
            work either way).
        arrival: seconds between a send's arrival and SendGrid taking it (its way in); a client that
            hangs up meanwhile (a killed sender) has nothing taken.
        latency: seconds an accepted send waits before it is answered (after it is recorded, as a
            real request is accepted before its answer arrives): makes sending take time, so a test
            can kill a sender mid-send.
        activity_addon: the account has the Email Activity add-on (else the API answers 400).
        activity_delay: seconds before an accepted message shows in the Activity API.
        activity_per_minute: Activity API requests per minute before 429s (SendGrid: 6); None: no limit.
        webhook_url: where to post signed Event Webhook events of accepted mail (None: no webhook).
        webhook_delay: seconds after acceptance before its events are posted.
        webhook_key: the signing key (a fresh P-256 key if None); `webhook_public_key` is its verification key.
    """

    def __init__(
        self,
        *,
        schema_path: Path | None = None,
        api_key: str | None = None,
        fault_rate: float = 0.0,
        fault_kinds: tuple[str, ...] = ("429", "500", "drop", "timeout"),
        seed: int | None = None,
        rate_limit: int | None = None,
        rate_window: float = 1.0,
        hang_seconds: float = 35.0,
        timeout_accepts: bool = False,
        max_body_bytes: int = MAX_BODY_BYTES,
        keep_bodies: bool = False,
        latency: float = 0.0,
        arrival: float = 0.0,
        activity_addon: bool = True,
        activity_delay: float = 0.0,
        activity_per_minute: int | None = 6,
        webhook_url: str | None = None,
        webhook_delay: float = 1.0,
        webhook_key: Any = None,
        webhook_events: tuple[str, ...] = ("processed", "delivered"),
    ) -> None:
        unknown = set(fault_kinds) - FAULT_KINDS
        if unknown or not 0.0 <= fault_rate <= 1.0:
            raise ValueError(f"fault kinds must be among {sorted(FAULT_KINDS)} and 0 <= fault_rate <= 1")
        schema = json.loads(Path(schema_path or default_schema_path()).read_text(encoding="utf-8"))
        self.validator = limits.build_validator(schema)
        # jsonschema takes ~0.35 s for a 1,000-person body; the Rust validator of the same schema ~1 ms.
        # Its verdict decides; jsonschema still writes the error list of a body it refuses.
        self._fast = jsonschema_rs.validator_for(schema, validate_formats=True) if jsonschema_rs is not None else None
        self.keep_bodies = keep_bodies
        self.latency = latency
        self.arrival = arrival
        self.api_key = api_key
        self.fault_rate = fault_rate
        self.fault_kinds = tuple(fault_kinds)
        self.rate_limit = rate_limit
        self.rate_window = rate_window
        self.hang_seconds = hang_seconds
        self.timeout_accepts = timeout_accepts
        self.max_body_bytes = max_body_bytes
        self._rng = random.Random(seed)
        self.activity_feed = ActivityFeed(addon=activity_addon, index_delay=activity_delay, per_minute=activity_per_minute)
        self.webhook = EventPoster(webhook_url, delay=webhook_delay, key=webhook_key, names=webhook_events) if webhook_url else None
        self._state = _State()
        self._closing = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> SendGridTestServer:
        """Bind a free port on 127.0.0.1 and serve in a background thread."""
        handler = type("_BoundHandler", (_Handler,), {"app": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        if self.webhook is not None:
            self.webhook.start()
        return self

    def close(self) -> None:
        """Stop serving and wake any request that is hanging on purpose."""
        self._closing.set()
        if self.webhook is not None:
            self.webhook.close()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> SendGridTestServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    # -- what tests look at ------------------------------------------------------------------

    @property
    def host(self) -> str:
        """Base URL to pass as the SendGrid client's `host` (no trailing slash, no /v3)."""
        if self._httpd is None:
            raise RuntimeError("the server is not started")
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    @property
    def requests(self) -> list[dict[str, Any]]:
        """Bodies accepted with 202, in arrival order (sandbox requests excluded); needs keep_bodies."""
        with self._state.lock:
            return list(self._bodies(self._state.requests))

    @property
    def message_ids(self) -> list[str]:
        """X-Message-Id of each accepted request, parallel to `requests`; needs keep_bodies."""
        with self._state.lock:
            return list(self._bodies(self._state.message_ids))

    @property
    def sandbox_requests(self) -> list[dict[str, Any]]:
        """Bodies validated in sandbox mode (answered 200, nothing delivered); needs keep_bodies."""
        with self._state.lock:
            return list(self._bodies(self._state.sandbox_requests))

    def _bodies(self, kept: list[Any]) -> list[Any]:
        if not self.keep_bodies:
            raise RuntimeError("the stand-in keeps no bodies: start it with keep_bodies=True to read them")
        return kept

    @property
    def errors(self) -> list[Refusal]:
        """4xx answers given to invalid or unauthenticated requests."""
        with self._state.lock:
            return list(self._state.errors)

    @property
    def faults(self) -> list[str]:
        """Faults injected so far (rate-limit 429s included as "429")."""
        with self._state.lock:
            return list(self._state.faults)

    def received_emails(self) -> list[tuple[str, dict[str, str]]]:
        """(to address, merged custom_args) for every `to` of every accepted personalization."""
        out: list[tuple[str, dict[str, str]]] = []
        for body in self.requests:
            base = body.get("custom_args") or {}
            for pers in body["personalizations"]:
                merged = {**base, **(pers.get("custom_args") or {})}  # personalization keys win
                out.extend((to["email"], merged) for to in pers["to"])
        return out

    def fail_next(self, *kinds: str) -> None:
        """Force the next authenticated requests to get these faults, in order."""
        if set(kinds) - FAULT_KINDS:
            raise ValueError(f"fault kinds must be among {sorted(FAULT_KINDS)}")
        with self._state.lock:
            self._state.forced.extend(kinds)

    def clear(self) -> None:
        """Forget recorded requests, refusals and faults (rate-limit window included)."""
        with self._state.lock:
            lock, forced = self._state.lock, self._state.forced
            self._state = _State(lock=lock, forced=forced)

    # -- decisions used by the handler -------------------------------------------------------

    def _rate_headers(self, now: float) -> dict[str, str]:
        limit = self.rate_limit if self.rate_limit is not None else 10_000
        with self._state.lock:
            used = self._state.window_count
            reset = self._state.window_start + self.rate_window
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(max(0, limit - used)),
            "X-RateLimit-Reset": str(math.ceil(max(reset, now))),
        }

    def _take_slot(self, now: float) -> bool:
        """Count the request in the current fixed window; False when the window is used up."""
        with self._state.lock:
            start = math.floor(now / self.rate_window) * self.rate_window
            if start != self._state.window_start:
                self._state.window_start, self._state.window_count = start, 0
            if self.rate_limit is not None and self._state.window_count >= self.rate_limit:
                return False
            self._state.window_count += 1
            return True

    def _pick_fault(self) -> str | None:
        with self._state.lock:
            if self._state.forced:
                kind = self._state.forced.popleft()
            elif self.fault_rate and self._rng.random() < self.fault_rate:
                kind = self._rng.choice(self.fault_kinds)
            else:
                return None
            self._state.faults.append(kind)
            return kind

    def _record(self, body: dict[str, Any], message_id: str | None, *, sandbox: bool = False) -> None:
        if sandbox:
            with self._state.lock:
                self._state.sandboxed += 1
                if self.keep_bodies:
                    self._state.sandbox_requests.append(body)
            return
        addresses = [to["email"] for pers in body["personalizations"] for to in pers["to"]]
        digests = [hash(address) for address in addresses]
        with self._state.lock:
            state = self._state
            state.accepted += 1
            self._count(digests)
            if self.keep_bodies:
                state.requests.append(body)
                state.message_ids.append(message_id or "")
        now = time.time()
        self.activity_feed.record(message_id=message_id or "", from_email=body.get("from", {}).get("email", ""),
                                  subject=str(body.get("subject", "")), args=body.get("custom_args") or {}, to=addresses, at=now)
        if self.webhook is not None:
            self.webhook.accepted(body, message_id or "", now)

    def _count(self, digests: list[int]) -> None:
        """Add one request's address digests (under the lock): recipients, distinct addresses, repeats."""
        state = self._state
        state.recipients += len(digests)
        before = len(state.digests)
        seen_before = state.digests.intersection(digests)
        state.digests.update(digests)
        if seen_before or len(state.digests) - before != len(digests):  # rare: an address again
            for digest, times in Counter(digests).items():
                had = state.repeats.get(digest, 1 if digest in seen_before else 0)
                if had + times > 1:
                    state.repeats[digest] = had + times

    @property
    def webhook_public_key(self) -> str | None:
        """The Event Webhook's verification key (base64 SPKI DER), when the stand-in posts events."""
        return self.webhook.public_key if self.webhook is not None else None

    def stats(self) -> dict[str, Any]:
        """Counts for benchmarks: accepted requests, recipients, distinct addresses, duplicates, faults,
        and the CPU the stand-in spent per accepted request (median of all, of the first and of the last 20)."""
        with self._state.lock:
            state = self._state
            unique, cpu = len(state.digests), state.cpu.tolist()
            return {"requests": state.accepted, "recipients": state.recipients, "unique": unique,
                    "duplicates": state.recipients - unique,
                    "max_per_address": max(state.repeats.values(), default=1 if unique else 0),
                    "faults": dict(Counter(state.faults)), "refused": len(state.errors), "sandboxed": state.sandboxed,
                    "cpu_ms_per_request": _cpu_summary(cpu), "activity": dict(self.activity_feed.counts),
                    "webhook": dict(self.webhook.counts) if self.webhook is not None else None}

    def _cpu_spent(self, seconds: float) -> None:
        with self._state.lock:
            self._state.cpu.append(seconds)

    def _refuse(self, status: int, problems: list[dict[str, Any]]) -> dict[str, Any]:
        with self._state.lock:
            self._state.errors.append(Refusal(status, problems))
        return limits.error_body(*problems)

    def _check(self, raw: bytes) -> tuple[int, dict[str, Any]]:
        """(status, body-or-error) for an authenticated request that got no fault."""
        if len(raw) >= self.max_body_bytes:
            return 413, self._refuse(413, [{"message": "content too large", "field": None, "help": None}])
        if orjson is None or not raw.isascii():  # L20; ASCII (json.dumps' default output) is valid UTF-8 as it is
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                return 400, self._refuse(400, [limits.problem(limits.MSG_INVALID_UTF8)])
        try:
            body = json.loads(text) if orjson is None else orjson.loads(raw)  # same result, ~5x faster
        except ValueError:
            return 400, self._refuse(400, [limits.problem(limits.MSG_INVALID_JSON)])
        valid = self._fast.is_valid(body) if self._fast is not None else not limits.schema_problems(self.validator, body)
        found = (limits.schema_problems(self.validator, body) if not valid else []) or limits.limit_problems(body)
        if found:
            return 400, self._refuse(400, found)
        return 200, body


def _cpu_summary(cpu: list[float]) -> dict[str, float | int | None]:
    """Median CPU ms per accepted request: all of them, the first and the last _CPU_WINDOW."""
    def ms(values: list[float]) -> float | None:
        return round(statistics.median(values) * 1000, 3) if values else None
    return {"requests": len(cpu), "median": ms(cpu), "first": ms(cpu[:_CPU_WINDOW]), "last": ms(cpu[-_CPU_WINDOW:]),
            "window": _CPU_WINDOW}


class _Server(ThreadingHTTPServer):
    """A deep accept queue: the default 5 resets connections when 16 senders connect at once (SendGrid does not)."""

    request_queue_size = 1024
    daemon_threads = True  # a hanging fault must not block shutdown


class _Handler(BaseHTTPRequestHandler):
    app: SendGridTestServer
    _cpu_started = 0.0
    server_version = "sendgrid-test-server"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:  # stdlib signature
        """Stay quiet: benchmarks send thousands of requests."""

    def do_GET(self) -> None:  # stdlib naming
        """The Email Activity API; only POST exists on the send path."""
        self._read_body()
        if self.path.split("?")[0] == ACTIVITY_PATH:
            return self._activity()
        if self.path == STATS_PATH:
            return self._reply(200, self.app.stats())
        if self.path.split("?")[0] == TAKEN_PATH:
            key = (parse_qs(urlsplit(self.path).query).get("batch_key") or [""])[0]
            return self._reply(200, {"people": self.app.activity_feed.taken("batch_key", key)})
        found = self.path.split("?")[0] == SEND_PATH
        status, message = (405, "method not allowed") if found else (404, "not found")
        self._reply(status, limits.error_body(limits.problem(message)))

    def do_POST(self) -> None:  # stdlib naming
        """Authenticate, rate-limit, inject faults, validate, then accept (its CPU counted before the answer goes)."""
        self._cpu_started = time.thread_time()  # this request's own thread: other requests' work is not counted
        raw = self._read_body()
        app, now = self.app, time.time()
        if self.path.split("?")[0] != SEND_PATH:
            return self._reply(404, limits.error_body(limits.problem("not found")))
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or not auth[7:].strip():
            return self._reply(401, app._refuse(401, [limits.problem("authorization required")]))
        if app.api_key is not None and auth[7:] != app.api_key:
            message = "The provided authorization grant is invalid, expired, or revoked"
            return self._reply(401, app._refuse(401, [limits.problem(message)]))
        if not app._take_slot(now):
            with app._state.lock:
                app._state.faults.append("429")
            return self._reply(429, limits.error_body({"field": None, "message": "too many requests"}))
        fault = app._pick_fault()
        if fault in _STATUS_BODIES:
            return self._reply(int(fault), limits.error_body({"field": None, "message": _STATUS_BODIES[fault]}))
        if fault == "drop":
            return self._drop()
        if app.arrival and not self._client_stays(app.arrival):
            self.close_connection = True
            return None  # the sender died before SendGrid took its request: nothing was taken, nobody answers
        status, result = app._check(raw)
        if status != 200:
            return self._reply(status, result)
        sandbox = bool(result.get("mail_settings", {}).get("sandbox_mode", {}).get("enable"))
        if fault == "timeout":
            if app.timeout_accepts:
                app._record(result, secrets.token_urlsafe(16), sandbox=sandbox)
            app._closing.wait(app.hang_seconds)
            return self._drop()
        if sandbox:
            app._record(result, None, sandbox=True)
            return self._reply(200, None)
        message_id = secrets.token_urlsafe(16)  # 22 characters, like SendGrid's
        app._record(result, message_id)
        if app.latency:  # accepted already: a sender killed while it waits has an unknown outcome
            app._closing.wait(app.latency)
        return self._reply(202, None, {"X-Message-Id": message_id})

    def _activity(self) -> None:
        """GET /v3/messages?query=unique_args['k']="v"&limit=n: the Activity API (no faults injected)."""
        auth = self.headers.get("Authorization", "")
        if not auth.startswith("Bearer ") or (self.app.api_key is not None and auth[7:] != self.app.api_key):
            return self._reply(401, limits.error_body(limits.problem("authorization required")))
        params = parse_qs(urlsplit(self.path).query)
        status, body, headers = self.app.activity_feed.answer((params.get("query") or [None])[0], (params.get("limit") or [None])[0])
        self._reply(status, body, headers)

    def _client_stays(self, seconds: float) -> bool:
        """Wait `seconds` before the request is taken (its way to SendGrid); False when the client hung up meanwhile."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.connection], [], [], left)
            if ready:  # a live client sends nothing more before its answer: readable means it is gone
                try:
                    return self.connection.recv(1, socket.MSG_PEEK) != b""
                except OSError:
                    return False
        return True

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        chunks, left = [], length
        while left > 0:
            chunk = self.rfile.read(min(left, 1 << 20))
            if not chunk:
                break
            chunks.append(chunk)
            left -= len(chunk)
        raw = b"".join(chunks)
        if self.headers.get("Content-Encoding", "").lower() == "gzip":
            try:
                raw = gzip.decompress(raw)
            except (OSError, EOFError):
                raw = b"\xff"  # reported as invalid UTF-8, like any undecodable body
        return raw

    def _reply(self, status: int, body: dict[str, Any] | None, headers: dict[str, str] | None = None) -> None:
        if status == 202:  # an accepted send: what it cost, recorded before the client can ask for stats
            self.app._cpu_spent(time.thread_time() - self._cpu_started)
        if body is None:  # the 202 of a send has no body at all
            payload = b""
        elif orjson is not None:  # compact JSON
            payload = orjson.dumps(body)
        else:
            payload = json.dumps(body).encode("utf-8")
        self.send_response(status)
        for name, value in {**self.app._rate_headers(time.time()), **(headers or {})}.items():
            self.send_header(name, value)
        if payload:
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Connection", "close")
        self.end_headers()
        if payload:
            self.wfile.write(payload)
        self.close_connection = True

    def _drop(self) -> None:
        """Close the socket without a status line: the client sees a remote disconnect."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)



def main(argv: list[str] | None = None) -> None:
    """Serve on 127.0.0.1 until stdin closes; print the host on the first line (for benchmarks)."""
    import argparse
    import sys

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--api-key", default=None)
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument("--fault-kinds", default="429,500,drop,timeout")
    parser.add_argument("--hang", type=float, default=35.0)
    parser.add_argument("--timeout-accepts", action="store_true")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep-bodies", action="store_true")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each accepted send is answered")
    parser.add_argument("--arrival", type=float, default=0.0, help="seconds before a send is taken; a client gone by then loses it")
    parser.add_argument("--no-activity-addon", action="store_true", help="the Email Activity API answers 400 (no add-on)")
    parser.add_argument("--activity-delay", type=float, default=0.0, help="seconds before a message shows in the Activity API")
    parser.add_argument("--activity-per-minute", type=int, default=6, help="Activity API requests a minute (0: no limit)")
    parser.add_argument("--webhook-url", default=None, help="post signed Event Webhook events here")
    parser.add_argument("--webhook-delay", type=float, default=1.0, help="seconds after acceptance before the events are posted")
    parser.add_argument("--webhook-key", default=None, help="PEM file of the P-256 signing key (default: a fresh key)")
    args = parser.parse_args(argv)
    key = None
    if args.webhook_key:
        from cryptography.hazmat.primitives.serialization import load_pem_private_key
        key = load_pem_private_key(Path(args.webhook_key).read_bytes(), password=None)
    server = SendGridTestServer(api_key=args.api_key, fault_rate=args.fault_rate, fault_kinds=tuple(args.fault_kinds.split(",")),
                                hang_seconds=args.hang, timeout_accepts=args.timeout_accepts, seed=args.seed,
                                keep_bodies=args.keep_bodies, latency=args.latency, arrival=args.arrival,
                                activity_addon=not args.no_activity_addon,
                                activity_delay=args.activity_delay, activity_per_minute=args.activity_per_minute or None,
                                webhook_url=args.webhook_url, webhook_delay=args.webhook_delay, webhook_key=key).start()
    # Only in this stand-alone process: a 1,000-person body is ~4,000 GC-tracked objects that all die with the
    # request. A generation-0 threshold far above that lets them die before a collection walks them, and freezing
    # what start-up allocated keeps the full collections short. The defaults cost ~2 ms of CPU per request.
    gc.freeze()
    gc.set_threshold(50_000)
    print(server.host, flush=True)
    try:
        sys.stdin.read()
    finally:
        server.close()


if __name__ == "__main__":
    main()
