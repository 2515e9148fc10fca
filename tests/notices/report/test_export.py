"""Exports against stored incidents: DK, NO and EDPB packs, reproducible bytes, filings per authority, follow-ups, the register."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from breach.clock import deadlines, filing
from breach.exceptions import BreachError, DeadlineMissed
from breach.incidents import service as incidents
from breach.store.tables import AuditEventRow, ExportRow
from notices.register.export import export_register, register_rows
from notices.register.stats import plot_stats, register_stats
from notices.report.export import export_filing_pack, export_followup
from tests.conftest import FIXTURES
from tests.factories import facts_doc, make_incident
from tests.notices.report.test_pack import CONTROLLER

pytestmark = pytest.mark.integration
SHARED_CASE = FIXTURES / "cases" / "edpb-01-2021-c01.json"
ACTOR = "responder@example.com"


def _clocked(session, now, **overrides: Any) -> str:
    incident_id = make_incident(session=session, now=now, **overrides)
    incident = incidents.get(session=session, incident_id=incident_id)
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    deadlines.start_clocks(session=session, incident=incident, assessment=assessment, dpa_hours=None, actor=ACTOR, now=now)
    return incident_id


def _receipt(tmp_path: Path, name: str = "receipt.pdf") -> Path:
    path = tmp_path / name
    path.write_bytes(b"%PDF-1.4 receipt " + name.encode())
    return path


def _answers(pack: dict[str, Any]) -> dict[str, Any]:
    return {f"{s}.{f}": v["answer"] for s, sec in pack["sections"].items() for f, v in sec["fields"].items()}


def _export(session, now, tmp_path, incident_id, **kw) -> dict[str, Path]:
    files = export_filing_pack(session=session, incident_id=incident_id, controller=CONTROLLER, out_dir=tmp_path / "out",
                               actor=ACTOR, now=now, **kw)
    return {f.kind: f.path for f in files}


FACTS = {"reference": "EXP-1", "subjects_affected": 1234, "records_affected": 5678, "subject_categories": ["customers"],
             "measures_taken": ["Closed the endpoint"], "subjects_countries": ["DK", "NO"]}


def test_dk_no_and_edpb_exports_match_the_stored_incident(session, now, tmp_path):
    incident_id = _clocked(session, now, **FACTS)
    stored = incidents.latest_facts(session=session, incident_id=incident_id).document
    dk = json.loads(_export(session, now, tmp_path, incident_id)["filing_pack_json"].read_text(encoding="utf-8"))
    no = json.loads(_export(session, now, tmp_path, incident_id, authority="NO")["filing_pack_json"].read_text(encoding="utf-8"))
    edpb = json.loads(_export(session, now, tmp_path, incident_id, template="edpb")["filing_pack_json"].read_text(encoding="utf-8"))
    assert (dk["form"], no["form"], edpb["form"]) == ("dk", "no", "edpb")
    assert dk["authority"]["code"] == "DK" and no["authority"]["code"] == "NO"
    expected = {
        "dk": {"notification.incident_id": incident_id, "breach.description": stored["translations"]["da"]["summary"],
               "subjects.subjects_affected": 1234, "subjects.records_affected": 5678,
               "measures.measures_taken": stored["translations"]["da"]["measures_taken"]},
        "no": {"what_and_how.description": stored["translations"]["nb"]["summary"], "number_affected.subjects_affected": 1234,
               "number_affected.records_affected": 5678, "notification.internal_reference": [incident_id, "EXP-1"],
               "measures.measures_taken": stored["translations"]["nb"]["measures_taken"], "relationship.subject_categories": ["Kunder"]},
        "edpb": {"nature.description": stored["summary"], "data.subjects_affected": 1234, "data.records_affected": 5678,
                 "type.internal_reference": incident_id, "data.subject_categories": ["Customers"],
                 "controller.controller_name": "Testfirma ApS"},
    }
    for name, pack in (("dk", dk), ("no", no), ("edpb", edpb)):
        answers = _answers(pack)
        for key, value in expected[name].items():
            assert answers[key] == value, (name, key)
        assert pack["deadline"] == stored_deadline(session, incident_id)


def stored_deadline(session, incident_id: str) -> str:
    (row,) = [d for d in deadlines.deadlines_of(session=session, incident_id=incident_id) if d.obligation == "authority"]
    return row.due_at.isoformat()


def test_exporting_twice_without_changes_gives_identical_bytes_and_audits_each_hash(session, now, tmp_path):
    incident_id = _clocked(session, now, reference="EXP-2")
    first = {k: p.read_bytes() for k, p in _export(session, now, tmp_path, incident_id).items()}
    second = {k: p.read_bytes() for k, p in _export(session, now + timedelta(hours=1), tmp_path, incident_id).items()}
    assert first == second
    rows = session.execute(select(ExportRow).where(ExportRow.incident_id == incident_id)).scalars().all()
    assert len(rows) == 6 and {r.sha256 for r in rows} == {hashlib.sha256(b).hexdigest() for b in first.values()}
    assert {r.created_at for r in rows} == {now, now + timedelta(hours=1)}
    audited = session.execute(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id,
                                                          AuditEventRow.action == "export.written")).scalars().all()
    assert {e.details["sha256"] for e in audited} == {r.sha256 for r in rows}


def test_pdf_text_holds_key_facts_authority_and_deadline(session, now, tmp_path):
    incident_id = _clocked(session, now, reference="EXP-3", subjects_affected=4321)
    pdf = _export(session, now, tmp_path, incident_id)["filing_pack_pdf"]
    text = "\n".join(page.extract_text() for page in PdfReader(pdf).pages)
    for expected in ("Datatilsynet", "Carl Jacobsens Vej 35", incident_id, "23. november 2026 kl. 09.30", "Testfirma ApS",
                     "En angriber kopierede kundedatabasen", "4.321", "Tidslinje", "Endnu ikke anmeldt"):
        assert expected in text, expected


def test_late_filing_without_reasons_is_refused_and_a_timely_one_stops_the_clock(session, now, tmp_path):
    late_id = _clocked(session, now, reference="EXP-4", aware_at="2026-11-10T09:00:00+01:00")
    with pytest.raises(DeadlineMissed):
        filing.record_filing(session=session, incident_id=late_id, authority_code="DK", receipt=_receipt(tmp_path), actor=ACTOR, now=now)
    assert filing.filings_of(session=session, incident_id=late_id) == []
    row = filing.record_filing(session=session, incident_id=late_id, authority_code="dk", receipt=_receipt(tmp_path), actor=ACTOR,
                               now=now, reasons_for_delay="The processor told us on day 9")
    assert row.late and row.authority_code == "DK"
    timely_id = _clocked(session, now, reference="EXP-5")
    filing.record_filing(session=session, incident_id=timely_id, authority_code=None, receipt=_receipt(tmp_path), actor=ACTOR, now=now)
    (clock,) = deadlines.deadlines_of(session=session, incident_id=timely_id)
    assert clock.state == "met" and clock.stopped_at == now


def test_a_controller_outside_the_eea_files_once_per_authority(session, now, tmp_path):
    incident_id = make_incident(session=session, now=now, reference="EXP-6", subjects_countries=["DK", "NO"],
                                controller={"name": "Faraway Inc.", "country": "US", "established_in_eea": False})
    result = incidents.latest_assessment(session=session, incident_id=incident_id).result
    assert filing.owed_authorities(result) == ["DK", "NO"]
    with pytest.raises(BreachError, match="several authorities"):
        filing.record_filing(session=session, incident_id=incident_id, authority_code=None, receipt=_receipt(tmp_path), actor=ACTOR,
                             now=now)
    filing.record_filing(session=session, incident_id=incident_id, authority_code="NO", receipt=_receipt(tmp_path), actor=ACTOR, now=now)
    assert [f.authority_code for f in filing.filings_of(session=session, incident_id=incident_id, authority_code="NO")] == ["NO"]
    assert filing.filings_of(session=session, incident_id=incident_id, authority_code="DK") == []


def test_followup_is_numbered_and_lists_what_changed_since_the_last_filing(session, now, tmp_path):
    incident_id = _clocked(session, now, reference="EXP-7", subjects_affected=1000)
    with pytest.raises(BreachError, match="no filing"):
        export_followup(session=session, incident_id=incident_id, controller=CONTROLLER, out_dir=tmp_path, actor=ACTOR, now=now)
    filing.record_filing(session=session, incident_id=incident_id, authority_code="DK", receipt=_receipt(tmp_path), actor=ACTOR, now=now)
    later = now + timedelta(hours=20)
    incidents.open_incident(session=session, document=facts_doc(reference="EXP-7", subjects_affected=2500, records_affected=9000),
                            actor=ACTOR, timezone="Europe/Copenhagen", now=later)
    incidents.assess_incident(session=session, incident_id=incident_id, actor=ACTOR, now=later)
    files = export_followup(session=session, incident_id=incident_id, controller=CONTROLLER, out_dir=tmp_path, actor=ACTOR, now=later)
    report = json.loads(files[0].path.read_text(encoding="utf-8"))
    assert report["kind"] == "supplementary_report" and report["followup_number"] == 1
    assert report["facts_versions"] == {"at_last_filing": 1, "now": 2}
    assert {"subjects_affected", "records_affected"} <= set(report["facts_changed"])
    changed = {c["field"]: (c["before"], c["after"]) for c in report["changes"]}
    assert changed["subjects.subjects_affected"] == (1000, 2500)
    assert files[0].path.name == f"{incident_id}-followup-DK-01.json" and {f.kind for f in files} == {"followup_json", "followup_md"}


def _not_notifiable(session, now) -> str:
    case = json.loads(SHARED_CASE.read_text(encoding="utf-8"))["facts"]
    doc = {**case, "aware_at": "2026-11-20T09:30:00+01:00", "controller": {"name": "Metalworks ApS", "country": "DK"}}
    opened = incidents.open_incident(session=session, document=doc, actor=ACTOR, timezone="Europe/Copenhagen", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=ACTOR, now=now)
    return opened.incident_id


def test_register_holds_a_breach_assessed_as_not_notifiable_with_its_reasoning(session, now, tmp_path):
    quiet = _not_notifiable(session, now)
    rows = {r["incident_id"]: r for r in register_rows(session=session)}
    row = rows[quiet]
    assert row["notify_authority"] is False and row["verdict"] == "document_only"
    assert row["rationale"] and any("33" in line for line in row["rationale"])
    assert row["measures_taken"] and row["obligations"] == [] and row["filings"] == []
    written = export_register(session=session, actor=ACTOR, now=now, fmt="json", path=tmp_path / "register.json")
    items = {item["incident_id"]: item for item in json.loads(written.path.read_text(encoding="utf-8"))}
    assert items[quiet]["rationale"] == row["rationale"] and items[quiet]["facts"]["reference"] == "edpb-01-2021-c01"


def test_register_csv_neutralises_formulas_and_lists_filings_with_receipt_hashes(session, now, tmp_path):
    incident_id = _clocked(session, now, reference="=HYPERLINK(\"https://evil.example.com\")", summary="=1+2 copied the database")
    receipt = _receipt(tmp_path)
    filing.record_filing(session=session, incident_id=incident_id, authority_code="DK", receipt=receipt, actor=ACTOR, now=now)
    written = export_register(session=session, actor=ACTOR, now=now, fmt="csv", path=tmp_path / "register.csv")
    with open(written.path, newline="", encoding="utf-8-sig") as handle:
        row = {r["incident_id"]: r for r in csv.DictReader(handle)}[incident_id]
    assert row["reference"].startswith("'=") and row["summary"] == "'=1+2 copied the database"
    assert hashlib.sha256(receipt.read_bytes()).hexdigest() in row["filings"]
    assert row["deadline_met"] == "yes" and "authority/DK" in row["obligations"] and row["verdict"]


def test_register_date_range_and_stats_with_chart(session, now, tmp_path):
    filed_id = _clocked(session, now, reference="EXP-9")
    filing.record_filing(session=session, incident_id=filed_id, authority_code="DK", receipt=_receipt(tmp_path), actor=ACTOR, now=now)
    quiet = _not_notifiable(session, now)
    inside = {r["incident_id"] for r in register_rows(session=session, date_from=date(2026, 11, 20), date_to=date(2026, 11, 20))}
    assert {filed_id, quiet} <= inside
    assert not {filed_id, quiet} & {r["incident_id"] for r in register_rows(session=session, date_from=date(2026, 11, 21))}
    rows = [r for r in register_rows(session=session) if r["incident_id"] in (filed_id, quiet)]
    stats = register_stats(rows)
    assert stats["per_year"] == {"2026": {"notify_authority_and_subjects": 1, "document_only": 1}}
    assert stats["median_hours_to_filing"] == 25.5 and stats["late_filings"] == 0
    plot_stats(stats, tmp_path / "chart.png")
    assert (tmp_path / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_the_english_version_is_written_beside_the_pack_in_the_authoritys_language(session, now, tmp_path):
    incident_id = _clocked(session, now, reference="EXP-EN")
    files = {f.kind: f.path for f in export_filing_pack(session=session, incident_id=incident_id, controller=CONTROLLER,
                                                         out_dir=tmp_path, actor="t", now=now, english=True)}
    danish = json.loads(files["filing_pack_json"].read_text(encoding="utf-8"))
    english = json.loads(files["filing_pack_en_json"].read_text(encoding="utf-8"))
    assert (danish["language"], english["language"]) == ("da", "en") and files["filing_pack_en_pdf"].name.endswith("-en.pdf")
    stored = incidents.latest_facts(session=session, incident_id=incident_id).document
    assert english["sections"]["breach"]["fields"]["description"]["answer"] == stored["summary"]  # the facts' English text
    norway = {f.kind: f.path for f in export_filing_pack(session=session, incident_id=incident_id, controller=CONTROLLER,
                                                         out_dir=tmp_path, actor="t", now=now, authority="NO", english=True)}
    assert json.loads(norway["filing_pack_en_json"].read_text(encoding="utf-8"))["language"] == "en"
