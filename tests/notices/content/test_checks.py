"""The content checker: language, Art. 34(2) and Art. 33(3) elements, placeholders, country lines."""

from __future__ import annotations

import json
from typing import Any

import pytest

from breach.enums import Channel, NoticeKind
from notices.content import checks
from notices.content.checks import check_address, check_pack, check_placeholders, check_subject_notice, check_text
from notices.content.language import foreign, identify, whole_text
from notices.content.render import render
from notices.report.pack import build_filing_pack
from tests.conftest import REPO
from tests.notices.content.test_render import subject_params
from tests.notices.report.test_pack import params as pack_params

pytestmark = pytest.mark.unit
SENTENCES: dict[str, list[str]] = json.loads((REPO / "tests" / "fixtures" / "langid" / "sentences.json").read_text(encoding="utf-8"))
DANISH = {"summary": "En angriber kopierede vores medlemsdatabase.",
          "measures_taken": ["Vi har lukket adgangen og nulstillet alle adgangskoder."]}


def danish_notice(**overrides: Any) -> tuple[Any, str]:
    params = subject_params("da", **{**DANISH, **overrides})
    return params, render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel.EMAIL).text


def test_a_danish_notice_in_danish_passes() -> None:
    params, text = danish_notice()
    assert check_subject_notice(params, text, where="d") == [] and check_text(text, "da", where="d") == []


def test_a_seeded_english_sentence_in_a_danish_draft_fails() -> None:
    params, text = danish_notice()
    heading = "Hvad kan det betyde for dig?"
    seeded = text.replace(heading, heading + "\nAn attacker used a leaked API token to export the database.")
    findings = check_text(seeded, "da", where="subject_notice/da/email")
    assert [f.code for f in findings] == ["language"]
    assert "reads as en, not da" in findings[0].message and "leaked API token" in findings[0].message


def test_english_free_text_in_a_danish_notice_fails() -> None:
    params, text = danish_notice(summary="An attacker used a leaked API token of a support tool to export the customer database.")
    assert any(f.code == "language" for f in check_text(text, "da", where="d"))


@pytest.mark.parametrize(("notice", "other"), [(n, o) for n in ("da", "nb", "en", "nl") for o in ("en", "nl", "da") if n != o
                                               and {n, o} != {"da", "nb"}])
def test_every_sentence_of_another_language_group_is_caught(notice: str, other: str) -> None:
    missed = [s for s in SENTENCES[other] if not foreign(s, notice)]
    assert missed == []


@pytest.mark.parametrize("language", ["da", "nb", "en", "nl"])
def test_no_sentence_is_flagged_in_its_own_language(language: str) -> None:
    assert [s for s in SENTENCES[language] if foreign(s, language)] == []


def test_danish_against_norwegian_is_judged_only_where_it_can_be() -> None:
    # Honest limits (notices/content/language.py): short sentences are not judged across da/nb ...
    assert foreign("Vi beklager at dette har skjedd.", "da") == []
    # ... a whole Norwegian text filed as Danish is caught ...
    verdict = whole_text("\n".join(SENTENCES["nb"]), "da")
    assert verdict is not None and verdict.language == "no"
    assert whole_text("\n".join(SENTENCES["da"]), "da") is None
    # ... and the identifier itself tells them apart on whole paragraphs
    assert identify(" ".join(SENTENCES["da"][:5])).language == "da" and identify(" ".join(SENTENCES["nb"][:5])).language == "no"


def test_names_addresses_and_ids_are_not_judged_as_language() -> None:
    text = "E-mail: security@nordlys.example.com\nReference: NB-SEC-2026-031\nMed venlig hilsen\nKaroline Vesterdal\nNordlys Bookings ApS"
    assert foreign(text, "da") == []


def test_a_notice_without_measures_cannot_pass() -> None:
    params, text = danish_notice(measures_taken=[])
    codes = [f.code for f in check_subject_notice(params, text, where="d")]
    assert codes == ["no_measures"]


def test_a_template_that_drops_an_art_34_element_fails() -> None:
    params, text = danish_notice()
    for needle, element in ((params.summary, "nature"), (params.controller.contact_email, "contact point"),
                            (params.consequences()[0], "consequences"), (params.measures_taken[0], "measures")):
        findings = check_subject_notice(params, text.replace(needle, ""), where="d")
        assert [f.code for f in findings] == ["art34"] and element in findings[0].message


@pytest.mark.parametrize("left", ["{{ p.summary }}", "{% if x %}", "Fristen er {hours} timer", "Telefon: None", "TODO: skriv",
                                  "Kære -recipient_name_text-"])
def test_placeholders_left_unfilled_fail(left: str) -> None:
    personalised = "recipient_name" in left
    assert [f.code for f in check_placeholders(f"Tekst.\n{left}\n", where="d", personalised=personalised)] == ["placeholder"]


def test_the_name_tag_is_expected_in_a_draft() -> None:
    assert check_placeholders("Kære -recipient_name_text-\n", where="d") == []


def test_a_pack_missing_an_art_33_element_fails_unless_numbers_follow_in_phases() -> None:
    pack = build_filing_pack(pack_params())
    assert check_pack(pack, where="p") == []
    no_measures = build_filing_pack(pack_params(facts={"measures_taken": [], "translations": {}}))
    assert any(f.code == "art33" and "measures" in f.message for f in check_pack(no_measures, where="p"))
    phased = build_filing_pack(pack_params(facts={"subjects_affected": None, "records_affected": None}))
    assert phased["phased"] and check_pack(phased, where="p") == []


def test_a_pack_with_free_text_in_another_language_fails() -> None:
    facts = {"summary": "An attacker copied the member database of our booking app and sold it on a forum.", "text_language": "da"}
    findings = check_pack(build_filing_pack(pack_params(facts=facts)), where="authority_report/da/form")
    assert any(f.code == "language" and "reads as en" in f.message for f in findings)


def test_a_letter_abroad_without_its_country_line_fails() -> None:
    lines = ["Håkon Haugen", "Fjordglimtveien 12", "0150 Oslo"]
    findings = check_address(lines, country="NO", sender_country="DK")
    assert [f.code for f in findings] == ["country_line"] and "NORGE" in findings[0].message
    assert check_address([*lines, "NORGE"], country="NO", sender_country="DK") == []
    assert check_address(["Søren Lund", "Nordlysvej 4", "8000 Aarhus C"], country="DK", sender_country="DK") == []


def test_findings_carry_no_personal_data_only_where_code_and_message() -> None:
    finding = checks.Finding("subject_notice/da/email", "language", "reads as en")
    assert finding.as_dict() == {"where": "subject_notice/da/email", "code": "language", "message": "reads as en"}


@pytest.mark.parametrize("language", ["da", "nb", "en"])
def test_packs_in_every_language_pass_including_abbreviations(language: str) -> None:
    # "External attack (e.g. hacking, malware or phishing)" was once split at "e.g." and read as Swedish
    pack = build_filing_pack(pack_params(language=language))
    assert check_pack(pack, where=f"pack/{language}") == []
    assert foreign("External attack (e.g. hacking, malware or phishing)", "en") == []
