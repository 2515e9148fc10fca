"""US state and federal notification duties as clocks: one deadline row per duty with a date, per jurisdiction.

The duties come from ``breach.jurisdictions.us.us_obligations`` (the cited rule pack) with the people file's
residents per state. A duty with an outer limit (California 30 days, Texas AG 30 days, HIPAA 60 days, ...) is
stored as a deadline row: obligation ``us.<kind>`` (``us.regulator.2`` for the second regulator of a state),
party the jurisdiction code, legal basis the citation and recipient, with ``NOT VERIFIED`` in it when the rule
is not verified, so ``breach deadlines``, ``breach status`` and the clock watcher show and remind it like an
Art. 33 clock. A duty "without unreasonable delay" and no outer limit has no clock; ``pending`` lists it until it is
done (``breach.clock.us.done`` records a done duty as a row in state ``done``).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from breach import audit
from breach.enums import DeadlineState
from breach.exceptions import BreachError
from breach.facts import load_facts
from breach.incidents import service as incidents
from breach.jurisdictions.us.model import Obligation, UsAssessment
from breach.jurisdictions.us.obligations import us_obligations
from breach.jurisdictions.us.profile import UsProfile, api_inputs
from breach.people.regions import US_COUNTRIES, residents
from breach.store.tables import DeadlineRow, ReminderRow

UNVERIFIED = "NOT VERIFIED"
INDIVIDUALS = "us.individuals"
FEDERAL = "US"
_BASIS_MAX = 200
_REMINDER_LEADS_HOURS = (72, 24)
__all__ = ["US_COUNTRIES", "assess_us", "clock_names", "legal_basis", "notice_given", "pending", "residents", "start_us_clocks"]


def assess_us(*, session: Session, incident_id: str, profile: UsProfile) -> UsAssessment | None:
    """The US duties of an incident, or None when nobody in the people file lives in a known US state.

    Once the notice to a state's residents is recorded (its ``us.individuals`` clock stopped), deadlines relative to
    it (California's Attorney General 15 days after, New York's at the same time) count from that instant.
    """
    counts, _ = residents(session=session, incident_id=incident_id)
    if not counts:
        return None
    facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
    if facts.aware_at is None and facts.detected_at is None:
        raise BreachError(f"the US duties of {incident_id} count from discovery: record aware_at (or detected_at) in the facts")
    breach, controller = api_inputs(facts, profile)
    found = us_obligations(breach, controller, counts)
    given = notice_given(session=session, incident_id=incident_id)
    if not given:
        return found
    duties = []
    for code in sorted({o.jurisdiction for o in found.obligations}):
        moment = given.get(code)
        if moment is None:
            duties += [o for o in found.obligations if o.jurisdiction == code]
            continue
        scoped = counts if code == FEDERAL else {code: counts[code]}
        again = us_obligations(replace(breach, individual_notice_at=moment), controller, scoped)
        duties += [o for o in again.obligations if o.jurisdiction == code]
    return replace(found, obligations=tuple(duties))


def notice_given(*, session: Session, incident_id: str) -> dict[str, datetime]:
    """When the notice to each jurisdiction's residents was given: the stop instant of its ``us.individuals`` duty."""
    stmt = select(DeadlineRow.party, DeadlineRow.stopped_at).where(
        DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == INDIVIDUALS, DeadlineRow.stopped_at.is_not(None))
    return {party: at for party, at in session.execute(stmt).tuples() if at is not None}


def clock_names(obligations: tuple[Obligation, ...] | list[Obligation]) -> list[tuple[str, Obligation]]:
    """The stored obligation name of each duty: ``us.<kind>``, numbered when a jurisdiction has several of a kind."""
    groups: dict[tuple[str, str], list[Obligation]] = {}
    for o in obligations:
        groups.setdefault((o.jurisdiction, o.kind), []).append(o)
    names: dict[int, str] = {}
    for (_, kind), members in groups.items():  # numbered in rule-pack order, so a name never moves when a due instant does
        for n, o in enumerate(sorted(members, key=lambda m: m.ordinal), start=1):
            names[id(o)] = f"us.{kind}" + (f".{n}" if n > 1 else "")
    return [(names[id(o)], o) for o in obligations]


def legal_basis(o: Obligation) -> str:
    """Citation, verification flag and recipient, e.g. 'Cal. Civ. Code § 1798.82(a) (NOT VERIFIED): affected ...'."""
    flag = "" if o.verified else f" ({UNVERIFIED})"
    text = f"{o.citation}{flag}: {o.recipient}; confidence {o.confidence}"
    return text if len(text) <= _BASIS_MAX else text[:_BASIS_MAX - 1] + "…"


def start_us_clocks(*, session: Session, incident_id: str, profile: UsProfile, actor: str, now: datetime) -> list[DeadlineRow]:
    """Store a deadline row for every US duty with a date, and move a running one whose anchor became known
    (the notice to individuals was given); idempotent. Returns the rows (new, moved and unchanged); none while the
    facts give no discovery instant (`breach status` says so)."""
    try:
        found = assess_us(session=session, incident_id=incident_id, profile=profile)
    except BreachError:
        return []
    if found is None:
        return []
    anchor = incidents.get(session=session, incident_id=incident_id).aware_at or now
    existing = session.execute(select(DeadlineRow).where(DeadlineRow.incident_id == incident_id)).scalars()
    stored = {(r.obligation, r.party): r for r in existing}
    rows = []
    for name, o in clock_names(found.obligations):
        if o.due_at is None:
            continue
        row = stored.get((name, o.jurisdiction))
        if row is None:
            row = DeadlineRow(incident_id=incident_id, obligation=name, party=o.jurisdiction, legal_basis=legal_basis(o),
                              anchor_at=anchor, due_at=o.due_at, state=DeadlineState.RUNNING)
            session.add(row)
            session.flush()
            _remind(session, row, anchor)
            audit.record(session=session, action="clock.started", actor=actor, at=now, incident_id=incident_id,
                         details={"obligation": name, "party": o.jurisdiction, "due_at": o.due_at.isoformat(),
                                  "basis": row.legal_basis, "rules": "us-breach-notification", "verified": o.verified})
        elif row.state == DeadlineState.RUNNING and row.due_at != o.due_at:
            _move(session, row, o.due_at, anchor, actor=actor, now=now)
        rows.append(row)
    return rows


def _leads(due: datetime, anchor: datetime) -> list[timedelta]:
    """72 and 24 hours before (where that is after the anchor), and 0: the overdue escalation."""
    return [timedelta(hours=h) for h in _REMINDER_LEADS_HOURS if due - timedelta(hours=h) > anchor] + [timedelta(0)]


def _remind(session: Session, row: DeadlineRow, anchor: datetime, *, skip: frozenset[int] = frozenset()) -> None:
    """The row's reminders (``_leads``), but for the lead minutes in ``skip`` (raised already)."""
    for lead in _leads(row.due_at, anchor):
        minutes = int(lead.total_seconds() // 60)
        if minutes not in skip:
            session.add(ReminderRow(deadline_id=row.id, lead_minutes=minutes, due_at=row.due_at - lead))


def _move(session: Session, row: DeadlineRow, due: datetime, anchor: datetime, *, actor: str, now: datetime) -> None:
    """A relative deadline whose anchor is now known: new due instant, reminders not yet raised set again; audited."""
    before = row.due_at
    session.execute(delete(ReminderRow).where(ReminderRow.deadline_id == row.id, ReminderRow.raised_at.is_(None)))
    raised = frozenset(session.execute(select(ReminderRow.lead_minutes).where(ReminderRow.deadline_id == row.id)).scalars())
    row.due_at = due
    session.flush()
    _remind(session, row, anchor, skip=raised)
    audit.record(session=session, action="clock.moved", actor=actor, at=now, incident_id=row.incident_id,
                 details={"obligation": row.obligation, "party": row.party, "from": before.isoformat(), "to": due.isoformat(),
                          "why": "the notice to individuals it counts from was given"})


def pending(*, session: Session, incident_id: str, profile: UsProfile) -> list[tuple[str, Obligation]]:
    """The US duties with no date (without unreasonable delay, no outer limit) not yet done: named, for status and deadlines."""
    found = assess_us(session=session, incident_id=incident_id, profile=profile)
    if found is None:
        return []
    done = set(session.execute(select(DeadlineRow.obligation, DeadlineRow.party).where(DeadlineRow.incident_id == incident_id)).tuples())
    return [(name, o) for name, o in clock_names(found.obligations) if o.due_at is None and (name, o.jurisdiction) not in done]
