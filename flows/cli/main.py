"""The `breach` command line: assess, open, status, approve, send, export, filed, demo, audit.

Every command imports what it needs when it runs: `breach --help` loads neither Prefect, nor
SQLAlchemy, nor the console, and `breach assess` no database (tests/flows/cli/test_imports.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import typer
from rich.markup import escape

# Quiet, patient defaults for Prefect's local ephemeral mode; set before Prefect is imported.
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")

from breach.exceptions import InvalidFacts
from flows.cli.errors import EXIT_ERROR, describe, log_unexpected, quiet_refusals

if TYPE_CHECKING:
    from breach.approval.decisions import Proof
    from breach.facts import Facts
    from flows.runtime import Runtime

app = typer.Typer(help="Personal-data breach response: assess, clock, draft, approve, notify, report.", no_args_is_help=True,
                  pretty_exceptions_enable=False)
audit_app = typer.Typer(help="The hash-chained audit log.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")


@app.callback()
def _remembered_data_dir(ctx: typer.Context) -> None:
    """Without BREACH_DATA_DIR, the data folder of a `breach demo` run from here (unless .breach exists)."""
    if ctx.invoked_subcommand != "demo" and (folder := remembered_data_dir()):
        from flows.cli.console import err

        os.environ["BREACH_DATA_DIR"] = str(folder)
        err.print(f"[dim]using the demo's data folder {folder} (remembered in .breach-demo-dir; BREACH_DATA_DIR overrides it)[/]",
                  soft_wrap=True)


def remembered_data_dir(cwd: Path | None = None) -> Path | None:
    """The folder `breach demo` last used from ``cwd``, when no data folder is configured and `.breach` does not exist."""
    here = cwd or Path.cwd()
    pointer = here / ".breach-demo-dir"
    if os.environ.get("BREACH_DATA_DIR") or os.environ.get("BREACH_DB_URL") or (here / ".breach").exists() or not pointer.is_file():
        return None
    folder = Path(pointer.read_text(encoding="utf-8").strip())
    return folder if (folder / ".breach-demo").is_file() else None


def _fail(message: str, code: int = EXIT_ERROR) -> NoReturn:
    from flows.cli.console import err

    err.print(f"[red]error:[/] {escape(message)}", soft_wrap=True)
    raise typer.Exit(code)


@app.command()
def assess(facts: Path = typer.Argument(..., help="Facts document (incident-facts.schema.json)"),
           as_json: bool = typer.Option(False, "--json", help="Print the assessment as JSON")) -> None:
    """Decide what a facts document calls for; stores nothing, starts no clock."""
    from breach.assess import assess as run_assessment
    from breach.facts import load_facts

    try:
        if not facts.is_file():
            raise InvalidFacts("(document)", f"file not found: {facts}")
        loaded = load_facts(facts)
        result = run_assessment(loaded).to_contract()
    except InvalidFacts as exc:
        _fail(f"invalid facts: {exc}")
    _warn_facts(loaded)
    if as_json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return
    from flows.cli.console import console, show_verdict

    show_verdict(result)
    if result.get("authority_deadline"):
        console.print(f"  authority deadline: {result['authority_deadline']}")


@app.command("open")
def open_(facts: Path = typer.Argument(..., help="Facts document"),
          people: Path | None = typer.Option(None, "--people", help="CSV or JSONL file of affected people")) -> None:
    """Run the whole response: open, assess, import people, start the clocks, draft, wait for approval, send, export."""
    from flows.breach_response import breach_response
    from flows.cli.console import console, listener, stop_progress
    from flows.progress import subscribe

    checked = _check_inputs(facts, people)
    unsubscribe = subscribe(listener)
    try:
        result = breach_response(checked, str(people.resolve()) if people else None)
    finally:
        unsubscribe()
        stop_progress()
    if isinstance(result, dict):
        console.print(f"[bold]Done:[/] {result['incident_id']}, decision: {result['decision']}")


def _check_inputs(facts: Path, people: Path | None) -> Facts:
    """Everything that can be checked before the incident is opened and its clock started: facts, people file, settings."""
    from breach.assess import assess as run_assessment
    from breach.facts import load_facts
    from breach.people.importer import check_people_file
    from flows.cli.console import err
    from flows.runtime import runtime

    if not facts.is_file():
        _fail(f"facts file not found: {facts}")
    try:
        loaded = load_facts(facts)
    except InvalidFacts as exc:
        _fail(f"invalid facts: {exc}")
    run_assessment(loaded)  # what the assessment cannot take is refused before anything is stored
    _warn_facts(loaded)
    if people is not None:
        if not people.is_file():
            _fail(f"people file not found: {people}")
        if ignored := check_people_file(people):
            err.print(f"[yellow]warning:[/] the people file's column(s) {escape(', '.join(map(repr, ignored)))} are not "
                      "people-file columns and are ignored", soft_wrap=True)
    runtime()  # keys, data folder, controller profile: refused here, not halfway through the response
    return loaded


def _warn_facts(facts: Any) -> None:
    from breach import instants, plausible

    for line in plausible.warnings(facts, now=instants.utcnow()):
        from flows.cli.console import err  # only when there is something to say: `breach assess` stays light

        err.print(f"[yellow]warning:[/] {escape(line)}", soft_wrap=True)


@app.command()
def status(incident_id: str,
           lang: str = typer.Option(os.environ.get("BREACH_LANGUAGE", "en"), "--lang",
                                    help="en, da, nb or nl (default: BREACH_LANGUAGE, else en)")) -> None:
    """Show an incident: status, verdict, clocks, people, drafts, approvals, deliveries."""
    from flows.cli.status import show_status
    from flows.cli.words import LANGUAGES
    from flows.runtime import runtime

    if lang not in LANGUAGES:
        _fail(f"--lang must be one of {', '.join(LANGUAGES)}, not {lang!r}", code=2)
    show_status(runtime(), incident_id, language=lang)


@app.command()
def approve(incident_id: str, as_: str = typer.Option(..., "--as", help="Your e-mail on the managers roster"),
            code: str | None = typer.Option(None, "--code", help="The one-time code e-mailed to you; without it (and without "
                                                                   "--key) a new code is e-mailed and asked for"),
            key: Path | None = typer.Option(None, "--key", help="Your Ed25519 private key (PEM) whose public key is on the "
                                                                  "roster: signs the drafts' hash instead of a code"),
            reject: bool = typer.Option(False, "--reject", help="Send the drafts back instead"),
            comment: str = typer.Option("", "--comment", help="Why (kept in the audit log)")) -> None:
    """Approve (or reject) the current drafts of an incident as a manager (four eyes, identity proven)."""
    from flows.cli.console import console
    from flows.resume import submit_decision
    from flows.runtime import runtime

    rt = runtime()
    rt.managers()  # stores BREACH_MANAGERS as the roster if no roster was ever stored
    proof = _proof(rt, incident_id=incident_id, approver=as_, code=code, key=key, reject=reject)
    result = submit_decision(rt, incident_id=incident_id, approver=as_, reject=reject, comment=comment, proof=proof)
    word = "rejection" if reject else "approval"
    if result.again:
        console.print(f"this {word} was already recorded; nothing new was written.")
    if result.note:
        console.print(f"[yellow]note:[/] {escape(result.note)}", soft_wrap=True)
    if result.via == "flow":
        console.print(f"{word} recorded, and the waiting flow run {result.flow_run_id} was resumed.")
    elif reject:
        console.print(f"{word} recorded. No run was waiting; the drafts stay unapproved and nothing will be sent.")
    else:
        console.print(f"{word} recorded. No run was waiting: run [bold]breach send {incident_id}[/] to send.")


def _proof(rt: Runtime, *, incident_id: str, approver: str, code: str | None, key: Path | None, reject: bool) -> Proof:
    """A signature with --key, the --code given, or a fresh code e-mailed to the approver and asked for here."""
    from breach.approval import decisions as approval
    from breach.approval.decisions import Proof
    from breach.approval.signatures import approval_message, sign
    from breach.exceptions import ApprovalRefused
    from flows.approval_codes import refuse_unsendable, send_codes
    from flows.cli.console import console
    from flows.resume import proof_of

    if key is not None:
        with rt.sessions() as session:
            digest = approval.drafts_hash(approval.current_drafts(session=session, incident_id=incident_id))
        console.print(f"signing the drafts with hash {digest[:16]}… of {incident_id} with {key}")
        message = approval_message(incident_id=incident_id, drafts_hash=digest, decision="rejected" if reject else "approved")
        return Proof("ed25519", sign(private_key_file=key, message=message))
    if code is not None:
        return proof_of(code)
    try:
        send_codes(rt, incident_id=incident_id, only=approver, fresh=True)
    except ApprovalRefused as exc:
        refuse_unsendable(rt, incident_id=incident_id, actor=approver, exc=exc)
        raise
    console.print(f"a one-time approval code was e-mailed to {approver.strip().lower()}")
    return proof_of(typer.prompt("approval code"))


@app.command()
def send(incident_id: str) -> None:
    """Send the approved notices of an incident (safe to run again after an interruption)."""
    from flows.cli.console import console, err, listener, stop_progress
    from flows.progress import subscribe
    from flows.send import send_notices

    unsubscribe = subscribe(listener)
    try:
        result = send_notices(incident_id)
    finally:
        unsubscribe()
        stop_progress()
    console.print(f"sent {result['sent']}; deliveries: {result['deliveries']}")
    uncertain = result["deliveries"].get("email", {}).get("uncertain", 0)
    if uncertain:
        err.print(f"[yellow]{uncertain} people in uncertain e-mail batches[/]: neither SendGrid's webhook nor its Activity API could "
                  f"say whether they were sent. Nobody was sent twice or dropped. See [bold]breach batches uncertain {incident_id}[/]; "
                  "running breach send again later looks again.", soft_wrap=True)


@app.command()
def export(incident_id: str,
           authority: str | None = typer.Option(None, "--authority",
                                                help="Authority whose form to fill, e.g. DK, NO (default: the lead); US regulators: "
                                                     "US (all), US-CA (a state's) or a filing code such as US-CA-AG"),
           template: str | None = typer.Option(None, "--template", help="A common template instead, e.g. edpb"),
           followup: bool = typer.Option(False, "--followup",
                                         help="The next supplementary report (Art. 33(4)): what changed since the last filing"),
           english: bool = typer.Option(False, "--english",
                                        help="Also write the pack in English beside the one in the authority's language")) -> None:
    """Export the authority filing pack (JSON, Markdown, PDF), the US regulator filings, and the breach register (CSV)."""
    from flows.cli.console import console, listener
    from flows.export import export_reports
    from flows.progress import subscribe

    # only the refusal of a public notice is told as it happens; the files are listed below
    unsubscribe = subscribe(lambda step, fields: listener(step, fields) if step == "public_notice_pending" else None)
    try:
        exported = export_reports(incident_id, authority, template, followup, english)
    finally:
        unsubscribe()
    for kind, path in exported.items():
        console.print(f"{kind}: {path}")


@app.command()
def filed(incident_id: str, receipt: Path = typer.Option(..., "--receipt", help="The authority's receipt (e.g. the form's PDF)"),
          authority: str | None = typer.Option(None, "--authority",
                                               help="Authority code, e.g. DK; a US regulator's filing code, e.g. US-CA-AG or US-HHS"),
          reference: str | None = typer.Option(None, "--reference", help="The authority's case reference"),
          reasons: str | None = typer.Option(None, "--reasons-for-delay", help="Required when filing after the deadline")) -> None:
    """Record that the notification was filed with the authority; stops that authority's clock."""
    from breach import instants
    from breach.clock.filing import record_filing
    from flows.cli.console import console
    from flows.runtime import runtime

    rt = runtime()
    with rt.sessions.begin() as session:
        row = record_filing(session=session, incident_id=incident_id, authority_code=authority, receipt=receipt, actor=rt.actor,
                            now=instants.utcnow(), authority_reference=reference, reasons_for_delay=reasons, us=rt.controller.us)
        late, code, digest = row.late, row.authority_code, row.receipt_sha256
    console.print(f"filed with {code or 'the authority'}{' (late, reasons recorded)' if late else ''}; "
                  f"receipt sha256 {digest[:16]}…; clock stopped")


@audit_app.command("verify")
def audit_verify() -> None:
    """Check the audit log's hash chain; reports the first broken entry."""
    from breach import audit
    from breach.approval import integrity
    from flows.cli.console import console
    from flows.runtime import runtime

    with runtime().sessions() as session:
        report = audit.verify(session=session)
        problems = integrity.verify_drafts(session=session)
    if problems:
        _fail("the audit chain links up, but the notices are not what it recorded: " + "; ".join(problems))
    keyed = (f"keyed from entry {report.keyed_from}" if report.keyed_from is not None
             else "not keyed yet (it was written before an audit key existed)")
    console.print(f"audit log intact: {report.entries} entries, head {report.head[:16]}…, {keyed}; "
                  f"{report.anchors} head records outside the database agree; the drafts are the ones drafted and approved")


@app.command()
def demo(data_dir: Path = typer.Option(Path("breach-demo"), "--data-dir",
                                       help="Where the demo keeps its database and outputs (reset each run)"),
         example: str = typer.Option("dk", "--example", help="dk (Danish, 1,000 people), nl (Dutch, AP) or us (US states)")) -> None:
    """Run the whole workflow on a bundled example (default: a fictional Danish controller, 1,000 people)."""
    from flows.cli.demo import run_demo

    run_demo(data_dir, example)


@app.command()
def setup(within: int | None = typer.Option(None, "--within", min=30,
                                              help="Seconds without a heartbeat before a run counts as crashed "
                                                   "(default: 2.5 heartbeat intervals, 450 s)")) -> None:
    """Once per shared Prefect server: mark flow runs whose process died as Crashed (an automation)."""
    from datetime import timedelta

    from prefect.settings import get_current_settings

    from flows import automations
    from flows.cli.console import console

    if not get_current_settings().api.url:
        _fail("set PREFECT_API_URL to the shared Prefect server first (the local ephemeral mode keeps no automations)")
    installed = automations.install(timedelta(seconds=within) if within else None)
    console.print(f"automation '{installed.name}' installed ({installed.id}): a flow run silent for "
                  f"{automations.silence_window(installed).total_seconds():.0f} s is marked Crashed", soft_wrap=True)


# Command groups that live in their own modules; each module has register(app).
EXTENSIONS = ("flows.cli.discover", "flows.cli.deadlines", "flows.cli.register", "flows.cli.webhook", "flows.cli.keys",
              "flows.cli.letter", "flows.cli.translate", "flows.cli.batches", "flows.cli.roster")


def _register_extensions() -> None:
    import importlib

    for name in EXTENSIONS:
        importlib.import_module(name).register(app)


_register_extensions()


def main() -> None:
    """Console entry point: every refusal or failure becomes one `error: ...` line and exit code 2 (flows.cli.errors)."""
    quiet_refusals()
    try:
        app()
    except KeyboardInterrupt:
        from flows.cli.console import err, stop_progress

        stop_progress()
        err.print("[red]error:[/] interrupted", soft_wrap=True)
        sys.exit(130)
    except Exception as exc:
        from flows.cli.console import err, stop_progress

        stop_progress()
        line = describe(exc)
        if line is None:
            where = log_unexpected(exc, Path(os.environ.get("BREACH_DATA_DIR") or ".breach") / "logs")
            line = f"unexpected {type(exc).__name__}" + (f"; the traceback is in {where}" if where else "")
        err.print(f"[red]error:[/] {escape(line)}", soft_wrap=True)
        sys.exit(EXIT_ERROR)


if __name__ == "__main__":
    main()
