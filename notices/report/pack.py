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
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from babel import Locale

from breach.exceptions import DeadlineMissed
from notices.letters.pdf import org_number_text
from notices.params import LOCALES, AuthorityNoticeParams, aggravating_sentences, format_number, load_table
from notices.report.rationale import rationale

PACK_VERSION = 1
SPECIAL_CATEGORIES = frozenset({
    "health", "genetic", "biometric", "racial_ethnic_origin", "political_opinions", "religious_beliefs",
    "trade_union", "sex_life_orientation", "criminal_offences", "special_category_unspecified",
})
# Art. 33(3)-(4): the notification is complete only when these are answered (and the breach is contained);
# otherwise it is an initial notification and the unanswered ones are named as to follow.
REQUIRED_FOR_COMPLETE = (
    "timeline.occurred_at", "timeline.aware_at", "timeline.awareness_explanation", "timeline.reasons_for_delay",
    "breach.description", "subjects.subject_categories", "subjects.subjects_affected", "subjects.records_affected",
    "subjects.data_categories", "consequences.likely_consequences", "measures.measures_taken",
)
GAP_TO_EXPLAIN = timedelta(hours=4)  # a longer detection-to-awareness gap is shown with its reasons


@lru_cache(maxsize=1)
def form_table() -> dict[str, Any]:
    """The Danish form (filing_form.json) with the extra questions of filing_form_more.json added to its sections."""
    form, more = load_table("filing_form"), load_table("filing_form_more")
    merged = {**form, "sections": {k: {**v, "fields": {**v["fields"], **more["sections"].get(k, {})}} for k, v in form["sections"].items()}}
    merged["values"] = {**form["values"], **more["values"]}
    return merged


def not_applicable_words(language: str) -> set[str]:
    """Answers that say 'not applicable' in a language (an element answered so is not answered)."""
    return {load_table("filing_form")["values"]["not_applicable"][language]}


class _Words:
    """Localized words for coded answers, from the filing form table."""

    def __init__(self, language: str) -> None:
        self.language = language
        self.table = form_table()

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
    """Which case this is, to whom and by when; complete or initial (Art. 33(4)) is settled once all answers are in."""
    authority = p.assessment.get("authority") or {}
    return {
        "incident_id": p.incident_id,
        "reference": p.facts.get("reference"),
        "notification_type": None,
        "authority": authority.get("name"),
        "deadline": p.when(p.deadline()),
        "authority_reference": p.authority_reference or w("values", "not_applicable"),
        "to_follow": None,
    }


def _controller(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """The notifying controller (or processor, Art. 33(2))."""
    declared = p.facts.get("controller") or {}
    return {
        "name": declared.get("name") or p.controller.name,
        "org_number": org_number_text(p.controller),
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
    late, reasons, deadline = p.is_late(), (p.reasons_for_delay or "").strip() or None, p.deadline()
    if late and p.notified_at and deadline is not None and not reasons:
        raise DeadlineMissed(p.incident_id, deadline)
    late_text = w("values", "late_yes").format(deadline=p.when(deadline)) if late else w.yes_no(False)
    detected, aware = p.instant("detected_at"), p.instant("aware_at")
    gap = aware - detected if detected and aware and aware > detected else None
    explain = gap is not None and gap > GAP_TO_EXPLAIN
    text = p.free_text()
    return {
        "occurred_at": p.when(p.instant("occurred_at")),
        "detected_at": p.when(detected),
        "aware_at": p.when(aware),
        "contained": w.yes_no(p.facts.get("contained")),
        "notified_at": p.when(p.notified_at),
        "late": late_text if deadline and (p.notified_at or p.as_of) else None,
        "reasons_for_delay": reasons if late else w("values", "not_applicable"),
        "contained_at": p.when(p.instant("contained_at")) or (None if p.facts.get("contained") else w("values", "not_applicable")),
        "detection_gap": _gap_text(gap, w) if gap is not None else w("values", "not_applicable"),
        "awareness_explanation": (text.awareness_explanation if explain else (text.awareness_explanation or w("values", "not_applicable"))),
    }


def _gap_text(gap: timedelta, w: _Words) -> list[str]:
    """'17 timer og 25 minutter' and the rule the 72 hours follow (EDPB Guidelines 9/2022, paras 31-33)."""
    minutes = int(gap.total_seconds() // 60)
    return [w("values", "gap").format(hours=minutes // 60, minutes=minutes % 60), w("values", "gap_note")]


def _breach(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(a): the nature of the breach."""
    f, text = p.facts, p.free_text()
    items = list(f.get("aggravating_facts") or [])
    police = f.get("police_informed")
    return {
        "description": text.summary,
        "breach_types": w.labels("breach_types", list(f.get("breach_types", []))),
        "cause": w("cause", f.get("cause", "unknown")),
        "malicious": w.yes_no(f.get("malicious")),
        "encryption": w("encryption", f.get("encryption", "none")),
        "pseudonymised": w.yes_no(f.get("pseudonymised", False)),
        "exfiltration": w("exfiltration", f.get("exfiltration", "unknown")),
        "accessed": w("accessed", f.get("accessed", "unknown")),
        "recipient": w("recipient", f.get("recipient", "unknown")),
        "aggravating": aggravating_sentences(items, text.aggravating_details, audience="report", tz=p.controller.timezone,
                                             language=p.language) or w("values", "no"),
        "police_informed": (w("values", "police_yes_at").format(when=p.when(p.instant("police_informed_at")))
                            if police and f.get("police_informed_at") else w.yes_no(police)),
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
        band = w.table["values"]["bands"].get(severity.get("band", ""), {}).get(w.language, severity.get("band", ""))
        risk = f"{risk} ({severity.get('method', 'ENISA')}: {severity['score']:g}, {band})"
    exemption = a.get("subject_notice_exemption") or ("not_high_risk" if a.get("risk") != "high" else None)
    return {
        "likely_consequences": p.consequences() + p.free_text().likely_consequences,
        "harm_observed": w.yes_no(p.facts.get("harm_observed")),
        "risk": risk,
        "rationale": rationale(p, w("exemption", exemption) if exemption else None),
    }


def _measures(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 33(3)(d): measures taken or proposed to address the breach and mitigate its effects."""
    text, f = p.free_text(), p.facts
    reset = f.get("credentials_reset")
    return {
        "measures_taken": text.measures_taken or None,
        "measures_proposed": text.measures_proposed or (w("values", "none_further") if text.measures_taken else None),
        "credentials_reset": w.yes_no(reset) if "credentials" in f.get("data_categories", []) else w("values", "not_applicable"),
    }


def _communication(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Art. 34: whether and how the people are told, with counts by channel."""
    a, na = p.assessment, w("values", "not_applicable")
    told = bool(a.get("notify_subjects")) or (p.audience or {}).get("who") == "subset"
    exemption = a.get("subject_notice_exemption") or ("not_high_risk" if a.get("risk") != "high" else None)
    counts = {channel: n for channel, n in p.people_counts.items() if n and channel != "none"}
    channels = [f"{w('channels', ch)}: {format_number(n, language=w.language)}" for ch, n in counts.items()]
    unreachable = p.people_counts.get("none", 0)
    return {
        "notify_subjects": w.yes_no(told),
        "exemption": na if told else (w("exemption", exemption) if exemption else None),
        "public_communication": w.yes_no(bool(a.get("public_communication")) or (told and unreachable > 0)),
        "channels": channels or (None if told else na),
        "people_told": sum(counts.values()) if counts else (None if told else na),
        "told_when": _told_when(p, w) if told else na,
        "unreachable": _unreachable(unreachable, told=told and bool(p.people_counts), w=w) or na,
    }


def _unreachable(count: int, *, told: bool, w: _Words) -> str | None:
    """People with no usable channel, and what is done for them (Art. 34(3)(c)); None when nobody is told."""
    if count:
        return str(load_table("notice_words")["unreachable"]["report"][w.language].format(n=format_number(count, language=w.language)))
    return w("values", "unreachable_none") if told else None


def _told_when(p: AuthorityNoticeParams, w: _Words) -> list[str] | str:
    """Per channel: how many were told, from when to when (accepted deliveries), or 'not yet'."""
    lines = []
    for channel, told in sorted(p.people_told.items()):
        first, last = p.when(told.get("first_at")), p.when(told.get("last_at"))
        until = w("values", "until").format(last=last) if last and last != first else ""
        lines.append(w("values", "told").format(channel=w("channels", channel), count=format_number(told["count"], language=w.language),
                                                first=first, until=until))
    return lines or w("values", "not_yet_told")


def _cross_border(p: AuthorityNoticeParams, w: _Words) -> dict[str, Any]:
    """Whether people in other countries are affected (one-stop shop, Art. 56)."""
    declared = p.facts.get("controller") or {}
    home = p.home_country or declared.get("country") or p.controller.country
    listed = p.facts.get("subjects_countries")
    others = sorted(set(listed or []) - {home})
    outside = [w("values", "ico")] if "GB" in (listed or []) and home != "GB" else []
    return {
        "other_countries": w.yes_no(bool(others)) if listed else None,
        "countries": [w.country(code) for code in others] or w("values", "not_applicable"),
        "established_in_eea": w.yes_no(declared.get("established_in_eea", True)),
        "other_authorities": outside or w("values", "not_applicable"),
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
    answers = {f"{key}.{field}": value for key, build in _SECTIONS.items() for field, value in build(params, w).items()}
    return _settle_phase(params, answers, w)


def _settle_phase(p: AuthorityNoticeParams, answers: dict[str, Any], w: _Words) -> dict[str, Any]:
    """Art. 33(4): complete when every required answer is in and the breach is contained, else initial,
    naming what is to follow."""
    open_keys = [key for key in REQUIRED_FOR_COMPLETE if answers.get(key) is None]
    complete = not open_keys and p.facts.get("contained") is True
    questions = form_table()["sections"]
    names = [questions[k.split(".")[0]]["fields"][k.split(".")[1]][w.language] for k in open_keys]
    if p.facts.get("contained") is not True:
        names.append(questions["timeline"]["fields"]["contained"][w.language])
    answers["notification.notification_type"] = w("values", "complete" if complete else "initial")
    answers["notification.to_follow"] = names or w("values", "not_applicable")
    return answers


def is_phased(answers: dict[str, Any], language: str) -> bool:
    """Whether the answers mark an initial notification (more to follow, Art. 33(4))."""
    return answers.get("notification.notification_type") == load_table("filing_form")["values"]["initial"][language]


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
    w, form = _Words(params.language), form_table()
    catalogue = answer_catalogue(params, w)
    sections: dict[str, Any] = {}
    for key in _SECTIONS:
        labels = form["sections"][key]
        answers = {name.split(".", 1)[1]: v for name, v in catalogue.items() if name.split(".", 1)[0] == key}
        assert answers.keys() == labels["fields"].keys(), f"the filing form tables and pack.py disagree on {key}"
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
        "sections": sections, "phased": is_phased(catalogue, params.language),
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
