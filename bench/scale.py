"""Beyond one machine: `prefect server` on PostgreSQL, a process work pool, 1 then 2 workers, beside the in-process send.

    .venv/bin/python bench/scale.py --people 1000000 --workers 1,2

Starts (all on 127.0.0.1, all stopped at exit, also on Ctrl-C): PostgreSQL (`.ci/start-postgres.sh`
when none answers on :5432) with two fresh databases of its own, one for Prefect and one for the
project; `prefect server start` on a free port against the first; the SendGrid stand-in. It
creates the process work pool `breach-process` and registers the `send-email-chunk` and
`send-notices-fanout` deployments from prefect.yaml (`prefect deploy`). Then, round after round:

- the ceiling: a fresh approved incident of N people sent by `send-notices` in this process (its
  forked sending processes), through the same Prefect server, databases and stand-in;
- for each worker count: that many `prefect worker start --pool breach-process --limit 1`
  processes, a fresh approved incident of N people, and `send-notices-fanout` for it (the
  coordinator runs in this process; each part is a flow run in a worker's child process, created
  before the outbox is written).

Prints JSON: the in-process people/s; per worker count the people/s, its ratio to the in-process
send and the median chunk wait (created -> Running); speed-up (2 workers / 1); lost, duplicates and
batches claimed twice over every run; the goals (ratio >= 0.8, chunk wait <= 5 s, for 2 workers) and whether
they are met; each round.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c

REPO = c.REPO
POOL = "breach-process"
PREFECT = str(Path(sys.executable).with_name("prefect"))
PG = "postgresql://postgres@127.0.0.1:5432"
GOALS = {"ratio_to_in_process": 0.8, "chunk_wait_seconds_median": 5.0}  # the 2-worker fan-out against the in-process send (#18)


# ----------------------------------------------------------------------------------------------- processes

class Procs:
    """Child processes, each in its own process group (so a worker's flow-run children go with it)."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen] = []

    def start(self, cmd: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:  # the child keeps its own copy of the descriptor
            proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                                    start_new_session=True, preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        self.procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 15.0) -> None:
        """SIGINT (a worker and the server shut down cleanly), then SIGKILL to the whole group."""
        if proc.poll() is None:
            try:
                os.killpg(proc.pid, signal.SIGINT)
                proc.wait(timeout=grace)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        with suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # leftovers of the group (flow-run children, uvicorn)
        proc.wait()
        if proc in self.procs:
            self.procs.remove(proc)

    def stop_all(self, grace: float = 15.0) -> None:
        """SIGINT to every group at once, then each one stopped as in `stop`."""
        for proc in self.procs:
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
        deadline = time.monotonic() + grace
        for proc in reversed(list(self.procs)):
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            self.stop(proc, grace=0.1)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _psql(sql: str) -> None:
    subprocess.run(["psql", "-h", "127.0.0.1", "-U", "postgres", "-qtc", sql], check=True, stdout=subprocess.DEVNULL)


@contextmanager
def postgres_databases(tag: str) -> Iterator[tuple[str, str]]:
    """(Prefect's asyncpg URL, the project's psycopg URL): two fresh databases, dropped at exit."""
    ready = subprocess.run(["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-q"]).returncode == 0
    if not ready:  # the script (re)creates breach_test, so it is only run when no server answers
        subprocess.run(["bash", str(REPO / ".ci" / "start-postgres.sh")], check=True, stdout=subprocess.DEVNULL)
    names = (f"scale_prefect_{tag}", f"scale_breach_{tag}")
    for name in names:
        _psql(f"DROP DATABASE IF EXISTS {name}")
        _psql(f"CREATE DATABASE {name}")
    try:
        yield (f"postgresql+asyncpg://postgres@127.0.0.1:5432/{names[0]}",
               f"postgresql+psycopg://postgres@127.0.0.1:5432/{names[1]}")
    finally:
        for name in names:
            with suppress(subprocess.CalledProcessError):
                _psql(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


# ----------------------------------------------------------------------------------------------- Prefect

class Cluster:
    """A Prefect server, the work pool, the deployments and workers; used by this script and by the test."""

    def __init__(self, procs: Procs, root: Path, env: dict[str, str], *, query_seconds: float = 2.0, pool: str = POOL) -> None:
        self.procs, self.root, self.pool = procs, root, pool
        self.env = {**os.environ, **env, "BREACH_HOME": str(REPO), "PREFECT_WORKER_QUERY_SECONDS": str(query_seconds),
                    "PREFECT_SERVER_ANALYTICS_ENABLED": "false", "PREFECT_LOGGING_LEVEL": "WARNING"}
        self.env.pop("PREFECT_PROFILE", None)
        self.api_url = ""
        self.workers: list[tuple[str, subprocess.Popen]] = []
        (root / "logs").mkdir(parents=True, exist_ok=True)

    def use_server(self, api_url: str) -> str:
        """A Prefect server that is already running (e.g. the test suite's)."""
        self.api_url = self.env["PREFECT_API_URL"] = api_url
        return api_url

    def start_server(self, database_url: str | None = None, timeout: float = 240.0) -> str:
        port = free_port()
        env = dict(self.env)
        if database_url:
            env["PREFECT_SERVER_DATABASE_CONNECTION_URL"] = database_url
        env.pop("PREFECT_API_URL", None)
        self.procs.start([PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port), "--no-ui"],
                         env=env, log=self.root / "logs" / "server.log")
        self.api_url = f"http://127.0.0.1:{port}/api"
        deadline = time.monotonic() + timeout
        while True:
            try:
                with urllib.request.urlopen(f"{self.api_url}/health", timeout=5) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"prefect server did not answer within {timeout:.0f} s (see {self.root / 'logs' / 'server.log'})")
            time.sleep(0.5)
        self.env["PREFECT_API_URL"] = self.api_url
        return self.api_url

    def create_pool(self) -> None:
        """The process work pool as README.md creates it: Prefect's job template, flow runs started by this
        interpreter's engine (flows/pool.py)."""
        from prefect.client.orchestration import get_client
        from prefect.client.schemas.actions import WorkPoolCreate
        from prefect.settings import PREFECT_API_URL, temporary_settings

        from flows.pool import process_pool_template
        with temporary_settings({PREFECT_API_URL: self.api_url}), get_client(sync_client=True) as client:
            client.create_work_pool(WorkPoolCreate(name=self.pool, type="process", base_job_template=process_pool_template()),
                                    overwrite=True)

    def deploy(self, names: tuple[str, ...] = ("send-email-chunk", "send-notices-fanout")) -> None:
        """The fan-out deployments from prefect.yaml, with the documented command (`prefect --no-prompt
        deploy`), into this cluster's pool: one name per call, since prefect ignores --pool for several."""
        for name in names:
            command = [PREFECT, "--no-prompt", "deploy", "--name", name, "--pool", self.pool]
            done = subprocess.run(command, cwd=REPO, env={**self.env, "PREFECT_API_URL": self.api_url}, capture_output=True,
                                  text=True, timeout=300)
            if done.returncode != 0:
                raise RuntimeError(f"prefect deploy {name} failed ({done.returncode}):\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")

    def start_workers(self, n: int, *, limit: int = 1, prefix: str = "worker", timeout: float = 120.0, wait: bool = True) -> list[str]:
        """n `prefect worker start` processes, each running at most `limit` flow runs at once; waits until online."""
        names = []
        for i in range(1, n + 1):
            name = f"{prefix}-{i}"
            proc = self.procs.start([PREFECT, "worker", "start", "--pool", self.pool, "--type", "process", "--name", name,
                                     "--limit", str(limit)], env=self.env, log=self.root / "logs" / f"{name}.log")
            self.workers.append((name, proc))
            names.append(name)
        if wait:
            self.wait_workers(names, timeout=timeout)
        return names

    def wait_workers(self, names: list[str], timeout: float = 120.0) -> None:
        deadline = time.monotonic() + timeout
        while set(names) - self.online_workers():
            if time.monotonic() > deadline:
                raise RuntimeError(f"workers {names} did not come online within {timeout:.0f} s")
            for name, proc in self.workers:
                if proc.poll() is not None:
                    raise RuntimeError(f"worker {name} exited with {proc.returncode}")
            time.sleep(0.5)

    def online_workers(self) -> set[str]:
        from prefect.client.orchestration import get_client
        from prefect.settings import PREFECT_API_URL, temporary_settings
        with temporary_settings({PREFECT_API_URL: self.api_url}), get_client(sync_client=True) as client:
            try:
                workers = client.read_workers_for_work_pool(self.pool, limit=100, offset=0)
                return {w.name for w in workers if str(w.status).upper().endswith("ONLINE")}
            except Exception:  # the pool may not exist yet
                return set()

    def stop_workers(self, grace: float = 15.0) -> None:
        """SIGINT to all workers at once, then wait (SIGKILL to what is left)."""
        for _name, proc in self.workers:
            if proc.poll() is None:
                with suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGINT)
        for _name, proc in self.workers:
            self.procs.stop(proc, grace=grace)
        self.workers.clear()


def chunk_runs(api_url: str, incident_id: str) -> list[dict[str, Any]]:
    """Every send-email-chunk run of the incident: worker name, pid, state, batch numbers, times."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowFilter, FlowFilterName, FlowRunFilter, FlowRunFilterTags
    from prefect.client.schemas.sorting import FlowRunSort
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.fanout import CHUNK_FLOW, WORKER_LABEL, incident_tag
    with temporary_settings({PREFECT_API_URL: api_url}), get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(tags=FlowRunFilterTags(all_=[incident_tag(incident_id)])),
                                     flow_filter=FlowFilter(name=FlowFilterName(any_=[CHUNK_FLOW])), limit=200,
                                     sort=FlowRunSort.ID_DESC)
        pending = {r.id: min((s.timestamp for s in client.read_flow_run_states(r.id) if s.type.value == "PENDING"), default=None)
                   for r in runs}  # when a worker took the run (then: its process starting, Prefect and our flow loading)
    email = email_batches(incident_id)
    return [{"worker": (r.labels or {}).get(WORKER_LABEL), "pid": r.infrastructure_pid, "state": r.state.type.value if r.state else None,
             "part": r.parameters.get("part"), "parts": r.parameters.get("parts"), "batch_nos": _assigned(r.parameters, email),
             "created": r.created, "pending": pending[r.id], "start": r.start_time, "end": r.end_time}
            for r in runs]


def _assigned(parameters: dict[str, Any], email: list[int]) -> list[int]:
    """The batches a chunk run was given: its batch_nos, or its part of the incident's e-mail batches."""
    from flows.fanout import share
    if parameters.get("batch_nos") is not None:
        return list(parameters["batch_nos"])
    return share(email, int(parameters.get("part", 0)), int(parameters.get("parts", 1)))


def email_batches(incident_id: str) -> list[int]:
    """Every e-mail batch number of the incident's outbox (done or not)."""
    from sqlalchemy import select

    from breach.store.tables import SendBatchRow
    from flows.runtime import runtime
    with runtime().sessions() as session:
        return list(session.execute(select(SendBatchRow.batch_no).where(
            SendBatchRow.incident_id == incident_id, SendBatchRow.channel == "email").order_by(SendBatchRow.batch_no)).scalars())


def batch_claims(incident_id: str) -> dict[str, int]:
    """From our DB: e-mail batches by state, and how many were claimed more than once."""
    from sqlalchemy import func, select

    from breach.store.tables import SendBatchRow
    from flows.runtime import runtime
    with runtime().sessions() as session:
        rows = session.execute(select(SendBatchRow.state, SendBatchRow.attempts, func.count()).where(
            SendBatchRow.incident_id == incident_id, SendBatchRow.channel == "email")
            .group_by(SendBatchRow.state, SendBatchRow.attempts)).all()
    return {"batches": sum(n for _, _, n in rows), "done": sum(n for s, _, n in rows if s == "done"),
            "claimed_more_than_once": sum(n for _, a, n in rows if a > 1)}


def send_window(incident_id: str) -> dict[str, float | None]:
    """From our DB: the e-mail batches' first start to their last finish (the sending itself, without the outbox
    or Prefect's start and end), and the median seconds of one batch."""
    from sqlalchemy import select

    from breach.store.tables import SendBatchRow
    from flows.runtime import runtime
    with runtime().sessions() as session:
        rows = session.execute(select(SendBatchRow.started_at, SendBatchRow.finished_at).where(
            SendBatchRow.incident_id == incident_id, SendBatchRow.channel == "email")).all()
    starts = [s for s, _ in rows if s is not None]
    ends = [e for _, e in rows if e is not None]
    if not starts or not ends:
        return {"sending_seconds": None, "batch_seconds_median": None}
    return {"sending_seconds": round((max(ends) - min(starts)).total_seconds(), 2),
            "batch_seconds_median": _median([(e - s).total_seconds() for s, e in rows if s is not None and e is not None])}


def run_fanout(api_url: str, incident_id: str, parts: int = 0) -> tuple[float, dict[str, Any]]:
    """The coordinator flow in this process against `api_url` (parts: 0 for one per online worker); returns (seconds, its result)."""
    from prefect.settings import PREFECT_API_URL, temporary_settings

    from flows.fanout import send_notices_fanout
    from flows.runtime import runtime
    runtime.cache_clear()
    with temporary_settings({PREFECT_API_URL: api_url}):
        started = time.perf_counter()
        result = send_notices_fanout(incident_id, parts=parts, poll_seconds=0.5)
        return time.perf_counter() - started, result


def spread(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Batches per worker and per process, and batches handed to more than one run."""
    per_worker: Counter[str] = Counter()
    per_pid: Counter[str] = Counter()
    assigned: Counter[int] = Counter()
    for r in runs:
        per_worker[r["worker"] or "unknown"] += len(r["batch_nos"])
        per_pid[r["pid"] or "unknown"] += len(r["batch_nos"])
        assigned.update(r["batch_nos"])
    starts = [r["start"] for r in runs if r["start"]]
    ends = [r["end"] for r in runs if r["end"]]
    return {"batches_per_worker": dict(sorted(per_worker.items())), "batches_per_process": dict(sorted(per_pid.items())),
            "chunk_runs": len(runs), "chunk_runs_per_worker": dict(sorted(Counter(r["worker"] or "unknown" for r in runs).items())),
            "batches_assigned_twice": sum(1 for n in assigned.values() if n > 1),
            "chunk_phase_seconds": round((max(ends) - min(starts)).total_seconds(), 2) if starts and ends else None,
            # created -> Running (the worker's poll, a process start, loading the flow) and Running -> final
            "first_chunk_wait_seconds": _min([(r["start"] - r["created"]).total_seconds() for r in runs if r["start"]]),
            "chunk_wait_seconds_median": _median([(r["start"] - r["created"]).total_seconds() for r in runs if r["start"]]),
            # of which: created -> Pending (a worker's poll) and Pending -> Running (the run's process starting)
            "chunk_pickup_seconds_median": _median([(r["pending"] - r["created"]).total_seconds() for r in runs if r["pending"]]),
            "chunk_start_seconds_median": _median([(r["start"] - r["pending"]).total_seconds()
                                                   for r in runs if r["start"] and r["pending"]]),
            "chunk_run_seconds_median": _median([(r["end"] - r["start"]).total_seconds() for r in runs if r["start"] and r["end"]])}


def _min(values: list[float]) -> float | None:
    return round(min(values), 2) if values else None


def _median(values: list[float]) -> float | None:
    return round(c.median(values), 2) if values else None


# ----------------------------------------------------------------------------------------------- bench

def one_count(cluster: Cluster, host: str, workers: int, people: int, parts: int, limit: int, seed: int) -> dict[str, Any]:
    incident_id = c.approved_incident(people, seed=seed)  # before the workers start: its CPU time is not measured
    before = c.server_stats(host)
    names = cluster.start_workers(workers, limit=limit, prefix=f"w{workers}")
    try:
        # One part per worker slot (a stopped worker of the previous count may still be listed as online for a while)
        seconds, result = run_fanout(cluster.api_url, incident_id, parts or workers * limit)
    finally:
        cluster.stop_workers()
    after = c.server_stats(host)
    states = c.delivery_states(incident_id)
    runs = chunk_runs(cluster.api_url, incident_id)
    out = {"workers": workers, "worker_names": names, "incident_id": incident_id, "seconds": round(seconds, 2),
           "per_second": round(people / seconds), "requests": after["requests"] - before["requests"],
           "recipients_received": after["recipients"] - before["recipients"],
           "duplicates": after["duplicates"] - before["duplicates"], "lost": people - states.get("accepted", 0),
           "delivery_states": states, **spread(runs), "db_batches": batch_claims(incident_id),
           "failed_chunks": len(result["failed_chunks"]), "coordinator_seconds": result["seconds"], **send_window(incident_id)}
    shown = ("workers", "seconds", "per_second", "batches_per_worker", "chunk_wait_seconds_median", "chunk_pickup_seconds_median",
             "chunk_start_seconds_median", "sending_seconds",
             "batch_seconds_median", "coordinator_seconds", "duplicates", "lost")
    print(json.dumps({k: out[k] for k in shown}), file=sys.stderr, flush=True)
    return out


def in_process(host: str, people: int, seed: int) -> dict[str, Any]:
    """The ceiling: `send-notices` in this process (forked sending processes) for an incident of the same size,
    against the same Prefect server and databases."""
    incident_id = c.approved_incident(people, seed=seed)
    before = c.server_stats(host)
    seconds, _sending = c.run_send(incident_id)
    after = c.server_stats(host)
    states = c.delivery_states(incident_id)
    out = {"seconds": round(seconds, 2), "per_second": round(people / seconds), "lost": people - states.get("accepted", 0),
           "duplicates": after["duplicates"] - before["duplicates"], **send_window(incident_id)}
    print(json.dumps({"in_process": out}), file=sys.stderr, flush=True)
    return out


def summary(people: int, counts: list[int], rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """Medians over the rounds: each worker count beside the in-process send of the same run."""
    ceiling = c.median([r["in_process"]["per_second"] for r in rounds])
    out: dict[str, Any] = {"in_process_per_second": round(ceiling)}
    for n in counts:
        rate = c.median([r[n]["per_second"] for r in rounds])
        waits = {key: [r[n][key] for r in rounds if r[n].get(key) is not None]
                 for key in ("chunk_wait_seconds_median", "chunk_pickup_seconds_median", "chunk_start_seconds_median")}
        out[f"workers_{n}"] = {"per_second": round(rate), "ratio_to_in_process": round(rate / ceiling, 3),
                               **{key: round(c.median(values), 2) if values else None for key, values in waits.items()}}
    if 1 in counts and 2 in counts:
        out["speedup"] = round(out["workers_2"]["per_second"] / out["workers_1"]["per_second"], 2)
    out["lost"] = max([r[n]["lost"] for r in rounds for n in counts] + [r["in_process"]["lost"] for r in rounds])
    out["duplicates"] = max([r[n]["duplicates"] for r in rounds for n in counts] + [r["in_process"]["duplicates"] for r in rounds])
    out["batches_claimed_twice"] = max(r[n]["db_batches"]["claimed_more_than_once"] for r in rounds for n in counts)
    return out


def met(medians: dict[str, Any]) -> dict[str, bool]:
    """The goals, for the 2-worker fan-out (not met when 2 workers were not measured)."""
    two = medians.get("workers_2") or {}
    wait = two.get("chunk_wait_seconds_median")
    return {"ratio_to_in_process": two.get("ratio_to_in_process", 0.0) >= GOALS["ratio_to_in_process"],
            "chunk_wait_seconds_median": wait is not None and wait <= GOALS["chunk_wait_seconds_median"]}


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt  # SIGTERM cleans up like Ctrl-C


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=1_000_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts, run one after another")
    parser.add_argument("--runs", type=int, default=1, help="rounds of (in-process, each worker count), interleaved")
    parser.add_argument("--parts", type=int, default=0, help="chunk runs per incident; default: one per worker slot (workers x limit)")
    parser.add_argument("--limit", type=int, default=1, help="flow runs at once per worker (prefect worker start --limit)")
    parser.add_argument("--query-seconds", type=float, default=1.0, help="PREFECT_WORKER_QUERY_SECONDS (Prefect's default: 10)")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",") if x.strip()]
    root = c.temp_root("bench-scale-")
    procs = Procs()
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, signal.default_int_handler)  # also when started with `&` (SIGINT inherited as ignored)
    with ExitStack() as stack:
        prefect_db, breach_db = stack.enter_context(postgres_databases(str(os.getpid())))
        host = stack.enter_context(c.sendgrid_server())
        stack.callback(procs.stop_all)  # first to run at exit: workers and server before their databases
        env = c.setup_env(root, host=host, timeout=30)
        env["BREACH_DB_URL"] = os.environ["BREACH_DB_URL"] = breach_db
        cluster = Cluster(procs, root, env, query_seconds=args.query_seconds)
        t0 = time.perf_counter()
        cluster.start_server(prefect_db)
        os.environ["PREFECT_API_URL"] = cluster.api_url
        from prefect.context import refresh_global_settings_context
        refresh_global_settings_context()  # Prefect read its settings at import: the in-process send uses this server too
        cluster.create_pool()
        cluster.deploy()
        setup_seconds = time.perf_counter() - t0
        rounds: list[dict[Any, Any]] = []
        for i in range(args.runs):
            done: dict[Any, Any] = {"in_process": in_process(host, args.people, seed=200 + i)}
            for n in counts:
                done[n] = one_count(cluster, host, n, args.people, args.parts, args.limit, seed=100 + 10 * i + n)
            rounds.append(done)
    medians = summary(args.people, counts, rounds)
    print(json.dumps({
        "people": args.people, "email_batches": math.ceil(args.people / 1000), "parts": args.parts or "one per worker slot",
        "worker_limit": args.limit, "worker_query_seconds": args.query_seconds, "prefect_db": "postgresql", "project_db": "postgresql",
        "cpus": os.cpu_count(), "setup_seconds": round(setup_seconds, 1), **medians, "goals": GOALS, "met": met(medians),
        "rounds": [{str(k): v for k, v in r.items()} for r in rounds],
    }, indent=2, default=str))


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        print("interrupted: every process stopped, the databases dropped", file=sys.stderr)
        sys.exit(130)
