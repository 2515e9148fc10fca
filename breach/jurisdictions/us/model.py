"""The inputs and outputs of the US obligations API: facts, controller profile, obligations, skips."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from breach.jurisdictions.us.timing import Due

Encryption = Literal["none", "strong_key_safe", "weak_or_key_exposed", "unknown"]
ObligationKind = Literal[
    "individuals", "regulator", "consumer_reporting_agencies", "no_harm_record", "no_harm_regulator", "data_owner",
    "hhs", "media", "covered_entity", "sec", "sec_materiality",
]
NAME_CATEGORIES = frozenset({"name", "initials"})


@dataclass(frozen=True)
class UsBreachFacts:
    """What is known about the breach, in the facts vocabulary (``incident-facts.schema.json``)."""

    data_categories: frozenset[str]
    encryption: Encryption
    discovered_at: datetime
    determined_at: datetime | None = None
    no_likely_harm: bool = False
    account_access_code_exposed: bool | None = None
    phi_involved: bool | None = None
    extra_elements: frozenset[str] = frozenset()
    individual_notice_at: datetime | None = None


@dataclass(frozen=True)
class UsController:
    """Who the notifying party is; the flags select federal overlays and state special rules."""

    role: Literal["controller", "processor"] = "controller"
    hipaa_covered_entity: bool = False
    hipaa_business_associate: bool = False
    sec_registrant: bool = False
    materiality_determined_at: datetime | None = None
    nydfs_covered_entity: bool = False
    information_broker: bool = False


@dataclass(frozen=True)
class Obligation:
    """One duty to notify someone, with its clock and the law it comes from."""

    jurisdiction: str
    kind: ObligationKind
    recipient: str
    residents: int
    due_at: datetime | None
    without_unreasonable_delay: bool
    immediately: bool
    relation: str | None
    deadline_text: str
    citation: str
    confidence: str
    verified: bool
    rationale: str
    assumptions: tuple[str, ...] = ()
    filing_code: str | None = None  # what `breach filed --authority` takes for this duty, e.g. US-CA-AG, US-HHS
    ordinal: int = 0  # position among the jurisdiction's duties of this kind in the rule pack (stable clock names)


# Filing codes of the duties that are not regulator notices (those carry the pack's own code: US-<state>-<code>).
KIND_CODES = {"consumer_reporting_agencies": "CRA", "no_harm_regulator": "NOHARM", "data_owner": "OWNER"}
FEDERAL_CODES = {"hhs": "US-HHS", "covered_entity": "US-CE", "sec": "US-SEC", "sec_materiality": "US-SEC-MAT"}


@dataclass(frozen=True)
class Skipped:
    """A jurisdiction with affected residents where no duty is triggered, and why."""

    jurisdiction: str
    residents: int
    reason: str
    citation: str
    verified: bool


@dataclass(frozen=True)
class UsAssessment:
    obligations: tuple[Obligation, ...]
    skipped: tuple[Skipped, ...]
    elements: frozenset[str]
    unverified: tuple[str, ...] = field(default=())


def rationale(place: str, count: int, why: str, recipient: str, clock: Due, citation: str, confidence: str, verified: bool) -> str:
    """One human-readable line: where, why, to whom, when, under which section, how sure."""
    if clock.immediately:
        when = "immediately"
    elif clock.at is not None:
        prefix = "without unreasonable delay and at the latest" if clock.without_unreasonable_delay else "by"
        when = f"{prefix} {clock.at:%Y-%m-%d %H:%M} UTC" + (f" ({clock.relation})" if clock.relation else "")
    elif clock.relation:
        when = clock.relation
    elif clock.without_unreasonable_delay:
        when = "without unreasonable delay (no outer limit in the statute)"
    else:
        when = "no time limit stated"
    flag = "verified" if verified else "NOT VERIFIED"
    affected = f"{count:,} affected; " if count else ""
    return f"{place}: {affected}{why} -> {recipient}, {when}. {citation}. Confidence {confidence}, {flag}."
