"""Start the clocks an incident's facts and assessment call for under every regime in force.

GDPR Art. 33(1): 72 hours from awareness; Art. 33(2) for a processor; NIS2 Art. 23(4), DORA Art. 19(4)
and Reg. (EU) 611/2013 Art. 2 where the facts flag them (rules in ``breach/data/regimes.json``); US state
and federal duties with a date once the people file says where people live (``breach.clock.us.duties``).
"""

from __future__ import annotations

from prefect import flow, task

from breach import instants
from breach.clock import deadlines
from breach.clock.us import duties as us_clocks
from breach.facts import load_facts
from breach.incidents import service as incidents
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime


@task
def start_deadlines(incident_id: str) -> list[str]:
    """Persist deadline rows and their reminders; returns the due instants (ISO 8601)."""
    rt = runtime()
    with rt.sessions.begin() as session:
        incident = incidents.get(session=session, incident_id=incident_id)
        assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
        if assessment is None:
            return []
        facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
        dpa_hours = facts.controller.dpa_hours if facts.controller else None
        rows = deadlines.start_clocks(session=session, incident=incident, assessment=assessment, dpa_hours=dpa_hours,
                                      actor=rt.actor, now=instants.utcnow())
        if rt.controller.us is not None:  # US state and federal duties, per state with residents in the people file
            rows += us_clocks.start_us_clocks(session=session, incident_id=incident_id, profile=rt.controller.us, actor=rt.actor,
                                              now=instants.utcnow())
        rows.sort(key=lambda r: r.due_at)
        started = [(r.obligation, r.party, r.due_at) for r in rows]
        zone = incident.timezone
    emit("clock", incident_id=incident_id, timezone=zone, deadlines=started)
    return [due.isoformat() for _, _, due in started]


@flow(name="start-clock")
def start_clock(incident_id: str) -> list[str]:
    """Start an incident's deadlines; returns them as ISO 8601 instants."""
    started = start_deadlines(incident_id)
    refresh_case_file(incident_id)
    return started
