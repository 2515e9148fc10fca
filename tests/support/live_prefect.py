"""A real `prefect server` (UI on) on loopback with the breach-response deployment served from this checkout.

For the browser and REST API tests: the server gets its own PREFECT_HOME, the deployment is served by
tests/support/serve_response.py (each flow run in its own process, as a worker runs prefect.yaml's
deployments) with its own SQLite database, data folder and master key. Optionally the API demands
PREFECT_SERVER_API_AUTH_STRING (HTTP Basic), as a shared installation should.
"""

from __future__ import annotations

import base64
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from tests.conftest import REPO

MASTER_KEY = base64.b64encode(b"ui-test-master-key-32-bytes-long").decode()
MANAGER = "manager@example.com"
# The UI bundle is copied (and patched) into this folder once per Prefect version, not on every run.
UI_CACHE = Path(tempfile.gettempdir()) / "breach-prefect-ui-cache"
PREFECT = str(Path(sys.executable).with_name("prefect"))


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait(what: str, check: Callable[[], Any], timeout: float, proc: subprocess.Popen | None = None, poll: float = 0.3) -> Any:
    """Poll ``check`` until it returns something truthy; fail naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {proc.returncode}")
        try:
            if value := check():
                return value
        except httpx.HTTPError:
            pass
        time.sleep(poll)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def stop(proc: subprocess.Popen | None) -> None:
    """Stop a process group started here (SIGTERM, then SIGKILL)."""
    if proc is None or proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


class LivePrefect:
    """Server + served deployment; use as a context manager. ``api`` is the API URL, ``ui`` the UI's."""

    def __init__(self, root: Path, *, auth: str | None = None, managers: str = MANAGER) -> None:
        self.root, self.auth, self.port = root, auth, free_port()
        self.api, self.ui = f"http://127.0.0.1:{self.port}/api", f"http://127.0.0.1:{self.port}"
        self.db_url = f"sqlite:///{root / 'breach.db'}"
        self.data_dir = root / "data"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith(("PREFECT_", "BREACH_", "SENDGRID_"))}
        self.env.update(PREFECT_HOME=str(root / "prefect-home"), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
                        PREFECT_UI_API_URL=self.api, PREFECT_SERVER_API_PORT=str(self.port), PREFECT_UI_STATIC_DIRECTORY=str(UI_CACHE),
                        PREFECT_UI_URL=self.ui)
        if auth:
            self.env["PREFECT_SERVER_API_AUTH_STRING"] = auth
        # flow runs log at INFO, as in production: what opening an incident did is in the run's log
        self.worker_env = dict(self.env, PREFECT_API_URL=self.api, PREFECT_RUNNER_POLL_FREQUENCY="2", PREFECT_LOGGING_LEVEL="INFO",
                               BREACH_DB_URL=self.db_url,
                               BREACH_DATA_DIR=str(self.data_dir), BREACH_MASTER_KEY=MASTER_KEY, BREACH_MANAGERS=managers,
                               PYTHONPATH=str(REPO))
        if auth:
            self.worker_env["PREFECT_API_AUTH_STRING"] = auth
        self.server: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def __enter__(self) -> LivePrefect:
        log = open(self.root / "server.log", "wb")  # the server writes to it until stopped
        self.server = subprocess.Popen([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(self.port), "--no-services"],
                                       env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        wait("prefect server health", lambda: httpx.get(f"{self.api}/health", timeout=2).status_code == 200, 300, self.server)
        worker_log = open(self.root / "worker.log", "wb")
        self.worker = subprocess.Popen([sys.executable, str(REPO / "tests" / "support" / "serve_response.py")], env=self.worker_env,
                                       cwd=REPO, stdout=worker_log, stderr=subprocess.STDOUT, start_new_session=True)
        served = "/deployments/name/breach-response/breach-response"
        wait("the served breach-response deployment", lambda: self.get(served).status_code == 200, 180, self.worker)
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self.worker)
        stop(self.server)

    def logs(self) -> str:
        """The last lines of the worker's and the server's logs, for a failing assertion."""
        worker = (self.root / "worker.log").read_text(errors="replace")[-4000:]
        return f"--- worker ---\n{worker}\n--- server ---\n{(self.root / 'server.log').read_text(errors='replace')[-2000:]}"

    @property
    def headers(self) -> dict[str, str]:
        """The Authorization header when the API demands one."""
        return {"Authorization": "Basic " + base64.b64encode(self.auth.encode()).decode()} if self.auth else {}

    def get(self, path: str) -> httpx.Response:
        """GET on the API (with the credentials, if any)."""
        return httpx.get(self.api + path, headers=self.headers, timeout=10)

    def post(self, path: str, body: Any) -> httpx.Response:
        """POST JSON to the API (with the credentials, if any)."""
        return httpx.post(self.api + path, json=body, headers=self.headers, timeout=10)

    def sessions(self) -> Any:
        """Sessions on the project database with the audit key the flows created (data/audit.key), as `breach` has them."""
        from breach import audit
        from breach.keys.audit_key import audit_key_id, load_audit_key
        from breach.store.session import session_factory

        key = load_audit_key(env_value=None, key_file=self.data_dir / "audit.key", create=False)
        seal = audit.AuditSeal(key=key, key_id=audit_key_id(key), head_file=self.data_dir / "audit-head.log")
        return session_factory(self.db_url, info={audit.SEAL: seal})

    def deployment_id(self) -> str:
        """The id of the served breach-response deployment."""
        return str(self.get("/deployments/name/breach-response/breach-response").json()["id"])

    def run(self, run_id: str) -> dict[str, Any]:
        """A flow run as the API returns it."""
        return dict(self.get(f"/flow_runs/{run_id}").json())

    def wait_paused(self, run_id: str, *, after: str | None = None, timeout: float = 240) -> dict[str, Any]:
        """Wait until the run waits for input (a newer pause than state ``after``); returns its state."""
        def paused() -> dict[str, Any] | None:
            run = self.run(run_id)
            state = run.get("state") or {}
            if state.get("type") in ("FAILED", "CRASHED", "COMPLETED", "CANCELLED"):
                raise AssertionError(f"run {run_id} ended {state.get('type')}: {state.get('message')}\n{self.logs()}")
            return state if state.get("type") == "PAUSED" and state.get("id") != after else None
        return dict(wait(f"flow run {run_id} to wait for approval", paused, timeout, self.worker, poll=1))

    def wait_final(self, run_id: str, *, timeout: float = 300) -> dict[str, Any]:
        """Wait until the run ends; returns its final state, or its Paused state once it has waited for input for 30 s
        (a run that asks again will not end, and the caller's assertion says so at once rather than after ``timeout``)."""
        paused_polls = [0]

        def final() -> dict[str, Any] | None:
            state = self.run(run_id).get("state") or {}
            paused_polls[0] = paused_polls[0] + 1 if state.get("type") == "PAUSED" else 0
            if paused_polls[0] >= 30:  # polled once a second
                return state
            return state if state.get("type") in ("COMPLETED", "FAILED", "CRASHED", "CANCELLED") else None
        return dict(wait(f"flow run {run_id} to end", final, timeout, self.worker, poll=1))

    def runs_of_deployment(self) -> list[dict[str, Any]]:
        """Every flow run of the served deployment, newest first."""
        body = {"deployments": {"id": {"any_": [self.deployment_id()]}}, "sort": "EXPECTED_START_TIME_DESC"}
        return list(self.post("/flow_runs/filter", body).json())

    def latest_case_file(self, incident_id: str) -> dict[str, Any]:
        """The newest version of an incident's case-file artifact."""
        body = {"artifacts": {"key": {"any_": [f"case-{incident_id.lower()}"]}}, "sort": "CREATED_DESC", "limit": 1}
        found = self.post("/artifacts/filter", body).json()
        assert found, f"no case file for {incident_id}"
        return dict(found[0])
