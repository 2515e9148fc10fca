"""Shared set-up for the sending benchmarks: a throw-away data folder, the SendGrid stand-in in its own
process on 127.0.0.1, and an approved incident with N synthetic people written straight into the
database (real encryption and blind indexes; only the CSV parsing is skipped).

People are invented from the name lists of breach/examples/generate.py, with addresses
firstname.lastname.<n>@example.com / example.org.
"""

from __future__ import annotations

import base64
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
MANAGER, RESPONDER, API_KEY = "manager@example.com", "responder@example.com", "SG.bench-key"


def setup_env(root: Path, *, host: str | None = None, timeout: float = 10.0) -> dict[str, str]:
    """Point the engine and Prefect at `root` (set in os.environ, also returned for subprocesses)."""
    env = {
        "BREACH_DATA_DIR": str(root / "data"), "BREACH_DB_URL": f"sqlite:///{root / 'data' / 'breach.db'}",
        "BREACH_MANAGERS": MANAGER,
        "BREACH_MASTER_KEY": os.environ.get("BREACH_BENCH_MASTER_KEY") or base64.b64encode(os.urandom(32)).decode(),
        "BREACH_EMAIL_TIMEOUT": str(timeout), "PREFECT_HOME": str(root / "prefect"),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "120", "PYTHONPATH": str(REPO),
    }
    if host:
        env.update(SENDGRID_API_KEY=API_KEY, BREACH_SENDGRID_HOST=host)
    os.environ.update(env)
    os.environ["BREACH_BENCH_MASTER_KEY"] = env["BREACH_MASTER_KEY"]
    _refresh_prefect_settings()
    return env


def _refresh_prefect_settings() -> None:
    """Prefect reads its settings from the environment once, when imported: make it read them again."""
    if "prefect.context" in sys.modules:
        from prefect.context import refresh_global_settings_context
        refresh_global_settings_context()


@contextmanager
def sendgrid_process(*args: str, cwd: Path = REPO) -> Iterator[tuple[str, subprocess.Popen]]:
    """The stand-in (from the checkout at `cwd`) in a child process on 127.0.0.1; yields its host and process.

    It serves until its stdin closes.
    """
    cmd = [sys.executable, "-W", "ignore::RuntimeWarning", "-m", "tests.support.sendgrid.server", "--api-key", API_KEY, *args]
    proc = subprocess.Popen(cmd, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        host = proc.stdout.readline().strip()
        if not host.startswith("http://127.0.0.1:"):
            raise RuntimeError("the test server did not start")
        yield host, proc
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def sendgrid_server(*args: str) -> Iterator[str]:
    """The stand-in in a child process (its own core); yields its host."""
    with sendgrid_process(*args) as (host, _):
        yield host


def server_stats(host: str) -> dict[str, Any]:
    """Accepted requests, recipients, duplicates and faults counted by the stand-in."""
    req = urllib.request.Request(f"{host}/_test/stats", headers={"Authorization": f"Bearer {API_KEY}"})
    with urllib.request.urlopen(req, timeout=30) as resp:
        return json.loads(resp.read())


def synthetic_people(n: int, seed: int = 2026) -> Iterator[tuple[str, str, str, str]]:
    """(name, email, language, country) for n invented people with unique example.com/.org addresses."""
    from breach.examples.generate import FIRST, LAST
    rng = random.Random(seed)
    countries = {"da": "DK", "nb": "NO", "en": "GB"}
    for i in range(n):
        language = rng.choices(("da", "nb", "en"), (60, 30, 10))[0]
        first, last = rng.choice(FIRST[language]), rng.choice(LAST[language])
        local = f"{first}.{last}".lower().translate(str.maketrans({"æ": "ae", "ø": "oe", "å": "aa", "'": "", " ": "."}))
        yield f"{first} {last}", f"{local}.{seed}-{i}@example.{'com' if i % 2 else 'org'}", language, countries[language]


def approved_incident(n: int, *, seed: int = 2026) -> str:
    """Open, assess, store n e-mail people (encrypted), draft and approve; returns the incident id."""
    from sqlalchemy import insert

    from breach import instants
    from breach.approval import decisions as approval
    from breach.approval.decisions import Proof
    from breach.enums import ApprovalDecision
    from breach.facts import load_facts
    from breach.people.rows import _identity_key
    from breach.people.store import _aad
    from breach.store.tables import PersonRow
    from flows.assess import assess_incident
    from flows.draft import draft_notices
    from flows.open_incident import open_incident
    from flows.runtime import runtime

    rt = runtime()
    facts = json.loads((REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
    facts["reference"] = f"BENCH-{time.time_ns()}"
    incident_id = open_incident(load_facts(facts))
    assess_incident(incident_id)
    index_key, batch = rt.cipher.index_key, rt.settings.batch_size
    with rt.sessions.begin() as session:
        rows = []
        for line, (name, email, language, country) in enumerate(synthetic_people(n, seed), start=2):
            key = _identity_key(email, name, None, None, index_key)
            contact = json.dumps({"name": name, "email": email, "phone": None, "external_id": None, "address_lines": []},
                                 ensure_ascii=False)
            rows.append({"incident_id": incident_id, "line": line, "batch_no": (line - 2) // batch, "language": language,
                         "channel": "email", "wants_letter": False, "country": country, "dedup_key": key,
                         "contact_enc": rt.cipher.encrypt(contact, aad=_aad(incident_id, key))})
            if len(rows) >= 20_000:
                session.execute(insert(PersonRow), rows)
                rows.clear()
        if rows:
            session.execute(insert(PersonRow), rows)
    draft_notices(incident_id)
    rt.managers()  # BREACH_MANAGERS seeds the roster of a fresh benchmark database
    code = approval_code(incident_id)
    with rt.sessions.begin() as session:
        approval.decide(session=session, incident_id=incident_id, actor=MANAGER, decision=ApprovalDecision.APPROVED,
                        comment="benchmark", proof=Proof("code", code), code_key=rt.code_key, now=instants.utcnow())
    return incident_id


def approval_code(incident_id: str, manager: str = MANAGER) -> str:
    """A one-time approval code for the incident's current drafts, as the e-mail to the manager carries it.

    The code a run e-mails goes to the SendGrid stand-in, which keeps no message to read back, so a
    benchmark issues the manager a code of its own (the same table, key and drafts hash) and approves with it.
    """
    from breach import instants
    from breach.approval import codes
    from breach.approval import decisions as approval
    from flows.runtime import runtime

    rt = runtime()
    with rt.sessions.begin() as session:
        digest = approval.drafts_hash(approval.current_drafts(session=session, incident_id=incident_id))
        return codes.issue(session=session, incident_id=incident_id, manager=manager, drafts_hash=digest, key=rt.code_key,
                           now=instants.utcnow()).code


def delivery_states(incident_id: str) -> dict[str, int]:
    """Count of e-mail deliveries per state."""
    from flows.runtime import runtime
    from notices.sending.outbox import delivery_counts
    with runtime().sessions() as session:
        return delivery_counts(session=session, incident_id=incident_id).get("email", {})


def cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def temp_root(prefix: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=prefix))


@contextmanager
def prefect_api() -> Iterator[str]:
    """One temporary Prefect server for this process and the sending processes it starts."""
    import socket

    from prefect.server.api.server import SubprocessASGIServer
    # SubprocessASGIServer is a singleton per port: without a port of our own we would get (and
    # later stop) the process's ephemeral server, e.g. the one prefect_test_harness started.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SubprocessASGIServer(port=port)
    server.start(timeout=180)
    os.environ["PREFECT_API_URL"] = server.api_url
    _refresh_prefect_settings()  # else a flow may start an ephemeral server of its own (api.url read at import: None)
    try:
        yield server.api_url
    finally:
        server.stop()


def send_in_child(incident_id: str) -> subprocess.Popen:
    """`breach send`'s flow in a separate process, as an operator would start it."""
    code = f"from flows.send import send_notices; send_notices({incident_id!r})"
    return subprocess.Popen([sys.executable, "-c", code], cwd=REPO, env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_send(incident_id: str) -> tuple[float, float]:
    """The send flow in this process; returns (seconds of the flow call, seconds of sending).

    Sending runs from the outbox being ready to the last batch sent (progress events). The flow
    call adds Prefect's own start and end: its end waits for the flow-run heartbeat thread, which
    sleeps in whole seconds, so a flow call's time comes in steps of about a second.
    """
    from flows.progress import subscribe
    from flows.runtime import runtime
    from flows.send import send_notices
    runtime.cache_clear()
    marks: dict[str, float] = {}

    def mark(step: str, fields: dict) -> None:
        if step == "outbox":
            marks.setdefault("outbox", time.perf_counter())
        elif step == "batch_sent":
            marks["batch_sent"] = time.perf_counter()

    unsubscribe = subscribe(mark)
    started = time.perf_counter()
    try:
        send_notices(incident_id)
    finally:
        unsubscribe()
    flow_seconds = time.perf_counter() - started
    return flow_seconds, marks.get("batch_sent", started) - marks.get("outbox", started)
