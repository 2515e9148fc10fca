"""Memory of a benchmark's own processes, sampled: PSS (proportional set size) of this process and of the
processes it starts, so that pages shared by forked workers count once in the sum, not once per process."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path


class MemorySampler:
    """Memory (PSS) of this process plus the processes it starts from now on (the import's and the
    sending processes; not the Prefect server nor the stand-in, already running), every `every` seconds."""

    def __init__(self, every: float = 0.2) -> None:
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(every,), daemon=True)
        self._before: set[int] = set()

    def __enter__(self) -> MemorySampler:
        self._before = set(_family(os.getpid())) - {os.getpid()}
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self, every: float) -> None:
        while not self._stop.wait(every):
            pids = _family(os.getpid(), skip=self._before)
            self.samples.append((time.perf_counter(), sum(_pss_mb(pid) for pid in pids)))

    def peak(self, start: float, end: float) -> float | None:
        inside = [mb for at, mb in self.samples if start <= at <= end]
        return round(max(inside), 1) if inside else None


def _family(pid: int, skip: set[int] = frozenset()) -> list[int]:  # type: ignore[assignment]
    """A process and its descendants, leaving out those in `skip` (and theirs)."""
    out, todo = [], [pid]
    while todo:
        current = todo.pop()
        if current in skip:
            continue
        out.append(current)
        try:
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return out


def _pss_mb(pid: int) -> float:
    """Proportional set size: a page shared by n processes (forked senders) counts 1/n in each, so sums are true."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


