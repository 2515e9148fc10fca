"""Build settings and collaborators once per process and hand them to the steps explicitly."""

from __future__ import annotations

import getpass
import logging
import os
import sys
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from breach import instants
from breach.approval import roster
from breach.approval.roster import RosterEntry
from breach.controller import ControllerProfile, load_profile
from breach.keys.cipher import MultiKeyCipher
from breach.keys.master import load_master_keys
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
    """The process's runtime, built from the environment on first use."""
    settings = BreachSettings()
    current = settings.master_key.get_secret_value() if settings.master_key else _secret_block_key()
    masters = load_master_keys(env_value=current, env_old=os.environ.get("BREACH_MASTER_KEYS_OLD"), key_file=settings.key_file)
    cipher = MultiKeyCipher.from_master_keys(masters)
    profile_path = settings.controller_file or EXAMPLES / "controller.json"
    return Runtime(settings=settings, email=EmailSettings(), sessions=session_factory(settings.database_url),
                   cipher=cipher, index_key=cipher.index_key, controller=load_profile(profile_path))


def _secret_block_key() -> str | None:
    """The current master key from the Prefect Secret block named in BREACH_MASTER_KEY_BLOCK, if set."""
    name = os.environ.get("BREACH_MASTER_KEY_BLOCK", "").strip()
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
