"""Answers to US regulators' breach forms, by answer id (``notices/data/us_regulator_forms.json``), from the facts.

Every answer comes from the facts document, the controller profile, the people file's counts (never a person),
the US duties and the clocks; ``None`` means the facts do not say and the filer must answer it on the form (it is
listed under ``missing``). Dates are written in the controller's time zone as the forms ask (YYYY-MM-DD).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from breach.controller import ControllerProfile
from breach.instants import parse_instant
from breach.jurisdictions.us.model import Obligation
from breach.jurisdictions.us.profile import UsProfile
from breach.people.regions import SubstituteNeed
from notices.params import category_labels, load_table

Answer = str | int | list[str] | None


@dataclass(frozen=True)
class UsFilingContext:
    """What one US filing is answered from: one duty (its state), the incident's facts and counts."""

    incident_id: str
    facts: dict[str, Any]
    controller: ControllerProfile
    profile: UsProfile
    duty: Obligation
    residents: int
    channels: dict[str, int]
    notified: int
    notice_given: dict[str, datetime]
    total_people: int
    substitute: list[SubstituteNeed] = field(default_factory=list)
    media_required: bool = False
    cra_done: bool | None = None
    sample_notice: str | None = None
    earlier_filings: int = 0
    choices: dict[str, str] = field(default_factory=dict)

    @property
    def state(self) -> str:
        """The duty's jurisdiction ('US' for a federal one)."""
        return self.duty.jurisdiction

    def day(self, value: str | datetime | None) -> str | None:
        """An instant as the local date of the controller (YYYY-MM-DD)."""
        if not value:
            return None
        moment = parse_instant(value) if isinstance(value, str) else value
        return moment.astimezone(ZoneInfo(self.controller.timezone)).date().isoformat()

    def us(self, key: str) -> Any:
        """A field of the facts' ``us`` object."""
        return (self.facts.get("us") or {}).get(key)


def _labels(ctx: UsFilingContext) -> list[str] | None:
    us = load_table("us_contacts")["category_labels"]
    keys = list(ctx.facts.get("data_categories", []))
    return [us.get(key, label) for key, label in zip(keys, category_labels(keys, "en-US"), strict=True)] or None


def _contact(ctx: UsFilingContext) -> str:
    c = ctx.controller
    return ", ".join(part for part in (c.contact_name, c.contact_phone, c.contact_email) if part)


def _notice_dates(ctx: UsFilingContext) -> str | None:
    given = ctx.notice_given.get(ctx.state) or (max(ctx.notice_given.values()) if ctx.state == "US" and ctx.notice_given else None)
    return ctx.day(given)


def _manner(ctx: UsFilingContext) -> list[str] | None:
    words = {"email": "Electronic (e-mail)", "letter": "Written (letter by mail)", "none": "No contact details (see substitute notice)"}
    lines = [f"{words[ch]}: {n:,}" for ch, n in sorted(ctx.channels.items()) if n and ch in words]
    lines += [f"Substitute notice ({need.name}): website, e-mail and media" for need in ctx.substitute]
    return lines or None


def _monitoring(ctx: UsFilingContext) -> str:
    offer = ctx.profile.credit_monitoring
    if offer is None:
        return "No"
    return (f"Yes: {offer.months} months of credit monitoring and identity protection from {offer.provider}, free of charge "
            f"({offer.enrol_url})")


def _measures(ctx: UsFilingContext) -> list[str] | None:
    return list(ctx.facts.get("measures_taken") or []) or None


def _planned(ctx: UsFilingContext) -> list[str] | None:
    return list(ctx.facts.get("measures_proposed") or []) or None


def _law_enforcement(ctx: UsFilingContext) -> str | None:
    informed = ctx.facts.get("police_informed")
    delayed = ctx.us("law_enforcement_delay")
    if informed is None and delayed is None:
        return None
    parts = []
    if informed is not None:
        parts.append("Law enforcement has been informed." if informed else "Law enforcement has not been informed.")
    if delayed is not None:
        parts.append("Notice was delayed at law enforcement's request." if delayed else "Notice was not delayed by law enforcement.")
    return " ".join(parts)


def _phi_types(ctx: UsFilingContext) -> list[str] | None:
    table = load_table("us_regulator_forms")["phi_types"]
    found = sorted({table.get(c, "Other") for c in ctx.facts.get("data_categories", [])})
    return found or None


def _affecting(ctx: UsFilingContext) -> str:
    return "500 or More Individuals" if ctx.total_people >= 500 else "Fewer Than 500 Individuals"


def _yes_no(value: bool | None) -> str | None:
    return None if value is None else ("Yes" if value else "No")


ANSWERS: dict[str, Callable[[UsFilingContext], Answer]] = {
    "entity_name": lambda ctx: ctx.controller.name,
    "entity_address": lambda ctx: ", ".join(ctx.controller.address_lines) or None,
    "entity_name_address": lambda ctx: ", ".join([ctx.controller.name, *ctx.controller.address_lines]),
    "entity_type": lambda ctx: None,
    "contact": _contact,
    "submitter_relationship": lambda ctx: f"Employee of {ctx.controller.name} (the entity that owns the data)",
    "breach_dates": lambda ctx: ctx.day(ctx.facts.get("occurred_at")),
    "breach_end_date": lambda ctx: ctx.day(ctx.facts.get("contained_at")),
    "discovery_date": lambda ctx: ctx.day(ctx.facts.get("aware_at") or ctx.facts.get("detected_at")),
    "determination_date": lambda ctx: ctx.day(ctx.us("determined_at")),
    "individual_notice_dates": _notice_dates,
    "pi_types": _labels,
    "breach_description": lambda ctx: ctx.facts.get("summary"),
    "breach_category": lambda ctx: ctx.choices.get(ctx.facts.get("cause", "unknown")),
    "residents_affected": lambda ctx: ctx.residents,
    "total_affected": lambda ctx: ctx.facts.get("subjects_affected") or ctx.total_people or None,
    "residents_notified": lambda ctx: ctx.notified,
    "notified_by_mail": lambda ctx: ctx.channels.get("letter", 0),
    "notified_by_email": lambda ctx: ctx.channels.get("email", 0),
    "manner_of_notification": _manner,
    "measures_taken": _measures,
    "measures_planned": _planned,
    "measures_all": lambda ctx: (_measures(ctx) or []) + (_planned(ctx) or []) or None,
    "law_enforcement": _law_enforcement,
    "credit_monitoring": _monitoring,
    "sample_notice": lambda ctx: ctx.sample_notice,
    "cra_notified": lambda ctx: "Not applicable (5,000 or fewer)" if ctx.residents <= 5000 else _yes_no(ctx.cra_done),
    "hhs_affecting": _affecting,
    "hhs_report_type": lambda ctx: "Addendum to Previous Report" if ctx.earlier_filings else "Initial Breach Report",
    "hhs_covered_entity": lambda ctx: (ctx.profile.covered_entity_name if ctx.profile.hipaa_business_associate else ctx.controller.name),
    "hhs_business_associate": lambda ctx: (", ".join([ctx.controller.name, *ctx.controller.address_lines])
                                           if ctx.profile.hipaa_business_associate else None),
    "phi_types": _phi_types,
    "substitute_required": lambda ctx: _yes_no(bool(ctx.substitute)),
    "media_required": lambda ctx: _yes_no(ctx.media_required),
    # What the facts never say: left to the filer, listed as missing.
    "small_business": lambda ctx: None, "previous_breaches": lambda ctx: None, "person_responsible": lambda ctx: None,
    "wisp_maintained": lambda ctx: None, "breach_location": lambda ctx: None, "safeguards": lambda ctx: None,
    "attestation": lambda ctx: None, "monetary_impact": lambda ctx: None, "fein": lambda ctx: None,
    "how_discovered": lambda ctx: None, "names_list": lambda ctx: None, "cover_letter": lambda ctx: None, "form_itself": lambda ctx: None,
}


def answer(answer_id: str, ctx: UsFilingContext) -> Answer:
    """The answer to one form field; KeyError names an answer id the data file uses but this module does not know."""
    if answer_id not in ANSWERS:
        raise KeyError(f"us_regulator_forms.json names answer {answer_id!r}, which notices/report/us/answers.py does not know")
    return ANSWERS[answer_id](ctx)
