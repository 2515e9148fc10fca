"""Show flow progress on the terminal with Rich (ids, counts and verdicts only)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from breach import instants

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)


def show_verdict(verdict: dict[str, Any]) -> None:
    """Print an assessment with its rationale."""
    sev = verdict.get("severity") or {}
    colour = {"high": "red", "risk": "yellow"}.get(verdict.get("risk", ""), "green")
    console.print(f"  risk: [bold {colour}]{verdict.get('risk')}[/]   ENISA severity {sev.get('score')} ({sev.get('band')})   "
                  f"notify authority: [bold]{_yn(verdict.get('notify_authority'))}[/]   "
                  f"notify people: [bold]{_yn(verdict.get('notify_subjects'))}[/]")
    if verdict.get("gdpr_applies") is False:
        console.print("  [bold]GDPR: does not apply[/] (Art. 3, first reason below): no EEA or UK authority, no GDPR notice")
    if verdict.get("authority"):
        console.print(f"  lead authority: {verdict['authority'].get('name')} ({verdict['authority'].get('code')})")
    for i, entry in enumerate(verdict.get("rationale", []), 1):
        console.print(f"   {i:>2}. [cyan]{entry['rule']}[/]: {entry['finding']}")


def _yn(value: Any) -> str:
    return "yes" if value else "no"


def show_deadline(due_at: datetime, tz: str, *, obligation: str, party: str) -> None:
    """Print a deadline in the controller's zone, with the time left."""
    now = instants.utcnow()
    left = instants.time_left(due_at, now=now)
    colour = "red" if left.total_seconds() < 6 * 3600 else "yellow" if left.total_seconds() < 24 * 3600 else "green"
    console.print(f"  {obligation} ({party}) due [bold]{instants.local_text(due_at, tz=tz, language='en')}[/] "
                  f"= {due_at.isoformat()} [{colour}]({instants.relative_text(due_at, now=now)})[/]")


def listener(step: str, fields: dict[str, Any]) -> None:
    """Progress listener for flows.progress."""
    handler = _HANDLERS.get(step)
    if handler is not None:
        handler(fields)


class _Bar:
    """One Rich progress bar at a time, for the long steps (import, send)."""

    def __init__(self) -> None:
        self.progress: Progress | None = None
        self.task: Any = None

    def start(self, label: str, total: int | None) -> None:
        self.stop()
        self.progress = Progress(TextColumn(f"  {label}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=console, transient=True)
        self.task = self.progress.add_task(label, total=total)
        self.progress.start()

    def update(self, *, completed: int | None = None, advance: int = 0) -> None:
        if self.progress is not None:
            self.progress.update(self.task, completed=completed, advance=advance)

    def stop(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


_bar = _Bar()


def _import_progress(f: dict[str, Any]) -> None:
    if _bar.progress is None:
        _bar.start("importing people", None)
    _bar.update(completed=f["rows"])


def _opened(f: dict[str, Any]) -> None:
    word = "opened" if f["created"] else "found (same reference)"
    console.print(f"[bold]1. Incident {f['incident_id']}[/] {word}, facts version {f['facts_version']}")


def _assessed(f: dict[str, Any]) -> None:
    console.print(f"[bold]2. Assessment[/] (version {f['verdict'].get('version')})")
    show_verdict(f["verdict"])


def _reassessed(f: dict[str, Any]) -> None:
    console.print(f"  [bold]assessed again[/] (version {f['verdict'].get('version')}): the people file names countries the facts did not")
    show_verdict(f["verdict"])


def _clock(f: dict[str, Any]) -> None:
    console.print("[bold]4. Clock[/]")
    if not f["deadlines"]:
        console.print("  no deadline started (no notification due, or aware_at unknown)")
    for obligation, party, due_at in f["deadlines"]:
        show_deadline(due_at, f["timezone"], obligation=obligation, party=party)


def _imported(f: dict[str, Any]) -> None:
    _bar.stop()
    c = f["counts"]
    console.print("[bold]3. People[/]" + (" (this file was already imported)" if f["skipped"] else ""))
    if not f["skipped"]:
        console.print(f"  {c['rows']:,} rows: {c['imported']:,} imported, {c['rejected']:,} rejected, {c['warnings']:,} warnings")
        console.print(f"  by channel: {counted(c['channels'], CHANNEL_WORDS)}; by language: {counted(c['languages'])}")
        if c["problems"]:
            console.print(f"  problems: {counted(c['problems'])}")
    for line, column, code, message in f["problems"]:
        console.print(f"  [yellow]line {line}[/] {column}: {code}: {message}")


def _drafted(f: dict[str, Any]) -> None:
    console.print(f"[bold]5. Drafts[/] {len(f['drafts'])}: " + ", ".join(f["drafts"]))
    for language, fields in sorted((f.get("missing_translations") or {}).items()):
        console.print(f"  [red]not drafted in {language}:[/] the facts lack {', '.join(fields)} in {language} "
                      f"(add them: [bold]breach translate {f['incident_id']} --lang {language} --file FILE[/])")
    for finding in f.get("findings") or []:
        console.print(f"  [red]content check:[/] {finding['where']}: {finding['code']}: {finding['message']}")
    if f.get("checked") is not None:
        outcome = "[green]passed[/]" if f["checked"] else "[red]not passed: approval is refused until it is fixed[/]"
        console.print("  content check: " + outcome)


def _awaiting(f: dict[str, Any]) -> None:
    sent = f.get("codes_sent", 0)
    console.print(f"[bold]6. Approval[/] waiting for a manager (flow run {f['flow_run_id']}); "
                  f"a one-time approval code was e-mailed to {sent} manager{'' if sent == 1 else 's'} of the roster.\n"
                  f"  From another terminal: [bold]breach approve {f['incident_id']} --as MANAGER-EMAIL --code CODE[/] "
                  "(or the approval form in the Prefect UI)")


def _approval(f: dict[str, Any]) -> None:
    console.print(f"  [green]{f['decision']}[/] by {f['approver']}")


def _refused(f: dict[str, Any]) -> None:
    console.print(f"  [red]refused:[/] {f['reason']}")


def _outbox(f: dict[str, Any]) -> None:
    console.print(f"[bold]7. Sending[/] {f['deliveries']:,} deliveries in {counted(f['batches'], BATCH_WORDS)}")
    _bar.start("sending", f["deliveries"])


def _batch(f: dict[str, Any]) -> None:
    _bar.update(advance=f["sent"])
    console.print(f"  {f['channel']} batch {f['batch_no']}: {f['sent']} sent")


def _public_pending(f: dict[str, Any]) -> None:
    console.print(f"  [yellow]public notice not exported yet:[/] {escape(f['reason'])}", soft_wrap=True)


def export_lines(paths: dict[str, str]) -> list[str]:
    """One line per export; the US regulator filings as one line for their folder (its index.md lists them)."""
    us = [path for kind, path in paths.items() if kind.startswith("us/")]
    lines = [f"  {kind}: {path}" for kind, path in paths.items() if not kind.startswith("us/")]
    if us:
        folder = us[0].rsplit("/", 1)[0]
        lines.insert(0, f"  US filings ({len(us)} files; index.md lists every US duty, its clock and filing code): {folder}/")
    return lines


def _exported(f: dict[str, Any]) -> None:
    _bar.stop()
    console.print("[bold]8. Exports[/]")
    for line in export_lines(f["paths"]):
        console.print(line)


_HANDLERS = {
    "import_progress": _import_progress, "public_notice_pending": _public_pending, "opened": _opened, "assessed": _assessed,
    "clock": _clock, "imported": _imported, "reassessed": _reassessed, "drafted": _drafted,
    "awaiting_approval": _awaiting, "approval": _approval, "approval_refused": _refused, "outbox": _outbox,
    "batch_sent": _batch, "exported": _exported,
}


CHANNEL_WORDS = {"email": ("by e-mail", "by e-mail"), "letter": ("by letter", "by letter"), "none": ("with no channel", "with no channel")}
BATCH_WORDS = {"email": ("e-mail batch", "e-mail batches"), "letter": ("letter batch", "letter batches")}


def counted(counts: dict[str, int], names: dict[str, tuple[str, str]] | None = None) -> str:
    """{'email': 1, 'letter': 2} as '1 e-mail batch, 2 letter batches' (plain keys when no names are given)."""
    parts = []
    for key, n in counts.items():
        one, many = (names or {}).get(key, (key, key))
        parts.append(f"{n:,} {one if n == 1 else many}")
    return ", ".join(parts) or "none"


def table(title: str, columns: list[str], rows: list[list[Any]]) -> Table:
    """A simple Rich table."""
    t = Table(title=title)
    for c in columns:
        t.add_column(c)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    return t


def stop_progress() -> None:
    """Close any progress bar left open (e.g. after an error)."""
    _bar.stop()
