"""Where an incident may go next: one table, one function; status checks live nowhere else."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from breach.enums import IncidentStatus as S
from breach.exceptions import InvalidTransition

ALLOWED_TRANSITIONS: dict[S, frozenset[S]] = {
    S.OPEN: frozenset({S.ASSESSED, S.CLOSED}),
    # New facts make a new assessment; drafts may be made again after a rejection.
    S.ASSESSED: frozenset({S.ASSESSED, S.DRAFTED, S.NOTIFIED, S.CLOSED}),
    S.DRAFTED: frozenset({S.ASSESSED, S.DRAFTED, S.APPROVED, S.CLOSED}),
    S.APPROVED: frozenset({S.ASSESSED, S.DRAFTED, S.SENDING, S.NOTIFIED}),
    S.SENDING: frozenset({S.SENDING, S.NOTIFIED}),
    # A new round for people found after the notices went out (breach.approval.rounds).
    S.NOTIFIED: frozenset({S.ASSESSED, S.DRAFTED, S.NOTIFIED, S.CLOSED}),
    S.CLOSED: frozenset(),
}


@dataclass(frozen=True)
class StatusChange:
    incident_id: str
    old: S
    new: S
    actor: str
    at: datetime


def transition(*, incident_id: str, current: str, to: S, actor: str, now: datetime) -> StatusChange:
    """Check that ``current -> to`` is allowed and return the change to record; raise InvalidTransition otherwise."""
    old = S(current)
    if to not in ALLOWED_TRANSITIONS[old]:
        raise InvalidTransition(incident_id, old.value, to.value)
    return StatusChange(incident_id=incident_id, old=old, new=to, actor=actor, at=now)
