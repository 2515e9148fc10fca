"""The managers roster: who may approve notices. Installation configuration kept in the database.

It changes only through ``set_roster`` (the ``breach roster set FILE`` command), and every change is
an audited ``roster.set`` entry naming who was added, removed or changed. ``BREACH_MANAGERS`` is
read once, as a bootstrap, while no roster was ever stored; after that a process's environment
cannot widen the roster.

Roster file (JSON)::

    {"managers": [
      {"email": "ceo@yourco.example", "name": "Chief Executive", "language": "da",
       "logins": ["os:ceo", "prefect:ceo@yourco.example"],
       "public_key": "base64 of the 32 raw bytes, or a PEM block (optional)"}
    ]}

``language`` is the language of the approval-code e-mail; ``logins`` are the manager's other
identities (an OS user ``os:NAME``, a Prefect user ``prefect:NAME``) so four eyes also refuses a
manager who drafted under one of them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from breach import audit
from breach.approval.signatures import canonical_public_key
from breach.exceptions import ConfigurationError
from breach.store.tables import AuditEventRow, ManagerRow

ACTION = "roster.set"
ENV_SOURCE = "BREACH_MANAGERS"
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LOGIN = re.compile(r"(os|prefect):\S+")


def normalise(identity: str) -> str:
    """How identities are compared: trimmed and lower case (nothing else, so look-alikes stay different)."""
    return identity.strip().lower()


class RosterEntry(BaseModel):
    """One manager: the e-mail address that receives approval codes, and optional other proofs."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    email: str = Field(description="Address on which the manager receives one-time approval codes")
    name: str | None = Field(default=None, max_length=200, description="Display name")
    language: Literal["da", "nb", "en"] = Field(default="en", description="Language of the approval-code e-mail")
    public_key: str | None = Field(default=None, description="Ed25519 public key (base64 of 32 bytes, or PEM)")
    logins: list[str] = Field(default_factory=list, description="Other identities of this person: os:USER, prefect:USER")

    @field_validator("email")
    @classmethod
    def _address(cls, value: str) -> str:
        if not _EMAIL.fullmatch(value.strip()) or len(value) > 320:
            raise ValueError("is not an e-mail address")
        return normalise(value)

    @field_validator("public_key")
    @classmethod
    def _key(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else canonical_public_key(value)

    @field_validator("logins")
    @classmethod
    def _logins(cls, value: list[str]) -> list[str]:
        bad = [login for login in value if not _LOGIN.fullmatch(login.strip())]
        if bad:
            raise ValueError("each login is os:USER or prefect:USER")
        return sorted({normalise(login) for login in value})

    def identities(self) -> set[str]:
        """Every identity that is this manager: the address and the logins."""
        return {self.email, *self.logins}


class RosterFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    managers: list[RosterEntry] = Field(min_length=1)

    @model_validator(mode="after")
    def _unique(self) -> RosterFile:
        emails = [m.email for m in self.managers]
        if len(emails) != len(set(emails)):
            raise ValueError("a manager's e-mail appears twice")
        return self


@dataclass(frozen=True)
class RosterChange:
    added: list[str]
    removed: list[str]
    changed: list[str]

    @property
    def empty(self) -> bool:
        """True when the new roster equals the stored one."""
        return not (self.added or self.removed or self.changed)


def parse_roster_file(path: Path) -> list[RosterEntry]:
    """Read and check a roster file; ConfigurationError names the file and the first bad field."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigurationError(str(path), f"cannot read the roster file: {exc.strerror or exc}") from exc
    except json.JSONDecodeError as exc:
        raise ConfigurationError(str(path), f"not valid JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    try:
        return RosterFile.model_validate(document).managers
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"]) or "(document)"
        raise ConfigurationError(str(path), f"{where}: {first['msg']}") from exc
    except ConfigurationError as exc:  # a public key that is not Ed25519
        raise ConfigurationError(str(path), str(exc)) from exc


def current(*, session: Session) -> list[RosterEntry]:
    """The stored roster, by e-mail."""
    rows = session.execute(select(ManagerRow).order_by(ManagerRow.email)).scalars()
    return [RosterEntry(email=r.email, name=r.name, language=r.language, public_key=r.public_key, logins=list(r.logins)) for r in rows]


def find(*, session: Session, email: str) -> RosterEntry | None:
    """The roster entry of one address (compared trimmed and lower case), or None."""
    return next((entry for entry in current(session=session) if entry.email == normalise(email)), None)


def was_configured(*, session: Session) -> bool:
    """True once any roster was stored (even if it was later emptied by hand)."""
    if session.execute(select(ManagerRow.email).limit(1)).first() is not None:
        return True
    return session.execute(select(AuditEventRow.seq).where(AuditEventRow.action == ACTION).limit(1)).first() is not None


def set_roster(*, session: Session, entries: list[RosterEntry], actor: str, now: datetime, source: str) -> RosterChange:
    """Replace the roster with ``entries``; an audited ``roster.set`` names every change (nothing when equal)."""
    old = {e.email: e for e in current(session=session)}
    new = {e.email: e for e in entries}
    change = RosterChange(added=sorted(new.keys() - old.keys()), removed=sorted(old.keys() - new.keys()),
                          changed=sorted(k for k in new.keys() & old.keys() if new[k] != old[k]))
    if change.empty:
        return change
    for email in change.removed + change.changed:
        session.delete(session.get(ManagerRow, email))
    session.flush()
    for email in change.added + change.changed:
        e = new[email]
        session.add(ManagerRow(email=e.email, name=e.name, language=e.language, public_key=e.public_key, logins=e.logins,
                               added_at=now, added_by=actor))
    audit.record(session=session, action=ACTION, actor=actor, at=now, incident_id=None,
                 details={"source": source, "added": change.added, "removed": change.removed, "changed": change.changed,
                          "managers": sorted(new)})
    session.flush()
    return change


def bootstrap(*, session: Session, env_managers: list[str], actor: str, now: datetime) -> RosterChange | None:
    """Store BREACH_MANAGERS as the roster if no roster was ever stored; otherwise do nothing (returns None)."""
    if not env_managers or was_configured(session=session):
        return None
    try:
        entries = [RosterEntry(email=email) for email in env_managers]
    except ValidationError as exc:
        raise ConfigurationError(ENV_SOURCE, "holds something that is not an e-mail address") from exc
    return set_roster(session=session, entries=entries, actor=actor, now=now, source=ENV_SOURCE)
