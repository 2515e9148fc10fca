"""Small readings of the facts that several rules share (what was hit, by whom, how protected)."""

from __future__ import annotations

from breach.assess.tables import enisa
from breach.facts import Facts

LIKELIHOOD_WORDS = {0: "remote", 1: "possible", 2: "likely", 3: "near-certain"}


def is_malicious(facts: Facts) -> bool:
    """Malicious intent as stated, or implied by an attack or a malicious insider when not stated."""
    if facts.malicious is not None:
        return facts.malicious
    return facts.cause in ("external_attack", "internal_malicious")


def special_categories(facts: Facts) -> list[str]:
    """The Art. 9/10 data among the categories."""
    table = enisa().categories
    return [c for c in facts.data_categories if table[c].special_category]


def vulnerable_groups(facts: Facts) -> list[str]:
    """Children, vulnerable adults, patients: people who need particular protection (Recital 75)."""
    return [s for s in facts.subject_categories if s in enisa().vulnerable_subjects]


def readable_categories(facts: Facts) -> list[str]:
    """The categories whose own protection left them intelligible (encryption_by_category, else encryption)."""
    return [c for c in facts.data_categories if facts.protection_of(c) != "strong_key_safe"]


def unintelligible(facts: Facts) -> bool:
    """Art. 34(3)(a): every category under state-of-the-art encryption (or salted slow hashing), key not compromised."""
    if not facts.data_categories:
        return facts.encryption == "strong_key_safe"
    return not readable_categories(facts)


def partly_unintelligible(facts: Facts) -> list[str]:
    """The categories that were unintelligible while others were readable (partial encryption); else []."""
    readable = readable_categories(facts)
    return [c for c in facts.data_categories if c not in readable] if readable else []


def ransomware_exfiltration_open(facts: Facts) -> bool:
    """An attack that made data unavailable where copying it out is not ruled out (EDPB 01/2021 paras 16, 19)."""
    return (has(facts, "availability") and not has(facts, "confidentiality") and facts.cause == "external_attack"
            and facts.exfiltration != "none")


def confidentiality_at_stake(facts: Facts) -> bool:
    """A disclosure or access is stated, or cannot be ruled out after an attack (ransomware, exfiltration open)."""
    return has(facts, "confidentiality") or ransomware_exfiltration_open(facts)


OUTSIDE_RECIPIENTS = ("untrusted", "hostile", "public", "unknown")


def outside_control(facts: Facts, *, trusted_counts: bool = False) -> bool:
    """The data is, or may be, with someone outside the controller's control and not bound to keep it secret."""
    if attacker_has_data(facts) or facts.recipient in OUTSIDE_RECIPIENTS:
        return True
    return trusted_counts and facts.recipient == "trusted_external"


def attacker_has_data(facts: Facts) -> bool:
    """The data was, or probably was, copied out by an attacker or insider."""
    return facts.exfiltration in ("confirmed", "likely")


def has(facts: Facts, breach_type: str) -> bool:
    """Whether the breach is of this type (confidentiality, integrity, availability)."""
    return breach_type in facts.breach_types


def people_text(facts: Facts) -> str:
    """'about 2,000 people', '24 people' or 'an unknown number of people'."""
    if facts.subjects_affected is None:
        return "an unknown number of people"
    prefix = "about " if facts.subjects_affected_is_estimate else ""
    return f"{prefix}{facts.subjects_affected:,} {'person' if facts.subjects_affected == 1 else 'people'}"


# Codes whose plain reading ("personal data other") would puzzle a reader.
_WORDS = {
    "personal_data_other": "other personal data",
    "special_category_unspecified": "special-category data of an unstated kind",
    "cv_application": "CV or job application",
    "sex_gender": "sex or gender",
    "image_video": "images or video",
}


def word(code: str) -> str:
    """A schema code as words: 'postal_address' -> 'postal address'."""
    return _WORDS.get(code, code.replace("_", " "))


def listing(items: list[str]) -> str:
    """Codes as readable words: ['postal_address', 'health'] -> 'postal address, health'."""
    return ", ".join(word(item) for item in items)


def and_join(items: list[str]) -> str:
    """['a', 'b', 'c'] -> 'a, b and c'."""
    words = [word(item) for item in items]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]
