"""Stored deadlines for every regime's obligation, their reminders, and follow-on clocks after a report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from breach import audit
from breach.clock import deadlines
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from tests.factories import make_incident

pytestmark = pytest.mark.integration

CPH = ZoneInfo("Europe/Copenhagen")
AWARE = datetime(2026, 11, 20, 8, 30, tzinfo=UTC)  # facts_doc: 09:30 Copenhagen
REGIMES = {"nis2_entity": "essential", "dora_financial_entity": True, "classified_major_at": "2026-11-20T11:00:00+01:00"}


def _start(session, now, **kwargs):
    overrides = kwargs.pop("overrides", {})
    incident_id = make_incident(session=session, now=now, **overrides)
    incident = incidents.get(session=session, incident_id=incident_id)
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    rows = deadlines.start_clocks(session=session, incident=incident, assessment=assessment, dpa_hours=kwargs.pop("dpa_hours", None),
                                  actor="r", now=now, **kwargs)
    return incident_id, {(r.obligation, r.party): r for r in rows}


def _leads(session, row):
    from sqlalchemy import select

    from breach.store.tables import ReminderRow

    stmt = select(ReminderRow.lead_minutes).where(ReminderRow.deadline_id == row.id)
    return sorted(session.execute(stmt).scalars(), reverse=True)


def test_every_regime_with_a_known_anchor_gets_a_row(session, now):
    incident_id, rows = _start(session, now, overrides={"regimes": REGIMES})
    assert set(rows) == {("authority", "DK"), ("nis2.early_warning", "csirt"), ("nis2.incident_notification", "csirt"),
                         ("dora.initial", "competent_authority")}
    assert rows[("authority", "DK")].due_at == AWARE + timedelta(hours=72)
    assert rows[("nis2.early_warning", "csirt")].due_at == AWARE + timedelta(hours=24)
    assert rows[("dora.initial", "competent_authority")].due_at == datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    assert rows[("dora.initial", "competent_authority")].anchor_at == datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    assert "Art. 23(4)(a)" in rows[("nis2.early_warning", "csirt")].legal_basis
    again = deadlines.start_clocks(session=session, incident=incidents.get(session=session, incident_id=incident_id),
                                   assessment=incidents.latest_assessment(session=session, incident_id=incident_id),
                                   dpa_hours=None, actor="r", now=now)
    assert sorted(r.id for r in again) == sorted(r.id for r in rows.values())  # idempotent


def test_reminders_only_after_the_anchor_plus_the_overdue_escalation(session, now):
    _, rows = _start(session, now, overrides={"regimes": REGIMES})
    assert _leads(session, rows[("authority", "DK")]) == [2880, 1440, 360, 60, 0]
    assert _leads(session, rows[("nis2.early_warning", "csirt")]) == [360, 60, 0]  # 48 h and 24 h before would precede awareness
    assert _leads(session, rows[("dora.initial", "competent_authority")]) == [60, 0]


def test_reminder_points_are_configurable(session, now):
    _, rows = _start(session, now, reminder_leads=[timedelta(hours=12), timedelta(minutes=30)])
    assert _leads(session, rows[("authority", "DK")]) == [720, 30, 0]


def test_processor_deadline_from_the_dpa(session, now):
    _, rows = _start(session, now, dpa_hours=6, overrides={"role": "processor"})
    assert set(rows) == {("controller", "controller")}
    assert rows[("controller", "controller")].due_at == AWARE + timedelta(hours=6)
    _, default = _start(session, now, overrides={"role": "processor", "reference": "P-2"})
    assert default[("controller", "controller")].due_at == AWARE + timedelta(hours=24)


def test_a_report_made_starts_the_clock_anchored_on_it(session, now):
    incident_id, rows = _start(session, now, overrides={"regimes": REGIMES})
    notified = datetime(2026, 11, 22, 14, 10, tzinfo=UTC)
    started = deadlines.record_report(session=session, incident_id=incident_id, obligation_id="nis2.incident_notification",
                                      at=notified, actor="r", now=notified)
    assert [(r.obligation, r.party) for r in started] == [("nis2.final_report", "csirt")]
    assert started[0].due_at == datetime(2026, 12, 22, 15, 10, tzinfo=CPH)  # one calendar month, Copenhagen wall clock
    assert rows[("nis2.incident_notification", "csirt")].state == "met"
    initial = datetime(2026, 11, 20, 13, 0, tzinfo=UTC)
    [intermediate] = deadlines.record_report(session=session, incident_id=incident_id, obligation_id="dora.initial",
                                             at=initial, actor="r", now=initial)
    assert (intermediate.obligation, intermediate.due_at) == ("dora.intermediate", initial + timedelta(hours=72))
    late = initial + timedelta(hours=80)
    [final] = deadlines.record_report(session=session, incident_id=incident_id, obligation_id="dora.intermediate", at=late,
                                      actor="r", now=late)
    assert intermediate.state == "stopped_late" and final.obligation == "dora.final"
    assert final.due_at == datetime(2026, 12, 23, 22, 0, tzinfo=CPH)
    assert audit.verify(session=session).entries > 0


def test_reporting_an_unknown_obligation_is_refused(session, now):
    incident_id, _ = _start(session, now)
    with pytest.raises(BreachError, match="nis2.early_warning"):
        deadlines.record_report(session=session, incident_id=incident_id, obligation_id="nis2.early_warning", at=now, actor="r", now=now)


def test_running_by_incident_groups_with_the_zone(session, now):
    incident_id, rows = _start(session, now, overrides={"regimes": REGIMES})
    zone, running = deadlines.running_by_incident(session=session)[incident_id]
    assert zone == "Europe/Copenhagen" and len(running) == len(rows)
    assert [r.due_at for r in running] == sorted(r.due_at for r in running)


def test_pending_obligations_say_why_they_have_no_clock(session, now):
    incident_id, _ = _start(session, now, overrides={"regimes": REGIMES})
    pending = {o.id: o.reason for o in deadlines.pending_obligations(session=session, incident_id=incident_id, now=now)}
    assert pending == {"gdpr.subjects": "no fixed deadline: without undue delay",
                       "nis2.final_report": "starts when nis2.incident_notification has been made",
                       "dora.intermediate": "starts when dora.initial has been made",
                       "dora.final": "starts when dora.intermediate has been made"}
