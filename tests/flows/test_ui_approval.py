"""The manager's path in a real browser: Prefect UI -> Resume -> approval form -> the run records it and sends.

A real ``prefect server`` (UI on) runs on loopback with its own PREFECT_HOME; the flow runs in a
subprocess pointed at it; Debian's Chromium, driven by Playwright, fills the form. Chromium is
Debian's (/usr/bin/chromium): Playwright's bundled browser download does not work here. In CI
(CI=true) a missing browser fails the test; locally it skips with the reason.
"""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import pytest

from breach import audit
from breach.approval import decisions as approval
from breach.controller import load_profile
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import import_people
from breach.store.session import session_factory
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.sending.outbox import delivery_counts
from tests.conftest import NOW, REPO, TEST_AUDIT_KEY_TEXT, TEST_AUDIT_SEAL
from tests.factories import make_incident, write_people_csv
from tests.flows.conftest import MANAGER, RESPONDER

pytestmark = pytest.mark.flows

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-background-networking", "--disable-gpu", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACT = REPO / "test-artifacts" / "approval-form.png"
MASTER_KEY = base64.b64encode(b"ui-test-master-key-32-bytes-long").decode()
# The UI bundle is copied (and patched) into this folder once per Prefect version, not on every run.
UI_CACHE = Path(tempfile.gettempdir()) / "breach-prefect-ui-cache"
PEOPLE = [["Ulla Ui", "da", "ulla@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
          ["Vera Brev", "en", "", "letter", "1 High Street", "AB1 2CD", "Leeds", "GB"]]
RUN_SCRIPT = """
import json, sys
from flows.approve import approve_notices
from flows.send import send_notices
decision = approve_notices(sys.argv[1])
sent = send_notices(sys.argv[1]) if decision == "approved" else None
print("RESULT " + json.dumps({"decision": decision, "sent": sent and sent["sent"]}), flush=True)
"""


def _browser():
    """Playwright's sync API, or a failure naming what is missing (scripts/system-packages.sh installs it)."""
    missing = []
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing.append("the playwright package (pip install -e '.[test]')")
        sync_playwright = None
    if not os.access(CHROMIUM, os.X_OK):
        missing.append(f"{CHROMIUM} (apt-get install chromium)")
    if missing:
        pytest.fail("real-browser approval test needs " + " and ".join(missing))
    return sync_playwright


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _prefect_env(home: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "BREACH_", "SENDGRID_"))}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
               PREFECT_UI_API_URL=f"http://127.0.0.1:{port}/api", PREFECT_SERVER_API_PORT=str(port),
               PREFECT_UI_STATIC_DIRECTORY=str(UI_CACHE))
    return env


def _wait(what: str, check, timeout: float, proc: subprocess.Popen | None = None):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {proc.returncode}")
        try:
            if (value := check()):
                return value
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def _stop(proc: subprocess.Popen | None) -> None:
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _prepare_incident(db_url: str, tmp_path: Path) -> str:
    """An assessed incident with two people and drafted notices, written straight through the domain."""
    sessions = session_factory(db_url, info={audit.SEAL: TEST_AUDIT_SEAL})
    cipher = MultiKeyCipher.from_master_keys([base64.b64decode(MASTER_KEY)])
    people = write_people_csv(tmp_path / "people.csv", PEOPLE)
    with sessions.begin() as session:
        incident_id = make_incident(session=session, now=NOW, reference=f"UI-{time.time_ns()}")
        import_people(session=session, incident_id=incident_id, path=people, cipher=cipher, batch_size=1000, actor=RESPONDER, now=NOW)
        draft_notices(session=session, incident_id=incident_id, controller=load_profile(EXAMPLES / "controller.json"), actor=RESPONDER,
                      now=NOW)
    return incident_id


def _fill_form(sync_playwright, url: str, comment: str) -> None:
    """Open the paused run, click Resume, fill decision / approver / comment, screenshot, submit."""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.set_default_timeout(45_000)
            page.goto(url)
            page.get_by_role("button", name="Resume").first.click()
            modal = page.locator(".p-modal__card", has_text="Resume Flow Run")
            modal.get_by_text("Approve the notices of incident").wait_for()
            decision = modal.locator(".schema-form-property", has_text="Decision").locator(".p-select-button__value")
            assert decision.inner_text().strip() == "approve"
            modal.locator(".schema-form-property", has_text="Approver").locator("textarea").fill(MANAGER)
            modal.locator(".schema-form-property", has_text="Comment").locator("textarea").fill(comment)
            ARTIFACT.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(ARTIFACT))
            modal.get_by_role("button", name="Submit").click()
            page.locator(".p-modal__card", has_text="Resume Flow Run").wait_for(state="detached")
        finally:
            browser.close()


def _paused_run(api: str) -> str | None:
    runs = httpx.post(f"{api}/flow_runs/filter", json={"flow_runs": {"state": {"type": {"any_": ["PAUSED"]}}}}, timeout=5).json()
    return runs[0]["id"] if runs else None


@pytest.mark.sqlite_only  # the browser path uses a SQLite file of its own
def test_manager_approves_in_the_prefect_ui_and_the_run_sends(tmp_path: Path) -> None:
    sync_playwright = _browser()
    started = time.monotonic()
    port, home = _free_port(), tmp_path / "prefect-home"
    api, env = f"http://127.0.0.1:{port}/api", _prefect_env(home, port)
    db_url = f"sqlite:///{tmp_path / 'breach.db'}"
    prefect = str(Path(sys.executable).with_name("prefect"))
    server = flow = None
    try:
        with open(tmp_path / "server.log", "wb") as server_log:  # the child keeps its own copy of the descriptor
            server = subprocess.Popen([prefect, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-services"],
                                      env=env, stdout=server_log, stderr=subprocess.STDOUT, start_new_session=True)
        incident_id = _prepare_incident(db_url, tmp_path)
        _wait("prefect server health", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 240, server)
        phases = {"server_healthy": time.monotonic() - started}
        flow_env = dict(env, PREFECT_API_URL=api, BREACH_DB_URL=db_url, BREACH_DATA_DIR=str(tmp_path / "data"),
                        BREACH_MANAGERS=MANAGER, BREACH_ACTOR=RESPONDER, BREACH_MASTER_KEY=MASTER_KEY,
                        BREACH_AUDIT_KEY=TEST_AUDIT_KEY_TEXT)
        with open(tmp_path / "flow.log", "wb") as flow_log:
            flow = subprocess.Popen([sys.executable, "-c", RUN_SCRIPT, incident_id], env=flow_env, cwd=REPO, stdout=subprocess.PIPE,
                                    stderr=flow_log, start_new_session=True, text=True)
        run_id = _wait("the approval run to pause", lambda: _paused_run(api), 180, flow)
        phases["paused"] = time.monotonic() - started
        _fill_form(sync_playwright, f"http://127.0.0.1:{port}/runs/flow-run/{run_id}", comment="approved in the browser")
        phases["submitted"] = time.monotonic() - started
        out, _ = flow.communicate(timeout=180)
        assert flow.returncode == 0, (tmp_path / "flow.log").read_text(errors="replace")[-2000:]
        result = json.loads(next(line for line in out.splitlines() if line.startswith("RESULT "))[7:])
        state = httpx.get(f"{api}/flow_runs/{run_id}", timeout=5).json()["state"]["type"]
    finally:
        _stop(flow)
        _stop(server)
    assert result == {"decision": "approved", "sent": 2}
    assert state == "COMPLETED"
    with session_factory(db_url, info={audit.SEAL: TEST_AUDIT_SEAL})() as session:
        row = approval.require_approved(session=session, incident_id=incident_id, roster=[MANAGER])
        assert row.actor == MANAGER and row.comment == "approved in the browser"
        assert delivery_counts(session=session, incident_id=incident_id) == {"email": {"accepted": 1}, "letter": {"accepted": 1}}
    assert ARTIFACT.stat().st_size > 10_000
    phases["done"] = time.monotonic() - started
    print("browser approval test, seconds since start:", {k: round(v, 1) for k, v in phases.items()})
