"""``assess(facts)``: the rules in the order a privacy lawyer would apply them. Pure, no I/O.

1. Is it a personal data breach (Art. 4(12))?  2. How severe (ENISA 2013)?  3. How likely to
harm people, through which route, and how many (EDPB 01/2021)?  4. Who must be told: the
controller (Art. 33(2)), the authority (Art. 33(1)), the people (Art. 34), by when, and which authority.
"""

from __future__ import annotations

from breach.assess.models import Assessment, RationaleEntry, Severity
from breach.assess.obligations import (
    Duties,
    authority_rule,
    deadline_rule,
    identifiable_rule,
    lead_authority_rule,
    other_regimes_rule,
    personal_data_breach_rule,
    processor_rule,
    register_rule,
    subjects_rule,
)
from breach.assess.risk import RouteRisk, overall_risk, route_risks
from breach.assess.severity import severity
from breach.assess.signals import has, unintelligible
from breach.assess.tables import enisa
from breach.enums import RiskLevel
from breach.facts import Facts

RULES_VERSION = "1.0"


def rules_version() -> str:
    """Version of the rules and of the ENISA tables they read, e.g. 'rules-1.0+enisa-1'."""
    return f"rules-{RULES_VERSION}+enisa-{enisa().version}"


def assess(facts: Facts) -> Assessment:
    """Decide what the breach calls for and why (Art. 33, 34), from the facts alone."""
    breach, breach_entry = personal_data_breach_rule(facts)
    sev, severity_entries = severity(facts)
    identifiable, identifiable_entry = identifiable_rule(breach=breach, ei=sev.ei)
    risk, routes, risk_entries = _risk(facts, sev, breach=breach)
    duties = _duties(facts, breach=breach, risk=risk, routes=routes)
    authority, authorities, authority_entry = lead_authority_rule(facts)
    deadline, deadline_entry = deadline_rule(facts, notify_authority=duties.notify_authority)
    tail = [deadline_entry, register_rule(breach=breach), other_regimes_rule(facts)]
    entries = [breach_entry, *severity_entries, identifiable_entry, *risk_entries, *duties.entries, authority_entry]
    entries += [e for e in tail if e is not None]
    return Assessment(
        personal_data_breach=breach, identifiable=identifiable, severity=sev, risk=risk,
        notify_authority=duties.notify_authority, notify_subjects=duties.notify_subjects,
        subject_notice_exemption=duties.exemption, public_communication=duties.public_communication,
        authority=authority, authorities=authorities, authority_deadline=deadline, rationale=entries,
        rules_version=rules_version(), role=facts.role, notify_controller=duties.notify_controller,
    )


def _risk(facts: Facts, sev: Severity, *, breach: bool) -> tuple[RiskLevel, list[RouteRisk], list[RationaleEntry]]:
    """The risk through each route the breach opened, and overall; none without personal data."""
    if not breach:
        return RiskLevel.UNLIKELY, [], []
    routes, scale_entry = route_risks(facts, dpc=sev.dpc, ei=sev.ei)
    entries = [scale_entry]
    for route in routes:
        entries += route.entries
    risk, entry = overall_risk(routes)
    return risk, routes, [*entries, entry]


def _duties(facts: Facts, *, breach: bool, risk: RiskLevel, routes: list[RouteRisk]) -> Duties:
    """Processor: tell the controller (Art. 33(2)). Controller: the authority (Art. 33(1)) and the people (Art. 34)."""
    if facts.role == "processor":
        notify_controller, entry = processor_rule(facts, breach=breach)
        return Duties(notify_controller=notify_controller, entries=[entry])
    notify_authority, entry = authority_rule(risk=risk, breach=breach)
    if not breach:
        return Duties(entries=[entry])
    high_routes = [r.route for r in routes if r.level == RiskLevel.HIGH]
    duties = subjects_rule(facts, risk=risk, high_routes=high_routes, high_without_encryption=_high_without_encryption(facts, risk))
    duties.notify_authority = notify_authority
    duties.entries.insert(0, entry)
    return duties


def _high_without_encryption(facts: Facts, risk: RiskLevel) -> bool:
    """Art. 34(3)(a) test: would this disclosure be a high risk had the data not been unintelligible?"""
    if risk == RiskLevel.HIGH or not unintelligible(facts) or not has(facts, "confidentiality"):
        return False
    plain = facts.model_copy(update={"encryption": "none"})
    counterfactual, _, _ = _risk(plain, severity(plain)[0], breach=True)
    return counterfactual == RiskLevel.HIGH
