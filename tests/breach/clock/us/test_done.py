"""US duties done: notices given stop the individual-notice clocks and start or move the deadlines counted from them;
a filing or a recorded report stops the duty it names; stopped clocks remind no more."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select, update

from breach.audit import events_for
from breach.clock import deadlines, filing
from breach.clock.us import done as us_done
from breach.clock.us import duties as us
from breach.enums import DeadlineState, DeliveryState
from breach.exceptions import BreachError
from breach.store.tables import DeliveryRow, FilingRow, PersonRow, ReminderRow
from notices.content.drafting import draft_notices
from notices.sending.outbox import fill_outbox
from tests.examples.test_us_example import ACTOR, PROFILE, open_us_example

pytestmark = pytest.mark.integration
US = PROFILE.us
assert US is not None


def _sent_incident(session, now, tmp_path) -> str:
    incident_id = open_us_example(session, now, tmp_path)
    draft_notices(session=session, incident_id=incident_id, controller=PROFILE, actor=ACTOR, now=now)
    fill_outbox(session=session, incident_id=incident_id, batch_size=1000, actor=ACTOR, now=now, us=US)
    return incident_id


def _accept(session, incident_id: str, at, *, region: str | None = "*") -> None:
    people = select(PersonRow.id).where(PersonRow.incident_id == incident_id)
    if region != "*":
        people = people.where(PersonRow.region == region)
    session.execute(update(DeliveryRow).where(DeliveryRow.incident_id == incident_id, DeliveryRow.person_id.in_(people))
                    .values(state=DeliveryState.ACCEPTED.value, updated_at=at))


def _row(session, incident_id: str, obligation: str, party: str):
    return next(r for r in deadlines.deadlines_of(session=session, incident_id=incident_id)
                if r.obligation == obligation and r.party == party)


def _reminders(session, deadline_id: int) -> list[ReminderRow]:
    stmt = select(ReminderRow).where(ReminderRow.deadline_id == deadline_id)
    return sorted(session.execute(stmt).scalars(), key=lambda r: r.due_at)


def _receipt(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.pdf"
    path.write_bytes(b"%PDF-1.4 receipt")
    return path


def test_a_state_whose_notices_all_went_out_stops_its_clock_and_moves_the_deadlines_counted_from_it(session, now, tmp_path):
    incident_id = _sent_incident(session, now, tmp_path)
    ca_ag_before = _row(session, incident_id, "us.regulator", "CA").due_at
    given = now + timedelta(days=2)
    _accept(session, incident_id, given, region="CA")
    assert us_done.notice_instants(session=session, incident_id=incident_id) == {"CA": given}
    assert us_done.record_individual_notices(session=session, incident_id=incident_id, profile=US, actor=ACTOR, now=given) == ["CA"]
    ca = _row(session, incident_id, "us.individuals", "CA")
    assert ca.state == DeadlineState.MET and ca.stopped_at == given
    ca_ag = _row(session, incident_id, "us.regulator", "CA")  # Cal. Civ. Code 1798.82(f): 15 days after the residents' notice
    assert ca_ag.state == DeadlineState.RUNNING and ca_ag.due_at == given + timedelta(days=15) and ca_ag.due_at < ca_ag_before
    assert [r.due_at for r in _reminders(session, ca_ag.id)] == sorted(ca_ag.due_at - timedelta(hours=h) for h in (72, 24, 0))
    assert _row(session, incident_id, "us.individuals", "NY").state == DeadlineState.RUNNING
    moved = [e for e in events_for(session=session, incident_id=incident_id) if e.action == "clock.moved"]
    assert [(e.details["obligation"], e.details["party"]) for e in moved] == [("us.regulator", "CA")]
    # again: nothing new is recorded, nothing moves
    assert us_done.record_individual_notices(session=session, incident_id=incident_id, profile=US, actor=ACTOR, now=given) == []


def test_every_notice_given_stops_every_individual_duty_and_records_the_ones_without_a_clock(session, now, tmp_path):
    incident_id = _sent_incident(session, now, tmp_path)
    given = now + timedelta(days=1)
    _accept(session, incident_id, given)
    recorded = us_done.record_individual_notices(session=session, incident_id=incident_id, profile=US, actor=ACTOR, now=given)
    assert recorded == ["CA", "MA", "NY", "TX"]
    ma = _row(session, incident_id, "us.individuals", "MA")  # without unreasonable delay, no outer limit: done, not met or late
    assert ma.state == DeadlineState.DONE and ma.stopped_at == given
    for name in ("us.regulator", "us.regulator.2", "us.regulator.3"):  # N.Y. GBL 899-aa(8)(a): at the same time as the notice
        assert _row(session, incident_id, name, "NY").due_at == given
    pending = {(name, o.jurisdiction) for name, o in us.pending(session=session, incident_id=incident_id, profile=US)}
    assert ("us.individuals", "MA") not in pending and ("us.regulator", "MA") in pending
    # a stopped clock reminds no more; the running ones still do
    due = deadlines.claim_due_reminders(session=session, now=now + timedelta(days=400))
    reminded = {(r.obligation, r.party) for r in due}
    assert not {("us.individuals", code) for code in ("CA", "NY", "TX")} & reminded
    assert ("us.regulator", "TX") in reminded


def test_a_filing_stops_the_duty_its_code_names(session, now, tmp_path):
    incident_id = _sent_incident(session, now, tmp_path)
    codes = us_done.filing_codes(session=session, incident_id=incident_id, profile=US)
    assert sorted(codes) == ["US-CA-AG", "US-MA-AG", "US-MA-CRA", "US-MA-OCABR", "US-NY-AG", "US-NY-DOS", "US-NY-NYSP", "US-TX-AG"]
    filed_at = now + timedelta(days=3)
    row = filing.record_filing(session=session, incident_id=incident_id, authority_code="us-tx-ag", receipt=_receipt(tmp_path),
                               actor=ACTOR, now=filed_at, us=US, authority_reference="TX-123")
    assert row.authority_code == "US-TX-AG" and row.sequence == 1 and not row.late
    tx = _row(session, incident_id, "us.regulator", "TX")
    assert tx.state == DeadlineState.MET and tx.stopped_at == filed_at
    ma = filing.record_filing(session=session, incident_id=incident_id, authority_code="US-MA-OCABR", receipt=_receipt(tmp_path),
                              actor=ACTOR, now=filed_at, us=US)
    assert ma.authority_code == "US-MA-OCABR"
    assert _row(session, incident_id, "us.regulator.2", "MA").state == DeadlineState.DONE
    with pytest.raises(BreachError, match="owes no US filing US-FL-AG.*US-CA-AG"):
        filing.record_filing(session=session, incident_id=incident_id, authority_code="US-FL-AG", receipt=_receipt(tmp_path),
                             actor=ACTOR, now=filed_at, us=US)
    with pytest.raises(BreachError, match="GDPR does not apply"):
        filing.record_filing(session=session, incident_id=incident_id, authority_code=None, receipt=_receipt(tmp_path), actor=ACTOR,
                             now=filed_at, us=US)
    stored = session.execute(select(FilingRow.authority_code).where(FilingRow.incident_id == incident_id)).scalars().all()
    assert sorted(stored) == ["US-MA-OCABR", "US-TX-AG"]


def test_a_late_filing_is_recorded_late(session, now, tmp_path):
    incident_id = _sent_incident(session, now, tmp_path)
    due = _row(session, incident_id, "us.regulator", "TX").due_at
    row = filing.record_filing(session=session, incident_id=incident_id, authority_code="US-TX-AG", receipt=_receipt(tmp_path),
                               actor=ACTOR, now=due + timedelta(hours=1), us=US)
    assert row.late and _row(session, incident_id, "us.regulator", "TX").state == DeadlineState.STOPPED_LATE


def test_a_report_made_outside_the_engine_is_recorded_once_per_party(session, now, tmp_path):
    incident_id = _sent_incident(session, now, tmp_path)
    at = now + timedelta(days=5)
    row = us_done.record_us_report(session=session, incident_id=incident_id, obligation="us.consumer_reporting_agencies", party="ma",
                                   at=at, profile=US, actor=ACTOR, now=at)
    assert row.state == DeadlineState.DONE and row.party == "MA" and row.stopped_at == at
    with pytest.raises(BreachError, match="recorded as done already"):
        us_done.record_us_report(session=session, incident_id=incident_id, obligation="us.consumer_reporting_agencies", party="MA",
                                 at=at, profile=US, actor=ACTOR, now=at)
    with pytest.raises(BreachError, match="--party"):
        us_done.record_us_report(session=session, incident_id=incident_id, obligation="us.regulator", party=None, at=at, profile=US,
                                 actor=ACTOR, now=at)
    with pytest.raises(BreachError, match="owes no US duty us.regulator for FL"):
        us_done.record_us_report(session=session, incident_id=incident_id, obligation="us.regulator", party="FL", at=at, profile=US,
                                 actor=ACTOR, now=at)
    by_hand = us_done.record_us_report(session=session, incident_id=incident_id, obligation="us.individuals", party="TX", at=at,
                                       profile=US, actor=ACTOR, now=at)
    assert by_hand.state == DeadlineState.MET  # a notice sent outside the engine stops the Texas clock as well


def test_clock_names_follow_the_rule_pack_order_not_the_due_instants():
    from datetime import UTC, datetime

    from breach.jurisdictions.us.model import UsBreachFacts, UsController
    from breach.jurisdictions.us.obligations import us_obligations

    facts = UsBreachFacts(data_categories=frozenset({"name", "national_id"}), encryption="none",
                          discovered_at=datetime(2026, 11, 30, 15, 0, tzinfo=UTC))
    early = us_obligations(facts, UsController(nydfs_covered_entity=True), {"NY": 10})
    late = us_obligations(facts.__class__(**{**facts.__dict__, "individual_notice_at": datetime(2027, 3, 1, tzinfo=UTC)}),
                          UsController(nydfs_covered_entity=True), {"NY": 10})
    named = [{(name, o.recipient) for name, o in us.clock_names(found.obligations) if o.kind == "regulator"} for found in (early, late)]
    assert named[0] == named[1]
    assert any(n == "us.regulator.4" and "Financial Services" in r for n, r in named[0])
