"""The real send path through the official sendgrid client to the local SendGrid-compatible server."""

from __future__ import annotations

import json
import time
from collections import Counter

import pytest

from breach import instants
from breach.examples.generate import write_people
from breach.facts import load_facts
from breach.people.store import channel_counts
from flows.assess import assess_incident
from flows.draft import draft_notices
from flows.open_incident import open_incident
from flows.people import import_people
from flows.runtime import runtime
from flows.send import send_notices
from notices.sending.outbox import delivery_counts
from tests.factories import approve, facts_doc
from tests.flows.conftest import MANAGER
from tests.support.sendgrid.server import SendGridTestServer

pytestmark = pytest.mark.flows


def _approved_incident(rt, tmp_path, people: int) -> str:
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(facts_doc(reference=f"SG-{time.time_ns()}")), encoding="utf-8")
    incident_id = open_incident(load_facts(facts))
    assess_incident(incident_id)
    people_csv = tmp_path / "people.csv"
    write_people(people_csv, n=people, seed=7)
    import_people(incident_id, str(people_csv))
    draft_notices(incident_id)
    with rt.sessions.begin() as session:
        approve(session=session, incident_id=incident_id, now=instants.utcnow(), actor=MANAGER, key=rt.code_key)
    return incident_id


def test_sendgrid_receives_each_person_once_despite_a_500_and_a_429(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=120)
    with SendGridTestServer(api_key="SG.test-key", seed=1, keep_bodies=True) as server:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
        monkeypatch.setenv("BREACH_SENDGRID_HOST", server.host)
        monkeypatch.setenv("BREACH_BATCH_SIZE", "50")
        runtime.cache_clear()
        server.fail_next("500", "429")
        result = send_notices(incident_id)
        received = server.received_emails()
        refused = list(server.errors)
    rt2 = runtime()
    with rt2.sessions() as session:
        counts = channel_counts(session=session, incident_id=incident_id)
        deliveries = delivery_counts(session=session, incident_id=incident_id)
    addresses = Counter(email for email, _ in received)
    assert len(addresses) == counts["email"] and max(addresses.values()) == 1
    assert all(args["incident_id"] == incident_id and args["delivery_id"].isdigit() for _, args in received)
    assert deliveries["email"] == {"accepted": counts["email"]}
    assert result["sent"] == counts["email"] + counts["letter"]
    assert refused == []  # every request that reached validation was valid against the schema


def test_a_refused_request_marks_the_batch_failed_and_leaves_it_resumable(rt, tmp_path, monkeypatch):
    incident_id = _approved_incident(rt, tmp_path, people=20)
    with SendGridTestServer(api_key="SG.right-key", seed=2, keep_bodies=True) as server:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.wrong-key")
        monkeypatch.setenv("BREACH_SENDGRID_HOST", server.host)
        runtime.cache_clear()
        with pytest.raises(Exception) as info:
            send_notices(incident_id)
        assert "@" not in str(info.value)  # no address in the error that reaches Prefect
        with runtime().sessions() as session:
            emails = channel_counts(session=session, incident_id=incident_id)["email"]
            assert emails > 0 and delivery_counts(session=session, incident_id=incident_id)["email"] == {"failed": emails}
        assert server.received_emails() == []


def test_forked_sending_processes_send_each_person_once_and_report_every_batch(rt, tmp_path, monkeypatch):
    import multiprocessing

    import flows.send as send_module
    from flows.progress import subscribe

    incident_id = _approved_incident(rt, tmp_path, people=300)
    monkeypatch.setattr(send_module, "SEND_LANES", 2)
    monkeypatch.setattr(send_module, "PROCESS_MIN_BATCHES", 2)
    monkeypatch.setattr(send_module, "RETRY_BASE_S", 0.05)
    with SendGridTestServer(api_key="SG.test-key", seed=3, keep_bodies=True) as server:
        monkeypatch.setenv("SENDGRID_API_KEY", "SG.test-key")
        monkeypatch.setenv("BREACH_SENDGRID_HOST", server.host)
        monkeypatch.setenv("BREACH_BATCH_SIZE", "40")
        runtime.cache_clear()
        server.fail_next("500", "429")  # retried inside a sending process
        reported: list[dict] = []
        unsubscribe = subscribe(lambda step, fields: reported.append(fields) if step == "batch_sent" else None)
        try:
            result = send_notices(incident_id)
        finally:
            unsubscribe()
        received = server.received_emails()
    with runtime().sessions() as session:
        emails = channel_counts(session=session, incident_id=incident_id)["email"]
        deliveries = delivery_counts(session=session, incident_id=incident_id)
    addresses = Counter(email for email, _ in received)
    assert len(addresses) == emails and max(addresses.values()) == 1
    assert deliveries["email"] == {"accepted": emails}
    assert sum(f["sent"] for f in reported if f["channel"] == "email") == emails == result["deliveries"]["email"]["accepted"]
    assert len({f["batch_no"] for f in reported if f["channel"] == "email"}) >= 2
    assert multiprocessing.active_children() == []  # the sending processes are gone


def test_a_refusal_in_a_sending_process_comes_back_as_the_same_kind_of_error():
    from flows.sending.processes import _rebuilt
    from notices.email.errors import EmailDeliveryError, RateLimited, TransientSendError, is_transient

    limited = _rebuilt({"kind": "RateLimited", "status_code": 429, "body": None, "batch_key": "k", "field": None,
                        "reason": None, "reset_at": 1_800_000_000.0, "transient": True})
    assert isinstance(limited, RateLimited) and limited.reset_at == 1_800_000_000.0 and is_transient(limited)
    lost = _rebuilt({"kind": "TransientSendError", "status_code": None, "body": None, "batch_key": "k", "field": None,
                     "reason": "no answer within 30 s", "reset_at": None, "transient": True})
    assert isinstance(lost, TransientSendError) and "no answer" in str(lost)
    refused = _rebuilt({"kind": "EmailDeliveryError", "status_code": 400, "body": "Does not contain a valid address.",
                        "batch_key": "k", "field": "personalizations.0.to.0.email", "reason": None, "reset_at": None, "transient": False})
    assert type(refused) is EmailDeliveryError and refused.status_code == 400 and not is_transient(refused)
