"""Build settings and collaborators once per process and hand them to the steps explicitly."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from breach import audit
from breach.controller import ControllerProfile, load_profile
from breach.exceptions import ConfigurationError
from breach.keys import guard
from breach.keys.audit_key import audit_key_id, load_audit_key
from breach.keys.cipher import MultiKeyCipher
from breach.keys.master import load_master_keys
from breach.private import PRIVATE_UMASK, private_dir, private_file, private_sqlite
from breach.settings import BreachSettings
from breach.store.session import session_factory
from notices.email.message import EmailSender
from notices.email.senders import build_sender
from notices.settings import EmailSettings

EXAMPLES = Path(str(resources.files("breach") / "examples"))


@dataclass(frozen=True)
class Runtime:
    settings: BreachSettings
    email: EmailSettings
    sessions: sessionmaker[Session]
    cipher: MultiKeyCipher
    index_key: bytes
    controller: ControllerProfile
    master_keys: tuple[bytes, ...] = field(default=(), repr=False)  # for `breach keys backup` only
    audit_seal: audit.AuditSeal | None = field(default=None, repr=False)

    @property
    def actor(self) -> str:
        """Who runs this process: BREACH_ACTOR or the OS user."""
        return (self.settings.actor or getpass.getuser()).strip().lower()

    def sender(self) -> EmailSender:
        """SendGrid when a key is set, else the outbox folder."""
        return build_sender(api_key=self.email.sendgrid_api_key, host=self.email.sendgrid_host,
                            outbox=self.settings.outbox_dir, timeout=self.email.email_timeout)


@lru_cache(maxsize=1)
def runtime() -> Runtime:
    """The process's runtime, built from the environment on first use; refuses keys the stored data cannot use."""
    settings = BreachSettings()
    os.umask(PRIVATE_UMASK)  # every file this process makes (database, letters, e-mails, exports) is private
    private_dir(settings.data_dir)
    private_sqlite(settings.database_url)
    if settings.outbox is not None:
        private_dir(settings.outbox, setting="BREACH_OUTBOX")
    with session_factory(settings.database_url)() as session:
        stored = guard.stored_keys(session)
    masters = _master_keys(settings, stored)
    cipher = MultiKeyCipher.from_master_keys(masters)
    guard.require_master(stored, known=cipher.key_ids)
    seal = _audit_seal(settings, stored)
    profile_path = settings.controller_file or EXAMPLES / "controller.json"
    return Runtime(settings=settings, email=EmailSettings(), sessions=session_factory(settings.database_url, info={audit.SEAL: seal}),
                   cipher=cipher, index_key=cipher.index_key, controller=load_profile(profile_path), master_keys=tuple(masters),
                   audit_seal=seal)


def _master_keys(settings: BreachSettings, stored: guard.StoredKeys) -> list[bytes]:
    """The master keys, newest first; a missing key file is never replaced while encrypted contacts exist."""
    current = settings.master_key.get_secret_value() if settings.master_key else _secret_block_key("BREACH_MASTER_KEY_BLOCK")
    try:
        masters = load_master_keys(env_value=current, env_old=os.environ.get("BREACH_MASTER_KEYS_OLD"), key_file=settings.key_file,
                                   create=not stored.contacts)
    except ConfigurationError as exc:
        if stored.contacts and current is None and not settings.key_file.exists():
            raise guard.missing_master(stored, key_file=settings.key_file) from exc
        raise
    if current is None:
        private_file(settings.key_file)
    return masters


def _audit_seal(settings: BreachSettings, stored: guard.StoredKeys) -> audit.AuditSeal:
    """The audit key (created only while the audit log is not keyed yet) and the head file beside it."""
    current = settings.audit_key.get_secret_value() if settings.audit_key else _secret_block_key("BREACH_AUDIT_KEY_BLOCK")
    keyed = stored.audit_keyed_from is not None
    try:
        key = load_audit_key(env_value=current, key_file=settings.audit_key_file, create=not keyed)
    except ConfigurationError as exc:
        if keyed and current is None and not settings.audit_key_file.exists():
            raise guard.missing_audit(stored, key_file=settings.audit_key_file) from exc
        raise
    guard.require_audit(stored, key_id=audit_key_id(key))
    if current is None:
        private_file(settings.audit_key_file)
    return audit.AuditSeal(key=key, key_id=audit_key_id(key), head_file=settings.audit_head_path)


def _secret_block_key(setting: str) -> str | None:
    """A key from the Prefect Secret block named in ``setting`` (BREACH_MASTER_KEY_BLOCK, BREACH_AUDIT_KEY_BLOCK), if set."""
    name = os.environ.get(setting, "").strip()
    if not name:
        return None
    from prefect.blocks.system import Secret

    from flows.prefect_api import synchronous

    return str(synchronous(Secret.load(name)).get())
