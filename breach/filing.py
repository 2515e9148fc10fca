"""Recording that a notification was filed with an authority, with its receipt; stops that clock."""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach import audit, deadlines, incidents
from breach.enums import DeadlineState, Obligation
from breach.exceptions import BreachError, DeadlineMissed
from breach.store.tables import DeadlineRow, FilingRow

MAX_RECEIPT_BYTES = 20 * 1024 * 1024


def record_filing(*, session: Session, incident_id: str, authority_code: str | None, receipt: Path, actor: str, now: datetime,
                  authority_reference: str | None = None, reasons_for_delay: str | None = None) -> FilingRow:
    """Store the authority's receipt; a filing after the deadline needs the reasons for the delay (Art. 33(1))."""
    incident = incidents.get(session=session, incident_id=incident_id)
    if not receipt.is_file():
        raise BreachError(f"receipt file not found: {receipt}")
    data = receipt.read_bytes()
    if len(data) > MAX_RECEIPT_BYTES:
        raise BreachError(f"receipt file is larger than {MAX_RECEIPT_BYTES // (1024 * 1024)} MB")
    deadline = _authority_deadline(session=session, incident_id=incident_id, authority_code=authority_code)
    code = authority_code or (deadline.party if deadline else "")
    late = deadline is not None and now > deadline.due_at
    if reasons_for_delay:
        incident.reasons_for_delay = reasons_for_delay
    if late and not (incident.reasons_for_delay or "").strip():
        raise DeadlineMissed(incident_id, deadline.due_at)
    sequence = int(session.execute(select(func.count()).where(FilingRow.incident_id == incident_id, FilingRow.authority_code == code)).scalar_one()) + 1
    row = FilingRow(incident_id=incident_id, authority_code=code, sequence=sequence, filed_at=now, filed_by=actor,
                    receipt_name=receipt.name[:300], receipt_sha256=hashlib.sha256(data).hexdigest(), receipt=data,
                    authority_reference=authority_reference, late=late)
    session.add(row)
    if deadline is not None:
        deadlines.stop_clock(session=session, incident_id=incident_id, obligation=Obligation.AUTHORITY, party=code, at=now, actor=actor)
    audit.record(session=session, action="authority.filed", actor=actor, at=now, incident_id=incident_id,
                 details={"authority": code, "sequence": sequence, "receipt_sha256": row.receipt_sha256, "late": late,
                          "authority_reference": authority_reference})
    session.flush()
    return row


def _authority_deadline(*, session: Session, incident_id: str, authority_code: str | None) -> DeadlineRow | None:
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == Obligation.AUTHORITY.value)
    if authority_code:
        stmt = stmt.where(DeadlineRow.party == authority_code)
    rows = list(session.execute(stmt).scalars())
    return rows[0] if len(rows) == 1 or authority_code else next((r for r in rows if r.state == DeadlineState.RUNNING), None)


def filings_of(*, session: Session, incident_id: str) -> list[FilingRow]:
    """Every filing of an incident, oldest first."""
    return list(session.execute(select(FilingRow).where(FilingRow.incident_id == incident_id).order_by(FilingRow.id)).scalars())
