"""Builders for test data: invented people and companies only, example.com/example.org addresses."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from breach import audit
from breach.approval import codes, roster
from breach.approval import decisions as approval
from breach.approval.decisions import CHECK_ACTION, Proof, drafts_hash
from breach.approval.integrity import DRAFTED, content_hash, drafted_details
from breach.approval.roster import RosterEntry
from breach.enums import ApprovalDecision, IncidentStatus
from breach.incidents import service as incidents
from breach.store.tables import ApprovalRow, DraftRow

MANAGER = "manager@example.com"
# Tests hash approval codes under this key; a runtime uses one derived from its master key (Runtime.code_key).
CODE_KEY = b"test-approval-code-key-32-bytes!"


def facts_doc(**overrides: Any) -> dict[str, Any]:
    """A valid facts document: a customer database stolen by an attacker."""
    doc: dict[str, Any] = {
        "summary": "An attacker copied the customer database of a booking service.",
        "breach_types": ["confidentiality"],
        "data_categories": ["name", "email", "credentials"],
        "controller": {"name": "Testfirma ApS", "country": "DK"},
        "aware_at": "2026-11-20T09:30:00+01:00",
        "cause": "external_attack",
        "exfiltration": "confirmed",
        "recipient": "hostile",
        "encryption": "none",
        "malicious": True,
        "accessed": "confirmed",
        "subjects_affected": 1000,
        "measures_taken": ["We closed the attacker's access and reset every password."],
        "text_language": "en",
        "translations": {
            "da": {"summary": "En angriber kopierede kundedatabasen for en bookingtjeneste.",
                   "measures_taken": ["Vi har lukket angriberens adgang og nulstillet alle adgangskoder."]},
            "nb": {"summary": "En angriper kopierte kundedatabasen til en bestillingstjeneste.",
                   "measures_taken": ["Vi har stengt angriperens tilgang og tilbakestilt alle passord."]},
        },
    }
    doc.update(overrides)
    return doc


def make_incident(*, session: Session, now: datetime, actor: str = "responder@example.com", **overrides: Any) -> str:
    """Open and assess an incident; returns its id."""
    opened = incidents.open_incident(session=session, document=facts_doc(**overrides), actor=actor, timezone="Europe/Copenhagen", now=now)
    incidents.assess_incident(session=session, incident_id=opened.incident_id, actor=actor, now=now)
    return opened.incident_id


def make_drafts(*, session: Session, incident_id: str, now: datetime, actor: str = "responder@example.com",
                round_no: int = 1) -> list[DraftRow]:
    """Two stored drafts without rendering templates, audited as drafting does."""
    rows = [DraftRow(incident_id=incident_id, round=round_no, kind="subject_notice", language=lang, channel="email",
                     template_version="1", subject=f"subject {lang} {round_no}", text=f"text {lang}", html=None,
                     content_hash=content_hash(f"subject {lang} {round_no}", f"text {lang}", None), drafted_by=actor, drafted_at=now)
            for lang in ("da", "en")]
    session.add_all(rows)
    # what drafting records after the content checker passed (notices.content.drafting); these stand-in drafts skip rendering
    audit.record(session=session, action=CHECK_ACTION, actor=actor, at=now, incident_id=incident_id,
                 details={"round": round_no, "drafts_hash": drafts_hash(rows), "passed": True, "findings": [], "missing_translations": {}})
    audit.record(session=session, action=DRAFTED, actor=actor, at=now, incident_id=incident_id, details=drafted_details(rows, round_no))
    incidents.set_status(session=session, incident=incidents.get(session=session, incident_id=incident_id),
                         to=IncidentStatus.DRAFTED, actor=actor, now=now)
    session.flush()
    return rows


PEOPLE_HEADER = ["name", "language", "email", "channel", "address_line1", "postal_code", "city", "country"]


def write_people_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    """Write a people CSV with the given rows."""
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header or PEOPLE_HEADER)
        writer.writerows(rows)
    return path


def set_roster(*, session: Session, now: datetime, managers: list[RosterEntry | str] | None = None) -> list[RosterEntry]:
    """Store the managers roster (default: the one test manager), as `breach roster set` would."""
    entries = [m if isinstance(m, RosterEntry) else RosterEntry(email=m) for m in (managers if managers is not None else [MANAGER])]
    roster.set_roster(session=session, entries=entries, actor="os:test", now=now, source="test")
    return entries


def code_for(*, session: Session, incident_id: str, now: datetime, manager: str = MANAGER, key: bytes = CODE_KEY) -> str:
    """Issue a one-time approval code for the current drafts (what the e-mail would carry)."""
    digest = approval.drafts_hash(approval.current_drafts(session=session, incident_id=incident_id))
    return codes.issue(session=session, incident_id=incident_id, manager=manager, drafts_hash=digest, key=key, now=now).code


def approve(*, session: Session, incident_id: str, now: datetime, actor: str = MANAGER, comment: str = "ok",
            decision: ApprovalDecision = ApprovalDecision.APPROVED, key: bytes = CODE_KEY) -> ApprovalRow:
    """Decide as a roster manager with a freshly issued code (the proven path of `breach approve`)."""
    code = code_for(session=session, incident_id=incident_id, now=now, manager=actor, key=key)
    return approval.decide(session=session, incident_id=incident_id, actor=actor, decision=decision, comment=comment,
                           proof=Proof("code", code), code_key=key, now=now)
