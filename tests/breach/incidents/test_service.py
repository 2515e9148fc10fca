from datetime import timedelta

import pytest
from sqlalchemy import func, select

from breach.clock import deadlines, filing
from breach.exceptions import DeadlineMissed, InvalidFacts
from breach.incidents import service as incidents
from breach.store.tables import AuditEventRow, FactsRow, IncidentRow
from tests.factories import facts_doc, make_incident

pytestmark = pytest.mark.integration


def test_open_is_idempotent_on_reference(session, now):
    doc = facts_doc(reference="TICKET-1")
    first = incidents.open_incident(session=session, document=doc, actor="r@example.com", timezone="Europe/Copenhagen", now=now)
    again = incidents.open_incident(session=session, document=doc, actor="r@example.com", timezone="Europe/Copenhagen", now=now)
    assert first.created and not again.created and first.incident_id == again.incident_id
    assert first.incident_id.startswith(f"BR-{now.year}-")


def test_new_facts_make_a_new_version_and_a_new_assessment(session, now):
    doc = facts_doc(reference="TICKET-2")
    opened = incidents.open_incident(session=session, document=doc, actor="r@example.com", timezone="Europe/Copenhagen", now=now)
    first = incidents.assess_incident(session=session, incident_id=opened.incident_id, actor="r@example.com", now=now)
    changed = incidents.open_incident(session=session, document={**doc, "subjects_affected": 5000}, actor="r@example.com",
                                      timezone="Europe/Copenhagen", now=now)
    second = incidents.assess_incident(session=session, incident_id=opened.incident_id, actor="r@example.com", now=now)
    assert changed.facts_version == 2 and (first.version, second.version) == (1, 2)
    assert incidents.latest_facts(session=session, incident_id=opened.incident_id).document["subjects_affected"] == 5000


def test_invalid_facts_store_nothing(session, now):
    before = _rows(session)
    with pytest.raises(InvalidFacts) as info:
        incidents.open_incident(session=session, document=facts_doc(breach_types=["theft"]), actor="r", timezone="UTC", now=now)
    assert "breach_types" in info.value.field
    assert _rows(session) == before


def _rows(session) -> list[int]:
    """Incidents, facts versions and audit entries stored: an invalid document adds to none of them."""
    return [session.execute(select(func.count()).select_from(table)).scalar_one() for table in (IncidentRow, FactsRow, AuditEventRow)]


def _clocked(session, now):
    incident_id = make_incident(session=session, now=now)
    incident = incidents.get(session=session, incident_id=incident_id)
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    rows = deadlines.start_clocks(session=session, incident=incident, assessment=assessment, dpa_hours=None, actor="r", now=now)
    return incident_id, rows


def test_authority_clock_is_72_hours_after_awareness(session, now):
    incident_id, rows = _clocked(session, now)
    assert [(r.obligation, r.party) for r in rows] == [("authority", "DK")]
    aware = incidents.get(session=session, incident_id=incident_id).aware_at
    assert rows[0].due_at - aware == timedelta(hours=72)
    assert rows[0].due_at.tzinfo is not None


def test_reminders_are_raised_once_even_after_a_gap(session, now):
    incident_id, rows = _clocked(session, now)
    due = rows[0].due_at
    later = due - timedelta(hours=5)  # 48 h, 24 h and 6 h reminders all fell due while nobody watched
    raised = [r for r in deadlines.claim_due_reminders(session=session, now=later) if r.incident_id == incident_id]
    assert sorted(r.lead_minutes for r in raised) == [360, 1440, 2880]
    again = [r for r in deadlines.claim_due_reminders(session=session, now=later) if r.incident_id == incident_id]
    assert again == []


def test_filing_stops_the_clock(session, now, tmp_path):
    incident_id, rows = _clocked(session, now)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    row = filing.record_filing(session=session, incident_id=incident_id, authority_code=None, receipt=receipt, actor="r",
                               now=rows[0].due_at - timedelta(hours=1))
    assert row.authority_code == "DK" and not row.late
    assert deadlines.deadlines_of(session=session, incident_id=incident_id)[0].state == "met"


def test_late_filing_without_reasons_is_refused(session, now, tmp_path):
    incident_id, rows = _clocked(session, now)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    late = rows[0].due_at + timedelta(hours=3)
    with pytest.raises(DeadlineMissed):
        filing.record_filing(session=session, incident_id=incident_id, authority_code="DK", receipt=receipt, actor="r", now=late)
    row = filing.record_filing(session=session, incident_id=incident_id, authority_code="DK", receipt=receipt, actor="r", now=late,
                               reasons_for_delay="forensic analysis took longer than expected")
    assert row.late and deadlines.deadlines_of(session=session, incident_id=incident_id)[0].state == "stopped_late"


def test_incidents_opened_at_the_same_moment_in_two_sessions_get_two_ids(db_url):
    """The year's counter row is created by whichever session comes first; the other waits and takes the next id."""
    import random
    import threading

    from sqlalchemy.orm import sessionmaker

    from breach.store.session import engine_for
    from breach.store.tables import IdCounter

    year = random.randrange(2200, 9000)  # a year no other test uses: the counter row does not exist yet
    sessions = sessionmaker(bind=engine_for(db_url))
    first_has_its_id, ids, errors = threading.Event(), [], []

    def first() -> None:
        with sessions.begin() as session:
            ids.append(incidents.next_incident_id(session=session, year=year))
            first_has_its_id.set()
            second_thread.join(timeout=0.5)  # hold the transaction while the second one asks

    def second() -> None:
        first_has_its_id.wait(10)
        try:
            with sessions.begin() as session:
                ids.append(incidents.next_incident_id(session=session, year=year))
        except Exception as exc:  # the failure this test is about: a second insert of the year's row
            errors.append(exc)

    second_thread = threading.Thread(target=second)
    first_thread = threading.Thread(target=first)
    second_thread.start()
    first_thread.start()
    first_thread.join(30)
    second_thread.join(30)
    assert errors == []
    assert sorted(ids) == [f"BR-{year}-0001", f"BR-{year}-0002"]
    with sessions.begin() as session:
        session.execute(IdCounter.__table__.delete().where(IdCounter.year == year))
