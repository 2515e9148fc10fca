"""Does the GDPR apply at all? Territorial scope, Art. 3, before any Art. 33/34 verdict.

Art. 3(1): processing in the context of an establishment in the Union is covered wherever it happens.
Art. 3(2): a controller or processor with no establishment there is covered only where it processes data of
people who are in the Union and the processing relates to offering them goods or services (a) or to
monitoring their behaviour there (b); the EEA Agreement extends the GDPR to Iceland, Liechtenstein and Norway,
and the UK GDPR repeats Art. 3 for the United Kingdom. EDPB Guidelines 3/2018 (section 2): the mere presence of
people in the Union is not enough; the processing must target them. Where the facts do not say whether it
does, the GDPR is assumed to apply (the safe reading) and the finding says which fact would settle it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from breach.assess.models import RationaleEntry
from breach.assess.sources import EDPB_3_2018, GDPR_3_1, GDPR_3_2, UK_GDPR_3
from breach.authorities import EEA_COUNTRIES, canonical_country
from breach.facts import Facts

# Where the GDPR (EEA) or the UK GDPR reaches people: the EEA and the United Kingdom.
AREA = EEA_COUNTRIES | {"GB"}
Basis = Literal["art3_1", "art3_2_a", "art3_2_b", "art3_2_assumed", "outside"]
RULE = "art3_territorial_scope"


@dataclass(frozen=True)
class Scope:
    """Whether the GDPR applies, on which ground, and the countries of the affected people it considered."""

    applies: bool
    basis: Basis
    countries: tuple[str, ...]
    entry: RationaleEntry | None

    def as_contract(self) -> dict[str, object] | None:
        """The ``territorial_scope`` object of the assessment (None where an EEA establishment settles it)."""
        if self.entry is None:
            return None
        return {"gdpr_applies": self.applies, "basis": self.basis, "countries": list(self.countries)}


def territorial_scope_rule(facts: Facts, people_countries: Iterable[str] = ()) -> Scope:
    """Art. 3: established in the EEA/UK (3(1)), else targeting people there (3(2)), else outside the GDPR."""
    controller = facts.controller
    if controller is None or controller.established_in_eea:
        return Scope(True, "art3_1", (), None)
    countries = tuple(sorted({canonical_country(c) for c in [*facts.subjects_countries, *people_countries] if c}))
    home = canonical_country(controller.country) if controller.country else None
    if home in AREA:
        return Scope(True, "art3_1", countries, _entry(
            f"The controller's country ({home}) is in the EEA or the UK, so its processing is in the context of an establishment "
            "there and the GDPR applies wherever the processing takes place (Art. 3(1)).", GDPR_3_1))
    inside = [c for c in countries if c in AREA]
    where = f"{home} " if home else ""
    if not countries:
        return Scope(True, "art3_2_assumed", countries, _entry(
            f"The {where}controller has no establishment in the EEA or the UK, and the facts do not say where the affected people are "
            "(subjects_countries, or the people file's country column): the GDPR is assumed to apply until they do (Art. 3(2)).",
            GDPR_3_2, EDPB_3_2018))
    if not inside:
        return Scope(False, "outside", countries, _entry(
            f"The GDPR does not apply (Art. 3): the {where}controller has no establishment in the EEA or the UK (Art. 3(1)), and "
            f"none of the affected people is there (countries given: {', '.join(countries)}), so Art. 3(2) cannot reach the processing. "
            "No notification to an EEA or UK supervisory authority and no GDPR notice to people are owed; the law where the "
            "people live decides (for US residents: the state and federal rules, `breach status`).", GDPR_3_1, GDPR_3_2, UK_GDPR_3))
    return _targeting(facts, countries, inside, where)


def _targeting(facts: Facts, countries: tuple[str, ...], inside: list[str], where: str) -> Scope:
    """Art. 3(2)(a)/(b) for a controller outside the EEA/UK with people there."""
    offers = facts.gdpr_scope.offers_goods_or_services if facts.gdpr_scope else None
    monitors = facts.gdpr_scope.monitors_behaviour if facts.gdpr_scope else None
    people = f"affected people are in {', '.join(inside)}"
    if offers or monitors:
        basis: Basis = "art3_2_a" if offers else "art3_2_b"
        what = "offers them goods or services (Art. 3(2)(a))" if offers else "monitors their behaviour there (Art. 3(2)(b))"
        return Scope(True, basis, countries, _entry(
            f"The GDPR applies although the {where}controller has no establishment in the EEA or the UK: {people} and the "
            f"processing {what}.", GDPR_3_2, UK_GDPR_3, EDPB_3_2018))
    if offers is False and monitors is False:
        return Scope(False, "outside", countries, _entry(
            f"The GDPR does not apply (Art. 3): {people}, but the {where}controller has no establishment in the EEA or the UK and "
            "neither offers them goods or services nor monitors their behaviour there, and the mere presence of people in the "
            "Union does not bring the processing within Art. 3(2) (EDPB Guidelines 3/2018, section 2). No GDPR notification is "
            "owed; the law where the people live decides.", GDPR_3_2, UK_GDPR_3, EDPB_3_2018))
    return Scope(True, "art3_2_assumed", countries, _entry(
        f"The {where}controller has no establishment in the EEA or the UK, but {people}: the facts do not say whether the "
        "processing offers them goods or services or monitors their behaviour (gdpr_scope), so the GDPR is assumed to apply "
        "(Art. 3(2)); the mere presence of people in the Union would not be enough (EDPB Guidelines 3/2018, section 2).",
        GDPR_3_2, EDPB_3_2018))


def _entry(finding: str, *basis: str) -> RationaleEntry:
    return RationaleEntry(rule=RULE, finding=finding, basis=basis)
