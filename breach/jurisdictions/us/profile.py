"""What the US rules need beyond the GDPR facts: the controller's US profile and per-incident US facts.

The controller profile file (``BREACH_CONTROLLER_FILE``) may carry a ``us`` block (``UsProfile``): the flags
that select federal overlays and special state rules (HIPAA covered entity or business associate, SEC
registrant, NYDFS-covered entity, information broker) and what the notices offer (toll-free number, credit
monitoring). The facts document may carry a ``us`` object (``breach.facts.UsFacts``): when the breach was
determined, whether notice was delayed by law enforcement, whether access codes or PHI were involved.
``api_inputs`` maps both, with the people's states, onto the pure API of ``breach.jurisdictions.us``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from breach.facts import Facts, UsFacts
from breach.jurisdictions.us.model import UsBreachFacts, UsController


class CreditMonitoring(BaseModel):
    """The free credit monitoring / identity protection the controller offers, and how to enrol."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    provider: str = Field(min_length=1)
    months: int = Field(ge=1, le=60)
    enrol_url: str = Field(min_length=1)
    enrol_by: str | None = Field(default=None, description="Last day to enrol, as printed (e.g. 'March 31, 2027')")
    phone: str | None = None


class UsProfile(BaseModel):
    """The controller's US profile: federal overlay flags (45 CFR 164.400 ff., 17 CFR 229.106) and notice offers."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    role: Literal["controller", "processor"] = "controller"
    hipaa_covered_entity: bool = Field(default=False, description="HIPAA covered entity (45 CFR 160.103)")
    hipaa_business_associate: bool = Field(default=False, description="HIPAA business associate (45 CFR 160.103)")
    covered_entity_name: str | None = Field(default=None, description="The covered entity a business associate serves")
    sec_registrant: bool = Field(default=False, description="Files reports with the SEC (Form 8-K Item 1.05)")
    nydfs_covered_entity: bool = Field(default=False, description="Licensed by NY DFS (23 NYCRR 500.17)")
    information_broker: bool = Field(default=False, description="A data broker (only some statutes reach only these)")
    toll_free_phone: str | None = Field(default=None, description="Toll-free number printed in notices")
    website_notice_url: str | None = Field(default=None, description="Where a website (substitute) notice is posted")
    credit_monitoring: CreditMonitoring | None = None
    cost_per_letter_usd: float = Field(default=1.0, ge=0, description="Printing and postage, for the substitute-notice cost test")


def api_inputs(facts: Facts, profile: UsProfile) -> tuple[UsBreachFacts, UsController]:
    """The API's facts and controller for one incident; discovery is the facts' aware_at (else detected_at)."""
    us = facts.us or UsFacts()
    discovered: datetime | None = facts.aware_at or facts.detected_at
    if discovered is None:
        raise ValueError("US deadlines count from discovery: the facts need aware_at (or detected_at)")
    breach = UsBreachFacts(
        data_categories=frozenset(facts.data_categories), encryption=facts.encryption, discovered_at=discovered,
        determined_at=us.determined_at, no_likely_harm=us.no_likely_harm, account_access_code_exposed=us.account_access_code_exposed,
        phi_involved=us.phi_involved,
    )
    controller = UsController(
        role=profile.role, hipaa_covered_entity=profile.hipaa_covered_entity, hipaa_business_associate=profile.hipaa_business_associate,
        sec_registrant=profile.sec_registrant, materiality_determined_at=us.materiality_determined_at,
        nydfs_covered_entity=profile.nydfs_covered_entity, information_broker=profile.information_broker,
    )
    return breach, controller
