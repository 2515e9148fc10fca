"""The keys the stored data needs, checked before any command works with it.

A master key file that went missing must never be replaced silently by a new key: every contact
encrypted under the old one would be unreadable, and the loss would show only when notices are
sent. So the runtime asks the database first (``stored_keys``) and refuses, naming the key id the
contacts were encrypted with and how to get it back, when the keys it has cannot read them
(``require_master``); likewise for the audit key (``require_audit``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.exceptions import ConfigurationError
from breach.store.tables import AuditHead, PersonRow

RESTORE = ("restore the key file from your recovery copy (`breach keys restore FILE`, made by `breach keys backup`) "
           "or set BREACH_MASTER_KEY to that key; a new key cannot read them")
RESTORE_AUDIT = "restore audit.key from your recovery copy (`breach keys restore FILE`) or set BREACH_AUDIT_KEY"


@dataclass(frozen=True)
class StoredKeys:
    """What the database holds that needs keys: encrypted contacts (and their key ids), a keyed audit log."""

    contacts: int
    contact_key_ids: tuple[int, ...]
    audit_keyed_from: int | None
    audit_key_id: str | None


def _key_id_of(token: bytes | None) -> int | None:
    return int.from_bytes(bytes(token[1:5]), "big") if token is not None and len(token) >= 5 else None


def stored_keys(session: Session) -> StoredKeys:
    """Count contacts, the key ids of the oldest and newest one (two index lookups), and the audit head's key."""
    count = int(session.execute(select(func.count()).select_from(PersonRow)).scalar_one())
    ids: list[int] = []
    if count:
        for order in (PersonRow.id.asc(), PersonRow.id.desc()):
            kid = _key_id_of(session.execute(select(PersonRow.contact_enc).order_by(order).limit(1)).scalar_one_or_none())
            if kid is not None and kid not in ids:
                ids.append(kid)
    head = session.get(AuditHead, 1)
    return StoredKeys(contacts=count, contact_key_ids=tuple(ids), audit_keyed_from=head.keyed_from if head else None,
                      audit_key_id=head.key_id if head else None)


def _ids(ids: tuple[int, ...]) -> str:
    return ", ".join(f"0x{kid:08x}" for kid in ids)


def missing_master(stored: StoredKeys, *, key_file: Path) -> ConfigurationError:
    """The error for a missing key file while encrypted contacts exist."""
    return ConfigurationError("BREACH_MASTER_KEY_FILE", f"the master key file {key_file} is missing, and {stored.contacts} contacts are "
                                                        f"encrypted with key {_ids(stored.contact_key_ids)}: {RESTORE}")


def require_master(stored: StoredKeys, *, known: tuple[int, ...]) -> None:
    """Refuse keys of which none made the stored contacts (a wrong, replaced or corrupted key)."""
    if stored.contact_key_ids and not set(stored.contact_key_ids) & set(known):
        raise ConfigurationError("BREACH_MASTER_KEY", f"{stored.contacts} contacts are encrypted with key {_ids(stored.contact_key_ids)}, "
                                                      f"and the configured keys are {_ids(known)}: {RESTORE}")


def require_audit(stored: StoredKeys, *, key_id: str) -> None:
    """Refuse an audit key other than the one the audit log is keyed with."""
    if stored.audit_key_id and stored.audit_key_id != key_id:
        raise ConfigurationError("BREACH_AUDIT_KEY", f"the audit log is keyed with audit key {stored.audit_key_id} (from entry "
                                                     f"{stored.audit_keyed_from}), the configured audit key is {key_id}: {RESTORE_AUDIT}")


def missing_audit(stored: StoredKeys, *, key_file: Path) -> ConfigurationError:
    """The error for a missing audit key file while the audit log is keyed."""
    keyed = f"audit key {stored.audit_key_id} from entry {stored.audit_keyed_from} on"
    return ConfigurationError("BREACH_AUDIT_KEY_FILE", f"the audit key file {key_file} is missing, but the log is keyed with {keyed}: "
                                                       f"{RESTORE_AUDIT}")
