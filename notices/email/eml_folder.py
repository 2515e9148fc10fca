"""The outbox-folder sender: one RFC 5322 .eml file per person instead of a provider call.

Used when no SendGrid key is set (see notices.email.senders.build_sender); files are written atomically and a
re-sent delivery overwrites its own file, keeping its Message-ID.
"""

from __future__ import annotations

import contextlib
import html
import logging
import os
import tempfile
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path

from notices.email.headers import header_name, header_text, verify_eml_headers
from notices.email.message import NAME_TAG_HTML, NAME_TAG_TEXT, BatchResult, EmailBatch, Recipient, _plain_name

log = logging.getLogger("notices.email")  # the e-mail channel's logger, shared with the model and SendGrid


class OutboxSender:
    """Writes one RFC 5322 .eml per person to <folder>/<incident_id>/email/<delivery_id>.eml."""

    def __init__(self, folder: Path, *, now: Callable[[], datetime] | None = None) -> None:
        self.folder = Path(folder)
        self._now = now or (lambda: datetime.now(UTC))

    def path_for(self, incident_id: str, delivery_id: str) -> Path:
        """Where the message of one delivery lands; the same delivery always maps to the same file."""
        return self.folder / incident_id / "email" / f"{delivery_id}.eml"

    def send_batch(self, batch: EmailBatch) -> BatchResult:
        """Write every message atomically; re-sending a delivery overwrites its file."""
        subject, text, body_html = batch.prepared()
        for recipient in batch.recipients:
            raw = self._message(batch, recipient, subject, text, body_html).as_bytes()
            # parsed back before it is written: exactly our headers, one To (this person), one From (ours)
            verify_eml_headers(raw, to_address=recipient.email, from_address=batch.from_email, reply_to=batch.reply_to,
                               batch_key=batch.batch_key)
            _write_atomic(self.path_for(batch.incident_id, recipient.delivery_id), raw)
        log.info("e-mail batch %s: %d messages written to the outbox", batch.batch_key, len(batch.recipients))
        return BatchResult(accepted=[r.delivery_id for r in batch.recipients], message_id=None, status_code=202)

    def find_written(self, incident_id: str, recipients: Sequence[Recipient]) -> list[str]:
        """Delivery ids among `recipients` whose .eml exists: written atomically, so complete; the others surely are not."""
        return [r.delivery_id for r in recipients if self.path_for(incident_id, r.delivery_id).exists()]

    def _message(self, batch: EmailBatch, recipient: Recipient, subject: str, text: str,
                 body_html: str | None) -> EmailMessage:
        plain = _plain_name(recipient.name)
        msg = EmailMessage(policy=policy.SMTP)  # CRLF line ends, as on the wire
        try:
            msg["From"] = Address(display_name=header_name(batch.from_name), addr_spec=batch.from_email)
            msg["To"] = Address(display_name=header_name(recipient.name), addr_spec=recipient.email)
        except (ValueError, HeaderParseError) as exc:  # their messages name the rule, not the address
            raise ValueError(f"delivery {recipient.delivery_id}: address cannot be written to a message") from exc
        if batch.reply_to:
            msg["Reply-To"] = Address(display_name=header_name(batch.reply_to_name or ""), addr_spec=batch.reply_to)
        msg["Subject"] = header_text(subject.replace(NAME_TAG_TEXT, plain))
        msg["Date"] = format_datetime(self._now())
        domain = batch.from_email.rsplit("@", 1)[1]
        # deterministic: a re-sent delivery keeps its Message-ID, so receivers can deduplicate
        msg["Message-ID"] = f"<{recipient.delivery_id}.{batch.incident_id}@{domain}>"
        msg["X-Breach-Delivery-Id"] = recipient.delivery_id
        msg["X-Breach-Incident-Id"] = batch.incident_id
        msg.set_content(_own(text, recipient).replace(NAME_TAG_TEXT, plain))
        if body_html is not None:
            msg.add_alternative(_own(body_html, recipient).replace(NAME_TAG_HTML, html.escape(plain, quote=True)), subtype="html")
        return msg


def _own(body: str, recipient: Recipient) -> str:
    """The person's own substitutions (their list of breached data), as SendGrid would fill them in."""
    for tag, value in (getattr(recipient, "own_data", None) or {}).items():
        body = body.replace(tag, value)
    return body


def _write_atomic(path: Path, data: bytes) -> None:
    """Temp file in the same folder, fsync, os.replace: readers see the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
