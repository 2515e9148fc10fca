"""Build every golden output from a facts document: the e-mails, a letter's first page, the DK and NO packs.

Used by tests/golden/test_golden.py (compare) and by `BREACH_UPDATE_GOLDEN=1 pytest tests/golden` (rewrite).
Everything is fixed: the controller (the demo's), the incident id, the counts, the instant the pack is made
and the letter's date, so the same code gives the same bytes.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from breach.assess import assess
from breach.controller import ControllerProfile, load_profile
from breach.enums import Channel, NoticeKind
from breach.facts import load_facts
from breach.instants import parse_instant
from flows.runtime import EXAMPLES
from notices.content.checks import Finding, check_address, check_pack, check_subject_notice, check_text
from notices.content.personal import absent_contact_data, own_data_only
from notices.content.render import personalize, render
from notices.letters.pdf import Letter, address_block, write_letters_pdf
from notices.params import AuthorityNoticeParams, SubjectNoticeParams
from notices.report.forms import build_form_pack
from notices.report.pack import build_filing_pack, not_applicable_words
from notices.report.views import filing_pack_markdown

GOLDEN = Path(__file__).resolve().parent
CASES = {
    "demo": EXAMPLES / "facts.json",
    **{path.parent.name: path for path in sorted((GOLDEN / "cases").glob("*/facts.json"))},
}
INCIDENT_ID = "BR-2026-0042"
LANGUAGES = ("da", "nb", "en")
COUNTS = {"email": 880, "letter": 112, "none": 8}
# Who gets the letter whose first page is kept: invented people, one abroad (the country line) and one at home.
RECIPIENTS = {
    "abroad": {"name": "Solveig Bråten", "language": "nb", "country": "NO", "email": None,
               "address_lines": ["Fjordglimtveien 12 B", "0150 Oslo"]},
    "home": {"name": "Mette Nørgaard", "language": "da", "country": "DK", "email": "mette.noergaard@example.com",
             "address_lines": ["Måneskinsgade 9, 2. tv.", "8000 Aarhus C"]},
}
LETTER_FOR = {"demo": "abroad", "ransomware_no_backup": "abroad"}
PNG_DPI = 80


@dataclass
class Outputs:
    """One case's golden files (name -> bytes) and the checker's findings on them (none expected)."""

    files: dict[str, bytes] = field(default_factory=dict)
    findings: list[Finding] = field(default_factory=list)


def controller() -> ControllerProfile:
    return load_profile(EXAMPLES / "controller.json")


def assessment_of(case: str, facts: dict[str, Any]) -> dict[str, Any]:
    """The case's assessment as stored beside it (so an engine change does not move the words), else computed."""
    stored = GOLDEN / case / "assessment.json"
    return json.loads(stored.read_text(encoding="utf-8")) if stored.is_file() else assess(load_facts(facts)).to_contract()


def _emails(out: Outputs, facts: dict[str, Any], risk: str) -> None:
    for language in LANGUAGES:
        params = SubjectNoticeParams.from_facts(facts, incident_id=INCIDENT_ID, controller=controller(), language=language, risk=risk)
        rendered = render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel.EMAIL)
        where = f"subject_notice/{language}/email"
        out.findings += check_subject_notice(params, rendered.text, where=where)
        out.findings += check_text(rendered.text, language, where=where, html=rendered.html, subject=rendered.subject)
        out.files[f"email.{language}.txt"] = f"Subject: {rendered.subject}\n\n{rendered.text}".encode()
        out.files[f"email.{language}.html"] = (rendered.html or "").encode()


def _letter(out: Outputs, case: str, facts: dict[str, Any], risk: str) -> None:
    who = RECIPIENTS[LETTER_FOR.get(case, "home")]
    params = SubjectNoticeParams.from_facts(facts, incident_id=INCIDENT_ID, controller=controller(), language=who["language"], risk=risk)
    draft = render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel.LETTER)
    body = personalize(draft, who["name"])
    text = own_data_only(body.text, who["language"], absent=absent_contact_data(email=who["email"], address=who["address_lines"]))
    letter = Letter(delivery_id="1", language=who["language"], recipient_name=who["name"], address_lines=who["address_lines"],
                    subject=body.subject, body_text=text, sender=controller(), date=date(2026, 11, 22), reference=INCIDENT_ID,
                    country=who["country"])
    out.findings += check_address(address_block(letter), country=letter.country, sender_country=controller().country)
    with tempfile.TemporaryDirectory() as tmp:
        pdf = Path(tmp) / "letter.pdf"
        write_letters_pdf([letter], pdf)
        out.files[f"letter.{who['language']}.page1.png"] = first_page_png(pdf)


def first_page_png(pdf: Path) -> bytes:
    """The first page as PNG, drawn by poppler's pdftoppm (installed by scripts/system-packages.sh)."""
    tool = shutil.which("pdftoppm")
    if tool is None:
        raise RuntimeError("pdftoppm is missing: install poppler-utils (scripts/system-packages.sh)")
    subprocess.run([tool, "-png", "-r", str(PNG_DPI), "-f", "1", "-l", "1", "-singlefile", str(pdf), str(pdf.with_suffix(""))],
                   check=True, capture_output=True)
    return pdf.with_suffix(".png").read_bytes()


def _packs(out: Outputs, facts: dict[str, Any], assessment: dict[str, Any]) -> None:
    aware = parse_instant(facts["aware_at"])
    params = AuthorityNoticeParams(incident_id=INCIDENT_ID, controller=controller(), facts=facts, assessment=assessment,
                                   people_counts=COUNTS, language="da", as_of=aware + timedelta(hours=30))
    for name, pack in (("dk", build_filing_pack(params)), ("no", build_form_pack(params, form="no"))):
        out.findings += check_pack(pack, where=f"pack/{name}", not_applicable=not_applicable_words(pack["language"]))
        out.files[f"pack.{name}.md"] = filing_pack_markdown(pack).encode()


def build(case: str) -> Outputs:
    """Every golden output of one case, and what the content checker says about them."""
    facts = json.loads(CASES[case].read_text(encoding="utf-8"))
    assessment = assessment_of(case, facts)
    out = Outputs()
    _emails(out, facts, assessment.get("risk") or "high")
    _letter(out, case, facts, assessment.get("risk") or "high")
    _packs(out, facts, assessment)
    out.files["assessment.json"] = (json.dumps(assessment, ensure_ascii=False, indent=2, sort_keys=True) + "\n").encode()
    return out
