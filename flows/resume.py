"""Record a manager's decision (identity proven), and resume the paused run that waits for it.

Used by ``breach approve`` (record first, then wake the run) and by the approval flow itself; a
refused attempt is audited in its own transaction, so a refusal is never lost with a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
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
    again: bool = False  # the same decision was already recorded (a retry): nothing new was written
    note: str | None = None  # why a run that waited could not be resumed


def proof_of(text: str) -> Proof:
    """What a manager typed into the code field: 8 digits are a code, anything else a base64 signature."""
    typed = clean(text)
    return Proof("code", typed) if typed.isdigit() or not typed else Proof("ed25519", typed)


def record(rt: Runtime, *, incident_id: str, approver: str, decision: ApprovalDecision, comment: str, proof: Proof,
           seen_hash: str | None = None, answer: str | None = None) -> bool:
    """Record the decision after roster, four-eyes and identity checks; a refusal is audited, then raised.

    Returns True when the same decision on the same drafts was already recorded (a retry): nothing new was written.
    """
    now = instants.utcnow()
    try:
        with rt.sessions.begin() as session:
            row = approval.decide(session=session, incident_id=incident_id, actor=approver, decision=decision, comment=comment,
                                  proof=proof, code_key=rt.code_key, now=now, seen_hash=seen_hash)
            again = row.decided_at != now
    except ApprovalRefused as exc:
        with rt.sessions.begin() as session:
            approval.refuse(session=session, incident_id=incident_id, actor=approver, refusal=exc, now=instants.utcnow(), answer=answer)
        raise
    return again


def _paused_run(run_id: str | None) -> tuple[str | None, str | None]:
    """(the run id if Prefect has it paused, a note when Prefect cannot be asked or does not know the run)."""
    if not run_id:
        return None, None
    from prefect import get_client

    try:
        with get_client(sync_client=True) as client:
            run = client.read_flow_run(UUID(run_id))
    except Exception as exc:  # the decision is stored; any failure to reach the run is only reported
        known = type(exc).__name__ != "ObjectNotFound"
        reason = f"Prefect could not be asked ({type(exc).__name__})" if known else "Prefect does not know it (any more)"
        return None, f"the flow run {run_id} that waited could not be resumed: {reason}"
    if run.state is None or not run.state.is_paused():
        return None, None
    _let_the_suspended_process_end(run.state)
    return run_id, None


# A suspended run's process exits just after the run turns Suspended. Resumed before it has, a Prefect 3.8
# worker can crash on its capacity limiter ("this borrower is already holding one of this CapacityLimiter's
# tokens"; found by bench/incidents.py). The decision is stored either way; the resume waits this long after
# the suspension so the worker survives.
SUSPEND_SETTLE_S = 3.0


def _let_the_suspended_process_end(state: Any) -> None:
    import time
    from datetime import UTC, datetime

    if getattr(state, "name", None) != "Suspended" or state.timestamp is None:
        return
    since = (datetime.now(UTC) - state.timestamp).total_seconds()
    if 0 <= since < SUSPEND_SETTLE_S:
        time.sleep(SUSPEND_SETTLE_S - since)


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
    again = record(rt, incident_id=incident_id, approver=approver,
                   decision=ApprovalDecision.REJECTED if reject else ApprovalDecision.APPROVED, comment=comment, proof=proof)
    paused, note = _paused_run(run_id)
    if paused:
        from prefect.flow_runs import resume_flow_run

        try:
            answer = {"decision": "reject" if reject else "approve", "approver": approver, "code": CLI_RECORDED, "comment": comment}
            resume_flow_run(UUID(paused), run_input=answer)
        except Exception as exc:  # as above: the decision counts, and `breach send` finds it
            return ApprovalResult("direct", None, again, f"the flow run {paused} could not be resumed ({type(exc).__name__})")
        return ApprovalResult("flow", paused, again)
    return ApprovalResult("direct", None, again, note)
