"""Draft the notices an assessment calls for, check them, and store them with template version and content hash.

A notice is drafted only in a language whose free text the facts give (``breach.texts``); a
language that lacks it is named with its missing fields instead of being filled from another
language. Every draft goes through the content checker (``notices.content.checks``); the outcome,
with the translation gaps, is audited as ``notices.checked`` bound to the drafts' hash, and
approval is refused unless it passed (``breach.approval.decisions``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from breach import audit
from breach.approval import integrity, rounds
from breach.approval.decisions import CHECK_ACTION, current_drafts, current_round, drafts_hash
from breach.controller import ControllerProfile
from breach.enums import Channel, IncidentStatus, NoticeKind
from breach.exceptions import MissingTranslation
from breach.incidents import service as incidents
from breach.people.audience import people_condition
from breach.store.tables import DraftRow, PersonRow
from breach.texts import gaps
from notices.content.checks import Finding, check_pack, check_subject_notice, check_text
from notices.content.render import RenderedNotice, render
from notices.content.us_notice import US_LANGUAGE, us_subject_notices, us_website_notices
from notices.params import PublicNoticeParams, SubjectNoticeParams
from notices.report.notification import authority_params
from notices.report.pack import build_filing_pack, not_applicable_words

SUBJECT_CHANNELS = (Channel.EMAIL, Channel.LETTER)
PUBLIC_LANGUAGES = ("da", "nb", "en", "nl")


@dataclass
class Drafted:
    """One drafting round's outcome: rendered drafts, their findings, and languages left out for lack of text."""

    wanted: list[tuple[NoticeKind, str, Channel, RenderedNotice]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    missing: dict[str, list[str]] = field(default_factory=dict)


def _subject_params(*, session: Session, incident_id: str, controller: ControllerProfile, language: str) -> SubjectNoticeParams:
    facts = incidents.latest_facts(session=session, incident_id=incident_id).document
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    return SubjectNoticeParams.from_facts(facts, incident_id=incident_id, controller=controller, language=language,
                                          risk=assessment.risk if assessment else "unlikely")


def unreachable_count(*, session: Session, incident_id: str) -> int:
    """People with no usable channel (no e-mail, no postal address): Art. 34(3)(c) applies to them."""
    stmt = select(func.count()).where(PersonRow.incident_id == incident_id, PersonRow.channel == Channel.NONE.value)
    return int(session.execute(stmt).scalar_one())


def needed_languages(*, session: Session, incident_id: str, controller: ControllerProfile) -> dict[str, set[str]]:
    """Which notice needs which languages: authority (its language), subject (the people's), public."""
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    out: dict[str, set[str]] = {}
    if assessment is None:
        return out
    if assessment.notify_authority:
        out["authority_report"] = {authority_params(session=session, incident_id=incident_id, controller=controller).language}
    people = _people_languages(session=session, incident_id=incident_id)
    told = people_condition(session=session, incident_id=incident_id, result=assessment.result or {}, us=controller.us)
    if assessment.notify_subjects or told is not None:
        out["subject_notice"] = people if told is None else _people_languages(session=session, incident_id=incident_id, where=told)
    if _public_wanted(session=session, incident_id=incident_id, result=assessment.result or {}):
        out["public_notice"] = _public_languages(people, controller)
    return out


def _people_languages(*, session: Session, incident_id: str, where: ColumnElement[bool] | None = None) -> set[str]:
    """The languages of an incident's people (``where``: of those it selects)."""
    stmt = select(PersonRow.language).where(PersonRow.incident_id == incident_id).distinct()
    return set(session.execute(stmt if where is None else stmt.where(where)).scalars())


def _public_languages(people: set[str], controller: ControllerProfile) -> set[str]:
    """A public notice's languages: the people's and the controller's, where a public notice exists in them."""
    return (people | {controller.default_language}) & set(PUBLIC_LANGUAGES)


def translation_gaps(*, session: Session, incident_id: str, controller: ControllerProfile) -> dict[str, list[str]]:
    """Languages a notice is needed in whose free text the newest facts lack, with the fields missing."""
    document = incidents.latest_facts(session=session, incident_id=incident_id).document
    languages = set().union(*needed_languages(session=session, incident_id=incident_id, controller=controller).values())
    return gaps(document, languages, default_language=controller.default_language)


def _public_wanted(*, session: Session, incident_id: str, result: dict[str, Any]) -> bool:
    """Art. 34(3)(c): a public notice when the assessment calls for one, or for people we cannot reach."""
    if result.get("public_communication"):
        return True
    return bool(result.get("notify_subjects")) and unreachable_count(session=session, incident_id=incident_id) > 0


def _authority(out: Drafted, *, session: Session, incident_id: str, controller: ControllerProfile, now: datetime) -> None:
    params = authority_params(session=session, incident_id=incident_id, controller=controller, as_of=now)
    try:
        rendered = render(NoticeKind.AUTHORITY_REPORT, params, channel=Channel.FORM)
    except MissingTranslation as exc:
        out.missing.update(exc.missing)
        return
    where = f"authority_report/{params.language}/form"
    pack = build_filing_pack(params)
    out.findings += check_pack(pack, where=where, not_applicable=not_applicable_words(params.language))
    out.findings += check_text(rendered.text, params.language, where=where, subject=rendered.subject)
    out.wanted.append((NoticeKind.AUTHORITY_REPORT, params.language, Channel.FORM, rendered))


def _subject(out: Drafted, kind: NoticeKind, language: str, channel: Channel, *, session: Session, incident_id: str,
             controller: ControllerProfile) -> None:
    try:
        params = _subject_params(session=session, incident_id=incident_id, controller=controller, language=language)
    except MissingTranslation as exc:
        out.missing.update(exc.missing)
        return
    if kind == NoticeKind.PUBLIC_NOTICE:
        params = PublicNoticeParams(**params.model_dump())
    rendered = render(kind, params, channel=channel)
    where = f"{kind.value}/{language}/{channel.value}"
    out.findings += check_subject_notice(params, rendered.text, where=where)
    out.findings += check_text(rendered.text, language, where=where, html=rendered.html, subject=rendered.subject)
    out.wanted.append((kind, language, channel, rendered))


def _us(out: Drafted, *, session: Session, incident_id: str, controller: ControllerProfile, told: Any) -> None:
    """US notices (en-US, one per group of states, and the website substitute notice where a state's conditions are
    met): their language and placeholders are checked; what they must say is US state law's (breach.jurisdictions.us),
    checked when they are built, not GDPR Art. 34(2)."""
    us_notices = [*us_subject_notices(session=session, incident_id=incident_id, controller=controller, told=told),
                  *us_website_notices(session=session, incident_id=incident_id, controller=controller, told=told)]
    for kind, language, channel, rendered in us_notices:
        where = f"{kind.value}/{language}/{channel.value}" + (f"/{rendered.variant}" if rendered.variant else "")
        out.findings += check_text(rendered.text, language, where=where, html=rendered.html, subject=rendered.subject)
        out.wanted.append((kind, language, channel, rendered))


def prepare(*, session: Session, incident_id: str, controller: ControllerProfile, now: datetime) -> Drafted:
    """Render and check every notice the newest assessment calls for; languages without text are named, not drafted."""
    out = Drafted()
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    if assessment is None:
        return out
    if assessment.notify_authority:
        _authority(out, session=session, incident_id=incident_id, controller=controller, now=now)
    told = people_condition(session=session, incident_id=incident_id, result=assessment.result or {}, us=controller.us)
    if assessment.notify_subjects or told is not None:
        stmt = select(PersonRow.language, PersonRow.channel).where(PersonRow.incident_id == incident_id).distinct()
        for language, channel in sorted(set(session.execute(stmt if told is None else stmt.where(told)).tuples())):
            if channel in SUBJECT_CHANNELS and language != US_LANGUAGE:
                _subject(out, NoticeKind.SUBJECT_NOTICE, language, Channel(channel), session=session, incident_id=incident_id,
                         controller=controller)
        _us(out, session=session, incident_id=incident_id, controller=controller, told=told)
    if _public_wanted(session=session, incident_id=incident_id, result=assessment.result or {}):
        for language in sorted(_public_languages(_people_languages(session=session, incident_id=incident_id), controller)):
            _subject(out, NoticeKind.PUBLIC_NOTICE, language, Channel.WEB, session=session, incident_id=incident_id,
                     controller=controller)
    return out


def draft_notices(*, session: Session, incident_id: str, controller: ControllerProfile, actor: str, now: datetime) -> list[DraftRow]:
    """Render, check and store a new drafting round, unless the current round already says exactly this."""
    incident = incidents.get(session=session, incident_id=incident_id)
    drafted = prepare(session=session, incident_id=incident_id, controller=controller, now=now)
    existing = current_drafts(session=session, incident_id=incident_id)
    current = current_round(session=session, incident_id=incident_id)
    have = {(d.kind, d.language, d.channel, d.variant, d.content_hash) for d in existing}
    want = {(k.value, lang, c.value, r.variant, r.content_hash) for k, lang, c, r in drafted.wanted}
    same = have == want
    if existing and not same and rounds.round_sent(session=session, incident_id=incident_id, round_no=current):
        # After its notices went out, the authority report's preview says so (how and when people were told); that
        # alone is no reason for a new round: the filing pack is built from the incident when exported, and the
        # approved notices stand. Changed notices, or people not told yet, still make one.
        report = NoticeKind.AUTHORITY_REPORT.value
        same = {h for h in have if h[0] != report} == {w for w in want if w[0] != report}
    if existing and same and not rounds.needs_new_round(session=session, incident_id=incident_id, round_no=current):
        _record_check(session=session, incident_id=incident_id, drafts=existing, drafted=drafted, actor=actor, now=now)
        return existing
    round_no = current + 1
    rows = [DraftRow(incident_id=incident_id, round=round_no, kind=kind, language=language, channel=channel, variant=r.variant,
                     template_version=str(r.template_version), subject=r.subject, text=r.text, html=r.html,
                     content_hash=r.content_hash, drafted_by=actor, drafted_at=now)
            for kind, language, channel, r in drafted.wanted]
    session.add_all(rows)
    if rows:
        incidents.set_status(session=session, incident=incident, to=IncidentStatus.DRAFTED, actor=actor, now=now)
    audit.record(session=session, action=integrity.DRAFTED, actor=actor, at=now, incident_id=incident_id,
                 details=integrity.drafted_details(rows, round_no))
    session.flush()
    _record_check(session=session, incident_id=incident_id, drafts=current_drafts(session=session, incident_id=incident_id),
                  drafted=drafted, actor=actor, now=now)
    return rows


def _record_check(*, session: Session, incident_id: str, drafts: list[DraftRow], drafted: Drafted, actor: str, now: datetime) -> None:
    """Audit the checker's outcome for exactly these drafts (approval reads it), unless already recorded."""
    details = {"round": drafts[0].round if drafts else 0, "drafts_hash": drafts_hash(drafts) if drafts else "",
               "passed": bool(drafts) and not drafted.findings and not drafted.missing,
               "findings": [f.as_dict() for f in drafted.findings], "missing_translations": drafted.missing}
    latest = check_outcome(session=session, incident_id=incident_id)
    if latest == details:
        return
    audit.record(session=session, action=CHECK_ACTION, actor=actor, at=now, incident_id=incident_id, details=details)


def check_outcome(*, session: Session, incident_id: str) -> dict[str, Any] | None:
    """The newest recorded content check of an incident's drafts (round, hash, passed, findings, gaps), or None."""
    events = [e for e in audit.events_for(session=session, incident_id=incident_id) if e.action == CHECK_ACTION]
    return dict(events[-1].details) if events else None
