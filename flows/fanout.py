"""Send one incident's e-mail over several workers: a coordinator flow and a chunk flow run per worker slot.

`send-notices-fanout` writes the outbox (`prepare_outbox`), splits the open e-mail batches into
disjoint chunks and starts one run of the `send-email-chunk` deployment per chunk; any process
worker of the pool picks each run up. Each batch number is in exactly one chunk, and the domain
claims every batch in our database before its request (notices/sending/batches.py), so two workers are
never handed the same batch at the same time. A chunk that fails is reported, never re-submitted
by this run: the operator runs the flow again, `prepare_outbox` then returns only the batches not
done, and those are sent (after reconciliation when their outcome was unknown).

Only ids, batch numbers, worker names and counts cross Prefect: parameters, tags, logs and results.
Letters are rendered by the coordinator itself, exactly as `send-notices` does (`send_letters`).
"""

from __future__ import annotations

import hashlib
import math
import time
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger, unmapped
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import (
    FlowFilter,
    FlowFilterName,
    FlowRunFilter,
    FlowRunFilterId,
    FlowRunFilterState,
    FlowRunFilterStateType,
    FlowRunFilterTags,
)
from prefect.client.schemas.objects import FlowRun, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.futures import wait

from flows.prefect_api import synchronous, thread_pool
from flows.send import BATCHES_PER_TASK, SEND_LANES, SEND_WORKERS, _chunks, finish, prepare_outbox, send_email, send_letters
from flows.sending import processes as send_processes

CHUNK_FLOW = "send-email-chunk"
CHUNK_DEPLOYMENT = f"{CHUNK_FLOW}/{CHUNK_FLOW}"
DEFAULT_CHUNK_BATCHES = 20  # 20,000 people per flow run: a run costs ~5-6 s to start a process
FINAL = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
ACTIVE = [t for t in StateType if t not in FINAL]
WORKER_LABEL = "prefect.worker.name"


class ChunksFailed(RuntimeError):
    """Some chunk runs did not complete; their batches stay open for the next run (numbers only)."""


def incident_tag(incident_id: str) -> str:
    """The tag every chunk run of an incident carries (an id, never a person)."""
    return f"incident:{incident_id}"


@flow(name=CHUNK_FLOW, task_runner=thread_pool(SEND_WORKERS), persist_result=False)
def send_email_chunk(incident_id: str, batch_nos: list[int]) -> int:
    """Send some e-mail batches of one incident in this process (SEND_WORKERS task threads)."""
    size = max(1, min(BATCHES_PER_TASK, math.ceil(len(batch_nos) / SEND_WORKERS)))
    with send_processes.lanes(SEND_LANES):
        futures = send_email.map(unmapped(incident_id), _chunks(batch_nos, size)) if batch_nos else []
        wait(futures)
    sent, error = 0, None
    for future in futures:  # every part had its chance; the first failure fails the run
        try:
            sent += future.result()
        except Exception as exc:  # re-raised below
            error = error or exc
    if error is not None:
        raise error
    get_run_logger().info("incident %s: %d batches, %d sent", incident_id, len(batch_nos), sent)
    return sent


def _chunk_key(incident_id: str, batch_nos: list[int], generation: int) -> str:
    """Idempotency key: the incident and the chunk's batch numbers (and which try of that chunk)."""
    digest = hashlib.sha256(",".join(map(str, batch_nos)).encode()).hexdigest()[:16]
    key = f"{CHUNK_FLOW}:{incident_id}:{batch_nos[0]}-{batch_nos[-1]}:{len(batch_nos)}:{digest}"
    return key if generation == 0 else f"{key}:{generation}"


def _start_chunk(incident_id: str, batch_nos: list[int]) -> FlowRun:
    """One flow run for this chunk: the same run again when it still exists and is not final.

    A run with this key that already ended (a try before this one, whose batches are still open,
    or they would not be in this chunk) does not count: the next generation's key is used.
    """
    for generation in range(1000):
        run = synchronous(run_deployment(CHUNK_DEPLOYMENT, parameters={"incident_id": incident_id, "batch_nos": batch_nos}, timeout=0,
                             idempotency_key=_chunk_key(incident_id, batch_nos, generation), tags=[incident_tag(incident_id)]))
        if run.state is None or run.state.type not in FINAL:
            return run
    raise RuntimeError(f"incident {incident_id}: too many earlier tries of chunk {batch_nos[0]}-{batch_nos[-1]}")


def _read_runs(flow_run_filter: FlowRunFilter, flow_filter: FlowFilter | None = None) -> list[FlowRun]:
    with get_client(sync_client=True) as client:
        out, offset = [], 0
        while True:
            page = client.read_flow_runs(flow_run_filter=flow_run_filter, flow_filter=flow_filter, limit=200, offset=offset,
                                    sort=FlowRunSort.ID_DESC)  # explicit: this server refuses sort=null (422)
            out.extend(page)
            if len(page) < 200:
                return out
            offset += 200


def _active_chunk_runs(incident_id: str) -> list[FlowRun]:
    """Chunk runs of this incident that are scheduled, pending or running (from an earlier coordinator)."""
    return _read_runs(FlowRunFilter(tags=FlowRunFilterTags(all_=[incident_tag(incident_id)]),
                                    state=FlowRunFilterState(type=FlowRunFilterStateType(any_=ACTIVE))),
                      FlowFilter(name=FlowFilterName(any_=[CHUNK_FLOW])))


def _wait_final(run_ids: list[UUID], *, poll_seconds: float, deadline: float) -> dict[UUID, FlowRun]:
    """Poll the runs' states until every one is final or the deadline passes."""
    runs: dict[UUID, FlowRun] = {}
    while True:
        for i in range(0, len(run_ids), 200):
            ids = run_ids[i:i + 200]
            runs.update({r.id: r for r in _read_runs(FlowRunFilter(id=FlowRunFilterId(any_=ids)))})
        done = len(runs) == len(run_ids) and all(r.state is not None and r.state.type in FINAL for r in runs.values())
        if done or time.monotonic() > deadline:
            return runs
        time.sleep(poll_seconds)


@flow(name="send-notices-fanout", task_runner=thread_pool(SEND_WORKERS), persist_result=False)
def send_notices_fanout(incident_id: str, chunk_batches: int = DEFAULT_CHUNK_BATCHES, poll_seconds: float = 2.0,
                        timeout_seconds: float = 24 * 3600) -> dict[str, Any]:
    """Send every open batch of an approved incident over the pool's workers; safe to run again."""
    logger = get_run_logger()
    t0 = time.monotonic()
    deadline = t0 + timeout_seconds
    marks: dict[str, float] = {}
    # A coordinator that crashed may have left chunk runs going: their batches must not be handed out twice.
    earlier = [r.id for r in _active_chunk_runs(incident_id)]
    if earlier:
        logger.info("incident %s: waiting for %d chunk runs started earlier", incident_id, len(earlier))
        left = [r for r in _wait_final(earlier, poll_seconds=poll_seconds, deadline=deadline).values()
                if r.state is None or r.state.type not in FINAL]
        if left:
            raise ChunksFailed(f"incident {incident_id}: {len(left)} chunk runs started earlier are still going; nothing new started")
    marks["wait_earlier"] = time.monotonic()
    batches = prepare_outbox(incident_id)
    marks["prepare"] = time.monotonic()
    chunks = _chunks(batches["email"], chunk_batches) if batches["email"] else []
    runs = {_start_chunk(incident_id, chunk).id: chunk for chunk in chunks}
    marks["start_chunks"] = time.monotonic()
    logger.info("incident %s: %d e-mail batches in %d chunk runs", incident_id, len(batches["email"]), len(runs))
    letters = send_letters.map(unmapped(incident_id), batches["letter"]) if batches["letter"] else []
    final = _wait_final(list(runs), poll_seconds=poll_seconds, deadline=deadline)
    wait(letters)
    letters_sent = sum(f.result() for f in letters)  # a failed letter batch fails the run, after the chunks ended
    marks["letters_and_wait"] = time.monotonic()
    failed: list[dict[str, Any]] = []
    per_worker: dict[str, dict[str, int]] = {}
    for run_id, chunk in runs.items():
        run = final.get(run_id)
        state = run.state.type if run is not None and run.state is not None else None
        if run is None or state != StateType.COMPLETED:
            failed.append({"flow_run_id": str(run_id), "state": state.value if state else "unknown", "batch_nos": chunk})
            continue
        worker = str((run.labels or {}).get(WORKER_LABEL, "unknown"))
        per_worker.setdefault(worker, {"runs": 0, "batches": 0})
        per_worker[worker]["runs"] += 1
        per_worker[worker]["batches"] += len(chunk)
    deliveries = finish(incident_id)
    marks["finish"] = time.monotonic()
    seconds, last = {}, t0
    for step, at in marks.items():
        seconds[step], last = round(at - last, 2), at
    result = {"email_batches": len(batches["email"]), "chunks": len(runs), "failed_chunks": failed,
              "letters_sent": letters_sent, "per_worker": per_worker, "deliveries": deliveries,
              "seconds": seconds}
    if failed:
        nos = sorted(b for f in failed for b in f["batch_nos"])
        raise ChunksFailed(f"incident {incident_id}: {len(failed)} of {len(runs)} chunk runs did not complete "
                           f"(batches {nos}); run send-notices-fanout again to send what is left")
    return result
