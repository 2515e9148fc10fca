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


def submit_decision(rt: Runtime, *, incident_id: str, approver: str, reject: bool, comment: str) -> ApprovalResult:
    """Record the decision here first (durable, after the four-eyes checks), then wake the run that waits for it.

    Recording first means an answer is never lost: if the paused run's process died (a reboot),
    the decision still counts and the next `breach send` finds it.
    """
    with rt.sessions.begin() as session:
        run_id = incidents.get(session=session, incident_id=incident_id).approval_flow_run_id
        approval.decide(session=session, incident_id=incident_id, actor=approver,
                        decision=ApprovalDecision.REJECTED if reject else ApprovalDecision.APPROVED,
                        comment=comment, roster=rt.settings.managers, now=instants.utcnow())
    paused = _paused_run(run_id)
    if paused:
        from prefect.flow_runs import resume_flow_run

        resume_flow_run(UUID(paused), run_input={"decision": "reject" if reject else "approve", "approver": approver, "comment": comment})
        return ApprovalResult("flow", paused)
    return ApprovalResult("direct", None)
