"""US duties done: the notice to a state's residents was given, or a regulator, agency or HHS filing was made.

The notice to individuals is given when every resident of the state who has a delivery holds one the provider
accepted (an e-mail) or that was printed for posting (a letter): the ``us.individuals`` clock of the state stops
at the instant of the last one, and the deadlines counted from that notice (California's Attorney General 15
days after, New York's at the same time, Iowa's within 5 business days after) are started or moved. A filing
(`breach filed --authority US-CA-AG`) or a recorded report (`breach reported ID us.regulator --party CA`)
stops the duty it names. A duty with no outer limit has no running clock; when done it is recorded as a row in
state ``done`` at that instant, so `breach status` shows it done and `breach reported` cannot record it twice.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from breach import audit
from breach.clock import deadlines
from breach.clock.us.duties import FEDERAL, INDIVIDUALS, assess_us, clock_names, legal_basis, start_us_clocks
from breach.enums import DeadlineState, DeliveryState, NoticeKind
from breach.exceptions import BreachError
from breach.incidents import service as incidents
from breach.jurisdictions.us.model import Obligation
from breach.jurisdictions.us.profile import UsProfile
from breach.people.regions import US_COUNTRIES
from breach.store.tables import DeadlineRow, DeliveryRow, DraftRow, FilingRow, PersonRow

GIVEN = (DeliveryState.ACCEPTED.value, DeliveryState.DELIVERED.value)
MAX_RECEIPT_BYTES = 20 * 1024 * 1024


def notice_instants(*, session: Session, incident_id: str) -> dict[str, datetime]:
    """Per US jurisdiction whose residents with a delivery all have one given: when the last was given ('US': all)."""
    given = DeliveryRow.state.in_(GIVEN)
    base = (DeliveryRow.incident_id == incident_id, PersonRow.country.in_(US_COUNTRIES), DraftRow.kind == NoticeKind.SUBJECT_NOTICE.value)
    per_person = (select(PersonRow.region.label("region"), func.max(case((given, 1), else_=0)).label("done"))
                  .join(PersonRow, PersonRow.id == DeliveryRow.person_id).join(DraftRow, DraftRow.id == DeliveryRow.draft_id)
                  .where(*base).group_by(PersonRow.region, DeliveryRow.person_id).subquery())
    totals = select(per_person.c.region, func.count(), func.sum(per_person.c.done)).group_by(per_person.c.region)
    counted = {region: (int(people), int(done or 0)) for region, people, done in session.execute(totals)}
    complete = {region for region, (people, done) in counted.items() if people and people == done}
    last = (select(PersonRow.region, func.max(DeliveryRow.updated_at)).join(PersonRow, PersonRow.id == DeliveryRow.person_id)
            .join(DraftRow, DraftRow.id == DeliveryRow.draft_id).where(*base, given).group_by(PersonRow.region))
    moments = {region: at for region, at in session.execute(last) if region in complete}
    found = {region: at for region, at in moments.items() if region is not None}
    if counted and complete == set(counted):  # every US resident with a notice has it: the federal (HIPAA) notice too
        found[FEDERAL] = max(moments.values())
    return found


def record_individual_notices(*, session: Session, incident_id: str, profile: UsProfile, actor: str, now: datetime) -> list[str]:
    """Stop the ``us.individuals`` duty of every jurisdiction whose notices were all given; start or move the deadlines
    counted from them. Returns the jurisdictions newly recorded."""
    found = assess_us(session=session, incident_id=incident_id, profile=profile)
    if found is None:
        return []
    duties = {o.jurisdiction: o for name, o in clock_names(found.obligations) if name == INDIVIDUALS}
    recorded = []
    for code, at in sorted(notice_instants(session=session, incident_id=incident_id).items()):
        if code in duties and _mark_done(session, incident_id, INDIVIDUALS, duties[code], at=at, actor=actor):
            recorded.append(code)
    if recorded:
        start_us_clocks(session=session, incident_id=incident_id, profile=profile, actor=actor, now=now)
    return recorded


def _mark_done(session: Session, incident_id: str, name: str, duty: Obligation, *, at: datetime, actor: str) -> DeadlineRow | None:
    """Stop the duty's running clock at ``at``, or record a duty with no clock as done; None when it was done already."""
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == name,
                                     DeadlineRow.party == duty.jurisdiction)
    row = session.execute(stmt).scalar_one_or_none()
    if row is not None:
        if row.state != DeadlineState.RUNNING:
            return None
        return deadlines.stop_clock(session=session, incident_id=incident_id, obligation=name, party=duty.jurisdiction, at=at,
                                    actor=actor)
    anchor = incidents.get(session=session, incident_id=incident_id).aware_at or at
    row = DeadlineRow(incident_id=incident_id, obligation=name, party=duty.jurisdiction, legal_basis=legal_basis(duty),
                      anchor_at=min(anchor, at), due_at=at, state=DeadlineState.DONE, stopped_at=at)
    session.add(row)
    session.flush()
    audit.record(session=session, action="clock.done", actor=actor, at=at, incident_id=incident_id,
                 details={"obligation": name, "party": duty.jurisdiction, "deadline": duty.deadline_text[:120]})
    return row


def filing_codes(*, session: Session, incident_id: str, profile: UsProfile) -> dict[str, tuple[str, Obligation]]:
    """Every US duty that is filed with someone, by its filing code (US-CA-AG, US-MA-OCABR, US-HHS, ...)."""
    found = assess_us(session=session, incident_id=incident_id, profile=profile)
    named = clock_names(found.obligations) if found else []
    return {o.filing_code: (name, o) for name, o in named if o.filing_code}


def record_us_filing(*, session: Session, incident_id: str, code: str, receipt: Path, profile: UsProfile | None, actor: str,
                     now: datetime, reference: str | None = None) -> FilingRow:
    """A filing with a US regulator, agency, HHS or the SEC: the receipt is kept and the duty's clock stops."""
    if profile is None:
        raise BreachError("a US filing needs the controller profile's `us` block (docs/us-law.md)")
    codes = filing_codes(session=session, incident_id=incident_id, profile=profile)
    wanted = code.strip().upper()
    if wanted not in codes:
        known = ", ".join(sorted(codes)) or "none (no US duty is filed with anyone)"
        raise BreachError(f"{incident_id} owes no US filing {wanted}; its filing codes: {known}")
    if not receipt.is_file():
        raise BreachError(f"receipt file not found: {receipt}")
    data = receipt.read_bytes()
    if len(data) > MAX_RECEIPT_BYTES:
        raise BreachError(f"receipt file is larger than {MAX_RECEIPT_BYTES // (1024 * 1024)} MB")
    name, duty = codes[wanted]
    done = _mark_done(session, incident_id, name, duty, at=now, actor=actor)
    late = bool(done is not None and done.state == DeadlineState.STOPPED_LATE)
    earlier = select(func.count()).where(FilingRow.incident_id == incident_id, FilingRow.authority_code == wanted)
    row = FilingRow(incident_id=incident_id, authority_code=wanted, sequence=int(session.execute(earlier).scalar_one()) + 1,
                    filed_at=now, filed_by=actor, receipt_name=receipt.name[:300], receipt_sha256=hashlib.sha256(data).hexdigest(),
                    receipt=data, authority_reference=reference, late=late)
    session.add(row)
    audit.record(session=session, action="authority.filed", actor=actor, at=now, incident_id=incident_id,
                 details={"authority": wanted, "obligation": name, "party": duty.jurisdiction, "sequence": row.sequence,
                          "receipt_sha256": row.receipt_sha256, "late": late, "authority_reference": reference})
    start_us_clocks(session=session, incident_id=incident_id, profile=profile, actor=actor, now=now)
    session.flush()
    return row


def record_us_report(*, session: Session, incident_id: str, obligation: str, party: str | None, at: datetime, profile: UsProfile | None,
                     actor: str, now: datetime) -> DeadlineRow:
    """`breach reported ID us.<kind> --party ST`: a US duty done outside the engine (notice sent by hand, a CRA told)."""
    if profile is None:
        raise BreachError("US duties need the controller profile's `us` block (docs/us-law.md)")
    if not party:
        raise BreachError(f"{obligation} is owed per jurisdiction: name it with --party (e.g. CA, or US for a federal duty)")
    found = assess_us(session=session, incident_id=incident_id, profile=profile)
    duties = {(name, o.jurisdiction): o for name, o in clock_names(found.obligations)} if found else {}
    key = (obligation, party.strip().upper())
    if key not in duties:
        known = ", ".join(f"{n} --party {p}" for n, p in sorted(duties)) or "none"
        raise BreachError(f"{incident_id} owes no US duty {obligation} for {key[1]}; its duties: {known}")
    row = _mark_done(session, incident_id, obligation, duties[key], at=at, actor=actor)
    if row is None:
        raise BreachError(f"{obligation} ({key[1]}) of {incident_id} is recorded as done already")
    start_us_clocks(session=session, incident_id=incident_id, profile=profile, actor=actor, now=now)
    return row
