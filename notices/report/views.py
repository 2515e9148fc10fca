"""The filing pack as people read it: a Markdown copy-paste view and a PDF, in form order.

Both are made from the pack dict alone (``notices.report.pack``), so the same pack gives the same
Markdown and the same PDF bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from notices.letters.pdf import register_fonts
from notices.output import atomic_output, markdown_text
from notices.params import load_table
from notices.report.pack import format_answer
from notices.report.timeline import timeline_drawing


def _header_rows(pack: dict[str, Any]) -> list[tuple[str, str]]:
    """The key facts shown above the answers: authority, where to file, controller, case, deadline."""
    lang = pack["language"]
    values = load_table("filing_form")["values"]

    def label(key: str) -> str:
        return values[key][lang]

    authority = pack.get("authority") or {}
    where = authority.get("form_url") or authority.get("email") or authority.get("website")
    rows = [(label("authority_label"), format_answer(authority.get("name"), lang))]
    rows += [(label("file_via"), where)] if where else []
    rows += [(label("authority_address_label"), ", ".join(authority["address_lines"]))] if authority.get("address_lines") else []
    rows += [(label("controller_label"), format_answer(pack.get("controller_name"), lang)),
             (label("case_label"), pack["incident_id"]), (label("deadline_label"), format_answer(pack.get("deadline_text"), lang))]
    rows += [(label("notified_label"), pack["notified_text"])] if pack.get("notified_text") else []
    rows += [(label("missing_count"), str(len(pack["missing"])))] if pack["missing"] else []
    told = pack.get("audience") or {}
    if told.get("who") == "subset":
        total = told["told"] + told["not_told"]
        columns = " / ".join(_rule_columns(told["rule"]))
        rows += [(label("people_told_label"), label("people_told_subset").format(
            told=format_answer(told["told"], lang), total=format_answer(total, lang), rest=format_answer(told["not_told"], lang),
            columns=columns))]
    return rows


def _rule_columns(rule: dict[str, Any]) -> list[str]:
    """The people-file columns a subset rule names, in order."""
    parts = rule.get("any") or rule.get("all")
    return [c for part in parts for c in _rule_columns(part)] if parts else [rule["column"]]


def _questions(field: dict[str, Any], language: str) -> tuple[str, str | None]:
    """The question in the pack's language and, on the Danish form in another language, the Danish wording."""
    return field["question"], (None if language == "da" else field.get("question_da"))


def filing_pack_markdown(pack: dict[str, Any]) -> str:
    """A copy-paste view of the pack in form order, with the Danish form's wording under each question."""
    lang = pack["language"]
    header = [f"- **{label}:** {markdown_text(value, starts_line=False)}" for label, value in _header_rows(pack)]
    out = [f"# {pack['title']}", "", *header, ""]
    for number, section in enumerate(pack["sections"].values(), start=1):
        out += [f"## {number}. {section['title']}", ""]
        for field in section["fields"].values():
            question, danish = _questions(field, lang)
            out += [f"**{question}**" + (f"  \n_{danish}_" if danish else ""), "", markdown_answer(field["answer"], lang), ""]
    return "\n".join(out).rstrip() + "\n"


def markdown_answer(answer: Any, language: str) -> str:
    """``format_answer`` for Markdown: what came from the facts or a profile is inert (notices.output.markdown_text)."""
    if isinstance(answer, list):
        return "\n".join(f"- {markdown_text(str(item))}" for item in answer)
    return markdown_text(format_answer(answer, language))


def write_filing_pack_pdf(pack: dict[str, Any], path: Path) -> None:
    """A readable PDF of the pack naming the authority, the incident id, the deadline and the answers."""
    font, bold = register_fonts()
    styles = {
        "title": ParagraphStyle("t", fontName=bold, fontSize=16, leading=20, spaceAfter=8),
        "h": ParagraphStyle("h", fontName=bold, fontSize=12, leading=15, spaceBefore=10, spaceAfter=4, keepWithNext=1),
        "q": ParagraphStyle("q", fontName=bold, fontSize=9, leading=12, spaceBefore=4, textColor=HexColor("#333333")),
        "a": ParagraphStyle("a", fontName=font, fontSize=9.5, leading=12.5, leftIndent=4 * mm),
        "li": ParagraphStyle("l", fontName=font, fontSize=9.5, leading=12.5, leftIndent=8 * mm, bulletIndent=4 * mm),
        "cell": ParagraphStyle("c", fontName=font, fontSize=9.5, leading=12.5),
        "da": ParagraphStyle("d", fontName=font, fontSize=8, leading=10, textColor=HexColor("#666666")),
    }
    story: list[Any] = [Paragraph(escape(pack["title"]), styles["title"])]
    rows = [[Paragraph(escape(k), styles["q"]), Paragraph(escape(v), styles["cell"])]
            for k, v in _header_rows(pack)]
    table = Table(rows, colWidths=[60 * mm, 110 * mm])
    table.setStyle(TableStyle([("BACKGROUND", (0, 0), (-1, -1), HexColor("#f1f3f5")), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                               ("BOX", (0, 0), (-1, -1), 0.5, HexColor("#999999"))]))
    story += [table, Spacer(1, 4 * mm), timeline_drawing(pack), Spacer(1, 4 * mm)]
    story += _pdf_sections(pack, styles)
    build_pdf(story, path, pagesize=A4, footer=f"{pack['incident_id']} \u00b7 {pack['title']}")


def build_pdf(story: list[Any], path: Path, *, pagesize: tuple[float, float], footer: str) -> None:
    """Write a filing's story as a PDF with ``footer`` and the page number on every page, atomically; no creation
    time or random id in the file, so the same pack gives the same bytes."""
    font = register_fonts()[0]

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.setFont(font, 7.5)
        canvas.drawString(20 * mm, 10 * mm, footer)
        canvas.drawRightString(pagesize[0] - 20 * mm, 10 * mm, str(doc.page))

    with atomic_output(Path(path)) as tmp:
        doc = SimpleDocTemplate(str(tmp), pagesize=pagesize, leftMargin=20 * mm, rightMargin=20 * mm,
                                topMargin=18 * mm, bottomMargin=18 * mm, title=footer, invariant=1)
        doc.build(story, onFirstPage=on_page, onLaterPages=on_page)


def _pdf_sections(pack: dict[str, Any], styles: dict[str, Any]) -> list[Any]:
    """Flowables for every section: numbered title, then each question and its answer."""
    lang, story = pack["language"], []
    for number, section in enumerate(pack["sections"].values(), start=1):
        story.append(Paragraph(f"{number}. {escape(section['title'])}", styles["h"]))
        for field in section["fields"].values():
            question, danish = _questions(field, lang)
            block = [Paragraph(escape(question), styles["q"])]
            block += [Paragraph(escape(danish), styles["da"])] if danish else []
            story.append(KeepTogether(block + _pdf_answer(field["answer"], lang, styles)))
    return story


def _pdf_answer(answer: Any, language: str, styles: dict[str, Any]) -> list[Any]:
    """An answer as flowables: a list as bullets with a hanging indent, anything else as one paragraph."""
    if isinstance(answer, list) and answer:
        return [Paragraph(escape(str(item)), styles["li"], bulletText="\u2022") for item in answer]
    return [Paragraph(escape(format_answer(answer, language)).replace("\n", "<br/>"), styles["a"])]
