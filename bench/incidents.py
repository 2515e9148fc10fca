"""Many incidents at once: N `breach-response` runs through a real `prefect server` and 1, then 2, workers.

    .venv/bin/python bench/incidents.py --incidents 20 --people 10000 --workers 1,2

The workload that wants more than one worker: a shared installation (one Prefect server, one project
database) where many incidents are answered at the same time. Starts what bench/latency.py starts
(PostgreSQL databases of its own, `prefect server start`, the process pool, the `breach-response`
deployment) plus the SendGrid stand-in. For each worker count: that many `prefect worker start
--limit N` processes, N fresh incidents (each its own facts and a realistic file of --people,
bench/_people.py), and then

1. N `breach-response` runs created at once through the API: open, assess, clock, import, draft,
   up to the approval; timed per incident until its verdict and authority deadline are readable,
   and until its run waits for approval (or ends there);
2. every incident approved as its manager would (`breach approve`: the decision is recorded, and a
   waiting run is resumed; where none waits, the incident's run is started again and finds the
   approval): timed until every run has sent and exported.

Prints JSON per worker count: verdict latency p50/p95 under this load, the two phases' seconds,
people notified per second over all incidents, deliveries in the outbox not accepted, and duplicates
(the stand-in counts every address; each incident's addresses are its own; the approval codes e-mailed
to the manager are taken off).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c
from bench._people import write_people_file
from bench.latency import DEPLOYMENT, WAITING, percentile, response_parameters, visible, write_facts
from bench.scale import Cluster, Procs, postgres_databases

FINAL = {"COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def _states(client: Any, run_ids: list[Any]) -> dict[Any, str]:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId
    runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=run_ids)), limit=len(run_ids))
    return {r.id: (r.state.name.upper() if r.state else "") for r in runs}


def _until(client: Any, run_ids: list[Any], done: set[str], timeout: float, seen: dict[Any, float] | None = None) -> dict[Any, float]:
    """Poll until every run's state is in `done`; returns when each got there (perf_counter)."""
    seen = {} if seen is None else seen
    deadline = time.perf_counter() + timeout
    while len(seen) < len(run_ids) and time.perf_counter() < deadline:
        now = time.perf_counter()
        for run_id, state in _states(client, run_ids).items():
            if run_id not in seen and state in done:
                seen[run_id] = now
        time.sleep(0.25)
    return seen


def phase_one(client: Any, root: Path, people: int, n: int, round_no: int, timeout: float) -> dict[str, Any]:
    """N runs at once up to their approval; verdict latency per incident."""
    from prefect.deployments import run_deployment
    cases, tag = [], f"r{round_no}"
    for i in range(n):
        facts, reference = write_facts(root, 1000 * round_no + i)
        people_path = write_people_file(root / f"people-{tag}-{i}.csv", people, seed=i, tag=f"{tag}{i}x")
        cases.append({"facts": facts, "reference": reference, "people": people_path,
                      "parameters": response_parameters(client, facts, people_path)})
    started = time.perf_counter()
    for case in cases:
        case["run"] = run_deployment(DEPLOYMENT, parameters=case["parameters"], timeout=0).id
    verdicts: dict[str, float] = {}
    deadline = time.perf_counter() + timeout
    while len(verdicts) < n and time.perf_counter() < deadline:
        for case in cases:
            if case["reference"] not in verdicts and (incident := visible(case["reference"])) is not None:
                verdicts[case["reference"]], case["incident_id"] = time.perf_counter() - started, incident
        time.sleep(0.1)
    waiting = _until(client, [case["run"] for case in cases], WAITING, timeout)
    seconds = list(verdicts.values())
    return {"cases": cases, "verdict_p50_seconds": round(percentile(seconds, 0.5), 2) if seconds else None,
            "verdict_p95_seconds": round(percentile(seconds, 0.95), 2) if seconds else None, "verdicts": len(seconds),
            "to_approval_seconds": round(max(waiting.values()) - started, 2) if waiting else None}


def _processes_ended(client: Any, run_ids: list[Any], timeout: float) -> None:
    """Wait until the process of each suspended run has exited (its worker frees the run's slot only then).

    Prefect 3.8's worker takes a slot per flow-run id and crashes ("this borrower is already holding one of this
    CapacityLimiter's tokens") when a run is resumed, so scheduled again, while the process it suspended in is
    still exiting: a manager answering within the second after the pause. This benchmark approves at once, so it
    waits for that here, before its clock starts.
    """
    deadline = time.perf_counter() + timeout
    pids = {run_id: (client.read_flow_run(run_id).infrastructure_pid or "").rpartition(":")[2] for run_id in run_ids}
    while time.perf_counter() < deadline and any(pid.isdigit() and _alive(int(pid)) for pid in pids.values()):
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def phase_two(client: Any, cases: list[dict[str, Any]], timeout: float) -> dict[str, Any]:
    """Approve every incident; resumed or restarted runs send and export; timed until all are final."""
    from prefect.deployments import run_deployment

    from breach.approval.decisions import Proof
    from flows.resume import submit_decision
    from flows.runtime import runtime
    _processes_ended(client, [case["run"] for case in cases], timeout)
    started = time.perf_counter()
    runs = []
    for case in cases:
        if not case.get("incident_id"):
            continue
        result = submit_decision(runtime(), incident_id=case["incident_id"], approver=c.MANAGER, reject=False, comment="benchmark",
                                 proof=Proof("code", c.approval_code(case["incident_id"])))
        if result.via == "flow":
            runs.append(case["run"])
        else:  # no run waited (it ended at the approval): the incident's run again, which finds the approval
            runs.append(run_deployment(DEPLOYMENT, parameters=case["parameters"], timeout=0).id)
    ended = _until(client, runs, FINAL, timeout)
    states = _states(client, runs)
    others = [client.read_flow_run(run_id) for run_id, state in states.items() if state != "COMPLETED"]
    return {"seconds": round(max(ended.values()) - started, 2) if ended else None,
            "completed": sum(1 for s in states.values() if s == "COMPLETED"), "runs": len(runs),
            # why a run did not complete: its state and Prefect's message (ids and error text, no personal data)
            "not_completed": [{"state": r.state.name if r.state else None, "message": (r.state.message or "")[:400] if r.state else ""}
                              for r in others]}


def approval_code_emails(incident_ids: list[str]) -> int:
    """Approval codes the runs e-mailed the manager (through the stand-in, as the notices): every code row of
    these incidents but the one per incident this benchmark issued itself to approve with (bench/_common.approval_code)."""
    from sqlalchemy import func, select

    from breach.store.tables import ApprovalCodeRow
    from flows.runtime import runtime
    with runtime().sessions() as session:
        issued = session.scalar(select(func.count()).select_from(ApprovalCodeRow).where(ApprovalCodeRow.incident_id.in_(incident_ids)))
    return max(0, int(issued or 0) - len(incident_ids))


def one_count(cluster: Cluster, host: str, workers: int, args: argparse.Namespace, root: Path, *, manager_seen: bool) -> dict[str, Any]:
    """One worker count; `manager_seen`: the stand-in got an approval code for the manager in an earlier count."""
    from prefect import get_client

    from flows.runtime import runtime
    from notices.sending.outbox import delivery_counts
    before = c.server_stats(host)
    cluster.start_workers(workers, limit=args.incidents, prefix=f"w{workers}")
    try:
        with get_client(sync_client=True) as client:
            one = phase_one(client, root, args.people, args.incidents, workers, args.timeout)
            two = phase_two(client, one["cases"], args.timeout)
    finally:
        cluster.stop_workers()
    after = c.server_stats(host)
    delivered, outbox = 0, 0
    incident_ids = [case["incident_id"] for case in one["cases"] if case.get("incident_id")]
    with runtime().sessions() as session:
        for incident_id in incident_ids:
            counts = delivery_counts(session=session, incident_id=incident_id)
            delivered += sum(counts.get(channel, {}).get("accepted", 0) for channel in ("email", "letter"))
            outbox += sum(sum(counts.get(channel, {}).values()) for channel in ("email", "letter"))
    # The stand-in counts the manager's address again for every approval code after the first one it ever got: those
    # e-mails are not notices, so they are taken off its duplicates (each incident's people have addresses of their own).
    code_emails = approval_code_emails(incident_ids)
    manager_repeats = code_emails - (0 if manager_seen or not code_emails else 1)
    total_people = args.incidents * args.people
    out = {"workers": workers, "incidents": args.incidents, "people_each": args.people,
           "verdict_p50_seconds": one["verdict_p50_seconds"], "verdict_p95_seconds": one["verdict_p95_seconds"],
           "verdicts": one["verdicts"], "to_approval_seconds": one["to_approval_seconds"], "send_and_export_seconds": two["seconds"],
           "completed": two["completed"], "not_completed": two["not_completed"], "delivered": delivered, "not_accepted": outbox - delivered,
           "people_per_second": round(delivered / two["seconds"]) if two["seconds"] else None,
           "duplicates": after["duplicates"] - before["duplicates"] - manager_repeats, "approval_code_emails": code_emails,
           "file_rows": total_people}
    print(json.dumps(out), file=sys.stderr, flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--incidents", type=int, default=20)
    parser.add_argument("--people", type=int, default=10_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, run one after another")
    parser.add_argument("--query-seconds", type=float, default=1.0, help="PREFECT_WORKER_QUERY_SECONDS (Prefect's default: 10)")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    root = c.temp_root("bench-incidents-")
    procs = Procs()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with ExitStack() as stack:
        prefect_db, breach_db = stack.enter_context(postgres_databases(f"inc{os.getpid()}"))
        host = stack.enter_context(c.sendgrid_server())
        stack.callback(procs.stop_all)
        env = c.setup_env(root, host=host, timeout=30)
        env["BREACH_DB_URL"] = os.environ["BREACH_DB_URL"] = breach_db
        cluster = Cluster(procs, root, env, query_seconds=args.query_seconds)
        cluster.start_server(prefect_db)
        os.environ["PREFECT_API_URL"] = cluster.api_url
        from prefect.context import refresh_global_settings_context
        refresh_global_settings_context()
        cluster.create_pool()
        cluster.deploy(("breach-response",))
        results: list[dict[str, Any]] = []
        for n in (int(x) for x in args.workers.split(",") if x.strip()):
            results.append(one_count(cluster, host, n, args, root, manager_seen=any(r["approval_code_emails"] for r in results)))
    print(json.dumps({"cpus": os.cpu_count(), "worker_query_seconds": args.query_seconds, "results": results}, indent=2))


if __name__ == "__main__":
    main()
