"""When a failed batch may be sent again, and how long to wait first."""

from __future__ import annotations

import random

import pytest

from notices.email.errors import EmailDeliveryError, RateLimited, TransientSendError, is_transient, retry_delay

pytestmark = pytest.mark.unit


# -- retry policy ---------------------------------------------------------------------------

def test_retry_delay_waits_for_reset_then_backs_off() -> None:
    rng = random.Random(1)
    assert 30 <= retry_delay(RateLimited(1_000_030.0), 1, now=1_000_000.0, rng=rng) <= 31
    assert retry_delay(RateLimited(1_009_999.0), 0, now=1_000_000.0, cap=120, rng=rng) == 120
    assert retry_delay(RateLimited(999_000.0), 0, now=1_000_000.0, rng=rng) <= 1  # reset already passed
    delays = [retry_delay(TransientSendError(503), n, base=2, cap=300, rng=rng) for n in (0, 1, 2, 9)]
    assert 1 <= delays[0] <= 2 and 2 <= delays[1] <= 4 and 4 <= delays[2] <= 8 and 150 <= delays[3] <= 300
    with pytest.raises(ValueError):
        retry_delay(EmailDeliveryError(status_code=400), 1)
    assert not is_transient(ValueError("x"))


def test_a_timeouts_own_wait_counts_toward_its_backoff_and_429_jitter_follows_the_base() -> None:
    rng = random.Random(2)
    hung = [retry_delay(TransientSendError(None, waited=1.5), 1, base=2, rng=rng) for _ in range(200)]
    assert all(0.5 <= d <= 2.5 for d in hung) and min(hung) < 1.0  # [2, 4] less the 1.5 s it hung
    assert retry_delay(TransientSendError(None, waited=30.0), 0, base=2, rng=rng) == 0.0
    quick = [retry_delay(RateLimited(1_000_001.0), 0, now=1_000_000.0, base=0.25, rng=rng) for _ in range(200)]
    assert all(1.0 <= d <= 1.25 for d in quick) and max(quick) > 1.2
    slow = [retry_delay(RateLimited(1_000_001.0), 0, now=1_000_000.0, base=2, rng=rng) for _ in range(200)]
    assert all(1.0 <= d <= 2.0 for d in slow) and max(slow) > 1.9  # jitter never more than a second
