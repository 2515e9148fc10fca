"""`breach status ID`: one screen with everything about an incident (no personal data)."""

from __future__ import annotations

from datetime import datetime

from breach import approval, clock, deadlines, filing, incidents
from breach.enums import DeadlineState
from breach.people_store import channel_counts
from notices import outbox
from breach.store.tables import DeadlineRow
from flows.console import console, show_verdict, table
from flows.runtime import Runtime


def show_status(rt: Runtime, incident_id: str) -> None:
    """Print an incident's status, verdict, clocks, people, drafts, approvals and deliveries."""
    with rt.sessions() as session:
        incident = incidents.get(session=session, incident_id=incident_id)
        console.print(f"[bold]{incident.id}[/] {incident.reference or ''}  status: [bold]{incident.status}[/]  opened {incident.opened_at.isoformat()}")
        console.print(f"  {incident.summary}")
        assessment = incidents.latest_assessment(session=session, incident_id=incident_id)
        if assessment is not None:
            show_verdict(assessment.result)
        now = clock.utcnow()
        show_obligations(deadlines.deadlines_of(session=session, incident_id=incident_id), tz=incident.timezone, now=now)
        for o in deadlines.pending_obligations(session=session, incident_id=incident_id, now=now):
            console.print(f"  {deadlines.stored_name(o.id)} ({o.party}): [dim]no clock: {o.reason or 'not started'}[/]  [dim]{o.legal_basis.split(':')[0]}[/]")
        console.print(f"  people by channel: {channel_counts(session=session, incident_id=incident_id)}")
        drafts = approval.current_drafts(session=session, incident_id=incident_id)
        if drafts:
            console.print(table("Drafts", ["kind", "language", "channel", "template", "hash"],
                                [[d.kind, d.language, d.channel, d.template_version, d.content_hash[:12]] for d in drafts]))
        try:
            ok = approval.require_approved(session=session, incident_id=incident_id, roster=rt.settings.managers)
            console.print(f"  approved by {ok.actor} at {ok.decided_at.isoformat()}")
        except Exception as exc:  # NotApproved carries the reason to show
            console.print(f"  approval: [yellow]{exc}[/]")
        console.print(f"  deliveries: {outbox.delivery_counts(session=session, incident_id=incident_id)}")
        for f in filing.filings_of(session=session, incident_id=incident_id):
            console.print(f"  filed with {f.authority_code} #{f.sequence} at {f.filed_at.isoformat()} by {f.filed_by}{' (late)' if f.late else ''}")


def obligation_lines(rows: list[DeadlineRow], *, tz: str, now: datetime) -> list[str]:
    """One Rich line per stored obligation: state and time left, coloured by urgency (green > 24 h, yellow > 6 h, red)."""
    lines = []
    for d in rows:
        due = clock.deadline_text(d.due_at, now=now, tz=tz, language="en")
        if d.state == DeadlineState.RUNNING:
            state = "overdue" if clock.is_overdue(d.due_at, now=now) else "running"
            colour = clock.urgency(d.due_at, now=now)
            lines.append(f"  [{colour}]{d.obligation} ({d.party}) due {due} = {d.due_at.isoformat()}: {state}[/]  "
                         f"[dim]{d.legal_basis.split(':')[0]}[/]")
        else:
            stopped = clock.local_text(d.stopped_at, tz=tz) if d.stopped_at else "?"
            lines.append(f"  {d.obligation} ({d.party}): [bold]{d.state}[/] at {stopped} (was due {clock.local_text(d.due_at, tz=tz)})")
    return lines


def show_obligations(rows: list[DeadlineRow], *, tz: str, now: datetime) -> None:
    """Print every obligation of an incident (see ``obligation_lines``)."""
    if not rows:
        console.print("  clocks: none running")
    for line in obligation_lines(rows, tz=tz, now=now):
        console.print(line)
