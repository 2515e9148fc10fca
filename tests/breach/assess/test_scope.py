"""GDPR Art. 3 (territorial scope): established in the EEA/UK, targeting people there, or outside the GDPR."""

from __future__ import annotations

import json

import pytest

from breach.assess import assess
from breach.assess.scope import territorial_scope_rule
from breach.facts import load_facts
from flows.runtime import EXAMPLES

pytestmark = pytest.mark.unit

HIGH = {"summary": "test", "breach_types": ["confidentiality"], "data_categories": ["name", "national_id"], "recipient": "hostile",
        "exfiltration": "confirmed", "aware_at": "2026-11-30T16:00:00-06:00"}
US_CONTROLLER = {"name": "Faraway Inc.", "country": "US", "established_in_eea": False}


def facts(**fields):
    return load_facts({**HIGH, **fields})


def test_an_eea_establishment_settles_it_without_a_rationale_line():
    scope = territorial_scope_rule(facts(controller={"country": "DK"}, subjects_countries=["US"]))
    assert scope.applies and scope.basis == "art3_1" and scope.entry is None
    result = assess(facts(controller={"country": "DK"}, subjects_countries=["US"]))
    assert result.gdpr_applies and result.territorial_scope is None and result.notify_authority
    assert result.rationale[0].rule == "art4_12_personal_data_breach"


def test_a_us_controller_with_people_only_in_the_us_owes_nothing_under_the_gdpr():
    result = assess(facts(controller=US_CONTROLLER, subjects_countries=["US"]))
    assert result.gdpr_applies is False and result.territorial_scope == {"gdpr_applies": False, "basis": "outside", "countries": ["US"]}
    assert not result.notify_authority and not result.notify_subjects and result.authority is None and result.authority_deadline is None
    first = result.rationale[0]
    assert first.rule == "art3_territorial_scope" and "does not apply" in first.finding and "countries given: US" in first.finding
    assert any("Art. 3(1)" in b for b in first.basis) and any("Art. 3(2)" in b for b in first.basis)
    assert "art33_5_register" not in [e.rule for e in result.rationale]
    assert result.risk == "high"  # the risk is still assessed: the law where the people live decides what follows


def test_the_people_files_countries_count_as_well_as_the_facts():
    outside = facts(controller=US_CONTROLLER, subjects_countries=["US"])
    result = assess(outside, people_countries=["US", "NO"])
    assert result.gdpr_applies and result.territorial_scope["basis"] == "art3_2_assumed"
    assert result.territorial_scope["countries"] == ["NO", "US"]
    assert [a.code for a in result.authorities] == ["NO"]  # no one-stop shop: the people file's countries name authorities too
    assert assess(outside, people_countries=["uk"]).territorial_scope["countries"] == ["GB", "US"]


def test_targeting_decides_for_people_in_the_eea():
    base = {"controller": US_CONTROLLER, "subjects_countries": ["US", "FR"]}
    offers = assess(facts(**base, gdpr_scope={"offers_goods_or_services": True}))
    assert offers.gdpr_applies and offers.territorial_scope["basis"] == "art3_2_a" and offers.notify_authority
    assert [a.code for a in offers.authorities] == ["FR"]
    monitors = assess(facts(**base, gdpr_scope={"offers_goods_or_services": False, "monitors_behaviour": True}))
    assert monitors.territorial_scope["basis"] == "art3_2_b" and "Art. 3(2)(b)" in monitors.rationale[0].finding
    neither = assess(facts(**base, gdpr_scope={"offers_goods_or_services": False, "monitors_behaviour": False}))
    assert not neither.gdpr_applies and not neither.notify_authority
    assert "mere presence" in neither.rationale[0].finding and "3/2018" in " ".join(neither.rationale[0].basis)
    unknown = assess(facts(**base))
    assert unknown.gdpr_applies and unknown.territorial_scope["basis"] == "art3_2_assumed" and "gdpr_scope" in unknown.rationale[0].finding


def test_unknown_whereabouts_keep_the_gdpr_and_say_which_fact_would_settle_it():
    result = assess(facts(controller=US_CONTROLLER))
    assert result.gdpr_applies and result.territorial_scope == {"gdpr_applies": True, "basis": "art3_2_assumed", "countries": []}
    assert "subjects_countries" in result.rationale[0].finding


def test_a_controller_whose_country_is_in_the_eea_is_established_there():
    result = assess(facts(controller={"country": "NL", "established_in_eea": False}, subjects_countries=["US"]))
    assert result.gdpr_applies and result.territorial_scope["basis"] == "art3_1"


def test_a_processor_outside_the_gdpr_still_tells_its_controller():
    result = assess(facts(role="processor", controller=US_CONTROLLER, subjects_countries=["US"]))
    assert not result.gdpr_applies and result.notify_controller and not result.notify_authority
    assert "processor_contract" in [e.rule for e in result.rationale]


def test_the_bundled_us_example_is_outside_the_gdpr():
    document = json.loads((EXAMPLES / "us" / "facts.json").read_text(encoding="utf-8"))
    result = assess(load_facts(document)).to_contract()
    assert result["gdpr_applies"] is False and result["notify_authority"] is False and result["authority"] is None
