"""Worked examples with the obligations the statutes impose, each expectation quoted from the section cited.

A US controller with 1,200 Californians, 600 Massachusetts, 800 New York and 300 Texas residents; name and
Social Security number taken, unencrypted. Discovered Monday 2 March 2026 14:00 New York time (19:00 UTC),
breach determined Thursday 5 March 2026 10:00 New York time (15:00 UTC), residents to be notified on
Friday 20 March 2026 at 15:00 UTC.
"""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from importlib import resources
from pathlib import Path

import pytest

from breach.jurisdictions.us.obligations import Obligation, UsBreachFacts, UsController, us_obligations
from breach.jurisdictions.us.rules import load_rules

pytestmark = pytest.mark.unit

DISCOVERED = datetime(2026, 3, 2, 19, 0, tzinfo=UTC)
DETERMINED = datetime(2026, 3, 5, 15, 0, tzinfo=UTC)
NOTICE = datetime(2026, 3, 20, 15, 0, tzinfo=UTC)
RESIDENTS = {"CA": 1200, "MA": 600, "NY": 800, "TX": 300}
SSN_BREACH = UsBreachFacts(
    data_categories=frozenset({"name", "national_id"}), encryption="none",
    discovered_at=DISCOVERED, determined_at=DETERMINED, individual_notice_at=NOTICE,
)


def _find(obligations: tuple[Obligation, ...], code: str, kind: str, recipient_part: str = "") -> list[Obligation]:
    return [o for o in obligations if o.jurisdiction == code and o.kind == kind and recipient_part in o.recipient]


@pytest.fixture(scope="module")
def four_states() -> tuple[Obligation, ...]:
    return us_obligations(SSN_BREACH, UsController(), RESIDENTS).obligations


def test_california_residents_within_30_days_of_discovery(four_states: tuple[Obligation, ...]) -> None:
    # Cal. Civ. Code § 1798.82(a)(2) (SB 446): "within 30 calendar days of discovery or notification of the data breach"
    (notice,) = _find(four_states, "CA", "individuals")
    assert notice.due_at == DISCOVERED + timedelta(days=30)
    assert "1798.82" in notice.citation and "1798.82" in notice.rationale


def test_california_attorney_general_because_more_than_500(four_states: tuple[Obligation, ...]) -> None:
    # § 1798.82(f): more than 500 residents -> sample copy to the AG "within 15 calendar days of notifying affected consumers"
    (ag,) = _find(four_states, "CA", "regulator", "Attorney General")
    assert ag.due_at == NOTICE + timedelta(days=15)
    assert not _find(four_states, "CA", "consumer_reporting_agencies")


def test_massachusetts_attorney_general_and_ocabr_without_a_day_limit(four_states: tuple[Obligation, ...]) -> None:
    # 93H § 3(b): notice to the attorney general, the director of consumer affairs and business regulation and the resident,
    # "as soon as practicable and without unreasonable delay"
    recipients = {o.recipient for o in _find(four_states, "MA", "regulator")}
    assert any("Attorney General" in r for r in recipients)
    assert any("Office of Consumer Affairs and Business Regulation" in r for r in recipients)
    for obligation in _find(four_states, "MA", "regulator") + _find(four_states, "MA", "individuals"):
        assert obligation.without_unreasonable_delay and obligation.due_at is None


def test_new_york_attorney_general_department_of_state_and_state_police(four_states: tuple[Obligation, ...]) -> None:
    # GBL § 899-aa(2): "within thirty days after the breach has been discovered"; (8)(a): notify the state attorney general,
    # the department of state and the division of state police; (8)(b): CRAs only above 5,000 residents
    (notice,) = _find(four_states, "NY", "individuals")
    assert notice.due_at == DISCOVERED + timedelta(days=30)
    recipients = " | ".join(o.recipient for o in _find(four_states, "NY", "regulator"))
    for agency in ("Attorney General", "Department of State", "Division of State Police"):
        assert agency in recipients
    assert "Financial Services" not in recipients  # only DFS-covered entities (S.B. 804, 2025)
    assert not _find(four_states, "NY", "consumer_reporting_agencies")


def test_new_york_dfs_only_for_dfs_covered_entities() -> None:
    # 23 NYCRR 500.17(a): no later than 72 hours after determining that a cybersecurity incident has occurred
    obligations = us_obligations(SSN_BREACH, UsController(nydfs_covered_entity=True), RESIDENTS).obligations
    (dfs,) = _find(obligations, "NY", "regulator", "Financial Services")
    assert dfs.due_at == DETERMINED + timedelta(hours=72)


def test_texas_attorney_general_within_30_days_when_250_or_more(four_states: tuple[Obligation, ...]) -> None:
    # Tex. Bus. & Com. Code § 521.053(i): "not later than the 30th day after the date on which the person determines that the
    # breach occurred if the breach involves at least 250 residents"; (b): individuals "not later than the 60th day"
    (ag,) = _find(four_states, "TX", "regulator", "Texas Attorney General")
    assert ag.due_at == DETERMINED + timedelta(days=30)
    (notice,) = _find(four_states, "TX", "individuals")
    assert notice.due_at == DETERMINED + timedelta(days=60)
    assert not _find(four_states, "TX", "consumer_reporting_agencies")  # (h): more than 10,000


@pytest.mark.parametrize(("code", "below", "at"), [("TX", 249, 250), ("CA", 500, 501)])
def test_regulator_thresholds_are_exact(code: str, below: int, at: int) -> None:
    def regulators(count: int) -> list[Obligation]:
        return _find(us_obligations(SSN_BREACH, UsController(), {code: count}).obligations, code, "regulator")

    assert regulators(below) == []
    assert len(regulators(at)) == 1


def test_every_obligation_carries_citation_confidence_verification_and_rationale(four_states: tuple[Obligation, ...]) -> None:
    assert {o.jurisdiction for o in four_states} == set(RESIDENTS)
    for obligation in four_states:
        assert obligation.citation and obligation.citation in obligation.rationale
        assert obligation.confidence in {"high", "medium", "low"}
        assert ("NOT VERIFIED" in obligation.rationale) is (not obligation.verified)


BA_FACTS = UsBreachFacts(
    data_categories=frozenset({"name", "health", "insurance"}), encryption="none", discovered_at=DISCOVERED,
)


def test_hipaa_business_associate_notifies_the_covered_entity_within_60_days() -> None:
    # 45 CFR 164.410(b): "without unreasonable delay and in no case later than 60 calendar days after discovery"
    assessment = us_obligations(BA_FACTS, UsController(role="processor", hipaa_business_associate=True), {"CA": 1200, "TX": 300})
    (ce,) = _find(assessment.obligations, "US", "covered_entity")
    assert ce.due_at == DISCOVERED + timedelta(days=60) and ce.residents == 1500
    # as a vendor it notifies the data owner under state law too, and never the individuals or regulators
    assert {o.kind for o in assessment.obligations if o.jurisdiction != "US"} == {"data_owner"}
    (ca_vendor,) = _find(assessment.obligations, "CA", "data_owner")
    assert ca_vendor.immediately  # Cal. Civ. Code § 1798.82(b): "immediately following discovery"


def test_hipaa_covered_entity_individuals_media_and_hhs() -> None:
    # 164.404(b) 60 days; 164.406 media where more than 500 residents of a State; 164.408(b) HHS contemporaneously if 500+
    assessment = us_obligations(BA_FACTS, UsController(hipaa_covered_entity=True), {"CA": 1200, "TX": 300})
    (individuals,) = _find(assessment.obligations, "US", "individuals")
    assert individuals.due_at == DISCOVERED + timedelta(days=60)
    media = _find(assessment.obligations, "US", "media")
    assert [m.recipient.endswith("(CA)") for m in media] == [True]
    (hhs,) = _find(assessment.obligations, "US", "hhs")
    assert hhs.due_at == individuals.due_at


def test_hipaa_fewer_than_500_goes_in_the_annual_log() -> None:
    # 164.408(c): "not later than 60 days after the end of each calendar year": breaches discovered in 2026 -> 1 March 2027
    assessment = us_obligations(BA_FACTS, UsController(hipaa_covered_entity=True), {"TX": 300})
    (hhs,) = _find(assessment.obligations, "US", "hhs")
    assert hhs.due_at == datetime(2027, 3, 2, 5, 0, tzinfo=UTC)  # end of 1 March 2027, New York time (EST)
    assert not _find(assessment.obligations, "US", "media")


def test_sec_8k_four_business_days_after_materiality() -> None:
    # Form 8-K General Instruction B.1 + 17 CFR 232.13(a)(2): determination Thursday 31 Dec 2026 15:00 ET; 1 Jan is a holiday;
    # Mon 4, Tue 5, Wed 6, Thu 7 January 2027 -> 17:30 New York time on 7 January
    controller = UsController(sec_registrant=True, materiality_determined_at=datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    (sec,) = _find(us_obligations(SSN_BREACH, controller, {"TX": 300}).obligations, "US", "sec")
    assert sec.due_at == datetime(2027, 1, 7, 22, 30, tzinfo=UTC)


def test_sec_registrant_without_determination_must_determine_materiality() -> None:
    (step,) = _find(us_obligations(SSN_BREACH, UsController(sec_registrant=True), {"TX": 300}).obligations, "US", "sec_materiality")
    assert step.without_unreasonable_delay and step.due_at is None


def test_no_harm_determination_replaces_notices_where_the_law_allows_it() -> None:
    facts = UsBreachFacts(**{**SSN_BREACH.__dict__, "no_likely_harm": True})
    obligations = us_obligations(facts, UsController(), {"FL": 700, "CT": 50, "CA": 10}).obligations
    # Fla. Stat. § 501.171(4)(c): documented in writing, kept five years, provided to the Department within 30 days
    assert {o.kind for o in obligations if o.jurisdiction == "FL"} == {"no_harm_record", "no_harm_regulator"}
    (fl,) = _find(obligations, "FL", "no_harm_regulator")
    assert fl.due_at == DETERMINED + timedelta(days=30)
    assert not [o for o in obligations if o.jurisdiction == "CT"]  # § 36a-701b(b)(1): no notice if harm unlikely
    (ca,) = _find(obligations, "CA", "individuals")  # California has no risk-of-harm exception
    assert "no risk-of-harm exception" in ca.rationale


def test_strong_encryption_is_a_safe_harbour_except_where_there_is_none() -> None:
    facts = UsBreachFacts(**{**SSN_BREACH.__dict__, "encryption": "strong_key_safe"})
    assessment = us_obligations(facts, UsController(), {"CA": 10, "WY": 10})
    assert [s.jurisdiction for s in assessment.skipped] == ["CA"]
    assert "safe harbour" in assessment.skipped[0].reason
    assert _find(assessment.obligations, "WY", "individuals")  # Wyoming excludes only redacted data


def test_georgia_reaches_only_information_brokers() -> None:
    assessment = us_obligations(SSN_BREACH, UsController(), {"GA": 100})
    assert [s.jurisdiction for s in assessment.skipped] == ["GA"]
    assert _find(us_obligations(SSN_BREACH, UsController(information_broker=True), {"GA": 100}).obligations, "GA", "individuals")


def test_data_outside_every_definition_triggers_nothing() -> None:
    facts = UsBreachFacts(data_categories=frozenset({"name", "email"}), encryption="none", discovered_at=DISCOVERED)
    assessment = us_obligations(facts, UsController(), RESIDENTS)
    assert assessment.obligations == () and {s.jurisdiction for s in assessment.skipped} == set(RESIDENTS)


def test_categories_outside_the_facts_vocabulary_are_refused() -> None:
    facts = UsBreachFacts(data_categories=frozenset({"name", "ssn"}), encryption="none", discovered_at=DISCOVERED)
    with pytest.raises(ValueError, match="'ssn'"):  # the facts say national_id; ssn is a rule-pack element
        us_obligations(facts, UsController(), RESIDENTS)


def test_unknown_codes_and_counts_are_refused() -> None:
    with pytest.raises(ValueError, match="'ZZ' is not a US state"):
        us_obligations(SSN_BREACH, UsController(), {"ZZ": 1})
    with pytest.raises(ValueError, match="residents\\[TX\\]"):
        us_obligations(SSN_BREACH, UsController(), {"TX": -1})


def test_unverified_rules_are_flagged_in_every_output(tmp_path: Path) -> None:
    document = json.loads(resources.files("breach").joinpath("data/us_breach_laws.json").read_text(encoding="utf-8"))
    document = copy.deepcopy(document)
    next(e for e in document["jurisdictions"] if e["code"] == "TX").update(verified=False, confidence="low")
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    assessment = us_obligations(SSN_BREACH, UsController(), RESIDENTS, rules=load_rules(path))
    assert assessment.unverified == ("TX",)
    texas = [o for o in assessment.obligations if o.jurisdiction == "TX"]
    assert texas and all(not o.verified and "NOT VERIFIED" in o.rationale for o in texas)
