"""ENISA (2013) breach severity: SE = DPC x EI + CB, then the band.

DPC (Data Processing Context) says how much harm this kind of data can do, EI (Ease of
Identification) how easily it points to a person, CB (Circumstances of Breach) adds points for how
far it went and for malicious intent. The tables are in ``breach/data/enisa.json``.
"""

from __future__ import annotations

from dataclasses import dataclass

from breach.assess.models import RationaleEntry, Severity
from breach.assess.signals import attacker_has_data, has, is_malicious, unintelligible, vulnerable_groups, word
from breach.assess.tables import QUICK_RESTORE_HOURS, band_of, enisa
from breach.facts import Facts


@dataclass(frozen=True)
class Scored:
    """A number a rule arrived at, and the rationale entry that explains it."""

    value: float
    entry: RationaleEntry


def dpc_rule(facts: Facts) -> Scored:
    """ENISA step 1 (most critical data category) and step 2 (context adjustments), kept within 1-4."""
    table = enisa()
    top = max((table.categories[c] for c in facts.data_categories), key=lambda s: s.dpc)
    words = f"The most critical data is {word(top.code)} ({top.dpc_class} data, score {top.dpc}"
    words += f": {top.why})." if top.why else ")."
    value, steps = top.dpc, []
    for key, applies in _adjustments(facts):
        if applies:
            step = table.adjustments[key]["step"]
            value += step
            steps.append(f"{'+' if step > 0 else ''}{step} because {table.adjustments[key]['why']}")
    clamped = min(4, max(1, value))
    if steps:
        words += " Adjusted " + "; ".join(steps) + ("." if clamped == value else ", kept within 1 to 4.")
    value = clamped
    return Scored(float(value), RationaleEntry(rule="enisa_dpc", finding=f"{words} Data processing context (DPC): {value} of 4."))


def _adjustments(facts: Facts) -> list[tuple[str, bool]]:
    return [
        ("volume_high", facts.data_volume_per_person == "high"),
        ("volume_low", facts.data_volume_per_person == "low"),
        ("context_reveals_sensitive", bool(facts.context_reveals_sensitive)),
        ("vulnerable_subjects", bool(vulnerable_groups(facts))),
    ]


def ei_rule(facts: Facts) -> Scored:
    """ENISA ease of identification: how easily the compromised data points to a person."""
    levels = enisa().ei
    kinds = {enisa().categories[c].identifies for c in facts.data_categories}
    key = next((k for k in ("direct", "indirect", "reference") if k in kinds), "none_listed")
    extra = ""
    if unintelligible(facts):
        key = "unintelligible"
    elif facts.pseudonymised and key != "direct":
        key = "pseudonymised" if levels["pseudonymised"]["score"] < levels[key]["score"] else key
    elif facts.pseudonymised:
        extra = (" The data was said to be pseudonymised, but directly identifying data was compromised too, "
                 "so this does not lower the score.")
    level = levels[key]
    finding = f"Ease of identification (EI) {level['score']:g} ({level['level']}): {level['why']}.{extra}"
    return Scored(float(level["score"]), RationaleEntry(rule="enisa_ei", finding=finding))


def cb_rule(facts: Facts) -> Scored:
    """ENISA circumstances of breach: points for confidentiality, integrity, availability, malice."""
    parts: list[tuple[float, str]] = []
    if has(facts, "confidentiality"):
        parts.append(_cb_confidentiality(facts))
    if has(facts, "integrity"):
        parts.append(_cb_integrity(facts))
    if has(facts, "availability"):
        parts.append(_cb_availability(facts))
    if is_malicious(facts):
        parts.append((enisa().cb["malicious"], "malicious intent +0.5"))
    value = sum(points for points, _ in parts)
    finding = f"Circumstances of breach (CB) {value:g}: " + "; ".join(text for _, text in parts) + "."
    return Scored(value, RationaleEntry(rule="enisa_cb", finding=finding))


def _cb_confidentiality(facts: Facts) -> tuple[float, str]:
    points = enisa().cb["confidentiality"]
    if not attacker_has_data(facts) and (facts.recipient == "none" or facts.accessed == "no_evidence"):
        return points["none"], "confidentiality 0 (exposed, but no sign that anyone got or used it)"
    if _limited_known_recipients(facts):
        return points["limited_known"], "confidentiality +0.25 (a limited number of known recipients)"
    return points["unknown_or_published"], "confidentiality +0.5 (an unknown number of recipients, or published)"


def _limited_known_recipients(facts: Facts) -> bool:
    if facts.recipient == "public":
        return False
    if facts.recipients_count is not None:
        return facts.recipients_count <= enisa().cb["limited_recipients_max"]
    if facts.recipient in ("trusted_external", "internal_colleague", "internal_unauthorised"):
        return True
    # A malicious insider is one known person, unlike an outside attacker.
    return facts.cause == "internal_malicious" and facts.recipient != "unknown"


def _cb_integrity(facts: Facts) -> tuple[float, str]:
    points = enisa().cb["integrity"]
    if facts.data_altered is False or _restored_quickly(facts):
        return points["restored"], "integrity 0 (not altered, or the originals were restored before use)"
    if facts.permanent_loss or facts.backup_available is False:
        return points["unrecoverable"], "integrity +0.5 (altered and the originals cannot be restored)"
    return points["recoverable"], "integrity +0.25 (altered, recoverable)"


def _cb_availability(facts: Facts) -> tuple[float, str]:
    points = enisa().cb["availability"]
    if facts.permanent_loss:
        return points["permanent"], "availability +0.5 (lost for good)"
    if _restored_quickly(facts) or (facts.backup_available and facts.unavailable_hours is None):
        return points["recoverable"], "availability 0 (recoverable without difficulty)"
    return points["temporary"], "availability +0.25 (temporarily unavailable)"


def _restored_quickly(facts: Facts) -> bool:
    hours = facts.unavailable_hours
    return not facts.permanent_loss and hours is not None and hours <= QUICK_RESTORE_HOURS


def severity(facts: Facts) -> tuple[Severity, list[RationaleEntry]]:
    """SE = DPC x EI + CB and its band; with no personal data there is nothing to score."""
    if not facts.data_categories:
        entry = RationaleEntry(rule="enisa_severity",
                               finding="No personal data was involved, so the ENISA severity is not scored (0, low).")
        return Severity(score=0.0, band="low", dpc=0.0, ei=0.0, cb=0.0), [entry]
    dpc, ei, cb = dpc_rule(facts), ei_rule(facts), cb_rule(facts)
    score = round(dpc.value * ei.value + cb.value, 2)
    band = band_of(score)
    summary = RationaleEntry(
        rule="enisa_severity",
        finding=f"ENISA severity SE = DPC {dpc.value:g} x EI {ei.value:g} + CB {cb.value:g} = {score:g}: {band.replace('_', ' ')}.",
    )
    return Severity(score=score, band=band, dpc=dpc.value, ei=ei.value, cb=cb.value), [dpc.entry, ei.entry, cb.entry, summary]
