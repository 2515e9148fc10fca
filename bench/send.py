"""Benchmark the e-mail send path against the machine's ceiling for the same work, in the same run.

    .venv/bin/python bench/send.py --people 20000 100000 1000000 --runs 3

For each size, `--runs` times and interleaved (the order alternates run by run):
- flow: the real `send-notices` Prefect flow for a freshly approved incident of N people (other
  addresses each run; its lanes are threads, or forked sending processes from 100 batches on:
  flows/send.py), against the SendGrid stand-in through the official client;
- ceiling (bench/ceiling.py): the same number of processes as the flow's lanes POSTing the same
  requests (pre-built bodies of 1,000 people, the incident's drafts) to the same stand-in, no database.

A temporary Prefect server runs for the whole benchmark, and one warm-up flow run (2,000 people)
comes first: its time is printed (`cold_start`), not counted. Each size gets a fresh stand-in, so its
CPU per request over its first and last 20 requests shows whether its cost grows with what it recorded.

Prints JSON per size: seconds (median and each run) and people per second of flow and ceiling, ratio
(flow rate / ceiling rate, medians), where the flow's time went (bench/breakdown.py, medians), the
CPU per request of each side (this process and the processes it forked, and the stand-in's own),
cpu_bound_ratio (the best ratio the flow's and the stand-in's CPU allow with every core busy all the time), requests, all_accepted
and duplicates (from the stand-in's counts).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c
from bench.breakdown import Breakdown
from bench.ceiling import build_bodies, incident_drafts, post_bodies

WARM_UP_PEOPLE = 2000


def run_flow(people: int, seed: int, host: str, stand_in_pid: int, breakdown: Breakdown) -> dict[str, Any]:
    """One timed send flow for a freshly approved incident (set up before the clock starts)."""
    from flows.runtime import runtime
    from flows.send import send_notices
    incident_id = c.approved_incident(people, seed=seed)
    runtime.cache_clear()
    before, cpu, own = c.server_stats(host), c.cpu_seconds(stand_in_pid), own_cpu_seconds()
    breakdown.reset()
    started = time.perf_counter()
    send_notices(incident_id)
    ended = time.perf_counter()
    after, cpu, own = c.server_stats(host), c.cpu_seconds(stand_in_pid) - cpu, own_cpu_seconds() - own
    requests = max(1, after["requests"] - before["requests"])
    return {"seconds": ended - started, "incident_id": incident_id, "states": c.delivery_states(incident_id),
            "requests": requests, "duplicates": after["duplicates"] - before["duplicates"],
            "stand_in_cpu_ms_per_request": cpu * 1000 / requests, "cpu_ms_per_request": own * 1000 / requests,
            **breakdown.timeline(started, ended)}


def own_cpu_seconds() -> float:
    """CPU seconds of this process and of its children that ended (the sending processes, the ceiling's posters)."""
    me, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def run_ceiling(host: str, bodies: list[bytes], processes: int, stand_in_pid: int) -> dict[str, Any]:
    """One timed ceiling run (the bodies are built already)."""
    before, cpu, own = c.server_stats(host)["requests"], c.cpu_seconds(stand_in_pid), own_cpu_seconds()
    result = post_bodies(host, bodies, processes=processes)
    requests = max(1, c.server_stats(host)["requests"] - before)
    result["stand_in_cpu_ms_per_request"] = (c.cpu_seconds(stand_in_pid) - cpu) * 1000 / requests
    result["cpu_ms_per_request"] = (own_cpu_seconds() - own) * 1000 / requests
    return result


def one_size(people: int, runs: int, breakdown: Breakdown, first_seed: int) -> dict[str, Any]:
    """Flow and ceiling runs for one size, interleaved, on a fresh stand-in."""
    from flows.runtime import runtime
    from flows.send import SEND_LANES
    flows, ceilings, bodies = [], [], None
    with c.sendgrid_process() as (host, proc):
        os.environ.update(SENDGRID_API_KEY=c.API_KEY, BREACH_SENDGRID_HOST=host)
        for run in range(runs):
            flow_first = run % 2 == 0
            if flow_first:
                flows.append(run_flow(people, first_seed + run, host, proc.pid, breakdown))
            if bodies is None:  # after the first flow run (run 0 starts with the flow): its drafts, its sender
                controller = runtime().controller
                bodies = build_bodies(people=people, drafts=incident_drafts(flows[0]["incident_id"]),
                                      from_email=controller.sender_email, from_name=controller.name)
            ceilings.append(run_ceiling(host, bodies, SEND_LANES, proc.pid))
            if not flow_first:
                flows.append(run_flow(people, first_seed + run, host, proc.pid, breakdown))
        stand_in = c.server_stats(host)["cpu_ms_per_request"]
    return summarize(people, flows, ceilings, stand_in, lanes=SEND_LANES)


def summarize(people: int, flows: list[dict[str, Any]], ceilings: list[dict[str, Any]], stand_in: dict[str, Any],
              *, lanes: int) -> dict[str, Any]:
    """Medians of the runs, the ratio and the breakdown."""
    flow_s, ceiling_s = c.median([f["seconds"] for f in flows]), c.median([x["seconds"] for x in ceilings])
    timeline = {k: round(c.median([f["timeline"][k] for f in flows]), 3) for k in flows[0]["timeline"]}
    steps = {k: {"lane_seconds": round(c.median([f["per_batch_steps"][k]["lane_seconds"] for f in flows]), 3),
                 "ms_each": c.median([f["per_batch_steps"][k]["ms_each"] or 0.0 for f in flows])}
             for k in flows[0]["per_batch_steps"]}
    first, last = stand_in["first"], stand_in["last"]
    flow_cpu, ceiling_cpu = c.median([f["cpu_ms_per_request"] for f in flows]), c.median([x["cpu_ms_per_request"] for x in ceilings])
    flow_server = c.median([f["stand_in_cpu_ms_per_request"] for f in flows])
    ceiling_server = c.median([x["stand_in_cpu_ms_per_request"] for x in ceilings])
    return {
        "people": people, "runs": len(flows), "lanes": lanes,
        "flow": {"seconds": round(flow_s, 2), "per_second": round(people / flow_s), "seconds_each": [round(f["seconds"], 2) for f in flows],
                 "requests": flows[0]["requests"], "all_accepted": all(f["states"] == {"accepted": people} for f in flows),
                 "duplicates": max(f["duplicates"] for f in flows),
                 "stand_in_cpu_ms_per_request": round(flow_server, 2), "cpu_ms_per_request": round(flow_cpu, 2)},
        "ceiling": {"seconds": round(ceiling_s, 2), "per_second": round(people / ceiling_s), "processes": lanes,
                    "seconds_each": [round(x["seconds"], 2) for x in ceilings], "requests": ceilings[0]["requests"],
                    "stand_in_cpu_ms_per_request": round(ceiling_server, 2), "cpu_ms_per_request": round(ceiling_cpu, 2)},
        "ratio": round(ceiling_s / flow_s, 3),
        # the best ratio the flow's CPU allows: its CPU and the stand-in's, spread over every core with no core ever
        # idle, against the ceiling's measured time (the ceiling itself is bound by the one-process stand-in, not the cores)
        "cpu_bound_ratio": round(ceiling_s / ((flow_cpu + flow_server) * flows[0]["requests"] / 1000 / (os.cpu_count() or 1)), 3),
        "breakdown": {"timeline_seconds": timeline, "per_batch_steps": steps},
        "stand_in": {"cpu_ms_per_request_first": first, "cpu_ms_per_request_last": last, "window_requests": stand_in["window"],
                     "requests_seen": stand_in["requests"], "rate_last_vs_first": round(first / last, 3) if first and last else None},
    }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[20_000, 100_000, 1_000_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    root = c.temp_root("bench-send-")
    breakdown = Breakdown()
    with c.prefect_api():
        c.setup_env(root, timeout=30)
        breakdown.install()
        with c.sendgrid_process() as (host, proc):
            os.environ.update(SENDGRID_API_KEY=c.API_KEY, BREACH_SENDGRID_HOST=host)
            cold = run_flow(WARM_UP_PEOPLE, 1, host, proc.pid, breakdown)
        sizes = [one_size(people, args.runs, breakdown, first_seed=100 * (i + 1)) for i, people in enumerate(args.people)]
    print(json.dumps({"benchmark": "send", "cold_start": {"people": WARM_UP_PEOPLE, "seconds": round(cold["seconds"], 2),
                                                           "timeline_seconds": cold["timeline"]},
                      "sizes": sizes}, indent=2))


if __name__ == "__main__":
    main()
