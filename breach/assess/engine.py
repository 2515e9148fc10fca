"""``assess(facts)``: the rules in the order a privacy lawyer would apply them. Pure, no I/O.

1. Is it a personal data breach (Art. 4(12))?  2. How severe (ENISA 2013)?  3. Do national rules on
identification numbers apply (Art. 87)?  4. How likely to harm people, through which route, and how
many (EDPB 01/2021)?  5. Who must be told: the controller (Art. 33(2)), the authority (Art. 33(1)),
the people (Art. 34), or some of them, by when, and which authority.
"""

from __future__ import annotations

from collections.abc import Iterable

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
from breach.assess.overlays import NationalLaw, national_law
from breach.assess.risk import RouteRisk, overall_risk, route_risks
from breach.assess.scope import Scope, territorial_scope_rule
from breach.assess.severity import severity
from breach.assess.signals import confidentiality_at_stake, unintelligible
from breach.assess.sources import GDPR_28_3_F, GDPR_33_1
from breach.assess.subsets import subset_rule
from breach.assess.tables import enisa
from breach.enums import RiskLevel
from breach.facts import Facts

RULES_VERSION = "2.0"


def rules_version() -> str:
    """Version of the rules and of the ENISA tables they read, e.g. 'rules-2.0+enisa-1'."""
    return f"rules-{RULES_VERSION}+enisa-{enisa().version}"


def assess(facts: Facts, *, people_countries: Iterable[str] = ()) -> Assessment:
    """Decide what the breach calls for and why (Art. 3, 33, 34), from the facts and the people file's countries."""
    scope = territorial_scope_rule(facts, people_countries)
    if scope.entry is not None and set(scope.countries) - set(facts.subjects_countries):
        # No one-stop shop: the people file's countries name authorities (and national rules) too.
        extra = [c for c in scope.countries if c not in facts.subjects_countries]
        facts = facts.model_copy(update={"subjects_countries": [*facts.subjects_countries, *extra]})
    breach, breach_entry = personal_data_breach_rule(facts)
    sev, severity_entries = severity(facts)
    identifiable, identifiable_entry = identifiable_rule(breach=breach, ei=sev.ei)
    national = national_law(facts) if breach and scope.applies else NationalLaw()
    risk, routes, risk_entries = _risk(facts, sev, breach=breach, national=national)
    if not scope.applies:
        return _outside(facts, scope, breach=breach, identifiable=identifiable, sev=sev, risk=risk,
                        entries=[breach_entry, *severity_entries, identifiable_entry, *risk_entries])
    duties = _duties(facts, breach=breach, risk=risk, routes=routes, national=national)
    authority, authorities, authority_entry = lead_authority_rule(facts)
    deadline, deadline_entry = deadline_rule(facts, notify_authority=duties.notify_authority)
    tail = [deadline_entry, register_rule(breach=breach), other_regimes_rule(facts)]
    entries = [breach_entry, *severity_entries, identifiable_entry, *risk_entries, *duties.entries, authority_entry]
    entries = ([scope.entry] if scope.entry else []) + entries + [e for e in tail if e is not None]
    return Assessment(
        personal_data_breach=breach, identifiable=identifiable, severity=sev, risk=risk,
        notify_authority=duties.notify_authority, notify_subjects=duties.notify_subjects,
        subject_notice_exemption=duties.exemption, public_communication=duties.public_communication,
        notify_subjects_subset=duties.subset, authority=authority, authorities=authorities, authority_deadline=deadline,
        rationale=entries, rules_version=rules_version(), role=facts.role, notify_controller=duties.notify_controller,
        territorial_scope=scope.as_contract(),
    )


def _outside(facts: Facts, scope: Scope, *, breach: bool, identifiable: bool, sev: Severity, risk: RiskLevel,
             entries: list[RationaleEntry]) -> Assessment:
    """Art. 3: the GDPR does not reach the processing: no authority, no Art. 34 notice, no Art. 33(5) register duty.

    A processor still tells its controller: the processing contract asks for it (and, for US residents, the
    state laws' vendor notice to the data owner), although Art. 33(2) does not.
    """
    assert scope.entry is not None
    tell_controller = facts.role == "processor" and breach
    if tell_controller:
        entries.append(RationaleEntry(rule="processor_contract", basis=(GDPR_28_3_F,), finding=(
            "We act as a processor: tell the controller without undue delay. The GDPR does not bind this processing, but the "
            "processing contract asks for it, and US state breach laws require a vendor to tell the owner of the data.")))
    return Assessment(
        personal_data_breach=breach, identifiable=identifiable, severity=sev, risk=risk, notify_authority=False,
        notify_subjects=False, rationale=[scope.entry, *entries], rules_version=rules_version(), role=facts.role,
        notify_controller=tell_controller, gdpr_applies=False, territorial_scope=scope.as_contract(),
    )


def _risk(facts: Facts, sev: Severity, *, breach: bool, national: NationalLaw) -> tuple[RiskLevel, list[RouteRisk], list[RationaleEntry]]:
    """The risk through each route the breach opened, and overall; none without personal data."""
    if not breach:
        return RiskLevel.UNLIKELY, [], []
    routes, entries = route_risks(facts, dpc=sev.dpc, ei=sev.ei, national=national)
    for route in routes:
        entries += route.entries
    risk, entry = overall_risk(routes)
    return risk, routes, [*entries, entry]


def _risk_of(facts: Facts) -> RiskLevel:
    """The overall risk of a (counterfactual) facts document, for the Art. 34(3)(a) and subset tests."""
    return _risk(facts, severity(facts)[0], breach=True, national=national_law(facts))[0]


def _duties(facts: Facts, *, breach: bool, risk: RiskLevel, routes: list[RouteRisk], national: NationalLaw) -> Duties:
    """Processor: tell the controller (Art. 33(2)). Controller: the authority (Art. 33(1)) and the people (Art. 34)."""
    if facts.role == "processor":
        notify_controller, entry = processor_rule(facts, breach=breach)
        return Duties(notify_controller=notify_controller, entries=[entry])
    notify_authority, entry = authority_rule(risk=risk, breach=breach)
    if not breach:
        return Duties(entries=[entry])
    high_routes = [r.route for r in routes if r.level == RiskLevel.HIGH]
    duties = subjects_rule(facts, risk=risk, high_routes=high_routes, high_without_encryption=_high_without_encryption(facts, risk),
                           allow_3b=not national.return_does_not_remove_risk)
    duties.notify_authority = notify_authority
    duties.entries.insert(0, entry)
    if risk != RiskLevel.HIGH:
        _add_subset(facts, duties)
    return duties


def _add_subset(facts: Facts, duties: Duties) -> None:
    """Art. 34(1) for the people the breach is a high risk for, although it is not for everyone."""
    subset, entries = subset_rule(facts, risk_of=_risk_of)
    duties.entries += entries
    if subset is None:
        return
    duties.subset = subset
    if not duties.notify_authority:
        duties.notify_authority = True
        duties.entries.append(RationaleEntry(rule="art33_1_notify_authority", basis=(GDPR_33_1,), finding=(
            "Because the breach is a high risk for some of the people, it is not 'unlikely to result in a risk': the "
            "supervisory authority must be notified without undue delay and within 72 hours of becoming aware (Art. 33(1)).")))


def _high_without_encryption(facts: Facts, risk: RiskLevel) -> bool:
    """Art. 34(3)(a) test: would this disclosure be a high risk had the data not been unintelligible?"""
    if risk == RiskLevel.HIGH or not unintelligible(facts) or not confidentiality_at_stake(facts):
        return False
    plain = facts.model_copy(update={"encryption": "none", "encryption_by_category": {}})
    return _risk_of(plain) == RiskLevel.HIGH
