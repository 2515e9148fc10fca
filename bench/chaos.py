"""Kill the sending process K times at random moments and resume it; count who was lost or told twice.

    .venv/bin/python bench/chaos.py --people 20000 --crashes 5

Each round starts the real send flow (`send-notices`, as `breach send ID` does) in a child process
against the local SendGrid stand-in, waits until the stand-in has received the round's first request
(so the kill lands while sending, not while Prefect starts), SIGKILLs it after a further random delay,
and starts it again. The stand-in answers each accepted request after `--latency` seconds, like a
real round trip, so a kill often leaves requests accepted but unanswered. A last round runs to the
end. Prints JSON: people, crashes, lost (e-mail people without an accepted delivery, or never
received by the stand-in), duplicates (addresses the stand-in received more than once),
max_duplicates_per_crash, reconciled (batches found in flight and reconciled).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c


def _sending_started(host: str, child, before: int, limit: float = 300.0) -> bool:
    """Wait until the stand-in has received a request more than `before` (False if the child ended first)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline and child.poll() is None:
        if c.server_stats(host)["requests"] > before:
            return True
        time.sleep(0.05)
    return False


def chaos(people: int, crashes: int, *, seed: int = 1, batch_size: int = 100, window: tuple[float, float] = (0.2, 3.0),
          latency: float = 0.2) -> dict:
    """`window`: seconds after the round's first request arrives before the kill."""
    rng = random.Random(seed)
    root = c.temp_root("bench-chaos-")
    with c.sendgrid_server("--latency", str(latency)) as host, c.prefect_api():
        c.setup_env(root, host=host, timeout=5)
        os.environ["BREACH_BATCH_SIZE"] = str(batch_size)
        incident_id = c.approved_incident(people)
        per_crash, killed, rounds = [], 0, 0
        while killed < crashes and rounds < crashes * 3:
            rounds += 1
            stats = c.server_stats(host)
            before, requests = stats["duplicates"], stats["requests"]
            child = c.send_in_child(incident_id)
            _sending_started(host, child, requests)
            try:
                child.wait(timeout=rng.uniform(*window))  # finished before the kill: nothing to kill
            except Exception:
                os.kill(child.pid, signal.SIGKILL)
                child.wait()
                killed += 1
            per_crash.append(c.server_stats(host)["duplicates"] - before)
        for _ in range(5):  # the operator runs `breach send ID` until it completes
            if c.send_in_child(incident_id).wait(timeout=600) == 0:
                break
        stats = c.server_stats(host)
        states = c.delivery_states(incident_id)
        from breach import audit
        from flows.runtime import runtime
        with runtime().sessions() as session:
            reconciled = sum(1 for e in audit.events_for(session=session, incident_id=incident_id) if e.action == "batch.reconciled")
    accepted = states.get("accepted", 0)
    return {"people": people, "crashes": killed, "lost": max(people - accepted, people - stats["unique"]),
            "duplicates": stats["duplicates"], "max_duplicates_per_crash": max(per_crash, default=0),
            "reconciled_batches": reconciled, "requests": stats["requests"], "states": states}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--crashes", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latency", type=float, default=0.2, help="the stand-in's answer delay per request, seconds")
    args = parser.parse_args()
    started = time.perf_counter()
    result = chaos(args.people, args.crashes, seed=args.seed, batch_size=args.batch_size, latency=args.latency)
    print(json.dumps({**result, "seconds": round(time.perf_counter() - started, 1)}, indent=2))


if __name__ == "__main__":
    main()
