"""`breach letter ID --person CUSTOMER_NUMBER`: the written notice a person asks for after sending, printed once."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the `letter` command to the app."""

    @app.command()
    def letter(incident_id: str,
               person: str = typer.Option(..., "--person",
                                          help="The person's customer number (external_id column of the people file)")) -> None:
        """Print a letter for one person who asked for written notice after the notices were sent (exactly once, audited)."""
        from breach import instants
        from flows.cli.console import console
        from flows.runtime import runtime
        from notices.sending.batches import send_letter_batch
        from notices.sending.on_request import queue_requested_letter

        rt = runtime()
        with rt.sessions.begin() as session:
            batch_no = queue_requested_letter(session=session, incident_id=incident_id, external_id=person, cipher=rt.cipher,
                                              actor=rt.actor, now=instants.utcnow())
        outcome = send_letter_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=batch_no, out_dir=rt.settings.outbox_dir,
                                    cipher=rt.cipher, controller=rt.controller)
        folder = rt.settings.outbox_dir / incident_id / "letters"
        console.print(f"{outcome.sent} letter printed (batch {batch_no}): {sorted(folder.glob(f'*_{batch_no:04d}.pdf'))[-1]}")
