"""The whole response to one breach, step by step, as the DESIGN describes it."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from breach.facts import Facts
from flows.approve import await_approval
from flows.assess import assess_incident
from flows.clock import start_clock
from flows.draft import draft_notices
from flows.export import export_reports
from flows.open_incident import checked_or_failed, open_checked
from flows.people import check_people, import_people
from flows.send import send_notices


@flow(name="breach-response", validate_parameters=False)
def breach_response(facts: Facts, people_path: str | None = None) -> dict[str, Any] | State[Any]:
    """Open, assess, import people, start the clocks, draft, wait for approval, send, export.

    The people file comes before the clocks because it can change what is owed: its countries enter the
    GDPR Art. 3 verdict, and US duties count residents per state. The clocks start even when the import fails.
    Every step is idempotent, so running this again (or resuming a suspended run, which
    starts from the top) continues where the last run stopped. Bad facts fail the run with a
    message naming the field, before anything is stored.

    Args:
        facts: what the responder knows (the facts schema); the same reference opens the same incident, changed facts add a version
        people_path: where the worker reads the affected people (CSV or JSONL): a path, a file:// URL or an fsspec URL
            such as s3://bucket/people.csv; never the people themselves
    """
    document = checked_or_failed(facts)
    if isinstance(document, State):
        return document
    if people_path:
        check_people(people_path)  # a file that cannot be imported is refused before the incident and its clock exist
    incident_id = open_checked(document)
    verdict = assess_incident(incident_id)
    try:
        if people_path:
            verdict = import_people(incident_id, people_path).get("reassessed") or verdict
    finally:
        deadlines = start_clock(incident_id)
    drafts = draft_notices(incident_id)
    decision = await_approval(incident_id) if drafts else "nothing"
    sent = send_notices(incident_id) if decision == "approved" else None
    exports = export_reports(incident_id)
    return {"incident_id": incident_id, "verdict": verdict, "deadlines": deadlines, "decision": decision,
            "sent": sent, "exports": exports}
