"""Raise reminders before each deadline and escalate overdue ones, and render letters queued after
bounced e-mails; the scheduled safety net."""

from __future__ import annotations

from datetime import datetime

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from breach import instants
from breach.approval import decisions as approval
from breach.approval import roster
from breach.clock import deadlines
from breach.enums import Channel
from breach.exceptions import NotApproved
from breach.store.tables import DeadlineRow
from flows.runtime import runtime
from flows.send import finish, send_letters
from notices.email.message import EmailBatch, Recipient
from notices.sending import outbox
from notices.sending.batches import BatchBusy


@task
def raise_due_reminders(now_iso: str | None = None) -> list[dict[str, str]]:
    """Claim due reminders (once each), tell the managers and the responder, and refresh the artifacts."""
    rt = runtime()
    now = instants.parse_instant(now_iso) if now_iso else instants.utcnow()
    with rt.sessions.begin() as session:
        due = deadlines.claim_due_reminders(session=session, now=now)
        board = {incident_id: (zone, [_line(r, zone, now) for r in rows])
                 for incident_id, (zone, rows) in deadlines.running_by_incident(session=session).items()}
    raised = []
    for reminder in due:
        zone = board.get(reminder.incident_id, ("UTC", []))[0]
        left = instants.relative_text(reminder.due_at, now=now)
        local = instants.local_text(reminder.due_at, tz=zone)
        subject = f"[{reminder.incident_id}] {reminder.obligation} deadline {local}: {left}"
        _notify(subject=subject, reminder_id=reminder.reminder_id)
        get_run_logger().warning("%s", subject)
        raised.append({"incident_id": reminder.incident_id, "obligation": reminder.obligation, "left": left})
    for incident_id, (_, lines) in board.items():
        create_markdown_artifact(key=artifact_key(incident_id), markdown=board_markdown(incident_id, lines, now=now),
                                 description=f"Running clocks of {incident_id}")
    return raised


def artifact_key(incident_id: str) -> str:
    """The artifact key of an incident's clocks, e.g. clock-br-2026-0007 (Prefect keys are lowercase)."""
    return f"clock-{incident_id.lower()}"


def _line(row: DeadlineRow, zone: str, now: datetime) -> list[str]:
    state = "overdue" if instants.is_overdue(row.due_at, now=now) else instants.urgency(row.due_at, now=now)
    return [f"{row.obligation} ({row.party})", instants.local_text(row.due_at, tz=zone), row.due_at.isoformat(),
            instants.relative_text(row.due_at, now=now), state, row.legal_basis.split(":")[0]]


def board_markdown(incident_id: str, lines: list[list[str]], *, now: datetime) -> str:
    """A Markdown table of every running obligation of an incident and its time left (ids only, no people)."""
    head = f"### {incident_id}: running clocks at {instants.as_utc(now).isoformat()}\n\n"
    table = "| obligation | due (local) | due (UTC) | left | urgency | basis |\n|---|---|---|---|---|---|\n"
    return head + table + "".join("| " + " | ".join(cells) + " |\n" for cells in lines)


def _notify(*, subject: str, reminder_id: int) -> None:
    rt = runtime()
    with rt.sessions() as session:
        managers = {entry.email for entry in roster.current(session=session)}
    to = sorted(managers | {rt.controller.contact_email.lower()})
    recipients = [Recipient(delivery_id=f"reminder-{reminder_id}-{i}", email=e, name=e) for i, e in enumerate(to)]
    rt.sender().send_batch(EmailBatch(incident_id="clock-watch", batch_key=f"reminder-{reminder_id}", subject=subject,
                                      text=subject + "\n\nRun `breach status` for details.", html=None,
                                      from_email=rt.controller.sender_email, from_name=rt.controller.name, recipients=recipients))


@task(persist_result=False, cache_policy=NO_CACHE)
def send_waiting_letters() -> dict[str, int]:
    """Render the letters queued after an incident's e-mail went out (a bounce falls back to a letter,
    notices.sending.fallback), when its drafts are still approved as they are; returns letters per incident."""
    rt = runtime()
    with rt.sessions() as session:
        waiting = outbox.letters_waiting(session=session)
    rendered: dict[str, int] = {}
    for incident_id in waiting:
        with rt.sessions() as session:
            try:
                approval.require_approved(session=session, incident_id=incident_id)
            except NotApproved as exc:  # ids and reasons only, no people
                get_run_logger().warning("%s: letters waiting, not sent: %s", incident_id, exc)
                continue
            batches = outbox.open_batches(session=session, incident_id=incident_id, channel=Channel.LETTER)
        try:
            rendered[incident_id] = sum(send_letters.fn(incident_id, batch_no) for batch_no in batches)
        except BatchBusy:  # a send of this incident is rendering them right now
            continue
        finish.fn(incident_id)
    return rendered


@flow(name="clock-watch")
def clock_watch(now_iso: str | None = None) -> int:
    """Raise every reminder that has fallen due since the last run, refresh each incident's clock
    artifact, and render letters queued after bounced e-mails; returns how many reminders were raised.

    Args:
        now_iso: pretend it is this instant (ISO 8601 with offset); for tests and drills only.
    """
    raised = len(raise_due_reminders(now_iso))
    send_waiting_letters()
    return raised
