"""Merged notice content for the affected states, and substitute notice thresholds, against the sections cited."""

from __future__ import annotations

import pytest

from breach.jurisdictions.us.content import required_content, substitute_notice

pytestmark = pytest.mark.unit

FOUR = ["CA", "MA", "NY", "TX"]


def test_california_format_applies_to_the_combined_notice() -> None:
    # Cal. Civ. Code § 1798.82(d)(1): titled "Notice of Data Breach", five headings, not smaller than 10-point type
    content = required_content(FOUR)
    assert content.title == "Notice of Data Breach"
    assert content.headings == (
        "What Happened", "What Information Was Involved", "What We Are Doing", "What You Can Do", "For More Information",
    )
    assert content.min_font_pt == 10 and content.plain_language


def test_massachusetts_forbids_nature_and_number_and_requires_police_report_and_freeze() -> None:
    # Mass. Gen. Laws ch. 93H § 3(b): the notice shall not include the nature of the breach or the number of residents affected;
    # it shall include the right to obtain a police report and how to request a security freeze
    content = required_content(FOUR)
    assert content.forbidden == {"nature_of_breach": ("MA",), "number_of_residents_affected": ("MA",)}
    assert content.required["police_report_right"] == ("MA",)
    assert "MA" in content.required["fraud_alert_and_freeze_information"]
    assert content.conflicts == {}
    assert content.content_not_stated == ("TX",)  # § 521.053 prescribes no content for individuals


def test_strictest_credit_monitoring_for_an_ssn_breach() -> None:
    # MA § 3A: 18 months; CA § 1798.82(d)(2)(G): 12 months; CT § 36a-701b(b)(2)(B): 24 months; DE § 12B-102(e): 1 year
    assert required_content(FOUR, elements={"ssn"}).credit_monitoring_months == 18
    with_ct = required_content([*FOUR, "CT", "DE"], elements={"ssn"})
    assert with_ct.credit_monitoring_months == 24
    assert [(d.jurisdiction, d.months) for d in with_ct.credit_monitoring] == [("CT", 24), ("MA", 18), ("CA", 12), ("DE", 12)]


def test_credit_monitoring_only_when_its_condition_is_met() -> None:
    # MA and CT tie the offer to Social Security numbers (and CT taxpayer IDs); a card-number breach triggers neither
    assert required_content(["MA", "CT"], elements={"financial_account_with_code"}).credit_monitoring_months == 0


def test_rhode_island_requires_what_massachusetts_forbids() -> None:
    # R.I. Gen. Laws § 11-49.3-4(d)(1): "including ... the number of affected individuals" -> separate letters needed
    content = required_content(["MA", "RI"])
    assert content.conflicts["number_of_residents_affected"] == (("RI",), ("MA",))


def test_illinois_forbids_the_number_of_illinois_residents() -> None:
    # 815 ILCS 530/10(a): "The notification shall not, however, include information concerning the number of Illinois residents"
    assert required_content(["IL"]).forbidden == {"number_of_residents_affected": ("IL",)}


@pytest.mark.parametrize(
    ("cost", "persons", "contacts", "allowed"),
    [(250_001, 10, True, True), (250_000, 500_000, True, False), (1_000, 500_001, True, True), (1_000, 10, False, True)],
)
def test_california_substitute_notice_thresholds(cost: int, persons: int, contacts: bool, allowed: bool) -> None:
    # § 1798.82(j)(3): cost exceeds $250,000, more than 500,000 persons, or insufficient contact information
    decision = substitute_notice("CA", cost_usd=cost, persons=persons, sufficient_contact_info=contacts)
    assert decision.allowed is allowed
    assert decision.methods == ("email", "website", "statewide_media") and decision.website_days == 30


def test_a_statute_without_thresholds_says_so() -> None:
    decision = substitute_notice("UT", cost_usd=0, persons=1, sufficient_contact_info=True)
    assert decision.allowed and decision.reasons == ("the statute lists this method without cost or count conditions",)
