"""Opening incidents and keeping their facts and assessments as versions (never overwritten)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from breach import audit
from breach.assess import assess
from breach.authorities import canonical_country
from breach.enums import IncidentStatus
from breach.exceptions import IncidentNotFound
from breach.facts import Facts, load_facts
from breach.incidents.transitions import transition
from breach.store.tables import AssessmentRow, FactsRow, IdCounter, IncidentRow, PersonRow


@dataclass(frozen=True)
class Opened:
    incident_id: str
    created: bool
    facts_version: int
    facts_changed: bool = False  # an existing incident (same reference) got a new facts version


def next_incident_id(*, session: Session, year: int) -> str:
    """Allocate the next id of the year, e.g. BR-2026-0007 (the counter row is locked).

    The year's row is created with INSERT .. ON CONFLICT DO NOTHING first: incidents opened at the same moment
    in several processes (a shared installation) would otherwise both insert it, and one would fail.
    """
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    session.execute(insert(IdCounter).values(year=year, last=0).on_conflict_do_nothing(index_elements=[IdCounter.year]))
    counter = session.execute(select(IdCounter).where(IdCounter.year == year).with_for_update()
                              .execution_options(populate_existing=True)).scalar_one()
    counter.last += 1
    session.flush()
    return f"BR-{year}-{counter.last:04d}"


def get(*, session: Session, incident_id: str) -> IncidentRow:
    """The incident row, or IncidentNotFound."""
    row = session.get(IncidentRow, incident_id)
    if row is None:
        raise IncidentNotFound(incident_id)
    return row


def latest_facts(*, session: Session, incident_id: str) -> FactsRow:
    """The newest facts version of an incident."""
    stmt = select(FactsRow).where(FactsRow.incident_id == incident_id).order_by(FactsRow.version.desc()).limit(1)
    row = session.execute(stmt).scalar_one_or_none()
    if row is None:
        raise IncidentNotFound(incident_id)
    return row


def latest_assessment(*, session: Session, incident_id: str) -> AssessmentRow | None:
    """The newest assessment of an incident, if any."""
    stmt = select(AssessmentRow).where(AssessmentRow.incident_id == incident_id).order_by(AssessmentRow.version.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def open_incident(*, session: Session, document: dict[str, Any], actor: str, timezone: str, now: datetime) -> Opened:
    """Store an incident from a facts document; idempotent on the responder's ``reference``.

    Opening again with the same reference and changed facts records a new facts version.
    """
    facts = load_facts(document)
    assess(facts)  # a dry run: facts the assessment cannot take are refused before anything is stored
    existing = _by_reference(session=session, reference=facts.reference)
    if existing is not None:
        before = latest_facts(session=session, incident_id=existing.id).version
        version = _add_facts_if_changed(session=session, incident=existing, document=document, actor=actor, now=now)
        return Opened(existing.id, False, version, facts_changed=version != before)
    incident_id = next_incident_id(session=session, year=now.year)
    session.add(
        IncidentRow(
            id=incident_id, reference=facts.reference, status=IncidentStatus.OPEN, summary=facts.summary,
            role=facts.role, controller_country=facts.controller.country if facts.controller else None,
            timezone=timezone, aware_at=facts.aware_at, opened_by=actor, opened_at=now, updated_at=now,
        )
    )
    session.add(FactsRow(incident_id=incident_id, version=1, document=document, recorded_at=now, recorded_by=actor))
    audit.record(session=session, action="incident.opened", actor=actor, at=now, incident_id=incident_id,
                 details={"reference": facts.reference, "facts_version": 1})
    return Opened(incident_id, True, 1)


def _by_reference(*, session: Session, reference: str | None) -> IncidentRow | None:
    if reference is None:
        return None
    return session.execute(select(IncidentRow).where(IncidentRow.reference == reference)).scalar_one_or_none()


def _add_facts_if_changed(*, session: Session, incident: IncidentRow, document: dict[str, Any], actor: str, now: datetime) -> int:
    current = latest_facts(session=session, incident_id=incident.id)
    # compared as facts, not as text: a form that spells out the defaults says the same thing
    if current.document == document or load_facts(current.document) == load_facts(document):
        return current.version
    version = current.version + 1
    facts: Facts = load_facts(document)
    session.add(FactsRow(incident_id=incident.id, version=version, document=document, recorded_at=now, recorded_by=actor))
    incident.summary, incident.aware_at, incident.updated_at = facts.summary, facts.aware_at, now
    audit.record(session=session, action="facts.updated", actor=actor, at=now, incident_id=incident.id, details={"facts_version": version})
    return version


def people_countries(*, session: Session, incident_id: str) -> list[str]:
    """The countries of the incident's people file (plain column), sorted; [] before the file is imported."""
    stmt = select(PersonRow.country).where(PersonRow.incident_id == incident_id, PersonRow.country.is_not(None)).distinct()
    return sorted(str(c) for c in session.execute(stmt).scalars())


def _scope_moved(previous: AssessmentRow, facts: Facts, countries: list[str]) -> bool:
    """Whether the people file added a country the last Art. 3 assessment did not consider (not established in the EEA/UK)."""
    scope = (previous.result or {}).get("territorial_scope")
    if scope is None or scope.get("basis") == "art3_1":
        return False
    considered = set(scope.get("countries") or [])
    return bool({canonical_country(c) for c in [*facts.subjects_countries, *countries]} - considered)
def add_facts_version(*, session: Session, incident_id: str, document: dict[str, Any], actor: str, now: datetime) -> int:
    """Record a changed facts document as the incident's next facts version (validated first); returns the version."""
    load_facts(document)
    return _add_facts_if_changed(session=session, incident=get(session=session, incident_id=incident_id), document=document,
                                 actor=actor, now=now)


def assess_incident(*, session: Session, incident_id: str, actor: str, now: datetime) -> AssessmentRow:
    """Assess the newest facts with the people file's countries (Art. 3); a new version when either changed."""
    incident = get(session=session, incident_id=incident_id)
    facts_row = latest_facts(session=session, incident_id=incident_id)
    previous = latest_assessment(session=session, incident_id=incident_id)
    facts = load_facts(facts_row.document)
    countries = people_countries(session=session, incident_id=incident_id)
    if previous is not None and previous.facts_version == facts_row.version and not _scope_moved(previous, facts, countries):
        return previous
    result = assess(facts, people_countries=countries)
    contract = result.to_contract()
    row = AssessmentRow(
        incident_id=incident_id, version=(previous.version + 1) if previous else 1, facts_version=facts_row.version,
        rules_version=result.rules_version, risk=str(contract["risk"]), notify_authority=bool(contract["notify_authority"]),
        notify_subjects=bool(contract["notify_subjects"]), result=contract, assessed_at=now,
    )
    session.add(row)
    set_status(session=session, incident=incident, to=IncidentStatus.ASSESSED, actor=actor, now=now)
    audit.record(session=session, action="incident.assessed", actor=actor, at=now, incident_id=incident_id,
                 details={"version": row.version, "risk": row.risk, "notify_authority": row.notify_authority,
                          "notify_subjects": row.notify_subjects, "rules": [r["rule"] for r in contract["rationale"]]})
    session.flush()
    return row


def set_status(*, session: Session, incident: IncidentRow, to: IncidentStatus, actor: str, now: datetime) -> None:
    """Move an incident through ALLOWED_TRANSITIONS and audit the change."""
    if incident.status == to and to in (IncidentStatus.ASSESSED, IncidentStatus.SENDING, IncidentStatus.NOTIFIED):
        return
    change = transition(incident_id=incident.id, current=incident.status, to=to, actor=actor, now=now)
    incident.status, incident.updated_at = change.new.value, now
    audit.record(session=session, action="incident.status", actor=actor, at=now, incident_id=incident.id,
                 details={"from": change.old.value, "to": change.new.value})
