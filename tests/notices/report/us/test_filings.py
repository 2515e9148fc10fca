"""US regulator exports: a filled notice per filing code with the form's fields, the sample letter without personal
information, the index of duties; HHS report fields for a HIPAA covered entity; the generic notice of a statute's content."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from pypdf import PdfReader

from breach.clock.us import done as us_done
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import import_people
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.report.export import export_filing_pack
from notices.report.us.filings import export_us_filings
from tests.breach.clock.us.test_done import _accept, _sent_incident
from tests.examples.golden import check, first_page_png, keep_picture, normalised, pdf_text
from tests.examples.test_us_example import ACTOR, PROFILE
from tests.factories import write_people_csv

pytestmark = pytest.mark.integration
US = PROFILE.us
assert US is not None
GIVEN = datetime(2026, 12, 2, 15, 0, tzinfo=UTC)
CODES = ["US-CA-AG", "US-MA-AG", "US-MA-CRA", "US-MA-OCABR", "US-NY-AG", "US-NY-DOS", "US-NY-NYSP", "US-TX-AG"]


def _fields(pack: dict) -> dict[str, object]:
    return {field["id"]: field["answer"] for section in pack["sections"] for field in section["fields"]}


def _notified(session, now, tmp_path) -> str:
    """The US example with every notice given on 2 December 2026 (after discovery on 30 November)."""
    incident_id = _sent_incident(session, now, tmp_path)
    _accept(session, incident_id, GIVEN)
    us_done.record_individual_notices(session=session, incident_id=incident_id, profile=US, actor=ACTOR, now=GIVEN)
    return incident_id


def test_every_us_filing_is_exported_with_its_forms_fields_answered_from_the_facts(session, now, tmp_path):
    incident_id = _notified(session, now, tmp_path)
    out = tmp_path / "exports"
    files = export_us_filings(session=session, incident_id=incident_id, controller=PROFILE, out_dir=out, actor=ACTOR, now=now)
    folder = out / incident_id / "us"
    names = sorted(f.path.name for f in files)
    assert names == sorted([f"{c}.{ext}" for c in CODES for ext in ("json", "md", "pdf")]
                           + ["sample-letter.pdf", "sample-letter-MA.pdf", "index.json", "index.md"])
    ca = json.loads((folder / "US-CA-AG.json").read_text(encoding="utf-8"))
    answers = _fields(ca)
    assert answers["sample_notice"] == "sample-letter.pdf" and answers["notice_dates"] == "2026-12-02"
    assert answers["breach_dates"] == "2026-11-28" and answers["discovery_dates"] == "2026-11-30"
    assert "Social Security number" in answers["pi_types"] and ca["form_verified"] is True
    assert ca["missing"] == ["Section 2 - Information for law enforcement purposes: Small business (Small Business Administration "
                             "size standards)?"]
    assert ca["status"] == "not filed yet (clock running)" and ca["due_at"] == (GIVEN + timedelta(days=15)).isoformat()
    tx = _fields(json.loads((folder / "US-TX-AG.json").read_text(encoding="utf-8")))
    assert (tx["texans_affected"], tx["texans_notified"], tx["notified_by_mail"], tx["notified_by_email"]) == (258, 258, 38, 220)
    assert tx["law_enforcement"] == "Notice was not delayed by law enforcement." and tx["measures_planned"] is None
    assert "NOT VERIFIED against the form itself" in (folder / "US-TX-AG.md").read_text(encoding="utf-8")
    ma = _fields(json.loads((folder / "US-MA-AG.json").read_text(encoding="utf-8")))
    assert "stolen employee password" in ma["nature"] and ma["residents"] == 129 and ma["wisp"] is None  # the AG is told the nature
    assert ma["sample_notice"] == "sample-letter-MA.pdf"
    ny = _fields(json.loads((folder / "US-NY-DOS.json").read_text(encoding="utf-8")))
    assert ny["description_choice"] == "External system breach (e.g., hacking)" and ny["cra_notified"] == "Not applicable (5,000 or fewer)"
    check("us/US-CA-AG.md", normalised((folder / "US-CA-AG.md").read_text(encoding="utf-8"), incident_id))
    check("us/US-TX-AG.md", normalised((folder / "US-TX-AG.md").read_text(encoding="utf-8"), incident_id))
    check("us/index.md", normalised((folder / "index.md").read_text(encoding="utf-8"), incident_id))
    check("us/sample-letter.page1.txt", normalised(pdf_text(folder / "sample-letter.pdf", last=1), incident_id))
    keep_picture("us/sample-letter.page1.png", first_page_png(folder / "sample-letter.pdf", tmp_path / "sample.png"))
    check("us/US-TX-AG.page1.txt", normalised(pdf_text(folder / "US-TX-AG.pdf", last=1), incident_id))
    keep_picture("us/US-TX-AG.page1.png", first_page_png(folder / "US-TX-AG.pdf", tmp_path / "tx.png"))


def test_the_sample_letter_carries_no_personal_information(session, now, tmp_path):
    incident_id = _notified(session, now, tmp_path)
    export_us_filings(session=session, incident_id=incident_id, controller=PROFILE, out_dir=tmp_path, actor=ACTOR, now=now,
                      which="US-CA-AG")
    text = "".join(page.extract_text() for page in PdfReader(tmp_path / incident_id / "us" / "sample-letter.pdf").pages)
    assert "[Name of resident]" in text and "[Street address]" in text and "Notice of Data Breach" in text
    people = (EXAMPLES / "us" / "people.csv").read_text(encoding="utf-8").splitlines()[1:]
    assert not [row for row in people if row.split(",")[1] in text or row.split(",")[2] in text]


def test_the_index_lists_every_duty_and_only_the_contacts_the_notices_use(session, now, tmp_path):
    incident_id = _notified(session, now, tmp_path)
    export_us_filings(session=session, incident_id=incident_id, controller=PROFILE, out_dir=tmp_path, actor=ACTOR, now=now, which="US-NY")
    folder = tmp_path / incident_id / "us"
    assert sorted(p.name for p in folder.glob("US-*.json")) == ["US-NY-AG.json", "US-NY-DOS.json", "US-NY-NYSP.json"]
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    assert {(d["duty"], d["jurisdiction"]) for d in index["duties"]} >= {("us.individuals", "MA"), ("us.regulator.3", "NY")}
    assert index["unverified_contacts"] == ["Federal Trade Commission"]  # Rhode Island's unverified address is not used here
    with pytest.raises(BreachError, match="no US filing matches US-FL"):
        export_us_filings(session=session, incident_id=incident_id, controller=PROFILE, out_dir=tmp_path, actor=ACTOR, now=now,
                          which="US-FL")
    with pytest.raises(BreachError, match="GDPR does not apply"):
        export_filing_pack(session=session, incident_id=incident_id, controller=PROFILE, out_dir=tmp_path, actor=ACTOR, now=now)


def _open_with(session, now, tmp_path, rows, profile, **facts_changes) -> str:
    document = json.loads((EXAMPLES / "us" / "facts.json").read_text(encoding="utf-8"))
    document.update(facts_changes, reference=f"USF-{tmp_path.name}")
    opened = incidents.open_incident(session=session, document=document, actor=ACTOR, timezone="America/Chicago", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    header = ["name", "language", "email", "address_line1", "postal_code", "city", "region", "country"]
    import_people(session=session, incident_id=opened.incident_id, path=write_people_csv(tmp_path / "p.csv", rows, header),
                  cipher=MultiKeyCipher.from_master_keys([b"f" * 32]), batch_size=100, actor=ACTOR, now=now, default_country="US")
    draft_notices(session=session, incident_id=opened.incident_id, controller=PROFILE.model_copy(update={"us": profile}), actor=ACTOR,
                  now=now)
    return opened.incident_id


def test_a_regulator_without_a_form_on_file_gets_what_its_statute_requires(session, now, tmp_path):
    rows = [[f"Person {i}", "en-US", f"p{i}@example.com", f"{i} Main Street", "06101", "Hartford", "CT", "US"] for i in range(3)]
    incident_id = _open_with(session, now, tmp_path, rows, US)
    controller = PROFILE
    export_us_filings(session=session, incident_id=incident_id, controller=controller, out_dir=tmp_path, actor=ACTOR, now=now,
                      which="US-CT-AG")
    pack = json.loads((tmp_path / incident_id / "us" / "US-CT-AG.json").read_text(encoding="utf-8"))
    assert pack["form_verified"] is False and "No form of its own on file" in pack["form_note"]
    questions = [f["question"] for s in pack["sections"] for f in s["fields"]]
    assert questions[:2] == ["Name and address of the entity", "Contact"]
    assert "A copy of the notice sent to residents" in questions and "Credit monitoring or identity theft services offered" in questions
    assert _fields(pack)["f2"] == 3  # Connecticut residents affected


def test_a_hipaa_covered_entity_gets_the_hhs_breach_report(session, now, tmp_path):
    covered = US.model_copy(update={"hipaa_covered_entity": True})
    rows = [[f"Patient {i}", "en-US", f"patient{i}@example.org", f"{i} Elm Court", "90001", "Fresno", "CA", "US"] for i in range(4)]
    incident_id = _open_with(session, now, tmp_path, rows, covered,
                             data_categories=["name", "postal_address", "health", "insurance", "bank_account"],
                             us={"determined_at": "2026-12-01T11:00:00-06:00", "law_enforcement_delay": False, "phi_involved": True,
                                 "account_access_code_exposed": False})
    controller = PROFILE.model_copy(update={"us": covered})
    export_us_filings(session=session, incident_id=incident_id, controller=controller, out_dir=tmp_path, actor=ACTOR, now=now,
                      which="US-HHS")
    pack = json.loads((tmp_path / incident_id / "us" / "US-HHS.json").read_text(encoding="utf-8"))
    answers = _fields(pack)
    assert answers["affecting"] == "Fewer Than 500 Individuals" and answers["report_type"] == "Initial Breach Report"
    assert answers["type"] == "Hacking/IT Incident" and answers["phi"] == ["Clinical", "Demographic", "Financial"]
    assert answers["ce_name"] == "Tallyhook Scheduling, Inc." and answers["ba"] is None
    assert answers["substitute"] == "No" and answers["media"] == "No"
    assert {"location", "safeguards", "attestation", "ce_type"} <= {f["id"] for s in pack["sections"] for f in s["fields"]
                                                                     if f["answer"] is None}
    assert pack["form_url"] == "https://ocrportal.hhs.gov/ocr/breach/wizard_breach.jsf"
