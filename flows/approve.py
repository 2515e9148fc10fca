"""Wait for a manager to approve the drafts (four eyes), as a Prefect pause with a typed form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from prefect import flow, task
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment, flow_run
from pydantic import Field

from breach import instants
from breach.approval import decisions as approval
from breach.clock import deadlines
from breach.enums import ApprovalDecision
from breach.exceptions import ApprovalRefused, NotApproved
from breach.incidents import service as incidents
from flows.progress import emit
from flows.runtime import runtime

MAX_ATTEMPTS = 5
DEFAULT_WAIT = timedelta(hours=1)


class ApprovalInput(RunInput):
    decision: Literal["approve", "reject"] = Field(description="Approve the drafts for sending, or send them back")
    approver: str = Field(min_length=3, description="Your e-mail address as it stands on the managers roster")
    comment: str = Field(default="", description="Why, or what must change (kept in the audit log)")


@task
def approval_status(incident_id: str) -> dict[str, Any]:
    """Whether the current drafts are approved, and what a manager is asked to approve."""
    rt = runtime()
    with rt.sessions() as session:
        drafts = approval.current_drafts(session=session, incident_id=incident_id)
        try:
            approval.require_approved(session=session, incident_id=incident_id, roster=rt.settings.managers)
            approved = True
        except NotApproved:
            approved = False
        clocks = [d for d in deadlines.deadlines_of(session=session, incident_id=incident_id) if d.state == "running"]
        left = min((instants.time_left(d.due_at, now=instants.utcnow()) for d in clocks), default=DEFAULT_WAIT)
        return {"approved": approved, "drafts": [f"{d.kind}/{d.language}/{d.channel}" for d in drafts],
                "hash": approval.drafts_hash(drafts) if drafts else "", "seconds_left": int(left.total_seconds())}


@task
def newest_decision_id(incident_id: str) -> int:
    """The id of the newest recorded decision (0 if none), taken before the manager is asked."""
    with runtime().sessions() as session:
        latest = approval.latest_decision(session=session, incident_id=incident_id)
        return latest.id if latest is not None else 0


@task
def remember_paused_run(incident_id: str, run_id: str) -> None:
    """Store which flow run waits for this incident's approval, so `breach approve` can resume it."""
    rt = runtime()
    with rt.sessions.begin() as session:
        incidents.get(session=session, incident_id=incident_id).approval_flow_run_id = run_id


@task
def record_decision(incident_id: str, answer: dict[str, Any], seen_hash: str, last_before: int) -> dict[str, str]:
    """Record the manager's answer after the roster and four-eyes checks.

    `breach approve` records the decision itself before it resumes the run (so an answer given
    while no process holds the run is not lost); a matching decision newer than `last_before`
    (the newest decision id when the manager was asked) is that one, and is not recorded twice.
    """
    rt = runtime()
    decision = ApprovalDecision.APPROVED if answer["decision"] == "approve" else ApprovalDecision.REJECTED
    with rt.sessions() as session:
        latest = approval.latest_decision(session=session, incident_id=incident_id)
        if (latest is not None and latest.id > last_before and latest.decision == decision and latest.drafts_hash == seen_hash
                and latest.actor == answer["approver"].strip().lower()):
            emit("approval", incident_id=incident_id, decision=decision.value, approver=latest.actor)
            return {"outcome": decision.value, "reason": latest.comment}
    try:
        with rt.sessions.begin() as session:
            approval.decide(session=session, incident_id=incident_id, actor=answer["approver"], decision=decision,
                            comment=answer.get("comment", ""), roster=rt.settings.managers, now=instants.utcnow(), seen_hash=seen_hash)
    except ApprovalRefused as exc:
        emit("approval_refused", incident_id=incident_id, reason=exc.reason)
        return {"outcome": "refused", "reason": exc.reason}
    emit("approval", incident_id=incident_id, decision=decision.value, approver=answer["approver"])
    return {"outcome": decision.value, "reason": answer.get("comment", "")}


def _ask(incident_id: str, status: dict[str, Any], attempt: int) -> dict[str, Any]:
    drafts = "\n".join(f"- `{label}`" for label in status["drafts"])
    form = ApprovalInput.with_initial_data(
        description=f"## Approve the notices of incident `{incident_id}`\n\nDrafts (hash `{status['hash'][:16]}`):\n{drafts}\n\n"
                    "Only a manager on the roster who did not draft them may approve.", decision="approve")
    # A deployment run suspends (no process held for days); a local run pauses in-process.
    left = status["seconds_left"] if deployment.id else min(status["seconds_left"], int(DEFAULT_WAIT.total_seconds()))
    wait = max(300, left)
    key = f"approval-{status['hash'][:12]}-{attempt}"
    if deployment.id:
        answer = suspend_flow_run(wait_for_input=form, timeout=wait, key=key)
    else:
        answer = pause_flow_run(wait_for_input=form, timeout=wait, poll_interval=2, key=key)
    return answer.model_dump(include={"decision", "approver", "comment"})


@flow(name="approve-notices")
def approve_notices(incident_id: str) -> str:
    """Pause until a manager approves or rejects; returns 'approved', 'rejected', 'refused' or 'nothing'."""
    status = approval_status(incident_id)
    if status["approved"]:
        return "approved"
    if not status["drafts"]:
        return "nothing"
    remember_paused_run(incident_id, str(flow_run.id))
    emit("awaiting_approval", incident_id=incident_id, flow_run_id=str(flow_run.id), drafts=status["drafts"])
    for attempt in range(MAX_ATTEMPTS):
        last_before = newest_decision_id(incident_id)
        outcome = record_decision(incident_id, _ask(incident_id, status, attempt), status["hash"], last_before)
        if outcome["outcome"] != "refused":
            return outcome["outcome"]
    return "refused"
