"""Draft the authority filing pack and the notices to people, per language and channel."""

from __future__ import annotations

from prefect import flow, task

from breach import instants
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime
from notices.content.drafting import check_outcome
from notices.content.drafting import draft_notices as store_drafts


@task
def draft(incident_id: str) -> list[str]:
    """Render and store drafts; returns 'kind/language/channel' labels."""
    rt = runtime()
    with rt.sessions.begin() as session:
        rows = store_drafts(session=session, incident_id=incident_id, controller=rt.controller, actor=rt.actor, now=instants.utcnow())
        labels = [f"{r.kind}/{r.language}/{r.channel}" for r in rows]
        check = check_outcome(session=session, incident_id=incident_id) or {}
    # languages, field names and draft labels only: the findings quote template text, never a person
    emit("drafted", incident_id=incident_id, drafts=labels, checked=check.get("passed"),
         missing_translations=check.get("missing_translations") or {}, findings=check.get("findings") or [])
    return labels


@flow(name="draft-notices")
def draft_notices(incident_id: str) -> list[str]:
    """Draft every notice the assessment calls for."""
    labels = draft(incident_id)
    refresh_case_file(incident_id)
    return labels
