"""Notification rounds: people found after the notices went out are told in a round of their own.

A round is one set of drafts (``DraftRow.round``) with its approval and its deliveries. Once a
round has deliveries it is *sent*: no decision can change it any more, and its outbox is never
filled again. People imported later (a breach that grows) have no delivery; they are *not yet
told*, and drafting makes a new round for them even when its words are the same (a manager
approves telling them), which the next send delivers to them alone. The incident's history
(earlier rounds, their approvals and deliveries, the audit log) stays as it is.
"""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from breach.enums import Channel
from breach.incidents.service import latest_assessment
from breach.people.audience import audience, condition
from breach.store.tables import DeliveryRow, DraftRow, PersonRow

REACHABLE = (Channel.EMAIL.value, Channel.LETTER.value)


def round_sent(*, session: Session, incident_id: str, round_no: int) -> bool:
    """Whether any delivery was made for a draft of this round."""
    stmt = select(exists().where(DeliveryRow.incident_id == incident_id, DeliveryRow.draft_id == DraftRow.id,
                                 DraftRow.incident_id == incident_id, DraftRow.round == round_no))
    return bool(session.execute(stmt).scalar())


def untold_people(*, session: Session, incident_id: str) -> int:
    """Reachable people (e-mail or letter) the assessment says to tell (breach.people.audience) who have no delivery:
    imported after the incident's notices went out, or not sent yet."""
    assessment = latest_assessment(session=session, incident_id=incident_id)
    found = audience(session=session, incident_id=incident_id, result=assessment.result if assessment else {})
    if found.who == "nobody":
        return 0
    told = select(DeliveryRow.person_id).where(DeliveryRow.incident_id == incident_id)
    stmt = select(func.count()).select_from(PersonRow).where(PersonRow.incident_id == incident_id, PersonRow.id.not_in(told),
                                                             PersonRow.channel.in_(REACHABLE))
    if found.who == "subset" and found.rule:
        stmt = stmt.where(condition(found.rule))
    return int(session.execute(stmt).scalar_one())


def needs_new_round(*, session: Session, incident_id: str, round_no: int) -> bool:
    """A round was sent and people have been added since: they need a round (drafts, approval, send) of their own."""
    return round_no > 0 and round_sent(session=session, incident_id=incident_id, round_no=round_no) \
        and untold_people(session=session, incident_id=incident_id) > 0
