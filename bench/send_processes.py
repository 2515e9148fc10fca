"""Forked sending processes or threads: the send flow both ways at the same sizes, interleaved.

    .venv/bin/python bench/send_processes.py --people 20000 50000 100000 --runs 3

`forked`: one sending process per lane (what flows/send.py does from BREACH_SEND_PROCESS_MIN_BATCHES
batches on); `threads`: the lanes as threads of the flow's process. Same lanes, same stand-in, a
fresh approved incident per run, the order alternating run by run. This is what the default
threshold rests on. Prints JSON per size: seconds (median, each run) and the median timeline of
each way (bench/breakdown.py), and forked_over_threads (median seconds forked / threads).
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
from bench.breakdown import Breakdown
from bench.send import WARM_UP_PEOPLE, run_flow

WAYS = ("forked", "threads")


def one_size(people: int, runs: int, breakdown: Breakdown, host: str, pid: int, first_seed: int) -> dict[str, Any]:
    """Both ways `runs` times at one size."""
    import flows.send as send
    results: dict[str, list[dict[str, Any]]] = {way: [] for way in WAYS}
    for run in range(runs):
        for way in (WAYS if run % 2 == 0 else WAYS[::-1]):
            send.PROCESS_MIN_BATCHES = 1 if way == "forked" else 0  # 0: never fork
            results[way].append(run_flow(people, first_seed + 2 * run + WAYS.index(way), host, pid, breakdown))
    out: dict[str, Any] = {"people": people, "runs": runs, "lanes": send.SEND_LANES}
    for way, flows in results.items():
        out[way] = {"seconds": round(c.median([f["seconds"] for f in flows]), 2), "seconds_each": [round(f["seconds"], 2) for f in flows],
                    "all_accepted": all(f["states"] == {"accepted": people} for f in flows),
                    "timeline_seconds": {k: round(c.median([f["timeline"][k] for f in flows]), 3) for k in flows[0]["timeline"]}}
    out["forked_over_threads"] = round(out["forked"]["seconds"] / out["threads"]["seconds"], 2)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[20_000, 50_000, 100_000])
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args(argv)
    import_threshold = None
    breakdown = Breakdown()
    with c.prefect_api():
        c.setup_env(c.temp_root("bench-send-processes-"), timeout=30)
        breakdown.install()
        import flows.send as send
        import_threshold = send.PROCESS_MIN_BATCHES
        with c.sendgrid_process() as (host, proc):
            os.environ.update(SENDGRID_API_KEY=c.API_KEY, BREACH_SENDGRID_HOST=host)
            run_flow(WARM_UP_PEOPLE, 1, host, proc.pid, breakdown)  # warm-up, not counted
            sizes = [one_size(people, args.runs, breakdown, host, proc.pid, 1000 * (i + 1)) for i, people in enumerate(args.people)]
    print(json.dumps({"benchmark": "send_processes", "default_process_min_batches": import_threshold, "sizes": sizes}, indent=2))


if __name__ == "__main__":
    main()
