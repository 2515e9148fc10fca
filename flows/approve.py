"""Wait for a manager to approve the drafts (four eyes, identity proven), as a Prefect pause with a typed form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.flow_runs import pause_flow_run, suspend_flow_run
from prefect.input import RunInput
from prefect.runtime import deployment, flow_run
from pydantic import Field

from breach import instants
from breach.approval import decisions as approval
from breach.approval.codes import DIGITS, LIFETIME
from breach.approval.signatures import approval_message
from breach.clock import deadlines
from breach.enums import ApprovalDecision
from breach.exceptions import ApprovalRefused, NotApproved
from breach.incidents import service as incidents
from flows.approval_codes import send_codes
from flows.case_file import case_file_url, refresh_case_file
from flows.progress import emit
from flows.resume import proof_of, record
from flows.runtime import runtime

MAX_ATTEMPTS = 5
DEFAULT_WAIT = timedelta(hours=1)


class ApprovalInput(RunInput):
    decision: Literal["approve", "reject"] = Field(description="Approve the drafts for sending, or send them back")
    approver: str = Field(min_length=3, description="Your e-mail address as it stands on the managers roster")
    code: str = Field(min_length=1, description=f"The {DIGITS}-digit approval code e-mailed to that address "
                                                "(or, with an Ed25519 key on the roster, your signature in base64)")
    comment: str = Field(default="", description="Why, or what must change (kept in the audit log)")


@task
def approval_status(incident_id: str) -> dict[str, Any]:
    """Whether the current drafts are approved, what a manager is asked to approve, and the nearest deadline."""
    rt = runtime()
    rt.managers()  # stores BREACH_MANAGERS as the roster if no roster was ever stored
    now = instants.utcnow()
    with rt.sessions() as session:
        drafts = approval.current_drafts(session=session, incident_id=incident_id)
        try:
            approval.require_approved(session=session, incident_id=incident_id)
            approved = True
        except NotApproved:
            approved = False
        zone = incidents.get(session=session, incident_id=incident_id).timezone
        clocks = [d for d in deadlines.deadlines_of(session=session, incident_id=incident_id) if d.state == "running"]
        nearest = min(clocks, key=lambda d: d.due_at, default=None)
        left = instants.time_left(nearest.due_at, now=now) if nearest else DEFAULT_WAIT
        due = (f"{nearest.obligation} ({nearest.party}) due {instants.local_text(nearest.due_at, tz=zone)}: "
               f"{instants.relative_text(nearest.due_at, now=now)}") if nearest else "no clock running"
        return {"approved": approved, "drafts": [f"{d.kind}/{d.language}/{d.channel}" for d in drafts],
                "hash": approval.drafts_hash(drafts) if drafts else "", "seconds_left": int(left.total_seconds()), "due": due}


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


@task(persist_result=False, cache_policy=NO_CACHE)
def e_mail_codes(incident_id: str) -> int:
    """E-mail a one-time code to each manager who may approve and holds no live code for these drafts."""
    sent = send_codes(runtime(), incident_id=incident_id)
    get_run_logger().info("approval codes e-mailed to %d manager(s) of the roster", sent)
    return sent


@task(persist_result=False, cache_policy=NO_CACHE)
def record_decision(incident_id: str, answer: dict[str, Any], seen_hash: str, last_before: int, answer_key: str) -> dict[str, str]:
    """Record the manager's answer after the roster, four-eyes and identity checks.

    `breach approve` records the decision itself before it resumes the run; a matching decision
    newer than `last_before` is that one, and is not recorded twice. A resumed deployment run reads
    its earlier answers again: one already refused (``answer_key``) is not processed twice.
    """
    rt = runtime()
    decision = ApprovalDecision.APPROVED if answer["decision"] == "approve" else ApprovalDecision.REJECTED
    with rt.sessions() as session:
        latest = approval.latest_decision(session=session, incident_id=incident_id)
        if (latest is not None and latest.id > last_before and latest.decision == decision and latest.drafts_hash == seen_hash
                and latest.actor == answer["approver"].strip().lower()):
            emit("approval", incident_id=incident_id, decision=decision.value, approver=latest.actor)
            return {"outcome": decision.value, "reason": latest.comment}
        earlier = approval.refusal_of(session=session, incident_id=incident_id, answer=answer_key)
    if earlier is not None:
        return {"outcome": "refused", "reason": earlier["reason"]}
    try:
        record(rt, incident_id=incident_id, approver=answer["approver"], decision=decision, comment=answer.get("comment", ""),
               proof=proof_of(answer.get("code", "")), seen_hash=seen_hash, answer=answer_key)
    except ApprovalRefused as exc:
        get_run_logger().warning("approval refused: %s", exc.reason)
        emit("approval_refused", incident_id=incident_id, reason=exc.reason)
        return {"outcome": "refused", "reason": exc.reason}
    emit("approval", incident_id=incident_id, decision=decision.value, approver=answer["approver"].strip().lower())
    return {"outcome": decision.value, "reason": answer.get("comment", "")}


def describe(incident_id: str, status: dict[str, Any], refused: str | None, case_file: str) -> str:
    """The form's text: where the case file is, which drafts, their hash, the deadline and how to prove who you are."""
    drafts = "\n".join(f"  - `{label}`" for label in status["drafts"])
    again = f"**Refused:** {refused}. Try again.\n\n" if refused else ""
    message = approval_message(incident_id=incident_id, drafts_hash=status["hash"], decision=ApprovalDecision.APPROVED.value).decode()
    return (f"## Approve the notices of incident `{incident_id}`\n\n{again}"
            f"**Read the case file first:** [the case file of {incident_id}]({case_file}) holds the verdict and every draft "
            f"in full ([all its versions]({case_file_url(incident_id)})).\n\n"
            f"- **Deadline:** {status['due']}\n- **Drafts' hash:** `{status['hash'][:16]}…` (your decision binds exactly these "
            "drafts; the full hash is in the lines below)\n"
            f"- **Drafts ({len(status['drafts'])}):**\n{drafts}\n\n"
            f"A one-time code ({DIGITS} digits, valid {int(LIFETIME.total_seconds() // 60)} minutes, usable once) was e-mailed "
            "to each manager on the roster who did not draft these notices. Enter your roster address and your code. "
            "A manager with an Ed25519 key on the roster may instead paste the base64 signature of these lines "
            f"(`breach approve {incident_id} --as EMAIL --key FILE` does it for you):\n\n```\n{message}```\n")


def _ask(incident_id: str, status: dict[str, Any], key: str, refused: str | None, case_file: str) -> dict[str, Any]:
    form = ApprovalInput.with_initial_data(description=describe(incident_id, status, refused, case_file), decision="approve")
    # A deployment run suspends (no process held for days); a local run pauses in-process.
    left = status["seconds_left"]
    wait = max(300, left) if deployment.id else max(300, min(left, int(DEFAULT_WAIT.total_seconds())))
    if deployment.id:
        answer = suspend_flow_run(wait_for_input=form, timeout=wait, key=key)
    else:
        answer = pause_flow_run(wait_for_input=form, timeout=wait, poll_interval=2, key=key)
    return answer.model_dump(include={"decision", "approver", "code", "comment"})


@flow(name="approve-notices")
def approve_notices(incident_id: str) -> str:
    """Pause until a manager approves or rejects; returns 'approved', 'rejected', 'refused' or 'nothing'."""
    return await_approval(incident_id)


def await_approval(incident_id: str) -> str:
    """The approval step inside the current flow run (not a subflow: Prefect suspends only a deployment's own run,
    never a subflow, so breach-response waits in its own run)."""
    status = approval_status(incident_id)
    if status["approved"]:
        return "approved"
    if not status["drafts"]:
        return "nothing"
    remember_paused_run(incident_id, str(flow_run.id))
    refused = None
    for attempt in range(MAX_ATTEMPTS):
        sent = e_mail_codes(incident_id)
        case_file = refresh_case_file(incident_id)
        if attempt == 0:
            emit("awaiting_approval", incident_id=incident_id, flow_run_id=str(flow_run.id), drafts=status["drafts"], codes_sent=sent)
        last_before = newest_decision_id(incident_id)
        key = f"approval-{status['hash'][:12]}-{attempt}"
        answer = _ask(incident_id, status, key, refused, case_file)
        outcome = record_decision(incident_id, answer, status["hash"], last_before, f"{flow_run.id}:{key}")
        if outcome["outcome"] != "refused":
            refresh_case_file(incident_id)
            return outcome["outcome"]
        refused = outcome["reason"]
    return "refused"
