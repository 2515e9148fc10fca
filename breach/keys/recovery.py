"""A recovery copy of the keys: the master keys and the audit key in one private file, and back.

Without the master key every stored contact is unreadable, and without the audit key the audit
log cannot be verified, so ``breach keys backup --to FILE`` writes both (mode 0600, never over an
existing file) for safe keeping away from the data folder, and ``breach keys restore FILE`` puts
them back as ``master.key`` and ``audit.key`` when those are missing, after checking that they are
the keys the stored data needs.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from breach.exceptions import ConfigurationError
from breach.keys.audit_key import audit_key_id
from breach.keys.cipher import key_id
from breach.keys.master import _decode_key, encode_master_key

FORMAT = "breach-notify key recovery 1"
SETTING = "recovery copy"


@dataclass(frozen=True)
class Recovery:
    """Keys read back from a recovery copy, newest master key first."""

    master_keys: list[bytes]
    audit_key: bytes | None

    @property
    def master_key_ids(self) -> tuple[int, ...]:
        return tuple(key_id(k) for k in self.master_keys)


def recovery_text(*, master_keys: list[bytes], audit_key: bytes | None, now: datetime) -> str:
    """The recovery copy's JSON: keys in base64, with their public ids so a reader can tell which is which."""
    document = {"format": FORMAT, "created_at": now.isoformat(),
                "master_keys": [encode_master_key(k) for k in master_keys],
                "master_key_ids": [f"0x{key_id(k):08x}" for k in master_keys],
                "audit_key": encode_master_key(audit_key) if audit_key else None,
                "audit_key_id": audit_key_id(audit_key) if audit_key else None}
    return json.dumps(document, indent=2) + "\n"


def write_new_private(path: Path, text: str) -> None:
    """Create ``path`` with mode 0600 and write ``text``; refuse an existing file (a recovery copy is never overwritten)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise ConfigurationError(SETTING, f"{path} exists already; choose a new file name") from exc
    except OSError as exc:
        raise ConfigurationError(SETTING, f"cannot create {path}: {exc.strerror or exc.__class__.__name__}") from exc
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())


def read_recovery(path: Path) -> Recovery:
    """The keys of a recovery copy; ConfigurationError saying what is wrong with the file."""
    try:
        document = json.loads(Path(path).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ConfigurationError(SETTING, f"{path} is not a readable recovery copy ({exc.__class__.__name__})") from exc
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("master_keys"), list):
        raise ConfigurationError(SETTING, f"{path} is not a breach-notify recovery copy")
    masters = [_decode_key(str(text), setting=SETTING, where=f"master key {n} of {path}")
               for n, text in enumerate(document["master_keys"], start=1)]
    if not masters:
        raise ConfigurationError(SETTING, f"{path} holds no master key")
    audit = document.get("audit_key")
    return Recovery(masters, _decode_key(str(audit), setting=SETTING, where=f"the audit key of {path}") if audit else None)
