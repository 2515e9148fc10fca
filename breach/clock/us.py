"""US state and federal notification duties as clocks: one deadline row per duty with a date, per jurisdiction.

The duties come from ``breach.jurisdictions.us.us_obligations`` (the cited rule pack) with the people file's
residents per state. A duty with an outer limit (California 30 days, Texas AG 30 days, HIPAA 60 days, ...) is
stored as a deadline row: obligation ``us.<kind>`` (``us.regulator.2`` for the second regulator of a state),
party the jurisdiction code, legal basis the citation and recipient, with ``NOT VERIFIED`` in it when the rule
is not verified, so ``breach deadlines``, ``breach status`` and the clock watcher show and remind it like an
Art. 33 clock. A duty "without unreasonable delay" and no outer limit has no clock; ``pending`` lists it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach import audit
from breach.enums import DeadlineState
from breach.facts import load_facts
from breach.incidents import service as incidents
from breach.jurisdictions.us.model import Obligation, UsAssessment
from breach.jurisdictions.us.obligations import us_obligations
from breach.jurisdictions.us.profile import UsProfile, api_inputs
from breach.people.flags import US_TERRITORIES
from breach.store.tables import DeadlineRow, PersonRow, ReminderRow

US_COUNTRIES = ("US", *sorted(US_TERRITORIES))
UNVERIFIED = "NOT VERIFIED"
_BASIS_MAX = 200
_REMINDER_LEADS_HOURS = (72, 24)


def residents(*, session: Session, incident_id: str) -> tuple[dict[str, int], int]:
    """Affected people per US jurisdiction, and how many US people have no state in the people file."""
    stmt = (select(PersonRow.region, func.count()).where(PersonRow.incident_id == incident_id, PersonRow.country.in_(US_COUNTRIES))
            .group_by(PersonRow.region))
    counts: dict[str, int] = {}
    unknown = 0
    for region, n in session.execute(stmt):
        if region is None:
            unknown = int(n)
        else:
            counts[region] = int(n)
    return counts, unknown


def assess_us(*, session: Session, incident_id: str, profile: UsProfile) -> UsAssessment | None:
    """The US duties of an incident, or None when nobody in the people file lives in the US."""
    counts, _ = residents(session=session, incident_id=incident_id)
    if not counts:
        return None
    facts = load_facts(incidents.latest_facts(session=session, incident_id=incident_id).document)
    breach, controller = api_inputs(facts, profile)
    return us_obligations(breach, controller, counts)


def clock_names(obligations: tuple[Obligation, ...] | list[Obligation]) -> list[tuple[str, Obligation]]:
    """The stored obligation name of each duty: ``us.<kind>``, numbered when a jurisdiction has several of a kind."""
    seen: dict[tuple[str, str], int] = {}
    named = []
    for o in obligations:
        n = seen[(o.jurisdiction, o.kind)] = seen.get((o.jurisdiction, o.kind), 0) + 1
        named.append((f"us.{o.kind}" + (f".{n}" if n > 1 else ""), o))
    return named


def legal_basis(o: Obligation) -> str:
    """Citation, verification flag and recipient, e.g. 'Cal. Civ. Code § 1798.82(a) (NOT VERIFIED): affected ...'."""
    flag = "" if o.verified else f" ({UNVERIFIED})"
    text = f"{o.citation}{flag}: {o.recipient}; confidence {o.confidence}"
    return text if len(text) <= _BASIS_MAX else text[:_BASIS_MAX - 1] + "…"


def start_us_clocks(*, session: Session, incident_id: str, profile: UsProfile, actor: str, now: datetime) -> list[DeadlineRow]:
    """Store a deadline row for every US duty with a date; idempotent. Returns the rows (new and existing)."""
    found = assess_us(session=session, incident_id=incident_id, profile=profile)
    if found is None:
        return []
    anchor = incidents.get(session=session, incident_id=incident_id).aware_at or now
    rows = []
    for name, o in clock_names(found.obligations):
        if o.due_at is None:
            continue
        stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == name,
                                         DeadlineRow.party == o.jurisdiction)
        row = session.execute(stmt).scalar_one_or_none()
        if row is None:
            row = DeadlineRow(incident_id=incident_id, obligation=name, party=o.jurisdiction, legal_basis=legal_basis(o),
                              anchor_at=anchor, due_at=o.due_at, state=DeadlineState.RUNNING)
            session.add(row)
            session.flush()
            for lead in [timedelta(hours=h) for h in _REMINDER_LEADS_HOURS if o.due_at - timedelta(hours=h) > anchor] + [timedelta(0)]:
                session.add(ReminderRow(deadline_id=row.id, lead_minutes=int(lead.total_seconds() // 60), due_at=o.due_at - lead))
            audit.record(session=session, action="clock.started", actor=actor, at=now, incident_id=incident_id,
                         details={"obligation": name, "party": o.jurisdiction, "due_at": o.due_at.isoformat(),
                                  "basis": row.legal_basis, "rules": "us-breach-notification", "verified": o.verified})
        rows.append(row)
    return rows


def pending(*, session: Session, incident_id: str, profile: UsProfile) -> list[tuple[str, Obligation]]:
    """The US duties with no date (without unreasonable delay, no outer limit): named, for status and deadlines."""
    found = assess_us(session=session, incident_id=incident_id, profile=profile)
    return [(name, o) for name, o in clock_names(found.obligations) if o.due_at is None] if found else []
