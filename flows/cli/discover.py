"""CLI commands: discover (registered by flows.cli.main)."""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
    app.command("discover")(discover)


def discover(file: Path = typer.Argument(..., help="Leaked sample: CSV, JSON lines, SQL dump or text/log"),
             as_json: bool = typer.Option(False, "--json", help="Print the whole report as JSON"),
             facts: bool = typer.Option(False, "--facts", help="Print data_categories and subjects_affected for a facts document")) -> None:
    """Find which kinds of personal data a leaked sample holds, where, and for about how many people."""
    from breach.discover import discover as scan

    if as_json and facts:
        _fail("choose one of --json and --facts")
    problem = _unreadable(file)
    if problem:
        _fail(problem)
    try:
        with _bar(file) as progress:
            report = scan(file, progress=progress)
    except OSError as exc:
        _fail(f"cannot read {file}: {exc.strerror or exc}")
    if as_json or facts:
        print(json.dumps(report.to_facts() if facts else report.to_json(), ensure_ascii=False, indent=2))
        return
    _show(report)


def _fail(message: str) -> None:
    from flows.cli.console import err

    err.print(f"[red]error:[/] {message}", soft_wrap=True, markup=True)
    raise typer.Exit(2)


def _unreadable(file: Path) -> str | None:
    if not file.exists():
        return f"file not found: {file}"
    if not file.is_file():
        return f"not a file: {file}"
    try:
        with file.open("rb") as f:
            f.read(1)
    except OSError as exc:
        return f"cannot read {file}: {exc.strerror or exc}"
    return None


class _bar:
    """A byte progress bar on stderr, so --json output on stdout stays clean."""

    def __init__(self, file: Path) -> None:
        from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn

        from flows.cli.console import err

        self.err = err
        self.progress = Progress(TextColumn(f"  scanning {file.name}"), BarColumn(), DownloadColumn(), TransferSpeedColumn(),
                                 TimeRemainingColumn(), console=err, transient=True)
        self.task = self.progress.add_task("scan", total=file.stat().st_size)

    def __enter__(self):
        if not self.err.is_terminal:
            return None  # no bar into a pipe or a log file
        self.progress.start()
        return lambda done, total: self.progress.update(self.task, completed=done, total=total)

    def __exit__(self, *exc: object) -> None:
        if self.progress.live.is_started:
            self.progress.stop()


def _show(report) -> None:
    from rich.markup import escape

    from flows.cli.console import console, table

    subjects, basis = report.subjects()
    console.print(f"[bold]{report.file}[/] ({report.format}, {report.records:,} records, {report.bytes / 1e6:.1f} MB "
                  f"in {report.seconds:.1f} s)")
    if not report.findings:
        console.print("  no personal data found")
        return
    rows = [[escape(f.field), f.category, f"{f.values:,}", f"{f.valid}/{f.checked}",
             "" if f.distinct is None else f"{'~' if f.distinct_is_estimate else ''}{f.distinct:,}",
             escape(f.examples[0] if f.examples else "")]
            for f in report.findings]
    console.print(table("Personal data found", ["field", "category", "values", "valid/checked", "distinct", "example"], rows))
    console.print(f"  data categories: [bold]{', '.join(report.categories)}[/]")
    console.print(f"  people affected (estimate): [bold]{subjects:,}[/] from {basis}")
