"""Federal overlays: the HIPAA Breach Notification Rule and SEC Form 8-K Item 1.05, as obligations.

HIPAA (45 CFR 164.400-414) applies to covered entities and business associates whose breach involves
unsecured protected health information: a covered entity notifies individuals (164.404), prominent media
per State with more than 500 affected residents (164.406) and the HHS Secretary, contemporaneously when 500
or more are affected, otherwise in the annual log (164.408); a business associate notifies the covered
entity (164.410). A documented low-probability-of-compromise assessment (164.402(2)) means no breach, but
the record must be kept six years (164.530(j)). SEC registrants file Item 1.05 within four business days of
determining the incident is material (Form 8-K General Instruction B.1), by 17:30 New York time on that day
(17 CFR 232.13(a)(2)); until then, the duty is to determine materiality without unreasonable delay.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, time

from breach.jurisdictions.us.model import FEDERAL_CODES, Obligation, ObligationKind, UsBreachFacts, UsController, rationale
from breach.jurisdictions.us.rules import Deadline, HipaaObligation, RulePack
from breach.jurisdictions.us.timing import Anchors, Due, due

FEDERAL = "US"
HHS_ZONE = "America/New_York"


@dataclass(frozen=True)
class FederalResult:
    obligations: tuple[Obligation, ...]
    hhs_notice_at: datetime | None


def federal_obligations(
    facts: UsBreachFacts, controller: UsController, residents: Mapping[str, int], elements: frozenset[str],
    anchors: Anchors, pack: RulePack, assumptions: tuple[str, ...],
) -> FederalResult:
    """HIPAA and SEC obligations for this controller (empty when neither overlay applies)."""
    result: list[Obligation] = []
    hhs_at: datetime | None = None
    if controller.hipaa_covered_entity or controller.hipaa_business_associate:
        hipaa, hhs_at = _hipaa(facts, controller, residents, elements, anchors, pack, assumptions)
        result += hipaa
    if controller.sec_registrant:
        result.append(_sec(controller, pack))
    return FederalResult(tuple(result), hhs_at)


def _phi_involved(facts: UsBreachFacts, elements: frozenset[str], pack: RulePack, notes: list[str]) -> bool:
    if facts.phi_involved is not None:
        return facts.phi_involved
    triggers = set(pack.federal.hipaa.trigger.get("elements", ()))
    involved = bool(elements & triggers)
    if involved:
        notes.append("protected health information inferred from the health/insurance/genetic data categories")
    return involved


def _hipaa(
    facts: UsBreachFacts, controller: UsController, residents: Mapping[str, int], elements: frozenset[str],
    anchors: Anchors, pack: RulePack, assumptions: tuple[str, ...],
) -> tuple[list[Obligation], datetime | None]:
    rules = pack.federal.hipaa
    notes = list(assumptions)
    if not _phi_involved(facts, elements, pack, notes) or facts.encryption == "strong_key_safe":
        return [], None
    make = _FederalMaker("HIPAA", rules.confidence, rules.verified, tuple(notes))
    if facts.no_likely_harm:
        record = Deadline(kind="not_stated", limit=None, relation=None, text="Document the four-factor risk assessment; keep it six years.")
        keeper = "the covered entity's or business associate's records"
        return [make("no_harm_record", keeper, record, rules.risk_of_harm.citation, anchors, 0, "low probability of compromise")], None
    total = sum(residents.values())
    by_id = {o.id: o for o in rules.obligations}
    if not controller.hipaa_covered_entity:
        ba = by_id["hipaa_business_associate"]
        return [make("covered_entity", ba.recipient, ba.deadline, ba.citation, anchors, total, "business associate's notice")], None
    individuals = make("individuals", by_id["hipaa_individuals"].recipient, by_id["hipaa_individuals"].deadline,
                       by_id["hipaa_individuals"].citation, anchors, total, "unsecured PHI")
    relative = replace(anchors, individual_notice=anchors.individual_notice or individuals.due_at)
    result = [individuals, *_media(by_id["hipaa_media"], residents, relative, make)]
    hhs = by_id["hipaa_hhs_500"] if total >= 500 else by_id["hipaa_hhs_annual"]
    hhs_obligation = make("hhs", hhs.recipient, hhs.deadline, hhs.citation, relative, total, hhs.threshold.text)
    return [*result, hhs_obligation], hhs_obligation.due_at


def _media(rule: HipaaObligation, residents: Mapping[str, int], anchors: Anchors, make: _FederalMaker) -> list[Obligation]:
    """164.406: one media notice per State or jurisdiction with more than 500 affected residents."""
    notices: list[Obligation] = []
    for code in sorted(residents):
        if residents[code] >= rule.threshold.min_residents:
            made = make("media", f"{rule.recipient} ({code})", rule.deadline, rule.citation, anchors, residents[code],
                        f"more than 500 residents of {code}")
            notices.append(replace(made, filing_code=f"US-{code}-MEDIA", ordinal=len(notices)))
    return notices


def _sec(controller: UsController, pack: RulePack) -> Obligation:
    rules = pack.federal.sec_8k_105
    make = _FederalMaker("SEC Form 8-K Item 1.05", rules.confidence, rules.verified, ())
    if controller.materiality_determined_at is None:
        step = rules.materiality_determination
        deadline = Deadline.model_validate(step["deadline"])
        clock = Due(None, True, False, None, deadline.text)
        return make.from_clock("sec_materiality", "the registrant's disclosure committee", deadline, step["citation"], clock, 0,
                               "no materiality determination yet: make it without unreasonable delay after discovery")
    filing = rules.filing
    hour, minute = (int(part) for part in filing.cutoff_local_time.split(":"))
    moment = controller.materiality_determined_at
    anchors = Anchors(discovery=moment, determination=moment, materiality_determination=moment)
    clock = due(filing.deadline, anchors, zone=filing.timezone, cutoff=time(hour, minute))
    return make.from_clock("sec", filing.recipient, filing.deadline, filing.citation, clock, 0, "materiality determined")


class _FederalMaker:
    def __init__(self, label: str, confidence: str, verified: bool, notes: tuple[str, ...]) -> None:
        self.label, self.confidence, self.verified, self.notes = label, confidence, verified, notes

    def __call__(
        self, kind: ObligationKind, recipient: str, deadline: Deadline, citation: str, anchors: Anchors, count: int, why: str
    ) -> Obligation:
        return self.from_clock(kind, recipient, deadline, citation, due(deadline, anchors, zone=HHS_ZONE), count, why)

    def from_clock(
        self, kind: ObligationKind, recipient: str, deadline: Deadline, citation: str, clock: Due, count: int, why: str
    ) -> Obligation:
        return Obligation(
            jurisdiction=FEDERAL, kind=kind, recipient=recipient, residents=count, due_at=clock.at,
            without_unreasonable_delay=clock.without_unreasonable_delay, immediately=clock.immediately, relation=clock.relation,
            deadline_text=deadline.text, citation=citation, confidence=self.confidence, verified=self.verified,
            rationale=rationale(self.label, count, why, recipient, clock, citation, self.confidence, self.verified),
            assumptions=self.notes, filing_code=FEDERAL_CODES.get(kind),
        )
