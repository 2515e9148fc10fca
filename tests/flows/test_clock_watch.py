"""The scheduled watcher raises each reminder once, even when it was not running when they fell due."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from breach import clock
from breach.store.tables import AuditEventRow
from flows.assess import assess_incident
from flows.clock import start_clock
from flows.clock_watch import clock_watch
from flows.open_incident import open_incident
from tests.factories import facts_doc

pytestmark = pytest.mark.flows


def _reminders(rt, incident_id):
    with rt.sessions() as session:
        stmt = select(AuditEventRow.details).where(AuditEventRow.incident_id == incident_id,
                                                   AuditEventRow.action.in_(["clock.reminder", "clock.overdue"]))
        return sorted(d["lead_minutes"] for d in session.execute(stmt).scalars())


def test_missed_reminders_are_raised_once_when_watching_resumes(rt, tmp_path):
    aware = clock.utcnow() - timedelta(hours=71, minutes=30)  # 30 minutes left: 48 h, 24 h, 6 h and 1 h all passed
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(facts_doc(reference=f"CW-{time.time_ns()}", aware_at=aware.isoformat())), encoding="utf-8")
    incident_id = open_incident(str(facts))
    assess_incident(incident_id)
    [due] = start_clock(incident_id)
    assert clock.parse_instant(due) - aware == timedelta(hours=72)
    assert _reminders(rt, incident_id) == []
    clock_watch()
    assert _reminders(rt, incident_id) == [60, 360, 1440, 2880]
    clock_watch()  # a second run (or an overlapping one) raises nothing again
    assert _reminders(rt, incident_id) == [60, 360, 1440, 2880]
    mails = list((rt.settings.outbox_dir / "clock-watch" / "email").glob("*.eml"))
    assert any(incident_id in path.read_text(encoding="utf-8") for path in mails)
