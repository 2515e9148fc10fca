"""The e-mail channel's message: one batch of personal notices, the address and name rules, the request body.

The rest of the channel lives beside this module and imports from it, never the other way round:

    notices.email.errors      EmailDeliveryError and its subclasses, is_transient, retry_delay
    notices.email.sendgrid    SendGridSender (the provider call)
    notices.email.eml_folder  OutboxSender (.eml files in a folder)
    notices.email.senders     build_sender: SendGrid when a key is set, else the folder

A retry after TransientSendError can deliver twice (SendGrid has no idempotency key), so every
personalization carries our delivery id as a custom arg for matching webhook events.
"""

from __future__ import annotations

import html
import logging
import re
import unicodedata
from typing import Annotated, Any, Protocol

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

from notices.email.headers import header_name, header_text, verify_sendgrid_body
from notices.params import NAME_TAG_HTML, NAME_TAG_TEXT

log = logging.getLogger(__name__)

# A person's own list of breached data (notices.content.personal): the postal-address bullet, or nothing.
OWN_POSTAL_TEXT = "-own_postal_text-"
OWN_POSTAL_HTML = "-own_postal_html-"
ARG_DELIVERY_ID = "delivery_id"
ARG_INCIDENT_ID = "incident_id"
ARG_BATCH_KEY = "batch_key"
MAX_PERSONALIZATIONS = 1000  # LIMITS.md L1/L2: 1,000 recipients per request, one each
MAX_NAME_CHARS = 256  # keeps substitutions far below L17's 10,000 bytes per personalization

_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_ADDRESS = re.compile(rf"{_ATEXT}(?:\.{_ATEXT})*@{_LABEL}(?:\.{_LABEL})+")
_WORD = r"[^\s\x00-\x1f\x7f\x85\u2028\u2029\ud800-\udfff]+"
_ORDINARY_NAME = re.compile(rf"(?:{_WORD}(?: {_WORD})*)?")  # what _one_line leaves as it is
# what the fast path must not pass on: invisible and bidi characters, encoded-word markers (notices.email.headers)
_UNUSUAL = re.compile(r"=\?|\?=|[\x80-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
                      r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\U000e0000-\U000e0fff]")
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
    """One line without invisible characters or encoded-word markers (notices.email.headers.header_text)."""
    return header_text(value)


def _plain_name(name: str) -> str:
    """The name as the greeting and the subject show it: one line, visible, no encoded words; at most MAX_NAME_CHARS."""
    if len(name) <= MAX_NAME_CHARS and _ORDINARY_NAME.fullmatch(name) and not _UNUSUAL.search(name):  # as it is
        return name
    return header_text(name)[:MAX_NAME_CHARS].strip()


def _ascii_fallback(name: str) -> str:
    """Transliterate to ASCII: SendGrid takes no Unicode in `from` (LIMITS.md L6), e.g. Ærø -> AEro."""
    if name.isascii():
        return name
    spelled = name.translate(_SPELL_OUT)
    return unicodedata.normalize("NFKD", spelled).encode("ascii", "ignore").decode("ascii")


def _display_name(name: str) -> str:
    """A name for an address header: a plain phrase (notices.email.headers.header_name; also LIMITS.md L5: no ';' or ',')."""
    return header_name(name)


class _Model(BaseModel):
    # hide_input_in_errors: a ValidationError must not quote an address or a name
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class Recipient(_Model):
    """One data subject on one delivery."""

    delivery_id: _Id
    email: _Address = Field(repr=False)
    name: str = Field(repr=False)
    own_data: dict[str, str] = Field(default_factory=dict, repr=False, description="Per-person substitutions of the data list")



class EmailBatch(_Model):
    """Up to 1,000 people who get the same notice; names are filled in per person."""

    incident_id: _Id
    batch_key: Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"^[^\x00-\x1f\x7f]+$")]
    subject: str = Field(min_length=1)
    text: str = Field(min_length=1)
    html: str | None = Field(default=None, min_length=1)
    from_email: _Address
    from_name: str
    reply_to: _Address | None = Field(default=None, description="Where replies go: the contact point when the sender is a no-reply address")
    reply_to_name: str | None = None
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
    if batch.reply_to:
        name = _display_name(_ascii_fallback(batch.reply_to_name or ""))
        body["reply_to"] = {"email": batch.reply_to, **({"name": name} if name else {})}
    if batch.sandbox:
        body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    verify_sendgrid_body(body, to_addresses=[r.email for r in batch.recipients], from_address=batch.from_email,
                         reply_to=batch.reply_to, batch_key=batch.batch_key)
    return body


def _personalization(recipient: Recipient) -> dict[str, Any]:
    to = {"email": recipient.email}
    plain = _plain_name(recipient.name)
    if display := _display_name(recipient.name):
        to["name"] = display
    return {
        "to": [to],  # one person per personalization: nobody sees another address
        "substitutions": {NAME_TAG_TEXT: plain, NAME_TAG_HTML: html.escape(plain, quote=True), **recipient.own_data},
        "custom_args": {ARG_DELIVERY_ID: recipient.delivery_id},
    }
