"""How likely the breach is to hurt people, per route: disclosure, alteration, loss of access.

Likelihood runs 0 (remote) to 3 (near-certain). The reasoning follows the EDPB's risk factors
(Guidelines 01/2021 and WP250 Section IV): who got the data and with what motive, whether it is
intelligible, how far it went, whether the exposure is over, and whether harm is already seen.
"""

from __future__ import annotations

from breach.assess.models import RationaleEntry
from breach.assess.severity import Scored
from breach.assess.signals import (
    LIKELIHOOD_WORDS,
    OUTSIDE_RECIPIENTS,
    attacker_has_data,
    is_malicious,
    special_categories,
    unintelligible,
)
from breach.assess.sources import EDPB_01_2021, EDPB_01_2021_C09, EDPB_01_2021_RESTORE, WP250_IVB, WP250_VIII
from breach.assess.tables import limit, reach_steps, step_for
from breach.facts import Facts

# Who got the data -> how likely misuse is, and why (EDPB 01/2021: "the recipient" factor).
RECIPIENT_LIKELIHOOD: dict[str, tuple[int, str]] = {
    "public": (3, "the data was published or open to anyone, so it is out of control for good"),
    "hostile": (2, "the data is with someone who has a motive to misuse it"),
    "unknown": (2, "nobody knows who has the data, so misuse cannot be ruled out"),
    "untrusted": (1, "the data reached strangers without a known motive to misuse it"),
    "internal_unauthorised": (1, "staff without a need to know got the data"),
    "trusted_external": (1, "the data reached a known party bound by confidentiality"),
    "internal_colleague": (1, "the data reached a colleague in the same organisation"),
    "none": (0, "nobody got the data"),
}
TRUSTED_RECIPIENTS = ("trusted_external", "internal_colleague")


CONFIDENTIALITY_BASIS = (EDPB_01_2021, WP250_IVB)


def _scored(rule: str, *, level: int, reasons: list[str], basis: tuple[str, ...]) -> Scored:
    finding = f"Likelihood {level} ({LIKELIHOOD_WORDS[level]}): " + "; ".join(reasons) + "."
    return Scored(float(level), RationaleEntry(rule=rule, finding=finding, basis=basis))


def confidentiality_likelihood(facts: Facts, *, return_undoes_disclosure: bool = True) -> Scored:
    """Likelihood that the disclosure or access leads to misuse (Art. 4(12): unauthorised disclosure or access).

    ``return_undoes_disclosure`` is False where national practice holds that a recipient returning or
    deleting the data does not remove the risk (breach/data/national_overlays.json).
    """
    rule, basis = "confidentiality_likelihood", CONFIDENTIALITY_BASIS
    if unintelligible(facts):
        return _scored(rule, level=0, basis=basis, reasons=[
            "the data was encrypted to the state of the art and the key is safe, so it is unintelligible to whoever got it"])
    if facts.recipient == "none" and not attacker_has_data(facts):
        return _scored(rule, level=0, basis=basis, reasons=[RECIPIENT_LIKELIHOOD["none"][1]])
    level, why = _recipient_likelihood(facts)
    reasons = [why]
    level = _raise_for_intent_and_reach(facts, level=level, reasons=reasons)
    if return_undoes_disclosure and _deleted_by_trusted(facts):
        return _scored(rule, level=0, basis=(*basis, EDPB_01_2021_C09), reasons=reasons + ["it confirmed deleting or returning the data"])
    if facts.accessed == "no_evidence" and not attacker_has_data(facts) and level > 1:
        level = 1
        reasons.append("there is no evidence that anyone looked at it")
    ongoing = _still_exposed(facts)
    if ongoing:
        level = min(3, level + 1)
        reasons.append(" and ".join(ongoing) + ", so it may go on")
    if facts.harm_observed:
        level = 3
        reasons.append("harm to people has already been seen")
    return _scored(rule, level=level, reasons=reasons, basis=basis)


def _recipient_likelihood(facts: Facts) -> tuple[int, str]:
    """The recipient table; an unknown holder of data lost or sent by accident is less of a threat than a thief."""
    accidental = facts.malicious is False or (facts.malicious is None and facts.cause in ("human_error", "system_failure"))
    if facts.recipient == "unknown" and accidental:
        return 1, "it is not known who has the data, but it went astray by accident rather than being taken"
    return RECIPIENT_LIKELIHOOD[facts.recipient]


def _still_exposed(facts: Facts) -> list[str]:
    """Why the exposure may go on: not contained, or a weakness known before or still open."""
    found = []
    if facts.contained is False:
        found.append("the exposure is not contained")
    if facts.known_unfixed_vulnerability:
        found.append("the weakness was known before or is still not fixed")
    return found


def _raise_for_intent_and_reach(facts: Facts, *, level: int, reasons: list[str]) -> int:
    """Motive, theft and reach make misuse more likely; ``reasons`` gets the why of each step."""
    if attacker_has_data(facts) and level < 2:
        level = 2
        reasons.append(f"an attacker or insider {'copied' if facts.exfiltration == 'confirmed' else 'probably copied'} it")
    if facts.recipient == "hostile" and facts.accessed == "confirmed" and level < 3:
        level = 3
        reasons.append("someone with a motive to misuse it is known to have seen or used it")
    if is_malicious(facts) and facts.recipient in ("untrusted", "internal_unauthorised") and level < 2:
        level = 2
        reasons.append("it was taken or looked at on purpose")
    reach = step_for(facts.recipients_count, reach_steps()) if facts.recipient in OUTSIDE_RECIPIENTS else 0
    if reach > level:
        level = reach
        mass = reach == 3
        reasons.append(f"it went to {facts.recipients_count:,} recipients, "
                       + ("a mass mailing the controller cannot recall (WP250 IV.B, Annex B (ix))" if mass
                          else "more than a limited number the controller can reach one by one (ENISA 2013)"))
    return level


def _deleted_by_trusted(facts: Facts) -> bool:
    """EDPB 01/2021 Case 09 and ICO case study 2: a trusted recipient who deleted the data.

    An outside party, however trusted, is enough only when no Art. 9/10 data was sent.
    """
    if not facts.recipient_deleted or facts.recipient not in TRUSTED_RECIPIENTS or facts.harm_observed:
        return False
    return facts.recipient == "internal_colleague" or not special_categories(facts)


def _care(facts: Facts) -> bool:
    """People depend on timely access to this data for their care, so any interruption can hurt (WP250 Annex B (viii))."""
    return "patients" in facts.subject_categories


def _restored_in_time(facts: Facts) -> bool:
    """Access came back within the 72 hours EDPB 01/2021 para. 24 treats as timely, for processing people do not need hourly."""
    hours = facts.unavailable_hours
    return not facts.permanent_loss and hours is not None and hours <= limit("restore_within_hours") and not _care(facts)


def availability_likelihood(facts: Facts) -> Scored:
    """Likelihood that losing access to the data hurts people (Art. 4(12): loss of access or destruction)."""
    hours, restore = facts.unavailable_hours, limit("restore_within_hours")
    basis = (EDPB_01_2021_RESTORE, WP250_VIII)
    if facts.permanent_loss:
        level, reasons = 2, ["the data is lost for good"]
    elif _restored_in_time(facts):
        level, reasons = 0, [f"access was restored within {hours:g} hours, inside the {restore:g} hours the EDPB treats as timely"]
    elif facts.backup_available and hours is None and not _care(facts):
        level, reasons = 0, ["a backup is at hand to restore the data from"]
    elif facts.backup_available is False and (hours is None or hours > restore):
        level, reasons = 2, ["there is no backup to restore from"]
    elif hours is not None and hours > restore:
        level, reasons = 2, [f"the data was unavailable for {hours:g} hours, longer than the {restore:g} hours the EDPB treats as timely"]
    else:
        level, reasons = 1, [f"the data was unavailable for {f'{hours:g} hours' if hours is not None else 'a time not known'}"]
        if _care(facts):
            reasons.append("patients depend on it for their care, so even a short interruption can hurt them")
    if facts.harm_observed:
        level = 3
        reasons.append("harm to people has already been seen (e.g. service or treatment delayed)")
    return _scored("availability_likelihood", level=level, reasons=reasons, basis=basis)


def integrity_likelihood(facts: Facts) -> Scored:
    """Likelihood that altered data hurts people (Art. 4(12): alteration)."""
    if facts.data_altered is False:
        level, reasons = 0, ["nothing was altered"]
    elif _restored_in_time(facts):
        level, reasons = 0, ["the original data was restored before it was used"]
    elif facts.permanent_loss or facts.backup_available is False:
        level, reasons = 2, ["the original data cannot be restored"]
    else:
        level, reasons = 1, ["the data may have been altered and used before being put right"]
    if facts.harm_observed and level > 0:
        level = 3
        reasons.append("harm to people has already been seen")
    return _scored("integrity_likelihood", level=level, reasons=reasons, basis=(EDPB_01_2021_RESTORE, WP250_IVB))
