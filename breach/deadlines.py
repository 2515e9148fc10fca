"""Deadline rows per obligation, their reminders, and stopping a clock when the duty is done."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach import audit, clock
from breach.enums import DeadlineState, Obligation
from breach.store.tables import AssessmentRow, DeadlineRow, IncidentRow, ReminderRow

# Art. 33(2) says "without undue delay"; absent a data processing agreement figure we hold
# the processor to 24 hours so that the controller keeps most of its own 72.
PROCESSOR_DEFAULT_HOURS = 24


@dataclass(frozen=True)
class DueReminder:
    reminder_id: int
    incident_id: str
    obligation: str
    party: str
    due_at: datetime
    lead_minutes: int


def start_clocks(*, session: Session, incident: IncidentRow, assessment: AssessmentRow, dpa_hours: float | None, actor: str, now: datetime) -> list[DeadlineRow]:
    """Create the deadline rows the assessment calls for (idempotent); nothing without ``aware_at``."""
    if incident.aware_at is None:
        return []
    wanted: list[tuple[str, str, str, datetime]] = []
    result = assessment.result
    if assessment.notify_authority and result.get("authority"):
        party = result["authority"]["code"]
        wanted.append((Obligation.AUTHORITY, party, "GDPR Art. 33(1): 72 hours after awareness", clock.authority_deadline(incident.aware_at)))
    if result.get("notify_controller"):
        hours = dpa_hours if dpa_hours is not None else PROCESSOR_DEFAULT_HOURS
        wanted.append((Obligation.CONTROLLER, "controller", f"GDPR Art. 33(2): without undue delay ({hours:g} h)", clock.as_utc(incident.aware_at) + timedelta(hours=hours)))
    rows = []
    for obligation, party, basis, due in wanted:
        rows.append(_ensure_deadline(session=session, incident=incident, obligation=obligation, party=party, basis=basis, due=due, actor=actor, now=now))
    return rows


def _ensure_deadline(*, session: Session, incident: IncidentRow, obligation: str, party: str, basis: str, due: datetime, actor: str, now: datetime) -> DeadlineRow:
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident.id, DeadlineRow.obligation == obligation, DeadlineRow.party == party)
    row = session.execute(stmt).scalar_one_or_none()
    if row is not None:
        return row
    row = DeadlineRow(incident_id=incident.id, obligation=obligation, party=party, legal_basis=basis,
                      anchor_at=clock.as_utc(incident.aware_at), due_at=due, state=DeadlineState.RUNNING)
    session.add(row)
    session.flush()
    for lead in clock.DEFAULT_REMINDERS:
        session.add(ReminderRow(deadline_id=row.id, lead_minutes=int(lead.total_seconds() // 60), due_at=due - lead))
    session.add(ReminderRow(deadline_id=row.id, lead_minutes=0, due_at=due))  # the overdue escalation
    audit.record(session=session, action="clock.started", actor=actor, at=now, incident_id=incident.id,
                 details={"obligation": obligation, "party": party, "due_at": due.isoformat(), "basis": basis})
    return row


def deadlines_of(*, session: Session, incident_id: str) -> list[DeadlineRow]:
    """All deadlines of an incident, soonest first."""
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id).order_by(DeadlineRow.due_at)
    return list(session.execute(stmt).scalars())


def stop_clock(*, session: Session, incident_id: str, obligation: str, party: str, at: datetime, actor: str) -> DeadlineRow | None:
    """Stop a running clock because the duty was done at ``at``; met or late is recorded."""
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == obligation, DeadlineRow.party == party)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None or row.state != DeadlineState.RUNNING:
        return row
    row.state = DeadlineState.MET if at <= row.due_at else DeadlineState.STOPPED_LATE
    row.stopped_at = at
    audit.record(session=session, action="clock.stopped", actor=actor, at=at, incident_id=incident_id,
                 details={"obligation": obligation, "party": party, "state": row.state})
    return row


def claim_due_reminders(*, session: Session, now: datetime) -> list[DueReminder]:
    """Mark every reminder that is due and not yet raised as raised now, and return them.

    The watcher commits this in the same transaction as it records the reminders, so a reminder
    that fell due while nothing was running is raised once when watching resumes, never twice.
    """
    stmt = (
        select(ReminderRow, DeadlineRow)
        .join(DeadlineRow, ReminderRow.deadline_id == DeadlineRow.id)
        .where(ReminderRow.raised_at.is_(None), ReminderRow.due_at <= now, DeadlineRow.state == DeadlineState.RUNNING)
        .order_by(ReminderRow.due_at)
        .with_for_update(of=ReminderRow, skip_locked=True)
    )
    due = []
    for reminder, deadline in session.execute(stmt):
        reminder.raised_at = now
        due.append(DueReminder(reminder.id, deadline.incident_id, deadline.obligation, deadline.party, deadline.due_at, reminder.lead_minutes))
        audit.record(session=session, action="clock.reminder" if reminder.lead_minutes else "clock.overdue", actor="clock-watch",
                     at=now, incident_id=deadline.incident_id,
                     details={"obligation": deadline.obligation, "lead_minutes": reminder.lead_minutes, "due_at": deadline.due_at.isoformat()})
    return due
