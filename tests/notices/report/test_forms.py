"""Filing packs per authority form (Norway's Altinn form, the EDPB template), the timeline picture, supplementary reports."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from notices.params import load_table
from notices.report.followup import build_followup, followup_markdown
from notices.report.forms import FORMS, build_form_pack, catalogue, form_sources
from notices.report.pack import answer_catalogue, build_filing_pack
from notices.report.views import filing_pack_markdown, write_filing_pack_pdf
from tests.conftest import REPO
from tests.notices.report.test_pack import params

pytestmark = pytest.mark.unit
NO_SECTIONS = ["notification", "cause", "period", "discovery", "number_affected", "what_and_how", "data_types",
               "relationship", "where_now", "consequences", "measures", "information", "contact"]
FILINGS = [{"authority_code": "DK", "sequence": 1, "filed_at": "2026-11-21T12:00:00+00:00", "receipt_sha256": "ab" * 32,
            "authority_reference": "DT-2026-77", "filed_by": "x@example.com", "receipt_name": "r.pdf", "late": False}]


def answer(pack: dict[str, Any], dotted: str) -> Any:
    section, field = dotted.split(".")
    return pack["sections"][section]["fields"][field]["answer"]


@pytest.mark.parametrize("form", ["dk", "no", "nl", "edpb"])
def test_every_form_is_data_with_a_source_note_and_known_catalogue_keys(form: str) -> None:
    table = load_table(FORMS[form])
    assert "last_verified" in table and table.get("source")
    keys = set(catalogue(params(), FILINGS))
    for question, source in form_sources(form).items():
        for key in ([source] if isinstance(source, str) else source or []):
            assert key in keys, f"{form}: {question} reads unknown answer {key}"


def test_norwegian_form_sections_labels_and_answers() -> None:
    pack = build_form_pack(params(), form="no")
    assert list(pack["sections"]) == NO_SECTIONS
    assert pack["language"] == "nb" and pack["form"] == "no"
    assert pack["authority"]["code"] == "NO" and "0105 Oslo" in pack["authority"]["address_lines"]
    assert pack["sections"]["where_now"]["title"] == "Hvor er opplysningene nå"
    assert pack["sections"]["cause"]["fields"]["cause"]["question"] == "Hva var årsaken til avviket?"
    assert answer(pack, "cause.cause") == "Angrep utenfra (f.eks. hacking, skadevare eller phishing)"
    assert answer(pack, "number_affected.subjects_affected") == 12000
    assert answer(pack, "where_now.exfiltration") == "Ja, bekreftet"
    assert answer(pack, "relationship.subject_categories") == ["Kunder", "Barn"]
    assert answer(pack, "contact.dpo")[:2] == ["Åse Brønnum", "dpo@fjordlys.example.com"]
    assert answer(pack, "information.channels") == ["E-post: 11\xa0800", "Brev: 200"]
    assert {"period.ended_at", "discovery.how_detected"} <= set(pack["missing"])
    assert "notification.notification_type" not in pack["missing"]


def test_edpb_template_has_seven_sections_about_120_questions_and_lists_the_unanswerable() -> None:
    pack = build_form_pack(params(), form="edpb", filings=FILINGS)
    assert len(pack["sections"]) == 7
    questions = sum(len(s["fields"]) for s in pack["sections"].values())
    assert 110 <= questions <= 140
    assert answer(pack, "controller.controller_name") == "Fjordlys Fitness ApS"
    assert answer(pack, "data.subjects_affected") == 12000 and answer(pack, "data.records_affected") == 15400
    assert answer(pack, "data.special_categories") == "Yes" and answer(pack, "data.vulnerable_subjects") == "Yes"
    assert answer(pack, "type.is_followup") == "Yes"
    assert answer(pack, "type.authority_case_number") == "DT-2026-77"
    assert answer(pack, "type.previous_notifications")[0].startswith("DK #1, 21 November 2026 at 13:00 (Danish time), DT-2026-77")
    assert answer(pack, "communication.people_told") == 12000
    unanswerable = {f"{s}.{k}" for s, sec in pack["sections"].items() for k, f in sec["fields"].items() if f["from"] is None}
    assert unanswerable <= set(pack["missing"]) and "controller.reporter_name" in unanswerable
    assert all(answer(pack, key) is None for key in pack["missing"])
    json.dumps(pack)


def test_same_inputs_give_the_same_pack_bytes() -> None:
    first = json.dumps(build_form_pack(params(), form="edpb"), ensure_ascii=False)
    assert first == json.dumps(build_form_pack(params(), form="edpb"), ensure_ascii=False)
    assert build_filing_pack(params()) == build_filing_pack(params())


def test_catalogue_holds_the_danish_answers() -> None:
    assert answer_catalogue(params())["subjects.subjects_affected"] == 12000
    assert catalogue(params())["extra.financial_data"] == "Nej"


def test_pdf_for_norway_holds_key_facts_authority_deadline_and_timeline(tmp_path: Path) -> None:
    late = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    pack = build_form_pack(params(notified_at=late, reasons_for_delay="Forensics took four days"), form="no")
    path = tmp_path / "no.pdf"
    write_filing_pack_pdf(pack, path)
    text = "\n".join(page.extract_text() for page in PdfReader(path).pages)
    for expected in ("Datatilsynet", "Postboks 458 Sentrum", "BR-2026-0007", "23. november 2026 kl. 09.30", "Fjordlys Fitness ApS",
                     "En angriper kopierte medlemsdatabasen", "Kunder", "Forensics took four days",
                     "Tidslinje: 72-timersfristen", "Fristen er overskredet med 27.5 timer", "Frist (72 t)"):
        assert expected in text, expected


def test_pdf_says_when_the_deadline_was_met_and_is_byte_for_byte_reproducible(tmp_path: Path) -> None:
    pack = build_filing_pack(params(notified_at=datetime(2026, 11, 21, 12, 0, tzinfo=UTC)))
    one, two = tmp_path / "1.pdf", tmp_path / "2.pdf"
    write_filing_pack_pdf(pack, one)
    write_filing_pack_pdf(pack, two)
    assert one.read_bytes() == two.read_bytes()
    text = "\n".join(page.extract_text() for page in PdfReader(one).pages)
    assert "Fristen er overholdt" in text and "Anmeldt" in text


def test_followup_lists_changed_answers_and_facts() -> None:
    before = build_form_pack(params(), form="no")
    after = build_form_pack(params(facts={"subjects_affected": 14000, "records_affected": 20000}), form="no")
    report = build_followup(previous=before, current=after, number=1, since="2026-11-21T12:00:00+00:00",
                            facts_versions={"at_last_filing": 1, "now": 2}, facts_before={"subjects_affected": 12000},
                            facts_after={"subjects_affected": 14000}, people_counts={"email": 3})
    changed = {c["field"]: (c["before"], c["after"]) for c in report["changes"]}
    assert changed["number_affected.subjects_affected"] == (12000, 14000)
    assert changed["number_affected.records_affected"] == (15400, 20000)
    assert report["facts_changed"] == ["subjects_affected"] and report["followup_number"] == 1
    assert report["title"] == "Supplerende melding nr. 1 (art. 33 nr. 4)"
    markdown = followup_markdown(report)
    assert "- Før: 12\xa0000" in markdown and "- Nå: 14\xa0000" in markdown


def test_markdown_of_other_forms_has_no_danish_subline() -> None:
    markdown = filing_pack_markdown(build_form_pack(params(), form="no"))
    assert markdown.startswith("# Melding om brudd på personopplysningssikkerheten (Altinn)\n")
    assert "- **Tilsynsmyndighet:** Datatilsynet" in markdown and "_Hvornår" not in markdown


@pytest.mark.parametrize("form", ["dk", "no", "nl", "edpb"])
def test_docs_map_every_key_of_every_form(form: str) -> None:
    docs = (REPO / "docs" / "filing-forms.md").read_text(encoding="utf-8")
    for key in form_sources(form):
        assert f"| `{key}` |" in docs, f"docs/filing-forms.md lacks {form} key {key}"


def test_norwegian_pack_is_about_norway_and_fits_the_breach() -> None:
    pack = build_form_pack(params(facts={"subjects_countries": ["DK", "NO", "SE"], "breach_types": ["confidentiality"]}), form="no")
    countries = answer(pack, "number_affected.countries")
    assert "Norge" not in countries and {"Danmark", "Sverige"} <= set(countries)  # Norway is home for the Norwegian authority
    assert answer(pack, "where_now.recovered") == "Ikke relevant"  # no backup question for a pure confidentiality breach
    assert answer(pack, "contact.organisation") == ["Fjordlys Fitness ApS", "CVR-nr. DK12345678"]
    assert "EU/EEA" in load_table("edpb_template")["sections"]["type"]["fields"]["member_states"]["en"]
