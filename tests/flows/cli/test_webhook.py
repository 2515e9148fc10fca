"""`breach webhook serve` refuses to start unconfigured (it would otherwise accept unsigned events)."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from breach.exceptions import ConfigurationError
from flows.cli import main as cli

pytestmark = pytest.mark.flows


def test_serve_refuses_without_a_public_key(rt, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BREACH_WEBHOOK_PUBLIC_KEY", raising=False)
    result = CliRunner().invoke(cli.app, ["webhook", "serve", "--port", "0"])
    assert result.exit_code != 0
    assert isinstance(result.exception, ConfigurationError) and result.exception.setting == "BREACH_WEBHOOK_PUBLIC_KEY"


def test_webhook_group_is_registered() -> None:
    result = CliRunner().invoke(cli.app, ["webhook", "--help"])
    assert result.exit_code == 0 and "serve" in result.stdout
