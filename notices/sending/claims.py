"""Who holds a claim on a batch, and whether that holder can still be at work.

A sender writes its owner id into the batch row when it claims it: host name, boot id, process id
and the process's start time (``/proc``). Another sender that finds the batch in flight asks
whether that owner is alive. On the same machine it can tell for sure (the process is gone, or
the machine was restarted since: a different boot id); for a claim from another machine, or
where there is no ``/proc``, it cannot, and the claim counts as alive until its lease runs out.
"""

from __future__ import annotations

import os
import socket
from datetime import datetime, timedelta
from functools import cache
from pathlib import Path

# A claim older than this, by a holder we cannot check, is taken to be abandoned. One attempt at
# a batch (SendGrid's answer, or the client timeout of 30 s) takes far less.
LEASE = timedelta(minutes=10)
_PROC = Path("/proc")


def _boot_id() -> str:
    try:
        return (_PROC / "sys/kernel/random/boot_id").read_text().strip()[:8]
    except OSError:
        return "-"


def _start_time(pid: int) -> str | None:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat); None when
    it is gone or dead but not yet reaped (a zombie: a killed sender whose parent died too)."""
    try:
        stat = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rindex(")") + 2:].split()  # from field 3 on; the command name may hold spaces
    return None if fields[0] in ("Z", "X") else fields[19]


@cache
def _owner_of(pid: int) -> str:
    return f"{socket.gethostname()[:40]}/{_boot_id()}/{pid}/{_start_time(pid) or '-'}"


def current_owner() -> str:
    """This process's owner id (a forked child gets its own)."""
    return _owner_of(os.getpid())


def holder_alive(owner: str | None, *, claimed_at: datetime | None, now: datetime) -> bool:
    """Whether the process that wrote `owner` may still be sending (False: it surely is not)."""
    if not owner:
        return False  # a claim from before owners were recorded: treat as abandoned, as before
    try:
        host, boot, pid, started = owner.rsplit("/", 3)
    except ValueError:
        return False
    mine = current_owner()
    if owner == mine:
        return False  # our own earlier claim: this process is not sending it now
    my_host, my_boot = mine.rsplit("/", 3)[:2]
    if host == my_host and boot != "-" and started != "-":
        return boot == my_boot and _start_time(int(pid)) == started
    return claimed_at is not None and now - claimed_at < LEASE
