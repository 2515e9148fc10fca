"""Unit tests of the tables and of single rules: ENISA scores, likelihood, risk, duties."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from breach.assess import assess, rules_version
from breach.assess.likelihood import RECIPIENT_LIKELIHOOD, availability_likelihood, confidentiality_likelihood, integrity_likelihood
from breach.assess.obligations import deadline_rule
from breach.assess.risk import level_for
from breach.assess.severity import cb_rule, dpc_rule, ei_rule, severity
from breach.assess.tables import band_of, enisa, step_for
from breach.enums import RiskLevel
from breach.facts import load_facts, schema

pytestmark = pytest.mark.unit

ART_9_10 = {"health", "genetic", "biometric", "racial_ethnic_origin", "political_opinions", "religious_beliefs",
            "trade_union", "sex_life_orientation", "criminal_offences", "special_category_unspecified"}


def facts(**fields):
    doc = {"summary": "test", "breach_types": ["confidentiality"], "data_categories": ["name"], **fields}
    return load_facts(doc)


# --- the ENISA tables -----------------------------------------------------------------------


def test_every_schema_category_is_scored_within_range():
    table = enisa().categories
    assert set(table) == set(schema()["properties"]["data_categories"]["items"]["enum"])
    for score in table.values():
        assert 1 <= score.dpc <= 4
        assert score.dpc_class in ("simple", "behavioural", "financial", "sensitive")
        assert score.identifies in ("direct", "indirect", "reference", "none")


def test_special_categories_are_exactly_art_9_and_10():
    assert {c for c, s in enisa().categories.items() if s.special_category} == ART_9_10
    assert all(enisa().categories[c].dpc == 4 for c in ART_9_10)


def test_scores_that_depart_from_the_class_say_why():
    basic = {"simple": 1, "behavioural": 2, "financial": 3, "sensitive": 4}
    for score in enisa().categories.values():
        if score.dpc != basic[score.dpc_class]:
            assert score.why, score.code


@pytest.mark.parametrize(("score", "band"), [(0.25, "low"), (1.99, "low"), (2, "medium"), (2.99, "medium"), (3, "high"),
                                             (4, "very_high"), (6, "very_high")])
def test_bands(score, band):
    assert band_of(score) == band


def test_step_for():
    steps = ((10_000, 2), (100, 1))
    assert [step_for(n, steps) for n in (None, 0, 99, 100, 9_999, 10_000)] == [0, 0, 0, 1, 1, 2]


# --- ENISA rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "dpc"),
    [
        ({"data_categories": ["name", "email"]}, 1),
        ({"data_categories": ["name", "health"]}, 4),
        ({"data_categories": ["name", "payment_card_partial"]}, 2),
        ({"data_categories": ["name"], "data_volume_per_person": "high"}, 2),
        ({"data_categories": ["location"], "data_volume_per_person": "low"}, 1),
        ({"data_categories": ["name"], "data_volume_per_person": "low"}, 1),
        ({"data_categories": ["name"], "context_reveals_sensitive": True}, 3),
        ({"data_categories": ["name"], "subject_categories": ["children"]}, 2),
        ({"data_categories": ["health"], "subject_categories": ["patients"], "data_volume_per_person": "high"}, 4),
    ],
)
def test_dpc(fields, dpc):
    assert dpc_rule(facts(**fields)).value == dpc


@pytest.mark.parametrize(
    ("fields", "ei"),
    [
        ({"data_categories": ["name", "health"]}, 1.0),
        ({"data_categories": ["date_of_birth", "health"]}, 0.75),
        ({"data_categories": ["internal_identifier", "health"]}, 0.5),
        ({"data_categories": ["health"]}, 0.75),
        ({"data_categories": ["date_of_birth", "health"], "pseudonymised": True}, 0.5),
        ({"data_categories": ["name", "health"], "pseudonymised": True}, 1.0),
        ({"data_categories": ["name", "health"], "encryption": "strong_key_safe"}, 0.25),
        ({"data_categories": ["name"], "encryption": "weak_or_key_exposed"}, 1.0),
    ],
)
def test_ei(fields, ei):
    assert ei_rule(facts(**fields)).value == ei


@pytest.mark.parametrize(
    ("fields", "cb"),
    [
        ({"recipient": "public", "malicious": True}, 1.0),
        ({"recipient": "trusted_external", "malicious": False}, 0.25),
        ({"recipient": "untrusted", "recipients_count": 3, "malicious": False}, 0.25),
        ({"recipient": "untrusted", "recipients_count": 150, "malicious": False}, 0.5),
        ({"recipient": "none", "exfiltration": "none", "malicious": False}, 0.0),
        ({"accessed": "no_evidence", "malicious": False}, 0.0),
        ({"breach_types": ["availability"], "backup_available": True, "unavailable_hours": 4, "cause": "external_attack",
          "exfiltration": "none"}, 0.5),
        # ransomware where copying out is not ruled out: also a possible disclosure to unknown recipients (EDPB 01/2021 paras 16, 19)
        ({"breach_types": ["availability"], "backup_available": True, "unavailable_hours": 4, "cause": "external_attack"}, 1.0),
        ({"breach_types": ["availability"], "permanent_loss": True, "malicious": False}, 0.5),
        ({"breach_types": ["availability"], "unavailable_hours": 48, "malicious": False}, 0.0),
        ({"breach_types": ["availability"], "unavailable_hours": 100, "malicious": False}, 0.25),
        ({"breach_types": ["integrity"], "data_altered": False, "malicious": False}, 0.0),
        ({"breach_types": ["integrity"], "data_altered": True, "backup_available": False, "malicious": False}, 0.5),
    ],
)
def test_cb(fields, cb):
    assert cb_rule(facts(**fields)).value == cb


def test_enisa_worked_example_insurer_hacked():
    """enisa-severity.md 6a: diagnoses of 2,000 customers exfiltrated by hackers: 4 x 1 + 1.0 = 5, very high."""
    sev, entries = severity(facts(data_categories=["name", "health"], cause="external_attack", exfiltration="confirmed",
                                  recipient="hostile", subjects_affected=2000))
    assert (sev.dpc, sev.ei, sev.cb, sev.score, sev.band) == (4, 1, 1.0, 5.0, "very_high")
    assert [e.rule for e in entries] == ["enisa_dpc", "enisa_ei", "enisa_cb", "enisa_severity"]


def test_enisa_worked_example_encrypted_laptop_is_low():
    sev, _ = severity(facts(data_categories=["name", "email", "phone"], cause="lost_or_stolen_device", malicious=False,
                            encryption="strong_key_safe", subjects_affected=200))
    assert sev.ei == 0.25 and sev.band == "low"


# --- likelihood (EDPB factors) ----------------------------------------------------------------


def test_recipient_table_covers_the_schema():
    assert set(RECIPIENT_LIKELIHOOD) == set(schema()["properties"]["recipient"]["enum"])


@pytest.mark.parametrize(
    ("fields", "level"),
    [
        ({"encryption": "strong_key_safe", "recipient": "public", "harm_observed": True}, 0),
        ({"recipient": "none", "exfiltration": "none"}, 0),
        ({"recipient": "trusted_external", "recipient_deleted": True}, 0),
        ({"recipient": "trusted_external", "recipient_deleted": True, "data_categories": ["health"]}, 1),
        ({"recipient": "internal_colleague", "recipient_deleted": True, "data_categories": ["health"]}, 0),
        ({"recipient": "untrusted", "malicious": False}, 1),
        ({"recipient": "untrusted", "malicious": False, "recipient_deleted": True}, 1),
        ({"recipient": "untrusted", "malicious": True}, 2),
        ({"recipient": "untrusted", "malicious": False, "recipients_count": 10}, 1),
        ({"recipient": "untrusted", "malicious": False, "recipients_count": 11}, 2),
        ({"recipient": "untrusted", "malicious": False, "recipients_count": 60}, 2),
        ({"recipient": "untrusted", "malicious": False, "recipients_count": 150}, 3),
        ({"recipient": "internal_unauthorised", "malicious": False, "recipients_count": 150}, 1),
        ({"recipient": "untrusted", "malicious": False, "recipients_count": 1000}, 3),
        ({"recipient": "unknown", "cause": "human_error"}, 1),
        ({"recipient": "unknown", "cause": "unknown"}, 2),
        ({"recipient": "hostile"}, 2),
        ({"recipient": "hostile", "accessed": "confirmed"}, 3),
        ({"recipient": "public", "accessed": "no_evidence", "exfiltration": "none"}, 1),
        ({"recipient": "untrusted", "malicious": False, "contained": False}, 2),
        ({"recipient": "untrusted", "malicious": False, "harm_observed": True}, 3),
    ],
)
def test_confidentiality_likelihood(fields, level):
    assert confidentiality_likelihood(facts(**fields)).value == level


@pytest.mark.parametrize(
    ("fields", "level"),
    [
        ({"unavailable_hours": 4, "backup_available": True}, 0),
        ({"backup_available": True}, 0),
        ({"unavailable_hours": 48, "backup_available": True}, 0),
        ({"unavailable_hours": 72, "backup_available": True}, 0),
        ({"unavailable_hours": 100, "backup_available": True}, 2),
        ({"unavailable_hours": 48, "backup_available": True, "subject_categories": ["patients"]}, 1),
        ({"unavailable_hours": 48, "backup_available": False}, 0),
        ({"backup_available": False}, 2),
        ({"permanent_loss": True, "unavailable_hours": 1}, 2),
        ({"unavailable_hours": 2, "harm_observed": True}, 3),
        ({}, 1),
    ],
)
def test_availability_likelihood(fields, level):
    assert availability_likelihood(facts(breach_types=["availability"], **fields)).value == level


@pytest.mark.parametrize(
    ("fields", "level"),
    [({"data_altered": False}, 0), ({"unavailable_hours": 3, "backup_available": True}, 0), ({"backup_available": False}, 2), ({}, 1)],
)
def test_integrity_likelihood(fields, level):
    assert integrity_likelihood(facts(breach_types=["integrity"], **fields)).value == level


# --- risk and duties --------------------------------------------------------------------------


@pytest.mark.parametrize(("points", "level"), [(0, "unlikely"), (2.75, "unlikely"), (3, "risk"), (4.75, "risk"), (5, "high"), (9, "high")])
def test_risk_levels(points, level):
    assert level_for(points) == level


def test_malicious_intent_is_at_least_a_risk():
    """EDPB 01/2021 Case 08: a former employee took contact data on purpose."""
    result = assess(facts(data_categories=["email"], recipient="hostile", cause="internal_malicious", subjects_affected=5))
    assert result.risk == RiskLevel.RISK and result.notify_authority and not result.notify_subjects


def test_a_trusted_recipient_holds_the_risk_below_high():
    result = assess(facts(data_categories=["name", "health"], recipient="trusted_external", malicious=False, subjects_affected=50_000))
    assert result.risk == RiskLevel.RISK
    assert any("bound by confidentiality" in e.finding for e in result.rationale)


def test_no_evidence_of_access_holds_the_risk_below_high():
    result = assess(facts(data_categories=["name", "health"], recipient="public", accessed="no_evidence", exfiltration="none",
                          malicious=False, subjects_affected=5000))
    assert result.risk == RiskLevel.RISK and result.notify_authority and not result.notify_subjects


def test_art34_3_a_encryption_exempts_what_would_be_high():
    result = assess(facts(data_categories=["name", "health"], recipient="untrusted", cause="lost_or_stolen_device", malicious=True,
                          encryption="strong_key_safe", subjects_affected=5000))
    assert result.risk == RiskLevel.UNLIKELY and not result.notify_subjects and not result.identifiable
    assert result.subject_notice_exemption == "art34_3_a"


def test_art34_3_b_a_recipient_who_deleted_removes_the_high_risk():
    result = assess(facts(data_categories=["name", "health"], recipient="untrusted", recipients_count=1, recipient_deleted=True,
                          malicious=False, contained=True, subjects_affected=1))
    assert result.risk == RiskLevel.HIGH and result.notify_authority and not result.notify_subjects
    assert result.subject_notice_exemption == "art34_3_b"


def test_art34_3_c_unreachable_people_get_a_public_communication():
    result = assess(facts(data_categories=["name", "health"], recipient="public", subjects_reachable=False))
    assert result.risk == RiskLevel.HIGH and not result.notify_subjects
    assert result.subject_notice_exemption == "art34_3_c" and result.public_communication


def test_processor_tells_the_controller():
    result = assess(facts(role="processor", data_categories=["name", "health"], recipient="public", controller={"dpa_hours": 24}))
    assert result.notify_controller and not result.notify_authority and not result.notify_subjects
    assert any(e.rule == "art33_2_processor" and "24 hours" in e.finding for e in result.rationale)


def test_deadline_and_authority_in_the_contract():
    aware = datetime(2026, 3, 28, 9, 30, tzinfo=timezone(timedelta(hours=1)))  # 72 h span the EU DST change
    result = assess(facts(data_categories=["name", "national_id"], recipient="hostile", controller={"country": "DK"},
                          aware_at=aware.isoformat()))
    contract = result.to_contract()
    assert contract["notify_authority"] is True
    assert contract["authority"]["code"] == "DK" and contract["authority"]["name"] == "Datatilsynet"
    assert contract["authority"]["language"] == "da"
    assert datetime.fromisoformat(contract["authority_deadline"]) == aware + timedelta(hours=72)
    assert contract["rules_version"] == rules_version()
    json.dumps(contract)


def test_no_deadline_without_awareness_time():
    due, entry = deadline_rule(facts(), notify_authority=True)
    assert due is None and "aware_at" in entry.finding
    assert deadline_rule(facts(), notify_authority=False) == (None, None)


def test_controller_outside_the_eea_lists_every_authority():
    result = assess(facts(data_categories=["name", "health"], recipient="public", subjects_countries=["NO", "DK"],
                          controller={"country": "US", "established_in_eea": False}))
    contract = result.to_contract()
    assert [a["code"] for a in contract["authorities"]] == ["NO", "DK"]
    assert contract["authority"]["code"] == "NO"


def test_other_regimes_are_mentioned():
    result = assess(facts(regimes={"nis2_entity": "essential", "electronic_communications_provider": True}))
    (entry,) = [e for e in result.rationale if e.rule == "other_regimes"]
    assert "NIS2" in entry.finding and "611/2013" in entry.finding
