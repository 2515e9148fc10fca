"""Unknown outcomes are reconciled, never blindly re-sent: a crash after SendGrid accepted a batch,
a timeout whose request got through, and the outbox folder's own reconciliation."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from pydantic import SecretStr

from breach import audit
from breach.people.store import channel_counts
from flows.runtime import runtime
from flows.send import prepare_outbox, send_notices
from flows.sending import processes as send_processes
from notices.email.eml_folder import OutboxSender
from notices.email.message import BatchResult, EmailBatch
from notices.email.sendgrid import SendGridSender
from notices.sending.batches import send_email_batch
from notices.sending.outbox import delivery_counts
from tests.flows.test_send_sendgrid import _approved_incident
from tests.support.sendgrid.server import SendGridTestServer

pytestmark = [pytest.mark.flows, pytest.mark.integration]


class Crash(Exception):
    """The process 'dies' right after the provider answered, before anything was recorded."""


class CrashAfterSend:
    """Delegates to a real sender, then raises: the request went through, its outcome was never written."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.sent: list[str] = []

    def send_batch(self, batch: EmailBatch) -> BatchResult:
        self.inner.send_batch(batch)
        self.sent.append(batch.batch_key)
        raise Crash("killed after the provider accepted the batch")


def _audit(rt, incident_id: str, action: str) -> list[dict]:
    with rt.sessions() as session:
        return [e.details for e in audit.events_for(session=session, incident_id=incident_id) if e.action == action]


def _use_server(monkeypatch, server, *, batch_size: int = 40, timeout: str = "5") -> None:
    monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
    monkeypatch.setenv("BREACH_SENDGRID_HOST", server.host)
    monkeypatch.setenv("BREACH_BATCH_SIZE", str(batch_size))
    monkeypatch.setenv("BREACH_EMAIL_TIMEOUT", timeout)
    runtime.cache_clear()


def test_a_crash_after_sendgrid_accepted_a_batch_is_reconciled_not_resent(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=100)
    with SendGridTestServer(api_key="SG.test-key", seed=3, keep_bodies=True) as server:
        _use_server(monkeypatch, server)
        rt2 = runtime()
        batches = prepare_outbox.fn(incident_id)
        crashing = CrashAfterSend(SendGridSender(SecretStr("SG.test-key"), host=server.host, timeout=5))
        with pytest.raises(Crash):
            send_email_batch(sessions=rt2.sessions, incident_id=incident_id, batch_no=batches["email"][0], sender=crashing,
                             cipher=rt2.cipher, controller=rt2.controller)
        first_request = len(server.received_emails())
        assert first_request > 0 and crashing.sent
        with rt2.sessions() as session:  # the crash left the batch in flight and its people pending
            emails = channel_counts(session=session, incident_id=incident_id)["email"]
            assert delivery_counts(session=session, incident_id=incident_id)["email"] == {"pending": emails}
        send_notices(incident_id)  # the operator re-runs the send
        received = Counter(email for email, _ in server.received_emails())
    with rt2.sessions() as session:
        emails = channel_counts(session=session, incident_id=incident_id)["email"]
        assert delivery_counts(session=session, incident_id=incident_id)["email"] == {"accepted": emails}
    assert len(received) == emails and max(received.values()) == 1  # nobody twice, nobody lost
    reconciled = _audit(rt2, incident_id, "batch.reconciled")
    assert [r["already_accepted"] for r in reconciled] == [first_request]
    assert reconciled[0]["requests_unknown"] == 0 and reconciled[0]["already_accepted"] + reconciled[0]["to_send"] == 40


def test_a_timeout_whose_request_got_through_is_reconciled_before_the_retry(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=60)
    with SendGridTestServer(api_key="SG.test-key", seed=4, hang_seconds=1.5, timeout_accepts=True, keep_bodies=True) as server:
        _use_server(monkeypatch, server, batch_size=1000, timeout="1")
        server.fail_next("timeout")
        send_notices(incident_id)
        received = Counter(email for email, _ in server.received_emails())
        timed_out = len(server.requests[0]["personalizations"])  # recorded, then the client gave up
        assert server.faults == ["timeout"]
    with rt.sessions() as session:
        emails = channel_counts(session=session, incident_id=incident_id)["email"]
    assert len(received) == emails and max(received.values()) == 1
    assert [r["already_accepted"] for r in _audit(rt, incident_id, "batch.reconciled")] == [timed_out]


def test_the_outbox_folder_reconciles_from_the_files_that_exist(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=30)
    rt2 = runtime()
    batches = prepare_outbox.fn(incident_id)
    crashing = CrashAfterSend(OutboxSender(rt2.settings.outbox_dir))
    with pytest.raises(Crash):
        send_email_batch(sessions=rt2.sessions, incident_id=incident_id, batch_no=batches["email"][0], sender=crashing,
                         cipher=rt2.cipher, controller=rt2.controller)
    written = {p: p.stat().st_mtime_ns for p in (rt2.settings.outbox_dir / incident_id / "email").glob("*.eml")}
    send_notices(incident_id)
    after = {p: p.stat().st_mtime_ns for p in (rt2.settings.outbox_dir / incident_id / "email").glob("*.eml")}
    assert written and {p: after[p] for p in written} == written  # not one of them rewritten
    assert len(after) > len(written)  # the batch's other languages were written after the crash
    assert [r["already_accepted"] for r in _audit(rt2, incident_id, "batch.reconciled")] == [len(written)]


def _hold(rt, incident_id: str, batch_no: int, *, owner: str, claimed_at) -> None:
    """Write a claim as another sender would have left it: in flight, in `owner`'s name."""
    from sqlalchemy import update

    from breach.store.tables import SendBatchRow
    with rt.sessions.begin() as session:
        session.execute(update(SendBatchRow).where(SendBatchRow.incident_id == incident_id, SendBatchRow.batch_no == batch_no,
                                                   SendBatchRow.channel == "email")
                        .values(state="in_flight", claimed_by=owner, started_at=claimed_at))


def test_a_batch_held_by_a_live_sender_is_left_alone_until_that_sender_is_gone(rt, tmp_path, monkeypatch):
    import subprocess
    import sys
    from datetime import timedelta

    from breach import instants
    from notices.sending import claims
    from notices.sending.batches import BatchBusy

    incident_id = _approved_incident(rt, tmp_path, people=40)
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])  # the other sender
    try:
        with SendGridTestServer(api_key="SG.test-key", seed=6, keep_bodies=True) as server:
            _use_server(monkeypatch, server, batch_size=1000)
            rt2 = runtime()
            batch_no = prepare_outbox.fn(incident_id)["email"][0]
            sender = SendGridSender(SecretStr("SG.test-key"), host=server.host, timeout=5)

            def send():
                return send_email_batch(sessions=rt2.sessions, incident_id=incident_id, batch_no=batch_no, sender=sender,
                                        cipher=rt2.cipher, controller=rt2.controller, policy=send_processes.policy(rt2))

            _hold(rt2, incident_id, batch_no, owner=claims._owner_of(other.pid), claimed_at=instants.utcnow() - timedelta(hours=1))
            with pytest.raises(BatchBusy, match="another sender holds this batch"):
                send()  # alive: however old the claim, it is not ours to take
            _hold(rt2, incident_id, batch_no, owner="sender-2.example.org/1a2b3c4d/4242/99999", claimed_at=instants.utcnow())
            with pytest.raises(BatchBusy):
                send()  # another machine's fresh claim: its lease has not run out
            assert server.received_emails() == [] and _audit(rt2, incident_id, "batch.unknown_outcome") == []

            _hold(rt2, incident_id, batch_no, owner=claims._owner_of(other.pid), claimed_at=instants.utcnow())
            other.kill()  # the other sender dies (not yet reaped)
            for _ in range(300):
                if claims._start_time(other.pid) is None:
                    break
                time.sleep(0.01)
            outcome = send()
            received = Counter(email for email, _ in server.received_emails())
    finally:
        other.kill()
        other.wait()
    with rt2.sessions() as session:
        emails = channel_counts(session=session, incident_id=incident_id)["email"]
        assert delivery_counts(session=session, incident_id=incident_id)["email"] == {"accepted": emails}
    assert outcome.sent == emails == len(received) and max(received.values()) == 1
    assert [d["state"] for d in _audit(rt2, incident_id, "batch.unknown_outcome")] == ["in_flight"]  # reconciled first
