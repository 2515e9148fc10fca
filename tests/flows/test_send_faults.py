"""Quick versions of bench/faults.py and bench/chaos.py: nobody lost, nobody told twice."""

from __future__ import annotations

import os
from collections import Counter

import pytest

from breach.people.store import channel_counts
from flows import send as send_flow
from flows.runtime import runtime
from flows.send import send_notices
from notices.sending.outbox import delivery_counts
from tests.flows.test_send_sendgrid import _approved_incident
from tests.support.sendgrid.server import SendGridTestServer

pytestmark = [pytest.mark.flows, pytest.mark.integration]


def test_a_third_of_requests_failing_loses_nobody_and_duplicates_nobody(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=150)
    # the Activity API without its 6-a-minute limit (the engine's is off in tests too): this test is about send faults
    with SendGridTestServer(api_key="SG.test-key", seed=11, fault_rate=0.35, hang_seconds=1.2, timeout_accepts=True,
                            activity_per_minute=None, keep_bodies=True) as server:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
        monkeypatch.setenv("BREACH_SENDGRID_HOST", server.host)
        monkeypatch.setenv("BREACH_BATCH_SIZE", "15")
        monkeypatch.setenv("BREACH_EMAIL_TIMEOUT", "1")
        monkeypatch.setattr(send_flow, "RETRY_BASE_S", 0.05)
        runtime.cache_clear()
        send_notices(incident_id)
        received = Counter(email for email, _ in server.received_emails())
        faults = set(server.faults)
    with runtime().sessions() as session:
        emails = channel_counts(session=session, incident_id=incident_id)["email"]
        assert delivery_counts(session=session, incident_id=incident_id)["email"] == {"accepted": emails}
    assert len(received) == emails and max(received.values()) == 1
    assert {"429", "500", "drop"} <= faults or "timeout" in faults  # faults really happened


@pytest.mark.own_server  # its own Prefect server and child processes it kills (~2 min)
def test_killing_the_sender_loses_nobody_and_duplicates_nobody(monkeypatch):
    from bench.chaos import chaos
    saved = dict(os.environ)
    try:  # SendGrid without the Activity add-on: the signed webhook is the only source; the rest is the operator's
        [result] = chaos(400, 2, scenarios=("no-addon",), seed=3, batch_size=20, window=(0.1, 0.8), latency=0.3, wait=8.0)
    finally:
        os.environ.clear()
        os.environ.update(saved)
        runtime.cache_clear()
    assert result["crashes"] == 2  # both kills landed while sending
    assert result["lost"] == 0 and result["duplicates"] == 0
    assert sum(result["states"].values()) == 400 and set(result["states"]) <= {"accepted", "delivered"}
    assert result["activity"]["refused"] <= 1  # asked at most once: the refusal is remembered
    assert result["uncertain_people"] == 0 or sum(result["decisions"].values()) == result["uncertain_batches"]
