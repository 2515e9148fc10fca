"""The security catalogue (issue #19): each test is one attempt, marked with the finding it belongs to.

``@pytest.mark.attack(finding, group, fails_as)``: ``finding`` names the issue's item (e.g. "1",
"bad-input"), ``group`` the row of the count table in docs/security.md, ``fails_as`` what a failure
of the test means: an ``integrity`` failure (something was altered, forged or injected) or a
``traceback`` (bad input ended in anything but one clear error line). A passing test is an attempt
refused cleanly. With ``BREACH_SECURITY_RESULTS=path`` the outcomes are written there as JSON;
``scripts/security_report.py`` turns them into the table.

Every test here works in a database and data folder of its own (tampering commits), with keys
the runtime makes itself, as on a real installation.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import typer

from flows.cli.demo import code_from_outbox
from flows.runtime import Runtime, runtime

MANAGER = "manager@example.com"
RESPONDER = "responder@example.com"
_OUTCOMES: list[dict[str, Any]] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    marker = item.get_closest_marker("attack")
    # one record per attempt: its call, or the setup that failed before it (a setup failure is a failed attempt too)
    if marker is None or not (report.when == "call" or (report.when == "setup" and not report.passed)):
        return
    _OUTCOMES.append({"test": item.nodeid, "finding": marker.kwargs["finding"], "group": marker.kwargs["group"],
                      "fails_as": marker.kwargs["fails_as"], "outcome": "refused" if report.passed else "failed"})


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    target = os.environ.get("BREACH_SECURITY_RESULTS")
    if target and _OUTCOMES:
        Path(target).write_text(json.dumps(_OUTCOMES, indent=1) + "\n", encoding="utf-8")


@pytest.fixture()
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data folder and a SQLite database of this test's own; keys made by the runtime, e-mail into the outbox."""
    for name in ("SENDGRID_API_KEY", "BREACH_SENDGRID_HOST", "BREACH_CONTROLLER_FILE", "BREACH_MASTER_KEY", "BREACH_AUDIT_KEY",
                 "BREACH_MASTER_KEYS_OLD", "BREACH_OUTBOX", "BREACH_AUDIT_HEAD_FILE"):
        monkeypatch.delenv(name, raising=False)
    data = tmp_path / "data"
    monkeypatch.setenv("BREACH_DATA_DIR", str(data))
    monkeypatch.setenv("BREACH_DB_URL", f"sqlite:///{data / 'breach.db'}")
    monkeypatch.setenv("BREACH_MANAGERS", MANAGER)
    monkeypatch.setenv("BREACH_ACTOR", RESPONDER)
    runtime.cache_clear()
    yield data
    runtime.cache_clear()


@pytest.fixture()
def rt(home: Path) -> Runtime:
    """The runtime of this test's installation."""
    return runtime()


@dataclass(frozen=True)
class Ran:
    """What a `breach` command did: its exit code and what it printed."""

    code: int
    out: str
    err: str

    def error_lines(self) -> list[str]:
        """What stderr says beyond warnings (ours, and Prefect's logged `| WARNING |` lines)."""
        return [line for line in self.err.splitlines()
                if line.strip() and not line.startswith(("warning:", "note:")) and not re.match(r"[\d:.]+ \| (WARNING|INFO) ", line)]


@pytest.fixture()
def breach(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]):
    """Run the console entry point as a user would (in this process): `breach("send", id)` -> Ran."""
    from flows.cli import main as cli

    def run(*args: str) -> Ran:
        capsys.readouterr()
        _prefect_console_to(sys.stderr)
        monkeypatch.setattr(sys, "argv", ["breach", *args])
        runtime.cache_clear()
        if args[:1] == ("approve",) and "--code" not in args and "--key" not in args:
            # the manager types the code `breach approve` has just e-mailed (to the outbox folder: no SendGrid key here)
            monkeypatch.setattr(typer, "prompt", lambda *_a, **_k: code_from_outbox(runtime().settings.outbox_dir, args[1])[0])
        try:
            cli.main()
            code = 0
        except SystemExit as exited:
            code = exited.code if isinstance(exited.code, int) else (0 if exited.code is None else 1)
        captured = capsys.readouterr()
        runtime.cache_clear()
        return Ran(code, captured.out, captured.err)

    return run


def _prefect_console_to(stream: Any) -> None:
    """Prefect's console handler keeps the stream it was made with (an earlier test's capture): point it at this one."""
    loggers = [logging.getLogger(), *(value for value in logging.root.manager.loggerDict.values() if isinstance(value, logging.Logger))]
    for handler in {h for logger in loggers for h in logger.handlers}:
        if type(handler).__name__ == "PrefectConsoleHandler":
            handler.stream = stream  # not setStream: it flushes the old, closed stream first
            handler.console.file = stream  # type: ignore[attr-defined]


def refused_cleanly(ran: Ran, *needles: str) -> str:
    """Assert the command ended in exactly one `error: ...` line naming the problem, exit code 2, no traceback."""
    assert "Traceback" not in ran.out + ran.err, ran.err[-3000:]
    assert ran.code == 2, (ran.code, ran.out[-2000:], ran.err[-2000:])
    lines = ran.error_lines()
    assert len(lines) == 1 and lines[0].startswith("error: "), ran.err
    flat = " ".join(ran.err.split())
    for needle in needles:
        assert needle in flat, (needle, flat)
    return flat
