"""What the provider has told us about a request whose answer was lost: the evidence reconciliation reads.

Two sources, in this order (docs/reliability.md, the decision table):

- **Event Webhook events**, stored by ``breach webhook serve`` (``record_events``): every event SendGrid
  posts carries the message's custom args, among them our ``batch_key`` and the person's
  ``delivery_id``. Any event of a delivery under its request's batch key proves SendGrid took that
  request. Silence proves nothing: the webhook may be down, and SendGrid retries a failed post for
  up to 24 hours.
- **The Email Activity API** (optional): SendGrid's own record, searchable by custom arg. It needs a
  paid add-on, allows 6 requests per minute per account (``ActivityBudget`` shares that budget
  between all sending processes through the database) and shows a message only after an indexing
  delay, so an empty answer counts only for a request older than that delay.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from breach.enums import Channel
from breach.store.locks import write_lock
from breach.store.tables import DeliveryRow, EmailEventRow, RateWindowRow

ACTIVITY_WINDOW = "sendgrid_activity"  # one budget per SendGrid account: this prefix and a digest of host and key
# After SendGrid refused the Activity API (no add-on, or a key without the scope), nobody asks again for this long.
REFUSAL_MEMORY = timedelta(hours=1)
_CHUNK = 500


def batch_key(incident_id: str, batch_no: int, draft_id: int) -> str:
    """The custom arg that names one request of a batch, and what reconciliation looks up."""
    return f"{incident_id}:email:{batch_no}:{draft_id}"


@dataclass(frozen=True)
class Sighting:
    """One verified webhook event reduced to evidence: whose delivery, under which request, which event."""

    delivery_id: int
    batch_key: str
    event: str
    occurred_at: datetime | None = None


def record_events(*, session: Session, sightings: Iterable[Sighting], rows: dict[int, DeliveryRow], now: datetime) -> int:
    """Keep the sightings whose batch key is the one our delivery was sent under; returns how many.

    A sighting of an unknown delivery, or under another batch key (another system's ids on the same
    SendGrid account), is not evidence and is dropped. The same event twice is kept once. Runs in the
    caller's transaction.
    """
    values = []
    for s in sightings:
        row = rows.get(s.delivery_id)
        if row is None or row.channel != Channel.EMAIL.value or s.batch_key != batch_key(row.incident_id, row.batch_no, row.draft_id):
            continue
        values.append({"delivery_id": s.delivery_id, "incident_id": row.incident_id, "batch_key": s.batch_key,
                       "event": s.event[:40], "occurred_at": s.occurred_at, "received_at": now})
    if values:
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        session.execute(dialect.insert(EmailEventRow).on_conflict_do_nothing(index_elements=["delivery_id", "event"]), values)
    return len(values)


def seen(*, session: Session, key: str, delivery_ids: Sequence[int]) -> int:
    """How many of these deliveries the webhook has shown under batch key `key`."""
    ids = sorted(set(delivery_ids))
    total = 0
    for start in range(0, len(ids), _CHUNK):
        stmt = (select(func.count(func.distinct(EmailEventRow.delivery_id)))
                .where(EmailEventRow.batch_key == key, EmailEventRow.delivery_id.in_(ids[start:start + _CHUNK])))
        total += int(session.execute(stmt).scalar_one())
    return total


@dataclass(frozen=True)
class Slot:
    """The answer of the shared budget: go (wait 0), wait this long, or do not ask (refused recently)."""

    wait: float
    refused: bool = False


class ActivityBudget:
    """At most `per_minute` Email Activity API requests per minute across every process on this database."""

    def __init__(self, sessions: sessionmaker[Session], *, per_minute: int, name: str = ACTIVITY_WINDOW) -> None:
        self.sessions, self.per_minute, self.name = sessions, per_minute, name

    def take(self, now: datetime) -> Slot:
        """Take a slot now, or say how long until one frees; refuses while a recent refusal stands."""
        with self.sessions.begin() as session:
            row = self._locked(session)
            if row.refused_at is not None and now - row.refused_at < REFUSAL_MEMORY:
                return Slot(math.inf, refused=True)
            t = now.timestamp()
            recent = sorted(c for c in row.calls if t - float(c) < 60.0)
            if self.per_minute > 0 and len(recent) >= self.per_minute:
                return Slot(max(0.05, 60.0 - (t - float(recent[0]))))
            row.calls = [*recent, t][-max(self.per_minute, 1):]
            return Slot(0.0)

    def refused(self, now: datetime) -> None:
        """Remember that SendGrid refused the API, so no process spends its budget asking again soon."""
        with self.sessions.begin() as session:
            self._locked(session).refused_at = now

    def _locked(self, session: Session) -> RateWindowRow:
        if not write_lock(session, RateWindowRow, RateWindowRow.name == self.name):
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            session.execute(dialect.insert(RateWindowRow).values(name=self.name, calls=[]).on_conflict_do_nothing(index_elements=["name"]))
            write_lock(session, RateWindowRow, RateWindowRow.name == self.name)
        stmt = select(RateWindowRow).where(RateWindowRow.name == self.name).execution_options(populate_existing=True)
        return session.execute(stmt).scalar_one()

