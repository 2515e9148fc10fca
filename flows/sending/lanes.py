"""Lanes: at most N batch attempts under way at once in a process, retries first.

A batch that failed and waited out its backoff goes ahead of batches not yet tried: a retry
finishes its batch, while starting yet another fresh batch only lengthens the queue. Within one
priority, first come first served. A lane is handed from the releasing thread straight to the
waiter it chose (one Event per waiter), so a release wakes exactly one thread.
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager


class Lanes:
    """A counting semaphore whose waiters are served by (priority, arrival); lower priority first."""

    def __init__(self, count: int) -> None:
        if count < 1:
            raise ValueError(f"lanes must be at least 1, not {count}")
        self._free = count
        self._lock = threading.Lock()
        self._waiting: list[tuple[int, int, threading.Event]] = []
        self._arrival = itertools.count()

    @contextmanager
    def held(self, priority: int = 0) -> Iterator[None]:
        """Hold a lane for the block; `priority` orders the waiters (lower goes first)."""
        self._acquire(priority)
        try:
            yield
        finally:
            self._release()

    def waiting(self) -> int:
        """How many threads wait for a lane now."""
        with self._lock:
            return len(self._waiting)

    def _acquire(self, priority: int) -> None:
        with self._lock:
            if self._free and not self._waiting:
                self._free -= 1
                return
            turn = threading.Event()
            heapq.heappush(self._waiting, (priority, next(self._arrival), turn))
        turn.wait()  # set by _release, which hands this thread its lane

    def _release(self) -> None:
        with self._lock:
            if self._waiting:
                heapq.heappop(self._waiting)[2].set()
            else:
                self._free += 1
