"""The audit key: the secret that keys the audit chain (breach.audit), kept outside the database.

Like the master key it comes from ``BREACH_AUDIT_KEY`` (base64, 32 bytes), a Prefect Secret (read
by the flows' runtime), or the key file ``audit.key`` in the data folder, created with mode 0600
only while the audit log is not keyed yet. Its public id (``audit_key_id``) is stored on the audit
head, so a missing or wrong key is named in the error instead of reported as a broken chain.
"""

from __future__ import annotations

import hashlib
import hmac
from pathlib import Path

from breach.exceptions import ConfigurationError
from breach.keys.master import _create_key_file, _decode_key, read_key_text

ENV_SETTING = "BREACH_AUDIT_KEY"
FILE_SETTING = "BREACH_AUDIT_KEY_FILE"
_ID_LABEL = b"breach-notify/v1/audit-key-id"


def audit_key_id(key: bytes) -> str:
    """A public 8-hex-digit id of an audit key (it reveals nothing of the key)."""
    return hmac.new(key, _ID_LABEL, hashlib.sha256).hexdigest()[:8]


def load_audit_key(*, env_value: str | None, key_file: Path, create: bool) -> bytes:
    """The audit key from ``env_value``, else ``key_file``; a new key file only with ``create`` (log not keyed yet)."""
    if env_value is not None:
        return _decode_key(env_value, setting=ENV_SETTING, where="the value")
    key_file = Path(key_file).expanduser()
    text = read_key_text(key_file, setting=FILE_SETTING)
    if text is None:
        if not create:
            raise ConfigurationError(FILE_SETTING, f"the audit key file {key_file} is missing")
        return _create_key_file(key_file, setting=FILE_SETTING)
    first = text.strip().splitlines()[0] if text.strip() else text
    return _decode_key(first, setting=FILE_SETTING, where=f"the audit key file {key_file}")
