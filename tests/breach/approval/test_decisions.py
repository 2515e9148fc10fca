"""Four eyes with proven identity: roster in the database, one-time codes, signatures, four eyes over identities."""

import base64
from datetime import timedelta

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import select, update

from breach.approval import decisions as approval
from breach.approval.decisions import Proof
from breach.approval.roster import RosterEntry
from breach.approval.signatures import approval_message, sign
from breach.enums import ApprovalDecision
from breach.exceptions import ApprovalRefused, NotApproved
from breach.store.tables import ApprovalCodeRow, AuditEventRow, DraftRow
from tests.factories import CODE_KEY, MANAGER, approve, code_for, make_drafts, make_incident, set_roster

pytestmark = pytest.mark.integration
RESPONDER = "responder@example.com"


def _drafted(session, now, *, managers=None, drafter=RESPONDER):
    set_roster(session=session, now=now, managers=managers or [MANAGER, RESPONDER])
    incident_id = make_incident(session=session, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now, actor=drafter)
    return incident_id


def _decide(session, now, incident_id, proof, *, actor=MANAGER, decision=ApprovalDecision.APPROVED, **kw):
    return approval.decide(session=session, incident_id=incident_id, actor=actor, decision=decision, comment="", proof=proof,
                           code_key=CODE_KEY, now=now, **kw)


def test_nothing_is_approved_before_a_decision(session, now):
    incident_id = _drafted(session, now)
    with pytest.raises(NotApproved, match="not been approved"):
        approval.require_approved(session=session, incident_id=incident_id)


def test_manager_approval_with_the_e_mailed_code_lets_notices_leave(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    row = _decide(session, now, incident_id, Proof("code", f"{code[:4]} {code[4:]}"), actor="Manager@Example.com")
    assert (row.actor, row.proof) == (MANAGER, "code")
    assert approval.require_approved(session=session, incident_id=incident_id).actor == MANAGER
    stored = session.execute(select(ApprovalCodeRow).where(ApprovalCodeRow.incident_id == incident_id)).scalar_one()
    assert stored.used_at == now and code not in stored.code_hash and len(stored.code_hash) == 64


def test_someone_off_the_roster_is_refused(session, now):
    incident_id = _drafted(session, now)
    with pytest.raises(ApprovalRefused, match="not on the managers roster") as refused:
        _decide(session, now, incident_id, Proof("code", "12345678"), actor="intern@example.com")
    assert refused.value.kind == "not_on_roster"


def test_the_drafter_cannot_approve(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now, manager=RESPONDER)
    with pytest.raises(ApprovalRefused, match="four eyes"):
        _decide(session, now, incident_id, Proof("code", code), actor=RESPONDER)


def test_four_eyes_compares_the_drafters_login_with_the_managers_identities(session, now):
    """Drafts made by OS user alice cannot be approved by the manager whose roster entry names os:alice."""
    alice = RosterEntry(email="alice@example.com", logins=["os:alice"])
    incident_id = _drafted(session, now, managers=[alice, RosterEntry(email=MANAGER)], drafter="os:alice")
    code = code_for(session=session, incident_id=incident_id, now=now, manager=alice.email)
    with pytest.raises(ApprovalRefused, match="four eyes") as refused:
        _decide(session, now, incident_id, Proof("code", code), actor=alice.email)
    assert refused.value.kind == "drafter"
    approve(session=session, incident_id=incident_id, now=now, actor=MANAGER)


def test_without_a_valid_code_nothing_is_approved(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for typed, kind in ((wrong, "wrong_code"), ("1234", "wrong_code"), ("", "wrong_code")):
        with pytest.raises(ApprovalRefused) as refused:
            _decide(session, now, incident_id, Proof("code", typed))
        assert refused.value.kind == kind
    with pytest.raises(NotApproved):
        approval.require_approved(session=session, incident_id=incident_id)


def test_a_code_works_once_only(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    _decide(session, now, incident_id, Proof("code", code), decision=ApprovalDecision.REJECTED)
    with pytest.raises(ApprovalRefused, match="already used") as refused:
        _decide(session, now, incident_id, Proof("code", code))
    assert refused.value.kind == "code_used"


def test_a_code_expires(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    with pytest.raises(ApprovalRefused, match="expired"):
        _decide(session, now + timedelta(minutes=31), incident_id, Proof("code", code))


def test_a_code_is_bound_to_the_drafts_it_was_sent_for(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    make_drafts(session=session, incident_id=incident_id, now=now, round_no=2)
    with pytest.raises(ApprovalRefused, match="other drafts"):
        _decide(session, now, incident_id, Proof("code", code))


def test_a_code_is_bound_to_its_manager(session, now):
    other = "cfo@example.com"
    incident_id = _drafted(session, now, managers=[MANAGER, other])
    code = code_for(session=session, incident_id=incident_id, now=now, manager=other)
    with pytest.raises(ApprovalRefused, match="wrong approval code"):
        _decide(session, now, incident_id, Proof("code", code), actor=MANAGER)


def test_too_many_wrong_codes_void_the_live_code(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    for _ in range(5):
        with pytest.raises(ApprovalRefused) as refused:
            _decide(session, now, incident_id, Proof("code", "00000000" if code != "00000000" else "11111111"))
        approval.refuse(session=session, incident_id=incident_id, actor=MANAGER, refusal=refused.value, now=now, answer=None)
    with pytest.raises(ApprovalRefused, match="void"):
        _decide(session, now, incident_id, Proof("code", code))


def test_refusals_are_audited_without_the_code(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    with pytest.raises(ApprovalRefused) as refused:
        _decide(session, now, incident_id, Proof("code", "99999999" if code != "99999999" else "88888888"))
    approval.refuse(session=session, incident_id=incident_id, actor=MANAGER, refusal=refused.value, now=now, answer="run:approval-0")
    entry = session.execute(select(AuditEventRow).where(AuditEventRow.action == approval.REFUSED,
                                                        AuditEventRow.incident_id == incident_id)).scalar_one()
    assert entry.details == {"kind": "wrong_code", "reason": "wrong approval code", "answer": "run:approval-0"}
    assert approval.refusal_of(session=session, incident_id=incident_id, answer="run:approval-0")["kind"] == "wrong_code"
    assert code not in str(entry.details)


def _keypair(tmp_path, name="manager"):
    private = Ed25519PrivateKey.generate()
    path = tmp_path / f"{name}.pem"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    public = base64.b64encode(private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)).decode()
    return path, public


def test_an_ed25519_signature_of_the_drafts_hash_proves_the_manager(session, now, tmp_path):
    key_file, public = _keypair(tmp_path)
    incident_id = _drafted(session, now, managers=[RosterEntry(email=MANAGER, public_key=public)])
    digest = approval.drafts_hash(approval.current_drafts(session=session, incident_id=incident_id))
    rejected = sign(private_key_file=key_file, message=approval_message(incident_id=incident_id, drafts_hash=digest, decision="rejected"))
    with pytest.raises(ApprovalRefused, match="signature does not verify"):  # a signed rejection is no approval
        _decide(session, now, incident_id, Proof("ed25519", rejected))
    signature = sign(private_key_file=key_file, message=approval_message(incident_id=incident_id, drafts_hash=digest, decision="approved"))
    row = _decide(session, now, incident_id, Proof("ed25519", signature))
    assert (row.proof, row.proof_ref) == ("ed25519", signature)
    assert approval.require_approved(session=session, incident_id=incident_id).id == row.id


def test_a_signature_needs_a_key_on_the_roster_and_the_right_key(session, now, tmp_path):
    key_file, _ = _keypair(tmp_path)
    _, other_public = _keypair(tmp_path, "someone-else")
    incident_id = _drafted(session, now, managers=[RosterEntry(email=MANAGER, public_key=other_public), RESPONDER])
    digest = approval.drafts_hash(approval.current_drafts(session=session, incident_id=incident_id))
    signature = sign(private_key_file=key_file, message=approval_message(incident_id=incident_id, drafts_hash=digest, decision="approved"))
    with pytest.raises(ApprovalRefused, match="does not verify"):
        _decide(session, now, incident_id, Proof("ed25519", signature))
    set_roster(session=session, now=now, managers=[MANAGER, RESPONDER])
    with pytest.raises(ApprovalRefused, match="no public key"):
        _decide(session, now, incident_id, Proof("ed25519", signature))


def test_changing_a_draft_after_approval_voids_it(session, now):
    incident_id = _drafted(session, now)
    approve(session=session, incident_id=incident_id, now=now)
    first = approval.current_drafts(session=session, incident_id=incident_id)[0]
    session.execute(update(DraftRow).where(DraftRow.id == first.id).values(content_hash="f" * 64))
    session.expire_all()
    with pytest.raises(NotApproved, match="changed after approval"):
        approval.require_approved(session=session, incident_id=incident_id)


def test_approval_of_drafts_seen_in_another_version_is_refused(session, now):
    incident_id = _drafted(session, now)
    code = code_for(session=session, incident_id=incident_id, now=now)
    with pytest.raises(ApprovalRefused, match="changed after they were shown"):
        _decide(session, now, incident_id, Proof("code", code), seen_hash="0" * 64)


def test_rejection_blocks_sending_and_a_new_round_needs_a_new_approval(session, now):
    incident_id = _drafted(session, now)
    approve(session=session, incident_id=incident_id, now=now, decision=ApprovalDecision.REJECTED, comment="wrong phone number")
    with pytest.raises(NotApproved):
        approval.require_approved(session=session, incident_id=incident_id)
    make_drafts(session=session, incident_id=incident_id, now=now, round_no=2)
    with pytest.raises(NotApproved, match="not been approved"):
        approval.require_approved(session=session, incident_id=incident_id)


def test_an_approver_removed_from_the_roster_no_longer_counts(session, now):
    incident_id = _drafted(session, now)
    approve(session=session, incident_id=incident_id, now=now)
    set_roster(session=session, now=now, managers=["someone@example.com"])
    with pytest.raises(NotApproved, match="not valid"):
        approval.require_approved(session=session, incident_id=incident_id)
