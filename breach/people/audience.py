"""Who is told (Art. 34): everyone in the people file, nobody, or the subset the assessment names; outside the
GDPR (Art. 3), the US residents whose state law calls for notice (``us``).

The assessment can conclude that a breach which is not a high risk for the population is one for some of
the people (``notify_subjects_subset``, breach.assess.subsets): a rule over people-file columns such as
``{"column": "protected_address", "equals": true}`` or ``{"any": [...]}``. Drafting, the outbox, the filing
pack and ``breach status`` all read the audience from here, so they agree on who was told and why the rest
were not. When no person in the file has a value in the rule's columns, the file cannot single them out and
everyone is told (the rule's ``if_not_identifiable``, Datatilsynet 2019-441-1578).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select, true
from sqlalchemy.orm import Session

from breach.facts import load_facts
from breach.incidents import service as incidents
from breach.jurisdictions.us.profile import UsProfile
from breach.jurisdictions.us.rules import JURISDICTION_CODES
from breach.people.regions import US_COUNTRIES, residents, us_told_states
from breach.store.tables import PersonRow

# The people-file columns a subset rule may name (breach.people.flags), and their stored columns.
SUBSET_COLUMNS: dict[str, Any] = {"vulnerable": PersonRow.vulnerable, "protected_address": PersonRow.protected_address}


@dataclass(frozen=True)
class Audience:
    """Who is told: ``everyone``, ``subset``, ``us`` or ``nobody``; the rule and the reasons, counts of told and not told."""

    who: str
    rule: dict[str, Any] | None
    why: str
    told: int
    not_told: int
    not_told_why: str | None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready, for the filing pack and the audit log (no personal data: counts and column names)."""
        return {"who": self.who, "rule": self.rule, "why": self.why, "told": self.told, "not_told": self.not_told,
                "not_told_why": self.not_told_why}


def condition(rule: dict[str, Any]) -> ColumnElement[bool]:
    """The SQL condition of a subset rule over the people table; ValueError for a column the people file has not."""
    if "us_states" in rule:
        in_us = PersonRow.country.in_(US_COUNTRIES)
        where = PersonRow.region.in_(_us_codes(rule))
        return and_(in_us, or_(where, PersonRow.region.is_(None)) if rule.get("unknown_state") else where)
    if "any" in rule:
        return or_(false(), *(condition(part) for part in rule["any"]))
    if "all" in rule:
        return and_(true(), *(condition(part) for part in rule["all"]))
    column = rule.get("column")
    if column not in SUBSET_COLUMNS:
        raise ValueError(f"subset rule names column {column!r}; the people file has {', '.join(SUBSET_COLUMNS)}")
    return SUBSET_COLUMNS[column] == bool(rule.get("equals", True))


def _columns(rule: dict[str, Any]) -> list[str]:
    parts = rule.get("any") or rule.get("all")
    return [c for part in parts for c in _columns(part)] if parts else [rule["column"]]


def _count(session: Session, incident_id: str, where: ColumnElement[bool] | None = None) -> int:
    stmt = select(func.count()).select_from(PersonRow).where(PersonRow.incident_id == incident_id)
    return int(session.execute(stmt if where is None else stmt.where(where)).scalar_one())


def audience(*, session: Session, incident_id: str, result: dict[str, Any], us: UsProfile | None = None) -> Audience:
    """Who the assessment ``result`` says to tell, resolved against the incident's people file.

    Where the GDPR does not apply (Art. 3, ``gdpr_applies`` false), US law decides: the residents of the states
    whose statute calls for notice (``us``: the controller's US profile), and US people with no state.
    """
    everyone = _count(session, incident_id)
    if result.get("gdpr_applies") is False:
        return _us_audience(session, incident_id, everyone, us)
    subset = result.get("notify_subjects_subset")
    if result.get("notify_subjects") or not subset:
        if result.get("notify_subjects"):
            return Audience("everyone", None, "high risk for the people affected (Art. 34(1))", everyone, 0, None)
        why = "no duty to tell the people: " + (result.get("subject_notice_exemption") or "not a high risk (Art. 34(1))")
        return Audience("nobody", None, why, 0, everyone, why)
    rule = subset["people"]
    marked = or_(false(), *(SUBSET_COLUMNS[c].is_not(None) for c in _columns(rule)))
    if everyone and not _count(session, incident_id, marked):
        why = f"{subset['why']}; the people file has no {' or '.join(_columns(rule))} column values: {subset['if_not_identifiable']}"
        return Audience("everyone", rule, why, everyone, 0, None)
    told = _count(session, incident_id, condition(rule))
    rest = "the breach is not a high risk for them (Art. 34(1)); only the people the rule names are at high risk"
    return Audience("subset", rule, subset["why"], told, everyone - told, rest)


def _us_audience(session: Session, incident_id: str, everyone: int, us: UsProfile | None) -> Audience:
    """Outside the GDPR: the US residents whose state (or a federal rule) calls for notice; nobody else."""
    outside = "the GDPR does not apply (Art. 3)"
    if us is None:
        why = f"{outside}, and the controller profile has no `us` block to apply US state law with"
        return Audience("nobody", None, why, 0, everyone, why)
    counts, unknown = residents(session=session, incident_id=incident_id)
    facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
    try:
        states, federal = us_told_states(facts=facts, profile=us, counts=counts)
    except ValueError:  # no discovery instant: who is told does not depend on it, so tell every US resident
        states, federal = sorted(counts), True
    if federal:
        states = sorted(counts)
    rule: dict[str, Any] = {"us_states": states, "unknown_state": bool(states) or federal}
    told = _count(session, incident_id, condition(rule)) if states or federal else 0
    named = ", ".join(states) or "none"
    why = f"{outside}; US law calls for notice to the residents of {named}" + (" and to US people with no state" if unknown else "")
    rest = f"{outside}, and no US state or federal rule calls for notice to them"
    return Audience("us" if told else "nobody", rule if told else None, why, told, everyone - told, rest if everyone - told else None)


def people_condition(*, session: Session, incident_id: str, result: dict[str, Any],
                     us: UsProfile | None = None) -> ColumnElement[bool] | None:
    """The condition on people rows for those to be told; None means everyone (or nobody: check ``audience``)."""
    found = audience(session=session, incident_id=incident_id, result=result, us=us)
    return condition(found.rule) if found.who in ("subset", "us") and found.rule else None


def _us_codes(rule: dict[str, Any]) -> list[str]:
    """The rule's US jurisdiction codes, each checked against the rule pack (they go into SQL text)."""
    codes = list(rule["us_states"])
    strangers = [c for c in codes if c not in JURISDICTION_CODES]
    if strangers:
        raise ValueError(f"us_states names {strangers!r}, which are not US jurisdiction codes")
    return codes


def sql_condition(rule: dict[str, Any], *, alias: str) -> str:
    """The subset rule as SQL text over the people table aliased ``alias`` (whitelisted columns, no parameters)."""
    if "us_states" in rule:
        countries = ", ".join(f"'{c}'" for c in US_COUNTRIES)
        codes = ", ".join(f"'{c}'" for c in _us_codes(rule)) or "NULL"
        unknown = f" OR {alias}.region IS NULL" if rule.get("unknown_state") else ""
        return f"({alias}.country IN ({countries}) AND ({alias}.region IN ({codes}){unknown}))"
    if "any" in rule or "all" in rule:
        joiner = " OR " if "any" in rule else " AND "
        return "(" + joiner.join(sql_condition(part, alias=alias) for part in rule.get("any") or rule["all"]) + ")"
    column = rule.get("column")
    if column not in SUBSET_COLUMNS:
        raise ValueError(f"subset rule names column {column!r}; the people file has {', '.join(SUBSET_COLUMNS)}")
    return f"{alias}.{column} = {'TRUE' if rule.get('equals', True) else 'FALSE'}"
