"""The whole response to one breach, step by step, as the DESIGN describes it."""

from __future__ import annotations

from typing import Any

from prefect import flow
from prefect.states import State

from breach.facts import Facts
from flows.assess import assess_latest
from flows.case_file import refresh_case_file
from flows.clock import start_deadlines
from flows.open_incident import checked_or_failed, open_checked

# The steps after the clocks (and the people file's) are imported when the run gets to them: a worker's flow-run
# process then reaches the verdict and the deadlines without loading letters, e-mail, approval and export first
# (bench/latency.py: the responder's wait from the API call to a visible verdict and deadline).


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
        from flows.people import check_people
        check_people(people_path)  # a file that cannot be imported is refused before the incident and its clock exist
    # Opening, assessing and the clocks are tasks of this run, not subflows: a sync subflow ends by joining its
    # heartbeat thread (up to a second each), and the responder waits for the verdict and the deadline.
    incident_id = open_checked(document)
    verdict = assess_latest(incident_id)
    try:
        if people_path:
            from flows.people import import_people
            refresh_case_file(incident_id)  # the verdict shows while the people file is read
            verdict = import_people(incident_id, people_path).get("reassessed") or verdict
    finally:
        deadlines = start_deadlines(incident_id)
        refresh_case_file(incident_id)
    from flows.approve import await_approval
    from flows.draft import draft_notices
    from flows.export import export_reports
    from flows.send import send_notices
    drafts = draft_notices(incident_id)
    decision = await_approval(incident_id) if drafts else "nothing"
    sent = send_notices(incident_id) if decision == "approved" else None
    exports = export_reports(incident_id)
    return {"incident_id": incident_id, "verdict": verdict, "deadlines": deadlines, "decision": decision,
            "sent": sent, "exports": exports}
