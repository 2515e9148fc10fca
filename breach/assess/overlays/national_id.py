"""Art. 87 GDPR: an exposed national identification number, judged by the countries' own rules and practice."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

from breach.assess.models import RationaleEntry
from breach.assess.signals import confidentiality_at_stake, outside_control, readable_categories
from breach.assess.sources import GDPR_87
from breach.facts import Facts

NATIONAL_ID = "national_id"


@dataclass(frozen=True)
class CountryRules:
    """One country's rules on its national identification number, as cited data."""

    country: str
    identifier: str
    law: str
    section: str
    url: str
    practice: tuple[str, ...]
    id_exposure_high_risk: bool
    trusted_recipient_not_enough: bool
    return_does_not_remove_risk: bool

    @property
    def citation(self) -> str:
        """'Databeskyttelsesloven (lov nr. 502 af 23. maj 2018) § 11', the law and section cited."""
        return f"{self.law} {self.section}"


@dataclass(frozen=True)
class NationalLaw:
    """What the national rules changed: a high-risk floor for the disclosure, and whether return undoes it."""

    high_risk: bool = False
    return_does_not_remove_risk: bool = False
    trusted_recipient_not_enough: bool = False
    basis: tuple[str, ...] = ()
    entry: RationaleEntry | None = None
    countries: list[str] = field(default_factory=list)


@lru_cache(maxsize=1)
def country_rules() -> dict[str, CountryRules]:
    """Every country's rules from breach/data/national_overlays.json, read once."""
    raw = json.loads(resources.files("breach").joinpath("data/national_overlays.json").read_text(encoding="utf-8"))
    rules = {}
    for code, row in raw["countries"].items():
        effects = row["effects"]
        practice = tuple(f"{p['authority']} {p['reference']}" for p in row["practice"])
        rules[code] = CountryRules(
            code, row["identifier"], row["law"], row["section"], row["url"], practice,
            bool(effects["id_exposure_high_risk"]), bool(effects["trusted_recipient_not_enough"]),
            bool(effects["return_does_not_remove_risk"]))
    return rules


def _countries(facts: Facts) -> list[str]:
    """The lead authority's country, then the affected people's countries, each once, where we hold rules."""
    lead = [facts.controller.country] if facts.controller and facts.controller.country else []
    seen: list[str] = []
    for code in [*lead, *facts.subjects_countries]:
        if code in country_rules() and code not in seen:
            seen.append(code)
    return seen


def national_law(facts: Facts) -> NationalLaw:
    """Apply the national identification number rules of every country involved (Art. 87 GDPR)."""
    codes = _countries(facts)
    if not codes:
        return NationalLaw()
    rules = [country_rules()[code] for code in codes]
    cited = [f"{r.citation} ({r.country})" for r in rules]
    basis = (GDPR_87, *cited, *(p for r in rules for p in r.practice))
    why_not = _why_not(facts)
    if why_not:
        finding = (f"National rules on identification numbers checked ({'; '.join(cited)}): "
                   f"they do not change this assessment, because {why_not}.")
        return NationalLaw(basis=basis, countries=codes, entry=RationaleEntry(rule="national_law", finding=finding, basis=basis))
    applying = [r for r in rules if r.id_exposure_high_risk and outside_control(facts, trusted_counts=r.trusted_recipient_not_enough)]
    if not applying:
        finding = (f"National rules on identification numbers checked ({'; '.join(cited)}): the number stayed with a recipient "
                   "bound to keep it confidential, which these rules and their practice accept as lowering the risk.")
        return NationalLaw(basis=basis, countries=codes, entry=RationaleEntry(rule="national_law", finding=finding, basis=basis))
    return _applies(applying, basis, codes)


def _why_not(facts: Facts) -> str | None:
    """Why the national identification number rules do not bite here, or None when they do."""
    if NATIONAL_ID not in facts.data_categories:
        return "no national identification number was compromised"
    if NATIONAL_ID not in readable_categories(facts):
        return "the national identification numbers were unintelligible to whoever got them"
    if not confidentiality_at_stake(facts):
        return "the numbers were not disclosed or accessed, only made unavailable or altered"
    if not outside_control(facts, trusted_counts=True):
        return "the numbers did not leave the control of the controller's own organisation"
    return None


def _applies(applying: list[CountryRules], basis: tuple[str, ...], codes: list[str]) -> NationalLaw:
    """The high-risk floor, with the finding that names each law, section and practice."""
    names = "; ".join(f"{r.country}: {r.identifier}, {r.citation}; practice: {', '.join(r.practice)}" for r in applying)
    trusted = any(r.trusted_recipient_not_enough for r in applying)
    returned = any(r.return_does_not_remove_risk for r in applying)
    finding = (f"A national identification number ({names}) reached, or may have reached, someone outside the controller's "
               "control. Under these rules and the authorities' practice that is a high risk for each person concerned "
               "(identity theft, fraud), even for one person.")
    if trusted:
        finding += " A recipient bound by confidentiality does not lower that risk."
    if returned:
        finding += " Returning or deleting the documents does not remove it, so Art. 34(3)(b) is not available."
    entry = RationaleEntry(rule="national_law", finding=finding, basis=basis)
    return NationalLaw(high_risk=True, return_does_not_remove_risk=returned, trusted_recipient_not_enough=trusted,
                       basis=basis, entry=entry, countries=codes)
