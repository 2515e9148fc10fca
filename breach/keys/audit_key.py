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

from breach.keys.master import load_key

ENV_SETTING = "BREACH_AUDIT_KEY"
FILE_SETTING = "BREACH_AUDIT_KEY_FILE"
_ID_LABEL = b"breach-notify/v1/audit-key-id"


def audit_key_id(key: bytes) -> str:
    """A public 8-hex-digit id of an audit key (it reveals nothing of the key)."""
    return hmac.new(key, _ID_LABEL, hashlib.sha256).hexdigest()[:8]


def load_audit_key(*, env_value: str | None, key_file: Path, create: bool) -> bytes:
    """The audit key from ``env_value``, else ``key_file``; a new key file only with ``create`` (log not keyed yet)."""
    return load_key(env_value=env_value, key_file=key_file, create=create, env_setting=ENV_SETTING, file_setting=FILE_SETTING,
                    file_name="audit key file")
