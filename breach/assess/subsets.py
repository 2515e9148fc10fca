"""Art. 34 for some of the people: a breach that is not a high risk for the population as a whole can be one for some.

"Even in otherwise homogeneous processing which generally does not have a high risk profile, there
may be conditions for the individual data subject which carry a high risk" (Datatilsynet,
2019-441-1578). The facts say whether such people are among the affected
(``protected_address_subjects_present``, ``vulnerable_subjects_present``); the verdict names them as a
rule over the people file's columns, and what to do when the file cannot single them out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from breach.assess.models import RationaleEntry, SubjectSubset
from breach.assess.signals import confidentiality_at_stake, outside_control, readable_categories
from breach.assess.sources import DK_ADDRESS, GDPR_34_1, ICO_CS1, RECITAL_75_VULNERABLE, WP250_IVB
from breach.enums import RiskLevel
from breach.facts import Facts

# People-file columns the rules name (true for the people concerned).
PROTECTED_ADDRESS: dict[str, Any] = {"column": "protected_address", "equals": True}
VULNERABLE: dict[str, Any] = {"column": "vulnerable", "equals": True}
IF_NOT_IDENTIFIABLE = ("tell all the people affected: if the people file cannot single these people out, everyone must be "
                       "told (Datatilsynet 2019-441-1578)")
RULE = "art34_1_subset"

RiskOf = Callable[[Facts], RiskLevel]


def subset_rule(facts: Facts, *, risk_of: RiskOf) -> tuple[SubjectSubset | None, list[RationaleEntry]]:
    """The people for whom this breach is a high risk although it is not for everyone, and why (Art. 34(1))."""
    reasons: list[tuple[dict[str, Any], str, tuple[str, ...]]] = []
    entries: list[RationaleEntry] = []
    if facts.protected_address_subjects_present:
        if _address_exposed(facts):
            reasons.append((PROTECTED_ADDRESS, "their secret or protected address reached, or may have reached, someone "
                            "outside the controller's control, which can put them in danger", (DK_ADDRESS, ICO_CS1)))
        else:
            entries.append(_not_for("People with a protected address", "their address was not exposed outside the controller's control"))
    if facts.vulnerable_subjects_present:
        if _high_for_vulnerable(facts, risk_of):
            reasons.append((VULNERABLE, "for people in a vulnerable situation the same breach is a high risk (ENISA: who the "
                            "individuals are raises the severity)", (RECITAL_75_VULNERABLE, WP250_IVB)))
        else:
            entries.append(_not_for("Vulnerable people", "the breach is not a high risk even for them"))
    if not reasons:
        return None, entries
    return _subset(reasons), entries + [_entry(reasons)]


def _address_exposed(facts: Facts) -> bool:
    """An intelligible postal address was disclosed, or may have been, outside the controller's control."""
    return "postal_address" in readable_categories(facts) and confidentiality_at_stake(facts) and outside_control(facts)


def _high_for_vulnerable(facts: Facts, risk_of: RiskOf) -> bool:
    """The same breach, assessed as if everyone affected were vulnerable (ENISA DPC: who the individuals are)."""
    categories = list(facts.subject_categories)
    if "vulnerable_adults" not in categories:
        categories.append("vulnerable_adults")
    return risk_of(facts.model_copy(update={"subject_categories": categories})) == RiskLevel.HIGH


def _subset(reasons: list[tuple[dict[str, Any], str, tuple[str, ...]]]) -> SubjectSubset:
    people = reasons[0][0] if len(reasons) == 1 else {"any": [rule for rule, _, _ in reasons]}
    why = "; ".join(f"{rule['column']}: {why}" for rule, why, _ in reasons)
    basis = (GDPR_34_1, *(b for _, _, cited in reasons for b in cited))
    return SubjectSubset(people=people, why=why, basis=basis, if_not_identifiable=IF_NOT_IDENTIFIABLE)


def _entry(reasons: list[tuple[dict[str, Any], str, tuple[str, ...]]]) -> RationaleEntry:
    columns = " or ".join(f"'{rule['column']}'" for rule, _, _ in reasons)
    whys = "; ".join(why for _, why, _ in reasons)
    finding = (f"The breach is not a high risk for everyone, but it is for some: the people marked {columns} in the people "
               f"file must be told without undue delay (Art. 34(1)), because {whys}. If the people file cannot single them "
               "out, all the people affected must be told.")
    return RationaleEntry(rule=RULE, finding=finding, basis=(GDPR_34_1, *(b for _, _, cited in reasons for b in cited)))


def _not_for(who: str, why: str) -> RationaleEntry:
    return RationaleEntry(rule=RULE, basis=(GDPR_34_1,), finding=(
        f"{who} are among those affected, but they need not be told separately: {why}."))
