"""Open an incident from the facts a responder knows: from the deployment's Run form, the REST API or the CLI.

The facts arrive as the typed ``Facts`` parameter (Prefect's Run form shows every field with its
description and choices). They are checked here against the facts schema; bad facts fail the run
with a message naming the field, and nothing is stored.
"""

from __future__ import annotations

from typing import Any

from prefect import flow, get_run_logger, task
from prefect.states import Failed, State

from breach import instants
from breach.exceptions import InvalidFacts
from breach.facts import DOCUMENT, Facts, load_facts
from breach.incidents import service as incidents
from flows.case_file import refresh_case_file
from flows.progress import emit
from flows.runtime import runtime


def facts_document(facts: Facts | dict[str, Any]) -> dict[str, Any]:
    """The facts as the JSON document to store, checked against the schema (InvalidFacts names the field).

    Fields left empty in a form arrive as null; a null means "not known", exactly like a missing
    field, so nulls are dropped before the check.
    """
    raw = facts.model_dump(mode="json", exclude_unset=True) if isinstance(facts, Facts) else facts
    if not isinstance(raw, dict):
        raise InvalidFacts(DOCUMENT, "must be a JSON object of facts")
    document = _without_nulls(raw)
    load_facts(document)
    return document


def _without_nulls(value: dict[str, Any]) -> dict[str, Any]:
    return {k: _without_nulls(v) if isinstance(v, dict) else v for k, v in value.items() if v is not None}


@task
def store_incident(document: dict[str, Any]) -> str:
    """Store the incident (idempotent on its reference); a repeated reference with changed facts adds a version."""
    rt = runtime()
    with rt.sessions.begin() as session:
        opened = incidents.open_incident(session=session, document=document, actor=rt.actor,
                                         timezone=rt.controller.timezone, now=instants.utcnow())
    get_run_logger().info("%s", opened_message(opened, document.get("reference")))
    emit("opened", incident_id=opened.incident_id, created=opened.created, facts_version=opened.facts_version)
    return opened.incident_id


def opened_message(opened: incidents.Opened, reference: str | None) -> str:
    """One line saying what opening did: a new incident, the same one again, or a new facts version."""
    if opened.created:
        return f"opened incident {opened.incident_id}" + (f" for reference {reference}" if reference else "")
    if not opened.facts_changed:
        return f"reference {reference} is already incident {opened.incident_id}; its facts are unchanged (version {opened.facts_version})"
    return f"reference {reference} is already incident {opened.incident_id}; the changed facts are its version {opened.facts_version}"


def checked_or_failed(facts: Facts | dict[str, Any]) -> dict[str, Any] | State[Any]:
    """The checked document, or a Failed state whose message names the bad field (logged too)."""
    try:
        return facts_document(facts)
    except InvalidFacts as exc:
        message = f"invalid facts, nothing was stored: {exc}"
        get_run_logger().error("%s", message)
        return Failed(message=message)


def open_checked(document: dict[str, Any]) -> str:
    """Store a checked facts document and show the case file; returns the incident id."""
    incident_id = store_incident(document)
    refresh_case_file(incident_id)
    return incident_id


@flow(name="open-incident", validate_parameters=False)
def open_incident(facts: Facts) -> str | State[Any]:
    """Open (or find, by reference) the incident the facts describe; returns its id.

    Args:
        facts: what the responder knows (the facts schema); the same reference opens the same incident
    """
    document = checked_or_failed(facts)
    return document if isinstance(document, State) else open_checked(document)
