"""Import the people affected by an incident from a CSV or JSONL file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from breach import instants
from breach.clock import us as us_clocks
from breach.incidents import service as incidents
from breach.people.importer import check_people_file
from breach.people.store import import_people as store_people
from flows.progress import emit
from flows.runtime import runtime


@task(persist_result=False, cache_policy=NO_CACHE)
def import_file(incident_id: str, people_path: str) -> dict[str, Any]:
    """Stream the file into the incident in one transaction; the people's countries can change the Art. 3 verdict
    (a controller outside the EEA/UK), so the incident is assessed again; returns counts only."""
    rt = runtime()
    with rt.sessions.begin() as session:
        result = store_people(session=session, incident_id=incident_id, path=Path(people_path), cipher=rt.cipher,
                              batch_size=rt.settings.batch_size, actor=rt.actor, now=instants.utcnow(),
                              default_country=rt.controller.country,
                              progress=lambda n: emit("import_progress", incident_id=incident_id, rows=n))
        before = incidents.latest_assessment(session=session, incident_id=incident_id)
        after = incidents.assess_incident(session=session, incident_id=incident_id, actor=rt.actor, now=instants.utcnow())
        reassessed = before is not None and after.version != before.version  # Art. 3: the file named new countries
        verdict = dict(after.result, version=after.version)
        if rt.controller.us is not None:  # US duties count residents per state: their clocks start once people are known
            us_clocks.start_us_clocks(session=session, incident_id=incident_id, profile=rt.controller.us, actor=rt.actor,
                                      now=instants.utcnow())
    counts = result.report.as_counts()
    emit("imported", incident_id=incident_id, counts=counts, skipped=result.skipped_same_file,
         problems=[(p.line, p.column, p.code, p.message) for p in result.problems[:20]])
    if reassessed:
        emit("reassessed", incident_id=incident_id, verdict=verdict)
    compact = {k: verdict[k] for k in ("risk", "notify_authority", "notify_subjects", "version")} if reassessed else None
    return {**counts, "skipped_same_file": result.skipped_same_file, "reassessed": compact}


@task(persist_result=False, cache_policy=NO_CACHE)
def check_people(people_path: str) -> list[str]:
    """Refuse a people file that cannot be imported at all; returns the unknown columns it will ignore (names only)."""
    ignored = check_people_file(Path(people_path))
    if ignored:
        emit("people_columns_ignored", columns=ignored)
    return ignored


@flow(name="import-people")
def import_people(incident_id: str, people_path: str) -> dict[str, Any]:
    """Import affected people; bad rows are reported by line, good rows are kept."""
    return import_file(incident_id, people_path)
