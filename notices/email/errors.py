"""How an e-mail batch can fail, and when and how soon to resend it.

Exception tree (messages carry counts, ids and status codes, never names or addresses):

    BreachError
     └── EmailDeliveryError       SendGrid refused the batch (4xx): do not resend it unchanged
          ├── RateLimited          429: wait until `reset_at`, then resend
          └── TransientSendError   5xx, timeout or lost connection: resend with backoff

A retry after TransientSendError can deliver twice (SendGrid has no idempotency key); see
notices.email.message for how webhook events are matched to deliveries.
"""

from __future__ import annotations

import random
import time

from breach.exceptions import BreachError

RATE_LIMIT_FALLBACK_S = 60.0  # a 429 without X-RateLimit-Reset: assume a minute


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
