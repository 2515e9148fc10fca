"""Build settings and collaborators once per process and hand them to the steps explicitly."""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from breach.controller import ControllerProfile, load_profile
from breach.crypto import MultiKeyCipher, load_master_key
from breach.settings import BreachSettings
from breach.store.session import session_factory
from notices.email import EmailSender, build_sender
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
    master = load_master_key(env_value=settings.master_key.get_secret_value() if settings.master_key else None,
                             key_file=settings.key_file)
    cipher = MultiKeyCipher.from_master_keys([master])
    profile_path = settings.controller_file or EXAMPLES / "controller.json"
    return Runtime(settings=settings, email=EmailSettings(), sessions=session_factory(settings.database_url),
                   cipher=cipher, index_key=cipher.index_key, controller=load_profile(profile_path))
