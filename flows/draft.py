"""Draft the authority filing pack and the notices to people, per language and channel."""

from __future__ import annotations

from prefect import flow, task

from breach import instants
from flows.progress import emit
from flows.runtime import runtime
from notices.content.drafting import draft_notices as store_drafts


@task
def draft(incident_id: str) -> list[str]:
    """Render and store drafts; returns 'kind/language/channel' labels."""
    rt = runtime()
    with rt.sessions.begin() as session:
        rows = store_drafts(session=session, incident_id=incident_id, controller=rt.controller, actor=rt.actor, now=instants.utcnow())
        labels = [f"{r.kind}/{r.language}/{r.channel}" for r in rows]
    emit("drafted", incident_id=incident_id, drafts=labels)
    return labels


@flow(name="draft-notices")
def draft_notices(incident_id: str) -> list[str]:
    """Draft every notice the assessment calls for."""
    return draft(incident_id)
