"""The stand-in's Event Webhook: what it posts verifies with our receiver's checks, carries the request's
custom args, comes after the configured delay, and is posted again when the receiver is down."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from notices.email.message import EmailBatch, Recipient
from notices.email.sendgrid import SendGridSender
from notices.webhook.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, load_public_key, parse_events, verify_request
from tests.support import SendGridTestServer

pytestmark = pytest.mark.integration
KEY = "SG.test-key"


class Inbox:
    """A tiny HTTP endpoint that records each post (its time, headers, body); answers `status` to the first `fail` posts."""

    def __init__(self, *, fail: int = 0) -> None:
        self.posts: list[tuple[float, dict[str, str], bytes]] = []
        self.fail = fail
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                failing = inbox.fail > 0
                inbox.fail -= 1
                if not failing:
                    inbox.posts.append((time.time(), dict(self.headers), body))
                self.send_response(503 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sendgrid/events"

    def wait_for(self, n: int, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while len(self.posts) < n and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(self.posts) >= n, f"{len(self.posts)} posts, expected {n}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _send(server: SendGridTestServer, n: int) -> float:
    people = [Recipient(delivery_id=str(100 + i), email=f"person.{i}@example.org", name=f"Person {i}") for i in range(n)]
    batch = EmailBatch(incident_id="BR-2026-0009", batch_key="BR-2026-0009:email:3:7", subject="Notice", text="Hello",
                       from_email="dpo@example.com", from_name="Example A/S", recipients=people)
    sent_at = time.time()
    SendGridSender(SecretStr(KEY), host=server.host, timeout=5).send_batch(batch)
    return sent_at


def test_signed_events_verify_and_carry_the_requests_custom_args_after_the_delay():
    inbox = Inbox()
    try:
        with SendGridTestServer(api_key=KEY, webhook_url=inbox.url, webhook_delay=0.6) as server:
            sent_at = _send(server, 3)
            inbox.wait_for(1)
            posted_at, headers, body = inbox.posts[0]
            public = server.webhook_public_key
    finally:
        inbox.close()
    assert posted_at - sent_at >= 0.6
    assert public is not None
    verify_request(body=body, signature=headers[SIGNATURE_HEADER], timestamp=headers[TIMESTAMP_HEADER], key=load_public_key(public),
                   now=datetime.now(UTC))  # raises WebhookRefused unless SendGrid's scheme verifies
    events = json.loads(body)
    assert [(e["event"], e["delivery_id"], e["batch_key"], e["incident_id"]) for e in events] == [
        (name, str(100 + i), "BR-2026-0009:email:3:7", "BR-2026-0009") for i in range(3) for name in ("processed", "delivered")]
    assert len({e["sg_event_id"] for e in events}) == 6
    parsed = parse_events(body)
    assert {(p.delivery_id, p.batch_key) for p in parsed} == {(100 + i, "BR-2026-0009:email:3:7") for i in range(3)}


def test_a_post_that_gets_no_2xx_is_posted_again():
    inbox = Inbox(fail=2)
    try:
        with SendGridTestServer(api_key=KEY, webhook_url=inbox.url, webhook_delay=0.0) as server:
            _send(server, 1)
            inbox.wait_for(1)
            assert server.webhook is not None
            deadline = time.monotonic() + 5  # the poster counts a post once its answer is back, just after the inbox has it
            while server.webhook.counts["posted"] < 1 and time.monotonic() < deadline:
                time.sleep(0.02)
            assert server.webhook.counts["retried"] == 2 and server.webhook.counts["posted"] == 1
    finally:
        inbox.close()
