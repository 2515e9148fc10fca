"""Four-eyes approval of drafted notices, bound to the content hash of the drafts seen.

Who approves is proven, not typed: the approver must be on the roster stored in the database
(``breach.approval.roster``) and must show either a one-time code sent to that address
(``breach.approval.codes``) or an Ed25519 signature by the key on their roster entry
(``breach.approval.signatures``). The drafter, under any identity on the approver's roster
entry, may not approve (four eyes). Refusals are audited by ``refuse``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach import audit
from breach.approval import codes, roster, rounds, signatures
from breach.approval.integrity import audited_hashes, drafts_hash, require_words
from breach.approval.roster import RosterEntry, normalise
from breach.enums import ApprovalDecision, IncidentStatus
from breach.exceptions import ApprovalRefused, AuditChainBroken, DraftsTampered, NotApproved
from breach.incidents.service import get, set_status
from breach.plausible import typed_text
from breach.store.tables import ApprovalRow, DraftRow

# The content checker (notices.content.checks) audits its outcome per drafting round under this action;
# nothing is approved or sent unless the newest outcome for exactly these drafts passed.
CHECK_ACTION = "notices.checked"
REFUSED = "approval.refused"


@dataclass(frozen=True)
class Proof:
    """What the approver showed: the e-mailed code as typed, or a base64 Ed25519 signature."""

    kind: Literal["code", "ed25519"]
    value: str = ""


def current_round(*, session: Session, incident_id: str) -> int:
    """The newest drafting round (0 when nothing was drafted)."""
    stmt = select(func.max(DraftRow.round)).where(DraftRow.incident_id == incident_id)
    return int(session.execute(stmt).scalar_one() or 0)


def current_drafts(*, session: Session, incident_id: str) -> list[DraftRow]:
    """The drafts of the newest round, in a stable order."""
    round_no = current_round(session=session, incident_id=incident_id)
    stmt = (
        select(DraftRow)
        .where(DraftRow.incident_id == incident_id, DraftRow.round == round_no)
        .order_by(DraftRow.kind, DraftRow.language, DraftRow.channel)
    )
    return list(session.execute(stmt).scalars())


__all__ = ["drafts_hash"]  # re-exported: what an approval binds to, recomputed from the words (integrity)


def check_approver(*, incident_id: str, actor: str, managers: list[RosterEntry], drafts: list[DraftRow]) -> RosterEntry:
    """The approver's roster entry; refuse anyone not on the roster, and whoever drafted (four eyes)."""
    who = normalise(actor)
    if not drafts:
        raise ApprovalRefused(incident_id, "there are no drafts to approve", kind="no_drafts")
    entry = next((m for m in managers if m.email == who), None)
    if entry is None:
        # a look-alike (Cyrillic, fullwidth, invisible characters) is shown with its code points, not as the name it mimics
        shown = actor.strip() if actor.strip().isascii() else ascii(actor.strip())
        raise ApprovalRefused(incident_id, f"{shown} is not on the managers roster (breach roster show)", kind="not_on_roster")
    drafters = {normalise(d.drafted_by) for d in drafts}
    if drafters & entry.identities():
        raise ApprovalRefused(incident_id, f"{entry.email} drafted these notices; a second person must approve (four eyes)", kind="drafter")
    return entry


def require_open_round(*, session: Session, incident_id: str, drafts: list[DraftRow]) -> None:
    """Refuse a decision on notices that were already sent: it cannot call them back."""
    if drafts and rounds.round_sent(session=session, incident_id=incident_id, round_no=drafts[0].round):
        status = get(session=session, incident_id=incident_id).status
        raise ApprovalRefused(incident_id, f"the notices of round {drafts[0].round} were already sent ({status}); a decision "
                                           "cannot call them back (people found later get a new round: breach open/draft, then approve)",
                              kind="already_sent")


def _prove(*, session: Session, incident_id: str, entry: RosterEntry, decision: ApprovalDecision, digest: str, proof: Proof,
           code_key: bytes, now: datetime) -> str:
    """Check the proof of identity; returns what the approval row keeps as proof_ref."""
    if proof.kind == "ed25519":
        if entry.public_key is None:
            raise ApprovalRefused(incident_id, f"{entry.email} has no public key on the roster; use the e-mailed code", kind="no_key")
        message = signatures.approval_message(incident_id=incident_id, drafts_hash=digest, decision=decision.value)
        if not signatures.verify(public_key=entry.public_key, signature=proof.value, message=message):
            raise ApprovalRefused(incident_id, "the signature does not verify for these drafts and this decision", kind="bad_signature")
        return "".join(proof.value.split())
    code_id = codes.redeem(session=session, incident_id=incident_id, manager=entry.email, drafts_hash=digest, code=proof.value,
                           key=code_key, now=now)
    return str(code_id)


def decide(*, session: Session, incident_id: str, actor: str, decision: ApprovalDecision, comment: str, proof: Proof, code_key: bytes,
           now: datetime, seen_hash: str | None = None) -> ApprovalRow:
    """Record an approval or rejection of the current drafts after the roster, four-eyes and identity checks."""
    incident = get(session=session, incident_id=incident_id)
    comment = typed_text("the comment", comment, max_chars=2000) or ""
    drafts = current_drafts(session=session, incident_id=incident_id)
    entry = check_approver(incident_id=incident_id, actor=actor, managers=roster.current(session=session), drafts=drafts)
    require_open_round(session=session, incident_id=incident_id, drafts=drafts)
    digest = drafts_hash(drafts)
    if seen_hash is not None and seen_hash != digest:
        raise ApprovalRefused(incident_id, "the drafts changed after they were shown to you; review them again", kind="drafts_changed")
    try:  # words edited in the database since they were drafted: no manager may approve them
        require_words(session=session, incident_id=incident_id, drafts=drafts, approved_hash=digest)
    except DraftsTampered as exc:
        raise ApprovalRefused(incident_id, f"the drafts' words were changed in the database since they were drafted "
                                           f"({', '.join(exc.drafts)}): they are not what the audit log recorded; draft them again",
                              kind="drafts_tampered") from exc
    again = latest_decision(session=session, incident_id=incident_id)
    if again is not None and (again.round, again.actor, again.decision, again.drafts_hash) == (drafts[0].round, entry.email,
                                                                                              decision, digest):
        return again  # the same decision on the same drafts again (a retry): already recorded
    if decision == ApprovalDecision.APPROVED and (problem := check_problem(session=session, incident_id=incident_id, digest=digest)):
        raise ApprovalRefused(incident_id, problem, kind="content_check")
    proof_ref = _prove(session=session, incident_id=incident_id, entry=entry, decision=decision, digest=digest, proof=proof,
                       code_key=code_key, now=now)
    row = ApprovalRow(incident_id=incident_id, round=drafts[0].round, decision=decision, actor=entry.email, comment=comment,
                      drafts_hash=digest, decided_at=now, proof=proof.kind, proof_ref=proof_ref)
    session.add(row)
    if decision == ApprovalDecision.APPROVED and incident.status != IncidentStatus.APPROVED:
        set_status(session=session, incident=incident, to=IncidentStatus.APPROVED, actor=entry.email, now=now)
    elif decision == ApprovalDecision.REJECTED and incident.status == IncidentStatus.APPROVED:  # a later rejection undoes it
        set_status(session=session, incident=incident, to=IncidentStatus.DRAFTED, actor=entry.email, now=now)
    audit.record(session=session, action=f"notices.{decision.value}", actor=entry.email, at=now, incident_id=incident_id,
                 details={"round": row.round, "drafts_hash": digest, "comment": comment[:500], "proof": proof.kind, "proof_ref": proof_ref})
    session.flush()
    return row


def check_problem(*, session: Session, incident_id: str, digest: str) -> str | None:
    """Why the content check stands in the way of approving drafts with this hash, or None when it passed."""
    checks = [e for e in audit.events_for(session=session, incident_id=incident_id)
              if e.action == CHECK_ACTION and e.details.get("drafts_hash") == digest]
    if not checks:
        return "the drafts have not been through the content check; draft them again"
    details = checks[-1].details
    if details.get("passed"):
        return None
    missing = details.get("missing_translations") or {}
    parts = [f"{lang} lacks {', '.join(fields)}" for lang, fields in sorted(missing.items())]
    parts += [f"{f['where']}: {f['message']}" for f in (details.get("findings") or [])[:5]]
    more = len(details.get("findings") or []) - 5
    return "the content check did not pass: " + "; ".join(parts) + (f"; and {more} more" if more > 0 else "")
def refuse(*, session: Session, incident_id: str, actor: str, refusal: ApprovalRefused, now: datetime, answer: str | None = None) -> None:
    """Audit a refused approval attempt (in its own transaction); a wrong code counts against the manager's codes."""
    if refusal.kind == "wrong_code":
        codes.count_wrong(session=session, incident_id=incident_id, manager=actor, now=now)
    audit.record(session=session, action=REFUSED, actor=normalise(actor)[:320] or "(blank)", at=now, incident_id=incident_id,
                 details={"kind": refusal.kind, "reason": refusal.reason[:300], "answer": answer})


def refusal_of(*, session: Session, incident_id: str, answer: str) -> dict[str, str] | None:
    """A refusal already recorded for one answer (a resumed run reads its earlier answers again), or None."""
    for event in reversed(audit.events_for(session=session, incident_id=incident_id)):
        if event.action == REFUSED and event.details.get("answer") == answer:
            return {"kind": str(event.details.get("kind")), "reason": str(event.details.get("reason"))}
    return None


def latest_decision(*, session: Session, incident_id: str) -> ApprovalRow | None:
    """The newest approval or rejection of the incident (any round), or None."""
    stmt = select(ApprovalRow).where(ApprovalRow.incident_id == incident_id).order_by(ApprovalRow.id.desc()).limit(1)
    return session.execute(stmt).scalar_one_or_none()


def require_approved(*, session: Session, incident_id: str) -> ApprovalRow:
    """The approval that lets notices leave; NotApproved unless it matches the drafts as they are now."""
    get(session=session, incident_id=incident_id)  # IncidentNotFound first: "nothing drafted" would mislead
    drafts = current_drafts(session=session, incident_id=incident_id)
    if not drafts:
        raise NotApproved(incident_id, "nothing has been drafted")
    stmt = (
        select(ApprovalRow)
        .where(ApprovalRow.incident_id == incident_id, ApprovalRow.round == drafts[0].round)
        .order_by(ApprovalRow.id.desc()).limit(1)
    )
    latest = session.execute(stmt).scalar_one_or_none()
    if latest is None or latest.decision != ApprovalDecision.APPROVED:
        raise NotApproved(incident_id, "the drafts have not been approved by a manager")
    _require_audited(session=session, approval=latest)  # first: with a broken log, nothing else it says can be trusted
    require_words(session=session, incident_id=incident_id, drafts=drafts, approved_hash=latest.drafts_hash)
    if problem := check_problem(session=session, incident_id=incident_id, digest=latest.drafts_hash):
        raise NotApproved(incident_id, problem)
    try:
        entry = check_approver(incident_id=incident_id, actor=latest.actor, managers=roster.current(session=session), drafts=drafts)
    except ApprovalRefused as exc:
        raise NotApproved(incident_id, f"the recorded approval is not valid: {exc.reason}") from exc
    if not _proven(session=session, approval=latest, entry=entry):
        raise NotApproved(incident_id, "the recorded approval carries no valid proof of the approver's identity (code or signature)")
    return latest


def _proven(*, session: Session, approval: ApprovalRow, entry: RosterEntry) -> bool:
    """Check again, at send time, the code or signature the approval was given with."""
    if approval.proof == "code" and approval.proof_ref and approval.proof_ref.isdigit():
        return codes.proven_by(session=session, code_id=int(approval.proof_ref), incident_id=approval.incident_id,
                               manager=approval.actor, drafts_hash=approval.drafts_hash)
    if approval.proof == "ed25519" and approval.proof_ref and entry.public_key:
        message = signatures.approval_message(incident_id=approval.incident_id, drafts_hash=approval.drafts_hash,
                                              decision=ApprovalDecision.APPROVED.value)
        return signatures.verify(public_key=entry.public_key, signature=approval.proof_ref, message=message)
    return False


def _require_audited(*, session: Session, approval: ApprovalRow) -> None:
    """Refuse an approval row without its entry in an intact audit chain (e.g. written straight into the database)."""
    try:
        audit.verify(session=session)
    except AuditChainBroken as exc:
        raise NotApproved(approval.incident_id, f"the audit log is broken, so no approval can be trusted: {exc}") from exc
    wanted = (approval.actor, approval.round, approval.drafts_hash)
    every = audit.events_for(session=session, incident_id=approval.incident_id)
    entries = [e for e in every if e.action == f"notices.{ApprovalDecision.APPROVED.value}"]
    if not any((e.actor, e.details.get("round"), e.details.get("drafts_hash")) == wanted for e in entries):
        raise NotApproved(approval.incident_id, "the approval has no matching entry in the audit log (forged?)")
    if audited_hashes(every, approval.round) is None:
        raise NotApproved(approval.incident_id, "the drafts have no notices.drafted entry in the audit log (written into the database?)")
