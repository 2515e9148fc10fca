"""Build settings and collaborators once per process and hand them to the steps explicitly."""

from __future__ import annotations

import getpass
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from breach.controller import ControllerProfile, load_profile
from breach.keys.cipher import MultiKeyCipher
from breach.keys.master import load_master_keys
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
