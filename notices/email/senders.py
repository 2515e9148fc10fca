"""Which e-mail sender a process uses: SendGrid when a key is set, otherwise .eml files in the outbox folder."""

from __future__ import annotations

import logging
from pathlib import Path

from pydantic import SecretStr

from notices.email.eml_folder import OutboxSender
from notices.email.message import EmailSender
from notices.email.sendgrid import SendGridSender

log = logging.getLogger("notices.email")


def build_sender(*, api_key: SecretStr | None, host: str | None, outbox: Path, timeout: float) -> EmailSender:
    """SendGrid when a key is set, otherwise the outbox folder (said in the log, never silent)."""
    if api_key is not None and api_key.get_secret_value().strip():
        return SendGridSender(api_key, host=host, timeout=timeout)
    log.warning("no SendGrid API key: e-mails are written to the outbox folder %s", outbox)
    return OutboxSender(outbox)
