"""Uncertain batches: what is left for an operator to decide, and the two decisions, each audited.

A request is uncertain when neither the Event Webhook nor the Email Activity API could say, within
the bounded wait, whether SendGrid took it (notices.sending.reconcile). The engine never guesses:
its people stay ``uncertain`` until new evidence arrives (a later ``breach send`` looks again) or an
operator who has checked (SendGrid's Activity view, a recipient's confirmation) decides:

- **resend**: the people go back to ``pending`` and the next ``breach send`` sends them;
- **mark accepted** (``breach batches mark-delivered``): they count as taken by SendGrid; later
  webhook events still move them to delivered or bounced (and a bounce still gets a letter).

Either way, people whom the webhook has shown since are marked accepted by that evidence first and
never sent again. The decision names the operator and a reason in the audit log.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from breach import audit
from breach.enums import Channel, DeliveryState
from breach.exceptions import BreachError
from breach.store.locks import write_lock
from breach.store.tables import DeliveryRow, SendBatchRow
from notices.sending import evidence

_UNCERTAIN = DeliveryState.UNCERTAIN.value


class DecisionRefused(BreachError):
    """An operator's decision about a batch that cannot be taken; `reason` says why (no personal data)."""

    def __init__(self, incident_id: str, batch_no: int, reason: str) -> None:
        self.incident_id, self.batch_no, self.reason = incident_id, batch_no, reason
        super().__init__(f"{incident_id} e-mail batch {batch_no}: {reason}")


class Decision(StrEnum):
    RESEND = "resend"
    MARK_ACCEPTED = "mark_accepted"


@dataclass(frozen=True)
class UncertainBatch:
    """An e-mail batch with uncertain people: how many, since when, and how many the webhook has shown since."""

    batch_no: int
    state: str
    people: int
    since: datetime | None
    seen_since: int


@dataclass(frozen=True)
class Decided:
    batch_no: int
    decision: Decision
    people: int
    by_evidence: int
    batch_state: str


def _uncertain_rows(session: Session, incident_id: str, batch_no: int | None = None) -> list[tuple[int, int, int]]:
    """(batch, draft, delivery id) of every uncertain e-mail delivery of an incident (or of one batch)."""
    where = [DeliveryRow.incident_id == incident_id, DeliveryRow.channel == Channel.EMAIL.value, DeliveryRow.state == _UNCERTAIN]
    if batch_no is not None:
        where.append(DeliveryRow.batch_no == batch_no)
    stmt = select(DeliveryRow.batch_no, DeliveryRow.draft_id, DeliveryRow.id).where(*where).order_by(DeliveryRow.batch_no, DeliveryRow.id)
    return [(int(b), int(d), int(i)) for b, d, i in session.execute(stmt).tuples()]


def _by_request(rows: list[tuple[int, int, int]]) -> dict[tuple[int, int], list[int]]:
    out: dict[tuple[int, int], list[int]] = {}
    for batch_no, draft_id, delivery_id in rows:
        out.setdefault((batch_no, draft_id), []).append(delivery_id)
    return out


def uncertain_batches(*, session: Session, incident_id: str) -> list[UncertainBatch]:
    """The incident's e-mail batches that hold uncertain people, in batch order."""
    requests = _by_request(_uncertain_rows(session, incident_id))
    batches = {b.batch_no: b for b in session.execute(select(SendBatchRow).where(
        SendBatchRow.incident_id == incident_id, SendBatchRow.channel == Channel.EMAIL.value,
        SendBatchRow.batch_no.in_({b for b, _ in requests}))).scalars()}
    out: dict[int, UncertainBatch] = {}
    for (batch_no, draft_id), ids in requests.items():
        shown = evidence.seen(session=session, key=evidence.batch_key(incident_id, batch_no, draft_id), delivery_ids=ids)
        row, before = batches[batch_no], out.get(batch_no)
        out[batch_no] = UncertainBatch(batch_no, row.state, len(ids) + (before.people if before else 0), row.started_at,
                                       shown + (before.seen_since if before else 0))
    return list(out.values())


def _set(session: Session, ids: list[int], state: DeliveryState, message_id: str | None, now: datetime) -> None:
    if ids:
        session.execute(update(DeliveryRow).where(DeliveryRow.id.in_(ids))
                        .values(state=state.value, provider_message_id=message_id, error=None, updated_at=now))


def decide(*, session: Session, incident_id: str, batch_no: int, decision: Decision, actor: str, reason: str,
           now: datetime) -> Decided:
    """Resend the batch's uncertain people, or mark them accepted; audited with `actor` and `reason`. Never commits."""
    reason = " ".join(reason.split())
    if not reason:
        raise DecisionRefused(incident_id, batch_no, "a reason is required (it is kept in the audit log)")
    where = (SendBatchRow.incident_id == incident_id, SendBatchRow.channel == Channel.EMAIL.value, SendBatchRow.batch_no == batch_no)
    write_lock(session, SendBatchRow, *where)
    batch = session.execute(select(SendBatchRow).where(*where).execution_options(populate_existing=True)).scalar_one_or_none()
    if batch is None:
        raise DecisionRefused(incident_id, batch_no, "no such e-mail batch")
    if batch.state in ("in_flight", "reconciling"):
        raise DecisionRefused(incident_id, batch_no, f"it is {batch.state.replace('_', ' ')}: a sender is still looking; decide after")
    requests = _by_request(_uncertain_rows(session, incident_id, batch_no))
    if not requests:
        raise DecisionRefused(incident_id, batch_no, f"it holds nobody uncertain (state {batch.state})")
    shown: list[int] = []
    rest: list[int] = []
    for (_, draft_id), ids in requests.items():
        seen = evidence.seen(session=session, key=evidence.batch_key(incident_id, batch_no, draft_id), delivery_ids=ids)
        (shown if seen else rest).extend(ids)  # one person shown proves their whole request arrived
    _set(session, shown, DeliveryState.ACCEPTED, "reconciled:webhook", now)
    if decision == Decision.RESEND:
        _set(session, rest, DeliveryState.PENDING, None, now)
    else:
        _set(session, rest, DeliveryState.ACCEPTED, "operator", now)
    waiting = session.execute(select(func.count()).select_from(DeliveryRow).where(
        DeliveryRow.incident_id == incident_id, DeliveryRow.channel == Channel.EMAIL.value, DeliveryRow.batch_no == batch_no,
        DeliveryRow.state.in_((DeliveryState.PENDING.value, DeliveryState.SENDING.value)))).scalar_one()
    batch.state = "pending" if waiting else "done"
    action = "batch.operator_resend" if decision == Decision.RESEND else "batch.operator_accepted"
    audit.record(session=session, action=action, actor=actor, at=now, incident_id=incident_id,
                 details={"channel": Channel.EMAIL.value, "batch_no": batch_no, "people": len(rest), "by_evidence": len(shown),
                          "reason": reason, "batch_state": batch.state})
    return Decided(batch_no, decision, len(rest), len(shown), batch.state)
