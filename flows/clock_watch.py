"""Raise reminders before each deadline and escalate overdue ones; the scheduled safety net."""

from __future__ import annotations

from prefect import flow, get_run_logger, task
from prefect.artifacts import create_markdown_artifact

from breach import clock, deadlines, incidents
from notices.email import EmailBatch, Recipient
from flows.runtime import runtime


@task
def raise_due_reminders() -> list[dict[str, str]]:
    """Claim due reminders (once each), tell the managers and the responder, and refresh the artifacts."""
    rt = runtime()
    now = clock.utcnow()
    with rt.sessions.begin() as session:
        due = deadlines.claim_due_reminders(session=session, now=now)
        zones = {d.incident_id: incidents.get(session=session, incident_id=d.incident_id).timezone for d in due}
    raised = []
    for reminder in due:
        left = clock.relative_text(reminder.due_at, now=now)
        local = clock.local_text(reminder.due_at, tz=zones[reminder.incident_id])
        subject = f"[{reminder.incident_id}] {reminder.obligation} deadline {local}: {left}"
        _notify(subject=subject, reminder_id=reminder.reminder_id)
        create_markdown_artifact(key=f"clock-{reminder.incident_id.lower()}",
                                 markdown=f"| obligation | due | left |\n|---|---|---|\n| {reminder.obligation} ({reminder.party}) | {local} | {left} |")
        get_run_logger().warning("%s", subject)
        raised.append({"incident_id": reminder.incident_id, "obligation": reminder.obligation, "left": left})
    return raised


def _notify(*, subject: str, reminder_id: int) -> None:
    rt = runtime()
    to = sorted(set(rt.settings.managers) | {rt.controller.contact_email.lower()})
    recipients = [Recipient(delivery_id=f"reminder-{reminder_id}-{i}", email=e, name=e) for i, e in enumerate(to)]
    rt.sender().send_batch(EmailBatch(incident_id="clock-watch", batch_key=f"reminder-{reminder_id}", subject=subject,
                                      text=subject + "\n\nRun `breach status` for details.", html=None,
                                      from_email=rt.controller.sender_email, from_name=rt.controller.name, recipients=recipients))


@flow(name="clock-watch")
def clock_watch() -> int:
    """Raise every reminder that has fallen due since the last run; returns how many."""
    return len(raise_due_reminders())
