"""CLI commands: discover (registered by flows.cli)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this module's commands to the `breach` app."""
