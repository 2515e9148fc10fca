"""The authority filing pack: fields from facts and assessment, form order, Markdown and PDF views."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from breach.controller import ControllerProfile
from breach.exceptions import DeadlineMissed
from notices.params import AuthorityNoticeParams
from notices.report.pack import build_filing_pack, form_table
from notices.report.views import filing_pack_markdown, write_filing_pack_pdf

pytestmark = pytest.mark.unit
CONTROLLER = ControllerProfile(
    name="Fjordlys Fitness ApS", org_number="DK12345678", address_lines=["Ørstedsvej 12", "8000 Aarhus C"],
    country="DK", timezone="Europe/Copenhagen", contact_name="Kundeservice", contact_email="privacy@fjordlys.example.com",
    contact_phone="+45 70 00 00 00", dpo_name="Åse Brønnum", dpo_email="dpo@fjordlys.example.com",
    sender_email="noreply@fjordlys.example.com",
)
FACTS: dict[str, Any] = {
    "reference": "TICKET-4711", "summary": "En angriber kopierede medlemsdatabasen i vores bookingapp.",
    "breach_types": ["confidentiality", "integrity"], "cause": "external_attack", "malicious": True,
    "controller": {"name": "Fjordlys Fitness ApS", "country": "DK"},
    "occurred_at": "2026-11-18T22:10:00+01:00", "detected_at": "2026-11-20T08:00:00+01:00",
    "aware_at": "2026-11-20T09:30:00+01:00", "data_categories": ["name", "email", "national_id", "health"],
    "subject_categories": ["customers", "children"], "subjects_affected": 12000, "subjects_affected_is_estimate": True,
    "records_affected": 15400, "exfiltration": "confirmed", "recipient": "hostile", "contained": True,
    "measures_taken": ["Vi har lukket det sårbare endepunkt", "Vi har nulstillet alle adgangskoder"], "subjects_countries": ["DK", "SE"],
    "text_language": "da",
    "translations": {
        "en": {"summary": "An attacker copied the member database of our booking app.",
               "measures_taken": ["We closed the vulnerable endpoint", "We reset all passwords"]},
        "nb": {"summary": "En angriper kopierte medlemsdatabasen i bestillingsappen vår.",
               "measures_taken": ["Vi har stengt det sårbare endepunktet", "Vi har tilbakestilt alle passord"]},
    },
}
ASSESSMENT: dict[str, Any] = {
    "personal_data_breach": True, "identifiable": True,
    "severity": {"method": "ENISA-2013", "score": 3.5, "band": "high", "dpc": 3, "ei": 1, "cb": 0.5},
    "risk": "high", "notify_authority": True, "notify_subjects": True, "subject_notice_exemption": None,
    "public_communication": False,
    "authority": {"code": "DK", "name": "Datatilsynet", "address_lines": ["Testvej 1", "2500 Valby"],
                  "email": "dt@example.org", "channel": "form", "form_url": "https://form.example.org/anmeld", "language": "da"},
    "authority_deadline": "2026-11-23T08:30:00+00:00",
    "rationale": [{"rule": "art33_risk", "finding": "National ids and health data were copied by an attacker"}],
}


def params(**overrides: Any) -> AuthorityNoticeParams:
    """Params for the sample breach; facts and assessment can be partly overridden."""
    fields: dict[str, Any] = {"incident_id": "BR-2026-0007", "controller": CONTROLLER, "facts": FACTS,
                              "assessment": ASSESSMENT, "people_counts": {"email": 11800, "letter": 200}, "language": "da"}
    fields["facts"] = {**FACTS, **overrides.pop("facts", {})}
    fields["assessment"] = {**ASSESSMENT, **overrides.pop("assessment", {})}
    fields.update(overrides)
    return AuthorityNoticeParams(**fields)


def answer(pack: dict[str, Any], dotted: str) -> Any:
    """The answer of 'section.field'."""
    section, field = dotted.split(".")
    return pack["sections"][section]["fields"][field]["answer"]


def test_sections_follow_the_form_and_every_field_has_its_danish_question() -> None:
    pack = build_filing_pack(params(language="en"))
    form = form_table()["sections"]
    assert list(pack["sections"]) == list(form)
    for key, section in pack["sections"].items():
        assert list(section["fields"]) == list(form[key]["fields"])
        for name, field in section["fields"].items():
            assert field["question_da"] == form[key]["fields"][name]["da"]
            assert field["question"] == form[key]["fields"][name]["en"]
    json.dumps(pack)  # JSON-ready as it stands


def test_pack_answers_come_from_facts_assessment_and_profile() -> None:
    pack = build_filing_pack(params())
    assert pack["incident_id"] == "BR-2026-0007" and pack["authority"]["name"] == "Datatilsynet"
    assert pack["deadline"] == "2026-11-23T08:30:00+00:00"
    assert pack["deadline_text"] == "23. november 2026 kl. 09.30 (dansk tid)"
    expected = {
        "notification.reference": "TICKET-4711",
        "notification.notification_type": "Fuldstændig anmeldelse",
        "controller.org_number": "CVR-nr. DK12345678",
        "contact.dpo_email": "dpo@fjordlys.example.com",
        "timeline.aware_at": "20. november 2026 kl. 09.30 (dansk tid)",
        "timeline.contained": "Ja",
        "breach.breach_types": ["Brud på fortroligheden", "Brud på integriteten"],
        "breach.exfiltration": "Ja, bekræftet",
        "subjects.subject_categories": ["Kunder", "Børn"],
        "subjects.subjects_affected": 12000,
        "subjects.records_affected": 15400,
        "subjects.special_categories": "Ja",
        "subjects.national_id": "Ja",
        "measures.measures_taken": ["Vi har lukket det sårbare endepunkt", "Vi har nulstillet alle adgangskoder"],
        "measures.measures_proposed": "Ingen yderligere på nuværende tidspunkt",
        "communication.notify_subjects": "Ja",
        "communication.channels": ["E-mail: 11.800", "Brev: 200"],
        "communication.people_told": 12000,
        "cross_border.other_countries": "Ja",
        "cross_border.countries": ["Sverige"],
    }
    for dotted, value in expected.items():
        assert answer(pack, dotted) == value, dotted
    assert "CPR-nummer (personnummer)" in answer(pack, "subjects.data_categories")
    assert any("identitet" in line.lower() for line in answer(pack, "consequences.likely_consequences"))
    rationale = answer(pack, "consequences.rationale")
    assert rationale[0].startswith("Vi vurderer, at bruddet sandsynligvis medfører en høj risiko")
    assert "Bruddet omfatter følsomme oplysninger (art. 9 eller 10)." in rationale
    assert rationale[-1] == "De registrerede underrettes, fordi risikoen er høj (art. 34, stk. 1)."
    assert not any("art33_risk" in line or "rule" in line for line in rationale)  # no rule ids for the authority
    assert "ENISA-2013: 3.5, høj" in answer(pack, "consequences.risk")


def test_unknown_answers_are_listed_as_missing_and_make_an_initial_notification() -> None:
    pack = build_filing_pack(params(facts={"occurred_at": None, "records_affected": None, "contained": None}))
    assert answer(pack, "notification.notification_type").startswith("Foreløbig anmeldelse")
    assert {"timeline.occurred_at", "subjects.records_affected"} <= set(pack["missing"])
    assert answer(pack, "timeline.contained") == "Ukendt"
    to_follow = answer(pack, "notification.to_follow")
    assert "Hvornår skete bruddet?" in to_follow and "Er bruddet bragt til ophør?" in to_follow
    assert pack["phased"] is True


def test_exemption_is_given_when_people_are_not_told() -> None:
    pack = build_filing_pack(params(assessment={"notify_subjects": False, "subject_notice_exemption": "art34_3_a"},
                                    people_counts={}))
    assert answer(pack, "communication.notify_subjects") == "Nej"
    assert "art. 34, stk. 3, litra a" in answer(pack, "communication.exemption")
    assert answer(pack, "communication.channels") == "Ikke relevant"


def test_late_notification_needs_reasons_for_the_delay() -> None:
    late = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    with pytest.raises(DeadlineMissed):
        build_filing_pack(params(notified_at=late))
    pack = build_filing_pack(params(notified_at=late, reasons_for_delay="The forensic report arrived on day 4."))
    assert pack["late"] is True and answer(pack, "timeline.late").startswith("Ja – fristen udløb 23. november 2026 kl. 09.30")
    assert answer(pack, "timeline.reasons_for_delay") == "The forensic report arrived on day 4."


def test_pack_made_after_the_deadline_before_filing_says_it_is_late_and_asks_for_reasons() -> None:
    pack = build_filing_pack(params(as_of=datetime(2026, 12, 7, 9, 0, tzinfo=UTC)))  # 337 hours late, not filed
    assert pack["late"] is True
    late = answer(pack, "timeline.late")
    assert late.startswith("Ja – fristen udløb") and "begrundelsen for forsinkelsen skal gives" in late
    assert answer(pack, "timeline.reasons_for_delay") is None and "timeline.reasons_for_delay" in pack["missing"]
    assert answer(pack, "notification.to_follow") == ["Begrundelse for forsinkelsen"]
    ahead = build_filing_pack(params(as_of=datetime(2026, 11, 21, 9, 0, tzinfo=UTC)))
    assert ahead["late"] is False and answer(ahead, "timeline.late") == "Nej"


def test_timely_notification_needs_no_reasons() -> None:
    pack = build_filing_pack(params(notified_at=datetime(2026, 11, 21, 12, 0, tzinfo=UTC)))
    assert pack["late"] is False and answer(pack, "timeline.late") == "Nej"
    assert answer(pack, "timeline.reasons_for_delay") == "Ikke relevant"


def test_norwegian_pack_uses_norwegian_words_and_keeps_danish_questions() -> None:
    pack = build_filing_pack(params(language="nb"))
    field = pack["sections"]["timeline"]["fields"]["aware_at"]
    assert field["question"] == "Når ble dere kjent med bruddet?" and field["question_da"] == "Hvornår blev I bekendt med bruddet?"
    assert answer(pack, "breach.breach_types")[0] == "Brudd på konfidensialiteten"
    assert answer(pack, "cross_border.countries") == ["Sverige"]
    assert answer(pack, "breach.description") == "En angriper kopierte medlemsdatabasen i bestillingsappen vår."


def test_markdown_lists_sections_and_questions_in_form_order() -> None:
    pack = build_filing_pack(params(language="en"))
    markdown = filing_pack_markdown(pack)
    positions = []
    for section in pack["sections"].values():
        positions.append(markdown.index(f". {section['title']}\n"))
        positions += [markdown.index(f"**{field['question']}**") for field in section["fields"].values()]
    assert positions == sorted(positions)
    assert "_Hvornår blev I bekendt med bruddet?_" in markdown
    assert markdown.startswith("# Personal data breach notification\n")
    assert "- **Supervisory authority:** Datatilsynet" in markdown


def test_markdown_shows_missing_answers_as_to_fill_in() -> None:
    markdown = filing_pack_markdown(build_filing_pack(params(facts={"records_affected": None})))
    assert "Ikke oplyst – udfyld i formularen" in markdown
    assert "**Omtrent hvor mange registrerede er berørt?**\n\n12.000" in markdown


def test_pdf_names_authority_incident_deadline_and_key_facts(tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    write_filing_pack_pdf(build_filing_pack(params()), path)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    for expected in ("Datatilsynet", "BR-2026-0007", "23. november 2026 kl. 09.30", "https://form.example.org/anmeld",
                     "Fjordlys Fitness ApS", "En angriber kopierede medlemsdatabasen", "Helbredsoplysninger", "12.000"):
        assert expected in text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack.pdf"]


def test_pdf_escapes_markup_in_free_text(tmp_path: Path) -> None:
    path = tmp_path / "pack.pdf"
    write_filing_pack_pdf(build_filing_pack(params(facts={"summary": "Tags <b>like</b> & <unclosed", "text_language": "da"})), path)
    assert "Tags <b>like</b> & <unclosed" in "\n".join(page.extract_text() for page in PdfReader(path).pages)


def test_uk_people_bring_the_ico_outside_the_one_stop_shop() -> None:
    pack = build_filing_pack(params(facts={"subjects_countries": ["DK", "GB"]}))
    (ico,) = answer(pack, "cross_border.other_authorities")
    assert "Information Commissioner's Office (ICO)" in ico and "UK GDPR art. 27" in ico and "one-stop-shop" in ico
    assert answer(build_filing_pack(params()), "cross_border.other_authorities") == "Ikke relevant"


def test_what_the_engine_knows_is_answered() -> None:
    facts = {"police_informed": True, "police_informed_at": "2026-11-20T12:00:00+01:00", "detected_at": "2026-11-19T16:05:00+01:00",
             "data_categories": ["name", "credentials"], "credentials_reset": True,
             "awareness_explanation": "Vi skulle først bekræfte det."}
    told = {"email": {"count": 11800, "first_at": "2026-11-21T09:00:00+00:00", "last_at": "2026-11-21T09:05:00+00:00"}}
    pack = build_filing_pack(params(facts=facts, people_told=told, people_counts={"email": 11800, "letter": 200, "none": 8}))
    assert answer(pack, "breach.police_informed") == "Ja, 20. november 2026 kl. 12.00 (dansk tid)"
    assert answer(pack, "measures.credentials_reset") == "Ja"
    assert answer(pack, "timeline.detection_gap")[0] == "17 timer og 25 minutter"
    assert answer(pack, "timeline.awareness_explanation") == "Vi skulle først bekræfte det."
    assert answer(pack, "communication.told_when") == [
        "E-mail: 11.800 personer, 21. november 2026 kl. 10.00 (dansk tid) til 21. november 2026 kl. 10.05 (dansk tid)"]
    assert answer(pack, "communication.people_told") == 12000  # the 8 without a channel are not counted as told ...
    assert answer(pack, "communication.unreachable").startswith("8 berørte kan ikke kontaktes enkeltvis")  # ... they are named
    assert answer(pack, "communication.public_communication") == "Ja"


def test_a_long_gap_from_detection_to_awareness_must_be_explained() -> None:
    pack = build_filing_pack(params(facts={"detected_at": "2026-11-19T08:00:00+01:00"}))
    assert answer(pack, "timeline.awareness_explanation") is None and pack["phased"]
    assert "Hvorfor gik der tid fra opdagelse til kendskab?" in answer(pack, "notification.to_follow")
