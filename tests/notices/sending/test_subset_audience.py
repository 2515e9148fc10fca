"""Art. 34(1) for a subset (#15): drafting, the outbox, the filing pack and status tell exactly the people the rule names."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from breach.controller import load_profile
from breach.incidents import service as incidents
from breach.keys.cipher import MultiKeyCipher
from breach.people.audience import audience
from breach.people.store import import_people
from breach.store.tables import AuditEventRow, DeliveryRow, PersonRow
from flows.cli.status import told_line
from flows.cli.words import words
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.report.notification import authority_params
from notices.report.pack import build_filing_pack
from notices.report.views import filing_pack_markdown
from notices.sending.outbox import fill_outbox
from tests.factories import approve, set_roster, write_people_csv

pytestmark = pytest.mark.integration
ACTOR, MANAGER = "responder@example.com", "manager@example.com"
CIPHER = MultiKeyCipher.from_master_keys([b"s" * 32])
HEADER = ["name", "language", "email", "country", "protected_address"]
FACTS = {"summary": "A customer list sent to the wrong recipients.", "breach_types": ["confidentiality"], "cause": "human_error",
         "malicious": False, "data_categories": ["name", "postal_address"], "subject_categories": ["customers"],
         "subjects_affected": 4, "exfiltration": "none", "recipient": "untrusted", "recipients_count": 3,
         "aware_at": "2026-11-20T09:30:00+01:00", "controller": {"name": "Testfirma ApS", "country": "DK"},
         "protected_address_subjects_present": True,
         "measures_taken": ["The recipients confirmed deleting the list."], "text_language": "en",
         "translations": {"da": {"summary": "En kundeliste blev sendt til de forkerte modtagere.",
                                 "measures_taken": ["Modtagerne har bekræftet, at de har slettet listen."]},
                          "nb": {"summary": "En kundeliste ble sendt til feil mottakere.",
                                 "measures_taken": ["Mottakerne har bekreftet at de har slettet listen."]}}}


def _incident(session, now, tmp_path, rows: list[list[str]]) -> str:
    opened = incidents.open_incident(session=session, document={**FACTS, "reference": f"SUB-{tmp_path.name}"}, actor=ACTOR,
                                     timezone="Europe/Copenhagen", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    people = write_people_csv(tmp_path / "people.csv", rows, header=HEADER)
    import_people(session=session, incident_id=opened.incident_id, path=people, cipher=CIPHER, batch_size=1000, actor=ACTOR, now=now)
    return opened.incident_id


def test_only_the_people_with_a_protected_address_are_drafted_for_and_sent_to(session, now, tmp_path) -> None:
    incident_id = _incident(session, now, tmp_path, [
        ["Ada Hemmelig", "da", "ada@example.com", "DK", "ja"], ["Bo Åben", "da", "bo@example.com", "DK", "nej"],
        ["Cy Open", "en", "cy@example.com", "GB", ""], ["Dag Skjult", "nb", "dag@example.org", "NO", "true"]])
    result = incidents.latest_assessment(session=session, incident_id=incident_id).result
    told = audience(session=session, incident_id=incident_id, result=result)
    assert (told.who, told.told, told.not_told, told.rule) == ("subset", 2, 2, {"column": "protected_address", "equals": True})
    profile = load_profile(EXAMPLES / "controller.json")
    rows = draft_notices(session=session, incident_id=incident_id, controller=profile, actor=ACTOR, now=now)
    assert {(r.language, r.channel) for r in rows if r.kind == "subject_notice"} == {("da", "email"), ("nb", "email")}  # no English
    set_roster(session=session, now=now, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=now, actor=MANAGER, comment="")
    fill_outbox(session=session, incident_id=incident_id, batch_size=1000, actor=ACTOR, now=now)
    sent_to = session.execute(select(PersonRow.protected_address).join(DeliveryRow, DeliveryRow.person_id == PersonRow.id)
                              .where(DeliveryRow.incident_id == incident_id)).scalars().all()
    assert sorted(sent_to) == [True, True]
    filled = session.execute(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id,
                                                         AuditEventRow.action == "outbox.filled")).scalar_one()
    assert filled.details["audience"]["who"] == "subset" and filled.details["audience"]["not_told"] == 2

    pack = build_filing_pack(authority_params(session=session, incident_id=incident_id, controller=profile))
    assert pack["audience"]["told"] == 2 and pack["sections"]["communication"]["fields"]["people_told"]["answer"] == 2
    assert "2 af 4 underrettet: kun personer markeret protected_address" in filing_pack_markdown(pack)
    assert "not told: 2" in told_line(told, words("en"))
    assert json.dumps(pack["audience"])  # counts and column names only


def test_a_file_that_cannot_single_them_out_means_everyone_is_told(session, now, tmp_path) -> None:
    incident_id = _incident(session, now, tmp_path, [["Ada Hemmelig", "da", "ada@example.com", "DK", ""],
                                                     ["Bo Åben", "da", "bo@example.com", "DK", ""]])
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    told = audience(session=session, incident_id=incident_id, result=assessment.result)
    assert (told.who, told.told, told.not_told) == ("everyone", 2, 0) and "everyone must be told" in told.why


def test_a_yes_no_cell_that_is_neither_is_refused_by_line_and_column(session, now, tmp_path) -> None:
    from breach.people.importer import read_people

    path = write_people_csv(tmp_path / "bad.csv", [["Ada", "da", "ada@example.com", "DK", "maybe"]], header=HEADER)
    [problem] = list(read_people(path, default_country="DK", index_key=b"k" * 32))
    assert (problem.line, problem.column, problem.code) == (2, "protected_address", "invalid_flag")
