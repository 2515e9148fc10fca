"""National law overlays (Art. 87 GDPR): an exposed national identification number, by country."""

from __future__ import annotations

import json
from datetime import date
from importlib import resources

import pytest

from breach.assess import assess
from breach.assess.overlays import country_rules, national_law
from breach.facts import load_facts

pytestmark = pytest.mark.unit

COUNTRIES = ("DK", "NO", "SE", "FI", "PL")


def facts(country=None, **fields):
    """One letter with a national id number sent to one stranger by mistake: a risk, but not high, without national rules."""
    doc = {"summary": "A letter sent to the wrong person.", "breach_types": ["confidentiality"], "cause": "human_error",
           "malicious": False, "data_categories": ["name", "national_id"], "subjects_affected": 1, "exfiltration": "none",
           "recipient": "untrusted", "recipients_count": 1, **fields}
    if country:
        doc["controller"] = {"country": country}
    return load_facts(doc)


def rules_of(result):
    return {e.rule: e for e in result.rationale}


def test_the_data_file_is_dated_cited_and_complete():
    raw = json.loads(resources.files("breach").joinpath("data/national_overlays.json").read_text(encoding="utf-8"))
    assert date.fromisoformat(raw["last_verified"]) <= date.today()
    assert set(raw["countries"]) == set(COUNTRIES)
    for code, row in raw["countries"].items():
        assert row["law"] and row["section"] and row["url"].startswith("https://"), code
        date.fromisoformat(row["in_force_from"])
        assert row["practice"], f"{code}: the rule must cite the authority practice or guidance it rests on"
        for practice in row["practice"]:
            assert practice["url"].startswith("https://") and practice["holding"], code
        assert set(row["effects"]) == {"id_exposure_high_risk", "trusted_recipient_not_enough", "return_does_not_remove_risk"}


def test_without_national_rules_one_misdirected_letter_is_not_high():
    result = assess(facts())
    assert result.risk == "risk" and not result.notify_subjects
    assert "national_law" not in rules_of(result)


@pytest.mark.parametrize("country", COUNTRIES)
def test_a_national_id_reaching_a_stranger_is_high_for_one_person(country):
    result = assess(facts(country))
    assert result.risk == "high" and result.notify_subjects and result.notify_authority
    entry = rules_of(result)["national_law"]
    rules = country_rules()[country]
    assert rules.citation in entry.finding and rules.citation in " ".join(entry.basis)
    assert "GDPR Art. 87" in " ".join(entry.basis)


def test_the_affected_peoples_country_applies_too():
    result = assess(facts("DE", subjects_countries=["DE", "SE"]))
    assert result.notify_subjects
    assert "3 kap. 10 §" in rules_of(result)["national_law"].finding


@pytest.mark.parametrize(
    ("fields", "why"),
    [
        ({"data_categories": ["name", "email"]}, "no national identification number was compromised"),
        ({"encryption": "strong_key_safe"}, "unintelligible"),
        ({"encryption_by_category": {"national_id": "strong_key_safe"}}, "unintelligible"),
        ({"recipient": "internal_colleague"}, "did not leave the control"),
        ({"breach_types": ["availability"], "recipient": "none"}, "not disclosed or accessed"),
    ],
)
def test_the_rules_are_checked_and_say_why_they_change_nothing(fields, why):
    result = assess(facts("DK", **fields))
    entry = rules_of(result)["national_law"]
    assert why in entry.finding and "§ 11" in entry.finding
    assert not national_law(facts("DK", **fields)).high_risk


def test_a_recipient_bound_by_confidentiality_who_returned_it_is_enough_in_denmark():
    result = assess(facts("DK", recipient="trusted_external", recipient_deleted=True, contained=True))
    assert not result.notify_subjects and result.risk == "unlikely"


def test_in_poland_neither_a_bank_under_secrecy_nor_the_return_of_the_papers_removes_the_risk():
    """UODO DKN.5131.1.2024: another bank is no trusted party; returning the documents does not remove the risk."""
    result = assess(facts("PL", recipient="trusted_external", recipient_deleted=True, contained=True, accessed="likely"))
    assert result.risk == "high" and result.notify_subjects
    finding = rules_of(result)["national_law"].finding
    assert "DKN.5131.1.2024" in finding and "Art. 34(3)(b) is not available" in finding


def test_art_34_3_b_still_applies_where_national_practice_does_not_exclude_it():
    """A stranger who returned the letter: Art. 34(3)(b) in Denmark, not in Poland (UODO DKN.5131.28.2023)."""
    danish = assess(facts("DK", recipient_deleted=True, contained=True))
    polish = assess(facts("PL", recipient_deleted=True, contained=True))
    assert danish.subject_notice_exemption == "art34_3_b" and not danish.notify_subjects
    assert polish.subject_notice_exemption is None and polish.notify_subjects


def test_the_bundled_example_cites_the_national_rules_it_checked():
    from pathlib import Path

    from breach.examples import __file__ as examples_init

    example = load_facts(Path(examples_init).parent / "facts.json")
    finding = rules_of(assess(example))["national_law"].finding
    assert "§ 11" in finding and "§ 12" in finding
