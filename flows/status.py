"""`breach status ID`: one screen with everything about an incident (no personal data)."""

from __future__ import annotations

from breach import approval, clock, deadlines, filing, incidents
from breach.people_store import channel_counts
from notices import outbox
from flows.console import console, show_deadline, show_verdict, table
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
        for d in deadlines.deadlines_of(session=session, incident_id=incident_id):
            if d.state == "running":
                show_deadline(d.due_at, incident.timezone, obligation=d.obligation, party=d.party)
            else:
                console.print(f"  {d.obligation} ({d.party}): [bold]{d.state}[/] at {d.stopped_at.isoformat() if d.stopped_at else '?'} "
                              f"(due {clock.local_text(d.due_at, tz=incident.timezone)})")
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
