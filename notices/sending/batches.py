"""Send one batch of the outbox, by e-mail or as a PDF of letters, and record each person's outcome.

A batch is claimed (state ``in_flight``, committed) before its request leaves and marked ``done``
after. Batch states: ``pending`` -> ``in_flight`` -> ``done``; a refused request (4xx) leaves
``failed``, a 429 ``pending`` (nothing was accepted), and a timeout, dropped connection or 5xx
``unknown``. A batch found ``in_flight`` whose claimant may still be at work (a live process,
notices.sending.claims) is left alone (BatchBusy, retried later). One found ``in_flight`` after its
sender crashed, or ``unknown``, has a request whose outcome is unknown: the first request of the
batch not yet accepted (requests leave one after another, so no later one left) has its people
marked ``uncertain`` at once, and nothing of it is sent before it is looked up
(notices.sending.reconcile: the stored Event Webhook events first, then the Email Activity API).
While the sources may still speak the batch is ``reconciling`` (released, holding no lane); then
each request is accepted, sent again (surely not arrived) or left ``uncertain`` (the batch too)
until new evidence or an operator decides (notices.sending.uncertain). Audited as
``batch.unknown_outcome``, ``batch.reconciled`` and ``batch.uncertain``. Each request's deliveries
are marked accepted as soon as it is answered, so a batch split over several drafts never re-sends a
part that went through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import NamedTuple, NoReturn

import orjson
from sqlalchemy import Select, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from breach import audit, instants
from breach.approval import integrity
from breach.controller import ControllerProfile
from breach.enums import Channel, DeliveryState, NoticeKind
from breach.exceptions import DraftsTampered
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import contacts
from breach.store.locks import changed_rows, write_lock
from breach.store.tables import DeliveryRow, DraftRow, PersonRow, SendBatchRow
from notices.content.checks import check_address
from notices.content.personal import absent_contact_data, own_data_only, own_data_tags, own_data_values
from notices.content.render import FALLBACK_NAMES, RenderedNotice, personalize
from notices.email.errors import EmailDeliveryError, RateLimited, TransientSendError, is_transient
from notices.email.message import EmailBatch, EmailSender, Recipient, ascii_address
from notices.letters.pdf import Letter, address_block, letter_file_name, write_letters_pdf, write_manifest_csv
from notices.sending import claims
from notices.sending.evidence import batch_key
from notices.sending.reconcile import Policy, ReconcileLater, set_state, settle

UNKNOWN_OUTCOME = frozenset({"in_flight", "unknown"})  # a request of the batch may have left without its answer
_WAITING = frozenset({"in_flight", "unknown", "reconciling"})  # its bounded wait for evidence may still run
_OPEN = (DeliveryState.PENDING.value, DeliveryState.SENDING.value, DeliveryState.FAILED.value)
_UNCERTAIN = DeliveryState.UNCERTAIN.value
# error codes of deliveries skipped without blocking their batch (no personal data in them)
NO_ADDRESS, UNSENDABLE_ADDRESS, DUPLICATE_ADDRESS = "no_address", "unsendable_address", "duplicate_address_in_batch"
_SET_ASIDE = (NO_ADDRESS, UNSENDABLE_ADDRESS, DUPLICATE_ADDRESS)


class BatchBusy(TransientSendError):
    """Another sender that may still be at work holds this batch: nothing was done; try again later."""

    def __init__(self, *, incident_id: str, channel: Channel, batch_no: int) -> None:
        super().__init__(None, batch_key=f"{incident_id}:{channel.value}:{batch_no}", reason="another sender holds this batch")


@dataclass(frozen=True)
class BatchOutcome:
    channel: str
    batch_no: int
    sent: int
    skipped: bool = False
    reconciled: int = 0
    rejected: int = 0
    uncertain: int = 0


class Claim(NamedTuple):
    """The state a batch was found in, and when its last attempt had started (when its last request left)."""

    found: str
    last_started_at: datetime | None


def _claim(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int) -> Claim | None:
    """Mark the batch in flight (committed) in this process's name; return the state it was found
    in, None when done. Raises BatchBusy when a sender that may still be at work holds it.

    The batch row is write-locked before it is read, so two senders in different processes can
    never both find it pending.
    """
    where = (SendBatchRow.incident_id == incident_id, SendBatchRow.channel == channel.value, SendBatchRow.batch_no == batch_no)
    with sessions.begin() as session:
        write_lock(session, SendBatchRow, *where)
        batch = session.execute(select(SendBatchRow).where(*where).execution_options(populate_existing=True)).scalar_one()
        found, now = batch.state, instants.utcnow()
        if found == "done":
            return None
        if found == "in_flight" and claims.holder_alive(batch.claimed_by, claimed_at=batch.started_at, now=now):
            raise BatchBusy(incident_id=incident_id, channel=channel, batch_no=batch_no)
        if found in UNKNOWN_OUTCOME:
            audit.record(session=session, action="batch.unknown_outcome", actor="sender", at=now, incident_id=incident_id,
                         details={"channel": channel.value, "batch_no": batch_no, "attempts": batch.attempts, "state": found})
        last = batch.started_at
        attempts = batch.attempts + (0 if found == "reconciling" else 1)  # looking again is not another attempt
        batch.state, batch.attempts, batch.started_at, batch.claimed_by = "in_flight", attempts, now, claims.current_owner()
        return Claim(found, last)


def _release(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, started_at: datetime | None) -> None:
    """Hand a batch back while its lost request is looked up: ``reconciling``, its request's time kept, no owner."""
    with sessions.begin() as session:
        session.execute(update(SendBatchRow).where(
            SendBatchRow.incident_id == incident_id, SendBatchRow.channel == Channel.EMAIL.value, SendBatchRow.batch_no == batch_no,
        ).values(state="reconciling", started_at=started_at, claimed_by=None))


def _finish(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int, state: str,
            delivery_state: DeliveryState | None, message_id: str | None, artifact: str | None = None, error: str | None = None,
            uncertain: int = 0) -> None:
    """Close the batch; `delivery_state` (if given) goes to its deliveries still pending or sending."""
    now = instants.utcnow()
    with sessions.begin() as session:
        if delivery_state is not None:
            session.execute(update(DeliveryRow).where(
                DeliveryRow.incident_id == incident_id, DeliveryRow.channel == channel.value, DeliveryRow.batch_no == batch_no,
                DeliveryRow.state.in_([DeliveryState.PENDING.value, DeliveryState.SENDING.value]),
            ).values(state=delivery_state.value, provider_message_id=message_id, artifact=artifact, error=error,
                     attempts=DeliveryRow.attempts + 1, updated_at=now))
        _close(session, incident_id=incident_id, channel=channel, batch_no=batch_no, state=state, message_id=message_id,
               delivery_state=delivery_state, error=error, now=now, uncertain=uncertain)


def _close(session: Session, *, incident_id: str, channel: Channel, batch_no: int, state: str, message_id: str | None,
           delivery_state: DeliveryState | None, error: str | None, now: datetime, uncertain: int = 0) -> None:
    """The batch row's final state and its audit entry, in the caller's transaction."""
    session.execute(update(SendBatchRow).where(
        SendBatchRow.incident_id == incident_id, SendBatchRow.channel == channel.value, SendBatchRow.batch_no == batch_no,
    ).values(state=state, finished_at=now, provider_message_id=message_id))
    audit.record(session=session, action=f"batch.{state}", actor="sender", at=now, incident_id=incident_id,
                 details={"channel": channel.value, "batch_no": batch_no,
                          "deliveries_state": delivery_state.value if delivery_state else None, "error": error,
                          **({"uncertain": uncertain} if uncertain else {})})


def _refuse(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int, found: str,
            error: DraftsTampered) -> NoReturn:
    """The words about to leave are not the approved ones: hand the batch back untouched, audit, raise."""
    _finish(sessions=sessions, incident_id=incident_id, channel=channel, batch_no=batch_no,
            state="unknown" if found in UNKNOWN_OUTCOME else found, delivery_state=None, message_id=None,
            error="drafts changed after approval")
    integrity.record_refusal(sessions=sessions, incident_id=incident_id, error=error, actor="sender", now=instants.utcnow(),
                             where=f"{channel.value} batch {batch_no}")
    raise error


def _mark(*, sessions: sessionmaker[Session], incident_id: str, ids: Iterable[int], state: DeliveryState,
          message_id: str | None = None, error: str | None = None) -> None:
    """One UPDATE for a set of deliveries of one batch (committed at once)."""
    ids = list(ids)
    if not ids:
        return
    with sessions.begin() as session:
        session.execute(update(DeliveryRow).where(DeliveryRow.incident_id == incident_id, DeliveryRow.id.in_(ids))
                        .values(state=state.value, provider_message_id=message_id, error=error,
                                attempts=DeliveryRow.attempts + 1, updated_at=instants.utcnow()))


def _mark_sent(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, draft_id: int, count: int,
               message_id: str | None, batch_done: str | None = None) -> None:
    """One UPDATE: the open deliveries of one (batch, draft) request are accepted, except those set aside.

    After the batch's last request, `batch_done` (its message ids) closes the batch in the same
    transaction: one commit fewer per batch.
    """
    now = instants.utcnow()
    with sessions.begin() as session:
        done = changed_rows(session, update(DeliveryRow).where(
            DeliveryRow.incident_id == incident_id, DeliveryRow.channel == Channel.EMAIL.value, DeliveryRow.batch_no == batch_no,
            DeliveryRow.draft_id == draft_id, DeliveryRow.state.in_(_OPEN),
            or_(DeliveryRow.error.is_(None), DeliveryRow.error.not_in(_SET_ASIDE)),
        ).values(state=DeliveryState.ACCEPTED.value, provider_message_id=message_id, error=None,
                 attempts=DeliveryRow.attempts + 1, updated_at=now))
        if done != count:  # the batch changed under us: refuse to commit a guess
            raise RuntimeError(f"batch {batch_no}: {done} deliveries matched, {count} were sent")
        if batch_done is not None:
            _close(session, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no, state="done",
                   message_id=batch_done[:200] or None, delivery_state=None, error=None, now=now)


def _load(*, sessions: sessionmaker[Session], incident_id: str, channel: Channel, batch_no: int, cipher: MultiKeyCipher):
    """The batch's deliveries not yet accepted, their drafts and their decrypted contacts."""
    with sessions() as session:
        rows = session.execute(
            select(DeliveryRow.id, DeliveryRow.person_id, DeliveryRow.draft_id).where(
                DeliveryRow.incident_id == incident_id, DeliveryRow.channel == channel.value, DeliveryRow.batch_no == batch_no,
                DeliveryRow.state.in_(_OPEN))
            .order_by(DeliveryRow.id)
        ).tuples().all()
        drafts = {d.id: d for d in session.execute(select(DraftRow).where(DraftRow.id.in_({r[2] for r in rows}))).scalars()}
        integrity.require_unchanged(session=session, incident_id=incident_id, rounds=[d.round for d in drafts.values()])
        people = {c.person_id: c for c in contacts(session=session, incident_id=incident_id, cipher=cipher,
                                                   person_ids=[r[1] for r in rows])}
    return rows, drafts, people


class _Person(NamedTuple):
    """A recipient as the e-mail channel reads it (duck-typed like Recipient, ~50x cheaper to build)."""

    delivery_id: str
    email: str
    name: str
    own_data: dict[str, str] = {}


def email_batch_rows(incident_id: str, batch_no: int) -> Select[int, int, bytes, bytes, str]:
    """(delivery id, draft id, blind index, sealed contact, state) of an e-mail batch's open and uncertain deliveries:
    read through the batch index (breach/store/statistics.py says why the planner must know the incident)."""
    return (select(DeliveryRow.id, DeliveryRow.draft_id, PersonRow.dedup_key, PersonRow.contact_enc, DeliveryRow.state)
            .join(PersonRow, PersonRow.id == DeliveryRow.person_id)
            .where(DeliveryRow.incident_id == incident_id, DeliveryRow.channel == Channel.EMAIL.value,
                   DeliveryRow.batch_no == batch_no, DeliveryRow.state.in_((*_OPEN, _UNCERTAIN)))
            .order_by(DeliveryRow.id))


def _load_email(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, cipher: MultiKeyCipher):
    """(delivery id, draft id, name, e-mail) of the batch's open and uncertain deliveries, decrypted in one
    pass; the ids of the uncertain ones; and the drafts."""
    with sessions() as session:
        rows = session.connection().execute(email_batch_rows(incident_id, batch_no)).all()  # Core: a thousand plain tuples
        drafts = {d.id: d for d in session.execute(select(DraftRow).where(DraftRow.id.in_({r[1] for r in rows}))).scalars()}
        integrity.require_unchanged(session=session, incident_id=incident_id, rounds=[d.round for d in drafts.values()])
    people, uncertain = open_email_rows(rows, incident_id=incident_id, cipher=cipher)
    return people, uncertain, drafts


def open_email_rows(rows: Iterable[tuple[int, int, bytes, bytes, str]], *, incident_id: str,
                    cipher: MultiKeyCipher) -> tuple[list[tuple[int, int, str, str | None, bool]], set[str]]:
    """``email_batch_rows``' rows decrypted in one pass: (delivery id, draft id, name, e-mail, has an address)
    for each, and the ids of the uncertain ones."""
    prefix, decrypt = b"person:" + incident_id.encode() + b":", cipher.decrypt
    people: list[tuple[int, int, str, str | None, bool]] = []
    uncertain: set[str] = set()
    for delivery_id, draft_id, key, token, state in rows:
        data = orjson.loads(decrypt(token, aad=prefix + key))  # the aad of breach.people.store
        people.append((delivery_id, draft_id, data.get("name") or "", data.get("email"), bool(data.get("address_lines"))))
        if state == _UNCERTAIN:
            uncertain.add(str(delivery_id))
    return people, uncertain


def _recipients(people: Iterable[tuple[int, int, str, str | None, bool]],
                drafts: dict[int, DraftRow]) -> tuple[dict[int, list[_Person]], dict[str, list[int]]]:
    """Recipients per draft; deliveries without a usable, batch-unique address are set aside by error code."""
    groups: dict[int, list[_Person]] = {}
    rejected: dict[str, list[int]] = {}
    seen: set[str] = set()
    for delivery_id, draft_id, name, email, has_address in people:
        address = ascii_address(email) if email else None
        if address is None or address.lower() in seen:
            code = NO_ADDRESS if not email else UNSENDABLE_ADDRESS if address is None else DUPLICATE_ADDRESS
            rejected.setdefault(code, []).append(delivery_id)
            continue
        seen.add(address.lower())
        own = own_data_values(drafts[draft_id].language, has_address=has_address)  # cached: one dict per language and case
        groups.setdefault(draft_id, []).append(_Person(str(delivery_id), address, name, own))
    return groups, rejected


def _email_batch(*, incident_id: str, batch_no: int, draft: DraftRow, controller: ControllerProfile,
                 recipients: list[_Person], sandbox: bool) -> EmailBatch:
    """Validate the batch's shared fields once (with its first recipient), then attach everyone."""
    first = recipients[0]
    no_reply = controller.sender_email.strip().lower() != controller.contact_email.strip().lower()
    text, html = own_data_tags(draft.text, draft.html, draft.language)
    checked = EmailBatch(incident_id=incident_id, batch_key=batch_key(incident_id, batch_no, draft.id), subject=draft.subject,
                         text=text, html=html, from_email=controller.sender_email, from_name=controller.name,
                         reply_to=controller.contact_email if no_reply else None,
                         reply_to_name=controller.contact_name if no_reply else None,
                         recipients=[Recipient(delivery_id=first.delivery_id, email=first.email, name=first.name,
                                               own_data=first.own_data)], sandbox=sandbox)
    # every address passed ascii_address and is unique in the batch (_recipients): no second pass per person
    return checked.model_copy(update={"recipients": recipients})


def _reconcile(*, sessions: sessionmaker[Session], sender: EmailSender, incident_id: str, batch_no: int, claim: Claim,
               groups: dict[int, list[_Person]], uncertain: set[str], policy: Policy) -> tuple[dict[int, list[_Person]], int, int]:
    """Settle the batch's in-doubt requests before anything is sent; returns (groups to send, accepted, uncertain).

    Raises ReconcileLater (the batch released as ``reconciling``) while a request can still be told.
    """
    if claim.found in UNKNOWN_OUTCOME:  # the first request not yet answered may have left: its people are in doubt
        first = next((d for d, rs in groups.items() if not any(r.delivery_id in uncertain for r in rs)), None)
        if first is not None:
            set_state(sessions=sessions, incident_id=incident_id, ids=[int(r.delivery_id) for r in groups[first]],
                      state=DeliveryState.UNCERTAIN)
            uncertain |= {r.delivery_id for r in groups[first]}
    in_doubt = {d: rs for d, rs in groups.items() if any(r.delivery_id in uncertain for r in rs)}
    if not in_doubt:
        return groups, 0, 0
    done = settle(sessions=sessions, sender=sender, incident_id=incident_id, batch_no=batch_no, in_doubt=in_doubt,
                  sent_at=claim.last_started_at, final=claim.found not in _WAITING, policy=policy)
    if done.retry_at is not None:
        _release(sessions=sessions, incident_id=incident_id, batch_no=batch_no, started_at=claim.last_started_at)
        raise ReconcileLater(done.retry_at, batch_key=f"{incident_id}:email:{batch_no}")
    left = {d: rs for d, rs in groups.items() if d not in in_doubt or d in done.resend}
    if claim.found == "uncertain" and not done.accepted and not done.resend:
        return left, 0, done.uncertain  # looked again, nothing new: no second audit entry for the same doubt
    with sessions.begin() as session:
        details = {"channel": Channel.EMAIL.value, "batch_no": batch_no, "already_accepted": done.accepted,
                   "to_send": sum(len(rs) for rs in left.values()),
                   "requests_unknown": sum(1 for f in done.findings if f["verdict"] == "unknown"), "uncertain": done.uncertain,
                   "requests": done.findings}
        audit.record(session=session, action="batch.reconciled", actor="sender", at=instants.utcnow(), incident_id=incident_id,
                     details=details)
    return left, done.accepted, done.uncertain


def send_email_batch(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, sender: EmailSender,
                     cipher: MultiKeyCipher, controller: ControllerProfile, sandbox: bool = False,
                     policy: Policy | None = None) -> BatchOutcome:
    """Send one e-mail batch (one personalization per person); transient failures leave it retryable."""
    claim = _claim(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no)
    if claim is None:
        return BatchOutcome(Channel.EMAIL.value, batch_no, 0, skipped=True)
    try:
        people, uncertain, drafts = _load_email(sessions=sessions, incident_id=incident_id, batch_no=batch_no, cipher=cipher)
    except DraftsTampered as exc:
        _refuse(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no, found=claim.found, error=exc)
    groups, rejected = _recipients(people, drafts)
    for code, ids in rejected.items():
        _mark(sessions=sessions, incident_id=incident_id, ids=ids, state=DeliveryState.FAILED, error=code)
    groups, reconciled, left = _reconcile(sessions=sessions, sender=sender, incident_id=incident_id, batch_no=batch_no, claim=claim,
                                          groups=groups, uncertain=uncertain, policy=policy or Policy())
    sent, message_ids, requests = 0, [], list(groups.items())
    try:
        for n, (draft_id, recipients) in enumerate(requests, start=1):
            batch = _email_batch(incident_id=incident_id, batch_no=batch_no, draft=drafts[draft_id], controller=controller,
                                 recipients=recipients, sandbox=sandbox)
            message_id = sender.send_batch(batch).message_id
            message_ids.append(message_id or "")
            _mark_sent(sessions=sessions, incident_id=incident_id, batch_no=batch_no, draft_id=draft_id, count=len(recipients),
                       message_id=message_id, batch_done=",".join(message_ids) if n == len(requests) and not left else None)
            sent += len(recipients)
    except EmailDeliveryError as exc:
        # 429: nothing was accepted; 5xx, timeout, lost connection: unknown, reconciled before the next try
        state = ("pending" if isinstance(exc, RateLimited) else "unknown") if is_transient(exc) else "failed"
        _finish(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no, state=state,
                delivery_state=DeliveryState.PENDING if is_transient(exc) else DeliveryState.FAILED,
                message_id=None, error=f"{type(exc).__name__}: status {getattr(exc, 'status_code', None)}")
        raise
    except OSError as exc:  # this machine failed under the request (a full disk under the outbox): unknown, reconciled first
        _finish(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no, state="unknown",
                delivery_state=None, message_id=None, error=f"{type(exc).__name__}: {exc.strerror or 'local failure'}"[:200])
        raise
    if left or not requests:  # people still in doubt, or nothing left to send: the batch is closed on its own
        _finish(sessions=sessions, incident_id=incident_id, channel=Channel.EMAIL, batch_no=batch_no,
                state="uncertain" if left else "done", delivery_state=None, message_id=",".join(message_ids)[:200] or None,
                uncertain=left)
    return BatchOutcome(Channel.EMAIL.value, batch_no, sent, reconciled=reconciled, rejected=sum(len(v) for v in rejected.values()),
                        uncertain=left)


def send_letter_batch(*, sessions: sessionmaker[Session], incident_id: str, batch_no: int, out_dir: Path,
                      cipher: MultiKeyCipher, controller: ControllerProfile, today: date | None = None) -> BatchOutcome:
    """Render one batch of letters into a print-ready PDF with a manifest for the print-and-post service."""
    found = _claim(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no)
    if found is None:
        return BatchOutcome(Channel.LETTER.value, batch_no, 0, skipped=True)
    try:
        rows, drafts, people = _load(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no, cipher=cipher)
    except DraftsTampered as exc:
        _refuse(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no, found=found.found, error=exc)
    when = today or instants.local_date(instants.utcnow(), tz=controller.timezone)  # the date on the controller's wall clock
    letters = []
    for delivery_id, person_id, draft_id in rows:
        person, draft = people[person_id], drafts[draft_id]
        body = personalize(RenderedNotice(subject=draft.subject, text=draft.text, html=None, template_version=draft.template_version,
                                          content_hash=draft.content_hash), person.name, fallback=FALLBACK_NAMES.get(person.language))
        text = own_data_only(body.text, draft.language, absent=absent_contact_data(email=person.email, address=person.address_lines))
        letter = Letter(delivery_id=str(delivery_id), language=person.language, recipient_name=person.name,
                        address_lines=person.address_lines, subject=body.subject, body_text=text, sender=controller,
                        date=when, reference=incident_id, country=person.country)
        if problems := check_address(address_block(letter), country=letter.country, sender_country=controller.country):
            raise ValueError(f"letter batch {batch_no}: {problems[0].message}")  # never post a letter that cannot arrive
        letters.append(letter)
    folder = out_dir / incident_id / "letters"
    folder.mkdir(parents=True, exist_ok=True)
    pdf = folder / letter_file_name(incident_id, NoticeKind.SUBJECT_NOTICE, batch_no)
    try:
        info = write_letters_pdf(letters, pdf)
        write_manifest_csv([info], pdf.with_suffix(".csv"))
    except OSError as exc:  # written atomically: nothing printable is left behind, so the batch is simply open again
        _finish(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no, state="pending",
                delivery_state=None, message_id=None, error=f"{type(exc).__name__}: {exc.strerror or 'local failure'}"[:200])
        raise
    _finish(sessions=sessions, incident_id=incident_id, channel=Channel.LETTER, batch_no=batch_no, state="done",
            delivery_state=DeliveryState.ACCEPTED, message_id=None, artifact=str(pdf))
    return BatchOutcome(Channel.LETTER.value, batch_no, len(rows))


