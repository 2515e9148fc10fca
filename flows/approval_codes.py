"""E-mail one-time approval codes to the managers who may approve the current drafts.

Codes leave through the same e-mail channel as the notices (SendGrid, or .eml files under
``<outbox>/approval-codes/`` when no key is set). Only counts are logged, never a code.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from breach import instants
from breach.approval import codes, roster
from breach.approval import decisions as approval
from breach.approval.roster import RosterEntry, normalise
from breach.exceptions import ApprovalRefused
from breach.incidents import service as incidents
from flows.runtime import Runtime
from notices.content.approval_code import code_email
from notices.email.message import EmailSender

log = logging.getLogger("breach")


def send_codes(rt: Runtime, *, incident_id: str, only: str | None = None, fresh: bool = False) -> int:
    """Send a code to every roster manager who did not draft the current drafts and holds no live code for them.

    Args:
        only: just this manager (``breach approve --as``); refused when not on the roster or the drafter.
        fresh: send a new code even if a live one exists (a manager who asks again).
    """
    sender: EmailSender | None = None
    sent = 0
    with rt.sessions.begin() as session:
        incidents.get(session=session, incident_id=incident_id)  # IncidentNotFound first: "no drafts" would mislead
        drafts = approval.current_drafts(session=session, incident_id=incident_id)
        managers = roster.current(session=session)
        if only is not None:
            managers = [approval.check_approver(incident_id=incident_id, actor=only, managers=managers, drafts=drafts)]
            approval.require_open_round(session=session, incident_id=incident_id, drafts=drafts)  # no code for what went out
        digest = approval.drafts_hash(drafts) if drafts else ""
        drafters = {normalise(d.drafted_by) for d in drafts}
        now = instants.utcnow()
        for entry in managers:
            if not drafts or _skip(session, entry, drafters, incident_id, digest, now, fresh=fresh):
                continue
            issued = codes.issue(session=session, incident_id=incident_id, manager=entry.email, drafts_hash=digest,
                                 key=rt.code_key, now=now)
            sender = sender or rt.code_sender()
            sender.send_batch(code_email(incident_id=incident_id, manager=entry, issued=issued, drafts_hash=digest,
                                         controller=rt.controller))
            sent += 1
    log.info("%s: approval codes e-mailed to %d manager(s)", incident_id, sent)
    return sent


def _skip(session: Session, entry: RosterEntry, drafters: set[str], incident_id: str, digest: str, now: datetime, *, fresh: bool) -> bool:
    if drafters & entry.identities():
        return True  # four eyes: the drafter gets no code
    return not fresh and codes.has_live_code(session=session, incident_id=incident_id, manager=entry.email, drafts_hash=digest, now=now)


def refuse_unsendable(rt: Runtime, *, incident_id: str, actor: str, exc: ApprovalRefused) -> None:
    """Audit a refused request for a code (not on the roster, the drafter) in its own transaction."""
    with rt.sessions.begin() as session:
        approval.refuse(session=session, incident_id=incident_id, actor=actor, refusal=exc, now=instants.utcnow())
