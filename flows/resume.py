"""Record a manager's decision (identity proven), and resume the paused run that waits for it.

Used by ``breach approve`` (record first, then wake the run) and by the approval flow itself; a
refused attempt is audited in its own transaction, so a refusal is never lost with a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from breach import instants
from breach.approval import decisions as approval
from breach.approval.codes import clean
from breach.approval.decisions import Proof
from breach.enums import ApprovalDecision
from breach.exceptions import ApprovalRefused
from breach.incidents import service as incidents
from flows.runtime import Runtime

CLI_RECORDED = "recorded-by-breach-approve"


@dataclass(frozen=True)
class ApprovalResult:
    via: str  # "flow" when a paused run was resumed, "direct" when recorded here
    flow_run_id: str | None


def proof_of(text: str) -> Proof:
    """What a manager typed into the code field: 8 digits are a code, anything else a base64 signature."""
    typed = clean(text)
    return Proof("code", typed) if typed.isdigit() or not typed else Proof("ed25519", typed)


def record(rt: Runtime, *, incident_id: str, approver: str, decision: ApprovalDecision, comment: str, proof: Proof,
           seen_hash: str | None = None, answer: str | None = None) -> None:
    """Record the decision after roster, four-eyes and identity checks; a refusal is audited, then raised."""
    try:
        with rt.sessions.begin() as session:
            approval.decide(session=session, incident_id=incident_id, actor=approver, decision=decision, comment=comment,
                            proof=proof, code_key=rt.code_key, now=instants.utcnow(), seen_hash=seen_hash)
    except ApprovalRefused as exc:
        with rt.sessions.begin() as session:
            approval.refuse(session=session, incident_id=incident_id, actor=approver, refusal=exc, now=instants.utcnow(), answer=answer)
        raise


def _paused_run(run_id: str | None) -> str | None:
    if not run_id:
        return None
    from prefect import get_client

    with get_client(sync_client=True) as client:
        run = client.read_flow_run(UUID(run_id))
    return run_id if run.state is not None and run.state.is_paused() else None


def wait_until_paused(run_id: str, *, timeout: float = 120.0, poll: float = 0.25) -> bool:
    """Poll Prefect until the run is paused (True) or ``timeout`` seconds pass (False)."""
    import time

    from prefect import get_client

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with get_client(sync_client=True) as client:
            state = client.read_flow_run(UUID(run_id)).state
        if state is not None and state.is_paused():
            return True
        time.sleep(poll)
    return False


def submit_decision(rt: Runtime, *, incident_id: str, approver: str, reject: bool, comment: str, proof: Proof) -> ApprovalResult:
    """Record the decision here first (durable, after the checks), then wake the run that waits for it.

    Recording first means an answer is never lost: if the paused run's process died (a reboot),
    the decision still counts and the next `breach send` finds it.
    """
    with rt.sessions() as session:
        run_id = incidents.get(session=session, incident_id=incident_id).approval_flow_run_id
    record(rt, incident_id=incident_id, approver=approver, decision=ApprovalDecision.REJECTED if reject else ApprovalDecision.APPROVED,
           comment=comment, proof=proof)
    paused = _paused_run(run_id)
    if paused:
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(UUID(paused), run_input={"decision": "reject" if reject else "approve", "approver": approver,
                                           "code": CLI_RECORDED, "comment": comment})
        return ApprovalResult("flow", paused)
    return ApprovalResult("direct", None)
