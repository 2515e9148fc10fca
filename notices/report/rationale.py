"""The reasons for the risk assessment, written for the supervisory authority in its language.

The assessment's own rationale names rules and is English developer text; an authority is told
in plain sentences what the verdict rests on: the risk level, the facts that weigh (copied out,
who got the data, encryption, kinds of data, numbers, harm, aggravating facts) and what follows
(Art. 33(1) notification, Art. 34(1) communication or the exemption that applies). The words
are data (``notices/data/filing_form_more.json``, ``rationale``); nothing here is in English
unless the pack is.
"""

from __future__ import annotations

from typing import Any

from notices.params import AuthorityNoticeParams, aggravating_sentences, format_number, load_table

_SPECIAL = frozenset({"health", "genetic", "biometric", "racial_ethnic_origin", "political_opinions", "religious_beliefs",
                      "trade_union", "sex_life_orientation", "criminal_offences", "special_category_unspecified"})
_FINANCIAL = frozenset({"financial", "bank_account", "payment_card", "invoice_data"})
_RECIPIENT = {"hostile": "hostile", "public": "public", "untrusted": "untrusted", "trusted_external": "trusted"}
_ENCRYPTION = {"none": "unencrypted", "weak_or_key_exposed": "weak_encryption", "strong_key_safe": "strong_encryption"}


def _facts_keys(f: dict[str, Any]) -> list[str]:
    """Which rationale sentences the facts call for, in the order an authority reads them."""
    cats = set(f.get("data_categories", []))
    keys = {"confirmed": ["copied"], "likely": ["copied_likely"]}.get(f.get("exfiltration", "unknown"), [])
    keys += [_RECIPIENT[r]] if (r := f.get("recipient")) in _RECIPIENT else []
    keys += ["deleted"] if f.get("recipient_deleted") else []
    keys += [_ENCRYPTION[e]] if (e := f.get("encryption", "none")) in _ENCRYPTION and "confidentiality" in f.get("breach_types", []) else []
    keys += ["special"] if cats & _SPECIAL else []
    keys += ["national_id"] if "national_id" in cats else []
    keys += ["credentials"] if "credentials" in cats else []
    keys += ["financial"] if cats & _FINANCIAL else []
    keys += ["harm"] if f.get("harm_observed") else []
    keys += ["lost"] if f.get("permanent_loss") else []
    return keys


def rationale(p: AuthorityNoticeParams, exemption_text: str | None) -> list[str] | None:
    """Plain sentences for the authority: the risk, the facts behind it, and what follows from it."""
    a, f, lang = p.assessment, p.facts, p.language
    words = load_table("filing_form_more")["rationale"]
    if not a.get("risk"):
        return None
    out = [words["risk"][a["risk"]][lang]]
    out += [words[key][lang] for key in _facts_keys(f)]
    if f.get("unavailable_hours"):
        out.append(words["unavailable"][lang].format(hours=f"{f['unavailable_hours']:g}"))
    if f.get("subjects_affected"):
        out.append(words["many"][lang].format(n=format_number(int(f["subjects_affected"]), language=lang)))
    items = list(f.get("aggravating_facts") or [])
    out += aggravating_sentences(items, [None] * len(items), audience="report", tz=p.controller.timezone, language=lang)
    if a.get("notify_authority"):
        out.append(words["processor" if f.get("role") == "processor" else "notify_authority"][lang])
    if a.get("notify_subjects"):
        out.append(words["notify_subjects"][lang])
    elif exemption_text:
        out.append(words["no_subjects"][lang].format(reason=exemption_text[:1].lower() + exemption_text[1:]))
    return out
