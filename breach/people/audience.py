"""Who is told (Art. 34): everyone in the people file, nobody, or the subset the assessment names.

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

from breach.store.tables import PersonRow

# The people-file columns a subset rule may name (breach.people.flags), and their stored columns.
SUBSET_COLUMNS: dict[str, Any] = {"vulnerable": PersonRow.vulnerable, "protected_address": PersonRow.protected_address}


@dataclass(frozen=True)
class Audience:
    """Who is told: ``everyone``, ``subset`` or ``nobody``; the rule and the reasons, counts of told and not told."""

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


def audience(*, session: Session, incident_id: str, result: dict[str, Any]) -> Audience:
    """Who the assessment ``result`` says to tell, resolved against the incident's people file."""
    everyone = _count(session, incident_id)
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


def people_condition(*, session: Session, incident_id: str, result: dict[str, Any]) -> ColumnElement[bool] | None:
    """The condition on people rows for those to be told; None means everyone (or nobody: check ``audience``)."""
    found = audience(session=session, incident_id=incident_id, result=result)
    return condition(found.rule) if found.who == "subset" and found.rule else None


def sql_condition(rule: dict[str, Any], *, alias: str) -> str:
    """The subset rule as SQL text over the people table aliased ``alias`` (whitelisted columns, no parameters)."""
    if "any" in rule or "all" in rule:
        joiner = " OR " if "any" in rule else " AND "
        return "(" + joiner.join(sql_condition(part, alias=alias) for part in rule.get("any") or rule["all"]) + ")"
    column = rule.get("column")
    if column not in SUBSET_COLUMNS:
        raise ValueError(f"subset rule names column {column!r}; the people file has {', '.join(SUBSET_COLUMNS)}")
    return f"{alias}.{column} = {'TRUE' if rule.get('equals', True) else 'FALSE'}"
