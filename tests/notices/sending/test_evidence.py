"""Reconciliation's evidence in the database: webhook events kept per delivery under its own batch key,
the Activity API's shared budget, and the operator's two decisions about an uncertain batch."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from breach import audit
from breach.controller import load_profile
from breach.enums import DeliveryState
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import import_people
from breach.store.session import session_factory
from breach.store.tables import DeliveryRow, EmailEventRow, SendBatchRow
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.sending import outbox
from notices.sending.evidence import ActivityBudget, Sighting, batch_key, record_events, seen
from notices.sending.uncertain import Decision, DecisionRefused, decide, uncertain_batches
from tests.factories import approve, make_incident, set_roster, write_people_csv

pytestmark = pytest.mark.integration

NOW = datetime(2026, 12, 3, 9, 0, tzinfo=UTC)
MANAGER, RESPONDER = "manager@example.com", "responder@example.com"
CIPHER = MultiKeyCipher.from_master_keys([b"e" * 32])


def _outbox(session: Session, tmp_path: Path, n: int = 6) -> tuple[str, list[DeliveryRow]]:
    """An approved incident of n e-mail people in batches of 3, its outbox filled; returns the e-mail deliveries."""
    rows = [[f"Person {i}", "da", f"person.{i}@example.org", "", "", "", "", "DK"] for i in range(n)]
    people = write_people_csv(tmp_path / "people.csv", rows)
    incident_id = make_incident(session=session, now=NOW, reference=f"EV-{uuid.uuid4().hex[:12]}")
    import_people(session=session, incident_id=incident_id, path=people, cipher=CIPHER, batch_size=3, actor=RESPONDER, now=NOW)
    draft_notices(session=session, incident_id=incident_id, controller=load_profile(EXAMPLES / "controller.json"), actor=RESPONDER, now=NOW)
    set_roster(session=session, now=NOW, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=NOW, actor=MANAGER)
    outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=3, actor=RESPONDER, now=NOW)
    deliveries = session.execute(select(DeliveryRow).where(DeliveryRow.incident_id == incident_id, DeliveryRow.channel == "email")
                                 .order_by(DeliveryRow.id)).scalars().all()
    return incident_id, list(deliveries)


def _key(row: DeliveryRow) -> str:
    return batch_key(row.incident_id, row.batch_no, row.draft_id)


def test_events_are_kept_only_under_the_batch_key_their_delivery_was_sent_with(session, tmp_path):
    incident_id, rows = _outbox(session, tmp_path)
    by_id = {r.id: r for r in rows}
    first, second = rows[0], rows[1]
    kept = record_events(session=session, rows=by_id, now=NOW, sightings=[
        Sighting(first.id, _key(first), "processed"), Sighting(first.id, _key(first), "processed"),  # SendGrid repeats events
        Sighting(first.id, _key(first), "delivered"),
        Sighting(second.id, "BR-1999-0001:email:0:1", "processed"),  # another system's request with the same delivery id
        Sighting(10**12, "whatever", "processed")])  # not ours at all
    assert kept == 3
    stored = session.execute(select(EmailEventRow.delivery_id, EmailEventRow.event).where(EmailEventRow.incident_id == incident_id)
                             .order_by(EmailEventRow.event)).tuples().all()
    assert stored == [(first.id, "delivered"), (first.id, "processed")]  # the repeat kept once, the foreign one not at all
    assert seen(session=session, key=_key(first), delivery_ids=[r.id for r in rows]) == 1
    assert seen(session=session, key=_key(second), delivery_ids=[second.id]) == 0
    assert first.state == DeliveryState.PENDING.value  # evidence never moves a state by itself


def test_the_activity_budget_is_shared_by_every_process_and_remembers_a_refusal(db_url):
    sessions = session_factory(db_url)
    name = f"test-{uuid.uuid4().hex[:8]}"
    one, other = ActivityBudget(sessions, per_minute=2, name=name), ActivityBudget(sessions, per_minute=2, name=name)
    assert one.take(NOW).wait == 0 and other.take(NOW + timedelta(seconds=10)).wait == 0
    third = one.take(NOW + timedelta(seconds=20))
    assert not third.refused and third.wait == pytest.approx(40.0)  # the first slot frees 60 s after it was taken
    assert other.take(NOW + timedelta(seconds=61)).wait == 0
    one.refused(NOW + timedelta(seconds=62))
    assert other.take(NOW + timedelta(minutes=30)).refused  # nobody spends a request on a refusal for an hour
    assert other.take(NOW + timedelta(minutes=63)).wait == 0
    assert ActivityBudget(sessions, per_minute=0, name=f"{name}-free").take(NOW).wait == 0  # 0: no limit (a stand-in)


def _make_uncertain(session: Session, incident_id: str, batch_no: int) -> list[int]:
    ids = list(session.execute(select(DeliveryRow.id).where(DeliveryRow.incident_id == incident_id, DeliveryRow.batch_no == batch_no,
                                                            DeliveryRow.channel == "email")).scalars())
    session.execute(update(DeliveryRow).where(DeliveryRow.id.in_(ids)).values(state=DeliveryState.UNCERTAIN.value))
    session.execute(update(SendBatchRow).where(SendBatchRow.incident_id == incident_id, SendBatchRow.batch_no == batch_no,
                                               SendBatchRow.channel == "email").values(state="uncertain", started_at=NOW))
    return ids


def _states(session: Session, ids: list[int]) -> set[tuple[str, str | None]]:
    return set(session.execute(select(DeliveryRow.state, DeliveryRow.provider_message_id).where(DeliveryRow.id.in_(ids))).tuples())


def test_an_operator_resends_or_marks_an_uncertain_batch_with_a_reason_and_it_is_audited(session, tmp_path):
    incident_id, rows = _outbox(session, tmp_path)
    zero, one = _make_uncertain(session, incident_id, 0), _make_uncertain(session, incident_id, 1)
    found = uncertain_batches(session=session, incident_id=incident_id)
    assert [(b.batch_no, b.people, b.seen_since) for b in found] == [(0, 3, 0), (1, 3, 0)]
    with pytest.raises(DecisionRefused, match="a reason is required"):
        decide(session=session, incident_id=incident_id, batch_no=0, decision=Decision.RESEND, actor=RESPONDER, reason="  ", now=NOW)
    with pytest.raises(DecisionRefused, match="no such e-mail batch"):
        decide(session=session, incident_id=incident_id, batch_no=9, decision=Decision.RESEND, actor=RESPONDER, reason="x", now=NOW)
    resent = decide(session=session, incident_id=incident_id, batch_no=0, decision=Decision.RESEND, actor=RESPONDER,
                    reason="not in SendGrid's Activity view", now=NOW)
    assert (resent.people, resent.by_evidence, resent.batch_state) == (3, 0, "pending")
    assert _states(session, zero) == {("pending", None)}
    marked = decide(session=session, incident_id=incident_id, batch_no=1, decision=Decision.MARK_ACCEPTED, actor=RESPONDER,
                    reason="seen as processed in SendGrid's Activity view", now=NOW)
    assert (marked.people, marked.batch_state) == (3, "done") and _states(session, one) == {("accepted", "operator")}
    with pytest.raises(DecisionRefused, match="holds nobody uncertain"):
        decide(session=session, incident_id=incident_id, batch_no=1, decision=Decision.RESEND, actor=RESPONDER, reason="again", now=NOW)
    entries = [(e.action, e.actor, e.details["reason"], e.details["people"])
               for e in audit.events_for(session=session, incident_id=incident_id) if e.action.startswith("batch.operator")]
    assert entries == [("batch.operator_resend", RESPONDER, "not in SendGrid's Activity view", 3),
                       ("batch.operator_accepted", RESPONDER, "seen as processed in SendGrid's Activity view", 3)]
    assert uncertain_batches(session=session, incident_id=incident_id) == []


def test_evidence_that_arrived_since_wins_over_a_resend_decision(session, tmp_path):
    incident_id, rows = _outbox(session, tmp_path)
    ids = _make_uncertain(session, incident_id, 0)
    late = next(r for r in rows if r.id == ids[0])
    record_events(session=session, rows={late.id: late}, now=NOW, sightings=[Sighting(late.id, _key(late), "processed")])
    assert uncertain_batches(session=session, incident_id=incident_id)[0].seen_since == 1
    done = decide(session=session, incident_id=incident_id, batch_no=0, decision=Decision.RESEND, actor=RESPONDER, reason="checked",
                  now=NOW)
    assert (done.people, done.by_evidence, done.batch_state) == (0, 3, "done")  # the whole request arrived: nobody is sent twice
    assert _states(session, ids) == {("accepted", "reconciled:webhook")}


def test_a_batch_still_being_looked_up_cannot_be_decided(session, tmp_path):
    incident_id, _ = _outbox(session, tmp_path)
    _make_uncertain(session, incident_id, 0)
    session.execute(update(SendBatchRow).where(SendBatchRow.incident_id == incident_id, SendBatchRow.batch_no == 0)
                    .values(state="reconciling"))
    with pytest.raises(DecisionRefused, match="reconciling: a sender is still looking"):
        decide(session=session, incident_id=incident_id, batch_no=0, decision=Decision.MARK_ACCEPTED, actor=RESPONDER, reason="x", now=NOW)
