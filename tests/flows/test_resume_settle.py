"""A decision resumes a suspended run only once its process has had time to end (a Prefect 3.8 worker crash otherwise)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from prefect.states import Paused, Suspended

from flows import resume


@pytest.mark.parametrize(("state", "waits"), [
    (Suspended(), True),  # just suspended: its process may still be exiting
    (Paused(), False),  # an in-process pause holds its process on purpose: nothing to wait for
])
def test_a_run_suspended_a_moment_ago_is_resumed_after_the_settle_time(monkeypatch, state, waits):
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    state.timestamp = datetime.now(UTC) - timedelta(seconds=1)
    resume._let_the_suspended_process_end(state)
    if waits:
        assert len(slept) == 1 and 0 < slept[0] <= resume.SUSPEND_SETTLE_S - 1 + 0.5
    else:
        assert slept == []


def test_a_run_suspended_long_ago_is_resumed_at_once(monkeypatch):
    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    state = Suspended()
    state.timestamp = datetime.now(UTC) - timedelta(minutes=10)
    resume._let_the_suspended_process_end(state)
    assert slept == []
