"""Open an incident from the facts a responder knows."""

from __future__ import annotations

import json
from pathlib import Path

from prefect import flow, task

from breach import instants
from breach.incidents import service as incidents
from flows.progress import emit
from flows.runtime import runtime


@task
def store_incident(facts_path: str) -> str:
    """Validate the facts and store the incident (idempotent on its reference)."""
    rt = runtime()
    document = json.loads(Path(facts_path).read_text(encoding="utf-8"))
    with rt.sessions.begin() as session:
        opened = incidents.open_incident(session=session, document=document, actor=rt.actor,
                                         timezone=rt.controller.timezone, now=instants.utcnow())
    emit("opened", incident_id=opened.incident_id, created=opened.created, facts_version=opened.facts_version)
    return opened.incident_id


@flow(name="open-incident")
def open_incident(facts_path: str) -> str:
    """Open (or find, by reference) the incident described by a facts file; returns its id."""
    return store_incident(facts_path)
