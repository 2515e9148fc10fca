"""Apply verified Event Webhook events to the outbox, once, with an audited count (no addresses).

Every event under the batch key its delivery was sent with is also kept as evidence that SendGrid
took that request (notices.sending.evidence), whatever the delivery's state: it is what
reconciliation reads first after a crash or a lost answer.

The caller owns the transaction: the replay guard row, the state changes, the letter fallbacks
and the audit entry commit together or not at all, so a refused or failed request changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from breach import audit
from breach.enums import Channel
from breach.keys.cipher import MultiKeyCipher
from breach.store.tables import DeliveryRow, WebhookRequestRow
from notices.sending.evidence import Sighting, batch_key, record_events
from notices.sending.fallback import fall_back_to_letters
from notices.webhook.verify import NEEDS_FALLBACK, DeliveryEvent, WebhookRefused, next_state

ACTOR = "sendgrid-webhook"
_CHUNK = 500


@dataclass
class ApplyReport:
    """What one request did, as counts; safe to log, audit and return to SendGrid."""

    events: int = 0
    unknown: int = 0
    evidence: int = 0
    unchanged: int = 0
    changed: Counter[str] = field(default_factory=Counter)
    letters: int = 0
    attention: Counter[str] = field(default_factory=Counter)
    incidents: set[str] = field(default_factory=set)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON-able counts."""
        return {"events": self.events, "unknown": self.unknown, "evidence": self.evidence, "unchanged": self.unchanged,
                "changed": dict(sorted(self.changed.items())), "letters": self.letters, "attention": dict(sorted(self.attention.items())),
                "incidents": sorted(self.incidents)}


def remember_request(*, session: Session, digest: str, now: datetime, keep: timedelta) -> None:
    """Refuse a request seen before (409); remember this one. Digests older than ``keep`` are pruned."""
    session.execute(delete(WebhookRequestRow).where(WebhookRequestRow.received_at < now - keep))
    if session.get(WebhookRequestRow, digest) is not None:
        raise WebhookRefused(409, "replayed request")
    session.add(WebhookRequestRow(digest=digest, received_at=now))
    session.flush()


def _load(session: Session, ids: set[int]) -> dict[int, DeliveryRow]:
    rows: dict[int, DeliveryRow] = {}
    ordered = sorted(ids)
    for start in range(0, len(ordered), _CHUNK):
        stmt = select(DeliveryRow).where(DeliveryRow.id.in_(ordered[start:start + _CHUNK]), DeliveryRow.channel == Channel.EMAIL.value)
        rows.update({row.id: row for row in session.execute(stmt).scalars()})
    return rows


def apply_events(*, session: Session, events: list[DeliveryEvent], cipher: MultiKeyCipher, now: datetime,
                 batch_size: int = 1000) -> ApplyReport:
    """Move e-mail deliveries to delivered / bounced / failed; undelivered ones fall back to letters."""
    report = ApplyReport(events=len(events))
    rows = _load(session, {e.delivery_id for e in events if e.delivery_id is not None})
    report.evidence = record_events(session=session, rows=rows, now=now, sightings=[
        Sighting(e.delivery_id, e.batch_key, e.event, e.occurred_at) for e in events if e.delivery_id is not None and e.batch_key])
    undelivered: dict[str, list[DeliveryRow]] = {}
    for event in events:
        row = rows.get(event.delivery_id) if event.delivery_id is not None else None
        if row is not None and event.batch_key is not None and event.batch_key != batch_key(row.incident_id, row.batch_no, row.draft_id):
            row = None  # another request's id (another system on the same SendGrid account): not ours to change
        if row is None:
            report.unknown += 1
            continue
        report.incidents.add(row.incident_id)
        new = next_state(row.state, event)
        if new is None:
            report.unchanged += 1
            continue
        row.state, row.updated_at = new.value, now
        report.changed[new.value] += 1
        if new in NEEDS_FALLBACK:
            undelivered.setdefault(row.incident_id, []).append(row)
    session.flush()
    for incident_id, deliveries in sorted(undelivered.items()):
        fallback = fall_back_to_letters(session=session, incident_id=incident_id, deliveries=deliveries, cipher=cipher,
                                        now=now, batch_size=batch_size)
        report.letters += fallback.letters
        report.attention.update(fallback.attention)
    if report.changed or report.letters or report.attention:
        only = next(iter(report.incidents)) if len(report.incidents) == 1 else None
        audit.record(session=session, action="deliveries.events", actor=ACTOR, at=now, incident_id=only, details=report.as_dict())
    return report
