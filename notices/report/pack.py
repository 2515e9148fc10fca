"""The authority filing pack: the Art. 33(3) answers, field by field, in the order of the authority's form.

Denmark's Datatilsynet takes breach notifications only through its form on virk.dk and Norway's
through Altinn, so what we produce is not a letter but the form's answers, ready to copy in. The
sections and questions follow the Danish form (``notices/data/filing_form.json``); each field
carries the Danish question, the question in the pack's language and the answer. An answer of
``None`` means the facts do not say: the filer must supply it, and it is listed under ``missing``.
Art. 33(4): an incomplete pack is marked as an initial notification with more to follow.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

from babel import Locale
from reportlab.lib.colors import HexColor
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from breach.exceptions import DeadlineMissed
from notices.letters.pdf import register_fonts
from notices.output import atomic_output
from notices.params import LOCALES, AuthorityNoticeParams, format_number, load_table
from notices.report.timeline import timeline_drawing

PACK_VERSION = 1
SPECIAL_CATEGORIES = frozenset({
    "health", "genetic", "biometric", "racial_ethnic_origin", "political_opinions", "religious_beliefs",
    "trade_union", "sex_life_orientation", "criminal_offences", "special_category_unspecified",
})
_COMPLETE_NEEDS = ("occurred_at", "aware_at", "subjects_affected", "records_affected")


class _Words:
    """Localized words for coded answers, from the filing form table."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.table = load_table("filing_form")

    def __call__(self, group: str, code: str) -> str:
        """The label of ``code`` in ``group`` (e.g. cause/human_error); an unknown code is shown as is."""
        return self.table[group].get(code, {}).get(self.language, code)

    def yes_no(self, value: bool | None) -> str:
        """Ja/Nej/Ukendt for a tri-state fact."""
        return self("values", "unknown" if value is None else ("yes" if value else "no"))

    def labels(self, group: str, codes: list[str]) -> list[str] | None:
        """Labels for a list of codes, or None when the list is empty."""
        return [self(group, code) for code in codes] or None

    def country(self, code: str) -> str:
        """A country's name in the pack's language."""
        return Locale.parse(LOCALES[self.language]).territories.get(code, code)


Words = _Words  # public name for the other form builders (notices.report.forms)


def _notification(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Which case this is, whether it is complete (Art. 33(4)), to whom and by when."""
    complete = all(p.facts.get(key) is not None for key in _COMPLETE_NEEDS) and p.facts.get("contained") is True
    authority = p.assessment.get("authority") or {}
    return {
        "incident_id": p.incident_id,
        "reference": p.facts.get("reference"),
        "notification_type": w("values", "complete" if complete else "initial"),
        "authority": authority.get("name"),
        "deadline": p.when(p.deadline()),
    }


def _controller(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """The notifying controller (or processor, Art. 33(2))."""
    declared = p.facts.get("controller") or {}
    return {
        "name": declared.get("name") or p.controller.name,
        "org_number": p.controller.org_number,
        "address": list(p.controller.address_lines) or None,
        "country": w.country(declared.get("country") or p.controller.country),
        "role": w("values", p.facts.get("role", "controller")),
    }


def _contact(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(b): the DPO or other contact point where more information can be obtained."""
    c = p.controller
    no_dpo = None if (c.dpo_name or c.dpo_email) else w("values", "not_applicable")
    return {
        "contact_name": c.contact_name,
        "contact_email": c.contact_email,
        "contact_phone": c.contact_phone,
        "dpo_name": c.dpo_name or no_dpo,
        "dpo_email": c.dpo_email or no_dpo,
        "dpo_phone": c.dpo_phone or w("values", "not_applicable"),
    }


def _timeline(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """When it happened, was found, became known, and whether this notification is late (Art. 33(1))."""
    late, deadline = p.is_late(), p.deadline()
    if late and deadline is not None and not (p.reasons_for_delay or "").strip():
        raise DeadlineMissed(p.incident_id, deadline)
    return {
        "occurred_at": p.when(p.instant("occurred_at")),
        "detected_at": p.when(p.instant("detected_at")),
        "aware_at": p.when(p.instant("aware_at")),
        "contained": w.yes_no(p.facts.get("contained")),
        "notified_at": p.when(p.notified_at),
        "late": w.yes_no(late) if p.notified_at and p.deadline() else None,
        "reasons_for_delay": p.reasons_for_delay if late else w("values", "not_applicable"),
    }


def _breach(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(a): the nature of the breach."""
    f = p.facts
    return {
        "description": f.get("summary"),
        "breach_types": w.labels("breach_types", list(f.get("breach_types", []))),
        "cause": w("cause", f.get("cause", "unknown")),
        "malicious": w.yes_no(f.get("malicious")),
        "encryption": w("encryption", f.get("encryption", "none")),
        "pseudonymised": w.yes_no(f.get("pseudonymised", False)),
        "exfiltration": w("exfiltration", f.get("exfiltration", "unknown")),
        "accessed": w("accessed", f.get("accessed", "unknown")),
        "recipient": w("recipient", f.get("recipient", "unknown")),
    }


def _subjects(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(a): categories and approximate numbers of people and records concerned."""
    f = p.facts
    categories = set(f.get("data_categories", []))
    return {
        "subject_categories": w.labels("subject_categories", list(f.get("subject_categories", []))),
        "subjects_affected": f.get("subjects_affected"),
        "subjects_affected_is_estimate": w.yes_no(f.get("subjects_affected_is_estimate", False)),
        "records_affected": f.get("records_affected"),
        "data_categories": p.category_labels() or None,
        "special_categories": w.yes_no(bool(categories & SPECIAL_CATEGORIES)),
        "national_id": w.yes_no("national_id" in categories),
    }


def _consequences(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(c): likely consequences, and the risk assessment with its reasons."""
    a = p.assessment
    severity = a.get("severity") or {}
    risk = w("risk", a["risk"]) if a.get("risk") else None
    if risk and severity.get("score") is not None:
        risk = f"{risk} ({severity.get('method', 'ENISA')}: {severity['score']:g}, {severity.get('band', '')})"
    return {
        "likely_consequences": p.consequences(),
        "harm_observed": w.yes_no(p.facts.get("harm_observed")),
        "risk": risk,
        "rationale": [f"{r['rule']}: {r['finding']}" for r in a.get("rationale", [])] or None,
    }


def _measures(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(d): measures taken or proposed to address the breach and mitigate its effects."""
    return {
        "measures_taken": list(p.facts.get("measures_taken", [])) or None,
        "measures_proposed": list(p.facts.get("measures_proposed", [])) or None,
    }


def _communication(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 34: whether and how the people are told, with counts by channel."""
    a, na = p.assessment, w("values", "not_applicable")
    told = bool(a.get("notify_subjects")) or (p.audience or {}).get("who") == "subset"
    exemption = a.get("subject_notice_exemption") or ("not_high_risk" if a.get("risk") != "high" else None)
    counts = {channel: n for channel, n in p.people_counts.items() if n}
    channels = [f"{w('channels', ch)}: {format_number(n, language=w.language)}" for ch, n in counts.items()]
    return {
        "notify_subjects": w.yes_no(told),
        "exemption": na if told else (w("exemption", exemption) if exemption else None),
        "public_communication": w.yes_no(bool(a.get("public_communication"))),
        "channels": channels or (None if told else na),
        "people_told": sum(counts.values()) if counts else (None if told else na),
    }


def _cross_border(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Whether people in other countries are affected (one-stop shop, Art. 56)."""
    declared = p.facts.get("controller") or {}
    home = declared.get("country") or p.controller.country
    listed = p.facts.get("subjects_countries")
    others = sorted(set(listed or []) - {home})
    return {
        "other_countries": w.yes_no(bool(others)) if listed else None,
        "countries": [w.country(code) for code in others] or w("values", "not_applicable"),
        "established_in_eea": w.yes_no(declared.get("established_in_eea", True)),
    }


_SECTIONS: dict[str, Callable[[AuthorityNoticeParams, _Words], dict[str, Any]]] = {
    "notification": _notification, "controller": _controller, "contact": _contact, "timeline": _timeline,
    "breach": _breach, "subjects": _subjects, "consequences": _consequences, "measures": _measures,
    "communication": _communication, "cross_border": _cross_border,
}


def _iso(moment: datetime | None) -> str | None:
    """An aware datetime as ISO 8601, or None."""
    return moment.isoformat() if moment else None


def answer_catalogue(params: AuthorityNoticeParams, words: _Words | None = None) -> dict[str, Any]:
    """Every answer of the Danish pack by 'section.field', worded in the params' language (other forms map onto it)."""
    w = words or _Words(params.language)
    return {f"{key}.{field}": value for key, build in _SECTIONS.items() for field, value in build(params, w).items()}


def pack_header(params: AuthorityNoticeParams, *, title: str, authority: dict[str, Any] | None = None) -> dict[str, Any]:
    """What every pack carries above its answers: case, authority, deadline (Art. 33(1)) and the timeline's instants."""
    declared = params.facts.get("controller") or {}
    return {
        "kind": "authority_report",
        "pack_version": PACK_VERSION,
        "language": params.language,
        "title": title,
        "incident_id": params.incident_id,
        "controller_name": declared.get("name") or params.controller.name,
        "authority": authority or params.assessment.get("authority"),
        "deadline": _iso(params.deadline()),
        "deadline_text": params.when(params.deadline()),
        "notified_at": _iso(params.notified_at),
        "notified_text": params.when(params.notified_at),
        "late": params.is_late(),
        "timeline": {
            "occurred_at": _iso(params.instant("occurred_at")), "detected_at": _iso(params.instant("detected_at")),
            "aware_at": _iso(params.instant("aware_at")), "contained": params.facts.get("contained"),
            "contained_at": _iso(params.instant("contained_at")), "notified_at": _iso(params.notified_at),
            "deadline": _iso(params.deadline()), "timezone": params.controller.timezone,
        },
        "audience": params.audience,
    }


def build_filing_pack(params: AuthorityNoticeParams, *, authority: dict[str, Any] | None = None) -> dict[str, Any]:
    """The Danish form's answers as JSON-ready dict: sections in form order, each field with its Danish question."""
    w, form = _Words(params.language), load_table("filing_form")
    sections: dict[str, Any] = {}
    for key, build in _SECTIONS.items():
        answers, labels = build(params, w), form["sections"][key]
        assert answers.keys() == labels["fields"].keys(), f"filing_form.json and report.py disagree on {key}"
        sections[key] = {
            "title_da": labels["title"]["da"],
            "title": labels["title"][params.language],
            "fields": {
                field: {"question_da": q["da"], "question": q[params.language], "answer": answers[field]}
                for field, q in labels["fields"].items()
            },
        }
    pack = pack_header(params, title=form["title"][params.language], authority=authority)
    if authority:
        sections["notification"]["fields"]["authority"]["answer"] = authority.get("name")
    pack.update({
        "form": "dk", "form_source": form.get("source"), "form_last_verified": form.get("last_verified"),
        "sections": sections,
        "missing": [f"{s}.{f}" for s, sec in sections.items() for f, v in sec["fields"].items() if v["answer"] is None],
    })
    return pack


def format_answer(answer: Any, language: str) -> str:
    """An answer as text: lists as '- ' lines, counts grouped for the language, None as 'fill in'."""
    if answer is None:
        return load_table("filing_form")["values"]["missing"][language]
    if isinstance(answer, list):
        return "\n".join(f"- {item}" for item in answer)
    if isinstance(answer, int) and not isinstance(answer, bool):
        return format_number(answer, language=language)
    return str(answer)


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
    out = [f"# {pack['title']}", ""] + [f"- **{label}:** {value}" for label, value in _header_rows(pack)] + [""]
    for number, section in enumerate(pack["sections"].values(), start=1):
        out += [f"## {number}. {section['title']}", ""]
        for field in section["fields"].values():
            question, danish = _questions(field, lang)
            out += [f"**{question}**" + (f"  \n_{danish}_" if danish else ""), "", format_answer(field["answer"], lang), ""]
    return "\n".join(out).rstrip() + "\n"


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
    footer = f"{pack['incident_id']} \u00b7 {pack['title']}"

    def on_page(canvas: Any, doc: Any) -> None:
        canvas.setFont(font, 7.5)
        canvas.drawString(20 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, str(doc.page))

    with atomic_output(Path(path)) as tmp:
        # invariant: no creation time or random id in the file, so the same pack gives the same bytes
        doc = SimpleDocTemplate(str(tmp), pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm,
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
