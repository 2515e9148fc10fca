"""The PDF of a filled US regulator notice: header (recipient, how, deadline, flags), then each question and its answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from notices.letters.pdf import register_fonts
from notices.report.views import build_pdf

MISSING = "(not in the facts: fill in)"


def _styles() -> dict[str, ParagraphStyle]:
    font, bold = register_fonts()
    return {
        "title": ParagraphStyle("t", fontName=bold, fontSize=15, leading=19, spaceAfter=8),
        "h": ParagraphStyle("h", fontName=bold, fontSize=11.5, leading=14, spaceBefore=10, spaceAfter=4, keepWithNext=1),
        "q": ParagraphStyle("q", fontName=bold, fontSize=9, leading=12, spaceBefore=4, textColor=HexColor("#333333")),
        "a": ParagraphStyle("a", fontName=font, fontSize=10, leading=13, leftIndent=4 * mm),
        "li": ParagraphStyle("l", fontName=font, fontSize=10, leading=13, leftIndent=8 * mm, bulletIndent=4 * mm),
        "cell": ParagraphStyle("c", fontName=font, fontSize=9.5, leading=12.5),
        "warn": ParagraphStyle("w", fontName=bold, fontSize=9.5, leading=12.5, textColor=HexColor("#b00020")),
        "note": ParagraphStyle("n", fontName=font, fontSize=8.5, leading=11, textColor=HexColor("#555555"), spaceBefore=4),
    }


def _header(pack: dict[str, Any], st: dict[str, ParagraphStyle]) -> list[Any]:
    rows = [("Filing code", pack["filing_code"]), ("Recipient", f"{pack['recipient']} ({pack['citation']})"), ("How", pack["how"])]
    rows += [("Form", pack["form_url"])] if pack.get("form_url") else []
    rows += [("Deadline", pack["due_at"] or pack["deadline_text"]), ("Status", pack["status"]), ("Incident", pack["incident_id"])]
    rows += [("Not answered", f"{len(pack['missing'])} field(s): fill them in on the form")] if pack["missing"] else []
    table = Table([[Paragraph(escape(k), st["q"]), Paragraph(escape(str(v)), st["cell"])] for k, v in rows], colWidths=[35 * mm, 140 * mm])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), HexColor("#f1f3f5")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOX", (0, 0), (-1, -1), 0.5, HexColor("#999999"))]))
    out: list[Any] = [table]
    if not pack["rule_verified"]:
        out.append(Paragraph("The rule behind this duty is NOT VERIFIED: check docs/us-law.md before relying on it.", st["warn"]))
    if not pack["form_verified"]:
        out.append(Paragraph("The form's fields were NOT VERIFIED against the form itself.", st["warn"]))
    if pack.get("form_note"):
        out.append(Paragraph(escape(pack["form_note"]), st["note"]))
    return out


def _answer(value: Any, st: dict[str, ParagraphStyle]) -> list[Any]:
    if isinstance(value, list) and value:
        return [Paragraph(escape(str(item)), st["li"], bulletText="\u2022") for item in value]
    if value is None:
        return [Paragraph(MISSING, st["a"])]
    text = f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else str(value)
    return [Paragraph(escape(text).replace("\n", "<br/>"), st["a"])]


def write_us_pdf(pack: dict[str, Any], path: Path) -> None:
    """Write the notice as a US Letter PDF (no creation time in the file: the same pack gives the same bytes)."""
    st = _styles()
    story: list[Any] = [Paragraph(escape(pack["title"]), st["title"]), *_header(pack, st), Spacer(1, 4 * mm)]
    for number, section in enumerate(pack["sections"], start=1):
        story.append(Paragraph(f"{number}. {escape(section['title'])}", st["h"]))
        for field in section["fields"]:
            story.append(KeepTogether([Paragraph(escape(field["question"]), st["q"]), *_answer(field["answer"], st)]))
    build_pdf(story, path, pagesize=LETTER, footer=f"{pack['incident_id']} \u00b7 {pack['filing_code']}")
