"""Send the approved notices: e-mail in batches of up to 1,000, letters as print-ready PDF batches."""

from __future__ import annotations

import time
from typing import Any

from prefect import flow, task, unmapped
from prefect.cache_policies import NO_CACHE

from breach import approval, clock, incidents
from breach.enums import Channel, IncidentStatus
from notices import outbox
from notices.email import EmailDeliveryError, is_transient, retry_delay
from notices.sending import send_email_batch, send_letter_batch
from flows.progress import emit
from flows.runtime import runtime

IN_TASK_ATTEMPTS = 5


@task(persist_result=False, cache_policy=NO_CACHE)
def prepare_outbox(incident_id: str) -> dict[str, list[int]]:
    """Refuse unless approved; write every delivery before anything is sent; return open batch numbers."""
    rt = runtime()
    with rt.sessions.begin() as session:
        approval.require_approved(session=session, incident_id=incident_id, roster=rt.settings.managers)
        summary = outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=rt.settings.batch_size, actor=rt.actor, now=clock.utcnow())
        incident = incidents.get(session=session, incident_id=incident_id)
        if incident.status != IncidentStatus.NOTIFIED:  # a re-run after everything was sent only finds nothing to do
            incidents.set_status(session=session, incident=incident, to=IncidentStatus.SENDING, actor=rt.actor, now=clock.utcnow())
        batches = {c.value: outbox.open_batches(session=session, incident_id=incident_id, channel=c) for c in (Channel.EMAIL, Channel.LETTER)}
    emit("outbox", incident_id=incident_id, deliveries=summary.deliveries, batches=summary.batches)
    return batches


def _transient_only(task: Any, task_run: Any, state: Any) -> bool:
    """Retry a batch only for failures worth retrying (429, 5xx, timeouts), never for a refused request."""
    try:
        state.result()
    except EmailDeliveryError as exc:
        return is_transient(exc)
    except Exception:
        return False
    return False


@task(persist_result=False, cache_policy=NO_CACHE, retries=2, retry_delay_seconds=[30, 120], retry_condition_fn=_transient_only)
def send_email(incident_id: str, batch_no: int) -> int:
    """Send one e-mail batch, waiting out 429s and backing off on 5xx and timeouts."""
    rt = runtime()
    sender = rt.sender()
    for attempt in range(IN_TASK_ATTEMPTS):
        try:
            outcome = send_email_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=batch_no, sender=sender,
                                       cipher=rt.cipher, controller=rt.controller, sandbox=rt.email.sendgrid_sandbox)
            emit("batch_sent", incident_id=incident_id, channel="email", batch_no=batch_no, sent=outcome.sent)
            return outcome.sent
        except EmailDeliveryError as exc:
            if not is_transient(exc) or attempt == IN_TASK_ATTEMPTS - 1:
                raise
            time.sleep(retry_delay(exc, attempt))
    return 0


@task(persist_result=False, cache_policy=NO_CACHE, retries=1)
def send_letters(incident_id: str, batch_no: int) -> int:
    """Render one batch of letters into a print-ready PDF."""
    rt = runtime()
    outcome = send_letter_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=batch_no, out_dir=rt.settings.outbox_dir,
                                cipher=rt.cipher, controller=rt.controller)
    emit("batch_sent", incident_id=incident_id, channel="letter", batch_no=batch_no, sent=outcome.sent)
    return outcome.sent


@task
def finish(incident_id: str) -> dict[str, dict[str, int]]:
    """Mark the incident notified when every batch is done; return delivery counts."""
    rt = runtime()
    with rt.sessions.begin() as session:
        pending = [b for c in (Channel.EMAIL, Channel.LETTER) for b in outbox.open_batches(session=session, incident_id=incident_id, channel=c)]
        if not pending:
            incident = incidents.get(session=session, incident_id=incident_id)
            incidents.set_status(session=session, incident=incident, to=IncidentStatus.NOTIFIED, actor=rt.actor, now=clock.utcnow())
        return outbox.delivery_counts(session=session, incident_id=incident_id)


@flow(name="send-notices")
def send_notices(incident_id: str) -> dict[str, Any]:
    """Send every open batch of an approved incident; safe to run again after a crash."""
    batches = prepare_outbox(incident_id)
    emails = send_email.map(unmapped(incident_id), batches["email"]) if batches["email"] else []
    letters = send_letters.map(unmapped(incident_id), batches["letter"]) if batches["letter"] else []
    sent = sum(f.result() for f in [*emails, *letters])
    return {"sent": sent, "deliveries": finish(incident_id)}
