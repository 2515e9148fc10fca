"""Filing packs for other forms than the Danish one: Norway's Altinn form, the Dutch AP's meldformulier, the EDPB template.

A form is data (``notices/data/filing_form_no.json``, ``notices/data/edpb_template.json``): its
sections and questions in order, and for each question ``from``, the name of the answer in the
*catalogue*. The catalogue is every answer of the Danish pack (``section.field``, worded in the
form's language by ``notices.report.pack``) plus ``extra.*`` answers that only other forms ask for.
A question whose ``from`` is null, or whose answers are all unknown, is listed under ``missing``
for the filer to supply (Art. 33(4): information may be provided in phases). A question with ``ask_if``
(the AP form asks about altered or lost data only for integrity or availability breaches) is answered
"not applicable" when the facts' breach types do not include one of its values.
"""

from __future__ import annotations

from typing import Any

from breach.authorities import get_authority
from notices.params import AuthorityNoticeParams, load_table
from notices.report.pack import SPECIAL_CATEGORIES, Words, answer_catalogue, pack_header

FORMS = {"dk": "filing_form", "no": "filing_form_no", "nl": "filing_form_nl", "edpb": "edpb_template"}
FORM_BY_AUTHORITY = {"DK": "dk", "NO": "no", "NL": "nl"}
_FINANCIAL = {"financial", "bank_account", "payment_card", "payment_card_partial", "invoice_data"}


def _filings_text(filings: list[dict[str, Any]], p: AuthorityNoticeParams) -> list[str] | None:
    """Earlier filings as lines: 'DK #1, <time>, ref X, receipt sha256 abcd…'."""
    lines = []
    for f in filings:
        ref = f", {f['authority_reference']}" if f.get("authority_reference") else ""
        lines.append(f"{f['authority_code']} #{f['sequence']}, {p.when(f['filed_at'])}{ref}, sha256 {f['receipt_sha256'][:16]}")
    return lines or None


def _extras(p: AuthorityNoticeParams, w: Words, filings: list[dict[str, Any]]) -> dict[str, Any]:
    """Answers the Danish form does not ask but the Norwegian form or the EDPB template do."""
    return {**_context_extras(p, w, filings), **_facts_extras(p, w)}


def _context_extras(p: AuthorityNoticeParams, w: Words, filings: list[dict[str, Any]]) -> dict[str, Any]:
    """Earlier filings (Art. 33(4)), authorities owed, other regimes, DPO, severity, people counts."""
    f, a, yn = p.facts, p.assessment, w.yes_no
    severity = a.get("severity") or {}
    regimes = f.get("regimes") or {}
    return {
        "extra.is_followup": yn(bool(filings)),
        "extra.filings": _filings_text(filings, p) or w("values", "not_applicable"),
        "extra.authority_reference": (next((x["authority_reference"] for x in filings if x.get("authority_reference")), None)
                                      if filings else w("values", "not_applicable")),
        "extra.subjects_countries": [w.country(c) for c in f.get("subjects_countries", [])] or None,
        "extra.authorities_owed": [x.get("name", x.get("code")) + f" ({x.get('code')})" for x in a.get("authorities", [])] or None,
        "extra.other_regimes": [k for k, v in regimes.items() if v] or w("values", "no"),
        # ePrivacy Directive art. 4(3) / Reg. 611/2013 (NL: Telecommunicatiewet art. 11.3a) for public telecom providers.
        "extra.legal_basis": w("values", "basis_gdpr_eprivacy" if regimes.get("electronic_communications_provider") else "basis_gdpr"),
        "extra.dpo_appointed": yn(bool(p.controller.dpo_name or p.controller.dpo_email)),
        "extra.identifiable": _tri(w, a, "identifiable"),
        "extra.severity_method": severity.get("method"),
        "extra.severity_score": severity.get("score"),
        "extra.severity_band": severity.get("band"),
        "extra.high_risk": yn(a.get("risk") == "high") if a.get("risk") else None,
        "extra.people_unreachable": p.people_counts.get("unreachable", 0) if p.people_counts else None,
        "extra.advice_given": yn(bool(a.get("notify_subjects"))),
    }


def _facts_extras(p: AuthorityNoticeParams, w: Words) -> dict[str, Any]:
    """Answers read straight from the facts document (Art. 33(3)(a): the nature of the breach)."""
    f, yn = p.facts, w.yes_no
    cats = set(f.get("data_categories", []))
    consequences = _consequence_keys(cats)
    contained, cause = f.get("contained"), f.get("cause")
    origin = None if cause in (None, "unknown") else ("external" if cause == "external_attack" else "internal")
    answers = {
        "extra.origin": w("values", origin) if origin else None,
        "extra.device_lost": yn(cause == "lost_or_stolen_device") if cause else None,
        "extra.ongoing": yn(not contained) if contained is not None else None,
        "extra.recipients_count": f.get("recipients_count"),
        "extra.published": yn(f.get("recipient") == "public") if f.get("recipient") else None,
        "extra.unavailable_hours": f.get("unavailable_hours"),
        "extra.vulnerable_subjects": yn("children" in f.get("subject_categories", [])) if f.get("subject_categories") else None,
        "extra.criminal_data": yn("criminal_offences" in cats),
        "extra.financial_data": yn(bool(cats & _FINANCIAL)),
        "extra.credentials": yn("credentials" in cats),
        "extra.location_data": yn("location" in cats),
        "extra.communications_content": yn("communications_content" in cats),
        "extra.identity_documents": yn("identity_document" in cats),
        "extra.data_volume_per_person": f.get("data_volume_per_person"),
        "extra.risk_identity_theft": yn(bool({"identity_fraud", "account_takeover"} & consequences)),
        "extra.risk_financial_loss": yn("financial_fraud" in consequences),
        "extra.special_categories_listed": sorted(cats & SPECIAL_CATEGORIES) or None,
    }
    for key in ("known_unfixed_vulnerability", "recipient_deleted", "data_altered", "permanent_loss", "backup_available",
                "context_reveals_sensitive", "subjects_reachable"):
        answers[f"extra.{key}"] = _tri(w, f, key)
    if set(f.get("breach_types", [])) == {"confidentiality"}:  # a backup restores availability, not confidentiality
        answers["extra.backup_available"] = w("values", "not_applicable")
    return answers


def _tri(w: Words, source: dict[str, Any], key: str) -> str | None:
    """A boolean fact as Ja/Nej, or None (unanswered) when the facts do not say."""
    value = source.get(key)
    return None if value is None else (w.yes_no(bool(value)) if isinstance(value, bool) else str(value))


def _consequence_keys(categories: set[str]) -> set[str]:
    """The consequence keys the categories table attaches to these data categories."""
    table = load_table("categories")["categories"]
    return {key for c in categories if c in table for key in table[c]["consequences"]}


def catalogue(params: AuthorityNoticeParams, filings: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Every answer we can give, by catalogue key (``section.field`` of the Danish pack, or ``extra.*``)."""
    w = Words(params.language)
    return {**answer_catalogue(params, w), **_extras(params, w, filings or [])}


def _resolve(source: str | list[str] | None, answers: dict[str, Any]) -> Any:
    """The answer for a question's ``from``: one answer, several joined as lines, or None."""
    if source is None:
        return None
    if isinstance(source, str):
        return answers[source]
    parts = [answers[key] for key in source]
    if all(part is None for part in parts):
        return None
    lines: list[str] = []
    for part in parts:
        lines += [str(x) for x in part] if isinstance(part, list) else ([] if part is None else [str(part)])
    return lines


def asked(question: dict[str, Any], facts: dict[str, Any]) -> bool:
    """Whether the form asks this question for these facts: ``ask_if`` {"facts.KEY": [values]} needs one value in common."""
    for key, values in (question.get("ask_if") or {}).items():
        field = key.removeprefix("facts.")
        found = facts.get(field)
        have = set(found) if isinstance(found, list) else {found}
        if not have & set(values):
            return False
    return True


def _answer(question: dict[str, Any], answers: dict[str, Any], p: AuthorityNoticeParams, w: Words) -> Any:
    """The question's answer; 'not applicable' when the form would not ask it for this breach (``ask_if``)."""
    if not asked(question, p.facts):
        return w("values", "not_applicable")
    return _resolve(question.get("from"), answers)


def form_sources(form: str) -> dict[str, str | list[str] | None]:
    """Each question's catalogue key(s), as 'section.field' -> from (for docs and tests)."""
    table = load_table(FORMS[form])
    return {f"{s}.{k}": q.get("from") for s, sec in table["sections"].items() for k, q in sec["fields"].items()}


def build_form_pack(params: AuthorityNoticeParams, *, form: str, filings: list[dict[str, Any]] | None = None,
                    authority: dict[str, Any] | None = None, language: str | None = None) -> dict[str, Any]:
    """The answers of ``form`` (no, edpb) in its order and language; same shape as the Danish pack.

    Args:
        filings: earlier filings (authority_code, sequence, filed_at, receipt_sha256, authority_reference); no people.
        authority: the authority this pack is for (its table entry); default the assessment's lead authority.
    """
    table = load_table(FORMS[form])
    language = language or table["language"]  # the form's own language unless asked for another (English alongside)
    if authority is None and table.get("authority"):
        found = get_authority(table["authority"])
        authority = found.model_dump(mode="json") if found else None
    params = params.model_copy(update={"language": language, "home_country": (authority or {}).get("country") or params.home_country})
    answers = catalogue(params, filings)
    words = Words(language)
    if authority:
        answers["notification.authority"] = authority.get("name")
    sections: dict[str, Any] = {}
    for key, section in table["sections"].items():
        sections[key] = {"title": section["title"].get(language, section["title"]["en"]), "fields": {
            name: {"question": q.get(language, q["en"]), "question_en": q["en"], "from": q.get("from"),
                   "answer": _answer(q, answers, params, words)}
            for name, q in section["fields"].items()}}
    pack = pack_header(params, title=table["title"][language], authority=authority)
    pack.update({
        "form": form, "form_source": table.get("source"), "form_last_verified": table.get("last_verified"),
        "sections": sections,
        "missing": [f"{s}.{f}" for s, sec in sections.items() for f, v in sec["fields"].items() if v["answer"] is None],
    })
    return pack


