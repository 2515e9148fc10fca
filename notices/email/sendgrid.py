"""The SendGrid sender: one /v3/mail/send request per batch, and the Email Activity API to find a batch again.

Refusals come back as the errors of notices.email.errors. The request body is notices.email.message.sendgrid_body;
its message-level batch key is what `find_batch` asks the Email Activity API about after a crash or a timeout.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import logging
import re
import time
from typing import Any

import orjson
import sendgrid
from pydantic import SecretStr
from python_http_client import exceptions as http_errors

from notices.email.activity import ACTIVITY_LIMIT, ActivityAnswer, ActivityOutcome, activity_query, read_answer
from notices.email.errors import RATE_LIMIT_FALLBACK_S, EmailDeliveryError, RateLimited, TransientSendError
from notices.email.message import BatchResult, EmailBatch, sendgrid_body

log = logging.getLogger("notices.email")  # the e-mail channel's logger, shared with the model and the outbox

DEFAULT_HOST = "https://api.sendgrid.com"

_EMAILISH = re.compile(r"[^\s@\"'<>,;:]+@[^\s@\"'<>,;:]*[^\s@\"'<>,;:.]")


class _DropClientPayloadLogs(logging.Filter):
    """python_http_client logs request bodies (addresses) and headers (the key) at DEBUG."""

    def filter(self, record: logging.LogRecord) -> bool:
        msg = record.msg if isinstance(record.msg, str) else ""
        return not (msg.startswith(("PAYLOAD", "HEADERS")) or " Response: " in msg)


def _silence_client_payload_logs() -> None:
    client_log = logging.getLogger("python_http_client.client")
    if not any(isinstance(f, _DropClientPayloadLogs) for f in client_log.filters):
        client_log.addFilter(_DropClientPayloadLogs())


def _first_error(raw: bytes | None) -> tuple[str | None, str | None]:
    """(message, field) of SendGrid's first error, with anything address-shaped masked."""
    try:
        first = json.loads((raw or b"").decode("utf-8"))["errors"][0]
        message, field = first.get("message"), first.get("field")
    except (ValueError, KeyError, IndexError, TypeError, AttributeError):
        return None, None
    clean = [None if v in (None, "null") else _EMAILISH.sub("[address]", str(v))[:300] for v in (message, field)]
    return clean[0], clean[1]


# Any Content-Type other than exactly "application/json" makes the client send the body as given
# (python_http_client would run json.dumps over a 1,000-person body, several times slower than orjson).
JSON_CONTENT_TYPE = "application/json; charset=utf-8"


def encode_body(body: dict[str, Any]) -> str:
    """The request body as compact UTF-8 JSON text (what SendGrid reads; the same object as json.dumps gives)."""
    return orjson.dumps(body).decode("utf-8")


class SendGridSender:
    """Sends batches through the official `sendgrid` client with an explicit timeout."""

    def __init__(self, api_key: SecretStr, *, host: str | None = None, timeout: float = 30.0) -> None:
        key = api_key.get_secret_value().strip()
        if not key:
            raise ValueError("the SendGrid API key is empty")
        if timeout <= 0:
            raise ValueError("timeout must be positive")
        base = (host or DEFAULT_HOST).rstrip("/")
        if base.endswith("/v3"):
            raise ValueError("host is the base URL without /v3; the client adds it")
        self.host, self.timeout = base, timeout
        # names the account's Activity API budget (6 a minute per account) without holding the key
        self.account = hashlib.sha256(f"{base}|{key}".encode()).hexdigest()[:16]
        self._client = sendgrid.SendGridAPIClient(api_key=key, host=base)
        # urllib waits forever by default; sub-clients copy this when the path is built
        self._client.client.timeout = timeout
        _silence_client_payload_logs()

    def send_batch(self, batch: EmailBatch) -> BatchResult:
        """POST one /v3/mail/send request; map the outcome to a result or an EmailDeliveryError."""
        body = sendgrid_body(batch)
        key = batch.batch_key
        try:
            # timeout= again per call: it survives a client rebuilt by set_sendgrid_data_residency
            response = self._client.client.mail.send.post(request_body=encode_body(body), timeout=self.timeout,
                                                          request_headers={"Content-Type": JSON_CONTENT_TYPE})
        except http_errors.HTTPError as exc:
            raise _mapped(exc, key) from exc
        except TimeoutError as exc:
            raise TransientSendError(None, batch_key=key, reason=f"no answer within {self.timeout:g} s",
                                     waited=self.timeout) from exc
        except (OSError, http.client.HTTPException) as exc:  # URLError, refused, reset, remote closed
            raise TransientSendError(None, batch_key=key, reason=f"connection failed ({type(exc).__name__})") from exc
        message_id = response.headers.get("X-Message-Id")
        log.info("e-mail batch %s: %d personalizations accepted, status %s, message id %s",
                 key, len(batch.recipients), response.status_code, message_id)
        return BatchResult(accepted=[r.delivery_id for r in batch.recipients], message_id=message_id,
                           status_code=response.status_code)


    def find_batch(self, batch_key: str) -> ActivityAnswer:
        """Ask the Email Activity API whether SendGrid took the request with this batch key (notices.email.activity).

        One request of the account's 6 per minute: the caller (notices.sending.reconcile) spends them.
        """
        try:
            response = self._client.client.messages.get(query_params={"query": activity_query(batch_key), "limit": ACTIVITY_LIMIT},
                                                        timeout=self.timeout)
        except http_errors.HTTPError as exc:
            answer = read_answer(int(exc.status_code), exc.body, exc.headers)
        except (TimeoutError, OSError, http.client.HTTPException) as exc:
            answer = ActivityAnswer(ActivityOutcome.ERROR, detail=f"no answer ({type(exc).__name__})")
        else:
            answer = read_answer(response.status_code, response.body, response.headers)
        log.info("e-mail batch %s: Email Activity API: %s (%s)", batch_key, answer.outcome.value, answer.detail)
        return answer


def _mapped(exc: http_errors.HTTPError, batch_key: str) -> EmailDeliveryError:
    status = int(exc.status_code)
    message, field = _first_error(exc.body)
    if status == 429:
        try:
            reset_at = float(exc.headers.get("X-RateLimit-Reset"))
        except (TypeError, ValueError, AttributeError):
            reset_at = time.time() + RATE_LIMIT_FALLBACK_S
        return RateLimited(reset_at, batch_key=batch_key, body=message)
    if status >= 500:
        return TransientSendError(status, batch_key=batch_key, body=message)
    return EmailDeliveryError(status_code=status, body=message, batch_key=batch_key, field=field)
