"""SendGridSender against the SendGrid stand-in (schema-validated): one request per batch, errors mapped."""

from __future__ import annotations

import logging
import time
from typing import Any

import pytest
from pydantic import SecretStr

from notices.email.errors import EmailDeliveryError, RateLimited, TransientSendError, is_transient
from notices.email.sendgrid import SendGridSender
from tests.notices.email.samples import KEY, assert_no_pii, sample_batch, sample_people
from tests.support import SendGridTestServer
from tests.support.sendgrid import limits as sendgrid_limits
from tests.support.sendgrid import server as sendgrid_server

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _fresh(server: SendGridTestServer) -> None:
    server.clear()


# -- SendGridSender against the stand-in ----------------------------------------------------

def test_thousand_personalizations_in_one_request(server: SendGridTestServer, sender: SendGridSender) -> None:
    batch = sample_batch(sample_people(1000))
    result = sender.send_batch(batch)
    assert result.status_code == 202
    assert result.message_id == server.message_ids[0]
    assert result.accepted == [r.delivery_id for r in batch.recipients]
    assert len(server.requests) == 1
    received = {email: args["delivery_id"] for email, args in server.received_emails()}
    assert received == {r.email: r.delivery_id for r in batch.recipients}
    assert all(len(p["to"]) == 1 and "cc" not in p and "bcc" not in p for p in server.requests[0]["personalizations"])


def test_1001_refused_before_any_request(server: SendGridTestServer, sender: SendGridSender) -> None:
    with pytest.raises(ValueError):
        sender.send_batch(sample_batch(sample_people(1001)))
    assert server.requests == [] and server.errors == []


def test_sandbox_batch_is_validated_not_delivered(server: SendGridTestServer, sender: SendGridSender) -> None:
    assert sender.send_batch(sample_batch(sandbox=True)).status_code == 200
    assert server.requests == [] and len(server.sandbox_requests) == 1


def test_429_is_rate_limited_with_reset_epoch() -> None:
    with SendGridTestServer(api_key=KEY, rate_limit=1, rate_window=60.0) as srv:
        sender = SendGridSender(SecretStr(KEY), host=srv.host, timeout=5.0)
        sender.send_batch(sample_batch())
        with pytest.raises(RateLimited) as info:
            sender.send_batch(sample_batch())
    assert info.value.status_code == 429 and is_transient(info.value)
    assert time.time() <= info.value.reset_at <= time.time() + 61
    assert info.value.__cause__ is not None
    assert_no_pii(info.value, sample_batch())


@pytest.mark.parametrize("fault", ["500", "502", "503", "504"])
def test_5xx_is_transient(server: SendGridTestServer, sender: SendGridSender, fault: str) -> None:
    server.fail_next(fault)
    with pytest.raises(TransientSendError) as info:
        sender.send_batch(sample_batch())
    assert info.value.status_code == int(fault) and is_transient(info.value)
    assert_no_pii(info.value, sample_batch())


def test_dropped_connection_is_transient(server: SendGridTestServer, sender: SendGridSender) -> None:
    server.fail_next("drop")
    with pytest.raises(TransientSendError) as info:
        sender.send_batch(sample_batch())
    assert info.value.status_code is None and isinstance(info.value.__cause__, OSError)


def test_timeout_is_set_on_the_official_client(server: SendGridTestServer) -> None:
    sender = SendGridSender(SecretStr(KEY), host=server.host, timeout=0.3)
    server.fail_next("timeout")
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="no answer within 0.3 s") as info:
        sender.send_batch(sample_batch())
    assert time.monotonic() - started < 3
    assert isinstance(info.value.__cause__, TimeoutError)
    assert info.value.waited == 0.3  # the backoff after it counts the time it hung


def test_unreachable_host_is_transient() -> None:
    with SendGridTestServer() as srv:
        host = srv.host  # closed right after: nothing listens on the port any more
    with pytest.raises(TransientSendError):
        SendGridSender(SecretStr(KEY), host=host, timeout=2.0).send_batch(sample_batch())


def test_bad_key_is_a_permanent_401(server: SendGridTestServer) -> None:
    with pytest.raises(EmailDeliveryError) as info:
        SendGridSender(SecretStr("SG.wrong"), host=server.host, timeout=5.0).send_batch(sample_batch())
    assert info.value.status_code == 401 and not is_transient(info.value)
    assert "grant is invalid" in (info.value.body or "")
    assert "SG.wrong" not in str(info.value)


def test_400_maps_the_first_error_without_addresses(server: SendGridTestServer, sender: SendGridSender,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    def echoing(body: dict[str, Any], **_: Any) -> list[dict[str, Any]]:  # real SendGrid may quote the address
        address = body["personalizations"][1]["to"][0]["email"]
        return [sendgrid_limits.problem(f"We found a duplicate of {address}.", "personalizations.1.to.0.email"),
                sendgrid_limits.problem("second problem")]
    monkeypatch.setattr(sendgrid_server.limits, "limit_problems", echoing)
    batch = sample_batch()
    with pytest.raises(EmailDeliveryError) as info:
        sender.send_batch(batch)
    assert type(info.value) is EmailDeliveryError and not is_transient(info.value)
    assert info.value.status_code == 400
    assert info.value.body == "We found a duplicate of [address]."
    assert info.value.field == "personalizations.1.to.0.email"
    assert_no_pii(info.value, batch)


def test_413_is_permanent() -> None:
    with SendGridTestServer(api_key=KEY, max_body_bytes=2_000) as srv:
        with pytest.raises(EmailDeliveryError) as info:
            SendGridSender(SecretStr(KEY), host=srv.host, timeout=5.0).send_batch(sample_batch(sample_people(20)))
    assert (info.value.status_code, info.value.body) == (413, "content too large")
    assert not is_transient(info.value)


def test_no_address_or_key_in_logs(server: SendGridTestServer, sender: SendGridSender,
                                   caplog: pytest.LogCaptureFixture) -> None:
    batch = sample_batch()
    server.fail_next("500")
    with caplog.at_level(logging.DEBUG):
        with pytest.raises(TransientSendError):
            sender.send_batch(batch)
        sender.send_batch(batch)
    assert "POST Request" in caplog.text  # the client's own debug lines still get through
    assert KEY not in caplog.text
    assert not any(r.email in caplog.text or r.name in caplog.text for r in batch.recipients)


def test_sender_configuration_checks(server: SendGridTestServer) -> None:
    with pytest.raises(ValueError):
        SendGridSender(SecretStr(" "), host=server.host)
    with pytest.raises(ValueError):
        SendGridSender(SecretStr(KEY), host=f"{server.host}/v3")
    assert SendGridSender(SecretStr(KEY), host=f"{server.host}/").host == server.host
