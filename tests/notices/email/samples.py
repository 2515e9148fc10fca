"""Sample e-mail batches for the channel's tests: invented people at example.com, the stand-in's schema."""

from __future__ import annotations

import json
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from notices.email.message import NAME_TAG_HTML, NAME_TAG_TEXT, EmailBatch, Recipient
from tests.support.sendgrid import limits as sendgrid_limits
from tests.support.sendgrid import server as sendgrid_server

KEY = "SG.test-key"
SUBJECT = f"Important, {NAME_TAG_TEXT}: a breach of your data"
TEXT = f"Dear {NAME_TAG_TEXT},\n\nwe must tell you about a breach.\n"
HTML = f"<p>Dear {NAME_TAG_HTML},</p><p>we must tell you about a breach.</p>"
VALIDATOR = sendgrid_limits.build_validator(json.loads(sendgrid_server.default_schema_path().read_text()))


def sample_people(n: int, *, start: int = 0) -> list[Recipient]:
    """``n`` invented recipients with delivery ids dlv-00000, dlv-00001, ..."""
    return [Recipient(delivery_id=f"dlv-{i:05d}", email=f"subject{i}@example.com", name=f"Kari Nordmann {i}")
            for i in range(start, start + n)]


def sample_batch(recipients: list[Recipient] | None = None, **overrides: Any) -> EmailBatch:
    """A batch of incident inc-2024-001 (three people unless given), any field overridden."""
    fields: dict[str, Any] = {
        "incident_id": "inc-2024-001", "batch_key": "inc-2024-001/subject_notice/en/0001", "subject": SUBJECT,
        "text": TEXT, "html": HTML, "from_email": "dpo@example.org", "from_name": "Example Org DPO",
        "recipients": recipients if recipients is not None else sample_people(3),
    }
    return EmailBatch(**{**fields, **overrides})


def assert_no_pii(exc: BaseException, batch: EmailBatch) -> None:
    """No address or name of the batch appears in the exception, its repr or its cause."""
    texts = [str(exc), repr(exc), str(exc.__cause__ or "")]
    for person in batch.recipients:
        assert not any(person.email.lower() in t.lower() for t in texts)
        assert not any(person.name in t for t in texts)


def read_eml(path: Path) -> Any:
    """An .eml file parsed with the modern e-mail policy."""
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())
