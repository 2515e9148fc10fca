"""Draft the notices an assessment calls for and store them with template version and content hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach import audit
from breach.approval.decisions import current_drafts, current_round
from breach.controller import ControllerProfile
from breach.enums import Channel, IncidentStatus, NoticeKind
from breach.incidents import service as incidents
from breach.people.audience import people_condition
from breach.store.tables import DraftRow, PersonRow
from notices.content.render import RenderedNotice, render
from notices.content.us_notice import US_LANGUAGE, us_subject_notices, us_website_notices
from notices.params import PublicNoticeParams, SubjectNoticeParams
from notices.report.notification import authority_params

SUBJECT_CHANNELS = (Channel.EMAIL, Channel.LETTER)
PUBLIC_LANGUAGES = ("da", "nb", "en", "nl")
Wanted = tuple[NoticeKind, str, Channel, RenderedNotice]  # one draft: kind, language, channel, its text


def _subject_params(*, session: Session, incident_id: str, controller: ControllerProfile, language: str) -> SubjectNoticeParams:
    facts = incidents.latest_facts(session=session, incident_id=incident_id).document
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    return SubjectNoticeParams(
        incident_id=incident_id, controller=controller, language=language, summary=facts["summary"],
        data_categories=facts.get("data_categories", []), occurred_at=facts.get("occurred_at"), aware_at=facts.get("aware_at"),
        measures_taken=facts.get("measures_taken", []), risk=assessment.risk if assessment else "unlikely",
    )


def _wanted(*, session: Session, incident_id: str, controller: ControllerProfile) -> list[Wanted]:
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    out: list[Wanted] = []
    if assessment is None:
        return out
    if assessment.notify_authority:
        authority = authority_params(session=session, incident_id=incident_id, controller=controller)
        rendered = render(NoticeKind.AUTHORITY_REPORT, authority, channel=Channel.FORM)
        out.append((NoticeKind.AUTHORITY_REPORT, authority.language, Channel.FORM, rendered))
    told = people_condition(session=session, incident_id=incident_id, result=assessment.result or {}, us=controller.us)
    if assessment.notify_subjects or told is not None:
        stmt = select(PersonRow.language, PersonRow.channel).where(PersonRow.incident_id == incident_id).distinct()
        for language, channel in sorted(set(session.execute(stmt if told is None else stmt.where(told)).tuples())):
            if channel in SUBJECT_CHANNELS and language != US_LANGUAGE:
                params = _subject_params(session=session, incident_id=incident_id, controller=controller, language=language)
                rendered = render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel(channel))
                out.append((NoticeKind.SUBJECT_NOTICE, language, Channel(channel), rendered))
        out.extend(us_subject_notices(session=session, incident_id=incident_id, controller=controller, told=told))
        out.extend(us_website_notices(session=session, incident_id=incident_id, controller=controller, told=told))
    if (assessment.result or {}).get("public_communication"):
        out.extend(_public_notices(session=session, incident_id=incident_id, controller=controller))
    return out


def _public_notices(*, session: Session, incident_id: str, controller: ControllerProfile) -> list[Wanted]:
    """Art. 34(3)(c): one public web page per language of the people known, and the controller's own."""
    known = set(session.execute(select(PersonRow.language).where(PersonRow.incident_id == incident_id).distinct()).scalars())
    languages = sorted((known | {controller.default_language}) & set(PUBLIC_LANGUAGES))
    out = []
    for language in languages:
        base = _subject_params(session=session, incident_id=incident_id, controller=controller, language=language)
        params = PublicNoticeParams(**base.model_dump())
        out.append((NoticeKind.PUBLIC_NOTICE, language, Channel.WEB, render(NoticeKind.PUBLIC_NOTICE, params, channel=Channel.WEB)))
    return out


def draft_notices(*, session: Session, incident_id: str, controller: ControllerProfile, actor: str, now: datetime) -> list[DraftRow]:
    """Render and store a new drafting round, unless the current round already says exactly this."""
    incident = incidents.get(session=session, incident_id=incident_id)
    wanted = _wanted(session=session, incident_id=incident_id, controller=controller)
    existing = current_drafts(session=session, incident_id=incident_id)
    if existing and {(d.kind, d.language, d.channel, d.variant, d.content_hash) for d in existing} == {
            (k.value, lang, c.value, r.variant, r.content_hash) for k, lang, c, r in wanted}:
        return existing
    round_no = current_round(session=session, incident_id=incident_id) + 1
    rows = [DraftRow(incident_id=incident_id, round=round_no, kind=kind, language=language, channel=channel, variant=r.variant,
                     template_version=str(r.template_version), subject=r.subject, text=r.text, html=r.html,
                     content_hash=r.content_hash, drafted_by=actor, drafted_at=now)
            for kind, language, channel, r in wanted]
    session.add_all(rows)
    if rows:
        incidents.set_status(session=session, incident=incident, to=IncidentStatus.DRAFTED, actor=actor, now=now)
    audit.record(session=session, action="notices.drafted", actor=actor, at=now, incident_id=incident_id,
                 details={"round": round_no, "drafts": [f"{r.kind}/{r.language}/{r.channel}:{r.content_hash[:12]}" for r in rows]})
    session.flush()
    return rows
