"""A bounced or dropped e-mail falls back to a letter (Art. 34: the person must still be told).

For each undelivered e-mail delivery the person gets a letter delivery, in a new pending letter
batch that the ordinary send path picks up (``breach send ID`` / ``flows.send.send_notices``),
when the approved round holds a letter draft in the person's language and the person has a
postal address. Otherwise the delivery is marked for a human's attention in its ``error``
column. Nothing here logs or returns personal data: ids and counts only.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from breach.approval.decisions import current_drafts, require_approved
from breach.enums import Channel, DeliveryState, NoticeKind
from breach.exceptions import DecryptionFailed, NotApproved
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import Contact, contacts
from breach.store.tables import DeliveryRow, DraftRow, SendBatchRow

ATTENTION_NO_ADDRESS = "attention: e-mail undelivered and no complete postal address for a letter"
ATTENTION_NO_DRAFT = "attention: e-mail undelivered and no approved letter draft in this language"
ATTENTION_UNREADABLE = "attention: e-mail undelivered and the contact details cannot be decrypted with the known keys"


@dataclass
class FallbackResult:
    """Counts only: letters queued, deliveries marked for attention, new letter batches."""

    letters: int = 0
    attention: Counter[str] = field(default_factory=Counter)
    batches: list[int] = field(default_factory=list)


def approved_letter_drafts(*, session: Session, incident_id: str) -> dict[str, DraftRow]:
    """Letter drafts of the approved current round, by language; empty when not approved."""
    try:
        require_approved(session=session, incident_id=incident_id)
    except NotApproved:
        return {}
    drafts = current_drafts(session=session, incident_id=incident_id)
    return {d.language: d for d in drafts if d.kind == NoticeKind.SUBJECT_NOTICE.value and d.channel == Channel.LETTER.value}


def is_addressable(contact: Contact) -> bool:
    """A letter can be addressed: a street line and a line with a postal code (the import's
    'address_line1 + postal_code + city' as stored, see ``PersonIn.address_lines``)."""
    lines = [line for line in contact.address_lines if line and line.strip()]
    return len(lines) >= 2 and any(ch.isdigit() for ch in " ".join(lines[1:]))


def _next_letter_batch(*, session: Session, incident_id: str) -> int:
    stmt = select(func.max(SendBatchRow.batch_no)).where(SendBatchRow.incident_id == incident_id,
                                                         SendBatchRow.channel == Channel.LETTER.value)
    latest = session.execute(stmt).scalar_one()
    return 0 if latest is None else int(latest) + 1


def _has_letter(*, session: Session, incident_id: str, person_id: int) -> bool:
    stmt = select(DeliveryRow.id).where(DeliveryRow.incident_id == incident_id, DeliveryRow.person_id == person_id,
                                        DeliveryRow.channel == Channel.LETTER.value).limit(1)
    return session.execute(stmt).first() is not None


def fall_back_to_letters(*, session: Session, incident_id: str, deliveries: list[DeliveryRow], cipher: MultiKeyCipher,
                         now: datetime, batch_size: int = 1000) -> FallbackResult:
    """Queue a letter for each undelivered e-mail delivery of one incident, or mark it for attention.

    Idempotent: a person who already has a letter delivery gets no second one. Runs in the
    caller's transaction; never commits.
    """
    result = FallbackResult()
    undelivered = [d for d in deliveries if d.channel == Channel.EMAIL.value and d.state in (DeliveryState.BOUNCED, DeliveryState.FAILED)]
    if not undelivered:
        return result
    drafts = approved_letter_drafts(session=session, incident_id=incident_id)
    people, unreadable = _readable_contacts(session=session, incident_id=incident_id, cipher=cipher,
                                            person_ids=sorted({d.person_id for d in undelivered}))
    queued: list[DeliveryRow] = []
    for delivery in undelivered:
        contact = people.get(delivery.person_id)
        draft = drafts.get(contact.language) if contact else None
        if delivery.person_id in unreadable:
            delivery.error, reason = ATTENTION_UNREADABLE, "contact_unreadable"
        elif contact is None or not is_addressable(contact):
            delivery.error, reason = ATTENTION_NO_ADDRESS, "no_address"
        elif draft is None:
            delivery.error, reason = ATTENTION_NO_DRAFT, "no_letter_draft"
        elif _has_letter(session=session, incident_id=incident_id,
                         person_id=delivery.person_id) or any(q.person_id == delivery.person_id for q in queued):
            continue
        else:
            queued.append(DeliveryRow(incident_id=incident_id, person_id=delivery.person_id, draft_id=draft.id,
                                      channel=Channel.LETTER.value, batch_no=-1, state=DeliveryState.PENDING.value,
                                      attempts=0, updated_at=now))
            continue
        delivery.updated_at = now
        result.attention[reason] += 1
    _queue(session=session, incident_id=incident_id, queued=queued, batch_size=batch_size, result=result)
    return result


def _readable_contacts(*, session: Session, incident_id: str, cipher: MultiKeyCipher,
                       person_ids: list[int]) -> tuple[dict[int, Contact], set[int]]:
    """The people's contact details, and the ids of those no known key decrypts (a key dropped too
    early, a damaged row): one unreadable person must not stop the events of everyone else."""
    try:
        return {c.person_id: c for c in contacts(session=session, incident_id=incident_id, cipher=cipher, person_ids=person_ids)}, set()
    except DecryptionFailed:
        people: dict[int, Contact] = {}
        unreadable: set[int] = set()
        for person_id in person_ids:
            try:
                people.update({c.person_id: c for c in contacts(session=session, incident_id=incident_id, cipher=cipher,
                                                                person_ids=[person_id])})
            except DecryptionFailed:
                unreadable.add(person_id)
        return people, unreadable


def _queue(*, session: Session, incident_id: str, queued: list[DeliveryRow], batch_size: int, result: FallbackResult) -> None:
    """Put the new letter deliveries into fresh pending letter batches the send path will pick up."""
    if not queued:
        return
    first = _next_letter_batch(session=session, incident_id=incident_id)
    for offset in range(0, len(queued), batch_size):
        batch_no = first + offset // batch_size
        for row in queued[offset:offset + batch_size]:
            row.batch_no = batch_no
        session.add(SendBatchRow(incident_id=incident_id, channel=Channel.LETTER.value, batch_no=batch_no, state="pending", attempts=0))
        result.batches.append(batch_no)
    session.add_all(queued)
    result.letters += len(queued)
    session.flush()
