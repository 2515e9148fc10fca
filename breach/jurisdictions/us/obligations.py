"""US breach-notification obligations per jurisdiction, from the facts and a count of residents per state.

``us_obligations(facts, controller, residents)`` returns one ``Obligation`` per duty that is triggered:
notice to individuals, to the Attorney General or other regulator, to consumer reporting agencies, the
no-harm record or regulator notice where the law asks for one, the vendor's notice to the data owner, and the
federal overlays (HIPAA: individuals, media, HHS, business associate -> covered entity; SEC Form 8-K Item
1.05). Each carries its due instant (or 'without unreasonable delay' with the outer limit where the statute
gives one), the citation, the rule's confidence and ``verified`` flag, and one rationale line naming the
section. Jurisdictions with residents but no triggered duty are returned in ``skipped`` with the reason.
The function is pure: no I/O beyond the bundled rule pack, no clock (every instant comes in as an argument).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import get_args

from breach.facts import DataCategory
from breach.jurisdictions.us.federal import federal_obligations
from breach.jurisdictions.us.model import (
    KIND_CODES,
    NAME_CATEGORIES,
    Obligation,
    ObligationKind,
    Skipped,
    UsAssessment,
    UsBreachFacts,
    UsController,
    rationale,
)
from breach.jurisdictions.us.rules import JURISDICTION_CODES, Deadline, Jurisdiction, RulePack, Threshold, load_rules
from breach.jurisdictions.us.timing import Anchors, due, utc

FACTS_CATEGORIES = frozenset(get_args(DataCategory))


def elements_for(facts: UsBreachFacts, rules: RulePack | None = None) -> tuple[frozenset[str], tuple[str, ...]]:
    """The pack's data elements the facts involve, and the assumptions made to map them."""
    pack = rules or load_rules()
    strangers = sorted(facts.data_categories - FACTS_CATEGORIES)
    if strangers:
        raise ValueError(f"data_categories not in the facts vocabulary (incident-facts.schema.json): {strangers}")
    mapping = pack.vocabulary.facts_category_elements
    found = set(facts.extra_elements)
    assumptions: list[str] = []
    for category in facts.data_categories:
        found.update(mapping.get(category, ()))
    if facts.data_categories & {"bank_account", "payment_card"}:
        if facts.account_access_code_exposed is None:
            assumptions.append("whether account or card access codes were exposed is unknown: assumed they were")
        if facts.account_access_code_exposed is not False:
            found.add("financial_account_with_code")
    unknown = sorted(found - set(pack.vocabulary.personal_information))
    if unknown:
        raise ValueError(f"extra_elements not in the pack vocabulary: {unknown}")
    return frozenset(found), tuple(assumptions)


def us_obligations(
    facts: UsBreachFacts, controller: UsController, residents: Mapping[str, int], *, rules: RulePack | None = None
) -> UsAssessment:
    """Every US notification duty the breach triggers, per jurisdiction with residents, plus federal overlays."""
    pack = rules or load_rules()
    _check_residents(residents)
    elements, mapped = elements_for(facts, pack)
    assumptions = list(mapped)
    base = _base_anchors(facts, assumptions)
    fed = federal_obligations(facts, controller, residents, elements, base, pack, tuple(assumptions))
    anchors = replace(base, hhs_notice=fed.hhs_notice_at)
    obligations: list[Obligation] = list(fed.obligations)
    skipped: list[Skipped] = []
    for code in sorted(code for code, count in residents.items() if count > 0):
        entry = pack.jurisdiction(code)
        reason = _not_triggered(entry, facts, controller, elements)
        if reason:
            skipped.append(Skipped(code, residents[code], reason, entry.personal_information.citation, entry.verified))
            continue
        obligations += _state_obligations(entry, facts, controller, residents[code], anchors, tuple(assumptions))
    obligations.sort(key=lambda o: (o.due_at is None, o.due_at or facts.discovered_at, o.jurisdiction, o.kind))
    flagged = {o.jurisdiction for o in obligations if not o.verified} | {s.jurisdiction for s in skipped if not s.verified}
    unverified = tuple(sorted(flagged))
    return UsAssessment(tuple(obligations), tuple(skipped), elements, unverified)


def _check_residents(residents: Mapping[str, int]) -> None:
    for code, count in residents.items():
        if code not in JURISDICTION_CODES:
            raise ValueError(f"residents: {code!r} is not a US state, DC, PR, GU or VI code")
        if not isinstance(count, int) or count < 0:
            raise ValueError(f"residents[{code}]: {count!r} is not a non-negative whole number")


def _base_anchors(facts: UsBreachFacts, assumptions: list[str]) -> Anchors:
    discovered = utc(facts.discovered_at)
    if facts.determined_at is None:
        assumptions.append("no determination instant given: deadlines counted from a determination use the discovery instant")
        determined = discovered
    else:
        determined = utc(facts.determined_at)
        if determined < discovered:
            raise ValueError("determined_at is before discovered_at")
    planned = utc(facts.individual_notice_at) if facts.individual_notice_at else None
    return Anchors(discovery=discovered, determination=determined, individual_notice=planned)


def _not_triggered(entry: Jurisdiction, facts: UsBreachFacts, controller: UsController, elements: frozenset[str]) -> str | None:
    """Why the jurisdiction's law does not reach this breach, or ``None`` if it does."""
    if entry.scope.entities == "information_brokers_and_agencies" and not controller.information_broker:
        return f"{entry.name}'s statute covers only information brokers and government agencies ({entry.scope.citation})"
    pi = entry.personal_information
    named = bool(facts.data_categories & NAME_CATEGORIES)
    hits = sorted((elements & set(pi.without_name)) | (elements & set(pi.with_name) if named else set()))
    if not hits:
        return f"none of the data involved is personal information under {pi.citation}"
    if facts.encryption == "strong_key_safe" and entry.encryption_safe_harbor.available:
        return f"the data was encrypted and the key was not compromised: safe harbour of {entry.encryption_safe_harbor.citation}"
    return None


def _state_obligations(
    entry: Jurisdiction, facts: UsBreachFacts, controller: UsController, count: int, anchors: Anchors, assumptions: tuple[str, ...]
) -> list[Obligation]:
    notes = assumptions + _encryption_notes(entry, facts)
    make = _maker(entry, count, notes)
    if controller.role == "processor":
        third = entry.third_party_notice
        return [make("data_owner", "the owner or licensee of the data", third.deadline, third.citation, anchors, "vendor's notice")]
    if facts.no_likely_harm and entry.risk_of_harm.exception:
        return _no_harm_obligations(entry, count, anchors, make)
    individual = make("individuals", f"affected {entry.name} residents", entry.individual_notice.deadline,
                      entry.individual_notice.citation, anchors, "notice to individuals")
    if facts.no_likely_harm:
        extra = f" {entry.name} has no risk-of-harm exception ({entry.risk_of_harm.citation})."
        individual = replace(individual, rationale=individual.rationale + extra)
    relative = replace(anchors, individual_notice=anchors.individual_notice or individual.due_at)
    result = [individual]
    for ordinal, notice in enumerate(entry.regulator_notices):
        if notice.applies_if and not getattr(controller, notice.applies_if):
            continue
        if _meets(count, notice.threshold):
            why = _threshold_words(count, notice.threshold)
            made = make("regulator", notice.recipient, notice.deadline, notice.citation, relative, why)
            result.append(replace(made, filing_code=f"US-{entry.code}-{notice.code}", ordinal=ordinal))
    cra = entry.cra_notice
    if cra.required and cra.threshold and cra.deadline and _meets(count, cra.threshold):
        result.append(make("consumer_reporting_agencies", "nationwide consumer reporting agencies", cra.deadline, cra.citation,
                           relative, _threshold_words(count, cra.threshold)))
    return result


def _no_harm_obligations(entry: Jurisdiction, count: int, anchors: Anchors, make: _Maker) -> list[Obligation]:
    """A documented no-harm determination: the record (and regulator notice) the law asks for instead of notices."""
    risk = entry.risk_of_harm
    result: list[Obligation] = []
    if risk.documentation.required is True:
        years = risk.documentation.retention_years
        kept = f"kept for {years} years" if years else "kept"
        record = Deadline(kind="not_stated", limit=None, relation=None, text=f"Document the no-harm determination in writing, {kept}.")
        result.append(make("no_harm_record", "the controller's own records", record, risk.citation, anchors, "no-harm determination"))
    notice = risk.regulator_notice_of_no_harm
    if notice is not None and (notice.threshold is None or _meets(count, notice.threshold)):
        result.append(make("no_harm_regulator", notice.recipient, notice.deadline, notice.citation, anchors, "no-harm determination"))
    return result


class _Maker:
    """Builds obligations for one jurisdiction with its confidence, verification flag and notes."""

    def __init__(self, entry: Jurisdiction, count: int, notes: tuple[str, ...]) -> None:
        self.entry, self.count, self.notes = entry, count, notes

    def __call__(self, kind: ObligationKind, recipient: str, deadline: Deadline, citation: str, anchors: Anchors, why: str) -> Obligation:
        clock = due(deadline, anchors, zone=self.entry.timezone)
        code = KIND_CODES.get(kind)
        return Obligation(
            jurisdiction=self.entry.code, kind=kind, recipient=recipient, residents=self.count, due_at=clock.at,
            without_unreasonable_delay=clock.without_unreasonable_delay, immediately=clock.immediately, relation=clock.relation,
            deadline_text=deadline.text, citation=citation, confidence=self.entry.confidence, verified=self.entry.verified,
            rationale=rationale(self.entry.name, self.count, why, recipient, clock, citation, self.entry.confidence, self.entry.verified),
            assumptions=self.notes, filing_code=f"US-{self.entry.code}-{code}" if code else None,
        )


def _maker(entry: Jurisdiction, count: int, notes: tuple[str, ...]) -> _Maker:
    return _Maker(entry, count, notes)


def _encryption_notes(entry: Jurisdiction, facts: UsBreachFacts) -> tuple[str, ...]:
    if facts.encryption == "unknown":
        return ("encryption state unknown: treated as unencrypted",)
    if facts.encryption == "weak_or_key_exposed":
        harbour = entry.encryption_safe_harbor
        if harbour.void_if_key_compromised is True:
            return (f"encrypted but the key was exposed or the encryption is weak: no safe harbour ({harbour.citation})",)
        return (f"encrypted but the key was exposed or the encryption is weak: treated as unprotected ({harbour.citation}: no key clause)",)
    return ()


def _meets(count: int, threshold: Threshold) -> bool:
    return count >= threshold.min_residents and (threshold.max_residents is None or count <= threshold.max_residents)


def _threshold_words(count: int, threshold: Threshold) -> str:
    return f"{count:,} residents meet the threshold ({threshold.text})"


def by_jurisdiction(obligations: Iterable[Obligation]) -> dict[str, list[Obligation]]:
    """Group obligations by jurisdiction code ('US' for federal overlays), keeping their order."""
    grouped: dict[str, list[Obligation]] = {}
    for obligation in obligations:
        grouped.setdefault(obligation.jurisdiction, []).append(obligation)
    return grouped


__all__ = ["Obligation", "Skipped", "UsAssessment", "UsBreachFacts", "UsController", "by_jurisdiction", "elements_for", "us_obligations"]
