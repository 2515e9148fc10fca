"""`breach setup` installs the automation that marks a flow run Crashed when its process dies.

A real `prefect server start` (its triggers service evaluates the automation), two flow runs in
their own processes with heartbeats every 30 s: one is SIGKILLed and must turn Crashed; the other
keeps beating and must stay Running. About a minute and a half.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import StateType
from prefect.events.schemas.automations import EventTrigger, Posture
from prefect.settings import PREFECT_API_URL, temporary_settings

from flows import automations
from tests.support.restart import PrefectServer

pytestmark = [pytest.mark.flows, pytest.mark.sqlite_only]  # a Prefect server only: the project database plays no part

REPO = Path(__file__).resolve().parents[2]
BREACH = str(Path(sys.executable).with_name("breach"))
SLEEPER = """
import sys, time
from prefect import flow
@flow(name="zombie-test-" + sys.argv[1])
def sleeper():
    print("RUNNING", flush=True)
    time.sleep(600)
sleeper()
"""


def _env(api_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_API_URL=api_url, PREFECT_FLOWS_HEARTBEAT_FREQUENCY="30", PREFECT_LOGGING_LEVEL="WARNING",
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_HOME=os.environ["PREFECT_HOME"])
    return env


def _state(client, name: str):
    runs = [r for r in client.read_flow_runs() if r.name and client.read_flow(r.flow_id).name == f"zombie-test-{name}"]
    return runs[0].state.type if runs else None


def _wait(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} within {timeout:.0f} s")
        time.sleep(1)


def test_a_killed_flow_run_is_marked_crashed_and_a_live_one_is_left_running(tmp_path):
    server = PrefectServer(tmp_path / "prefect").start()
    procs: list[subprocess.Popen] = []
    try:
        server.wait_ready()
        env = _env(server.api_url)
        for _ in range(2):  # installing twice leaves one automation
            done = subprocess.run([BREACH, "setup", "--within", "45"], env=env, cwd=REPO, capture_output=True, text=True, timeout=120)
            assert done.returncode == 0, done.stderr[-2000:]
            assert "silent for 45 s is marked Crashed" in done.stdout
        for name in ("killed", "alive"):
            procs.append(subprocess.Popen([sys.executable, "-c", SLEEPER, name], env=env, stdout=subprocess.PIPE, text=True,
                                          start_new_session=True))
        for proc in procs:
            assert proc.stdout.readline().strip() == "RUNNING"
        with temporary_settings({PREFECT_API_URL: server.api_url}), get_client(sync_client=True) as client:
            assert [a.name for a in client.read_automations() if a.name == automations.NAME] == [automations.NAME]
            _wait(lambda: _state(client, "killed") == StateType.RUNNING and _state(client, "alive") == StateType.RUNNING,
                  30, "both runs Running")
            os.killpg(procs[0].pid, signal.SIGKILL)
            killed_at = time.monotonic()
            _wait(lambda: _state(client, "killed") == StateType.CRASHED, 150, "the killed run marked Crashed")
            assert time.monotonic() - killed_at > 20  # by the missing heartbeats, not by anything at kill time
            assert _state(client, "alive") == StateType.RUNNING  # heartbeats every 30 s keep it alive past 45 s
            assert procs[1].poll() is None
    finally:
        for proc in procs:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        server.power_off()


def test_the_watch_starts_at_running_and_leaves_a_waiting_run_alone():
    """A run killed before its first heartbeat is watched from its Running event; an approval that waits
    (paused, or suspended with no process at all) is not a dead process."""
    trigger = automations.automation(timedelta(seconds=450)).trigger
    assert isinstance(trigger, EventTrigger)
    assert trigger.after == {"prefect.flow-run.heartbeat", "prefect.flow-run.Running"}
    assert {"prefect.flow-run.Paused", "prefect.flow-run.Suspended", "prefect.flow-run.Completed"} <= trigger.expect
    assert "prefect.flow-run.Running" not in trigger.expect  # Running starts a watch; only news after it ends one
    assert trigger.posture == Posture.Proactive and trigger.within == timedelta(seconds=450)
