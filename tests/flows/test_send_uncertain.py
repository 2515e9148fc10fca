"""Exactly once against the SendGrid that really exists: the whole path, over real HTTP.

The stand-in posts signed Event Webhook events to our receiver (notices.webhook.server) after a
delay, its Activity API has an indexing delay or no add-on at all, and a sender "dies" before or
after SendGrid took a request. The next `breach send` reconciles from the webhook first; what
nobody can tell becomes uncertain, shows in `breach status`, and an operator's audited
`breach batches resend` / `mark-delivered` finishes the send with nobody lost and nobody told twice.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from pydantic import SecretStr
from sqlalchemy import select
from typer.testing import CliRunner

from breach import audit
from breach.incidents import service as incidents
from breach.people.store import channel_counts
from breach.store.tables import SendBatchRow
from flows.cli import main as cli
from flows.cli.console import console
from flows.cli.status import show_status
from flows.runtime import runtime
from flows.send import prepare_outbox, send_notices
from flows.sending import processes as send_processes
from notices.email.message import BatchResult, EmailBatch
from notices.email.sendgrid import SendGridSender
from notices.sending.batches import send_email_batch
from notices.sending.outbox import delivery_counts
from notices.webhook.server import WebhookReceiver, make_server
from notices.webhook.verify import WebhookSettings, load_public_key
from tests.flows.test_send_sendgrid import _approved_incident
from tests.support.sendgrid.events import public_key_b64
from tests.support.sendgrid.server import SendGridTestServer

pytestmark = [pytest.mark.flows, pytest.mark.integration]
KEY = "SG.test-key"
REASON = "not in SendGrid's Activity view"


class Crash(Exception):
    """The sending process dies around a request."""


class DieAfter:
    """SendGrid takes the request, then the sender dies before it records the answer."""

    def __init__(self, inner: SendGridSender) -> None:
        self.inner = inner

    def send_batch(self, batch: EmailBatch) -> BatchResult:
        self.inner.send_batch(batch)
        raise Crash("killed after SendGrid took the request")


class DieBefore:
    """The sender dies after claiming the batch, before its request leaves."""

    def send_batch(self, batch: EmailBatch) -> BatchResult:
        raise Crash("killed before the request left")


@contextmanager
def receiver(rt) -> Iterator[tuple[str, ec.EllipticCurvePrivateKey]]:
    """`breach webhook serve` in a thread on a free port; yields its URL and the key the stand-in signs with."""
    key = ec.generate_private_key(ec.SECP256R1())
    public = public_key_b64(key)
    server = make_server(WebhookReceiver(sessions=rt.sessions, cipher=rt.cipher, key=load_public_key(public),
                                         settings=WebhookSettings(public_key=public)), port=0)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/sendgrid/events", key
    finally:
        server.shutdown()
        server.server_close()


def _use(monkeypatch, server: SendGridTestServer, **env: str) -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", KEY)
    monkeypatch.setenv("BREACH_SENDGRID_HOST", server.host)
    monkeypatch.setenv("BREACH_BATCH_SIZE", "1000")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    runtime.cache_clear()


def _die(rt, incident_id: str, sender) -> int:
    """Claim the first e-mail batch and die around its request; returns the batch number."""
    batch_no = prepare_outbox.fn(incident_id)["email"][0]
    with pytest.raises(Crash):
        send_email_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=batch_no, sender=sender, cipher=rt.cipher,
                         controller=rt.controller, policy=send_processes.policy(rt))
    return batch_no


def _audit(rt, incident_id: str, action: str) -> list[dict]:
    with rt.sessions() as session:
        return [e.details for e in audit.events_for(session=session, incident_id=incident_id) if e.action == action]


def _everyone_once(rt, incident_id: str, server: SendGridTestServer) -> None:
    received = Counter(email for email, _ in server.received_emails())
    with rt.sessions() as session:
        emails = channel_counts(session=session, incident_id=incident_id)["email"]
        states = delivery_counts(session=session, incident_id=incident_id)["email"]
        assert set(states) <= {"accepted", "delivered"} and sum(states.values()) == emails  # the webhook may have said delivered
        assert incidents.get(session=session, incident_id=incident_id).status == "notified"
    assert len(received) == emails and max(received.values()) == 1  # nobody lost, nobody twice


def test_the_webhook_tells_a_request_sendgrid_took_even_without_the_activity_add_on(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=30)
    with receiver(rt) as (url, key), SendGridTestServer(api_key=KEY, keep_bodies=True, activity_addon=False, webhook_url=url,
                                                        webhook_key=key, webhook_delay=2.0) as server:
        _use(monkeypatch, server, BREACH_RECONCILE_WAIT="60")
        rt2 = runtime()
        _die(rt2, incident_id, DieAfter(SendGridSender(SecretStr(KEY), host=server.host, timeout=5)))
        taken = len(server.received_emails())
        send_notices(incident_id)  # at once: the events are still 2 s away, so the lookup waits for them, holding no lane
        assert server.webhook is not None and server.webhook.counts["refused"] == 0
        _everyone_once(rt2, incident_id, server)
        assert server.stats()["activity"]["refused"] == 1  # asked once, refused (no add-on), remembered: not asked again
    reconciled = _audit(rt2, incident_id, "batch.reconciled")
    assert [r["already_accepted"] for r in reconciled] == [taken]
    assert [f["source"] for r in reconciled for f in r["requests"]] == ["webhook"]


def test_what_nobody_can_tell_is_uncertain_until_an_operator_decides(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=30)
    with receiver(rt) as (url, key), SendGridTestServer(api_key=KEY, keep_bodies=True, activity_addon=False, webhook_url=url,
                                                        webhook_key=key, webhook_delay=0.2) as server:
        _use(monkeypatch, server, BREACH_RECONCILE_WAIT="2")
        rt2 = runtime()
        batch_no = _die(rt2, incident_id, DieBefore())
        result = send_notices(incident_id)
        uncertain = result["deliveries"]["email"].get("uncertain", 0)
        assert uncertain > 0 and server.received_emails() != []  # the other languages' requests went; this one waits
        with rt2.sessions() as session:
            batch = session.execute(select(SendBatchRow).where(SendBatchRow.incident_id == incident_id, SendBatchRow.channel == "email",
                                                               SendBatchRow.batch_no == batch_no)).scalar_one()
            assert batch.state == "uncertain" and incidents.get(session=session, incident_id=incident_id).status == "sending"
        with console.capture() as status:
            show_status(rt2, incident_id)
        assert f"batch {batch_no}: {uncertain} people" in status.get()
        before = Counter(email for email, _ in server.received_emails())
        send_notices(incident_id)  # running it again looks again (nothing new): still uncertain, nobody sent
        assert Counter(email for email, _ in server.received_emails()) == before
        refused = CliRunner().invoke(cli.app, ["batches", "resend", incident_id, str(batch_no), "--reason", " "])
        assert refused.exit_code != 0
        decided = CliRunner().invoke(cli.app, ["batches", "resend", incident_id, str(batch_no), "--reason", REASON])
        assert decided.exit_code == 0, decided.output
        send_notices(incident_id)
        _everyone_once(rt2, incident_id, server)
    assert [(d["people"], d["reason"]) for d in _audit(rt2, incident_id, "batch.operator_resend")] == [(uncertain, REASON)]


def test_a_request_sendgrid_took_but_nobody_reported_is_marked_delivered_by_the_operator(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=20)
    with SendGridTestServer(api_key=KEY, keep_bodies=True, activity_addon=False) as server:  # no webhook, no add-on: no source at all
        _use(monkeypatch, server, BREACH_RECONCILE_WAIT="1")
        rt2 = runtime()
        batch_no = _die(rt2, incident_id, DieAfter(SendGridSender(SecretStr(KEY), host=server.host, timeout=5)))
        taken = len(server.received_emails())
        result = send_notices(incident_id)
        assert result["deliveries"]["email"]["uncertain"] == taken  # never resent on silence
        listed = CliRunner().invoke(cli.app, ["batches", "uncertain", incident_id])
        assert listed.exit_code == 0 and f"{taken}" in listed.output
        marked = CliRunner().invoke(cli.app, ["batches", "mark-delivered", incident_id, str(batch_no), "--reason", "processed in its view"])
        assert marked.exit_code == 0, marked.output
        send_notices(incident_id)  # nothing left to send: the incident is notified
        _everyone_once(rt2, incident_id, server)
    assert [d["people"] for d in _audit(rt2, incident_id, "batch.operator_accepted")] == [taken]


def test_with_an_indexing_delay_the_activity_api_is_asked_only_once_it_can_answer(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=30)
    with SendGridTestServer(api_key=KEY, keep_bodies=True, activity_delay=1.0) as server:  # no webhook; the add-on indexes after 1 s
        _use(monkeypatch, server, BREACH_RECONCILE_WAIT="30", BREACH_ACTIVITY_INDEX_DELAY="2")
        rt2 = runtime()
        _die(rt2, incident_id, DieBefore())
        send_notices(incident_id)
        asked = server.stats()["activity"]["answered"]
        _everyone_once(rt2, incident_id, server)
    findings = [f for r in _audit(rt2, incident_id, "batch.reconciled") for f in r["requests"]]
    assert [(f["verdict"], f["source"]) for f in findings] == [("not_accepted", "activity")] and asked == 1
