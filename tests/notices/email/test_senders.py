"""build_sender: SendGrid only with a key, otherwise the outbox folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import SecretStr

from notices.email.eml_folder import OutboxSender
from notices.email.senders import build_sender
from notices.email.sendgrid import SendGridSender
from tests.notices.email.samples import KEY
from tests.support import SendGridTestServer

pytestmark = pytest.mark.unit


def test_build_sender_picks_sendgrid_only_with_a_key(tmp_path: Path, server: SendGridTestServer) -> None:
    assert isinstance(build_sender(api_key=SecretStr(KEY), host=server.host, outbox=tmp_path, timeout=5),
                      SendGridSender)
    assert isinstance(build_sender(api_key=None, host=None, outbox=tmp_path, timeout=5), OutboxSender)
