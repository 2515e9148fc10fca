"""CLI commands: keys (registered by flows.cli.main): new, status, rotate, retire-old."""

from __future__ import annotations

import os
from pathlib import Path

import typer

keys_app = typer.Typer(help="Master keys protecting contact details at rest: make, rotate, retire, back up, restore.",
                       no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
    app.add_typer(keys_app, name="keys")


@keys_app.command("new")
def new(install: bool = typer.Option(False, "--install", help="Make it the current key of the key file in the data dir, "
                                     "keeping the previous keys for decryption (when BREACH_MASTER_KEY is not set)")) -> None:
    """Print a fresh base64 master key (or install it into the key file)."""
    from breach.keys.master import encode_master_key, generate_master_key, install_new_key
    from breach.settings import BreachSettings

    if not install:
        print(encode_master_key(generate_master_key()))
        return
    settings = BreachSettings()
    if settings.master_key is not None:
        raise typer.BadParameter("BREACH_MASTER_KEY is set: put the new key there and the old one in BREACH_MASTER_KEYS_OLD")
    settings.key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    install_new_key(settings.key_file)
    print(f"installed a new current key in {settings.key_file}; now run `breach keys rotate`")


@keys_app.command("backup")
def backup(to: Path = typer.Option(..., "--to", help="A new file for the recovery copy (0600; keep it away from the data)")) -> None:
    """Write a recovery copy of the master keys and the audit key; without it a lost key file means unreadable contacts."""
    from breach import instants
    from breach.keys.recovery import recovery_text, write_new_private
    from flows.cli.console import console
    from flows.runtime import runtime

    rt = runtime()
    seal = rt.audit_seal
    write_new_private(to, recovery_text(master_keys=list(rt.master_keys), audit_key=seal.key if seal else None, now=instants.utcnow()))
    console.print(f"recovery copy written to {to} (master keys {', '.join(f'0x{k:08x}' for k in rt.cipher.key_ids)}"
                  f"{f', audit key {seal.key_id}' if seal else ''}); keep it offline, apart from the data folder")


@keys_app.command("restore")
def restore(source: Path = typer.Argument(..., help="A recovery copy made by `breach keys backup`")) -> None:
    """Put the keys of a recovery copy back as master.key and audit.key when those are missing, after checking them."""
    from breach.keys import guard
    from breach.keys.audit_key import audit_key_id
    from breach.keys.master import encode_master_key
    from breach.keys.recovery import read_recovery, write_new_private
    from breach.settings import BreachSettings
    from breach.store.session import session_factory
    from flows.cli.console import console

    settings = BreachSettings()
    recovered = read_recovery(source)
    with session_factory(settings.database_url)() as session:
        stored = guard.stored_keys(session)
    guard.require_master(stored, known=recovered.master_key_ids)
    if recovered.audit_key is not None:
        guard.require_audit(stored, key_id=audit_key_id(recovered.audit_key))
    written = []
    if settings.master_key is None and not settings.key_file.exists():
        write_new_private(settings.key_file, "".join(encode_master_key(k) + "\n" for k in recovered.master_keys))
        written.append(str(settings.key_file))
    if recovered.audit_key is not None and settings.audit_key is None and not settings.audit_key_file.exists():
        write_new_private(settings.audit_key_file, encode_master_key(recovered.audit_key) + "\n")
        written.append(str(settings.audit_key_file))
    console.print(f"restored {', '.join(written)}" if written
                  else "nothing to restore: the key files are there (or the keys are set in the environment)")


@keys_app.command("status")
def key_status() -> None:
    """How many contacts each key protects; 'pending' must be 0 before an old key is removed."""
    from breach.people.rekey import status
    from flows.cli.console import console
    from flows.runtime import runtime

    rt = runtime()
    with rt.sessions() as session:
        report = status(session=session, cipher=rt.cipher)
    console.print({"current": report.current, "by_key": report.by_key, "pending": report.pending})


@keys_app.command("rotate")
def rotate(chunk: int = typer.Option(1000, "--chunk", min=1, max=100_000, help="Rows per transaction")) -> None:
    """Re-encrypt every contact with the current key, online and resumable (run again after a crash)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from breach import instants
    from breach.people.rekey import rotate_people
    from flows.cli.console import console
    from flows.runtime import runtime

    rt = runtime()
    with Progress(TextColumn("  re-encrypting contacts"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=console, transient=False) as bar:
        task = bar.add_task("rotate", total=None)
        report = rotate_people(sessions=rt.sessions, cipher=rt.cipher, actor=rt.actor, now=instants.utcnow(), chunk=chunk,
                               progress=lambda done, total: bar.update(task, completed=done, total=total))
    console.print(f"rotated {report.rotated} of {report.rows} contacts to key {report.key_id} "
                  f"({report.already_current} already current, {report.index_rekeyed} indexes re-keyed, {report.index_kept} kept)")
    if os.environ.get("BREACH_MASTER_KEYS_OLD"):
        console.print("every contact now uses the current key: you may remove BREACH_MASTER_KEYS_OLD")


@keys_app.command("retire-old")
def retire_old() -> None:
    """Drop the previous keys from the key file once `breach keys status` shows nothing pending."""
    from breach.keys.master import retire_old_keys
    from breach.people.rekey import status
    from flows.cli.console import console
    from flows.runtime import runtime

    rt = runtime()
    with rt.sessions() as session:
        pending = status(session=session, cipher=rt.cipher).pending
    if pending:
        console.print(f"[red]{pending} contacts still use an old key; run `breach keys rotate` first[/]")
        raise typer.Exit(1)
    removed = retire_old_keys(rt.settings.key_file) if rt.settings.master_key is None else 0
    console.print(f"removed {removed} previous keys from {rt.settings.key_file}" if removed else "no previous keys in the key file")
