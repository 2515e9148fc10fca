"""Approve or reject from a terminal: record the decision, then resume the paused run if one waits."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from breach import instants
from breach.approval import decisions as approval
from breach.enums import ApprovalDecision
from breach.incidents import service as incidents
from flows.runtime import Runtime


@dataclass(frozen=True)
class ApprovalResult:
    via: str  # "flow" when a paused run was resumed, "direct" when recorded here
    flow_run_id: str | None
    again: bool = False  # the same decision was already recorded (a retry): nothing new was written
    note: str | None = None  # why a run that waited could not be resumed


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
    return (run_id if run.state is not None and run.state.is_paused() else None), None


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


def submit_decision(rt: Runtime, *, incident_id: str, approver: str, reject: bool, comment: str) -> ApprovalResult:
    """Record the decision here first (durable, after the four-eyes checks), then wake the run that waits for it.

    Recording first means an answer is never lost: if the paused run's process died (a reboot),
    the decision still counts and the next `breach send` finds it.
    """
    now = instants.utcnow()
    with rt.sessions.begin() as session:
        run_id = incidents.get(session=session, incident_id=incident_id).approval_flow_run_id
        row = approval.decide(session=session, incident_id=incident_id, actor=approver,
                              decision=ApprovalDecision.REJECTED if reject else ApprovalDecision.APPROVED,
                              comment=comment, roster=rt.settings.managers, now=now)
        again = row.decided_at != now
    paused, note = _paused_run(run_id)
    if paused:
        from prefect.flow_runs import resume_flow_run

        try:
            answer = {"decision": "reject" if reject else "approve", "approver": approver, "comment": comment}
            resume_flow_run(UUID(paused), run_input=answer)
        except Exception as exc:  # as above: the decision counts, and `breach send` finds it
            return ApprovalResult("direct", None, again, f"the flow run {paused} could not be resumed ({type(exc).__name__})")
        return ApprovalResult("flow", paused, again)
    return ApprovalResult("direct", None, again, note)
