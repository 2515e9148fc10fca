"""CLI commands: `breach register export` and `breach register stats` (the Art. 33(5) breach register)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Literal

import typer

FORMATS: dict[str, Literal["csv", "json"]] = {"csv": "csv", "json": "json"}


def _day(value: str | None, option: str) -> date | None:
    """A YYYY-MM-DD option as a date; a bad value exits 2 naming the option."""
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"expected YYYY-MM-DD, got {value!r}", param_hint=option) from exc


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
    group = typer.Typer(help="The breach register (Art. 33(5)): every breach, notified or not.", no_args_is_help=True)
    app.add_typer(group, name="register")

    @group.command("export")
    def register_export(
        date_from: str | None = typer.Option(None, "--from", help="First day (YYYY-MM-DD, by awareness)"),
        date_to: str | None = typer.Option(None, "--to", help="Last day (YYYY-MM-DD)"),
        fmt: str = typer.Option("csv", "--format", help="csv or json"),
        out: Path | None = typer.Option(None, "--out", help="File to write (default: exports/breach-register.<format>)"),
    ) -> None:
        """Write the register: facts, effects, remedial action, verdict and rationale, deadlines, filings and receipts."""
        from breach import instants
        from flows.cli.console import console
        from flows.runtime import runtime
        from notices.register.export import export_register

        kind = FORMATS.get(fmt)
        if kind is None:
            raise typer.BadParameter("csv or json", param_hint="--format")
        start, end = _day(date_from, "--from"), _day(date_to, "--to")
        rt = runtime()
        with rt.sessions.begin() as session:
            written = export_register(session=session, out_dir=rt.settings.data_dir / "exports", path=out, actor=rt.actor,
                                      now=instants.utcnow(), fmt=kind, date_from=start, date_to=end)
        console.print(f"register_{fmt}: {written.path} (sha256 {written.sha256[:16]}…)", soft_wrap=True)

    @group.command("stats")
    def register_stats_cmd(plot: Path | None = typer.Option(None, "--plot", help="Also draw the numbers as a PNG chart"),
                           as_json: bool = typer.Option(False, "--json", help="Print the numbers as JSON")) -> None:
        """Counts per year and verdict, median hours from awareness to filing, late filings."""
        from flows.cli.console import console
        from flows.runtime import runtime
        from notices.register.export import register_rows
        from notices.register.stats import plot_stats, register_stats

        with runtime().sessions() as session:
            stats = register_stats(register_rows(session=session))
        if plot is not None:
            plot_stats(stats, plot)
        if as_json:
            print(json.dumps(stats, indent=2))
            return
        for year, verdicts in stats["per_year"].items():
            console.print(f"{year}: " + ", ".join(f"{v} {n}" for v, n in verdicts.items()))
        median = stats["median_hours_to_filing"]
        console.print(f"breaches {stats['incidents']}; filed {stats['filed']}; median hours to filing "
                      f"{median if median is not None else 'n/a'}; late filings {stats['late_filings']}")
        if plot is not None:
            console.print(f"chart: {plot}", soft_wrap=True)


