"""Send the approved notices: e-mail in batches of up to 1,000, letters as print-ready PDF batches."""

from __future__ import annotations

import gc
import os
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from breach import instants
from breach.approval import decisions as approval
from breach.approval import integrity
from breach.clock.us import done as us_done
from breach.enums import Channel, IncidentStatus
from breach.exceptions import DraftsTampered
from breach.incidents import service as incidents
from flows.case_file import refresh_case_file
from flows.prefect_api import thread_pool
from flows.progress import emit
from flows.runtime import runtime
from flows.sending import processes as send_processes
from notices.email.errors import EmailDeliveryError, is_transient
from notices.sending import outbox

# Task runs at once, and batches per task run: a task run costs ~35 ms of Prefect client + server
# work, so 10 batches (10,000 people) share one. Every batch of a running task is under way at
# once, so 16 task runs keep up to 160 batches under way: a batch waiting to retry holds up only
# its own task run, and the lanes always have fresh batches to take.
SEND_WORKERS = int(os.environ.get("BREACH_SEND_WORKERS", "16"))
BATCHES_PER_TASK = int(os.environ.get("BREACH_SEND_BATCHES_PER_TASK", "10"))
# Batch requests in flight at once (lanes, flows/sending/processes.py). Every batch of a running task
# is under way at once and takes a lane for each attempt; a batch waiting to retry holds none. A
# lane waiting for SendGrid's answer (or for a timeout) uses no core, so lanes outnumber cores.
SEND_LANES = int(os.environ.get("BREACH_SEND_LANES", "16"))
# From PROCESS_MIN_BATCHES e-mail batches (of 1,000 people) on, the flow forks one sending process
# per lane (building a request body is Python work: one process, one core); 0 never forks. Below it
# the lanes are threads of this process: on 2 cores, forking 16 processes cost more than it saved at
# 20,000 and 50,000 people (bench/send_processes.py, figures in docs/figures.md).
PROCESS_MIN_BATCHES = int(os.environ.get("BREACH_SEND_PROCESS_MIN_BATCHES", "100"))
# A batch of 1,000 letters is about a second of one core's work (a PDF): from ten batches on (seconds of
# work, worth forking for) they are rendered in the sending processes too, so letters use every core.
PROCESS_MIN_LETTER_BATCHES = int(os.environ.get("BREACH_SEND_PROCESS_MIN_LETTER_BATCHES", "10"))
# First backoff ceiling in seconds after a 5xx or timeout (doubling per attempt); 429s wait for X-RateLimit-Reset.
DEFAULT_RETRY_BASE_S = 2.0
RETRY_BASE_S = float(os.environ.get("BREACH_SEND_RETRY_BASE", str(DEFAULT_RETRY_BASE_S)))


@task(persist_result=False, cache_policy=NO_CACHE)
def prepare_outbox(incident_id: str) -> dict[str, list[int]]:
    """Refuse unless approved; write every delivery before anything is sent; return open batch numbers."""
    rt = runtime()
    try:
        with rt.sessions.begin() as session:
            approval.require_approved(session=session, incident_id=incident_id)
            summary = outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=rt.settings.batch_size, actor=rt.actor,
                                         now=instants.utcnow(), us=rt.controller.us)
            incident = incidents.get(session=session, incident_id=incident_id)
            if incident.status != IncidentStatus.NOTIFIED:  # a re-run after everything was sent only finds nothing to do
                incidents.set_status(session=session, incident=incident, to=IncidentStatus.SENDING, actor=rt.actor, now=instants.utcnow())
            batches = {c.value: outbox.open_batches(session=session, incident_id=incident_id, channel=c)
                       for c in (Channel.EMAIL, Channel.LETTER)}
    except DraftsTampered as exc:  # the words are not the approved ones: nothing written, the refusal audited
        integrity.record_refusal(sessions=rt.sessions, incident_id=incident_id, error=exc, actor=rt.actor, now=instants.utcnow(),
                                 where="send")
        raise
    if summary.created:
        outbox.refresh_statistics(rt.sessions)
    emit("outbox", incident_id=incident_id, deliveries=summary.deliveries, batches=summary.batches)
    return batches


def _transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a batch only for failures worth retrying (429, 5xx, timeouts), never for a refused request."""
    try:
        state.result()
    except EmailDeliveryError as exc:
        return is_transient(exc)
    except Exception:
        return False
    return False


@task(persist_result=False, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[30, 120], retry_condition_fn=_transient_only)
def send_email(incident_id: str, batch_nos: list[int]) -> int:
    """Send some e-mail batches, all under way at once (each attempt in a lane), waiting out 429s
    and backing off on 5xx and timeouts.

    Every batch has its chance; then the first still-transient failure is raised (so Prefect
    retries the task, which skips the batches done), else the first refusal (4xx).
    """
    rt = runtime()
    with ThreadPoolExecutor(max_workers=max(1, len(batch_nos)), thread_name_prefix="send-batch") as threads:
        futures = [threads.submit(_send_one, rt, incident_id, batch_no) for batch_no in batch_nos]
    sent, transient, refused = 0, None, None
    for future in futures:
        try:
            sent += future.result()
        except EmailDeliveryError as exc:
            if is_transient(exc):
                transient = transient or exc
            else:
                refused = refused or exc
    if transient is not None:
        raise transient
    if refused is not None:
        raise refused
    return sent


def _send_one(rt: Any, incident_id: str, batch_no: int) -> int:
    sent = send_processes.with_retries(partial(send_processes.attempt, rt, incident_id, batch_no), retry_base=RETRY_BASE_S)
    emit("batch_sent", incident_id=incident_id, channel="email", batch_no=batch_no, sent=sent)
    return sent


@task(persist_result=False, cache_policy=NO_CACHE, retries=1)
def send_letters(incident_id: str, batch_no: int) -> int:
    """Render one batch of letters into a print-ready PDF (in a sending process when the flow has them)."""
    sent = send_processes.letters(runtime(), incident_id, batch_no)
    emit("batch_sent", incident_id=incident_id, channel="letter", batch_no=batch_no, sent=sent)
    return sent


def fork_senders(batches: dict[str, list[int]]) -> bool:
    """Whether a send is big enough for forked sending processes: many e-mail batches, or letters to render."""
    return SEND_LANES > 1 and ((0 < PROCESS_MIN_BATCHES <= len(batches["email"]))
                               or (0 < PROCESS_MIN_LETTER_BATCHES <= len(batches["letter"])))


@task
def finish(incident_id: str) -> dict[str, dict[str, int]]:
    """Mark the incident notified when every batch is done; return delivery counts."""
    rt = runtime()
    with rt.sessions.begin() as session:
        pending = [b for c in (Channel.EMAIL, Channel.LETTER)
                   for b in outbox.open_batches(session=session, incident_id=incident_id, channel=c)]
        if not pending:
            incident = incidents.get(session=session, incident_id=incident_id)
            incidents.set_status(session=session, incident=incident, to=IncidentStatus.NOTIFIED, actor=rt.actor, now=instants.utcnow())
        if rt.controller.us is not None:  # a state whose residents all have their notice: its individual-notice clock stops
            us_done.record_individual_notices(session=session, incident_id=incident_id, profile=rt.controller.us, actor=rt.actor,
                                              now=instants.utcnow())
        return outbox.delivery_counts(session=session, incident_id=incident_id)


def _chunks(batch_nos: list[int], size: int) -> list[list[int]]:
    return [batch_nos[i:i + size] for i in range(0, len(batch_nos), max(1, size))]


@flow(name="send-notices", task_runner=thread_pool(SEND_WORKERS))
def send_notices(incident_id: str) -> dict[str, Any]:
    """Send every open batch of an approved incident; safe to run again after a crash."""
    gc.freeze()  # what is loaded by now lives on: keep the collector from rescanning it for every batch
    batches = prepare_outbox(incident_id)
    chunks = _chunks(batches["email"], BATCHES_PER_TASK)
    fork = fork_senders(batches)
    runtime()  # built before any fork, so the sending processes inherit it
    with send_processes.lanes(SEND_LANES, fork=fork):
        emails = send_email.map(unmapped(incident_id), chunks) if chunks else []
        letters = send_letters.map(unmapped(incident_id), batches["letter"]) if batches["letter"] else []
        sent = sum(f.result() for f in [*emails, *letters])
    deliveries = finish(incident_id)
    refresh_case_file(incident_id)
    return {"sent": sent, "deliveries": deliveries}
