"""Folders and files that hold personal data are private to the account that runs breach-notify.

The data folder holds the database (names, encrypted contacts), the key files, the outbox (e-mails
and letters with names and postal addresses) and the exports. Whatever existed before, the folders
end up mode 0700 and the files this module is asked about 0600: a wider folder made by hand (say
``mkdir -m 755 data``) is tightened, with a warning naming it; one that cannot be tightened (owned
by someone else) is refused. New files are private because the runtime sets the umask to 077.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

from breach.exceptions import ConfigurationError

PRIVATE_UMASK = 0o077
log = logging.getLogger(__name__)


def private_dir(path: Path, *, setting: str = "BREACH_DATA_DIR") -> Path:
    """Create ``path`` (mode 0700) or tighten it to 0700 if group or others could enter it; returns the path."""
    path = Path(path).expanduser()
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError as exc:
        raise ConfigurationError(setting, f"cannot create the folder {path}: {exc.strerror or exc.__class__.__name__}") from exc
    if not path.is_dir():
        raise ConfigurationError(setting, f"{path} is not a folder")
    if mode & 0o077:
        try:
            os.chmod(path, 0o700)
        except OSError as exc:
            raise ConfigurationError(setting, f"the folder {path} is open to other users (mode {mode:o}) and cannot be made private: "
                                              f"{exc.strerror or exc.__class__.__name__}; run chmod 700 on it") from exc
        log.warning("the folder %s was open to other users (mode %o); it holds personal data, so it is now 700", path, mode)
    return path


def private_file(path: Path) -> None:
    """Tighten an existing file to 0600 if group or others could read it (e.g. a database made before this check)."""
    path = Path(path)
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            os.chmod(path, 0o600)
            log.warning("the file %s was readable by other users (mode %o); it holds personal data, so it is now 600", path, mode)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise ConfigurationError("BREACH_DATA_DIR", f"the file {path} is readable by other users and cannot be made private: "
                                                    f"{exc.strerror or exc.__class__.__name__}") from exc


def private_sqlite(url: str) -> None:
    """The SQLite database file and its WAL companions, private (their folder too)."""
    if not url.startswith("sqlite:///") or url.startswith(("sqlite:///:memory:", "sqlite:///file:")) or "?" in url:
        return  # in memory, or a URI with options (e.g. read-only): left as the operator made it
    database = Path(url.removeprefix("sqlite:///"))
    private_dir(database.parent, setting="BREACH_DB_URL")
    for suffix in ("", "-wal", "-shm", "-journal"):
        private_file(database.with_name(database.name + suffix))
