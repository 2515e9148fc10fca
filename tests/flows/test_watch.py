"""The scheduled watcher raises each reminder once, even when it was not running when they fell due."""

from __future__ import annotations

import json
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from breach import instants
from breach.facts import load_facts
from breach.store.tables import AuditEventRow
from flows.assess import assess_incident
from flows.clock import start_clock
from flows.open_incident import open_incident
from flows.watch import clock_watch
from tests.factories import facts_doc

pytestmark = pytest.mark.flows


def _reminders(rt, incident_id):
    with rt.sessions() as session:
        stmt = select(AuditEventRow.details).where(AuditEventRow.incident_id == incident_id,
                                                   AuditEventRow.action.in_(["clock.reminder", "clock.overdue"]))
        return sorted(d["lead_minutes"] for d in session.execute(stmt).scalars())


def test_missed_reminders_are_raised_once_when_watching_resumes(rt, tmp_path):
    aware = instants.utcnow() - timedelta(hours=71, minutes=30)  # 30 minutes left: 48 h, 24 h, 6 h and 1 h all passed
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(facts_doc(reference=f"CW-{time.time_ns()}", aware_at=aware.isoformat())), encoding="utf-8")
    incident_id = open_incident(load_facts(facts))
    assess_incident(incident_id)
    [due] = start_clock(incident_id)
    assert instants.parse_instant(due) - aware == timedelta(hours=72)
    assert _reminders(rt, incident_id) == []
    clock_watch()
    assert _reminders(rt, incident_id) == [60, 360, 1440, 2880]
    clock_watch()  # a second run (or an overlapping one) raises nothing again
    assert _reminders(rt, incident_id) == [60, 360, 1440, 2880]
    mails = list((rt.settings.outbox_dir / "clock-watch" / "email").glob("*.eml"))
    assert any(incident_id in path.read_text(encoding="utf-8") for path in mails)


def _artifact(incident_id):
    from prefect.client.orchestration import get_client

    # Artifact.get sends null offset/filters that this server version refuses (422); ask for the newest version directly.
    body = {"artifacts": {"key": {"any_": [f"clock-{incident_id.lower()}"]}}, "sort": "CREATED_DESC", "limit": 1, "offset": 0}
    with get_client(sync_client=True) as client:
        found = client.request("POST", "/artifacts/filter", json=body).json()
    return found[0]["data"] if found else None


def test_restart_without_loss_across_runs_with_time_moved(rt, tmp_path):
    # every instant below is in the past: nothing else is claimed early
    aware = instants.utcnow().replace(microsecond=0) - timedelta(hours=74)
    doc = facts_doc(reference=f"CW-{time.time_ns()}", aware_at=aware.isoformat(), regimes={"nis2_entity": "important"})
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(doc), encoding="utf-8")
    incident_id = open_incident(load_facts(facts))
    assess_incident(incident_id)
    assert len(start_clock(incident_id)) == 3  # GDPR authority, NIS2 early warning, NIS2 incident notification

    def at(hours: float) -> str:
        return (aware + timedelta(hours=hours)).isoformat()


    clock_watch(now_iso=at(30))  # the 48 h reminder of the 72 h clocks; the early warning's 6 h and 1 h and its overdue
    first = _reminders(rt, incident_id)
    assert first == [0, 60, 360, 2880, 2880]
    board = _artifact(incident_id)
    assert incident_id in board and "authority (DK)" in board and "nis2.incident_notification (csirt)" in board
    assert "in 42 hours" in board and "nis2.early_warning" in board and "overdue" in board

    clock_watch(now_iso=at(30))  # the same instant again, e.g. an overlapping run: nothing twice
    assert _reminders(rt, incident_id) == first
    # the watcher was down from +30 h to +71.5 h: the 24 h, 6 h and 1 h reminders of both 72 h clocks are raised once now
    clock_watch(now_iso=at(71.5))
    assert _reminders(rt, incident_id) == sorted(first + [60, 60, 360, 360, 1440, 1440])
    assert "in 0 hours" in _artifact(incident_id)
    clock_watch(now_iso=at(73))
    assert _reminders(rt, incident_id) == sorted(first + [0, 0, 60, 60, 360, 360, 1440, 1440])
    assert "overdue by 1 hour |" in _artifact(incident_id)
