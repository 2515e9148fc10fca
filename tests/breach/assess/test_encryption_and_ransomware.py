"""Partial encryption per data category, and ransomware assessed as a possible disclosure when copying is not ruled out."""

from __future__ import annotations

import pytest

from breach.assess import assess
from breach.assess.severity import dpc_rule, ei_rule
from breach.exceptions import InvalidFacts
from breach.facts import load_facts

pytestmark = pytest.mark.unit


def leak(**fields):
    """A user table copied by an attacker: e-mail addresses and passwords."""
    return load_facts({"summary": "A user table was copied.", "breach_types": ["confidentiality"], "cause": "external_attack",
                       "malicious": True, "data_categories": ["email", "credentials"], "subjects_affected": 50,
                       "exfiltration": "confirmed", "recipient": "hostile", **fields})


def rules_of(result):
    return {e.rule: e for e in result.rationale}


# --- partial encryption ------------------------------------------------------------------------


def test_hashed_passwords_with_e_mails_in_clear_are_not_unintelligible():
    result = assess(leak(encryption="none", encryption_by_category={"credentials": "strong_key_safe"}))
    assert result.identifiable and result.subject_notice_exemption is None
    assert "Left out because unintelligible to whoever got them: credentials" in rules_of(result)["enisa_dpc"].finding


def test_only_the_readable_categories_are_scored():
    partly = leak(data_categories=["email", "health"], encryption_by_category={"health": "strong_key_safe"})
    assert dpc_rule(partly).value == 1 and ei_rule(partly).value == 1.0
    plain = leak(data_categories=["email", "health"])
    assert dpc_rule(plain).value == 4


def test_the_weakest_protection_decides_when_the_sensitive_category_is_in_clear():
    result = assess(leak(data_categories=["email", "health"], encryption="strong_key_safe",
                         encryption_by_category={"health": "weak_or_key_exposed"}))
    assert result.risk == "high" and result.notify_subjects


def test_every_category_unintelligible_is_art_34_3_a():
    result = assess(leak(data_categories=["email", "health"], encryption="none",
                         encryption_by_category={"email": "strong_key_safe", "health": "strong_key_safe"}))
    assert not result.identifiable and result.subject_notice_exemption == "art34_3_a" and not result.notify_subjects


def test_without_encryption_by_category_nothing_changes():
    assert assess(leak(encryption="strong_key_safe")).model_dump() == assess(
        leak(encryption="strong_key_safe", encryption_by_category={})).model_dump()


def test_a_category_not_in_the_facts_is_refused_by_name():
    with pytest.raises(InvalidFacts) as error:
        leak(encryption_by_category={"health": "strong_key_safe"})
    assert error.value.field == "encryption_by_category.health"


def test_an_unknown_category_or_protection_is_refused_by_the_schema():
    with pytest.raises(InvalidFacts) as error:
        leak(encryption_by_category={"credentials": "rot13"})
    assert error.value.field.startswith("encryption_by_category")


# --- ransomware ----------------------------------------------------------------------------------


def ransomware(**fields):
    return load_facts({"summary": "Ransomware encrypted the file server.", "breach_types": ["availability"],
                       "cause": "external_attack", "malicious": True, "data_categories": ["name", "health"],
                       "subject_categories": ["customers"], "subjects_affected": 40, "backup_available": True,
                       "unavailable_hours": 10, **fields})


@pytest.mark.parametrize("exfiltration", ["unknown", "likely", "confirmed"])
def test_ransomware_where_copying_is_not_ruled_out_is_also_a_possible_disclosure(exfiltration):
    result = assess(ransomware(exfiltration=exfiltration))
    rules = rules_of(result)
    assert "confidentiality_route" in rules and "confidentiality_risk" in rules
    assert "paras. 16 and 19" in " ".join(rules["confidentiality_route"].basis)
    assert result.risk == "high" and result.notify_subjects  # health data possibly in an attacker's hands


def test_ransomware_with_copying_ruled_out_is_an_availability_breach_only():
    result = assess(ransomware(exfiltration="none", recipient="none"))
    assert "confidentiality_route" not in rules_of(result) and "confidentiality_risk" not in rules_of(result)
    assert result.risk == "unlikely" and not result.notify_authority


def test_ordinary_data_restored_in_days_after_ransomware_is_for_the_authority_only():
    """EDPB 01/2021 Case 02: no proper backup, rebuilt over days, copying not ruled out, no special categories."""
    result = assess(ransomware(data_categories=["personal_data_other"], backup_available=False, unavailable_hours=None,
                               subject_categories=["employees", "customers"], subjects_affected=None))
    assert result.notify_authority and not result.notify_subjects and result.notify_subjects_subset is None


def test_a_departing_employee_copying_business_contacts_is_for_the_authority_only():
    """EDPB 01/2021 Case 08: contact data taken on purpose by an insider; graver misuse not ruled out, no high risk."""
    result = assess(load_facts({"summary": "A departing employee copied customer contacts.", "breach_types": ["confidentiality"],
                                "cause": "internal_malicious", "malicious": True,
                                "data_categories": ["name", "email", "phone", "postal_address"], "subject_categories": ["customers"],
                                "exfiltration": "confirmed", "recipient": "hostile", "accessed": "confirmed"}))
    assert result.notify_authority and not result.notify_subjects
