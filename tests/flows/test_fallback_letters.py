"""Letters queued after bounced e-mails are rendered by the scheduled clock-watch, once."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from breach import instants
from breach.enums import IncidentStatus, NoticeKind
from breach.incidents import service as incidents
from breach.store.tables import DeliveryRow, SendBatchRow
from flows.send import send_notices
from flows.watch import clock_watch
from notices.letters.pdf import letter_file_name
from notices.sending import outbox
from notices.webhook.events import apply_events
from notices.webhook.verify import parse_events
from tests.flows.test_send_sendgrid import _approved_incident

pytestmark = pytest.mark.flows


def _letters(rt, incident_id: str) -> dict[str, int]:
    with rt.sessions() as session:
        return outbox.delivery_counts(session=session, incident_id=incident_id).get("letter", {})


def test_clock_watch_renders_the_letters_queued_after_bounces_once_and_finishes_the_incident(rt, tmp_path):
    incident_id = _approved_incident(rt, tmp_path, people=200)
    send_notices(incident_id)  # no SendGrid key: e-mails into the outbox folder, letters as PDFs
    before = _letters(rt, incident_id)
    assert before and set(before) == {"accepted"}
    with rt.sessions.begin() as session:
        accepted = select(DeliveryRow.id).where(DeliveryRow.incident_id == incident_id, DeliveryRow.channel == "email",
                                                DeliveryRow.state == "accepted")
        emails = session.execute(accepted).scalars().all()
        body = json.dumps([{"event": "bounce", "type": "bounce", "delivery_id": str(d)} for d in emails]).encode()
        report = apply_events(session=session, events=parse_events(body), cipher=rt.cipher,
                              now=instants.utcnow())
    assert report.letters > 0  # people with a postal address get a letter queued
    with rt.sessions() as session:
        assert outbox.letters_waiting(session=session) == [incident_id]
        waiting = outbox.open_batches(session=session, incident_id=incident_id, channel=outbox.Channel.LETTER)
    assert waiting and _letters(rt, incident_id)["pending"] == report.letters

    clock_watch()

    after = _letters(rt, incident_id)
    assert after == {"accepted": before["accepted"] + report.letters}
    with rt.sessions() as session:
        assert outbox.letters_waiting(session=session) == []
        assert incidents.get(session=session, incident_id=incident_id).status == IncidentStatus.NOTIFIED
        states = dict(session.execute(select(SendBatchRow.batch_no, SendBatchRow.state).where(
            SendBatchRow.incident_id == incident_id, SendBatchRow.channel == "letter", SendBatchRow.batch_no.in_(waiting))).all())
    assert states == dict.fromkeys(waiting, "done")
    folder = rt.settings.outbox_dir / incident_id / "letters"
    for batch_no in waiting:  # a print-ready PDF and its manifest per queued batch
        pdf = folder / letter_file_name(incident_id, NoticeKind.SUBJECT_NOTICE, batch_no)
        assert pdf.read_bytes().startswith(b"%PDF") and pdf.with_suffix(".csv").is_file()

    clock_watch()  # the next run finds nothing to render again
    assert _letters(rt, incident_id) == after
