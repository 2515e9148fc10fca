"""The Dutch worked example end to end without Prefect: Bouwspoor Cloud B.V. (breach/examples/nl), 200 people.

Golden files: the Dutch e-mail one person receives, the first page of a Dutch letter (text; the PNG beside it was
looked at), and the AP filing pack (meldformulier datalekken) as JSON and Markdown.
"""

from __future__ import annotations

import json
import struct
from datetime import date
from pathlib import Path

import pytest

from breach.clock import deadlines
from breach.controller import load_profile
from breach.incidents import service as incidents
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import channel_counts, import_people
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.content.render import RenderedNotice, personalize
from notices.letters.pdf import Letter, write_letters_pdf
from notices.report.export import export_filing_pack
from tests.examples.golden import check, first_page_png, keep_picture, normalised, pdf_text
from tests.factories import approve, set_roster

pytestmark = pytest.mark.integration
EXAMPLE = EXAMPLES / "nl"
ACTOR, MANAGER = "responder@example.com", "manager@example.com"
CIPHER = MultiKeyCipher.from_master_keys([b"n" * 32])


def open_example(session, now, tmp_path: Path) -> str:
    """Open, assess, clock and import the Dutch example exactly as the flows do."""
    document = json.loads((EXAMPLE / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"{document['reference']}-{tmp_path.name}"
    opened = incidents.open_incident(session=session, document=document, actor=ACTOR, timezone="Europe/Amsterdam", now=now)
    incident_id = opened.incident_id
    row = incidents.assess_incident(session=session, incident_id=incident_id, actor=ACTOR, now=now)
    deadlines.start_clocks(session=session, incident=incidents.get(session=session, incident_id=incident_id), assessment=row,
                           dpa_hours=None, actor=ACTOR, now=now)
    import_people(session=session, incident_id=incident_id, path=EXAMPLE / "people.csv", cipher=CIPHER, batch_size=1000,
                  actor=ACTOR, now=now, default_country="NL")
    return incident_id


def _notice(row) -> RenderedNotice:
    return RenderedNotice(subject=row.subject, text=row.text, html=row.html, template_version=row.template_version,
                          content_hash=row.content_hash, fallback_name="heer/mevrouw")


def test_dutch_example_drafts_dutch_notices_and_the_ap_pack(session, now, tmp_path) -> None:
    incident_id = open_example(session, now, tmp_path)
    assert channel_counts(session=session, incident_id=incident_id) == {"email": 186, "letter": 12, "none": 2}
    profile = load_profile(EXAMPLE / "controller.json")
    rows = draft_notices(session=session, incident_id=incident_id, controller=profile, actor=ACTOR, now=now)
    drafted = {(r.kind, r.language, r.channel): r for r in rows}
    assert set(drafted) == {("authority_report", "nl", "form"), ("subject_notice", "nl", "email"), ("subject_notice", "nl", "letter"),
                            ("subject_notice", "en", "email"), ("subject_notice", "en", "letter"),
                            # the 2 without a usable channel are told by a public notice (Art. 34(3)(c), issue #13)
                            ("public_notice", "nl", "web"), ("public_notice", "en", "web")}

    email = personalize(_notice(drafted["subject_notice", "nl", "email"]), "Iris Ruijters")
    check("nl/email.nl.txt", normalised(f"Onderwerp: {email.subject}\n\n{email.text}", incident_id))
    assert email.html and "Iris Ruijters" in email.html and '<html lang="nl">' in email.html

    letter_row = drafted["subject_notice", "nl", "letter"]
    letter = personalize(_notice(letter_row), "Maaike Kok")
    pdf = tmp_path / "letter.pdf"
    write_letters_pdf([Letter(delivery_id="1", language="nl", recipient_name="Maaike Kok",
                              address_lines=["Steigerbouwerslaan 9", "3016 ZR Rotterdam"], subject=letter.subject,
                              body_text=letter.text, sender=profile, date=date(2026, 12, 1), reference=incident_id)], pdf)
    check("nl/letter.nl.page1.txt", normalised(pdf_text(pdf, last=1), incident_id))
    png = first_page_png(pdf, tmp_path / "letter-page1.png")
    width, height = struct.unpack(">II", png.read_bytes()[16:24])
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and (width, height) == (827, 1170)  # A4 at 100 dpi
    keep_picture("nl/letter.nl.page1.png", png)

    set_roster(session=session, now=now, managers=[MANAGER])
    approve(session=session, incident_id=incident_id, now=now, actor=MANAGER, comment="")
    files = {f.kind: f.path for f in export_filing_pack(session=session, incident_id=incident_id, controller=profile,
                                                         out_dir=tmp_path / "out", actor=ACTOR, now=now, authority="NL")}
    pack = json.loads(files["filing_pack_json"].read_text(encoding="utf-8"))
    assert pack["form"] == "nl" and pack["authority"]["code"] == "NL" and len(pack["sections"]) == 12
    assert "timeline.notified_at" in pack["missing"] and "nature.data_altered" not in pack["missing"]
    check("nl/ap-pack.json", normalised(files["filing_pack_json"].read_text(encoding="utf-8"), incident_id))
    check("nl/ap-pack.md", normalised(files["filing_pack_md"].read_text(encoding="utf-8"), incident_id))
