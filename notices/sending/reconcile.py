"""Reconciliation: a request whose answer was lost is looked up before anything of it is sent again.

SendGrid has no idempotency key, so after a crash, a timeout, a dropped connection or a 5xx the
engine must find out whether SendGrid took the request. It asks, per request (one batch key):

1. the **Event Webhook** events stored so far (notices.sending.evidence): any event of any person of
   the request proves SendGrid took it (a mail-send request is accepted or refused whole);
2. the **Email Activity API**, if configured, allowed (6 requests per minute, shared) and the request
   is older than the indexing delay: a message proves it was taken; no message means it was not;
3. neither can tell: the engine asks again every ``poll`` seconds until ``wait`` seconds after the
   request left; then the request is **uncertain**: its people are neither sent again nor dropped
   until new evidence arrives (a later ``breach send`` looks again) or an operator decides
   (``breach batches resend`` / ``mark-delivered``, audited).

While it waits, the batch holds no lane and no sending process: ``ReconcileLater`` hands it back to
the retry loop (flows.sending.processes.with_retries), which asks again at ``reset_at``.
``look_up`` is the decision alone (pure); ``settle`` applies it to one batch's requests.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from breach import instants
from breach.enums import DeliveryState
from breach.store.tables import DeliveryRow
from notices.email.activity import ActivityAnswer, ActivityOutcome
from notices.email.errors import TransientSendError
from notices.email.message import EmailSender
from notices.sending import evidence
from notices.sending.evidence import ACTIVITY_WINDOW, ActivityBudget, Slot


class Verdict(StrEnum):
    ACCEPTED = "accepted"  # SendGrid took the request: nothing of it is sent again
    NOT_ACCEPTED = "not_accepted"  # SendGrid surely does not have it: it is sent
    UNKNOWN = "unknown"  # nobody can tell (yet)


@dataclass(frozen=True)
class Policy:
    """How long and how the engine looks (BREACH_RECONCILE_WAIT, BREACH_ACTIVITY_*; notices.settings)."""

    wait: float = 120.0  # seconds after the request left; SendGrid posts events within about 30 s
    index_delay: float = 60.0  # the Activity API shows a message only this long after it was taken (assumed)
    poll: float = 2.0
    activity: bool = True
    activity_per_minute: int = 6


@dataclass(frozen=True)
class Finding:
    """The answer about one request. `retry_at` (epoch seconds) only for UNKNOWN while the wait lasts."""

    verdict: Verdict
    source: str
    note: str
    retry_at: float | None = None


@dataclass(frozen=True)
class Sources:
    """The two sources for one request, as callables (fakes in unit tests, the database and SendGrid in production)."""

    webhook_seen: Callable[[], int]
    activity: Callable[[], ActivityAnswer] | None = None
    take_slot: Callable[[], Slot] = lambda: Slot(0.0)
    refused: Callable[[], None] = lambda: None


class Addressee(Protocol):
    """A person of a request as reconciliation reads them: only the delivery id (a Recipient, or the batch's lighter tuple)."""

    @property
    def delivery_id(self) -> str: ...


class ReconcileLater(TransientSendError):
    """A batch's lost request cannot be told yet and its wait is not over: nothing was sent; ask again at `reset_at`."""

    def __init__(self, reset_at: float, *, batch_key: str | None = None) -> None:
        self.reset_at = reset_at
        super().__init__(None, batch_key=batch_key, reason=f"waiting for evidence until epoch {reset_at:.0f}")


def _ask_activity(sources: Sources, *, age: float, policy: Policy) -> Finding | str:
    """The Activity API's finding, or a note on why it could not tell."""
    if not policy.activity or sources.activity is None:
        return "Email Activity API not used"
    if age < policy.index_delay:
        return f"Email Activity API not asked: the request is {age:.0f} s old, messages show after {policy.index_delay:.0f} s"
    slot = sources.take_slot()
    if slot.refused:
        return "Email Activity API refused within the last hour (no add-on, or a key without access)"
    if slot.wait > 0:
        return f"Email Activity API budget used ({policy.activity_per_minute} a minute): next slot in {slot.wait:.0f} s"
    answer = sources.activity()
    if answer.outcome == ActivityOutcome.FOUND:
        return Finding(Verdict.ACCEPTED, "activity", f"the Email Activity API shows {answer.messages} message(s) of the request")
    if answer.outcome == ActivityOutcome.NONE:
        return Finding(Verdict.NOT_ACCEPTED, "activity",
                       f"not in the Email Activity API {age:.0f} s after the request (indexing delay {policy.index_delay:.0f} s)")
    if answer.outcome == ActivityOutcome.REFUSED:
        sources.refused()
        return f"Email Activity API refused: {answer.detail}"
    if answer.outcome == ActivityOutcome.RATE_LIMITED:
        return f"Email Activity API rate-limited ({answer.detail})"
    return f"Email Activity API gave no answer ({answer.detail})"


def look_up(*, size: int, sent_at: float, now: float, policy: Policy, sources: Sources, final: bool = False) -> Finding:
    """What is known about one request of `size` people that left at `sent_at` (epoch seconds).

    `final`: the wait is already over (a batch found uncertain): an UNKNOWN is final at once.
    """
    shown = sources.webhook_seen()
    if shown:
        return Finding(Verdict.ACCEPTED, "webhook", f"the Event Webhook showed {shown} of the request's {size} people")
    activity = _ask_activity(sources, age=now - sent_at, policy=policy)
    if isinstance(activity, Finding):
        return activity
    note = f"the Event Webhook showed none of {size} people; {activity}"
    deadline = sent_at + policy.wait
    if final or now >= deadline:
        return Finding(Verdict.UNKNOWN, "none", f"{note}; nothing told within {policy.wait:.0f} s")
    return Finding(Verdict.UNKNOWN, "none", note, retry_at=min(now + max(policy.poll, 0.05), deadline))


@dataclass
class Settled:
    """What reconciliation decided for a batch's in-doubt requests (counts and notes, no personal data)."""

    accepted: int = 0
    resend: list[int] = field(default_factory=list)  # drafts whose request surely did not arrive: send them
    uncertain: int = 0
    retry_at: float | None = None  # set: some request can still be told; ask again then
    findings: list[dict[str, object]] = field(default_factory=list)


def set_state(*, sessions: sessionmaker[Session], incident_id: str, ids: Iterable[int], state: DeliveryState,
              message_id: str | None = None) -> None:
    """One UPDATE: these deliveries of an incident move to `state` (committed at once)."""
    ids = list(ids)
    if ids:
        with sessions.begin() as session:
            session.execute(update(DeliveryRow).where(DeliveryRow.incident_id == incident_id, DeliveryRow.id.in_(ids))
                            .values(state=state.value, provider_message_id=message_id, updated_at=instants.utcnow()))


def _sources(*, sessions: sessionmaker[Session], sender: EmailSender, key: str, ids: list[int], policy: Policy) -> Sources:
    def webhook_seen() -> int:
        with sessions() as session:
            return evidence.seen(session=session, key=key, delivery_ids=ids)

    finder = getattr(sender, "find_batch", None)
    budget = ActivityBudget(sessions, per_minute=policy.activity_per_minute, name=f"{ACTIVITY_WINDOW}:{getattr(sender, 'account', '-')}")
    return Sources(webhook_seen=webhook_seen, activity=(lambda: finder(key)) if finder else None,
                   take_slot=lambda: budget.take(instants.utcnow()), refused=lambda: budget.refused(instants.utcnow()))


def settle(*, sessions: sessionmaker[Session], sender: EmailSender, incident_id: str, batch_no: int,
           in_doubt: Mapping[int, Sequence[Addressee]], sent_at: datetime | None, final: bool, policy: Policy) -> Settled:
    """Look up each in-doubt request (deliveries already marked uncertain) and apply what is known."""
    out = Settled()
    written = getattr(sender, "find_written", None)
    for draft_id, recipients in in_doubt.items():
        ids = [int(r.delivery_id) for r in recipients]
        key = evidence.batch_key(incident_id, batch_no, draft_id)
        if written is not None:  # the outbox folder: each file is written atomically, so its answer is complete
            found = {int(i) for i in written(incident_id, recipients)}
            set_state(sessions=sessions, incident_id=incident_id, ids=found, state=DeliveryState.ACCEPTED,
                      message_id="reconciled:outbox_folder")
            set_state(sessions=sessions, incident_id=incident_id, ids=set(ids) - found, state=DeliveryState.PENDING)
            out.accepted += len(found)
            out.resend += [draft_id] if len(found) < len(ids) else []
            out.findings.append({"draft": draft_id, "people": len(ids), "verdict": "accepted" if found else "not_accepted",
                                 "source": "outbox_folder", "note": f"{len(found)} of {len(ids)} files written"})
            continue
        now = instants.utcnow()
        finding = look_up(size=len(ids), sent_at=(sent_at or now).timestamp(), now=now.timestamp(), policy=policy, final=final,
                          sources=_sources(sessions=sessions, sender=sender, key=key, ids=ids, policy=policy))
        if finding.verdict == Verdict.ACCEPTED:
            set_state(sessions=sessions, incident_id=incident_id, ids=ids, state=DeliveryState.ACCEPTED,
                      message_id=f"reconciled:{finding.source}")
            out.accepted += len(ids)
        elif finding.verdict == Verdict.NOT_ACCEPTED:
            set_state(sessions=sessions, incident_id=incident_id, ids=ids, state=DeliveryState.PENDING)
            out.resend.append(draft_id)
        elif finding.retry_at is not None:
            out.retry_at = finding.retry_at if out.retry_at is None else min(out.retry_at, finding.retry_at)
        else:
            out.uncertain += len(ids)
        out.findings.append({"draft": draft_id, "people": len(ids), "verdict": finding.verdict.value, "source": finding.source,
                             "note": finding.note})
    return out
