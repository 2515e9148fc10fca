"""From risk to duties: Art. 33 (authority), Art. 34 (people) and its exemptions, Art. 33(2) (processor).

Each rule returns its verdict with one rationale entry, written for a manager to read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from breach import instants
from breach.assess.models import Exemption, RationaleEntry
from breach.assess.signals import and_join, is_malicious, listing
from breach.authorities import Authority, authorities_for, lead_authority
from breach.enums import RiskLevel
from breach.facts import Facts

# Art. 34(3)(b) only where one or a few known, non-hostile recipients undid the disclosure.
FEW_RECIPIENTS = 10

# Reminders of other reporting regimes the facts point to; not GDPR verdicts.
OTHER_REGIMES = {
    "electronic_communications_provider": (
        "as a provider of electronic communications services, report every personal data breach to the competent "
        "national authority within 24 hours where feasible (Regulation 611/2013)"),
    "nis2_entity": (
        "as a NIS2 {nis2} entity, a significant incident needs an early warning to the CSIRT or authority within "
        "24 hours and a notification within 72 hours (NIS2 Art. 23)"),
    "dora_financial_entity": (
        "as a DORA financial entity, a major ICT-related incident must be reported to the financial supervisor (DORA Art. 19)"),
}


@dataclass
class Duties:
    """The verdicts on who must be told, and why."""

    notify_authority: bool = False
    notify_subjects: bool = False
    notify_controller: bool = False
    exemption: Exemption | None = None
    public_communication: bool = False
    entries: list[RationaleEntry] = field(default_factory=list)


def personal_data_breach_rule(facts: Facts) -> tuple[bool, RationaleEntry]:
    """Art. 4(12): a breach of security affecting personal data (confidentiality, integrity or availability)."""
    if not facts.data_categories:
        return False, RationaleEntry(rule="art4_12_personal_data_breach", finding=(
            "No personal data was involved, so this is not a personal data breach (Art. 4(12)): "
            "nothing has to be notified under the GDPR. Keep it in the security incident log."))
    return True, RationaleEntry(rule="art4_12_personal_data_breach", finding=(
        f"This is a personal data breach (Art. 4(12)): the {and_join(list(facts.breach_types))} of personal data "
        f"({listing(list(facts.data_categories))}) was compromised."))


def identifiable_rule(*, breach: bool, ei: float) -> tuple[bool, RationaleEntry]:
    """People are identifiable from what was compromised unless identification is negligible (ENISA EI 0.25)."""
    if not breach:
        return False, RationaleEntry(rule="identifiable", finding="No personal data, so nobody can be identified.")
    if ei >= 0.5:
        return True, RationaleEntry(rule="identifiable", finding=(
            "People can be identified from the compromised data, directly or with reasonable effort."))
    return False, RationaleEntry(rule="identifiable", finding=(
        "Nobody can be identified from what was compromised with any reasonable effort (it is unintelligible)."))


def processor_rule(facts: Facts, *, breach: bool) -> tuple[bool, RationaleEntry]:
    """Art. 33(2): a processor tells its controller of every personal data breach, without undue delay."""
    if not breach:
        return False, RationaleEntry(rule="art33_2_processor", finding=(
            "We act as a processor, but no personal data was involved: the controller need not be told under Art. 33(2)."))
    hours = facts.controller.dpa_hours if facts.controller else None
    when = f"within the {hours:g} hours the data processing agreement sets" if hours is not None else "without undue delay"
    return True, RationaleEntry(rule="art33_2_processor", finding=(
        f"We act as a processor: we must tell the controller {when} (Art. 33(2)), whatever the risk. "
        "We do not notify the authority or the people ourselves; that is the controller's decision, "
        "and this assessment is our advice to it."))


def authority_rule(*, risk: RiskLevel, breach: bool) -> tuple[bool, RationaleEntry]:
    """Art. 33(1): notify the supervisory authority unless the breach is unlikely to result in a risk."""
    if not breach:
        return False, RationaleEntry(rule="art33_1_notify_authority",
                                     finding="No personal data breach, so no notification to the authority.")
    if risk == RiskLevel.UNLIKELY:
        return False, RationaleEntry(rule="art33_1_notify_authority", finding=(
            "The breach is unlikely to result in a risk to people, so the authority need not be notified (Art. 33(1)). "
            "Record it in the breach register with these reasons (Art. 33(5))."))
    return True, RationaleEntry(rule="art33_1_notify_authority", finding=(
        "The breach is likely to result in a risk to people, so the supervisory authority must be notified "
        "without undue delay and within 72 hours of becoming aware (Art. 33(1))."))


def subjects_rule(facts: Facts, *, risk: RiskLevel, high_routes: list[str], high_without_encryption: bool) -> Duties:
    """Art. 34(1): tell the people of a high risk, unless an Art. 34(3) exemption applies."""
    duties = Duties()
    if risk != RiskLevel.HIGH:
        if high_without_encryption:
            duties.exemption = "art34_3_a"
            duties.entries.append(_exemption_a())
        duties.entries.append(RationaleEntry(rule="art34_1_notify_subjects", finding=(
            "The risk to people is not high, so they need not be told individually (Art. 34(1)); "
            "telling them may still be good practice.")))
        return duties
    if high_routes == ["confidentiality"] and _later_measures_removed_high_risk(facts):
        duties.exemption = "art34_3_b"
        duties.entries.append(RationaleEntry(rule="art34_3_b", finding=(
            "The few known recipients confirmed deleting or returning the data and there is no sign of misuse, "
            "so the high risk is no longer likely to materialise (Art. 34(3)(b)): the people need not be told individually.")))
    elif facts.subjects_reachable is False:
        duties.exemption, duties.public_communication = "art34_3_c", True
        duties.entries.append(RationaleEntry(rule="art34_3_c", finding=(
            "The people cannot be identified or contacted individually, so telling each of them would take disproportionate effort: "
            "a public communication must inform them instead, just as effectively (Art. 34(3)(c)).")))
    else:
        duties.notify_subjects = True
        duties.entries.append(RationaleEntry(rule="art34_1_notify_subjects", finding=(
            "The breach is likely to result in a high risk to people, so they must be told without undue delay, "
            "in clear and plain language, what happened, the likely consequences, what we are doing "
            "and what they can do (Art. 34(1)-(2)).")))
    return duties


def _exemption_a() -> RationaleEntry:
    return RationaleEntry(rule="art34_3_a", finding=(
        "Without the encryption this disclosure would be a high risk; because the data is unintelligible to whoever got it "
        "(state-of-the-art encryption, key not compromised), the people need not be told (Art. 34(3)(a))."))


def _later_measures_removed_high_risk(facts: Facts) -> bool:
    """Art. 34(3)(b): a disclosure to few known, non-hostile recipients who confirmed deletion, with no sign of misuse."""
    few = facts.recipients_count is None or facts.recipients_count <= FEW_RECIPIENTS
    return (
        bool(facts.recipient_deleted) and few and facts.contained is not False
        and facts.recipient in ("untrusted", "trusted_external", "internal_colleague", "internal_unauthorised")
        and not is_malicious(facts) and not facts.harm_observed
    )


def lead_authority_rule(facts: Facts) -> tuple[Authority | None, list[Authority], RationaleEntry]:
    """Art. 56 (one-stop shop), or every authority where people live when the controller is not in the EEA."""
    established = facts.controller.established_in_eea if facts.controller else True
    found = authorities_for(facts)
    if not established:
        names = ", ".join(f"{a.name} ({a.code})" for a in found) or "none we have on file"
        finding = ("The controller has no establishment in the EEA, so there is no lead authority (no one-stop shop): "
                   f"each authority where affected people live is owed a notification (EDPB Guidelines 9/2022): {names}.")
        return (found[0] if found else lead_authority(facts)), found, RationaleEntry(rule="authority", finding=finding)
    lead = lead_authority(facts)
    if lead is None:
        country = facts.controller.country if facts.controller else None
        why = f"we have no authority on file for {country}" if country else "the facts give no controller country"
        return None, [], RationaleEntry(rule="authority", finding=(
            f"The lead authority is not known: {why}. It is the authority of the controller's main establishment (Art. 56)."))
    abroad = [c for c in facts.subjects_countries if c != lead.country]
    also = (f" People in {', '.join(abroad)} are affected too; the lead authority handles the case for them"
            " under the one-stop shop (Art. 56, 60)." if abroad else "")
    return lead, [lead], RationaleEntry(rule="authority", finding=(
        f"The lead authority is {lead.name} ({lead.code}), picked from the controller's country (Art. 56).{also}"))


def deadline_rule(facts: Facts, *, notify_authority: bool) -> tuple[datetime | None, RationaleEntry | None]:
    """Art. 33(1): the authority clock runs 72 hours from awareness; only when a notification is due."""
    if not notify_authority:
        return None, None
    if facts.aware_at is None:
        return None, RationaleEntry(rule="art33_1_deadline", finding=(
            "The time the controller became aware is not given, so the 72-hour deadline cannot be set yet: record aware_at now."))
    due = instants.authority_deadline(facts.aware_at)
    return due, RationaleEntry(rule="art33_1_deadline", finding=(
        f"Notify the authority by {due.strftime('%Y-%m-%d %H:%M')} UTC, 72 hours after becoming aware; "
        "a later notification must give the reasons for the delay (Art. 33(1))."))


def register_rule(*, breach: bool) -> RationaleEntry | None:
    """Art. 33(5): every personal data breach is documented, whatever the verdict."""
    if not breach:
        return None
    return RationaleEntry(rule="art33_5_register", finding=(
        "Record the breach, its effects and the remedial action in the breach register, whatever the verdict (Art. 33(5))."))


def other_regimes_rule(facts: Facts) -> RationaleEntry | None:
    """Other incident-reporting duties the facts point to, beside the GDPR (a reminder, not a GDPR verdict)."""
    regimes = facts.regimes
    if regimes is None:
        return None
    applies = {
        "electronic_communications_provider": regimes.electronic_communications_provider and bool(facts.data_categories),
        "nis2_entity": regimes.nis2_entity is not None,
        "dora_financial_entity": regimes.dora_financial_entity,
    }
    notes = [OTHER_REGIMES[key].format(nis2=regimes.nis2_entity) for key, due in applies.items() if due]
    if not notes:
        return None
    return RationaleEntry(rule="other_regimes", finding="Besides the GDPR: " + "; ".join(notes) + ".")
