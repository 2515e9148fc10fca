"""Build settings and collaborators once per process and hand them to the steps explicitly."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from breach import audit, instants
from breach.approval import roster
from breach.approval.roster import RosterEntry
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
log = logging.getLogger("breach")
CODES_FOLDER = "approval-codes"


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
        """Who is acting (see ``identity``); recorded as drafter and in the audit log."""
        return identity()

    @property
    def code_key(self) -> bytes:
        """The key approval codes are hashed under (derived from the master key, never stored)."""
        return self.index_key

    def code_sender(self) -> EmailSender:
        """The e-mail channel for approval codes: SendGrid when a key is set, else <outbox>/approval-codes."""
        return build_sender(api_key=self.email.sendgrid_api_key, host=self.email.sendgrid_host,
                            outbox=self.settings.outbox_dir / CODES_FOLDER, timeout=self.email.email_timeout)

    def managers(self) -> list[RosterEntry]:
        """The roster stored in the database; BREACH_MANAGERS is stored once if no roster ever was."""
        with self.sessions.begin() as session:
            added = roster.bootstrap(session=session, env_managers=self.settings.managers, actor=self.actor, now=instants.utcnow())
            entries = roster.current(session=session)
        if added is None and self.settings.managers and sorted(self.settings.managers) != sorted(e.email for e in entries):
            log.warning("BREACH_MANAGERS is ignored: the roster is stored in the database (breach roster show / set)")
        return entries

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


def identity() -> str:
    """Who is acting, as something a person cannot simply type: the Prefect user who created the
    current flow run where the server records one (Prefect Cloud), otherwise the OS user (``os:NAME``)."""
    creator = _run_creator()
    return f"prefect:{creator}" if creator else f"os:{_os_user()}"


def _run_creator() -> str | None:
    if "prefect.context" not in sys.modules:  # no flow run in this process: skip importing Prefect
        return None
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    created_by = context.flow_run.created_by if context is not None and context.flow_run is not None else None
    if created_by is None or created_by.type != "USER" or not created_by.display_value:
        return None
    return created_by.display_value.strip().lower()


def _os_user() -> str:
    try:
        return getpass.getuser().strip().lower()
    except (KeyError, OSError):  # no passwd entry and no LOGNAME/USER (some containers)
        return f"uid{os.getuid()}"
