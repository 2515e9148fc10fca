"""A written notice on request, after sending: one letter for one person, exactly once.

US state law gives some people a right to notice in writing, and controllers promise it ("to receive free
written notice of a security breach ... email privacy@..."). When such a request comes in after the notices
went out, the person is found by the controller's customer number (blind index, no decryption of the file),
and a letter delivery of the approved letter draft of the person's language and group is queued in a new
letter batch that the ordinary send path prints. The outbox's unique (person, draft, channel) and the check
here make it exactly once; the request is audited with ids only.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from breach import audit
from breach.approval.decisions import current_drafts, require_approved
from breach.enums import Channel, DeliveryState, NoticeKind
from breach.exceptions import BreachError
from breach.keys.cipher import MultiKeyCipher
from breach.people.rows import external_key_of
from breach.people.store import contacts
from breach.store.tables import DeliveryRow, PersonRow, SendBatchRow
from notices.sending.fallback import is_addressable


def person_by_customer_number(incident_id: str, key: bytes | None) -> Select[PersonRow]:
    """The person of an incident whose customer-number blind index is ``key``: read through the index on the key."""
    return select(PersonRow).where(PersonRow.incident_id == incident_id, PersonRow.external_key == key)


def queue_requested_letter(*, session: Session, incident_id: str, external_id: str, cipher: MultiKeyCipher, actor: str,
                           now: datetime) -> int:
    """Queue the letter for the person with this customer number; returns its letter batch number."""
    key = external_key_of(external_id, cipher.index_key)
    person = session.execute(person_by_customer_number(incident_id, key)).scalar_one_or_none()
    if person is None:
        raise BreachError(f"no person with that customer number in {incident_id}'s people file")
    require_approved(session=session, incident_id=incident_id)
    if not session.execute(select(func.count()).select_from(SendBatchRow).where(SendBatchRow.incident_id == incident_id)).scalar_one():
        raise BreachError(f"nothing has been sent for {incident_id} yet: give the person channel=letter in the people file instead")
    earlier = session.execute(select(DeliveryRow.id).where(DeliveryRow.incident_id == incident_id, DeliveryRow.person_id == person.id,
                                                          DeliveryRow.channel == Channel.LETTER.value)).scalars().first()
    if earlier is not None:
        raise BreachError(f"this person already has a letter (delivery {earlier}); a written notice is produced once")
    draft = next((d for d in current_drafts(session=session, incident_id=incident_id) if d.kind == NoticeKind.SUBJECT_NOTICE.value
                  and d.channel == Channel.LETTER.value and d.language == person.language and d.variant == person.notice_variant), None)
    if draft is None:
        raise BreachError(f"the approved round has no letter draft in {person.language} for this person's group: draft and approve one")
    contact = next(iter(contacts(session=session, incident_id=incident_id, cipher=cipher, person_ids=[person.id])))
    if not is_addressable(contact):
        raise BreachError("the people file has no complete postal address for this person: add it and import again")
    latest = session.execute(select(func.max(SendBatchRow.batch_no)).where(SendBatchRow.incident_id == incident_id,
                                                                           SendBatchRow.channel == Channel.LETTER.value)).scalar_one()
    batch_no = 0 if latest is None else int(latest) + 1
    session.add(SendBatchRow(incident_id=incident_id, channel=Channel.LETTER.value, batch_no=batch_no, state="pending", attempts=0))
    delivery = DeliveryRow(incident_id=incident_id, person_id=person.id, draft_id=draft.id, channel=Channel.LETTER.value,
                           batch_no=batch_no, state=DeliveryState.PENDING.value, attempts=0, updated_at=now)
    session.add(delivery)
    session.flush()
    audit.record(session=session, action="letter.requested", actor=actor, at=now, incident_id=incident_id,
                 details={"person_id": person.id, "delivery_id": delivery.id, "draft_id": draft.id, "batch_no": batch_no})
    return batch_no
