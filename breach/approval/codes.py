"""One-time approval codes: proof that an approver controls the roster address the code was sent to.

A code is 8 random digits, valid for ``LIFETIME``, bound to one incident, one manager and one
drafts' hash, and usable once. Only a keyed hash is stored (HMAC-SHA256 under a key derived from
the master key, which lives outside the database), so someone who can read the database cannot
work a live code out. After ``MAX_WRONG`` wrong codes a manager's live codes for the incident are
void and a new one must be sent.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from breach.approval.roster import normalise
from breach.exceptions import ApprovalRefused
from breach.store.tables import ApprovalCodeRow

DIGITS = 8
LIFETIME = timedelta(minutes=30)
MAX_WRONG = 5
_LABEL = b"breach-notify/v1/approval-code"


@dataclass(frozen=True)
class IssuedCode:
    code: str  # the plain code: goes into the e-mail, never into a log or the database
    code_id: int
    expires_at: datetime

    @property
    def shown(self) -> str:
        """The code as a person reads it, e.g. '1234 5678'."""
        return f"{self.code[:4]} {self.code[4:]}"


def code_hash(*, key: bytes, incident_id: str, manager: str, drafts_hash: str, code: str) -> str:
    """HMAC-SHA256 of the code and everything it is bound to."""
    message = "|".join((incident_id, normalise(manager), drafts_hash, code)).encode("utf-8")
    return hmac.new(hashlib.sha256(_LABEL + key).digest(), message, hashlib.sha256).hexdigest()


def clean(code: str) -> str:
    """What a person typed, without spaces and dashes."""
    return "".join(ch for ch in code if ch not in " -\t")


def issue(*, session: Session, incident_id: str, manager: str, drafts_hash: str, key: bytes, now: datetime,
          lifetime: timedelta = LIFETIME) -> IssuedCode:
    """A new code for one manager and the drafts as they are now."""
    code = f"{secrets.randbelow(10 ** DIGITS):0{DIGITS}d}"
    row = ApprovalCodeRow(incident_id=incident_id, manager=normalise(manager), drafts_hash=drafts_hash,
                          code_hash=code_hash(key=key, incident_id=incident_id, manager=manager, drafts_hash=drafts_hash, code=code),
                          issued_at=now, expires_at=now + lifetime, used_at=None, wrong_attempts=0)
    session.add(row)
    session.flush()
    return IssuedCode(code=code, code_id=row.id, expires_at=row.expires_at)


def _codes(session: Session, incident_id: str, manager: str) -> list[ApprovalCodeRow]:
    stmt = select(ApprovalCodeRow).where(ApprovalCodeRow.incident_id == incident_id, ApprovalCodeRow.manager == normalise(manager))
    return list(session.execute(stmt.order_by(ApprovalCodeRow.id)).scalars())


def _live(row: ApprovalCodeRow, drafts_hash: str, now: datetime) -> bool:
    return row.used_at is None and row.expires_at > now and row.wrong_attempts < MAX_WRONG and row.drafts_hash == drafts_hash


def has_live_code(*, session: Session, incident_id: str, manager: str, drafts_hash: str, now: datetime) -> bool:
    """True when the manager holds an unused, unexpired code for these drafts."""
    return any(_live(row, drafts_hash, now) for row in _codes(session, incident_id, manager))


def redeem(*, session: Session, incident_id: str, manager: str, drafts_hash: str, code: str, key: bytes, now: datetime) -> int:
    """Use a code once; its row id, or ApprovalRefused saying why (kind: wrong_code, code_used, code_expired, ...)."""
    typed = clean(code)
    if not (typed.isascii() and typed.isdigit() and len(typed) == DIGITS):
        raise ApprovalRefused(incident_id, f"the approval code must be {DIGITS} digits, as in the e-mail", kind="wrong_code")
    rows = _codes(session, incident_id, manager)
    for row in rows:
        wanted = code_hash(key=key, incident_id=incident_id, manager=manager, drafts_hash=row.drafts_hash, code=typed)
        if not hmac.compare_digest(wanted, row.code_hash):
            continue
        if row.used_at is not None:
            raise ApprovalRefused(incident_id, "this approval code was already used; codes work once", kind="code_used")
        if row.drafts_hash != drafts_hash:
            raise ApprovalRefused(incident_id, "this approval code was sent for other drafts; use the newest code",
                                  kind="code_other_drafts")
        if row.expires_at <= now:
            raise ApprovalRefused(incident_id, "this approval code has expired; ask for a new one", kind="code_expired")
        if row.wrong_attempts >= MAX_WRONG:
            raise ApprovalRefused(incident_id, "too many wrong codes: this code is void; ask for a new one", kind="code_void")
        row.used_at = now
        session.flush()
        return row.id
    raise ApprovalRefused(incident_id, "wrong approval code", kind="wrong_code")


def count_wrong(*, session: Session, incident_id: str, manager: str, now: datetime) -> None:
    """Count a wrong code against the manager's live codes (after MAX_WRONG they are void)."""
    for row in _codes(session, incident_id, manager):
        if row.used_at is None and row.expires_at > now:
            row.wrong_attempts += 1
    session.flush()


def proven_by(*, session: Session, code_id: int, incident_id: str, manager: str, drafts_hash: str) -> bool:
    """True when code row ``code_id`` was used and is bound to exactly this incident, manager and drafts."""
    row = session.get(ApprovalCodeRow, code_id)
    return (row is not None and row.used_at is not None and row.incident_id == incident_id
            and row.manager == normalise(manager) and row.drafts_hash == drafts_hash)
