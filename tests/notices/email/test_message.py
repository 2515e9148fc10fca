"""The e-mail channel against the SendGrid stand-in (schema-validated) and the outbox folder."""

from __future__ import annotations

import json
import logging
import os
import random
import time
from collections.abc import Iterator
from email import policy
from email.parser import BytesParser
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import SecretStr, ValidationError

from notices.email.eml_folder import OutboxSender
from notices.email.errors import EmailDeliveryError, RateLimited, TransientSendError, is_transient, retry_delay
from notices.email.message import NAME_TAG_HTML, NAME_TAG_TEXT, EmailBatch, Recipient, is_sendable_address, sendgrid_body
from notices.email.senders import build_sender
from notices.email.sendgrid import SendGridSender

from tests.support import SendGridTestServer, sendgrid_limits, sendgrid_server

pytestmark = pytest.mark.unit

KEY = "SG.test-key"
SUBJECT = f"Important, {NAME_TAG_TEXT}: a breach of your data"
TEXT = f"Dear {NAME_TAG_TEXT},\n\nwe must tell you about a breach.\n"
HTML = f"<p>Dear {NAME_TAG_HTML},</p><p>we must tell you about a breach.</p>"
_VALIDATOR = sendgrid_limits.build_validator(json.loads(sendgrid_server.default_schema_path().read_text()))


def _people(n: int, *, start: int = 0) -> list[Recipient]:
    return [Recipient(delivery_id=f"dlv-{i:05d}", email=f"subject{i}@example.com", name=f"Kari Nordmann {i}")
            for i in range(start, start + n)]


def _batch(recipients: list[Recipient] | None = None, **overrides: Any) -> EmailBatch:
    fields: dict[str, Any] = {
        "incident_id": "inc-2024-001", "batch_key": "inc-2024-001/subject_notice/en/0001", "subject": SUBJECT,
        "text": TEXT, "html": HTML, "from_email": "dpo@example.org", "from_name": "Example Org DPO",
        "recipients": recipients if recipients is not None else _people(3),
    }
    return EmailBatch(**{**fields, **overrides})


def _no_pii(exc: BaseException, batch: EmailBatch) -> None:
    texts = [str(exc), repr(exc), str(exc.__cause__ or "")]
    for person in batch.recipients:
        assert not any(person.email.lower() in t.lower() for t in texts)
        assert not any(person.name in t for t in texts)


@pytest.fixture(scope="module")
def server() -> Iterator[SendGridTestServer]:
    with SendGridTestServer(api_key=KEY, hang_seconds=5.0) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(server: SendGridTestServer) -> None:
    server.clear()


@pytest.fixture
def sender(server: SendGridTestServer) -> SendGridSender:
    return SendGridSender(SecretStr(KEY), host=server.host, timeout=5.0)


# -- models ---------------------------------------------------------------------------------

@pytest.mark.parametrize("email", ["kari nordmann@example.com", "kåri@example.com", "kari@", "kari", "a@b@example.com",
                                   "kari@example.com\r\nBcc: x@example.net", "kari..n@example.com"])
def test_unusable_address_refused_without_quoting_it(email: str) -> None:
    with pytest.raises(ValidationError) as info:
        Recipient(delivery_id="d1", email=email, name="Kari")
    assert "kari" not in str(info.value).lower()
    assert not is_sendable_address(email)


def test_idn_domain_becomes_punycode() -> None:
    assert Recipient(delivery_id="d1", email="kari@blåbær.example", name="Kari").email == "kari@xn--blbr-roah.example"
    assert _batch(html="").html is None


def test_recipient_repr_hides_personal_data() -> None:
    text = repr(Recipient(delivery_id="d1", email="kari@example.com", name="Kari Nordmann"))
    assert "kari@example.com" not in text and "Nordmann" not in text


@pytest.mark.parametrize("delivery_id", ["../escape", "a/b", ".hidden", "", "x" * 129])
def test_delivery_ids_cannot_escape_the_outbox(delivery_id: str) -> None:
    with pytest.raises(ValidationError):
        Recipient(delivery_id=delivery_id, email="kari@example.com", name="Kari")


def test_duplicate_delivery_ids_refused() -> None:
    with pytest.raises(ValidationError, match="delivery id appears twice"):
        _batch(_people(2) + _people(1))


# -- the SendGrid request body --------------------------------------------------------------

def test_body_has_one_personalization_per_person_with_delivery_ids() -> None:
    batch = _batch(_people(3))
    body = sendgrid_body(batch)
    assert [p["to"] for p in body["personalizations"]] == [
        [{"email": r.email, "name": r.name}] for r in batch.recipients
    ]
    assert [p["custom_args"] for p in body["personalizations"]] == [{"delivery_id": r.delivery_id} for r in batch.recipients]
    assert body["custom_args"] == {"incident_id": batch.incident_id, "batch_key": batch.batch_key}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert "mail_settings" not in body
    assert sendgrid_body(_batch(sandbox=True))["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_names_are_substituted_escaped_and_made_safe() -> None:
    person = Recipient(delivery_id="d1", email="ola@example.com", name="Nordmann, Ola <b>&\r\nBcc: x; y")
    p = sendgrid_body(_batch([person]))["personalizations"][0]
    assert p["to"][0]["name"] == "Nordmann Ola <b>& Bcc: x y"  # no ';' ',' CR LF (L5)
    assert p["substitutions"][NAME_TAG_TEXT] == "Nordmann, Ola <b>& Bcc: x; y"
    assert p["substitutions"][NAME_TAG_HTML] == "Nordmann, Ola &lt;b&gt;&amp; Bcc: x; y"


def test_text_tag_in_html_is_switched_to_the_escaped_tag() -> None:
    body = sendgrid_body(_batch(html=f"<p>{NAME_TAG_TEXT}</p>", subject=f"Hi {NAME_TAG_HTML}\r\nBcc: x"))
    assert body["content"][1]["value"] == f"<p>{NAME_TAG_HTML}</p>"
    assert body["subject"] == f"Hi {NAME_TAG_TEXT} Bcc: x"


def test_client_refuses_what_sendgrid_would_refuse() -> None:
    with pytest.raises(ValueError, match="at most 1000"):
        sendgrid_body(_batch(_people(1001)))
    twins = [*_people(1), Recipient(delivery_id="dlv-twin", email="SUBJECT0@example.com", name="Twin")]
    with pytest.raises(ValueError, match="1 recipient") as info:
        sendgrid_body(_batch(twins))
    _no_pii(info.value, _batch(twins))


def test_unicode_sender_name_is_transliterated_for_sendgrid(tmp_path: Path) -> None:
    assert sendgrid_body(_batch(from_name="Ærø Kommune, Blåbær"))["from"] == {"email": "dpo@example.org",
                                                                              "name": "AEro Kommune Blabaer"}
    OutboxSender(tmp_path).send_batch(_batch(_people(1), from_name="Ærø Kommune"))
    msg = _read(tmp_path / "inc-2024-001" / "email" / "dlv-00000.eml")
    assert msg["From"].addresses[0].display_name == "Ærø Kommune"  # the outbox keeps the real spelling


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(max_size=300), min_size=1, max_size=5))
def test_any_names_give_a_valid_request(names: list[str]) -> None:
    people = [Recipient(delivery_id=f"d{i}", email=f"p{i}@example.com", name=n) for i, n in enumerate(names)]
    body = json.loads(json.dumps(sendgrid_body(_batch(people))))
    assert sendgrid_limits.schema_problems(_VALIDATOR, body) == []
    assert sendgrid_limits.limit_problems(body) == []


# -- SendGridSender against the stand-in ----------------------------------------------------

def test_thousand_personalizations_in_one_request(server: SendGridTestServer, sender: SendGridSender) -> None:
    batch = _batch(_people(1000))
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
        sender.send_batch(_batch(_people(1001)))
    assert server.requests == [] and server.errors == []


def test_sandbox_batch_is_validated_not_delivered(server: SendGridTestServer, sender: SendGridSender) -> None:
    assert sender.send_batch(_batch(sandbox=True)).status_code == 200
    assert server.requests == [] and len(server.sandbox_requests) == 1


def test_429_is_rate_limited_with_reset_epoch() -> None:
    with SendGridTestServer(api_key=KEY, rate_limit=1, rate_window=60.0) as srv:
        sender = SendGridSender(SecretStr(KEY), host=srv.host, timeout=5.0)
        sender.send_batch(_batch())
        with pytest.raises(RateLimited) as info:
            sender.send_batch(_batch())
    assert info.value.status_code == 429 and is_transient(info.value)
    assert time.time() <= info.value.reset_at <= time.time() + 61
    assert info.value.__cause__ is not None
    _no_pii(info.value, _batch())


@pytest.mark.parametrize("fault", ["500", "502", "503", "504"])
def test_5xx_is_transient(server: SendGridTestServer, sender: SendGridSender, fault: str) -> None:
    server.fail_next(fault)
    with pytest.raises(TransientSendError) as info:
        sender.send_batch(_batch())
    assert info.value.status_code == int(fault) and is_transient(info.value)
    _no_pii(info.value, _batch())


def test_dropped_connection_is_transient(server: SendGridTestServer, sender: SendGridSender) -> None:
    server.fail_next("drop")
    with pytest.raises(TransientSendError) as info:
        sender.send_batch(_batch())
    assert info.value.status_code is None and isinstance(info.value.__cause__, OSError)


def test_timeout_is_set_on_the_official_client(server: SendGridTestServer) -> None:
    sender = SendGridSender(SecretStr(KEY), host=server.host, timeout=0.3)
    server.fail_next("timeout")
    started = time.monotonic()
    with pytest.raises(TransientSendError, match="no answer within 0.3 s") as info:
        sender.send_batch(_batch())
    assert time.monotonic() - started < 3
    assert isinstance(info.value.__cause__, TimeoutError)
    assert info.value.waited == 0.3  # the backoff after it counts the time it hung


def test_unreachable_host_is_transient() -> None:
    with SendGridTestServer() as srv:
        host = srv.host  # closed right after: nothing listens on the port any more
    with pytest.raises(TransientSendError):
        SendGridSender(SecretStr(KEY), host=host, timeout=2.0).send_batch(_batch())


def test_bad_key_is_a_permanent_401(server: SendGridTestServer) -> None:
    with pytest.raises(EmailDeliveryError) as info:
        SendGridSender(SecretStr("SG.wrong"), host=server.host, timeout=5.0).send_batch(_batch())
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
    batch = _batch()
    with pytest.raises(EmailDeliveryError) as info:
        sender.send_batch(batch)
    assert type(info.value) is EmailDeliveryError and not is_transient(info.value)
    assert info.value.status_code == 400
    assert info.value.body == "We found a duplicate of [address]."
    assert info.value.field == "personalizations.1.to.0.email"
    _no_pii(info.value, batch)


def test_413_is_permanent() -> None:
    with SendGridTestServer(api_key=KEY, max_body_bytes=2_000) as srv:
        with pytest.raises(EmailDeliveryError) as info:
            SendGridSender(SecretStr(KEY), host=srv.host, timeout=5.0).send_batch(_batch(_people(20)))
    assert (info.value.status_code, info.value.body) == (413, "content too large")
    assert not is_transient(info.value)


def test_no_address_or_key_in_logs(server: SendGridTestServer, sender: SendGridSender,
                                   caplog: pytest.LogCaptureFixture) -> None:
    batch = _batch()
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


# -- outbox ---------------------------------------------------------------------------------

def _read(path: Path) -> Any:
    return BytesParser(policy=policy.default).parsebytes(path.read_bytes())


def test_outbox_writes_one_parseable_eml_per_person(tmp_path: Path) -> None:
    person = Recipient(delivery_id="dlv-1", email="aase@example.com", name="Åse <Ø'Brien> & co")
    result = OutboxSender(tmp_path).send_batch(_batch([person, *_people(2)]))
    assert result.accepted == ["dlv-1", "dlv-00000", "dlv-00001"] and result.status_code == 202
    msg = _read(tmp_path / "inc-2024-001" / "email" / "dlv-1.eml")
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"].addresses[0].addr_spec == "aase@example.com"
    assert msg["To"].addresses[0].display_name == "Åse <Ø'Brien> & co"
    assert msg["Subject"] == "Important, Åse <Ø'Brien> & co: a breach of your data"
    assert msg["X-Breach-Delivery-Id"] == "dlv-1" and msg["Date"] and msg["Message-ID"]
    text = msg.get_body(("plain",)).get_content()
    body_html = msg.get_body(("html",)).get_content()
    assert "Dear Åse <Ø'Brien> & co," in text
    assert "Dear Åse &lt;Ø&#x27;Brien&gt; &amp; co," in body_html and "<Ø" not in body_html
    assert NAME_TAG_TEXT not in text and NAME_TAG_HTML not in body_html


def test_outbox_neutralises_header_injection(tmp_path: Path) -> None:
    person = Recipient(delivery_id="dlv-x", email="eve@example.com", name="Eve\r\nBcc: thief@example.net\r\n")
    OutboxSender(tmp_path).send_batch(_batch([person], subject="Hello\r\nBcc: thief@example.net", html=None))
    path = tmp_path / "inc-2024-001" / "email" / "dlv-x.eml"
    msg = _read(path)
    assert msg["Bcc"] is None and len(msg.get_all("To")) == 1
    assert "\n" not in msg["Subject"] and "\n" not in str(msg["To"])
    assert msg.get_content_type() == "text/plain"
    assert b"\r\nBcc:" not in path.read_bytes()


def test_outbox_resend_overwrites_and_leaves_no_temp_files(tmp_path: Path) -> None:
    outbox = OutboxSender(tmp_path)
    outbox.send_batch(_batch(_people(2)))
    outbox.send_batch(_batch(_people(2), text="Second version for -recipient_name_text-"))
    folder = tmp_path / "inc-2024-001" / "email"
    assert sorted(p.name for p in folder.iterdir()) == ["dlv-00000.eml", "dlv-00001.eml"]
    assert "Second version" in _read(folder / "dlv-00000.eml").get_body(("plain",)).get_content()


def test_outbox_crash_keeps_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = OutboxSender(tmp_path)
    outbox.send_batch(_batch(_people(1)))
    path = outbox.path_for("inc-2024-001", "dlv-00000")
    before = path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk gone")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        outbox.send_batch(_batch(_people(1), text="new"))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["dlv-00000.eml"]


def test_build_sender_picks_sendgrid_only_with_a_key(tmp_path: Path, server: SendGridTestServer) -> None:
    assert isinstance(build_sender(api_key=SecretStr(KEY), host=server.host, outbox=tmp_path, timeout=5),
                      SendGridSender)
    assert isinstance(build_sender(api_key=None, host=None, outbox=tmp_path, timeout=5), OutboxSender)


# -- the fast paths give exactly what the careful paths give -------------------------------------

_NAMEISH = st.text(alphabet=st.sampled_from(list("Ab æøå-'.;,") + ["\n", "\r", "\t", "\x00", "\x1c", "\x7f", "\x85", "\u2028", "\u00a0", "\ud800"]), max_size=40)


@settings(max_examples=400, deadline=None)
@given(name=st.one_of(_NAMEISH, st.text(max_size=300)))
def test_the_name_fast_path_equals_the_careful_one(name: str) -> None:
    from notices.email.message import MAX_NAME_CHARS, _display_name, _one_line, _plain_name
    careful = _one_line(name)[:MAX_NAME_CHARS]
    assert _plain_name(name) == careful
    assert _display_name(name) == " ".join(careful.replace(";", " ").replace(",", " ").split())


@settings(max_examples=400, deadline=None)
@given(email=st.one_of(st.emails(), st.text(alphabet=st.sampled_from(list("ab.@-_+ æ\n")), max_size=30)))
def test_the_address_fast_path_equals_the_careful_one(email: str) -> None:
    from notices.email import message as module
    fast = module.ascii_address(email)
    local, at, domain = email.strip().rpartition("@")
    if not at:
        assert fast is None
        return
    try:
        domain = domain if domain.isascii() else domain.encode("idna").decode("ascii")
    except UnicodeError:
        assert fast is None
        return
    candidate = f"{local}@{domain}"
    careful = candidate if len(candidate) <= 254 and module._ADDRESS.fullmatch(candidate) else None
    assert fast == careful
