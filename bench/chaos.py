"""Kill the sending process K times at random moments and resume it; count who was lost, told twice or left uncertain.

    .venv/bin/python bench/chaos.py --people 20000 --crashes 3
    .venv/bin/python bench/chaos.py --scenarios no-addon --people 5000 --crashes 2

Each round starts the real send flow (`send-notices`, as `breach send ID` does) in a child process
against the local SendGrid stand-in, waits until the stand-in has received the round's first request
(so the kill lands while sending, not while Prefect starts), SIGKILLs it after a further random delay,
and starts it again. The stand-in answers each accepted request after `--latency` seconds, like a
real round trip, and takes it only `--latency` seconds after it arrived (a sender killed on the way
loses its request), so a kill leaves requests accepted but unanswered, and others never taken. Then `breach send` runs to
the end, and an operator decides every uncertain batch with `breach batches resend` or
`mark-delivered` (after checking what SendGrid took, as they would in its Activity view: here the
stand-in's own record), and `breach send` finishes the incident.

SendGrid as it really is, one scenario each (all with the real 6-a-minute Activity API limit):

- ``delay``: the signed Event Webhook posts events `--webhook-delay` s after acceptance to
  `breach webhook serve`; the Activity API (add-on bought) shows a message `--activity-delay` s after
  acceptance, and the engine is told twice that (BREACH_ACTIVITY_INDEX_DELAY).
- ``no-addon``: the same webhook; the Activity API refuses (400 "authorization required").
- ``silent``: no webhook and no add-on: nothing can tell, everything in doubt is uncertain.

Prints JSON per scenario: people, crashes, lost (e-mail people without an accepted or delivered
delivery, or never received by the stand-in), duplicates (addresses the stand-in received more than
once), uncertain (people and batches before the operator decided), decisions, how in-doubt requests
were settled (by source), the Activity API's and the webhook's counts, seconds.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c

SCENARIOS = ("delay", "no-addon", "silent")


def _sending_started(host: str, child: subprocess.Popen, before: int, limit: float = 300.0) -> bool:
    """Wait until the stand-in has received a request more than `before` (False if the child ended first)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and child.poll() is None:
        if c.server_stats(host)["requests"] > before:
            return True
        time.sleep(0.05)
    return False


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _breach(*args: str) -> subprocess.CompletedProcess:
    """The `breach` command line in a child process, as an operator types it."""
    return subprocess.run([sys.executable, "-m", "flows.cli.main", *args], cwd=c.REPO, env=dict(os.environ), capture_output=True,
                          text=True, timeout=600)


@contextmanager
def _webhook(root: Path, port: int):
    """`breach webhook serve` on 127.0.0.1:port with a fresh P-256 key; yields the PEM file the stand-in signs with."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from tests.support.sendgrid.events import public_key_b64
    key = ec.generate_private_key(ec.SECP256R1())
    pem = root / "webhook-signing.pem"
    pem.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()))
    env = {**os.environ, "BREACH_WEBHOOK_PUBLIC_KEY": public_key_b64(key)}
    proc = subprocess.Popen([sys.executable, "-m", "flows.cli.main", "webhook", "serve", "--port", str(port)], cwd=c.REPO, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if proc.poll() is not None:
                raise RuntimeError("breach webhook serve did not start")
            time.sleep(0.2)
        yield pem
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _stand_in_args(scenario: str, *, latency: float, webhook: tuple[int, Path] | None, activity_delay: float) -> list[str]:
    # a request takes `latency` on its way in (a sender killed meanwhile loses it) and as long for its answer
    args = ["--arrival", str(latency), "--latency", str(latency)]
    if webhook is not None:
        port, pem = webhook
        args += ["--webhook-url", f"http://127.0.0.1:{port}/sendgrid/events", "--webhook-key", str(pem), "--webhook-delay", "1"]
    if scenario == "delay":
        args += ["--activity-delay", str(activity_delay)]
    else:
        args += ["--no-activity-addon"]
    return args


def _taken(host: str, key: str) -> int:
    req = urllib.request.Request(f"{host}/_test/taken?batch_key={urllib.request.quote(key)}",
                                 headers={"Authorization": f"Bearer {c.API_KEY}"})
    with urllib.request.urlopen(req, timeout=30) as answer:
        return int(json.loads(answer.read())["people"])


def _operator(host: str, incident_id: str) -> tuple[dict[str, int], int, int]:
    """Decide every uncertain batch as an operator who checked SendGrid's record; returns (decisions, people, batches)."""
    from sqlalchemy import select

    from breach.store.tables import DeliveryRow
    from flows.runtime import runtime
    from notices.sending.evidence import batch_key
    with runtime().sessions() as session:
        rows = session.execute(select(DeliveryRow.batch_no, DeliveryRow.draft_id).where(
            DeliveryRow.incident_id == incident_id, DeliveryRow.channel == "email", DeliveryRow.state == "uncertain")).tuples().all()
    requests = Counter(rows)
    decisions: Counter[str] = Counter()
    for batch_no in sorted({b for b, _ in requests}):
        taken = sum(_taken(host, batch_key(incident_id, b, d)) for b, d in requests if b == batch_no)
        command = "mark-delivered" if taken else "resend"
        reason = "processed in SendGrid's Activity view" if taken else "not in SendGrid's Activity view"
        done = _breach("batches", command, incident_id, str(batch_no), "--reason", reason)
        if done.returncode != 0:
            raise RuntimeError(f"breach batches {command} failed: {done.stderr[-500:]}")
        decisions[command] += 1
    return dict(decisions), sum(requests.values()), len({b for b, _ in requests})


def _settled(incident_id: str) -> dict[str, int]:
    """How each in-doubt request was settled: verdict by source."""
    from breach import audit
    from flows.runtime import runtime
    with runtime().sessions() as session:
        events = audit.events_for(session=session, incident_id=incident_id)
        return dict(Counter(f"{f['verdict']}:{f['source']}" for e in events if e.action == "batch.reconciled"
                            for f in e.details.get("requests", [])))


def _kill_rounds(host: str, incident_id: str, crashes: int, rng: random.Random, window: tuple[float, float]) -> tuple[int, list[int]]:
    per_crash, killed, rounds = [], 0, 0
    while killed < crashes and rounds < crashes * 3:
        rounds += 1
        stats = c.server_stats(host)
        before, requests = stats["duplicates"], stats["requests"]
        child = c.send_in_child(incident_id)
        _sending_started(host, child, requests)
        try:
            child.wait(timeout=rng.uniform(*window))  # finished before the kill: nothing to kill
        except subprocess.TimeoutExpired:
            os.kill(child.pid, signal.SIGKILL)
            child.wait()
            killed += 1
        per_crash.append(c.server_stats(host)["duplicates"] - before)
    return killed, per_crash


def _send_to_end(incident_id: str) -> None:
    for _ in range(5):  # the operator runs `breach send ID` until it completes
        if c.send_in_child(incident_id).wait(timeout=1800) == 0:
            return


def scenario(name: str, people: int, crashes: int, *, seed: int, batch_size: int, window: tuple[float, float], latency: float,
             wait: float, activity_delay: float) -> dict:
    """One scenario in a fresh data folder and a fresh stand-in."""
    from flows.runtime import runtime
    started = time.perf_counter()
    root = c.temp_root(f"bench-chaos-{name}-")
    c.setup_env(root, timeout=5)
    runtime.cache_clear()  # this process reads each scenario's own database
    os.environ.update(BREACH_BATCH_SIZE=str(batch_size), BREACH_RECONCILE_WAIT=str(wait), BREACH_ACTIVITY_PER_MINUTE="6",
                      BREACH_ACTIVITY_INDEX_DELAY=str(2 * activity_delay), BREACH_ACTIVITY_API="true")
    port = _free_port()
    with (_webhook(root, port) if name != "silent" else _no_webhook()) as pem:
        args = _stand_in_args(name, latency=latency, webhook=(port, pem) if pem else None, activity_delay=activity_delay)
        with c.sendgrid_server(*args) as host:
            os.environ.update(SENDGRID_API_KEY=c.API_KEY, BREACH_SENDGRID_HOST=host)
            incident_id = c.approved_incident(people)
            killed, per_crash = _kill_rounds(host, incident_id, crashes, random.Random(seed), window)
            _send_to_end(incident_id)
            decisions, uncertain_people, uncertain_batches = _operator(host, incident_id)
            if decisions:
                _send_to_end(incident_id)
            time.sleep(2.5 if pem else 0)  # let the last webhook events land (they only move accepted to delivered)
            stats = c.server_stats(host)
            states = c.delivery_states(incident_id)
    told = states.get("accepted", 0) + states.get("delivered", 0)
    return {"scenario": name, "people": people, "crashes": killed, "lost": max(people - told, people - stats["unique"]),
            "duplicates": stats["duplicates"], "max_duplicates_per_crash": max(per_crash, default=0),
            "uncertain_people": uncertain_people, "uncertain_batches": uncertain_batches, "decisions": decisions,
            "settled": _settled(incident_id), "activity": stats["activity"], "webhook": stats["webhook"], "requests": stats["requests"],
            "states": states, "seconds": round(time.perf_counter() - started, 1)}


@contextmanager
def _no_webhook():
    yield None


def chaos(people: int, crashes: int, *, scenarios: tuple[str, ...] = SCENARIOS, seed: int = 1, batch_size: int = 100,
          window: tuple[float, float] = (0.2, 3.0), latency: float = 0.2, wait: float = 120.0, activity_delay: float = 5.0) -> list[dict]:
    """Every scenario in turn, on one temporary Prefect server; `window`: seconds after the round's first request before the kill."""
    if unknown := set(scenarios) - set(SCENARIOS):
        raise ValueError(f"unknown scenarios {sorted(unknown)}")
    results = []
    with c.prefect_api():
        for name in scenarios:
            results.append(scenario(name, people, crashes, seed=seed, batch_size=batch_size, window=window, latency=latency, wait=wait,
                                    activity_delay=activity_delay))
            print(json.dumps(results[-1]), flush=True, file=sys.stderr)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--crashes", type=int, default=3)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2, help="the stand-in's answer delay per request, seconds")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--wait", type=float, default=120.0, help="BREACH_RECONCILE_WAIT: seconds a lost request may still be told")
    parser.add_argument("--activity-delay", type=float, default=5.0, help="the stand-in's indexing delay (scenario delay), seconds")
    args = parser.parse_args()
    names = tuple(n.strip() for n in args.scenarios.split(",") if n.strip())
    if unknown := set(names) - set(SCENARIOS):
        parser.error(f"unknown scenarios {sorted(unknown)}")
    results = chaos(args.people, args.crashes, scenarios=names, seed=args.seed, batch_size=args.batch_size, latency=args.latency,
                    wait=args.wait, activity_delay=args.activity_delay)
    summary = {"benchmark": "chaos", "people": args.people, "crashes": args.crashes, "batch_size": args.batch_size,
               "lost": max(r["lost"] for r in results), "duplicates": max(r["duplicates"] for r in results),
               "scenarios": {r["scenario"]: r for r in results}}
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
