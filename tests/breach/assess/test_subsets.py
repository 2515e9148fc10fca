"""Art. 34 for some of the people: a breach that is not a high risk for everyone can be one for some."""

from __future__ import annotations

import json

import pytest

from breach.assess import assess
from breach.facts import load_facts
from tests.breach.assess.public_cases import verdict

pytestmark = pytest.mark.unit


def facts(**fields):
    """Customers' names and addresses exposed by mistake to a few strangers: a risk, not a high one, for ordinary people."""
    return load_facts({"summary": "A customer list sent to the wrong recipients.", "breach_types": ["confidentiality"],
                       "cause": "human_error", "malicious": False, "data_categories": ["name", "postal_address"],
                       "subject_categories": ["customers"], "subjects_affected": 300, "exfiltration": "none",
                       "recipient": "untrusted", "recipients_count": 3, **fields})


def rules_of(result):
    return [e.rule for e in result.rationale]


def test_ordinary_people_alone_need_not_be_told():
    result = assess(facts())
    assert result.risk == "risk" and not result.notify_subjects and result.notify_subjects_subset is None


def test_people_with_a_protected_address_are_named_as_the_subset_to_tell():
    result = assess(facts(protected_address_subjects_present=True))
    subset = result.to_contract()["notify_subjects_subset"]
    assert subset["people"] == {"column": "protected_address", "equals": True}
    assert "2019-441-1578" in " ".join(subset["basis"]) and "everyone must be told" in subset["if_not_identifiable"]
    assert not result.notify_subjects and result.notify_authority
    assert verdict(result.to_contract(), "notify_subjects") is True  # scored as the Art. 34 duty (ASSESSMENT.md)
    [entry] = [e for e in result.rationale if e.rule == "art34_1_subset"]
    assert "'protected_address'" in entry.finding and "all the people affected must be told" in entry.finding


def test_an_address_that_stayed_inside_needs_no_subset():
    result = assess(facts(protected_address_subjects_present=True, recipient="internal_colleague"))
    assert result.notify_subjects_subset is None
    assert any("protected address are among those affected" in e.finding for e in result.rationale)


def test_an_address_that_was_not_compromised_needs_no_subset():
    result = assess(facts(protected_address_subjects_present=True, data_categories=["name", "email"]))
    assert result.notify_subjects_subset is None


def test_vulnerable_people_are_a_subset_where_the_same_breach_is_high_for_them():
    result = assess(facts(vulnerable_subjects_present=True, data_categories=["name", "postal_address", "financial"],
                          recipients_count=1, subjects_affected=50))
    assert result.risk == "risk" and not result.notify_subjects
    assert result.to_contract()["notify_subjects_subset"]["people"] == {"column": "vulnerable", "equals": True}


def test_vulnerable_people_are_not_singled_out_where_the_breach_is_not_high_even_for_them():
    result = assess(facts(vulnerable_subjects_present=True, data_categories=["name"], recipients_count=1))
    assert result.notify_subjects_subset is None
    assert any("not a high risk even for them" in e.finding for e in result.rationale)


def test_both_groups_make_one_rule_over_two_columns():
    result = assess(facts(vulnerable_subjects_present=True, protected_address_subjects_present=True,
                          data_categories=["name", "postal_address", "financial"], recipients_count=1, subjects_affected=50))
    people = result.to_contract()["notify_subjects_subset"]["people"]
    assert people == {"any": [{"column": "protected_address", "equals": True}, {"column": "vulnerable", "equals": True}]}


def test_an_unlikely_risk_for_everyone_still_goes_to_the_authority_when_it_is_high_for_some():
    result = assess(facts(protected_address_subjects_present=True, data_categories=["postal_address"], recipients_count=1,
                          subjects_affected=5, data_volume_per_person="low"))
    assert result.risk == "unlikely" and result.notify_subjects_subset is not None
    assert result.notify_authority and result.authority_deadline is None  # no aware_at given
    assert rules_of(result).count("art33_1_notify_authority") == 2


def test_no_subset_when_everyone_is_told_anyway():
    result = assess(facts(protected_address_subjects_present=True, data_categories=["name", "postal_address", "health"]))
    assert result.notify_subjects and result.notify_subjects_subset is None


def test_the_subset_survives_the_json_contract():
    contract = assess(facts(protected_address_subjects_present=True)).to_contract()
    again = json.loads(json.dumps(contract))
    assert again["notify_subjects_subset"]["people"]["column"] == "protected_address"
    assert list(again).index("notify_subjects_subset") == list(again).index("public_communication") + 1
