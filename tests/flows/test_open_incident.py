"""Opening an incident from the typed facts parameter (Run form, REST API, CLI): idempotent on the reference,
changed facts as a new version, bad facts refused with the field named and nothing stored; people from a location."""

from __future__ import annotations

import logging
import time

import fsspec
import pytest
from sqlalchemy import func, select

from breach.exceptions import InvalidPeopleFile
from breach.facts import load_facts
from breach.incidents import service as incidents
from breach.people.store import channel_counts
from breach.store.tables import FactsRow, IncidentRow
from flows.breach_response import breach_response
from flows.open_incident import facts_document, open_incident
from flows.people import import_people, readable_copy
from tests.factories import facts_doc, write_people_csv

pytestmark = pytest.mark.flows

PEOPLE = [["Åse Nordmann", "nb", "aase@example.org", "", "Storgata 1", "0155", "Oslo", "NO"],
          ["Søren Kjær", "da", "soren@example.com", "", "Nørregade 7", "1165", "København K", "DK"]]


def _count(rt, model) -> int:
    with rt.sessions() as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


def test_the_same_reference_opens_one_incident_and_changed_facts_add_a_version(rt, caplog):
    caplog.set_level(logging.INFO, logger="prefect")  # the run logger says what opening did, at INFO
    reference = f"SIEM-{time.time_ns()}"
    first = open_incident(load_facts(facts_doc(reference=reference)))
    # the Run form sends every field, defaults and nulls included: the same facts, so the same version
    as_the_form_sends_it = {**load_facts(facts_doc(reference=reference)).model_dump(mode="json"), "notes": None}
    assert open_incident(as_the_form_sends_it) == first
    again = open_incident(load_facts(facts_doc(reference=reference, subjects_affected=2500)))
    assert again == first
    with rt.sessions() as session:
        versions = session.execute(select(FactsRow.version).where(FactsRow.incident_id == first)).scalars().all()
        assert sorted(versions) == [1, 2]
        assert incidents.latest_facts(session=session, incident_id=first).document["subjects_affected"] == 2500
    messages = [r.getMessage() for r in caplog.records]
    assert f"opened incident {first} for reference {reference}" in messages
    assert f"reference {reference} is already incident {first}; its facts are unchanged (version 1)" in messages
    assert f"reference {reference} is already incident {first}; the changed facts are its version 2" in messages


@pytest.mark.parametrize(("document", "field", "message"), [
    ({"breach_types": ["confidentiality"], "data_categories": ["email"]}, "summary", "is required"),
    ({"summary": "x", "breach_types": ["theft"], "data_categories": ["email"]}, "breach_types[0]", "is not one of the allowed values"),
    ({"summary": "x", "breach_types": ["confidentiality"], "data_categories": ["email"], "aware_at": "2026-11-20T09:30:00"},
     "aware_at", "must be an RFC 3339 date-time with a time-zone offset"),
    ({"summary": "x", "breach_types": ["confidentiality"], "data_categories": ["email"], "controller": {"country": "dk"}},
     "controller.country", "must be an ISO 3166-1 alpha-2 country code"),
])
def test_bad_facts_fail_the_run_naming_the_field_and_store_nothing(rt, caplog, document, field, message):
    before = (_count(rt, IncidentRow), _count(rt, FactsRow))
    state = open_incident(document, return_state=True)
    assert state.is_failed()
    assert state.message.startswith(f"invalid facts, nothing was stored: {field}: {message}")
    assert any(f"{field}: {message}" in r.getMessage() for r in caplog.records if r.levelname == "ERROR")
    whole = breach_response(document, return_state=True)
    assert whole.is_failed() and f"{field}: {message}" in whole.message
    assert (_count(rt, IncidentRow), _count(rt, FactsRow)) == before


def test_a_facts_value_that_is_not_an_object_is_refused():
    from breach.exceptions import InvalidFacts

    with pytest.raises(InvalidFacts, match="must be a JSON object"):
        facts_document(["summary"])  # type: ignore[arg-type]


def test_people_come_from_a_file_url_or_any_fsspec_location(rt, tmp_path):
    incident_id = open_incident(load_facts(facts_doc(reference=f"LOC-{time.time_ns()}")))
    csv = write_people_csv(tmp_path / "people.csv", PEOPLE[:1])
    assert import_people(incident_id, csv.as_uri())["imported"] == 1
    remote = f"memory://bucket/{time.time_ns()}/more-people.csv"
    with fsspec.open(remote, "wb") as handle:
        handle.write(write_people_csv(tmp_path / "more.csv", PEOPLE[1:]).read_bytes())
    assert import_people(incident_id, remote)["imported"] == 1
    with rt.sessions() as session:
        assert channel_counts(session=session, incident_id=incident_id)["email"] == 2
    assert not list((rt.settings.data_dir / "tmp").glob(".people-*")), "the private copy is deleted after the import"


def test_a_location_the_worker_cannot_read_is_refused_clearly(tmp_path):
    with pytest.raises(InvalidPeopleFile, match=r"people.csv: cannot read it from memory:// \(FileNotFoundError\)"):
        with readable_copy("memory://nowhere/people.csv", folder=tmp_path):
            pass
    with pytest.raises(InvalidPeopleFile, match="s3:// locations need a package this worker lacks"):
        with readable_copy("s3://bucket/people.csv", folder=tmp_path):
            pass
