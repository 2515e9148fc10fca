"""Nobody gets in: every way around the four-eyes approval is refused before anything is sent."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from breach import audit
from breach.approval import decisions as approval
from breach.enums import ApprovalDecision
from breach.exceptions import ApprovalRefused, NotApproved
from breach.store.tables import ApprovalRow, AuditEventRow, DraftRow
from tests.factories import approve, make_drafts, make_incident, set_roster

pytestmark = pytest.mark.integration
MANAGER, DRAFTER, OUTSIDER = "manager@example.com", "responder@example.com", "intruder@example.org"
ROSTER = [MANAGER, DRAFTER]


def _drafted(session, now, roster=ROSTER):
    set_roster(session=session, now=now, managers=roster)
    incident_id = make_incident(session=session, now=now)
    return incident_id, make_drafts(session=session, incident_id=incident_id, now=now, actor=DRAFTER)


def _approve(session, now, incident_id, actor=MANAGER):
    return approve(session=session, incident_id=incident_id, now=now, actor=actor)


def _forge(session, now, incident_id, drafts, actor=MANAGER, proof_of=None, with_audit_entry=False):
    """An approval row written straight into the database, as someone with database access could
    (optionally pointing at the proof of a genuine approval; optionally with the audit entry an approval
    writes, as an insider who can also append to the log would: then only the proof gives it away)."""
    session.add(ApprovalRow(incident_id=incident_id, round=drafts[0].round, decision=ApprovalDecision.APPROVED, actor=actor,
                            comment="", drafts_hash=approval.drafts_hash(drafts), decided_at=now,
                            proof=proof_of.proof if proof_of else None, proof_ref=proof_of.proof_ref if proof_of else None))
    if with_audit_entry:
        audit.record(session=session, action="notices.approved", actor=actor, at=now, incident_id=incident_id,
                     details={"round": drafts[0].round, "drafts_hash": approval.drafts_hash(drafts), "comment": ""})
    session.flush()


def _require(session, incident_id):
    return approval.require_approved(session=session, incident_id=incident_id)


def test_a_genuine_approval_passes_every_check(session, now):
    incident_id, _ = _drafted(session, now)
    _approve(session, now, incident_id)
    assert _require(session, incident_id).actor == MANAGER


def test_someone_not_on_the_roster_cannot_approve(session, now):
    incident_id, _ = _drafted(session, now)
    with pytest.raises(ApprovalRefused, match="not on the managers roster"):
        _approve(session, now, incident_id, actor=OUTSIDER)
    with pytest.raises(NotApproved, match="not been approved"):
        _require(session, incident_id)


def test_the_drafter_cannot_approve_even_in_other_case(session, now):
    incident_id, _ = _drafted(session, now)
    with pytest.raises(ApprovalRefused, match="four eyes"):
        _approve(session, now, incident_id, actor=DRAFTER.upper())


def test_drafts_changed_after_approval_void_it(session, now):
    incident_id, drafts = _drafted(session, now)
    _approve(session, now, incident_id)
    session.execute(update(DraftRow).where(DraftRow.id == drafts[1].id).values(content_hash="e" * 64))
    session.expire_all()
    with pytest.raises(NotApproved, match="changed after"):
        _require(session, incident_id)


def test_a_forged_approval_row_without_proof_is_detected(session, now):
    incident_id, drafts = _drafted(session, now)
    _forge(session, now, incident_id, drafts)
    with pytest.raises(NotApproved, match="no matching entry in the audit log"):
        _require(session, incident_id)
    _forge(session, now, incident_id, drafts, with_audit_entry=True)
    with pytest.raises(NotApproved, match="no valid proof of the approver's identity"):
        _require(session, incident_id)


def test_a_forged_approval_borrowing_the_proof_of_a_genuine_rejection_is_detected(session, now):
    incident_id, drafts = _drafted(session, now)
    genuine = approve(session=session, incident_id=incident_id, now=now, decision=ApprovalDecision.REJECTED, comment="no")
    _forge(session, now, incident_id, drafts, proof_of=genuine)
    with pytest.raises(NotApproved, match="no matching entry in the audit log"):
        _require(session, incident_id)


def test_a_forged_row_cannot_reuse_another_managers_proof(session, now):
    incident_id, drafts = _drafted(session, now, roster=[*ROSTER, "other.manager@example.com"])
    genuine = _approve(session, now, incident_id)
    _forge(session, now, incident_id, drafts, actor="other.manager@example.com", proof_of=genuine, with_audit_entry=True)
    with pytest.raises(NotApproved, match="no valid proof"):
        _require(session, incident_id)


def test_a_rejection_turned_into_an_approval_is_detected(session, now):
    incident_id, _ = _drafted(session, now)
    approve(session=session, incident_id=incident_id, now=now, decision=ApprovalDecision.REJECTED, comment="no")
    session.execute(update(ApprovalRow).where(ApprovalRow.incident_id == incident_id).values(decision=ApprovalDecision.APPROVED))
    session.expire_all()
    with pytest.raises(NotApproved, match="no matching entry"):
        _require(session, incident_id)


def test_a_forged_row_with_a_doctored_audit_entry_breaks_the_chain(session, now):
    incident_id, drafts = _drafted(session, now)
    genuine = approve(session=session, incident_id=incident_id, now=now, decision=ApprovalDecision.REJECTED, comment="no")
    _forge(session, now, incident_id, drafts, proof_of=genuine)
    last = session.execute(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id)
                           .order_by(AuditEventRow.seq.desc()).limit(1)).scalar_one()
    session.execute(update(AuditEventRow).where(AuditEventRow.seq == last.seq).values(
        action="notices.approved", actor=MANAGER, details={"round": drafts[0].round, "drafts_hash": approval.drafts_hash(drafts)}))
    session.expire_all()
    with pytest.raises(NotApproved, match="audit log is broken"):
        _require(session, incident_id)


def test_a_tampered_audit_chain_voids_a_genuine_approval(session, now):
    incident_id, _ = _drafted(session, now)
    _approve(session, now, incident_id)
    first = session.execute(select(AuditEventRow).where(AuditEventRow.incident_id == incident_id)
                            .order_by(AuditEventRow.seq).limit(1)).scalar_one()
    session.execute(update(AuditEventRow).where(AuditEventRow.seq == first.seq).values(actor="someone.else@example.org"))
    session.expire_all()
    with pytest.raises(NotApproved, match="audit log is broken"):
        _require(session, incident_id)
