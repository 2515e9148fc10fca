import pytest
from sqlalchemy import update

from breach.approval import decisions as approval
from breach.enums import ApprovalDecision
from breach.exceptions import ApprovalRefused, NotApproved
from breach.store.tables import DraftRow
from tests.factories import make_drafts, make_incident

pytestmark = pytest.mark.integration
ROSTER = ["manager@example.com", "responder@example.com"]


def test_nothing_is_approved_before_a_decision(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now)
    with pytest.raises(NotApproved, match="not been approved"):
        approval.require_approved(session=session, incident_id=incident_id, roster=ROSTER)


def test_manager_approval_lets_notices_leave(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now)
    approval.decide(session=session, incident_id=incident_id, actor="Manager@Example.com", decision=ApprovalDecision.APPROVED,
                    comment="ok", roster=ROSTER, now=now)
    assert approval.require_approved(session=session, incident_id=incident_id, roster=ROSTER).actor == "manager@example.com"


def test_someone_off_the_roster_is_refused(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now)
    with pytest.raises(ApprovalRefused, match="not on the managers roster"):
        approval.decide(session=session, incident_id=incident_id, actor="intern@example.com", decision=ApprovalDecision.APPROVED,
                        comment="", roster=ROSTER, now=now)


def test_the_drafter_cannot_approve(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now, actor="responder@example.com")
    with pytest.raises(ApprovalRefused, match="four eyes"):
        approval.decide(session=session, incident_id=incident_id, actor="responder@example.com", decision=ApprovalDecision.APPROVED,
                        comment="", roster=ROSTER, now=now)


def test_changing_a_draft_after_approval_voids_it(session, now):
    incident_id = make_incident(session=session, now=now)
    drafts = make_drafts(session=session, incident_id=incident_id, now=now)
    approval.decide(session=session, incident_id=incident_id, actor="manager@example.com", decision=ApprovalDecision.APPROVED,
                    comment="", roster=ROSTER, now=now)
    session.execute(update(DraftRow).where(DraftRow.id == drafts[0].id).values(content_hash="f" * 64))
    session.expire_all()
    with pytest.raises(NotApproved, match="changed after approval"):
        approval.require_approved(session=session, incident_id=incident_id, roster=ROSTER)


def test_approval_of_drafts_seen_in_another_version_is_refused(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now)
    with pytest.raises(ApprovalRefused, match="changed after they were shown"):
        approval.decide(session=session, incident_id=incident_id, actor="manager@example.com", decision=ApprovalDecision.APPROVED,
                        comment="", roster=ROSTER, now=now, seen_hash="0" * 64)


def test_rejection_blocks_sending_and_a_new_round_needs_a_new_approval(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now)
    approval.decide(session=session, incident_id=incident_id, actor="manager@example.com", decision=ApprovalDecision.REJECTED,
                    comment="wrong phone number", roster=ROSTER, now=now)
    with pytest.raises(NotApproved):
        approval.require_approved(session=session, incident_id=incident_id, roster=ROSTER)
    make_drafts(session=session, incident_id=incident_id, now=now, round_no=2)
    with pytest.raises(NotApproved, match="not been approved"):
        approval.require_approved(session=session, incident_id=incident_id, roster=ROSTER)


def test_an_approver_removed_from_the_roster_no_longer_counts(session, now):
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now)
    approval.decide(session=session, incident_id=incident_id, actor="manager@example.com", decision=ApprovalDecision.APPROVED,
                    comment="", roster=ROSTER, now=now)
    with pytest.raises(NotApproved, match="not valid"):
        approval.require_approved(session=session, incident_id=incident_id, roster=["someone@example.com"])
