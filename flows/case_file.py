"""The case file as a Prefect markdown artifact: one stable key per incident, refreshed after every step."""

from __future__ import annotations

from prefect.artifacts import create_markdown_artifact
from prefect.settings import get_current_settings

from breach import instants
from flows.runtime import runtime
from notices.casefile.markdown import case_file_markdown


def case_file_key(incident_id: str) -> str:
    """The artifact key of an incident's case file, e.g. case-br-2026-0007 (Prefect keys are lowercase)."""
    return f"case-{incident_id.lower()}"


def case_file_url(incident_id: str) -> str:
    """Where the Prefect UI lists every version of the case file (relative when PREFECT_UI_URL is not set)."""
    return f"{_ui_base()}/artifacts/key/{case_file_key(incident_id)}"


def _ui_base() -> str:
    return (get_current_settings().ui_url or "").rstrip("/")


def refresh_case_file(incident_id: str) -> str:
    """Write the incident's case file as a new version of its artifact (belonging to the flow run, not a task run,
    so the UI shows it on any server); returns the UI link to this version."""
    rt = runtime()
    with rt.sessions() as session:
        markdown = case_file_markdown(session=session, incident_id=incident_id, now=instants.utcnow())
    artifact_id = create_markdown_artifact(key=case_file_key(incident_id), markdown=markdown,
                                           description=f"Case file of {incident_id}: verdict, clocks, people, every draft in full, "
                                                       "approvals, deliveries, exports")
    return f"{_ui_base()}/artifacts/artifact/{artifact_id}"
