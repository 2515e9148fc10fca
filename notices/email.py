"""The e-mail channel: one batch of personal notices in, one provider call (or outbox files) out.

Exception tree (messages carry counts, ids and status codes, never names or addresses):

    BreachError
     └── EmailDeliveryError       SendGrid refused the batch (4xx): do not resend it unchanged
          ├── RateLimited          429: wait until `reset_at`, then resend
          └── TransientSendError   5xx, timeout or lost connection: resend with backoff

A retry after TransientSendError can deliver twice (SendGrid has no idempotency key), so every
personalization carries our delivery id as a custom arg for matching webhook events.
"""

from __future__ import annotations

import contextlib
import html
import http.client
import json
import logging
import os
import random
import re
import tempfile
import time
import unicodedata
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from email import policy
from email.errors import HeaderParseError
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from typing import Annotated, Any, Protocol

import orjson
import sendgrid
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, SecretStr, StringConstraints, field_validator, model_validator
from python_http_client import exceptions as http_errors

from breach.exceptions import BreachError

log = logging.getLogger(__name__)

NAME_TAG_TEXT = "-recipient_name_text-"
NAME_TAG_HTML = "-recipient_name_html-"
ARG_DELIVERY_ID = "delivery_id"
ARG_INCIDENT_ID = "incident_id"
ARG_BATCH_KEY = "batch_key"
MAX_PERSONALIZATIONS = 1000  # LIMITS.md L1/L2: 1,000 recipients per request, one each
ACTIVITY_LIMIT = 1000  # Email Activity API: at most 1,000 messages per query
MAX_NAME_CHARS = 256  # keeps substitutions far below L17's 10,000 bytes per personalization
DEFAULT_HOST = "https://api.sendgrid.com"
RATE_LIMIT_FALLBACK_S = 60.0  # a 429 without X-RateLimit-Reset: assume a minute

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")
_EMAILISH = re.compile(r"[^\s@\"'<>,;:]+@[^\s@\"'<>,;:]*[^\s@\"'<>,;:.]")
_WORD = r"[^\s\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]+"
_ORDINARY_NAME = re.compile(rf"(?:{_WORD}(?: {_WORD})*)?")  # what _one_line leaves as it is
_CONTROL = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]")  # surrogates can't be encoded
_SPELL_OUT = str.maketrans({"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "œ": "oe", "Œ": "OE", "þ": "th",
                            "Þ": "Th", "ð": "d", "Ð": "D", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"})
_Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")]


def ascii_address(email: str) -> str | None:
    """The address as SendGrid and the outbox take it (IDN domain as punycode), or None if unusable."""
    if email.isascii() and len(email) <= 254 and _ADDRESS.fullmatch(email):
        return email  # the common case, checked in one step
    local, at, domain = email.strip().rpartition("@")
    if not at:
        return None
    if not domain.isascii():
        try:
            domain = domain.encode("idna").decode("ascii")
        except UnicodeError:
            return None
    candidate = f"{local}@{domain}"  # a non-ASCII local part (SMTPUTF8) stays unusable
    return candidate if len(candidate) <= 254 and _ADDRESS.fullmatch(candidate) else None


def is_sendable_address(email: str) -> bool:
    """True when the e-mail channel can take this address; route the others to letters."""
    return ascii_address(email) is not None


def _usable_address(value: str) -> str:
    if (address := ascii_address(value)) is None:
        raise ValueError("not a usable e-mail address")  # never quote the value
    return address


_Address = Annotated[str, AfterValidator(_usable_address)]


def _one_line(value: str) -> str:
    """Control characters (CR/LF included) become spaces; whitespace runs collapse."""
    return " ".join(_CONTROL.sub(" ", value).split())


def _plain_name(name: str) -> str:
    if len(name) <= MAX_NAME_CHARS and _ORDINARY_NAME.fullmatch(name):  # one line, single spaces: as it is
        return name
    return _one_line(name)[:MAX_NAME_CHARS]


def _ascii_fallback(name: str) -> str:
    """Transliterate to ASCII: SendGrid takes no Unicode in `from` (LIMITS.md L6), e.g. Ærø -> AEro."""
    if name.isascii():
        return name
    spelled = name.translate(_SPELL_OUT)
    return unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")


def _display_name(name: str, *, plain: str | None = None) -> str:
    """A name for an address header: one line, and without ';' or ',' (LIMITS.md L5)."""
    plain = _plain_name(name) if plain is None else plain
    if ";" not in plain and "," not in plain:
        return plain.strip()  # _plain_name already made it one line with single spaces
    return " ".join(plain.replace(";", " ").replace(",", " ").split())


class _Model(BaseModel):
    # hide_input_in_errors: a ValidationError must not quote an address or a name
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Recipient(_Model):
    """One data subject on one delivery."""

    delivery_id: _Id
    email: _Address = Field(repr=False)
    name: str = Field(repr=False)



class EmailBatch(_Model):
    """Up to 1,000 people who get the same notice; names are filled in per person."""

    incident_id: _Id
    batch_key: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
    subject: str = Field(min_length=1)
    text: str = Field(min_length=1)
    html: str | None = Field(default=None, min_length=1)
    from_email: _Address
    from_name: str
    recipients: list[Recipient] = Field(min_length=1)
    sandbox: bool = False

    @field_validator("html", mode="before")
    @classmethod
    def _empty_html_is_none(cls, value: object) -> object:
        return None if value == "" else value

    @model_validator(mode="after")
    def _unique_deliveries(self) -> EmailBatch:
        if len({r.delivery_id for r in self.recipients}) != len(self.recipients):
            raise ValueError("a delivery id appears twice in the batch")
        return self

    def prepared(self) -> tuple[str, str, str | None]:
        """(subject, text, html) made safe: one-line subject, each body with its own tag only."""
        subject = _one_line(self.subject.replace(NAME_TAG_HTML, NAME_TAG_TEXT))
        text = self.text.replace(NAME_TAG_HTML, NAME_TAG_TEXT)
        # an unescaped name must never reach HTML, even if a template used the text tag there
        body_html = None if self.html is None else self.html.replace(NAME_TAG_TEXT, NAME_TAG_HTML)
        return subject, text, body_html


class BatchResult(_Model):
    """What the channel accepted: delivery ids, the provider's message id and HTTP status."""

    accepted: list[str]
    message_id: str | None
    status_code: int


class EmailDeliveryError(BreachError):
    """The provider refused a batch; `body` is SendGrid's first error message, addresses removed."""

    def __init__(self, *, status_code: int | None, body: str | None = None, batch_key: str | None = None,
                 field: str | None = None, reason: str | None = None) -> None:
        self.status_code = status_code
        self.body = body
        self.batch_key = batch_key
        self.field = field
        self.reason = reason
        what = reason or f"SendGrid answered {status_code}"
        detail = f": {body}" + (f" (field {field})" if field else "") if body else ""
        super().__init__(f"e-mail batch {batch_key}: {what}{detail}")


class RateLimited(EmailDeliveryError):
    """HTTP 429; `reset_at` is the epoch second of X-RateLimit-Reset."""

    def __init__(self, reset_at: float, *, batch_key: str | None = None, body: str | None = None) -> None:
        self.reset_at = reset_at
        super().__init__(status_code=429, body=body, batch_key=batch_key,
                         reason=f"rate limited until epoch {reset_at:.0f}")


class TransientSendError(EmailDeliveryError):
    """A 5xx, a timeout or a lost connection (`status_code` None): the outcome is unknown.

    `waited` is how long the request itself hung before it was given up (a timeout): time the
    provider got no new load from this batch, which its backoff counts.
    """

    def __init__(self, status_code: int | None, *, batch_key: str | None = None, body: str | None = None,
                 reason: str | None = None, waited: float = 0.0) -> None:
        self.waited = waited
        super().__init__(status_code=status_code, body=body, batch_key=batch_key, reason=reason)


def is_transient(exc: BaseException) -> bool:
    """True when resending the same batch later may succeed (429, 5xx, timeouts, connection)."""
    return isinstance(exc, (RateLimited, TransientSendError))


def retry_delay(exc: BaseException, attempt: int, *, now: float | None = None, base: float = 2.0,
                cap: float = 300.0, rng: random.Random | None = None) -> float:
    """Seconds to wait before the next try: until X-RateLimit-Reset for 429, else backoff.

    Args:
        exc: a RateLimited or TransientSendError; anything else is not retryable (ValueError).
        attempt: retries already made (0 before the first retry).
        base: the first backoff ceiling; it doubles each attempt and the delay is drawn from
            [ceiling/2, ceiling] so parallel batches do not retry in lockstep. A timeout's own
            wait (`waited`) counts toward it. After a 429 the jitter past the reset is drawn
            from [0, min(base, 1 s)].
    """
    if attempt < 0:
        raise ValueError("attempt counts from 0")
    rng = rng or random.Random()
    if isinstance(exc, RateLimited):
        wait = exc.reset_at - (time.time() if now is None else now)
        return min(cap, max(0.0, wait) + rng.uniform(0.0, min(base, 1.0)))
    if isinstance(exc, TransientSendError):
        ceiling = min(cap, base * 2 ** min(attempt, 32))
        return max(0.0, rng.uniform(ceiling / 2, ceiling) - exc.waited)
    raise ValueError(f"{type(exc).__name__} is not retryable")


class EmailSender(Protocol):
    """Sends one batch; raises EmailDeliveryError (or a subclass) when it cannot."""

    def send_batch(self, batch: EmailBatch) -> BatchResult:
        """Send every recipient of `batch` their own copy."""
        ...


def sendgrid_body(batch: EmailBatch) -> dict[str, Any]:
    """The /v3/mail/send JSON for `batch`: one personalization per person, names as substitutions."""
    if len(batch.recipients) > MAX_PERSONALIZATIONS:
        raise ValueError(f"batch {batch.batch_key}: {len(batch.recipients)} recipients, SendGrid takes "
                         f"at most {MAX_PERSONALIZATIONS} per request")
    addresses = [r.email.lower() for r in batch.recipients]
    if (dupes := len(addresses) - len(set(addresses))) > 0:
        raise ValueError(f"batch {batch.batch_key}: {dupes} recipient(s) share an address with another "
                         "in the batch; SendGrid refuses duplicates, put them in separate batches")
    subject, text, body_html = batch.prepared()
    content = [{"type": "text/plain", "value": text}]  # L11: text/plain first, then text/html
    if body_html is not None:
        content.append({"type": "text/html", "value": body_html})
    sender = {"email": batch.from_email}  # ASCII already: the address validator saw to that
    if from_name := _display_name(_ascii_fallback(batch.from_name)):
        sender["name"] = from_name
    body: dict[str, Any] = {
        "personalizations": [_personalization(r) for r in batch.recipients],
        "from": sender,
        "subject": subject,
        "content": content,
        "custom_args": {ARG_INCIDENT_ID: batch.incident_id, ARG_BATCH_KEY: batch.batch_key},
    }
    if batch.sandbox:
        body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    return body


def _personalization(recipient: Recipient) -> dict[str, Any]:
    to = {"email": recipient.email}
    plain = _plain_name(recipient.name)
    if display := _display_name(recipient.name, plain=plain):
        to["name"] = display
    return {
        "to": [to],  # one person per personalization: nobody sees another address
        "substitutions": {NAME_TAG_TEXT: plain, NAME_TAG_HTML: html.escape(plain, quote=True)},
        "custom_args": {ARG_DELIVERY_ID: recipient.delivery_id},
    }


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


    def find_batch(self, batch_key: str, *, incident_id: str | None = None,
                   recipients: Sequence[Recipient] | None = None) -> list[str] | None:
        """Delivery ids of `batch_key` that SendGrid accepted, from the Email Activity API; None = cannot tell.

        Queries ``GET /v3/messages?query=unique_args['batch_key']="..."``. A message's delivery id is
        its ``unique_args.delivery_id`` when the answer carries it, else the id of the recipient in
        `recipients` with that ``to_email``. The real Activity API indexes messages with a delay,
        so an empty answer right after a crash is weaker evidence than a non-empty one.
        """
        query = f"unique_args['{ARG_BATCH_KEY}']=\"{batch_key}\""
        try:
            response = self._client.client.messages.get(query_params={"query": query, "limit": ACTIVITY_LIMIT},
                                                        timeout=self.timeout)
            messages = json.loads(response.body or b"{}").get("messages") or []
        except (http_errors.HTTPError, TimeoutError, OSError, http.client.HTTPException, ValueError, AttributeError):
            log.warning("e-mail batch %s: the Email Activity API gave no usable answer", batch_key)
            return None
        by_address = {r.email.lower(): r.delivery_id for r in recipients or ()}
        found: list[str] = []
        for message in messages:
            args = message.get("unique_args") or {}
            delivery_id = args.get(ARG_DELIVERY_ID) or by_address.get(str(message.get("to_email", "")).lower())
            if delivery_id is None:
                return None  # a message we cannot place: do not guess
            found.append(str(delivery_id))
        return found


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
            message = self._message(batch, recipient, subject, text, body_html)
            _write_atomic(self.path_for(batch.incident_id, recipient.delivery_id), message.as_bytes())
        log.info("e-mail batch %s: %d messages written to the outbox", batch.batch_key, len(batch.recipients))
        return BatchResult(accepted=[r.delivery_id for r in batch.recipients], message_id=None, status_code=202)

    def find_batch(self, batch_key: str, *, incident_id: str | None = None,
                   recipients: Sequence[Recipient] | None = None) -> list[str] | None:
        """Delivery ids among `recipients` whose .eml exists (written atomically, so complete)."""
        if incident_id is None or recipients is None:
            return None
        return [r.delivery_id for r in recipients if self.path_for(incident_id, r.delivery_id).exists()]

    def _message(self, batch: EmailBatch, recipient: Recipient, subject: str, text: str,
                 body_html: str | None) -> EmailMessage:
        plain = _plain_name(recipient.name)
        msg = EmailMessage(policy=policy.SMTP)  # CRLF line ends, as on the wire
        try:
            msg["From"] = Address(display_name=_plain_name(batch.from_name), addr_spec=batch.from_email)
            msg["To"] = Address(display_name=_display_name(recipient.name), addr_spec=recipient.email)
        except (ValueError, HeaderParseError) as exc:  # their messages name the rule, not the address
            raise ValueError(f"delivery {recipient.delivery_id}: address cannot be written to a message") from exc
        msg["Subject"] = _one_line(subject.replace(NAME_TAG_TEXT, plain))
        msg["Date"] = format_datetime(self._now())
        domain = batch.from_email.rsplit("@", 1)[1]
        # deterministic: a re-sent delivery keeps its Message-ID, so receivers can deduplicate
        msg["Message-ID"] = f"<{recipient.delivery_id}.{batch.incident_id}@{domain}>"
        msg["X-Breach-Delivery-Id"] = recipient.delivery_id
        msg["X-Breach-Incident-Id"] = batch.incident_id
        msg.set_content(text.replace(NAME_TAG_TEXT, plain))
        if body_html is not None:
            msg.add_alternative(body_html.replace(NAME_TAG_HTML, html.escape(plain, quote=True)), subtype="html")
        return msg


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


def build_sender(*, api_key: SecretStr | None, host: str | None, outbox: Path, timeout: float) -> EmailSender:
    """SendGrid when a key is set, otherwise the outbox folder (said in the log, never silent)."""
    if api_key is not None and api_key.get_secret_value().strip():
        return SendGridSender(api_key, host=host, timeout=timeout)
    log.warning("no SendGrid API key: e-mails are written to the outbox folder %s", outbox)
    return OutboxSender(outbox)
