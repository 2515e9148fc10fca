"""Risk to the rights and freedoms of people (Art. 33(1), 34(1)): impact x likelihood x scale.

For each route that the breach opened (confidentiality, integrity, availability) the risk points
are impact (the ENISA DPC; for a disclosure times the ENISA EI, since harm from a disclosure
needs the person to be identified) plus likelihood (0-3) plus scale (0-2, the number of people).
Under 3 points the risk is unlikely, from 5 it is high. Then the EDPB's floors and caps apply.
The breach's risk is the highest of its routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from breach.assess.likelihood import TRUSTED_RECIPIENTS, availability_likelihood, confidentiality_likelihood, integrity_likelihood
from breach.assess.models import RationaleEntry
from breach.assess.severity import Scored
from breach.assess.signals import and_join, attacker_has_data, has, is_malicious, people_text
from breach.assess.tables import HIGH_RISK_FROM, RISK_FROM, SCALE_STEPS, step_for
from breach.enums import RiskLevel
from breach.facts import Facts

ORDER = (RiskLevel.UNLIKELY, RiskLevel.RISK, RiskLevel.HIGH)
# (reason, floor, cap): a level the route is raised to, or held at, and why.
Adjustment = tuple[str, RiskLevel | None, RiskLevel | None]
WORDS = {RiskLevel.UNLIKELY: "unlikely to result in a risk", RiskLevel.RISK: "a risk", RiskLevel.HIGH: "a high risk"}


@dataclass(frozen=True)
class RouteRisk:
    """The risk through one route, with the entries that explain it."""

    route: str
    level: RiskLevel
    entries: list[RationaleEntry]


def scale_rule(facts: Facts) -> Scored:
    """Number of people affected: EDPB 01/2021 and ENISA weigh it outside the severity score.

    When the number of people is not known, the number of records is the best indicator there is.
    """
    count, counted = facts.subjects_affected, people_text(facts)
    if count is None and facts.records_affected is not None:
        count, counted = facts.records_affected, f"an unknown number of people in {facts.records_affected:,} records"
    points = step_for(count, SCALE_STEPS)
    words = {0: "adds nothing", 1: "adds 1 point (100 or more)", 2: "adds 2 points (10,000 or more)"}[points]
    return Scored(float(points), RationaleEntry(rule="scale", finding=f"The breach affects {counted}; scale {words}."))


def level_for(points: float) -> RiskLevel:
    """Risk points to a level: under 3 unlikely, 3 to under 5 a risk, 5 or more high."""
    if points >= HIGH_RISK_FROM:
        return RiskLevel.HIGH
    return RiskLevel.RISK if points >= RISK_FROM else RiskLevel.UNLIKELY


def higher(a: RiskLevel, b: RiskLevel) -> RiskLevel:
    """The higher of two risk levels."""
    return max(a, b, key=ORDER.index)


def _route(route: str, *, impact: float, impact_text: str, likelihood: Scored, scale: float, adjust: list[Adjustment]) -> RouteRisk:
    """Combine the points, then apply (reason, floor, cap) adjustments in order."""
    if likelihood.value == 0:
        level, text = RiskLevel.UNLIKELY, "no realistic way for this route to harm anyone"
    else:
        points = impact + likelihood.value + scale
        level = level_for(points)
        text = f"impact {impact_text} + likelihood {likelihood.value:g} + scale {scale:g} = {points:g} points"
        for reason, floor, cap in adjust:
            if floor is not None and ORDER.index(level) < ORDER.index(floor):
                level, text = floor, f"{text}; raised to {WORDS[floor]} because {reason}"
            if cap is not None and ORDER.index(level) > ORDER.index(cap):
                level, text = cap, f"{text}; held at {WORDS[cap]} because {reason}"
    finding = f"Through {route}, the breach is {WORDS[level]}: {text}."
    return RouteRisk(route, level, [likelihood.entry, RationaleEntry(rule=f"{route}_risk", finding=finding)])


def confidentiality_risk(facts: Facts, *, dpc: float, ei: float, scale: float) -> RouteRisk:
    """Disclosure or access: EDPB floors (malicious intent) and caps (trusted recipient, no sign of access)."""
    adjust: list[Adjustment] = []
    if is_malicious(facts):
        adjust.append(("the data was taken on purpose and graver misuse cannot be ruled out (EDPB 01/2021 Case 08)",
                       RiskLevel.RISK, None))
    if facts.recipient in TRUSTED_RECIPIENTS and not is_malicious(facts) and not facts.harm_observed:
        adjust.append(("the recipient is bound by confidentiality, which makes serious misuse unlikely (EDPB 01/2021 Case 09)",
                       None, RiskLevel.RISK))
    if facts.accessed == "no_evidence" and not attacker_has_data(facts) and not facts.harm_observed:
        adjust.append(("there is no evidence that anyone saw the data", None, RiskLevel.RISK))
    return _route("confidentiality", impact=dpc * ei, impact_text=f"{dpc * ei:g} (DPC {dpc:g} x EI {ei:g})",
                  likelihood=confidentiality_likelihood(facts), scale=scale, adjust=adjust)


def availability_risk(facts: Facts, *, dpc: float, scale: float) -> RouteRisk:
    """Loss of access: what the people lose while they cannot get at their data."""
    return _route("availability", impact=dpc, impact_text=f"{dpc:g} (DPC)", likelihood=availability_likelihood(facts), scale=scale,
                  adjust=[])


def integrity_risk(facts: Facts, *, dpc: float, scale: float) -> RouteRisk:
    """Alteration: decisions taken on wrong data."""
    return _route("integrity", impact=dpc, impact_text=f"{dpc:g} (DPC)", likelihood=integrity_likelihood(facts), scale=scale, adjust=[])


def route_risks(facts: Facts, *, dpc: float, ei: float) -> tuple[list[RouteRisk], RationaleEntry]:
    """The risk through every route the breach opened, and the scale entry."""
    scale = scale_rule(facts)
    routes = []
    if has(facts, "confidentiality"):
        routes.append(confidentiality_risk(facts, dpc=dpc, ei=ei, scale=scale.value))
    if has(facts, "integrity"):
        routes.append(integrity_risk(facts, dpc=dpc, scale=scale.value))
    if has(facts, "availability"):
        routes.append(availability_risk(facts, dpc=dpc, scale=scale.value))
    return routes, scale.entry


def overall_risk(routes: list[RouteRisk]) -> tuple[RiskLevel, RationaleEntry]:
    """The breach's risk is that of its worst route (Art. 33(1), 34(1))."""
    level = RiskLevel.UNLIKELY
    for route in routes:
        level = higher(level, route.level)
    worst = [r.route for r in routes if r.level == level]
    finding = f"Overall the breach is {WORDS[level]} to people's rights and freedoms"
    finding += f" (decided by {and_join(worst)})." if level != RiskLevel.UNLIKELY else ": none of its routes can realistically harm anyone."
    return level, RationaleEntry(rule="risk", finding=finding)
