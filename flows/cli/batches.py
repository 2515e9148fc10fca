"""CLI commands: batches (registered by flows.cli.main): uncertain, resend, mark-delivered.

An e-mail batch is uncertain when neither SendGrid's Event Webhook nor its Email Activity API could
say whether SendGrid took its request (docs/reliability.md). The engine never guesses; these
commands let an operator who has checked decide, with a reason kept in the audit log.
"""

from __future__ import annotations

import typer

batches_app = typer.Typer(help="E-mail batches whose outcome is uncertain: list them, resend them, or mark them delivered.",
                          no_args_is_help=True)

_REASON = typer.Option(..., "--reason", help="Why (kept in the audit log; no personal data), e.g. 'not in SendGrid's Activity view'")


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
    app.add_typer(batches_app, name="batches")


@batches_app.command("uncertain")
def list_uncertain(incident_id: str) -> None:
    """The incident's uncertain e-mail batches and how many people each holds."""
    from flows.cli.console import console, table
    from flows.runtime import runtime
    from notices.sending.uncertain import uncertain_batches

    with runtime().sessions() as session:
        found = uncertain_batches(session=session, incident_id=incident_id)
    if not found:
        console.print(f"{incident_id}: no uncertain e-mail batch")
        return
    console.print(table(f"{incident_id}: uncertain e-mail batches", ["batch", "people", "request left", "shown by the webhook since"],
                        [[b.batch_no, b.people, b.since.isoformat() if b.since else "?", b.seen_since] for b in found]))
    console.print(f"decide each: breach batches resend {incident_id} BATCH --reason ...  |  "
                  f"breach batches mark-delivered {incident_id} BATCH --reason ...", soft_wrap=True)


def _decide(incident_id: str, batch_no: int, decision: str, reason: str) -> None:
    from breach import instants
    from flows.cli.console import console
    from flows.runtime import runtime
    from notices.sending.uncertain import Decision, decide

    rt = runtime()
    with rt.sessions.begin() as session:
        done = decide(session=session, incident_id=incident_id, batch_no=batch_no, decision=Decision(decision), actor=rt.actor,
                      reason=reason, now=instants.utcnow())
    if done.by_evidence:
        console.print(f"{done.by_evidence} people of batch {batch_no} were shown by the Event Webhook since: marked accepted, not resent")
    if done.decision == Decision.RESEND:
        console.print(f"batch {batch_no}: {done.people} people will be sent again; run [bold]breach send {incident_id}[/] now")
    else:
        console.print(f"batch {batch_no}: {done.people} people marked accepted by {rt.actor}; "
                      f"run [bold]breach send {incident_id}[/] to finish the incident")


@batches_app.command("resend")
def resend(incident_id: str, batch_no: int, reason: str = _REASON) -> None:
    """Send an uncertain batch's people again (you checked that SendGrid did not take them)."""
    _decide(incident_id, batch_no, "resend", reason)


@batches_app.command("mark-delivered")
def mark_delivered(incident_id: str, batch_no: int, reason: str = _REASON) -> None:
    """Count an uncertain batch's people as taken by SendGrid (you checked that it did); later events still apply."""
    _decide(incident_id, batch_no, "mark_accepted", reason)
