"""Assess an incident's newest facts (Art. 33/34, ENISA severity)."""

from __future__ import annotations

from typing import Any

from prefect import flow, task

from breach import instants
from breach.incidents import service as incidents
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime


@task
def assess_latest(incident_id: str) -> dict[str, Any]:
    """Record a new assessment version when the facts changed; return the verdict."""
    rt = runtime()
    with rt.sessions.begin() as session:
        row = incidents.assess_incident(session=session, incident_id=incident_id, actor=rt.actor, now=instants.utcnow())
        verdict = dict(row.result, version=row.version)
    emit("assessed", incident_id=incident_id, verdict=verdict)
    return {k: verdict[k] for k in ("risk", "notify_authority", "notify_subjects", "version")}


@flow(name="assess-incident")
def assess_incident(incident_id: str) -> dict[str, Any]:
    """Assess an incident; returns its verdict (no personal data)."""
    verdict = assess_latest(incident_id)
    refresh_case_file(incident_id)
    return verdict
