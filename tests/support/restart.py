"""Real processes for tests/flows/test_machine_restart.py, each in its own process group so that a
simulated power cut (SIGKILL to the whole group) gives none of them a chance to clean up.

- ``PrefectServer``: ``prefect server start`` on 127.0.0.1 with its own PREFECT_HOME and an on-disk
  SQLite database; it can be killed and started again on the same database and port.
- ``StandIn``: the local SendGrid stand-in (tests/support/sendgrid/server.py) in a child process,
  with a control line on stdin: ``hang_after N`` makes the (N+1)-th next request be accepted and
  then hang without an answer (a request in flight at the moment of the crash), ``emails`` prints
  every (address, custom_args) received so far as one JSON line.
- ``spawn``: a child that imports the engine first, then waits for a go file and for the Prefect
  API, then runs a ``breach`` command or the clock-watch flow (``python -m tests.support.restart run``).
  Importing takes ~10 s of CPU here, so children of the same phase import while the server boots.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def api_healthy(api_url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{api_url}/health", timeout=5) as resp:
            return resp.status == 200
    except OSError:
        return False


def power_off(*procs: subprocess.Popen | None) -> None:
    """SIGKILL every process group at once (a power cut), then reap them."""
    alive = [p for p in procs if p is not None and p.poll() is None]
    for proc in alive:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
    for proc in alive:
        proc.wait(timeout=30)


class PrefectServer:
    """`prefect server start` with its own home and SQLite database; start() again after a power_off()."""

    def __init__(self, home: Path, port: int | None = None) -> None:
        self.home = home
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.starts = 0

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    @property
    def database(self) -> Path:
        return self.home / "prefect.db"

    def start(self) -> PrefectServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(self.home), PREFECT_SERVER_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{self.database}",
                   PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false", PREFECT_LOGGING_LEVEL="WARNING",
                   PREFECT_SERVER_LOGGING_LEVEL="WARNING")
        self.starts += 1
        cmd = [str(Path(sys.executable).with_name("prefect")), "server", "start", "--host", "127.0.0.1", "--port", str(self.port),
               "--no-ui"]
        with open(self.home / f"server-{self.starts}.log", "wb") as log:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(cmd, cwd=self.home, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        return self

    def wait_ready(self, timeout: float = 240.0) -> float:
        """Seconds until /api/health answered; raises with the log's tail if the server died or never answered."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.proc is None or self.proc.poll() is not None:
                break
            if api_healthy(self.api_url):
                return time.monotonic() - started
            time.sleep(0.25)
        tail = (self.home / f"server-{self.starts}.log").read_text(errors="replace")[-3000:]
        raise RuntimeError(f"Prefect server did not become healthy (exit {self.proc and self.proc.poll()}):\n{tail}")

    def power_off(self) -> None:
        power_off(self.proc)


class StandIn:
    """The SendGrid stand-in in its own process (the outside world: it keeps running across our restart)."""

    def __init__(self, api_key: str, *, hang: float = 300.0) -> None:
        cmd = [sys.executable, "-W", "ignore::RuntimeWarning", "-m", "tests.support.restart", "sendgrid", "--api-key", api_key,
               "--hang", str(hang)]
        self.proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}, stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, start_new_session=True)
        self.host = self.proc.stdout.readline().strip()
        if not self.host.startswith("http://127.0.0.1:"):
            self.close()
            raise RuntimeError("the SendGrid stand-in did not start")

    def _ask(self, line: str) -> str:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()
        return self.proc.stdout.readline()

    def hang_after(self, n: int) -> None:
        """Let n more requests through, then accept the next one and never answer it."""
        assert self._ask(f"hang_after {n}").strip() == "ok"

    def emails(self) -> list[tuple[str, dict[str, str]]]:
        """(to address, merged custom_args) of every accepted personalization, in arrival order."""
        return [(e, args) for e, args in json.loads(self._ask("emails"))]

    def stats(self) -> dict[str, Any]:
        from bench._common import server_stats
        return server_stats(self.host)

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
                self.proc.wait(timeout=15)
            except (OSError, subprocess.TimeoutExpired):
                power_off(self.proc)


def spawn(command: list[str], *, go: Path, env: dict[str, str], log: Path, out: Path | None = None) -> subprocess.Popen:
    """A child that imports the engine now and runs `command` once `go` exists and the Prefect API answers.

    command: ["breach", ARGS...] (the CLI, as an operator types it) or ["clock-watch", TIMES, NOT_BEFORE_ISO]
    (the scheduled clock-watch flow, run TIMES times once NOT_BEFORE has passed; the results go to `out`).
    """
    cmd = [sys.executable, "-m", "tests.support.restart", "run", "--go", str(go), *(["--out", str(out)] if out else []), "--", *command]
    with open(log, "wb") as handle:
        return subprocess.Popen(cmd, cwd=REPO, env={**env, "PYTHONPATH": str(REPO)}, stdin=subprocess.DEVNULL, stdout=handle,
                                stderr=subprocess.STDOUT, start_new_session=True)


# -- the child processes ---------------------------------------------------------------------------


def _serve_stand_in(args: argparse.Namespace) -> None:
    from tests.support.sendgrid.server import SendGridTestServer

    class Controlled(SendGridTestServer):
        countdown: int | None = None

        def _pick_fault(self) -> str | None:
            with self._state.lock:
                if self.countdown is not None:
                    if self.countdown == 0:
                        self.countdown = None
                        self._state.faults.append("timeout")
                        return "timeout"
                    self.countdown -= 1
            return super()._pick_fault()

    # timeout_accepts: the hanging request is recorded (accepted by the provider) before it hangs
    # the Activity API without its 6-a-minute limit (the engine's is off in tests too): up to 16 batches are in flight at the
    # cut and this test is about the restart; tests/notices/email/test_activity.py and bench/chaos.py cover the limit
    server = Controlled(api_key=args.api_key, hang_seconds=args.hang, timeout_accepts=True, keep_bodies=True,
                        activity_per_minute=None).start()
    print(server.host, flush=True)
    try:
        for line in sys.stdin:
            word, *rest = line.split()
            if word == "hang_after":
                with server._state.lock:
                    server.countdown = int(rest[0])
                print("ok", flush=True)
            elif word == "emails":
                print(json.dumps(server.received_emails()), flush=True)
    finally:
        server.close()


def _run(args: argparse.Namespace) -> None:
    from flows.cli.main import main as breach_main  # the slow imports, before the go signal
    from flows.watch import clock_watch

    go = Path(args.go)
    while not go.exists():
        time.sleep(0.1)
    api = os.environ["PREFECT_API_URL"]
    deadline = time.monotonic() + 300
    while not api_healthy(api):
        if time.monotonic() > deadline:
            raise SystemExit(f"no Prefect API at {api}")
        time.sleep(0.25)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if command[0] == "breach":
        sys.argv = command
        breach_main()
    elif command[0] == "clock-watch":
        times, not_before = int(command[1]), datetime.fromisoformat(command[2])
        while datetime.now(UTC) < not_before:
            time.sleep(0.2)
        results = [{"raised": clock_watch(), "at": datetime.now(UTC).isoformat()} for _ in range(times)]
        Path(args.out).write_text(json.dumps(results), encoding="utf-8")
    else:
        raise SystemExit(f"unknown command {command!r}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="what", required=True)
    stand_in = sub.add_parser("sendgrid")
    stand_in.add_argument("--api-key", required=True)
    stand_in.add_argument("--hang", type=float, default=300.0)
    run = sub.add_parser("run")
    run.add_argument("--go", required=True)
    run.add_argument("--out")
    run.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    if args.what == "sendgrid":
        _serve_stand_in(args)
    else:
        _run(args)


if __name__ == "__main__":
    main()
