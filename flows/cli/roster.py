"""CLI commands: roster (registered by flows.cli.main): show, set.

The managers roster is installation configuration kept in the database (breach.approval.roster);
``breach roster set FILE`` replaces it and the change is audited. BREACH_MANAGERS only seeds it
once, while no roster was ever stored.
"""

from __future__ import annotations

from pathlib import Path

import typer

roster_app = typer.Typer(help="Who may approve notices: the managers roster, stored in the database.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
    app.add_typer(roster_app, name="roster")


@roster_app.command("show")
def show() -> None:
    """List the managers on the roster (e-mail, language, key, other identities)."""
    from flows.cli.console import console, table
    from flows.runtime import runtime

    entries = runtime().managers()
    if not entries:
        console.print("the roster is empty: nobody can approve. Set it with [bold]breach roster set FILE[/]")
        return
    rows = [[e.email, e.name or "", e.language, "ed25519" if e.public_key else "", ", ".join(e.logins)] for e in entries]
    console.print(table("Managers roster", ["e-mail", "name", "language", "key", "other identities"], rows))


@roster_app.command("set")
def set_(file: Path = typer.Argument(..., help="Roster file (JSON; format in breach/approval/roster.py and the README)")) -> None:
    """Replace the roster with the managers in FILE; the change is audited (who was added, removed, changed)."""
    from breach import instants
    from breach.approval import roster
    from flows.cli.console import console
    from flows.runtime import runtime

    entries = roster.parse_roster_file(file)
    rt = runtime()
    with rt.sessions.begin() as session:
        change = roster.set_roster(session=session, entries=entries, actor=rt.actor, now=instants.utcnow(), source=f"file {file.name}")
    if change.empty:
        console.print(f"roster unchanged ({len(entries)} managers)")
        return
    console.print(f"roster set by {rt.actor}: {len(entries)} managers; added {change.added or 'none'}, removed {change.removed or 'none'}, "
                  f"changed {change.changed or 'none'} (audited)", soft_wrap=True)
