"""How the command line ends when something is refused or fails: one `error: ...` line and exit code 2.

Every refusal (a domain error, bad input), and every failure of the machine underneath (the
database read-only, full or gone, a file that cannot be written, Prefect not knowing a run) ends in
one line naming what is wrong; never a Python traceback. A refusal inside a flow would otherwise
be told three times by Prefect's run loggers, with tracebacks, before the one useful line:
``quiet_refusals`` drops those records (the run's state in Prefect still says why it failed).
An unexpected error is written with its traceback to a private log file, and the line says where.
"""

from __future__ import annotations

import errno
import logging
import os
import re
import traceback
from datetime import UTC, datetime
from pathlib import Path

from breach.exceptions import BreachError

EXIT_ERROR = 2
_RUN_LOGGERS = ("prefect.flow_runs", "prefect.task_runs", "prefect.engine")


# Failures of the machine underneath that `describe` tells in one line (by the names Prefect's state messages use)
_TOLD = ("OperationalError", "DatabaseError", "IntegrityError", "InterfaceError", "OSError", "PermissionError", "FileNotFoundError",
         "IsADirectoryError", "NotADirectoryError", "RecursionError", "OverflowError", "ObjectNotFound")


def _names_told() -> set[str]:
    names, todo = set(_TOLD), [BreachError]
    while todo:
        cls = todo.pop()
        names.add(cls.__name__)
        todo.extend(cls.__subclasses__())
    return names


class _RefusalFilter(logging.Filter):
    """Drop Prefect's error records about a refusal or failure the command tells itself, once, as one line."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno < logging.ERROR:
            return True
        if record.exc_info and record.exc_info[1] is not None:
            return describe(record.exc_info[1]) is None
        pattern = re.compile(r"\b(?:" + "|".join(sorted(_names_told())) + r")\b")
        return pattern.search(record.getMessage()) is None


def quiet_refusals() -> None:
    """Install the filter on Prefect's run loggers (once)."""
    for name in _RUN_LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RefusalFilter) for f in logger.filters):
            logger.addFilter(_RefusalFilter())


def _first_line(text: str) -> str:
    return (text.strip().splitlines() or [""])[0][:300]


def _database(exc: Exception) -> str | None:
    from sqlalchemy.exc import DBAPIError, SQLAlchemyError

    if not isinstance(exc, SQLAlchemyError):
        return None
    orig = getattr(exc, "orig", None) if isinstance(exc, DBAPIError) else None
    # orig's text is the driver's message; with hide_parameters no statement values are in it
    return f"the database failed: {_first_line(str(orig) if orig is not None else type(exc).__name__)}"


def _os(exc: Exception) -> str | None:
    if not isinstance(exc, OSError):
        return None
    where = f" {exc.filename}" if getattr(exc, "filename", None) else ""
    if exc.errno == errno.ENOSPC:
        return f"cannot write{where}: no space left on the device"
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return f"cannot write{where}: {exc.strerror} (check the folder's permissions and the disk)"
    return f"{exc.strerror or type(exc).__name__}{':' + where if where else ''}"


def _prefect(exc: Exception) -> str | None:
    module = type(exc).__module__
    if not module.startswith("prefect"):
        return None
    if type(exc).__name__ == "ObjectNotFound":
        return "Prefect does not know that flow run (any more): is PREFECT_API_URL the server the run was started on?"
    return f"Prefect refused: {type(exc).__name__}: {_first_line(str(exc))}"


_SETTINGS_PREFIX = {"WebhookSettings": "BREACH_WEBHOOK_"}  # the others read BREACH_*


def _settings(exc: Exception) -> str | None:
    """A setting from the environment that its settings class refuses (e.g. BREACH_WEBHOOK_MAX_BODY_BYTES=10)."""
    from pydantic import ValidationError

    if not isinstance(exc, ValidationError) or not exc.title.endswith("Settings"):
        return None
    first = exc.errors(include_url=False, include_input=False)[0]
    field = str(first["loc"][0]).upper() if first["loc"] else ""
    return f"setting {_SETTINGS_PREFIX.get(exc.title, 'BREACH_')}{field}: {first['msg']}"


def describe(exc: BaseException) -> str | None:
    """The one line for a known kind of failure, or None for an unexpected one."""
    if isinstance(exc, BreachError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "the input is nested too deeply to be read"
    if isinstance(exc, OverflowError):
        return "a date or number in the input is out of range"
    if isinstance(exc, Exception):
        for explain in (_settings, _database, _os, _prefect):
            if (line := explain(exc)) is not None:
                return line
    return None


def log_unexpected(exc: BaseException, folder: Path) -> Path | None:
    """Append the traceback to ``folder/errors.log`` (private); None when that fails too."""
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        path = folder / "errors.log"
        with open(path, "a", encoding="utf-8", opener=lambda name, flags: os.open(name, flags, 0o600)) as handle:
            handle.write(f"--- {datetime.now(UTC).isoformat()}\n")
            handle.write("".join(traceback.format_exception(exc)))
        return path
    except OSError:
        return None
