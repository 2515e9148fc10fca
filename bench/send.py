"""Benchmark the whole e-mail send path: N approved people -> the real `send-notices` Prefect flow run ->
the local SendGrid stand-in over loopback through the official client -> delivery states.

    .venv/bin/python bench/send.py --people 100000 --runs 3

Prints JSON: people, seconds (median of the runs), per_second, requests, baseline_per_second (a bare
loop in the same invocation that builds the same bodies and POSTs them with the same client), ratio,
and per_person_tasks (one Prefect task per person for 2,000 people, extrapolated to a million).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c


def run_flow(people: int, seed: int) -> dict:
    """One timed run of the send flow for a freshly imported and approved incident."""
    from flows.runtime import runtime
    from flows.send import send_notices
    incident_id = c.approved_incident(people, seed=seed)
    started = time.perf_counter()
    send_notices(incident_id)
    seconds = time.perf_counter() - started
    states = c.delivery_states(incident_id)
    runtime.cache_clear()
    return {"seconds": seconds, "states": states}


def baseline(host: str, people: int) -> float:
    """People per second of a bare loop: the same bodies (1,000 per request), POSTed with the same client."""
    from pydantic import SecretStr

    from breach.controller import load_profile
    from notices.email.message import EmailBatch, Recipient, sendgrid_body
    from notices.email.sendgrid import JSON_CONTENT_TYPE, SendGridSender, encode_body
    sender = SendGridSender(SecretStr(c.API_KEY), host=host, timeout=30)
    profile = load_profile(c.REPO / "breach" / "examples" / "controller.json")
    text = "Dear -recipient_name_text-,\n" + "We are writing to tell you about a personal data breach. " * 40
    html = "<p>Dear -recipient_name_html-,</p>" + "<p>We are writing to tell you about a personal data breach.</p>" * 40
    started, batch = time.perf_counter(), []
    for i, (name, email, _language, _country) in enumerate(c.synthetic_people(people, seed=99), start=1):
        batch.append(Recipient.model_construct(delivery_id=str(i), email=email, name=name))
        if len(batch) == 1000 or i == people:
            body = sendgrid_body(EmailBatch.model_construct(
                incident_id="BR-2026-0001", batch_key=f"baseline:{i}", subject="Important: a breach of your data", text=text,
                html=html, from_email=profile.sender_email, from_name=profile.name, recipients=batch, sandbox=False))
            sender._client.client.mail.send.post(request_body=encode_body(body), timeout=30,
                                                 request_headers={"Content-Type": JSON_CONTENT_TYPE})
            batch = []
    return people / (time.perf_counter() - started)


def per_person_tasks(host: str, people: int = 2000) -> dict:
    """One Prefect task per person (one request each): the design we avoid, measured and extrapolated."""
    from prefect import flow, task, unmapped
    from prefect.cache_policies import NO_CACHE
    from prefect.task_runners import ThreadPoolTaskRunner
    from pydantic import SecretStr

    from notices.email.message import EmailBatch, Recipient
    from notices.email.sendgrid import SendGridSender
    sender = SendGridSender(SecretStr(c.API_KEY), host=host, timeout=30)
    everyone = list(c.synthetic_people(people, seed=7))

    @task(persist_result=False, cache_policy=NO_CACHE)
    def send_one(index: int, _tag: str) -> int:
        name, email, _, _ = everyone[index]
        person = Recipient(delivery_id=str(index), email=email, name=name)
        sender.send_batch(EmailBatch(incident_id="BR-2026-0001", batch_key=f"per-person:{index}", subject="Notice",
                                     text="Dear -recipient_name_text-", from_email="dpo@example.com", from_name="DPO",
                                     recipients=[person]))
        return 1

    @flow(name="per-person-tasks", task_runner=ThreadPoolTaskRunner(max_workers=4))
    def per_person() -> int:
        return sum(f.result() for f in send_one.map(range(people), unmapped("x")))

    started = time.perf_counter()
    per_person()
    seconds = time.perf_counter() - started
    return {"people": people, "seconds": round(seconds, 2), "per_second": round(people / seconds, 1),
            "extrapolated_seconds_for_1m": round(seconds * 1_000_000 / people),
            "note": "client side only; the Prefect server's ingest (~35 task runs/s) lags further"}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--baseline-people", type=int, default=200_000, help="people in the bare-loop baseline (capped at --people)")
    parser.add_argument("--skip-per-person", action="store_true")
    args = parser.parse_args()
    root = c.temp_root("bench-send-")
    with c.sendgrid_server() as host:
        c.setup_env(root, host=host, timeout=30)
        runs = [run_flow(args.people, seed) for seed in range(args.runs)]  # other addresses each run
        stats = c.server_stats(host)
    with c.sendgrid_server() as host:
        base = [baseline(host, min(args.people, args.baseline_people)) for _ in range(args.runs)]
    per_person = None
    if not args.skip_per_person:
        with c.sendgrid_server() as host:
            per_person = per_person_tasks(host)
    seconds = c.median([r["seconds"] for r in runs])
    per_second, base_median = args.people / seconds, c.median(base)
    print(json.dumps({
        "people": args.people, "runs": args.runs, "seconds": round(seconds, 2), "per_second": round(per_second),
        "seconds_each": [round(r["seconds"], 2) for r in runs], "requests": stats["requests"] // args.runs,
        "all_accepted": all(r["states"] == {"accepted": args.people} for r in runs), "duplicates": stats["duplicates"],
        "baseline_people": min(args.people, args.baseline_people), "baseline_per_second": round(base_median),
        "baseline_each": [round(b) for b in base], "ratio": round(per_second / base_median, 3),
        "per_person_tasks": per_person,
    }, indent=2))


if __name__ == "__main__":
    main()
