"""SendGrid's Email Activity API as reconciliation asks it: did SendGrid take the request with this batch key?

``GET /v3/messages?query=unique_args['batch_key']="…"&limit=1000`` (the "Filter all messages"
operation, twilio/sendgrid-oai spec/yaml/tsg_email_activity_v3.yaml: ``query`` and ``limit`` 1..1000,
default 10; no page cursor, so an answer holds at most ``limit`` messages). Only one message is
needed: SendGrid accepts or refuses a mail-send request as a whole, so any message of the request
proves all of it was taken. What the real API answers, and how it is read here:

| answer | meaning | outcome |
|---|---|---|
| 200 with messages | the request was taken | ``found`` |
| 200, no messages | not indexed (yet); conclusive only after the indexing delay | ``none`` |
| 400 ``authorization required`` | the account has no Email Activity add-on (sendgrid-csharp#689, sendgrid-nodejs#1003) | ``refused`` |
| 401 / 403 ``access forbidden`` | the API key lacks the email-activity scope | ``refused`` |
| 429 ``too many requests`` | over 6 requests per minute | ``rate_limited`` (until X-RateLimit-Reset) |
| anything else, a timeout | no answer | ``error`` |
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from notices.email.message import ARG_BATCH_KEY

ACTIVITY_LIMIT = 1000  # the largest page the API gives
ADDON_MISSING = "authorization required"
RATE_LIMIT_FALLBACK_S = 60.0  # a 429 without X-RateLimit-Reset: the window is a minute


class ActivityOutcome(StrEnum):
    FOUND = "found"
    NONE = "none"
    REFUSED = "refused"
    RATE_LIMITED = "rate_limited"
    ERROR = "error"


@dataclass(frozen=True)
class ActivityAnswer:
    """One Activity API answer about one batch key; `detail` holds a status and SendGrid's words, never an address."""

    outcome: ActivityOutcome
    messages: int = 0
    retry_at: float | None = None
    detail: str = ""


def activity_query(batch_key: str) -> str:
    """The query that finds the messages of one request (our batch key is a message-level custom arg)."""
    return f"unique_args['{ARG_BATCH_KEY}']=\"{batch_key}\""


def _first_message(body: bytes | None) -> str:
    try:
        return str(json.loads((body or b"").decode("utf-8"))["errors"][0]["message"])[:120]
    except (ValueError, KeyError, IndexError, TypeError):
        return ""


def read_answer(status: int, body: bytes | None, headers: Mapping[str, str] | None = None, *, now: float | None = None) -> ActivityAnswer:
    """The outcome of one ``GET /v3/messages`` answer (see the table above)."""
    if status == 200:
        try:
            messages = json.loads((body or b"{}").decode("utf-8")).get("messages")
        except (ValueError, AttributeError):
            messages = None
        if not isinstance(messages, list):
            return ActivityAnswer(ActivityOutcome.ERROR, detail="200 without a list of messages")
        return ActivityAnswer(ActivityOutcome.FOUND if messages else ActivityOutcome.NONE, messages=len(messages), detail="200")
    message = _first_message(body)
    detail = f"{status} {message}".strip()
    if (status == 400 and message == ADDON_MISSING) or status in (401, 403):
        return ActivityAnswer(ActivityOutcome.REFUSED, detail=detail)
    if status == 429:
        try:
            retry_at = float((headers or {}).get("X-RateLimit-Reset") or "")
        except ValueError:
            retry_at = (time.time() if now is None else now) + RATE_LIMIT_FALLBACK_S
        return ActivityAnswer(ActivityOutcome.RATE_LIMITED, retry_at=retry_at, detail=detail)
    return ActivityAnswer(ActivityOutcome.ERROR, detail=detail)
