"""Lanes and sending processes: how many batch requests are in flight at once, and where they are built.

A lane is one batch attempt under way (building its request, waiting for SendGrid's answer). The
flow opens `lanes(count)`; every attempt holds a lane, and a batch waiting out a 429 or a backoff
holds none, so one slow or faulty batch never idles the others. Timeouts are the costly fault (the
request hangs until the client gives up), so there are more lanes than task runs.

Sending processes for big sends: forked copies of the flow's process that each send whole batches.

Building a 1,000-person request (decrypting contacts, the JSON body) is Python work, so one process
sends with one core at most. For a big send the flow forks one sending process per lane, and each
attempt hands one of them a batch number; it answers with a count. Forked, not spawned: a child
starts in milliseconds with everything already imported (a spawned one imports Prefect again,
5-10 s here).

A child runs domain code only (database, cipher, SendGrid client; no Prefect calls): it drops the
database connections it inherited, forgets the parent's progress listeners, and dies with its
parent (PR_SET_PDEATHSIG), so a killed sender leaves no child sending on. Only incident ids, batch
numbers and counts cross between the processes; a refused or failed batch comes back as plain
fields and is raised again in the parent as the same kind of error.
"""

from __future__ import annotations

import contextlib
import ctypes
import multiprocessing
import signal
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from typing import Any

from breach.exceptions import NotApproved
from flows import progress
from flows.runtime import Runtime, runtime
from flows.sending.lanes import Lanes
from notices.email.errors import EmailDeliveryError, RateLimited, TransientSendError, is_transient, retry_delay
from notices.email.message import EmailSender
from notices.sending.batches import send_email_batch, send_letter_batch
from notices.sending.reconcile import Policy, ReconcileLater

IN_TASK_ATTEMPTS = 8  # then the task fails and Prefect retries it (30 s, 2 min later)
DEFAULT_LANES = 4  # outside a lanes() block
_pool: ProcessPoolExecutor | None = None
_lanes = Lanes(DEFAULT_LANES)
_PR_SET_PDEATHSIG = 1


def policy(rt: Runtime) -> Policy:
    """How a lost request is looked up (the e-mail settings)."""
    e = rt.email
    return Policy(wait=e.reconcile_wait, index_delay=e.activity_index_delay, activity=e.activity_api,
                  activity_per_minute=e.activity_per_minute)


def send_once(rt: Runtime, sender: EmailSender, incident_id: str, batch_no: int) -> int:
    """One attempt at one batch in this process; returns how many were sent."""
    return send_email_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=batch_no, sender=sender,
                            cipher=rt.cipher, controller=rt.controller, sandbox=rt.email.sendgrid_sandbox, policy=policy(rt)).sent


def with_retries(attempt: Callable[[int], int], *, retry_base: float) -> int:
    """Run `attempt(attempt_no)`, waiting out 429s and backing off on 5xx and timeouts, up to
    IN_TASK_ATTEMPTS times.

    The waiting happens in the caller's thread and holds no lane (nor a sending process), so a
    batch that waits for a rate-limit reset never holds up the others. Waiting for evidence about a
    lost request (ReconcileLater) is no attempt: its own bounded wait ends it.
    """
    attempt_no = 0
    while True:
        try:
            return attempt(attempt_no)
        except ReconcileLater as exc:
            time.sleep(max(0.0, exc.reset_at - time.time()))
        except EmailDeliveryError as exc:
            if not is_transient(exc) or attempt_no >= IN_TASK_ATTEMPTS - 1:
                raise
            time.sleep(retry_delay(exc, attempt_no, base=retry_base))
            attempt_no += 1


@contextmanager
def lanes(count: int, *, fork: bool = False) -> Iterator[None]:
    """At most `count` batch attempts at once in this process for the block; with `fork`, one
    forked sending process per lane does the sending."""
    global _pool, _lanes
    previous, _lanes = _lanes, Lanes(max(1, count))
    pool = None
    if fork:
        pool = ProcessPoolExecutor(max_workers=max(1, count), mp_context=multiprocessing.get_context("fork"), initializer=_start_child)
        pool.submit(int).result()  # fork them all now, from the flow's own thread, before the task runs start
        _pool = pool
    try:
        yield
    finally:
        _lanes = previous
        if pool is not None:
            _pool = None
            pool.shutdown(wait=True, cancel_futures=True)


def attempt(rt: Runtime, incident_id: str, batch_no: int, attempt_no: int = 0) -> int:
    """One attempt at one batch, in a lane (a sending process when there are some); returns how many were sent.

    A retry (`attempt_no` > 0) gets the next free lane before any batch not yet tried.
    """
    with _lanes.held(priority=-attempt_no):
        pool = _pool
        if pool is None:
            return send_once(rt, rt.sender(), incident_id, batch_no)
        outcome = pool.submit(_child_send, incident_id, batch_no).result()
    if outcome[0] == "sent":
        return outcome[1]
    if outcome[0] == "refused":
        raise NotApproved(incident_id, outcome[1])
    raise _rebuilt(outcome[1])


def _start_child() -> None:
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError):  # no glibc: the child then ends when its call queue closes
            ctypes.CDLL("libc.so.6", use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    progress.clear()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which then stops us
    rt = runtime()  # inherited from the parent, built before the fork
    rt.sessions.kw["bind"].dispose(close=False)  # never share the parent's connections


def _child_send(incident_id: str, batch_no: int) -> tuple[str, Any]:
    rt = runtime()
    try:
        return "sent", send_once(rt, rt.sender(), incident_id, batch_no)
    except EmailDeliveryError as exc:
        return "error", {"kind": type(exc).__name__, "status_code": exc.status_code, "body": exc.body, "batch_key": exc.batch_key,
                         "field": exc.field, "reason": exc.reason, "reset_at": getattr(exc, "reset_at", None),
                         "waited": getattr(exc, "waited", 0.0),
                         "transient": is_transient(exc)}
    except NotApproved as exc:  # drafts changed under the send: refused (and audited) in the child, said again here
        return "refused", getattr(exc, "reason", str(exc))


def _rebuilt(fields: dict[str, Any]) -> EmailDeliveryError:
    if fields["kind"] == ReconcileLater.__name__:
        return ReconcileLater(fields["reset_at"], batch_key=fields["batch_key"])
    if fields["kind"] == RateLimited.__name__:
        return RateLimited(fields["reset_at"], batch_key=fields["batch_key"], body=fields["body"])
    if fields["transient"]:
        return TransientSendError(fields["status_code"], batch_key=fields["batch_key"], body=fields["body"], reason=fields["reason"],
                                  waited=fields.get("waited", 0.0))
    return EmailDeliveryError(status_code=fields["status_code"], body=fields["body"], batch_key=fields["batch_key"],
                              field=fields["field"], reason=fields["reason"])


def letters(rt: Runtime, incident_id: str, batch_no: int) -> int:
    """Render one batch of letters (a PDF: CPU work) in a sending process when there are some, else here;
    returns how many letters it holds. No lane: nothing waits on the network."""
    pool = _pool
    if pool is None:
        return _render(rt, incident_id, batch_no)
    outcome = pool.submit(_child_letters, incident_id, batch_no).result()
    if outcome[0] == "sent":
        return outcome[1]
    raise RuntimeError(f"incident {incident_id}: letter batch {batch_no} failed in its sending process ({outcome[1]})")


def _render(rt: Runtime, incident_id: str, batch_no: int) -> int:
    return send_letter_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=batch_no, out_dir=rt.settings.outbox_dir,
                             cipher=rt.cipher, controller=rt.controller).sent


def _child_letters(incident_id: str, batch_no: int) -> tuple[str, Any]:
    try:
        return "sent", _render(runtime(), incident_id, batch_no)
    except Exception as exc:  # only its kind crosses back: a message might quote a person
        return "error", type(exc).__name__
