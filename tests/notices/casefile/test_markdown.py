"""The case file: everything a decider needs, no affected person's data, every draft in full, the changes since a manager saw them."""

from __future__ import annotations

import pytest

from breach.clock import deadlines
from breach.controller import load_profile
from breach.enums import ApprovalDecision
from breach.incidents import service as incidents
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import import_people
from flows.runtime import EXAMPLES
from notices.casefile.drafts import SAMPLE_NAMES, wrapped
from notices.casefile.markdown import case_file_markdown
from notices.casefile.text import fenced, inline, table
from notices.content.drafting import draft_notices
from tests.factories import approve, facts_doc, make_incident, set_roster, write_people_csv

pytestmark = pytest.mark.integration
RESPONDER = "os:responder"
PEOPLE = [["Ulla Ui", "da", "ulla@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
          ["Vera Brev", "en", "", "letter", "1 High Street", "AB1 2CD", "Leeds", "GB"],
          ["Ingen Kanal", "nb", "", "", "", "", "", "NO"]]


def _drafted(session, now, tmp_path, **facts):
    set_roster(session=session, now=now)
    incident_id = make_incident(session=session, now=now, reference=f"CF-{tmp_path.name}", actor=RESPONDER, **facts)
    deadlines.start_clocks(session=session, incident=incidents.get(session=session, incident_id=incident_id),
                           assessment=incidents.latest_assessment(session=session, incident_id=incident_id), dpa_hours=None,
                           actor=RESPONDER, now=now)
    people = write_people_csv(tmp_path / "people.csv", PEOPLE)
    import_people(session=session, incident_id=incident_id, path=people, cipher=MultiKeyCipher.from_master_keys([b"c" * 32]),
                  batch_size=1000, actor=RESPONDER, now=now)
    draft_notices(session=session, incident_id=incident_id, controller=load_profile(EXAMPLES / "controller.json"), actor=RESPONDER, now=now)
    return incident_id


def test_the_case_file_holds_verdict_clocks_people_drafts_and_no_person(session, now, tmp_path):
    incident_id = _drafted(session, now, tmp_path)
    text = case_file_markdown(session=session, incident_id=incident_id, now=now)
    for section in ("# Case file", "## Verdict", "## Clocks (shown in Europe/Copenhagen)", "## People", "## Drafts", "## Approvals",
                    "## Deliveries", "## Exports"):
        assert section in text
    verdict = incidents.latest_assessment(session=session, incident_id=incident_id).result
    for entry in verdict["rationale"]:  # every rule that fired, with its finding
        assert f"**{inline(entry['rule'])}**: {inline(entry['finding'])}" in text
    assert "Risk **high**" in text and "Datatilsynet" in text
    assert "| da | 1 | 0 | 0 | 1 |" in text and "| all | 1 | 1 | 1 | 3 |" in text
    assert "| authority (DK) | Monday 23 November 2026, 09:30 (Danish time) | 2026-11-23T08:30:00+00:00 | in 46 hours | running |" in text
    for name, address in (("Ulla Ui", "ulla@example.com"), ("Vera Brev", "1 High Street"), ("Ingen Kanal", "Nørregade 7")):
        assert name not in text and address not in text


def test_every_draft_is_shown_in_full_for_an_invented_person(session, now, tmp_path):
    incident_id = _drafted(session, now, tmp_path)
    text = case_file_markdown(session=session, incident_id=incident_id, now=now)
    for heading in ("#### subject_notice / da / email", "#### subject_notice / en / letter", "#### authority_report / da / form"):
        assert heading in text
    assert f"Kære {SAMPLE_NAMES['da']}" in text and SAMPLE_NAMES["en"] in text
    assert "-recipient_name_text-" not in text
    assert "No manager has decided on any version yet" in text


def test_a_manager_sees_what_changed_since_the_version_they_rejected(session, now, tmp_path):
    incident_id = _drafted(session, now, tmp_path)
    approve(session=session, incident_id=incident_id, now=now, decision=ApprovalDecision.REJECTED, comment="Nævn <b>support-kontoen</b>.")
    reference = incidents.get(session=session, incident_id=incident_id).reference
    translations = facts_doc()["translations"]
    translations["da"] = dict(translations["da"], summary="En angriber brugte en stjålet support-konto til at kopiere kundedatabasen.")
    changed = facts_doc(reference=reference, summary="An attacker used a stolen support account to copy the customer database.",
                        translations=translations)
    incidents.open_incident(session=session, document=changed, actor=RESPONDER, timezone="Europe/Copenhagen", now=now)
    incidents.assess_incident(session=session, incident_id=incident_id, actor=RESPONDER, now=now)
    draft_notices(session=session, incident_id=incident_id, controller=load_profile(EXAMPLES / "controller.json"), actor=RESPONDER, now=now)
    text = case_file_markdown(session=session, incident_id=incident_id, now=now)
    changes = text.split("### Changes since the version a manager saw", 1)[1].split("### Every draft in full", 1)[0]
    assert "Compared with round 1, which manager@example.com rejected" in changes
    assert "Nævn &lt;b&gt;support-kontoen&lt;/b&gt;." not in changes and "Nævn \\<b\\>support-kontoen\\</b\\>." in changes  # text, not HTML
    assert "-En angriber kopierede kundedatabasen for en bookingtjeneste." in changes
    assert "+En angriber brugte en stjålet support-konto til at kopiere kundedatabasen." in changes
    assert "+An attacker used a stolen support account to copy the customer database." in changes
    assert "**subject_notice / da / email** (changed)" in changes and "**subject_notice / en / letter** (changed)" in changes


def test_free_text_cannot_break_out_of_its_place():
    assert inline("a | b <script>x</script> [link](http://x) ![i](y)") == r"a \| b \<script\>x\</script\> \[link\](http://x) !\[i\](y)"
    assert fenced("```\nend") == "````text\n```\nend\n````\n"
    assert table(["a"], [["x|y\nz"]]) == "| a |\n|---|\n| x\\|y z |\n"


def test_long_lines_are_wrapped_for_reading_only():
    assert max(len(line) for line in wrapped("- " + "ord " * 60).splitlines()) <= 96
    assert all(line.startswith("+") for line in wrapped("+" + "ord " * 60, diff=True).splitlines())
