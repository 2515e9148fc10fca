"""Send N notices while the SendGrid stand-in answers a share R of requests with 429 (X-RateLimit-Reset),
500, a dropped connection or a timeout (that still got through), against fault-free runs of the same
settings, interleaved; at the production defaults and at tuned settings.

    .venv/bin/python bench/faults.py --people 20000 --rate 0.2 --runs 3 --settings defaults,tuned

Settings (every figure printed names the ones it was measured with):
- defaults: what production runs with: batches of BreachSettings.batch_size (1,000), the client timeout
  EmailSettings.email_timeout (30 s), the backoff base flows.send.DEFAULT_RETRY_BASE_S (2 s), the
  flow's lanes; the stand-in hangs 5 s past the client timeout on a timeout fault.
- tuned: batches of 100, client timeout 2 s, backoff base 0.25 s; the stand-in hangs 2.5 s.

Prints JSON, per setting: settings, people, rate, delivered, lost, duplicates, faults, seconds_clean,
seconds_faulty, slowdown (medians of --runs, each the whole flow call), the runs' figures, and sending_clean,
sending_faulty, sending_slowdown (from the outbox being ready to the last batch sent: Prefect's flow start
and end, which comes in steps of about a second, left out).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c

TUNED = {"batch_size": 100, "client_timeout_s": 2.0, "retry_base_s": 0.25, "stand_in_hang_s": 2.5}


def production_defaults() -> dict[str, Any]:
    """The settings production runs with when nothing is configured, read from the code."""
    from breach.settings import BreachSettings
    from flows.send import DEFAULT_RETRY_BASE_S
    from notices.settings import EmailSettings
    timeout = float(EmailSettings.model_fields["email_timeout"].default)
    return {"batch_size": int(BreachSettings.model_fields["batch_size"].default), "client_timeout_s": timeout,
            "retry_base_s": DEFAULT_RETRY_BASE_S, "stand_in_hang_s": timeout + 5}


def apply(settings: dict[str, Any]) -> dict[str, Any]:
    """Make the next runs use these settings (environment and the send flow's module values); returns them with the lanes."""
    import flows.send as send
    from flows.runtime import runtime
    os.environ.update(BREACH_BATCH_SIZE=str(settings["batch_size"]), BREACH_EMAIL_TIMEOUT=str(settings["client_timeout_s"]),
                      BREACH_SEND_RETRY_BASE=str(settings["retry_base_s"]), BREACH_ACTIVITY_INDEX_DELAY="0",
                      BREACH_ACTIVITY_PER_MINUTE="0")
    send.RETRY_BASE_S = settings["retry_base_s"]
    runtime.cache_clear()
    return {**settings, "lanes": send.SEND_LANES, "task_runs_at_once": send.SEND_WORKERS}


def one_run(people: int, rate: float, seed: int, settings: dict[str, Any]) -> dict[str, Any]:
    # The stand-in's Activity API here indexes at once and has no 6-a-minute limit, and the engine is told so
    # (BREACH_ACTIVITY_INDEX_DELAY=0, BREACH_ACTIVITY_PER_MINUTE=0 in apply): this bench measures send faults;
    # bench/chaos.py measures reconciliation against SendGrid's real delay, limit and missing add-on.
    hang = ["--hang", str(settings["stand_in_hang_s"]), "--activity-per-minute", "0"]
    args = hang if rate == 0 else [*hang, "--fault-rate", str(rate), "--timeout-accepts", "--seed", str(seed)]
    with c.sendgrid_server(*args) as host:
        os.environ.update(SENDGRID_API_KEY=c.API_KEY, BREACH_SENDGRID_HOST=host)
        incident_id = c.approved_incident(people)
        seconds, sending = c.run_send(incident_id)
        stats = c.server_stats(host)
    delivered = c.delivery_states(incident_id).get("accepted", 0)
    return {"seconds": seconds, "sending": sending, "delivered": delivered, "lost": max(people - delivered, people - stats["unique"]),
            "duplicates": stats["duplicates"], "faults": stats["faults"]}


def faults(people: int, rate: float, settings: dict[str, Any], *, runs: int = 1) -> dict[str, Any]:
    """Clean and faulty runs with `settings`, interleaved (the order alternates)."""
    named = apply(settings)
    clean, faulty = [], []
    for run in range(runs):
        for r in ((0.0, rate) if run % 2 == 0 else (rate, 0.0)):
            (faulty if r else clean).append(one_run(people, r, 1 + run, settings))
    med = c.median
    seconds_clean, seconds_faulty = med([r["seconds"] for r in clean]), med([r["seconds"] for r in faulty])
    sending_clean, sending_faulty = med([r["sending"] for r in clean]), med([r["sending"] for r in faulty])
    return {"settings": named, "people": people, "rate": rate, "runs": runs, "delivered": min(r["delivered"] for r in faulty),
            "lost": max(r["lost"] for r in faulty), "duplicates": max(r["duplicates"] for r in faulty),
            "faults": [r["faults"] for r in faulty], "seconds_clean": round(seconds_clean, 2),
            "seconds_faulty": round(seconds_faulty, 2), "slowdown": round(seconds_faulty / seconds_clean, 2),
            "runs_clean": [round(r["seconds"], 2) for r in clean], "runs_faulty": [round(r["seconds"], 2) for r in faulty],
            "sending_clean": round(sending_clean, 2), "sending_faulty": round(sending_faulty, 2),
            "sending_slowdown": round(sending_faulty / sending_clean, 2),
            "clean_lost": max(r["lost"] for r in clean), "clean_duplicates": max(r["duplicates"] for r in clean)}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=20_000)
    parser.add_argument("--rate", type=float, default=0.2)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settings", default="defaults,tuned", help="comma-separated: defaults, tuned")
    args = parser.parse_args(argv)
    root = c.temp_root("bench-faults-")
    results = {}
    with c.prefect_api():
        c.setup_env(root)
        choices = {"defaults": production_defaults(), "tuned": TUNED}
        for name in args.settings.split(","):
            results[name] = faults(args.people, args.rate, choices[name], runs=args.runs)
    print(json.dumps({"benchmark": "faults", **results}, indent=2))


if __name__ == "__main__":
    main()
