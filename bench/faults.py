"""Send N notices while the SendGrid stand-in answers a share R of requests with 429 (X-RateLimit-Reset),
500, a dropped connection or a timeout (that still got through), against a fault-free run.

    .venv/bin/python bench/faults.py --people 20000 --rate 0.2

The client timeout is 2 s (BREACH_EMAIL_TIMEOUT) and the stand-in hangs 2.5 s; backoff starts at
0.25 s (BREACH_SEND_RETRY_BASE). Prints JSON: people, rate, delivered, lost, duplicates, faults,
seconds_clean, seconds_faulty, slowdown (medians of --runs, each the whole flow call), the runs'
figures, and sending_clean, sending_faulty, sending_slowdown (from the outbox being ready to the
last batch sent: Prefect's flow start and its end, which comes in steps of about a second, left out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c


def one_run(people: int, rate: float, seed: int) -> dict:
    # The stand-in's Activity API here indexes at once and has no 6-a-minute limit, and the engine is told so
    # (BREACH_ACTIVITY_INDEX_DELAY=0, BREACH_ACTIVITY_PER_MINUTE=0 below): this bench measures send faults;
    # bench/chaos.py measures reconciliation against SendGrid's real delay, limit and missing add-on.
    args = ["--activity-per-minute", "0"]
    args += [] if rate == 0 else ["--fault-rate", str(rate), "--hang", "2.5", "--timeout-accepts", "--seed", str(seed)]
    with c.sendgrid_server(*args) as host:
        os.environ.update(SENDGRID_API_KEY=c.API_KEY, BREACH_SENDGRID_HOST=host)
        incident_id = c.approved_incident(people)
        seconds, sending = c.run_send(incident_id)
        stats = c.server_stats(host)
    delivered = c.delivery_states(incident_id).get("accepted", 0)
    return {"seconds": seconds, "sending": sending, "delivered": delivered, "lost": max(people - delivered, people - stats["unique"]),
            "duplicates": stats["duplicates"], "faults": stats["faults"]}


def faults(people: int, rate: float, *, runs: int = 1, batch_size: int = 100) -> dict:
    root = c.temp_root("bench-faults-")
    with c.prefect_api():
        c.setup_env(root, timeout=2)
        os.environ.update(BREACH_BATCH_SIZE=str(batch_size), BREACH_SEND_RETRY_BASE="0.25", BREACH_ACTIVITY_INDEX_DELAY="0",
                          BREACH_ACTIVITY_PER_MINUTE="0")
        clean = [one_run(people, 0.0, seed) for seed in range(runs)]
        faulty = [one_run(people, rate, seed + 1) for seed in range(runs)]
    seconds_clean, seconds_faulty = c.median([r["seconds"] for r in clean]), c.median([r["seconds"] for r in faulty])
    sending_clean, sending_faulty = c.median([r["sending"] for r in clean]), c.median([r["sending"] for r in faulty])
    return {"people": people, "rate": rate, "runs": runs, "delivered": min(r["delivered"] for r in faulty),
            "lost": max(r["lost"] for r in faulty), "duplicates": max(r["duplicates"] for r in faulty),
            "faults": [r["faults"] for r in faulty], "seconds_clean": round(seconds_clean, 2),
            "seconds_faulty": round(seconds_faulty, 2), "slowdown": round(seconds_faulty / seconds_clean, 2),
            "runs_clean": [round(r["seconds"], 2) for r in clean], "runs_faulty": [round(r["seconds"], 2) for r in faulty],
            "sending_clean": round(sending_clean, 2), "sending_faulty": round(sending_faulty, 2),
            "sending_slowdown": round(sending_faulty / sending_clean, 2),
            "clean_lost": max(r["lost"] for r in clean), "clean_duplicates": max(r["duplicates"] for r in clean)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--batch-size", type=int, default=100)
    args = parser.parse_args()
    print(json.dumps(faults(args.people, args.rate, runs=args.runs, batch_size=args.batch_size), indent=2))


if __name__ == "__main__":
    main()
