"""Recording that a notification was filed with an authority, with its receipt; stops that clock.

A notification is one obligation per (incident, authority): a controller with no establishment in
the EEA has no one-stop shop and notifies every authority where affected people live (Art. 33(1),
Art. 56; EDPB Guidelines 9/2022), so each filing names its authority and stops only that clock.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach import audit
from breach.authorities import known_code
from breach.clock import deadlines
from breach.clock.us.done import record_us_filing
from breach.enums import DeadlineState, Obligation
from breach.exceptions import BreachError, DeadlineMissed
from breach.incidents import service as incidents
from breach.jurisdictions.us.profile import UsProfile
from breach.plausible import typed_text
from breach.store.tables import DeadlineRow, FilingRow

MAX_RECEIPT_BYTES = 20 * 1024 * 1024


def record_filing(*, session: Session, incident_id: str, authority_code: str | None, receipt: Path, actor: str, now: datetime,
                  authority_reference: str | None = None, reasons_for_delay: str | None = None,
                  us: UsProfile | None = None) -> FilingRow:
    """Store the authority's receipt; a filing after the deadline needs the reasons for the delay (Art. 33(1)).

    A code starting ``US-`` (US-CA-AG, US-HHS) is a US regulator, agency or HHS filing (``breach.clock.us.done``;
    ``us``: the controller's US profile).
    """
    if authority_code and authority_code.strip().upper().startswith("US-"):
        return record_us_filing(session=session, incident_id=incident_id, code=authority_code, receipt=receipt, profile=us,
                                actor=actor, now=now, reference=authority_reference)
    incident = incidents.get(session=session, incident_id=incident_id)
    reasons_for_delay = typed_text("--reasons-for-delay", reasons_for_delay, max_chars=10_000)
    authority_reference = typed_text("--reference", authority_reference, max_chars=200)
    authority_code = _which_authority(session=session, incident_id=incident_id, authority_code=authority_code)
    if not receipt.is_file():
        raise BreachError(f"receipt file not found: {receipt}")
    data = receipt.read_bytes()
    if len(data) > MAX_RECEIPT_BYTES:
        raise BreachError(f"receipt file is larger than {MAX_RECEIPT_BYTES // (1024 * 1024)} MB")
    deadline = _authority_deadline(session=session, incident_id=incident_id, authority_code=authority_code)
    code = authority_code or (deadline.party if deadline else "")
    due = deadline.due_at if deadline is not None else _assessed_deadline(session=session, incident_id=incident_id)
    late = due is not None and now > due
    if late and due is not None and not (reasons_for_delay or incident.reasons_for_delay or "").strip():
        raise DeadlineMissed(incident_id, due)
    if reasons_for_delay:
        incident.reasons_for_delay = reasons_for_delay
    earlier = select(func.count()).where(FilingRow.incident_id == incident_id, FilingRow.authority_code == code)
    sequence = int(session.execute(earlier).scalar_one()) + 1
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


def owed_authorities(result: dict[str, Any]) -> list[str]:
    """Codes of the authorities an assessment says are owed a notification: every one listed, else the lead."""
    codes = [a["code"] for a in result.get("authorities") or [] if a.get("code")]
    lead = (result.get("authority") or {}).get("code")
    return codes or ([lead] if lead else [])


def _which_authority(*, session: Session, incident_id: str, authority_code: str | None) -> str | None:
    """The authority a filing is for: as given, or the only one owed; several owed and none named is refused."""
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    result = assessment.result if assessment else {}
    if result.get("gdpr_applies") is False:
        raise BreachError(f"the GDPR does not apply to {incident_id} (Art. 3): no EEA or UK authority is owed a notification; "
                          "name the US regulator you filed with (--authority US-CA-AG; `breach status` lists the codes)")
    owed = owed_authorities(result)
    if authority_code:
        code = known_code(authority_code)
        if owed and code not in owed:  # a filing stops the clock of an authority that is owed one; say so rather than pretend
            raise BreachError(f"{incident_id} owes its notification to {', '.join(owed)}, not {code}: record the filing with "
                              f"--authority {owed[0]}" + (" (or another of those)" if len(owed) > 1 else ""))
        return code
    if len(owed) > 1:
        raise BreachError(f"{incident_id} is owed notifications to several authorities ({', '.join(owed)}): "
                          "name the one you filed with (--authority)")
    return owed[0] if owed else None


def _assessed_deadline(*, session: Session, incident_id: str) -> datetime | None:
    """The assessment's Art. 33(1) deadline, for an authority that has no clock row of its own."""
    assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
    value = (assessment.result if assessment else {}).get("authority_deadline")
    return datetime.fromisoformat(value) if value else None


def _authority_deadline(*, session: Session, incident_id: str, authority_code: str | None) -> DeadlineRow | None:
    stmt = select(DeadlineRow).where(DeadlineRow.incident_id == incident_id, DeadlineRow.obligation == Obligation.AUTHORITY.value)
    if authority_code:
        stmt = stmt.where(DeadlineRow.party == authority_code)
    rows = list(session.execute(stmt).scalars())
    if authority_code or len(rows) <= 1:
        return rows[0] if rows else None
    return next((r for r in rows if r.state == DeadlineState.RUNNING), None)


def filings_of(*, session: Session, incident_id: str, authority_code: str | None = None) -> list[FilingRow]:
    """Every filing of an incident (with one authority, if given), oldest first."""
    stmt = select(FilingRow).where(FilingRow.incident_id == incident_id)
    if authority_code:
        stmt = stmt.where(FilingRow.authority_code == authority_code.upper())
    return list(session.execute(stmt.order_by(FilingRow.id)).scalars())


def filing_summaries(rows: list[FilingRow]) -> list[dict[str, Any]]:
    """Filings as plain dicts for packs and the register: who, when, receipt hash; never the receipt itself."""
    return [{"authority_code": r.authority_code, "sequence": r.sequence, "filed_at": r.filed_at.isoformat(),
             "filed_by": r.filed_by, "receipt_name": r.receipt_name, "receipt_sha256": r.receipt_sha256,
             "authority_reference": r.authority_reference, "late": r.late} for r in rows]
