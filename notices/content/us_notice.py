"""Notices to US residents: one en-US notice per letter group, satisfying every affected state's content rules.

The states whose people are told are grouped by what their law forbids a notice to say: most forbid nothing
and share one notice; Massachusetts forbids the nature of the breach and the number of residents (Mass. Gen.
Laws ch. 93H, s. 3(b)), so its residents get their own notice, and so would any other state with a different
forbidden set. Each group's notice holds the union of what its states require (``required_content``), the
strictest credit-monitoring duty, and each state's insert (Attorney General and agency contacts). A group is
the draft's ``variant`` and the people's ``notice_variant``, so the outbox sends each person their group's draft.
A required element the facts or the controller's US profile cannot supply stops drafting with a clear error.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from breach.controller import ControllerProfile
from breach.enums import Channel, NoticeKind
from breach.exceptions import BreachError
from breach.facts import load_facts
from breach.incidents import service as incidents
from breach.jurisdictions.us.content import NoticeContent, required_content
from breach.jurisdictions.us.obligations import elements_for
from breach.jurisdictions.us.profile import CreditMonitoring, api_inputs
from breach.jurisdictions.us.rules import load_rules
from breach.people.regions import substitute_needs
from breach.store.tables import PersonRow
from notices.content.render import RenderedNotice, render
from notices.params import PublicNoticeParams, SubjectNoticeParams, load_table

US_LANGUAGE = "en-US"
GENERAL = ""  # the variant of the group whose states forbid nothing


class UsNoticeParams(SubjectNoticeParams):
    """An en-US notice for one group of states: what they require, what they forbid, the inserts."""

    variant: str = ""
    states: list[str]
    state_names: dict[str, str]
    required: list[str]
    forbidden: list[str]
    title: str = "Notice of Data Breach"
    residents: int | None = None
    law_enforcement_delay: bool | None = None
    credit_monitoring: CreditMonitoring | None = None
    monitoring_months_required: int = 0
    toll_free_phone: str | None = None
    contacts: dict[str, Any]
    unverified: list[str] = []

    def shows(self, element: str) -> bool:
        """Whether the notice carries an element: a state of the group requires it and none forbids it."""
        return element in self.required and element not in self.forbidden

    def may(self, element: str) -> bool:
        """Whether the notice may carry an element: no state of the group forbids it."""
        return element not in self.forbidden

    def category_labels(self) -> list[str]:
        """The breached kinds of data in US words (Social Security number, not national identity number)."""
        us = self.contacts["category_labels"]
        english = super().category_labels()
        return [us.get(key, label) for key, label in zip(self.data_categories, english, strict=True)]

    def attorneys_general(self) -> list[dict[str, Any]]:
        """Attorney General contacts on file for the group's states, with the state code."""
        table = self.contacts["attorneys_general"]
        return [{"state": code, **table[code]} for code in self.states if code in table]

    def agencies(self) -> list[dict[str, Any]]:
        """State agencies whose contacts a state requires in the notice (New York: Department of State)."""
        return [entry for code in self.states for entry in self.contacts["state_agencies"].get(code, [])]


class UsWebsiteNoticeParams(UsNoticeParams, PublicNoticeParams):
    """The website (substitute) notice for one group of states whose substitute-notice conditions are met."""

    substitute: dict[str, list[str]] = Field(description="Per state of the group that calls for it: the statute's reasons")
    website_days: int | None = None
    substitute_citations: list[str] = []

    def posting_reason(self) -> str:
        """One sentence saying why the notice is posted rather than (only) sent, from the statutes' reasons."""
        reasons = {reason for found in self.substitute.values() for reason in found}
        where = " and ".join(self.state_names[code] for code in sorted(self.substitute))
        if any("insufficient contact" in reason for reason in reasons):
            return (f"We do not have enough contact information to reach every affected resident of {where} individually, "
                    "so we are also posting this notice on our website, as state law provides.")
        return (f"Because of the number of people affected in {where}, state law provides for notice by e-mail, on our "
                "website and through the media, so we are posting this notice on our website.")

    def posting_text(self) -> str:
        """How long the notice stays posted and under which laws."""
        days = f"for at least {self.website_days} days" if self.website_days else "for as long as the law requires"
        laws = "; ".join(self.substitute_citations)
        return f"This notice is posted conspicuously on our website {days} as substitute notice under {laws}."


def letter_groups(codes: list[str]) -> dict[str, list[str]]:
    """States grouped by what their law forbids a notice to say, keyed by the group's variant."""
    pack = load_rules()
    by_forbidden: dict[tuple[str, ...], list[str]] = {}
    for code in sorted(codes):
        by_forbidden.setdefault(tuple(sorted(pack.jurisdiction(code).content.forbidden)), []).append(code)
    return {("-".join(states) if forbidden else GENERAL): states for forbidden, states in by_forbidden.items()}


def _check(content: NoticeContent, params: dict[str, Any], codes: list[str]) -> None:
    """Refuse a notice that would lack what a state requires and the facts or profile cannot supply."""
    if "law_enforcement_delay_statement" in content.required and params["law_enforcement_delay"] is None:
        states = ", ".join(content.required["law_enforcement_delay_statement"])
        raise BreachError(f"{states} require the notice to say whether it was delayed by law enforcement: "
                          "set facts.us.law_enforcement_delay")
    offer: CreditMonitoring | None = params["credit_monitoring"]
    if content.credit_monitoring_months and (offer is None or offer.months < content.credit_monitoring_months):
        duty = content.credit_monitoring[0]
        raise BreachError(f"{duty.jurisdiction} requires free credit monitoring for at least {content.credit_monitoring_months} months "
                          f"({duty.text[:80]}…): set us.credit_monitoring in the controller profile with months >= "
                          f"{content.credit_monitoring_months}")
    on_file = load_table("us_contacts")["attorneys_general"]
    missing = [code for code in content.required.get("ag_contact_information", ()) if code not in on_file]
    if missing:
        raise BreachError(f"{', '.join(missing)} require the Attorney General's contact details in the notice: "
                          "add them to notices/data/us_contacts.json")


def us_subject_notices(*, session: Session, incident_id: str, controller: ControllerProfile,
                       told: ColumnElement[bool] | None) -> list[tuple[NoticeKind, str, Channel, RenderedNotice]]:
    """The en-US drafts (e-mail and letter per letter group) for the US residents to be told; [] when there are none."""
    stmt = select(PersonRow.region).where(PersonRow.incident_id == incident_id, PersonRow.language == US_LANGUAGE).distinct()
    regions = set(session.execute(stmt if told is None else stmt.where(told)).scalars())
    if not regions:
        return []
    if controller.us is None:
        raise BreachError("people in the US are to be told, but the controller profile has no `us` block (docs/us-law.md)")
    groups = letter_groups(sorted(r for r in regions if r))
    if None in regions:  # US residents of no known state get the general notice
        groups.setdefault(GENERAL, [])
    facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
    breach, _ = api_inputs(facts, controller.us)
    elements, _ = elements_for(breach)
    out = []
    for variant, codes in sorted(groups.items()):
        _mark_people(session, incident_id, variant, codes, include_unknown=variant == GENERAL)
        params = _params(session=session, incident_id=incident_id, controller=controller, variant=variant, codes=codes,
                         elements=elements)
        for channel in (Channel.EMAIL, Channel.LETTER):
            rendered = render(NoticeKind.SUBJECT_NOTICE, params, channel=channel).model_copy(update={"variant": variant})
            out.append((NoticeKind.SUBJECT_NOTICE, US_LANGUAGE, channel, rendered))
    return out


def us_website_notices(*, session: Session, incident_id: str, controller: ControllerProfile,
                       told: ColumnElement[bool] | None) -> list[tuple[NoticeKind, str, Channel, RenderedNotice]]:
    """The website (substitute) notice of every letter group with a state whose substitute-notice conditions are met."""
    stmt = select(PersonRow.region).where(PersonRow.incident_id == incident_id, PersonRow.language == US_LANGUAGE).distinct()
    regions = sorted(r for r in session.execute(stmt if told is None else stmt.where(told)).scalars() if r)
    if not regions or controller.us is None:
        return []
    needs = {n.jurisdiction: n for n in substitute_needs(session=session, incident_id=incident_id, profile=controller.us, states=regions)}
    facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
    elements, _ = elements_for(api_inputs(facts, controller.us)[0])
    out = []
    for variant, codes in sorted(letter_groups(regions).items()):
        posted = [code for code in codes if code in needs]
        if not posted:
            continue
        base = _params(session=session, incident_id=incident_id, controller=controller, variant=variant, codes=codes, elements=elements)
        days = [d for c in posted if (d := needs[c].decision.website_days)]
        params = UsWebsiteNoticeParams(**base.model_dump(), substitute={c: list(needs[c].decision.reasons) for c in posted},
                                       website_days=max(days) if days else None,
                                       substitute_citations=[needs[c].decision.citation for c in posted])
        rendered = render(NoticeKind.PUBLIC_NOTICE, params, channel=Channel.WEB).model_copy(update={"variant": variant})
        out.append((NoticeKind.PUBLIC_NOTICE, US_LANGUAGE, Channel.WEB, rendered))
    return out


def _mark_people(session: Session, incident_id: str, variant: str, codes: list[str], *, include_unknown: bool) -> None:
    where: ColumnElement[bool] = PersonRow.region.in_(codes) if codes else PersonRow.region.is_(None)
    if include_unknown and codes:
        where = or_(where, PersonRow.region.is_(None))
    session.execute(update(PersonRow).where(PersonRow.incident_id == incident_id, PersonRow.language == US_LANGUAGE, where)
                    .values(notice_variant=variant))


def _params(*, session: Session, incident_id: str, controller: ControllerProfile, variant: str, codes: list[str],
            elements: frozenset[str]) -> UsNoticeParams:
    facts_doc = incidents.latest_facts(session=session, incident_id=incident_id).document
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    content = required_content(codes, elements=elements)
    pack = load_rules()
    us = controller.us
    assert us is not None
    values: dict[str, Any] = {
        "law_enforcement_delay": (facts_doc.get("us") or {}).get("law_enforcement_delay"),
        "credit_monitoring": us.credit_monitoring,
    }
    _check(content, values, codes)
    residents = None
    if "number_of_residents_affected" in content.required and "number_of_residents_affected" not in content.forbidden:
        residents = facts_doc.get("subjects_affected")
    return UsNoticeParams(
        incident_id=incident_id, controller=controller, language=US_LANGUAGE, summary=facts_doc["summary"],
        data_categories=facts_doc.get("data_categories", []), occurred_at=facts_doc.get("occurred_at"),
        aware_at=facts_doc.get("aware_at"), measures_taken=facts_doc.get("measures_taken", []),
        risk=assessment.risk if assessment else "high", variant=variant, states=codes,
        state_names={code: pack.jurisdiction(code).name for code in codes}, required=sorted(content.required),
        forbidden=sorted(content.forbidden), title=content.title or "Notice of Data Breach", residents=residents,
        monitoring_months_required=content.credit_monitoring_months, toll_free_phone=us.toll_free_phone,
        contacts=load_table("us_contacts"), unverified=list(content.unverified), **values,
    )
