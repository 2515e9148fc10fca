"""Deadline rows per obligation, their reminders, and stopping a clock when the duty is done.

Which obligations exist and when each falls due comes from the rules file (``breach.clock.regimes``):
GDPR Art. 33(1)/(2), NIS2 Art. 23(4), DORA Art. 19(4), Reg. 611/2013 Art. 2. A deadline is
computed once, when it starts, and stored as an absolute UTC instant; a deadline anchored on an
earlier report (NIS2 final report, DORA intermediate and final) starts when that report is made.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach import audit, instants
from breach.clock import regimes
from breach.enums import DeadlineState, Obligation
from breach.exceptions import BreachError
from breach.facts import Controller, Facts, load_facts
from breach.incidents import service as incidents
from breach.store.tables import AssessmentRow, DeadlineRow, IncidentRow, ReminderRow

# Art. 33(2) says "without undue delay"; absent a data processing agreement figure we hold
# the processor to 24 hours so that the controller keeps most of its own 72 (rules file default).
PROCESSOR_DEFAULT_HOURS = 24

# The first two obligations were stored under these names before regimes became data; keeping
# them keeps filing (which stops the "authority" clock) and existing rows working.
STORED_NAMES = {"gdpr.authority": Obligation.AUTHORITY.value, "gdpr.processor": Obligation.CONTROLLER.value}
RULE_IDS = {stored: rule for rule, stored in STORED_NAMES.items()}
LEGAL_BASIS_MAX = 200


@dataclass(frozen=True)
class DueReminder:
    reminder_id: int
    incident_id: str
    obligation: str
    party: str
    due_at: datetime
    lead_minutes: int


def stored_name(obligation_id: str) -> str:
    """The ``deadlines.obligation`` value of a rules obligation id (``gdpr.authority`` -> ``authority``)."""
    return STORED_NAMES.get(obligation_id, obligation_id)


def rule_id(stored: str) -> str:
    """The rules obligation id of a stored ``deadlines.obligation`` value."""
    return RULE_IDS.get(stored, stored)


def start_clocks(*, session: Session, incident: IncidentRow, assessment: AssessmentRow, dpa_hours: float | None, actor: str,
                 now: datetime, facts: Facts | None = None, rules: regimes.Rules | None = None,
                 reminder_leads: Sequence[timedelta] | None = None) -> list[DeadlineRow]:
    """Create a deadline row (with reminders) for every obligation whose deadline is known; idempotent.

    Rules are those in force when the controller became aware (or ``now``). Obligations whose
    anchor is not known yet get no row; call again (``refresh_clocks``) when it is.

    Args:
        dpa_hours: the data processing agreement's hours for a processor (Art. 33(2)); overrides the facts.
        reminder_leads: how long before each deadline to remind (default from the rules file: 48, 24, 6, 1 h).
    """
    rules = rules or regimes.bundled_rules()
    facts = facts or load_facts(incidents.latest_facts(session=session, incident_id=incident.id).document)
    if dpa_hours is not None:
        controller = (facts.controller.model_dump() if facts.controller else {}) | {"dpa_hours": dpa_hours}
        facts = facts.model_copy(update={"controller": Controller(**controller)})
    existing = deadlines_of(session=session, incident_id=incident.id)
    reports = {rule_id(r.obligation): r.stopped_at for r in existing if r.stopped_at is not None}
    found = regimes.obligations_for(facts, assessment.result, as_of=incident.aware_at or now, reports=reports,
                                    tz=incident.timezone, rules=rules)
    leads = tuple(reminder_leads) if reminder_leads is not None else tuple(timedelta(hours=h) for h in rules.reminder_leads_hours())
    rows = []
    for obligation in found:
        due, anchor = obligation.due_at, obligation.anchor_at
        if due is None or anchor is None:
            continue
        for party in _parties(obligation, assessment.result):
            rows.append(_ensure_deadline(session=session, incident=incident, obligation=obligation, party=party,
                                         due=due, anchor=anchor, leads=leads, actor=actor, now=now))
    return rows


def _parties(obligation: regimes.Obligation, result: dict) -> list[str]:
    """The stored parties: for "authority", every authority owed (no one-stop shop, Art. 56) else the lead; else the rules' party."""
    if obligation.party != "authority":
        return [obligation.party]
    codes = [a["code"] for a in result.get("authorities") or [] if a.get("code")]
    lead = (result.get("authority") or {}).get("code")
    return codes or ([lead] if lead else [])


def _ensure_deadline(*, session: Session, incident: IncidentRow, obligation: regimes.Obligation, party: str, due: datetime,
                     anchor: datetime, leads: tuple[timedelta, ...], actor: str, now: datetime) -> DeadlineRow:
    name = stored_name(obligation.id)
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident.id, DeadlineRow.obligation == name, DeadlineRow.party == party)
    row = session.execute(stmt).scalar_one_or_none()
    if row is not None:
        return row
    basis = obligation.legal_basis if len(obligation.legal_basis) <= LEGAL_BASIS_MAX else obligation.legal_basis[:LEGAL_BASIS_MAX - 1] + "…"
    row = DeadlineRow(incident_id=incident.id, obligation=name, party=party, legal_basis=basis,
                      anchor_at=anchor, due_at=due, state=DeadlineState.RUNNING)
    session.add(row)
    session.flush()
    for lead in reminder_leads_for(due=due, anchor_at=anchor, leads=leads):
        session.add(ReminderRow(deadline_id=row.id, lead_minutes=int(lead.total_seconds() // 60), due_at=due - lead))
    audit.record(session=session, action="clock.started", actor=actor, at=now, incident_id=incident.id,
                 details={"obligation": name, "party": party, "due_at": due.isoformat(), "basis": basis, "rules": obligation.version})
    return row


def reminder_leads_for(*, due: datetime, anchor_at: datetime, leads: Sequence[timedelta]) -> list[timedelta]:
    """The reminder leads that fall after the anchor (a 4-hour deadline gets no 48-hour reminder), plus 0: the overdue escalation."""
    kept = sorted({lead for lead in leads if lead > timedelta(0) and due - lead > anchor_at}, reverse=True)
    return [*kept, timedelta(0)]


def refresh_clocks(*, session: Session, incident_id: str, actor: str, now: datetime) -> list[DeadlineRow]:
    """Start the deadlines that have become computable, e.g. a final report once the report before it was made."""
    incident = incidents.get(session=session, incident_id=incident_id)
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    if assessment is None:
        return []
    return start_clocks(session=session, incident=incident, assessment=assessment, dpa_hours=None, actor=actor, now=now)


def pending_obligations(*, session: Session, incident_id: str, now: datetime) -> list[regimes.Obligation]:
    """Obligations with no clock yet: a target without a hard deadline, or an anchor not known or not yet reached."""
    incident = incidents.get(session=session, incident_id=incident_id)
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    if assessment is None:
        return []
    facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
    rows = deadlines_of(session=session, incident_id=incident_id)
    started = {rule_id(r.obligation) for r in rows}
    reports = {rule_id(r.obligation): r.stopped_at for r in rows if r.stopped_at is not None}
    found = regimes.obligations_for(facts, assessment.result, as_of=incident.aware_at or now, reports=reports, tz=incident.timezone)
    return [o for o in found if o.id not in started]


def record_report(*, session: Session, incident_id: str, obligation_id: str, at: datetime, actor: str, now: datetime) -> list[DeadlineRow]:
    """A report was made at ``at``: stop its clock(s) and start the deadlines anchored on it; returns the new ones."""
    name = stored_name(obligation_id)
    before = {r.id for r in deadlines_of(session=session, incident_id=incident_id)}
    stopped = [r for r in deadlines_of(session=session, incident_id=incident_id) if r.obligation == name]
    if not stopped:
        raise BreachError(f"no deadline {obligation_id!r} for {incident_id}")
    for row in stopped:
        stop_clock(session=session, incident_id=incident_id, obligation=name, party=row.party, at=instants.as_utc(at), actor=actor)
    return [r for r in refresh_clocks(session=session, incident_id=incident_id, actor=actor, now=now) if r.id not in before]


def deadlines_of(*, session: Session, incident_id: str) -> list[DeadlineRow]:
    """All deadlines of an incident, soonest first."""
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id).order_by(DeadlineRow.due_at)
    return list(session.execute(stmt).scalars())


def running_by_incident(*, session: Session) -> dict[str, tuple[str, list[DeadlineRow]]]:
    """Every running deadline, grouped per incident with the incident's time zone, soonest first."""
    stmt = (select(DeadlineRow, IncidentRow.timezone).join(IncidentRow, DeadlineRow.incident_id == IncidentRow.id)
            .where(DeadlineRow.state == DeadlineState.RUNNING).order_by(DeadlineRow.incident_id, DeadlineRow.due_at))
    board: dict[str, tuple[str, list[DeadlineRow]]] = {}
    for row, zone in session.execute(stmt):
        board.setdefault(row.incident_id, (zone, []))[1].append(row)
    return board


def stop_clock(*, session: Session, incident_id: str, obligation: str, party: str, at: datetime, actor: str) -> DeadlineRow | None:
    """Stop a running clock because the duty was done at ``at``; met or late is recorded."""
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == obligation,
                                     DeadlineRow.party == party)
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
        due.append(DueReminder(reminder.id, deadline.incident_id, deadline.obligation, deadline.party, deadline.due_at,
                               reminder.lead_minutes))
        audit.record(session=session, action="clock.reminder" if reminder.lead_minutes else "clock.overdue", actor="clock-watch",
                     at=now, incident_id=deadline.incident_id,
                     details={"obligation": deadline.obligation, "lead_minutes": reminder.lead_minutes,
                              "due_at": deadline.due_at.isoformat()})
    return due
