"""Send one incident's e-mail over several workers: a coordinator flow and one chunk flow run per part.

`send-notices-fanout` first starts one run of the `send-email-chunk` deployment per part (by default
one per online worker of the pool), then writes the outbox (`prepare_outbox`): the chunk runs are
created ahead, so their processes start while the outbox is written instead of after it. Each chunk
run waits until the outbox exists and sends every open e-mail batch whose number is its part modulo
the number of parts: each batch number is in exactly one part, parts are the same size within one
batch, and a part is as big as it can be, so a flow-run start (a worker's poll, a process, Prefect)
is paid once per worker, not once per few batches. The domain also claims every batch in our
database before its request (notices/sending/batches.py), so two workers are never handed the same
batch at the same time. A chunk that fails is reported, never re-submitted by this run: the operator
runs the flow again, `prepare_outbox` then returns only the batches not done, and those are sent
(after reconciliation when their outcome was unknown).

A chunk run sends as `send-notices` does in one process: task runs of several batches, one forked
sending process per lane for a big part. The parts share the send's lanes (BREACH_SEND_LANES): the
provider sees as many requests at once as from one process, its limits being per account. Nothing the
coordinator did is done again: the approval check and the outbox are the coordinator's; a chunk only
reads which batches are open.

Only ids, batch numbers, part numbers, worker names and counts cross Prefect: parameters, tags,
logs and results. Letters are rendered by the coordinator itself, exactly as `send-notices` does.
"""

from __future__ import annotations

import gc
import hashlib
import math
import time
from typing import Any
from uuid import UUID

from prefect import flow, get_run_logger, task, unmapped
from prefect.cache_policies import NO_CACHE
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
from prefect.client.schemas.objects import FlowRun, State, StateType
from prefect.client.schemas.sorting import FlowRunSort
from prefect.deployments import run_deployment
from prefect.futures import wait
from prefect.runtime import flow_run

from breach.enums import Channel
from flows.prefect_api import synchronous, thread_pool
from flows.runtime import runtime
from flows.send import (
    BATCHES_PER_TASK,
    PROCESS_MIN_BATCHES,
    SEND_LANES,
    SEND_WORKERS,
    _chunks,
    finish,
    fork_senders,
    prepare_outbox,
    send_email,
    send_letters,
)
from flows.sending import processes as send_processes
from notices.sending import outbox

CHUNK_FLOW = "send-email-chunk"
CHUNK_DEPLOYMENT = f"{CHUNK_FLOW}/{CHUNK_FLOW}"
OUTBOX_WAIT_SECONDS = 900.0  # how long a chunk run created ahead waits for the coordinator's outbox
FINAL = {StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED}
ACTIVE = [t for t in StateType if t not in FINAL]
WORKER_LABEL = "prefect.worker.name"


class ChunksFailed(RuntimeError):
    """Some chunk runs did not complete; their batches stay open for the next run (numbers only)."""


def incident_tag(incident_id: str) -> str:
    """The tag every chunk run of an incident carries (an id, never a person)."""
    return f"incident:{incident_id}"


def share(batch_nos: list[int], part: int, parts: int) -> list[int]:
    """The batches of one part: those whose number is ``part`` modulo ``parts`` (every batch in exactly one part)."""
    return [b for b in batch_nos if b % parts == part]


def part_lanes(parts: int) -> int:
    """A part's share of BREACH_SEND_LANES: the provider sees as many requests in flight at once from a send over
    several workers as from one process (its limits are per account, not per machine), and workers on one
    machine fork as many sending processes between them as one send would (bench/scale.py)."""
    return max(1, math.ceil(SEND_LANES / max(1, parts)))


@task(persist_result=False, cache_policy=NO_CACHE)
def written_email_batches(incident_id: str) -> list[int] | None:
    """The open e-mail batches if the outbox is already written (a coordinator run again), else None."""
    with runtime().sessions() as session:
        if not outbox.is_written(session=session, incident_id=incident_id):
            return None
        return outbox.open_batches(session=session, incident_id=incident_id, channel=Channel.EMAIL)


@task(persist_result=False, cache_policy=NO_CACHE)
def outbox_share(incident_id: str, part: int, parts: int, wait_seconds: float) -> list[int]:
    """Wait until the incident's outbox is written, then return this part's open e-mail batches."""
    rt = runtime()
    deadline = time.monotonic() + wait_seconds
    while True:
        with rt.sessions() as session:
            if outbox.is_written(session=session, incident_id=incident_id):  # written in one transaction
                return share(outbox.open_batches(session=session, incident_id=incident_id, channel=Channel.EMAIL), part, parts)
        if time.monotonic() > deadline:
            raise TimeoutError(f"incident {incident_id}: no outbox after {wait_seconds:.0f} s; the coordinator did not write it")
        time.sleep(0.2)


@flow(name=CHUNK_FLOW, task_runner=thread_pool(SEND_WORKERS), persist_result=False)
def send_email_chunk(incident_id: str, batch_nos: list[int] | None = None, part: int = 0, parts: int = 1,
                     wait_seconds: float = OUTBOX_WAIT_SECONDS, lanes: int = 0) -> int:
    """Send some e-mail batches of one incident in this process: ``batch_nos``, or else (a run created ahead of
    the outbox) every open batch whose number is ``part`` modulo ``parts``, once the outbox is written.

    ``lanes``: requests in flight at once in this run; 0 for this part's share of BREACH_SEND_LANES."""
    gc.freeze()  # as send-notices: what is loaded by now lives on
    if batch_nos is None:
        batch_nos = outbox_share(incident_id, part, parts, wait_seconds)
    size = max(1, min(BATCHES_PER_TASK, math.ceil(len(batch_nos) / SEND_WORKERS)))
    lanes = lanes or part_lanes(parts)
    fork = lanes > 1 and 0 < PROCESS_MIN_BATCHES <= len(batch_nos)
    runtime()  # built before any fork, so the sending processes inherit it
    with send_processes.lanes(lanes, fork=fork):
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
    get_run_logger().info("incident %s: part %d of %d, %d batches, %d sent", incident_id, part + 1, parts, len(batch_nos), sent)
    return sent


def _chunk_key(incident_id: str, coordinator: str, part: int, parts: int) -> str:
    """Idempotency key: the incident, the coordinator run and the part (a coordinator retried in the same run
    finds its own chunk runs again instead of starting more)."""
    digest = hashlib.sha256(coordinator.encode()).hexdigest()[:16]
    return f"{CHUNK_FLOW}:{incident_id}:{digest}:{part}/{parts}"


def _start_part(incident_id: str, coordinator: str, part: int, parts: int) -> FlowRun:
    """One flow run for this part, created before the outbox exists (it waits for it)."""
    return synchronous(run_deployment(CHUNK_DEPLOYMENT, parameters={"incident_id": incident_id, "part": part, "parts": parts},
                                      timeout=0, idempotency_key=_chunk_key(incident_id, coordinator, part, parts),
                                      tags=[incident_tag(incident_id)]))


def _worker_slots() -> int:
    """Online workers of the chunk deployment's pool (at least 1): one part each by default."""
    with get_client(sync_client=True) as client:
        pool = client.read_deployment_by_name(CHUNK_DEPLOYMENT).work_pool_name
        if not pool:
            return 1
        workers = client.read_workers_for_work_pool(pool, limit=200, offset=0)
    return max(1, sum(1 for w in workers if str(w.status).upper().endswith("ONLINE")))


def _cancel(run_ids: list[UUID]) -> None:
    """Cancel chunk runs started for a coordinator that could not write the outbox (they have sent nothing: they
    wait for it), as `prefect flow-run cancel` does: Cancelling, which the worker turns into Cancelled."""
    with get_client(sync_client=True) as client:
        for run_id in run_ids:
            client.set_flow_run_state(run_id, State(type=StateType.CANCELLING, message="the coordinator could not write the outbox"),
                                      force=True)


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


def _wait_for_earlier(incident_id: str, *, poll_seconds: float, deadline: float) -> None:
    """A coordinator that crashed may have left chunk runs going: their batches must not be handed out twice."""
    earlier = [r.id for r in _active_chunk_runs(incident_id)]
    if not earlier:
        return
    get_run_logger().info("incident %s: waiting for %d chunk runs started earlier", incident_id, len(earlier))
    left = [r for r in _wait_final(earlier, poll_seconds=poll_seconds, deadline=deadline).values()
            if r.state is None or r.state.type not in FINAL]
    if left:
        raise ChunksFailed(f"incident {incident_id}: {len(left)} chunk runs started earlier are still going; nothing new started")


def _outcome(runs: dict[UUID, int], final: dict[UUID, FlowRun], email: list[int],
             parts: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, int]]]:
    """Failed parts (with their batch numbers) and, per worker, the parts and batches it sent."""
    failed: list[dict[str, Any]] = []
    per_worker: dict[str, dict[str, int]] = {}
    for run_id, part in runs.items():
        run, batches = final.get(run_id), share(email, part, parts)
        state = run.state.type if run and run.state else None
        if state != StateType.COMPLETED:
            failed.append({"flow_run_id": str(run_id), "state": state.value if state else "unknown", "part": part, "batch_nos": batches})
            continue
        worker = str((run.labels or {}).get(WORKER_LABEL, "unknown")) if run else "unknown"
        per_worker.setdefault(worker, {"runs": 0, "batches": 0})
        per_worker[worker]["runs"] += 1
        per_worker[worker]["batches"] += len(batches)
    return failed, per_worker


@flow(name="send-notices-fanout", task_runner=thread_pool(SEND_WORKERS), persist_result=False)
def send_notices_fanout(incident_id: str, parts: int = 0, poll_seconds: float = 1.0,
                        timeout_seconds: float = 24 * 3600) -> dict[str, Any]:
    """Send every open batch of an approved incident over the pool's workers (``parts``: chunk runs, 0 for one
    per online worker); safe to run again."""
    t0 = time.monotonic()
    deadline = t0 + timeout_seconds
    marks: dict[str, float] = {}
    _wait_for_earlier(incident_id, poll_seconds=poll_seconds, deadline=deadline)
    marks["wait_earlier"] = time.monotonic()
    parts = parts or _worker_slots()
    if (written := written_email_batches(incident_id)) is not None:
        parts = min(parts, len(written))  # run again: a part for each open batch at most, none when all are sent
    coordinator = str(flow_run.id or f"local-{time.time_ns()}")
    runs = {_start_part(incident_id, coordinator, part, parts).id: part for part in range(parts)}
    marks["start_chunks"] = time.monotonic()
    try:
        batches = prepare_outbox(incident_id)
    except BaseException:
        _cancel(list(runs))
        raise
    if runs and not batches["email"]:  # nobody to e-mail: the parts started ahead would wait for batches in vain
        _cancel(list(runs))
        runs = {}
    marks["prepare"] = time.monotonic()
    get_run_logger().info("incident %s: %d e-mail batches in %d parts", incident_id, len(batches["email"]), len(runs))
    with send_processes.lanes(SEND_LANES, fork=fork_senders({"email": [], "letter": batches["letter"]})):  # letters: every core
        letters = send_letters.map(unmapped(incident_id), batches["letter"]) if batches["letter"] else []
        final = _wait_final(list(runs), poll_seconds=poll_seconds, deadline=deadline)
        wait(letters)
    letters_sent = sum(f.result() for f in letters)  # a failed letter batch fails the run, after the chunks ended
    marks["letters_and_wait"] = time.monotonic()
    failed, per_worker = _outcome(runs, final, batches["email"], parts)
    deliveries = finish(incident_id)
    marks["finish"] = time.monotonic()
    seconds, last = {}, t0
    for step, at in marks.items():
        seconds[step], last = round(at - last, 2), at
    result = {"email_batches": len(batches["email"]), "chunks": len(runs), "parts": parts, "failed_chunks": failed,
              "letters_sent": letters_sent, "per_worker": per_worker, "deliveries": deliveries, "seconds": seconds}
    if failed:
        nos = sorted(b for f in failed for b in f["batch_nos"])
        raise ChunksFailed(f"incident {incident_id}: {len(failed)} of {len(runs)} chunk runs did not complete "
                           f"(batches {nos}); run send-notices-fanout again to send what is left")
    return result
