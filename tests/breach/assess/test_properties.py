"""Invariants a privacy lawyer would state about any breach, checked on generated facts."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from breach.assess import assess
from breach.assess.models import CONTRACT_KEYS
from breach.assess.risk import ORDER
from breach.facts import Controller, Facts, GdprScope, load_facts, schema

pytestmark = pytest.mark.unit
# Local settings, not a profile: loading a profile would change every other hypothesis test too.
PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])

PROPS = schema()["properties"]
CATEGORIES = PROPS["data_categories"]["items"]["enum"]
SPECIAL = ["health", "genetic", "biometric", "racial_ethnic_origin", "political_opinions", "religious_beliefs",
           "trade_union", "sex_life_orientation", "criminal_offences", "special_category_unspecified"]
VULNERABLE = ["children", "vulnerable_adults", "patients"]


def _enum(name: str) -> st.SearchStrategy:
    return st.sampled_from(PROPS[name]["enum"])


def _maybe(strategy: st.SearchStrategy) -> st.SearchStrategy:
    return st.none() | strategy


def _unique(name: str, min_size: int = 0) -> st.SearchStrategy:
    return st.lists(st.sampled_from(PROPS[name]["items"]["enum"]), unique=True, min_size=min_size, max_size=6)


instants = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC))
tristate = _maybe(st.booleans())

documents = st.fixed_dictionaries(
    {"summary": st.just("Generated breach"), "breach_types": _unique("breach_types", 1), "data_categories": _unique("data_categories")},
    optional={
        "role": _enum("role"),
        "controller": st.fixed_dictionaries({}, optional={
            "country": st.sampled_from(["DK", "NO", "IE", "GB", "DE", "US"]), "established_in_eea": st.booleans()}),
        "aware_at": instants.map(datetime.isoformat),
        "cause": _enum("cause"),
        "malicious": tristate,
        "subject_categories": _unique("subject_categories"),
        "subjects_affected": _maybe(st.integers(0, 200_000)),
        "encryption": _enum("encryption"),
        "pseudonymised": st.booleans(),
        "exfiltration": _enum("exfiltration"),
        "recipient": _enum("recipient"),
        "backup_available": tristate,
        "unavailable_hours": _maybe(st.floats(0, 1000, allow_nan=False)),
        "data_altered": tristate,
        "contained": tristate,
        "subjects_countries": st.lists(st.sampled_from(["DK", "NO", "SE", "FR", "US"]), unique=True, max_size=3),
        "gdpr_scope": st.fixed_dictionaries({}, optional={"offers_goods_or_services": tristate, "monitors_behaviour": tristate}),
        "subjects_reachable": tristate,
        "accessed": _enum("accessed"),
        "recipient_deleted": tristate,
        "recipients_count": _maybe(st.integers(0, 5000)),
        "permanent_loss": tristate,
        "harm_observed": tristate,
        "context_reveals_sensitive": tristate,
        "data_volume_per_person": _enum("data_volume_per_person"),
        "known_unfixed_vulnerability": tristate,
    },
)
facts_st = documents.map(load_facts)


def rank(facts: Facts) -> int:
    """Risk as a number: unlikely 0, risk 1, high 2."""
    return ORDER.index(assess(facts).risk)


def changed(facts: Facts, **update) -> Facts:
    return facts.model_copy(update=update)


# --- monotonicity: aggravating facts never lower the risk, mitigations never raise it -------


@PROPERTY
@given(facts_st, st.sampled_from(SPECIAL))
def test_adding_a_special_category_never_lowers_severity_or_risk(facts, special):
    assume(special not in facts.data_categories and facts.data_categories)
    more = changed(facts, data_categories=[*facts.data_categories, special])
    assert assess(more).severity.score >= assess(facts).severity.score
    assert rank(more) >= rank(facts)


@PROPERTY
@given(facts_st)
def test_a_safe_key_never_raises_risk(facts):
    assert rank(changed(facts, encryption="strong_key_safe")) <= rank(facts)


@PROPERTY
@given(facts_st, st.integers(0, 200_000), st.integers(0, 200_000))
def test_more_people_affected_never_lowers_risk(facts, a, b):
    fewer, more = sorted((a, b))
    assert rank(changed(facts, subjects_affected=more)) >= rank(changed(facts, subjects_affected=fewer))


@PROPERTY
@given(facts_st, st.integers(0, 5000), st.integers(0, 5000))
def test_wider_disclosure_never_lowers_risk(facts, a, b):
    fewer, more = sorted((a, b))
    assert rank(changed(facts, recipients_count=more)) >= rank(changed(facts, recipients_count=fewer))


@PROPERTY
@given(facts_st)
def test_harm_already_seen_never_lowers_risk(facts):
    assert rank(changed(facts, harm_observed=True)) >= rank(changed(facts, harm_observed=None))


@PROPERTY
@given(facts_st)
def test_malicious_intent_never_lowers_risk(facts):
    assert rank(changed(facts, malicious=True)) >= rank(changed(facts, malicious=False))


@PROPERTY
@given(facts_st)
def test_confirmed_deletion_never_raises_risk(facts):
    assert rank(changed(facts, recipient_deleted=True)) <= rank(changed(facts, recipient_deleted=None))


@PROPERTY
@given(facts_st, st.sampled_from(VULNERABLE))
def test_vulnerable_people_never_lower_risk(facts, group):
    assume(group not in facts.subject_categories)
    assert rank(changed(facts, subject_categories=[*facts.subject_categories, group])) >= rank(facts)


@PROPERTY
@given(facts_st)
def test_more_data_per_person_never_lowers_risk(facts):
    assert rank(changed(facts, data_volume_per_person="high")) >= rank(changed(facts, data_volume_per_person="normal"))


# --- the law's structure ----------------------------------------------------------------


@PROPERTY
@given(facts_st, st.floats(0, 72, allow_nan=False))
def test_availability_loss_restored_quickly_from_backup_is_never_high(facts, hours):
    """EDPB 01/2021 Case 01 and para. 24: restored within 72 hours, nothing copied out, nobody's care depends on it."""
    quick = changed(facts, breach_types=["availability"], backup_available=True, unavailable_hours=hours,
                    permanent_loss=False, harm_observed=None, exfiltration="none",
                    subject_categories=[c for c in facts.subject_categories if c != "patients"])
    assert assess(quick).risk != "high"


@PROPERTY
@given(facts_st)
def test_no_personal_data_no_breach_no_notification(facts):
    result = assess(changed(facts, data_categories=[]))
    assert not result.personal_data_breach and not result.identifiable
    assert result.risk == "unlikely"
    assert not (result.notify_authority or result.notify_subjects or result.notify_controller or result.public_communication)
    assert result.authority_deadline is None


@PROPERTY
@given(facts_st)
def test_a_processor_tells_its_controller_never_the_authority(facts):
    result = assess(changed(facts, role="processor"))
    assert not result.notify_authority and not result.notify_subjects and result.authority_deadline is None
    assert result.notify_controller is result.personal_data_breach
    assert result.role == "processor"


@PROPERTY
@given(facts_st)
def test_obligations_follow_the_risk(facts):
    result = assess(facts)
    if result.notify_subjects:
        assert result.risk == "high" and result.notify_authority
    if result.risk == "unlikely":
        assert not result.notify_authority and not result.notify_subjects
    if facts.role == "controller" and result.personal_data_breach and result.gdpr_applies:
        assert result.notify_authority is (result.risk != "unlikely")
    assert result.public_communication is (result.subject_notice_exemption == "art34_3_c")
    if result.subject_notice_exemption is not None:
        assert not result.notify_subjects
    if facts.role != "processor":
        assert not result.notify_controller


@PROPERTY
@given(facts_st)
def test_deadline_is_72_hours_after_awareness_when_notifying(facts):
    result = assess(facts)
    if result.notify_authority and facts.aware_at is not None:
        assert result.authority_deadline == facts.aware_at.astimezone(UTC) + timedelta(hours=72)
        assert result.authority_deadline.utcoffset() == timedelta(0)
    else:
        assert result.authority_deadline is None


@PROPERTY
@given(facts_st)
def test_severity_is_the_enisa_formula(facts):
    sev = assess(facts).severity
    assert sev.score == pytest.approx(sev.dpc * sev.ei + sev.cb)
    if facts.data_categories:
        assert 1 <= sev.dpc <= 4 and 0.25 <= sev.ei <= 1 and 0 <= sev.cb <= 2
    lower = {"low": 0, "medium": 2, "high": 3, "very_high": 4}[sev.band]
    assert sev.score >= lower


@PROPERTY
@given(facts_st)
def test_every_verdict_is_explained(facts):
    result = assess(facts)
    rules = [entry.rule for entry in result.rationale]
    if result.territorial_scope is not None:  # Art. 3 comes first where an EEA/UK establishment does not settle it
        assert rules.pop(0) == "art3_territorial_scope"
    assert rules[0] == "art4_12_personal_data_breach"
    assert all(entry.finding.strip() for entry in result.rationale)
    if not result.gdpr_applies:
        assert "art33_1_notify_authority" not in rules and "art34_1_notify_subjects" not in rules
    elif result.personal_data_breach:
        assert "risk" in rules and "identifiable" in rules and "enisa_severity" in rules
        assert ("art33_2_processor" in rules) if facts.role == "processor" else ("art33_1_notify_authority" in rules)
    if result.subject_notice_exemption:
        assert result.subject_notice_exemption in rules
    if result.authority_deadline is not None:
        assert "art33_1_deadline" in rules


@PROPERTY
@given(facts_st)
def test_contract_is_json_and_complete(facts):
    result = assess(facts)
    contract = result.to_contract()
    assert list(contract) == list(CONTRACT_KEYS)
    assert json.loads(json.dumps(contract)) == contract
    assert assess(facts) == result  # pure and deterministic


OUTSIDE = Controller(country="US", established_in_eea=False)


@PROPERTY
@given(facts_st)
def test_outside_the_gdpr_nothing_is_owed_under_it(facts):
    result = assess(changed(facts, controller=OUTSIDE, subjects_countries=["US"]))
    assert not result.gdpr_applies and result.territorial_scope == {"gdpr_applies": False, "basis": "outside", "countries": ["US"]}
    assert not (result.notify_authority or result.notify_subjects or result.public_communication)
    assert result.authority is None and result.authorities == [] and result.authority_deadline is None
    assert result.notify_controller is (facts.role == "processor" and result.personal_data_breach)
    assert result.rationale[0].rule == "art3_territorial_scope" and "does not apply" in result.rationale[0].finding


@PROPERTY
@given(facts_st)
def test_people_in_the_eea_keep_the_gdpr_unless_the_processing_does_not_target_them(facts):
    base = changed(facts, controller=OUTSIDE, subjects_countries=["US", "DE"])
    assumed = assess(changed(base, gdpr_scope=GdprScope()))
    assert assumed.gdpr_applies and assumed.territorial_scope["basis"] == "art3_2_assumed"
    offered = assess(changed(base, gdpr_scope=GdprScope(offers_goods_or_services=True)))
    assert offered.gdpr_applies and offered.territorial_scope["basis"] == "art3_2_a"
    assert offered.notify_authority == assumed.notify_authority and offered.risk == assumed.risk
    neither = assess(changed(base, gdpr_scope=GdprScope(offers_goods_or_services=False, monitors_behaviour=False)))
    assert not neither.gdpr_applies and not neither.notify_authority and not neither.notify_subjects
