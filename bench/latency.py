"""Benchmark what a responder waits for: the verdict and the authority deadline after the alarm, and the CLI's cold start.

    .venv/bin/python bench/latency.py --runs 20

Starts (all on 127.0.0.1, all stopped at exit): PostgreSQL databases of its own (bench/scale.py),
`prefect server start`, the process work pool, the `breach-response` deployment from prefect.yaml
(`prefect deploy`) and one `prefect worker start` (polling every --query-seconds). Then, run after
run, it creates a `breach-response` run through the API (`run_deployment`, as the UI's "Run" button
and `prefect deployment run` do) with a fresh facts file, and times the moment the verdict and the
authority deadline are readable where a responder looks: in the project database that
`breach status` reads (the assessment and the authority clock), and in the run's case-file artifact
when the flow writes one. Each run is left to reach its approval pause before the next starts.

Also the cold start (fresh interpreter, as from a terminal) of `breach --help`, `breach assess
FACTS --json` and `breach status ID`, median of --cli-runs.

Prints JSON: p50 / p95 / each of the run latencies, where the time goes (created -> picked up by
the worker -> flow running -> visible), the CLI seconds, and the goals (p50 <= 5 s, p95 <= 10 s,
--help <= 0.3 s, assess <= 0.6 s).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c
from bench.scale import Cluster, Procs, postgres_databases

GOALS = {"p50_seconds": 5.0, "p95_seconds": 10.0, "help_seconds": 0.3, "assess_seconds": 0.6}
DEPLOYMENT = "breach-response/breach-response"
WAITING = {"PAUSED", "SUSPENDED", "COMPLETED", "FAILED", "CRASHED", "CANCELLED"}


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (p95 of 20 values is the 19th)."""
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, -(-int(share * 100) * len(ordered) // 100) - 1))]


def write_facts(root: Path, i: int) -> tuple[Path, str]:
    """The example facts with a reference of its own, awareness an hour ago."""
    from datetime import datetime

    from breach import instants
    document = json.loads((c.REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
    reference = f"BENCH-LATENCY-{os.getpid()}-{i}"
    document["reference"] = reference
    shift = instants.utcnow().replace(microsecond=0) - timedelta(hours=1) - instants.parse_instant(document["aware_at"])
    for key in ("occurred_at", "detected_at", "aware_at"):
        if document.get(key):
            document[key] = (datetime.fromisoformat(document[key]) + shift).isoformat()
    path = root / f"facts-{i}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path, reference


def response_parameters(client: Any, facts: Path, people: Path | None = None) -> dict[str, Any]:
    """The breach-response deployment's parameters for a facts file: the document itself where the deployment
    takes typed facts, else the file's path (as the flow has taken them over time)."""
    schema = client.read_deployment_by_name(DEPLOYMENT).parameter_openapi_schema or {}
    out: dict[str, Any] = ({"facts": json.loads(facts.read_text(encoding="utf-8"))} if "facts" in schema.get("properties", {})
                           else {"facts_path": str(facts)})
    if people is not None:
        out["people_path"] = str(people)
    return out


def visible(reference: str) -> str | None:
    """The incident id once its verdict and its authority deadline are stored (what `breach status` shows)."""
    from sqlalchemy import select

    from breach.clock.deadlines import stored_name
    from breach.store.tables import AssessmentRow, DeadlineRow, IncidentRow
    from flows.runtime import runtime
    with runtime().sessions() as session:
        incident_id = session.scalar(select(IncidentRow.id).where(IncidentRow.reference == reference))
        if incident_id is None:
            return None
        verdict = session.scalar(select(AssessmentRow.id).where(AssessmentRow.incident_id == incident_id).limit(1))
        deadline = session.scalar(select(DeadlineRow.due_at).where(DeadlineRow.incident_id == incident_id,
                                                                   DeadlineRow.obligation == stored_name("gdpr.authority")).limit(1))
        return incident_id if verdict is not None and deadline is not None else None


def one_run(client: Any, root: Path, i: int, timeout: float) -> dict[str, Any]:
    """Create a run through the API and time the verdict and deadline becoming readable."""
    from prefect.deployments import run_deployment
    facts, reference = write_facts(root, i)
    parameters = response_parameters(client, facts)
    started = time.perf_counter()
    run = run_deployment(DEPLOYMENT, parameters=parameters, timeout=0)
    incident_id, artifact_at, seen_at, stored_at = None, None, None, None
    while time.perf_counter() - started < timeout:
        now = time.perf_counter()
        if seen_at is None and (incident_id := visible(reference)) is not None:
            seen_at, stored_at = now, _deadline_stored_at(incident_id)
        if artifact_at is None and incident_id is not None and _case_file_after(client, incident_id, stored_at):
            artifact_at = now
        if seen_at is not None and (artifact_at is not None or now - seen_at > 10):
            break
        time.sleep(0.05)
    waited = _wait_for_pause(client, run.id, timeout)
    return {"incident_id": incident_id, "flow_run_id": str(run.id), "seconds": None if seen_at is None else seen_at - started,
            "artifact_seconds": None if artifact_at is None else artifact_at - started, **_phases(client, run.id, started, waited)}


def _deadline_stored_at(incident_id: str) -> Any:
    """When the incident's authority clock was started (its audit event), to tell the case file's later versions."""
    from breach.audit import events_for
    from flows.runtime import runtime
    with runtime().sessions() as session:
        return max((e.at for e in events_for(session=session, incident_id=incident_id) if e.action == "clock.started"), default=None)


def _case_file_after(client: Any, incident_id: str, stored_at: Any) -> bool:
    """Whether the incident's case-file artifact has a version written after its clock started (so it shows the
    verdict and the deadline); False where the flow writes no case file (flows.case_file absent)."""
    try:
        from flows.case_file import case_file_key
    except ImportError:
        return False
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey
    found = client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[case_file_key(incident_id)])), limit=50)
    return any(stored_at is None or (a.created is not None and a.created >= stored_at) for a in found)


def _wait_for_pause(client: Any, run_id: Any, timeout: float) -> float:
    """Wait until the run pauses for approval (or ends), so that runs do not overlap; returns perf_counter then."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        state = client.read_flow_run(run_id).state
        if state is not None and (state.type.value in WAITING or state.name.upper() in WAITING):
            break
        time.sleep(0.2)
    return time.perf_counter()


def _phases(client: Any, run_id: Any, started: float, waited: float) -> dict[str, Any]:
    """Seconds from the API call to Pending (a worker took the run) and to Running (the flow's process started)."""
    states = sorted(client.read_flow_run_states(run_id), key=lambda s: s.timestamp)
    first = states[0].timestamp
    out: dict[str, Any] = {"until_pause_seconds": round(waited - started, 2)}
    for name in ("PENDING", "RUNNING"):
        at = next((s.timestamp for s in states if s.type.value == name), None)
        out[f"{name.lower()}_after_seconds"] = None if at is None else round((at - first).total_seconds(), 2)
    return out


def cold_start(args: list[str], env: dict[str, str], runs: int) -> dict[str, Any]:
    """A `breach` command in a fresh interpreter, as from a terminal: median and max seconds, and its exit code."""
    breach = str(Path(sys.executable).with_name("breach"))
    seconds, code = [], None
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run([breach, *args], env=env, capture_output=True, text=True, cwd=c.REPO)
        seconds.append(time.perf_counter() - started)
        code = done.returncode
    return {"command": "breach " + " ".join(a if not a.startswith("/") else Path(a).name for a in args),
            "seconds": round(c.median(seconds), 3), "max_seconds": round(max(seconds), 3), "exit_code": code, "output": done.stdout}


def cli(env: dict[str, str], incident_id: str, runs: int) -> dict[str, Any]:
    facts = str(c.REPO / "breach" / "examples" / "facts.json")
    out = {"help": cold_start(["--help"], env, runs), "assess": cold_start(["assess", facts, "--json"], env, runs),
           "status": cold_start(["status", incident_id], env, runs)}
    status = out["status"].pop("output")
    out["status"]["shows_verdict_and_deadline"] = "risk:" in status and ("authority" in status.lower())
    for entry in out.values():
        entry.pop("output", None)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--cli-runs", type=int, default=5)
    parser.add_argument("--query-seconds", type=float, default=1.0,
                        help="PREFECT_WORKER_QUERY_SECONDS of the worker (Prefect's default: 10)")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    root = c.temp_root("bench-latency-")
    procs = Procs()
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    with ExitStack() as stack:
        prefect_db, breach_db = stack.enter_context(postgres_databases(f"lat{os.getpid()}"))
        stack.callback(procs.stop_all)
        env = c.setup_env(root)
        env["BREACH_DB_URL"] = os.environ["BREACH_DB_URL"] = breach_db
        cluster = Cluster(procs, root, env, query_seconds=args.query_seconds)
        cluster.start_server(prefect_db)
        os.environ["PREFECT_API_URL"] = cluster.api_url
        from prefect.context import refresh_global_settings_context
        refresh_global_settings_context()  # Prefect read its settings at import, before the server's URL was known
        cluster.create_pool()
        cluster.deploy(("breach-response",))
        cluster.start_workers(1, limit=4)
        from prefect import get_client
        with get_client(sync_client=True) as client:
            runs = [one_run(client, root, i, args.timeout) for i in range(args.runs)]
        last = next(r["incident_id"] for r in reversed(runs) if r["incident_id"])
        commands = cli({**cluster.env, "PREFECT_API_URL": cluster.api_url}, last, args.cli_runs)
    seconds = [r["seconds"] for r in runs if r["seconds"] is not None]
    artifacts = [r["artifact_seconds"] for r in runs if r["artifact_seconds"] is not None]
    result = {
        "runs": args.runs, "visible": len(seconds), "worker_query_seconds": args.query_seconds, "cpus": os.cpu_count(),
        "p50_seconds": round(percentile(seconds, 0.5), 2) if seconds else None,
        "p95_seconds": round(percentile(seconds, 0.95), 2) if seconds else None,
        "each_seconds": [None if r["seconds"] is None else round(r["seconds"], 2) for r in runs],
        "artifact_p50_seconds": round(percentile(artifacts, 0.5), 2) if artifacts else None,
        "picked_up_p50_seconds": round(c.median([r["pending_after_seconds"] for r in runs if r["pending_after_seconds"] is not None]), 2),
        "running_p50_seconds": round(c.median([r["running_after_seconds"] for r in runs if r["running_after_seconds"] is not None]), 2),
        "cli": commands, "goals": GOALS,
    }
    result["met"] = {"p50_seconds": bool(seconds) and result["p50_seconds"] <= GOALS["p50_seconds"],
                     "p95_seconds": bool(seconds) and result["p95_seconds"] <= GOALS["p95_seconds"] and len(seconds) == args.runs,
                     "help_seconds": commands["help"]["seconds"] <= GOALS["help_seconds"],
                     "assess_seconds": commands["assess"]["seconds"] <= GOALS["assess_seconds"]}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
