"""Where a send's time goes: timers around the send path's steps, for bench/send.py (nothing in production).

The timers wrap module functions before the flow runs, so the sending processes it forks inherit
them; their sums live in shared memory created before the fork. Two views:

- the flow's timeline, in seconds: start-up (flow call to the outbox fill: Prefect's flow run and
  task submission), outbox (filling it, up to the outbox event), fork (opening the lanes: forking
  the sending processes), to_first_request (lanes open to the first claim), sending (first claim to
  the last batch sent), end (last batch sent to the flow call's return: the `finish` task and
  Prefect's end of the flow run);
- per batch, summed over all batches and lanes (lane-seconds, so they overlap in time): claim (the
  batch's in-flight transaction), load (reading and decrypting its people), request (building the
  body, the POST and SendGrid's answer), mark (marking its deliveries accepted), finish (closing
  the batch with its audit entry).
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

STEPS = ("claim", "load", "request", "mark", "finish")
_FIRST, _LAST = len(STEPS) * 2, len(STEPS) * 2 + 1


class Breakdown:
    """Timers for one process tree; `install()` once before the first flow run, `reset()` before each."""

    def __init__(self) -> None:
        # per step: seconds, calls; then the first step's start and the last step's end (perf_counter, system-wide)
        self._shared = multiprocessing.get_context("fork").Array("d", len(STEPS) * 2 + 2)
        self._marks: dict[str, float] = {}
        self._installed = False

    def install(self) -> None:
        """Wrap the send path's steps (module attributes, looked up at call time) and the flow's milestones."""
        if self._installed:
            return
        from flows import progress
        from flows.sending import processes
        from notices.email.sendgrid import SendGridSender
        from notices.sending import batches, outbox
        for name, step in (("_claim", "claim"), ("_load_email", "load"), ("_mark_sent", "mark"), ("_finish", "finish")):
            setattr(batches, name, self._timed(getattr(batches, name), step))
        SendGridSender.send_batch = self._timed(SendGridSender.send_batch, "request")  # type: ignore[method-assign]
        fill = outbox.fill_outbox

        def timed_fill(**kwargs: Any) -> Any:
            self._marks["fill_start"] = time.perf_counter()
            return fill(**kwargs)
        outbox.fill_outbox = timed_fill  # type: ignore[assignment]
        lanes = processes.lanes

        @contextmanager
        def timed_lanes(*args: Any, **kwargs: Any) -> Iterator[None]:
            started = time.perf_counter()
            with lanes(*args, **kwargs):
                self._marks["lanes_open"], self._marks["fork"] = time.perf_counter(), time.perf_counter() - started
                yield
        processes.lanes = timed_lanes  # type: ignore[assignment]
        progress.subscribe(self._on_progress)
        self._installed = True

    def reset(self) -> None:
        """Forget the previous run's figures."""
        with self._shared.get_lock():
            for i in range(len(self._shared)):
                self._shared[i] = 0.0
            self._shared[_FIRST] = float("inf")
        self._marks.clear()

    def timeline(self, called_at: float, returned_at: float) -> dict[str, Any]:
        """The run's figures (seconds): its timeline and the per-batch step sums."""
        m, shared = self._marks, list(self._shared)
        first = shared[_FIRST] if shared[_FIRST] != float("inf") else returned_at
        fill, outbox_ready = m.get("fill_start", called_at), m.get("outbox", called_at)
        lanes_open, last_sent = m.get("lanes_open", outbox_ready), m.get("batch_sent", first)
        segments = {"start_up": fill - called_at, "outbox": outbox_ready - fill, "fork": m.get("fork", 0.0),
                    "to_first_request": first - lanes_open, "sending": last_sent - first, "end": returned_at - last_sent}
        steps = {step: {"lane_seconds": round(shared[2 * i], 3), "calls": int(shared[2 * i + 1]),
                        "ms_each": round(shared[2 * i] * 1000 / shared[2 * i + 1], 2) if shared[2 * i + 1] else None}
                 for i, step in enumerate(STEPS)}
        return {"timeline": {k: round(v, 3) for k, v in segments.items()}, "per_batch_steps": steps}

    def _on_progress(self, step: str, fields: dict[str, Any]) -> None:
        if step == "outbox":
            self._marks.setdefault("outbox", time.perf_counter())
        elif step == "batch_sent":
            self._marks["batch_sent"] = time.perf_counter()

    def _timed(self, fn: Callable[..., Any], step: str) -> Callable[..., Any]:
        index, shared = STEPS.index(step), self._shared

        @wraps(fn)
        def timed(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                with shared.get_lock():
                    shared[2 * index] += ended - started
                    shared[2 * index + 1] += 1
                    shared[_FIRST] = min(shared[_FIRST], started) if step == "claim" else shared[_FIRST]
                    shared[_LAST] = max(shared[_LAST], ended)
        return timed
