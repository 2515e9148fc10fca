"""What the authority notification says, read from the newest facts and assessment of an incident.

The draft of the authority report (``notices.content.drafting``) and every exported filing pack
(``notices.report.export``) start from the same ``AuthorityNoticeParams``, built here once.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.controller import ControllerProfile
from breach.enums import DeliveryState
from breach.incidents import service as incidents
from breach.people.audience import audience, condition
from breach.people.store import channel_counts
from breach.store.tables import DeliveryRow
from notices.params import AuthorityNoticeParams


def authority_params(*, session: Session, incident_id: str, controller: ControllerProfile, notified_at: datetime | None = None,
                     as_of: datetime | None = None) -> AuthorityNoticeParams:
    """Everything the authority notification says, from the newest facts and assessment, as of ``as_of`` (lateness)."""
    incident = incidents.get(session=session, incident_id=incident_id)
    facts = incidents.latest_facts(session=session, incident_id=incident_id).document
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    result: dict[str, Any] = assessment.result if assessment else {}
    language = (result.get("authority") or {}).get("language") or controller.default_language
    told = audience(session=session, incident_id=incident_id, result=result, us=controller.us)
    where = condition(told.rule) if told.who == "subset" and told.rule else None
    return AuthorityNoticeParams(incident_id=incident_id, controller=controller, facts=facts, assessment=result,
                                 people_counts=channel_counts(session=session, incident_id=incident_id, where=where),
                                 audience=told.as_dict() if told.who == "subset" else None,
                                 notified_at=notified_at, reasons_for_delay=incident.reasons_for_delay, language=language,
                                 as_of=as_of, people_told=people_told(session=session, incident_id=incident_id))


def people_told(*, session: Session, incident_id: str) -> dict[str, Any]:
    """When and how people were told (Art. 34): per channel, deliveries accepted and the first and last instant."""
    told = (DeliveryState.ACCEPTED.value, DeliveryState.DELIVERED.value)
    stmt = (select(DeliveryRow.channel, func.count(), func.min(DeliveryRow.updated_at), func.max(DeliveryRow.updated_at))
            .where(DeliveryRow.incident_id == incident_id, DeliveryRow.state.in_(told)).group_by(DeliveryRow.channel))
    return {channel: {"count": int(n), "first_at": first.isoformat() if first else None, "last_at": last.isoformat() if last else None}
            for channel, n, first, last in session.execute(stmt)}

