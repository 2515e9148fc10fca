"""The outbox: one delivery per (incident, person, draft, channel), written before anything is sent."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.orm import Session, sessionmaker

from breach import audit
from breach.approval import rounds
from breach.approval.decisions import current_round
from breach.enums import Channel, DeliveryState, IncidentStatus, NoticeKind
from breach.incidents import service as incidents
from breach.jurisdictions.us.profile import UsProfile
from breach.people.audience import audience, sql_condition
from breach.store import statistics
from breach.store.tables import DeliveryRow, IncidentRow, SendBatchRow, UTCDateTime

# One statement fills the outbox for a million people; ROW_NUMBER numbers each channel's
# deliveries so that batch numbers are dense and stable (integer division on both databases).
# Ordered by draft first: a batch holds one draft (language) wherever it can, so one request
# carries up to 1,000 people instead of one request per language per batch. Only people not
# told yet (no delivery at all) are filled, after the batches of earlier rounds (breach.approval.rounds).
_FILL = text(
    """
    INSERT INTO deliveries (incident_id, person_id, draft_id, channel, batch_no, state, attempts, updated_at)
    SELECT p.incident_id, p.id, d.id, p.channel,
           (ROW_NUMBER() OVER (PARTITION BY p.channel ORDER BY d.id, p.id) - 1) / :batch_size
             + CASE p.channel WHEN 'email' THEN :email_from ELSE :letter_from END,
           :state, 0, :now
    FROM people p
    JOIN drafts d ON d.incident_id = p.incident_id AND d.round = :round AND d.kind = :kind
                 AND d.language = p.language AND d.channel = p.channel AND d.variant = p.notice_variant
    WHERE p.incident_id = :incident_id AND p.channel IN ('email', 'letter')
      AND NOT EXISTS (SELECT 1 FROM deliveries x WHERE x.incident_id = p.incident_id AND x.person_id = p.id)
    """
)
_NOW = bindparam("now", type_=UTCDateTime())


def _fill_statement(told: str | None) -> Any:
    """The fill statement; ``told`` narrows it to the people the assessment's subset names (SQL over alias p)."""
    sql = _FILL.text + (f" AND {told}" if told else "")
    return text(sql).bindparams(_NOW)


@dataclass(frozen=True)
class OutboxSummary:
    deliveries: int
    batches: dict[str, int]
    created: bool


def fill_outbox(*, session: Session, incident_id: str, batch_size: int, actor: str, now: datetime,
                us: UsProfile | None = None) -> OutboxSummary:
    """Write the deliveries and batch claims of the approved round for the people not told yet, once per round;
    a second call changes nothing. A round already sent is never filled again (people found later wait for their own).

    ``us``: the controller's US profile, which decides who is told when the GDPR does not apply (Art. 3).
    """
    round_no = current_round(session=session, incident_id=incident_id)
    created = False
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    told = audience(session=session, incident_id=incident_id, result=assessment.result if assessment else {}, us=us)
    if not rounds.round_sent(session=session, incident_id=incident_id, round_no=round_no):
        subset = sql_condition(told.rule, alias="p") if told.who in ("subset", "us") and told.rule else None
        start = dict(session.execute(select(SendBatchRow.channel, func.max(SendBatchRow.batch_no) + 1)
                                     .where(SendBatchRow.incident_id == incident_id).group_by(SendBatchRow.channel)).tuples().all())
        session.execute(_fill_statement(subset), {"batch_size": batch_size, "state": DeliveryState.PENDING.value, "now": now,
                                                  "round": round_no, "kind": NoticeKind.SUBJECT_NOTICE.value, "incident_id": incident_id,
                                                  "email_from": start.get(Channel.EMAIL.value, 0),
                                                  "letter_from": start.get(Channel.LETTER.value, 0)})
        known = select(SendBatchRow.id).where(SendBatchRow.incident_id == incident_id, SendBatchRow.channel == DeliveryRow.channel,
                                              SendBatchRow.batch_no == DeliveryRow.batch_no)
        batches = session.execute(
            select(DeliveryRow.channel, DeliveryRow.batch_no).where(DeliveryRow.incident_id == incident_id, ~known.exists()).distinct()
        ).tuples().all()
        session.add_all(SendBatchRow(incident_id=incident_id, channel=c, batch_no=b, state="pending", attempts=0) for c, b in batches)
        created = bool(batches)
    summary = summarize(session=session, incident_id=incident_id, created=created)
    if created:
        audit.record(session=session, action="outbox.filled", actor=actor, at=now, incident_id=incident_id,
                     details={"deliveries": summary.deliveries, "batches": summary.batches, "round": round_no,
                              "audience": told.as_dict()})
    return summary


def refresh_statistics(sessions: sessionmaker[Session]) -> list[str]:
    """After a new outbox has committed: let PostgreSQL's planner know the incident's deliveries and batches, so
    that every batch reads its own 1,000 rows through the batch index (breach/store/statistics.py)."""
    return statistics.refresh(sessions, DeliveryRow, SendBatchRow)


def is_written(*, session: Session, incident_id: str) -> bool:
    """Whether the incident's outbox exists (its deliveries and batches are written in one transaction).

    One row of the batch table: a sender waiting for the outbox asks this every fraction of a second
    while a million deliveries are being written, and counting them would read each one every time.
    """
    stmt = select(SendBatchRow.id).where(SendBatchRow.incident_id == incident_id).limit(1)
    return session.execute(stmt).first() is not None


def summarize(*, session: Session, incident_id: str, created: bool = False) -> OutboxSummary:
    """Deliveries and batches per channel."""
    deliveries = session.execute(select(func.count()).select_from(DeliveryRow).where(DeliveryRow.incident_id == incident_id)).scalar_one()
    stmt = select(SendBatchRow.channel, func.count()).where(SendBatchRow.incident_id == incident_id).group_by(SendBatchRow.channel)
    return OutboxSummary(deliveries=int(deliveries), batches={c: int(n) for c, n in session.execute(stmt)}, created=created)


def open_batches(*, session: Session, incident_id: str, channel: Channel) -> list[int]:
    """Batch numbers of a channel that are not done yet."""
    stmt = select(SendBatchRow.batch_no).where(
        SendBatchRow.incident_id == incident_id, SendBatchRow.channel == channel.value, SendBatchRow.state != "done"
    ).order_by(SendBatchRow.batch_no)
    return list(session.execute(stmt).scalars())


def delivery_counts(*, session: Session, incident_id: str) -> dict[str, dict[str, int]]:
    """Counts of deliveries per channel and state."""
    stmt = select(DeliveryRow.channel, DeliveryRow.state,
                  func.count()).where(DeliveryRow.incident_id == incident_id).group_by(DeliveryRow.channel, DeliveryRow.state)
    out: dict[str, dict[str, int]] = {}
    for channel, state, n in session.execute(stmt):
        out.setdefault(channel, {})[state] = int(n)
    return out


def letters_waiting(*, session: Session) -> list[str]:
    """Incidents whose e-mail is all sent but which have letter batches still open: letters queued
    after a bounce (notices.sending.fallback), or left by a send that stopped after its e-mail part.
    An uncertain e-mail batch waits for an operator's decision and does not hold the letters back."""
    open_letters = select(SendBatchRow.incident_id).where(SendBatchRow.channel == Channel.LETTER.value, SendBatchRow.state != "done")
    open_email = select(SendBatchRow.incident_id).where(SendBatchRow.channel == Channel.EMAIL.value,
                                                        SendBatchRow.state.not_in(("done", "uncertain")))
    stmt = (select(IncidentRow.id).where(IncidentRow.status.in_([IncidentStatus.SENDING.value, IncidentStatus.NOTIFIED.value]),
                                         IncidentRow.id.in_(open_letters), IncidentRow.id.not_in(open_email))
            .order_by(IncidentRow.id))
    return list(session.execute(stmt).scalars())
