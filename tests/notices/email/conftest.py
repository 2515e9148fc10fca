"""The SendGrid stand-in for the e-mail channel's tests: one per test module, and a sender pointed at it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pydantic import SecretStr

from notices.email.sendgrid import SendGridSender
from tests.notices.email.samples import KEY
from tests.support import SendGridTestServer


@pytest.fixture(scope="module")
def server() -> Iterator[SendGridTestServer]:
    with SendGridTestServer(api_key=KEY, hang_seconds=5.0, keep_bodies=True) as srv:
        yield srv


@pytest.fixture
def sender(server: SendGridTestServer) -> SendGridSender:
    return SendGridSender(SecretStr(KEY), host=server.host, timeout=5.0)
