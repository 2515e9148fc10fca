"""Send one batch of the outbox, by e-mail or as a PDF of letters, and record each person's outcome.

A batch is claimed (state ``in_flight``, committed) before its request leaves and marked ``done``
after; a batch found ``in_flight`` was interrupted with an unknown outcome, which is audited
before the batch is sent again.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from breach import audit, clock
from breach.controller import ControllerProfile
from breach.crypto import MultiKeyCipher
from breach.enums import Channel, DeliveryState, NoticeKind
from breach.people_store import contacts
from breach.store.tables import DeliveryRow, DraftRow, SendBatchRow
from notices.email import EmailBatch, EmailDeliveryError, EmailSender, Recipient, is_transient
from notices.letters import Letter, letter_file_name, write_letters_pdf, write_manifest_csv
from notices.render import FALLBACK_NAMES, RenderedNotice, personalize


@dataclass(frozen=True)
class BatchOutcome:
    channel: str
    batch_no: int
    sent: int
    skipped: bool = False


def _claim(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int) -> SendBatchRow | None:
    with sessions.begin() as session:
        batch = session.execute(
            select(SendBatchRow).where(SendBatchRow.incident_id == incident_id, SendBatchRow.channel == channel.value,
                                       SendBatchRow.batch_no == batch_no).with_for_update()
        ).scalar_one()
        if batch.state == "done":
            return None
        if batch.state == "in_flight":
            audit.record(session=session, action="batch.unknown_outcome", actor="sender", at=clock.utcnow(), incident_id=incident_id,
                         details={"channel": channel.value, "batch_no": batch_no, "attempts": batch.attempts})
        batch.state, batch.attempts, batch.started_at = "in_flight", batch.attempts + 1, clock.utcnow()
        session.expunge(batch)
        return batch


def _finish(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int, state: str,
            delivery_state: DeliveryState, message_id: str | None, artifact: str | None = None, error: str | None = None) -> None:
    now = clock.utcnow()
    with sessions.begin() as session:
        session.execute(update(DeliveryRow).where(
            DeliveryRow.incident_id == incident_id, DeliveryRow.channel == channel.value, DeliveryRow.batch_no == batch_no,
            DeliveryRow.state.in_([DeliveryState.PENDING.value, DeliveryState.SENDING.value, DeliveryState.FAILED.value]),
        ).values(state=delivery_state.value, provider_message_id=message_id, artifact=artifact, error=error,
                 attempts=DeliveryRow.attempts + 1, updated_at=now))
        session.execute(update(SendBatchRow).where(
            SendBatchRow.incident_id == incident_id, SendBatchRow.channel == channel.value, SendBatchRow.batch_no == batch_no,
        ).values(state=state, finished_at=now, provider_message_id=message_id))
        audit.record(session=session, action=f"batch.{state}", actor="sender", at=now, incident_id=incident_id,
                     details={"channel": channel.value, "batch_no": batch_no, "deliveries_state": delivery_state.value, "error": error})


def _load(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int, cipher: MultiKeyCipher):
    with sessions() as session:
        rows = session.execute(
            select(DeliveryRow.id, DeliveryRow.person_id, DeliveryRow.draft_id).where(
                DeliveryRow.incident_id == incident_id, DeliveryRow.channel == channel.value, DeliveryRow.batch_no == batch_no)
            .order_by(DeliveryRow.id)
        ).tuples().all()
        drafts = {d.id: d for d in session.execute(select(DraftRow).where(DraftRow.id.in_({r[2] for r in rows}))).scalars()}
        people = {c.person_id: c for c in contacts(session=session, incident_id=incident_id, cipher=cipher, person_ids=[r[1] for r in rows])}
    return rows, drafts, people


def send_email_batch(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, sender: EmailSender,
                     cipher: MultiKeyCipher, controller: ControllerProfile, sandbox: bool = False) -> BatchOutcome:
    """Send one e-mail batch (one personalization per person); transient failures leave it retryable."""
    if _claim(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no) is None:
        return BatchOutcome(Channel.EMAIL.value, batch_no, 0, skipped=True)
    rows, drafts, people = _load(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no, cipher=cipher)
    by_draft: dict[int, list[Recipient]] = {}
    for delivery_id, person_id, draft_id in rows:
        person = people[person_id]
        by_draft.setdefault(draft_id, []).append(Recipient(delivery_id=str(delivery_id), email=person.email or "", name=person.name))
    message_ids = []
    try:
        for draft_id, recipients in by_draft.items():
            draft = drafts[draft_id]
            batch = EmailBatch(incident_id=incident_id, batch_key=f"{incident_id}:email:{batch_no}:{draft_id}", subject=draft.subject,
                               text=draft.text, html=draft.html, from_email=controller.sender_email, from_name=controller.name,
                               recipients=recipients, sandbox=sandbox)
            message_ids.append(sender.send_batch(batch).message_id or "")
    except EmailDeliveryError as exc:
        transient = is_transient(exc)
        _finish(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no,
                state="pending" if transient else "failed", delivery_state=DeliveryState.PENDING if transient else DeliveryState.FAILED,
                message_id=None, error=f"{type(exc).__name__}: status {getattr(exc, 'status_code', None)}")
        raise
    _finish(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no, state="done",
            delivery_state=DeliveryState.ACCEPTED, message_id=",".join(message_ids)[:200] or None)
    return BatchOutcome(Channel.EMAIL.value, batch_no, len(rows))


def send_letter_batch(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, out_dir: Path,
                      cipher: MultiKeyCipher, controller: ControllerProfile, today: date | None = None) -> BatchOutcome:
    """Render one batch of letters into a print-ready PDF with a manifest for the print-and-post service."""
    if _claim(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no) is None:
        return BatchOutcome(Channel.LETTER.value, batch_no, 0, skipped=True)
    rows, drafts, people = _load(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no, cipher=cipher)
    when = today or clock.utcnow().date()
    letters = []
    for delivery_id, person_id, draft_id in rows:
        person, draft = people[person_id], drafts[draft_id]
        body = personalize(RenderedNotice(subject=draft.subject, text=draft.text, html=None, template_version=draft.template_version,
                                          content_hash=draft.content_hash), person.name, fallback=FALLBACK_NAMES.get(person.language))
        letters.append(Letter(delivery_id=str(delivery_id), language=person.language, recipient_name=person.name,
                              address_lines=person.address_lines, subject=body.subject, body_text=body.text, sender=controller,
                              date=when, reference=incident_id))
    folder = out_dir / incident_id / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / letter_file_name(incident_id, NoticeKind.SUBJECT_NOTICE, batch_no)
    info = write_letters_pdf(letters, pdf)
    write_manifest_csv([info], pdf.with_suffix(".csv"))
    _finish(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no, state="done",
            delivery_state=DeliveryState.ACCEPTED, message_id=None, artifact=str(pdf))
    return BatchOutcome(Channel.LETTER.value, batch_no, len(rows))


