"""The content checker: what people and authorities read is checked before a manager may approve it.

Every draft is checked when it is drafted (``notices.content.drafting`` records the outcome in the
audit log, bound to the drafts' hash) and approval is refused unless that check passed
(``breach.approval.decisions``). A finding names the draft and what is wrong, never a person:

- ``language``: a sentence (or the whole text) in another language than the draft's
  (``notices.content.language`` says how far the identifier can be trusted);
- ``art34``: a notice to people missing an Art. 34(2) element: the nature of the breach, the
  contact point (Art. 33(3)(b)), the likely consequences (c), the measures taken or proposed (d);
  ``no_measures``: a notice with no measures at all (Art. 34(2) with 33(3)(d));
- ``art33``: a filing pack missing an Art. 33(3) element (approximate numbers may follow later
  only when the pack says it is an initial notification, Art. 33(4));
- ``placeholder``: template syntax, an unfilled ``{field}``, ``None`` or a to-do marker left in;
- ``country_line``: a letter abroad whose address does not end with the destination country in
  capitals (``notices.letters.pdf.country_line``);
- ``translation``: free text missing in a language a notice is needed in (``breach.texts``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from html import unescape
from typing import Any

from notices.content.language import foreign, whole_text
from notices.params import SubjectNoticeParams

SNIPPET = 70
_PLACEHOLDERS = (
    re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}"),
    re.compile(r"\{[a-z_]+\}"),
    re.compile(r":\s*None\b|\bNone\s*$", re.MULTILINE),
    re.compile(r"\b(?:TODO|TBD|FIXME|XXX)\b|lorem ipsum", re.IGNORECASE),
    re.compile(r"\[\[|\]\]|<[A-Z_]{3,}>"),
)
_NAME_TAGS = re.compile(r"-recipient_name_(?:text|html)-")
_TAG = re.compile(r"<[^>]+>")


@dataclass(frozen=True)
class Finding:
    """One problem in one draft: where (kind/language/channel), a code and a short message."""

    where: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """JSON-ready, for the audit log."""
        return asdict(self)


def _snippet(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= SNIPPET else text[: SNIPPET - 1] + "…"


def html_text(html: str) -> str:
    """The words of an HTML body: tags dropped, entities decoded, one block per line."""
    text = re.sub(r"(?i)<(?:br|/p|/li|/h\d|/div|/title)[^>]*>", "\n", html)
    text = re.sub(r"(?is)<(style|head)[^>]*>.*?</\1>", " ", text)
    return unescape(_TAG.sub(" ", text))


def check_language(text: str, language: str, *, where: str) -> list[Finding]:
    """Sentences (and a whole text) that are not in ``language``."""
    out = [Finding(where, "language", f"reads as {v.language}, not {language}: \"{_snippet(v.text)}\"")
           for v in foreign(text, language)]
    whole = whole_text(text, language)
    if whole is not None and not out:
        out.append(Finding(where, "language", f"the text as a whole reads as {whole.language}, not {language}"))
    return out


def check_placeholders(text: str, *, where: str, personalised: bool = False) -> list[Finding]:
    """Template syntax, unfilled fields or to-do markers left in; after personalising, name tags too."""
    patterns = _PLACEHOLDERS + ((_NAME_TAGS,) if personalised else ())
    return [Finding(where, "placeholder", f"left unfilled: \"{_snippet(match.group(0))}\"")
            for pattern in patterns for match in [pattern.search(text)] if match]


def check_text(text: str, language: str, *, where: str, html: str | None = None, subject: str = "") -> list[Finding]:
    """Language and placeholders of a rendered notice (subject, text and the words of its HTML)."""
    out = check_language("\n".join([subject, text]), language, where=where)
    out += check_placeholders("\n".join([subject, text]), where=where)
    if html:
        words = html_text(html)
        out += [f for f in check_language(words, language, where=where + "/html") if f.message not in {x.message for x in out}]
        out += check_placeholders(words, where=where + "/html")
    return out


def _contains(text: str, needle: str) -> bool:
    return " ".join(needle.split()) in " ".join(text.split())


def check_subject_notice(params: SubjectNoticeParams, text: str, *, where: str) -> list[Finding]:
    """Art. 34(2): the notice names the breach, the contact point, the consequences and the measures."""
    c = params.controller
    elements = {
        "the nature of the breach (Art. 34(2), 33(3)(a))": [params.summary],
        "the contact point (Art. 34(2), 33(3)(b))": [c.contact_email] if c.contact_email else [c.dpo_email or ""],
        "the likely consequences (Art. 34(2), 33(3)(c))": params.consequences()[:1],
        "the measures taken or proposed (Art. 34(2), 33(3)(d))": (params.measures_taken + params.measures_proposed)[:1],
    }
    out = []
    if not params.measures_taken and not params.measures_proposed:
        out.append(Finding(where, "no_measures", "no measures taken or proposed: a notice must say what was done (Art. 34(2), 33(3)(d))"))
    for element, needles in elements.items():
        if not needles or not all(n and _contains(text, n) for n in needles):
            if element.startswith("the measures") and out:
                continue
            out.append(Finding(where, "art34", f"missing {element}"))
    return out


# Art. 33(3) elements as catalogue keys of the filing pack (notices.report.pack); any one key answered suffices.
ART33_ELEMENTS: dict[str, tuple[str, ...]] = {
    "the nature of the breach (Art. 33(3)(a))": ("breach.description",),
    "the categories of data subjects (Art. 33(3)(a))": ("subjects.subject_categories",),
    "the categories of personal data (Art. 33(3)(a))": ("subjects.data_categories",),
    "the approximate number of data subjects (Art. 33(3)(a))": ("subjects.subjects_affected",),
    "the approximate number of records (Art. 33(3)(a))": ("subjects.records_affected",),
    "the contact point (Art. 33(3)(b))": ("contact.contact_email", "contact.dpo_email"),
    "the likely consequences (Art. 33(3)(c))": ("consequences.likely_consequences",),
    "the measures taken or proposed (Art. 33(3)(d))": ("measures.measures_taken", "measures.measures_proposed"),
}
# Only these may follow in a later phase, and only in a pack marked initial (Art. 33(4)).
PHASED_OK = frozenset({"subjects.subjects_affected", "subjects.records_affected", "subjects.subject_categories"})


def pack_answers(pack: dict[str, Any]) -> dict[str, Any]:
    """Answers by catalogue key: 'section.field' in the Danish layout, a form field's ``from`` elsewhere."""
    out: dict[str, Any] = {}
    for section, body in pack["sections"].items():
        for name, field in body["fields"].items():
            source = field.get("from", f"{section}.{name}")
            for key in ([source] if isinstance(source, str) else source or []):
                out.setdefault(key, field["answer"])
    return out


def _answered(value: Any, not_applicable: set[str]) -> bool:
    return value not in (None, [], "") and not (isinstance(value, str) and value in not_applicable)


def check_pack(pack: dict[str, Any], *, where: str, not_applicable: Iterable[str] = ()) -> list[Finding]:
    """Art. 33(3): every element answered (numbers may follow if the pack is initial), in the pack's language."""
    answers, skip = pack_answers(pack), set(not_applicable)
    phased = bool(pack.get("phased"))
    out = []
    for element, keys in ART33_ELEMENTS.items():
        present = [k for k in keys if k in answers]
        if not present or any(_answered(answers[k], skip) for k in present):
            continue
        if phased and set(present) <= PHASED_OK:
            continue
        out.append(Finding(where, "art33", f"missing {element}"))
    free: list[str] = []
    for key in ("breach.description", "measures.measures_taken", "measures.measures_proposed", "consequences.likely_consequences",
                "consequences.rationale", "timeline.awareness_explanation"):
        value = answers.get(key)
        free += value if isinstance(value, list) else ([value] if isinstance(value, str) else [])
    out += check_language("\n".join(free), pack["language"], where=where)
    out += check_placeholders("\n".join(free), where=where)
    return out


def check_address(lines: list[str], *, country: str | None, sender_country: str) -> list[Finding]:
    """A letter abroad ends its address with the destination country in capitals (UPU; see letters.pdf)."""
    from notices.letters.pdf import country_line

    wanted = country_line(country, sender_country=sender_country)
    if wanted is None:
        return []
    if not lines or lines[-1] != wanted:
        return [Finding(f"letter/{country}", "country_line", f"a letter to {country} must end its address with {wanted!r}")]
    return []
