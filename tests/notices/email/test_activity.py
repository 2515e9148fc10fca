"""The Email Activity API through the official client against the stand-in that models the real one:
a missing add-on, the indexing delay, 6 requests a minute, the default page of 10."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from pydantic import SecretStr

from notices.email.activity import ActivityOutcome, read_answer
from notices.email.message import EmailBatch, Recipient
from notices.email.sendgrid import SendGridSender
from tests.notices.email.samples import KEY
from tests.support import SendGridTestServer

pytestmark = pytest.mark.integration


def _batch(key: str, n: int) -> EmailBatch:
    people = [Recipient(delivery_id=str(i + 1), email=f"person.{i}@example.org", name=f"Person {i}") for i in range(n)]
    return EmailBatch(incident_id="BR-2026-0001", batch_key=key, subject="Notice", text="Hello -recipient_name_text-",
                      from_email="dpo@example.com", from_name="Example A/S", recipients=people)


def _sender(server: SendGridTestServer) -> SendGridSender:
    return SendGridSender(SecretStr(KEY), host=server.host, timeout=5.0)


@pytest.mark.unit
def test_answers_are_read_as_the_real_api_gives_them():
    assert read_answer(200, b'{"messages": [{"msg_id": "a"}]}').outcome == ActivityOutcome.FOUND
    assert read_answer(200, b'{"messages": []}').outcome == ActivityOutcome.NONE
    refused = read_answer(400, b'{"errors": [{"message": "authorization required"}]}')
    assert refused.outcome == ActivityOutcome.REFUSED and refused.detail == "400 authorization required"
    assert read_answer(403, b'{"errors": [{"field": null, "message": "access forbidden"}]}').outcome == ActivityOutcome.REFUSED
    assert read_answer(400, b'{"errors": [{"message": "invalid syntax: query"}]}').outcome == ActivityOutcome.ERROR
    limited = read_answer(429, b'{"errors": [{"message": "too many requests"}]}', {"X-RateLimit-Reset": "1800000000"})
    assert limited.outcome == ActivityOutcome.RATE_LIMITED and limited.retry_at == 1800000000.0
    assert read_answer(429, b"", {}, now=100.0).retry_at == 160.0
    assert read_answer(200, b"not json").outcome == ActivityOutcome.ERROR
    assert read_answer(502, b"").outcome == ActivityOutcome.ERROR


def test_a_taken_request_is_found_and_one_never_sent_is_not():
    with SendGridTestServer(api_key=KEY) as server:
        sender = _sender(server)
        sender.send_batch(_batch("BR-2026-0001:email:0:1", 3))
        found = sender.find_batch("BR-2026-0001:email:0:1")
        assert found.outcome == ActivityOutcome.FOUND and found.messages == 3
        assert sender.find_batch("BR-2026-0001:email:1:1").outcome == ActivityOutcome.NONE


def test_without_the_add_on_sendgrid_refuses_with_400_authorization_required():
    with SendGridTestServer(api_key=KEY, activity_addon=False) as server:
        sender = _sender(server)
        sender.send_batch(_batch("BR-2026-0001:email:0:1", 2))
        answer = sender.find_batch("BR-2026-0001:email:0:1")
        assert answer.outcome == ActivityOutcome.REFUSED and answer.detail == "400 authorization required"


def test_a_message_shows_only_after_the_indexing_delay():
    with SendGridTestServer(api_key=KEY, activity_delay=1.5) as server:
        sender = _sender(server)
        sender.send_batch(_batch("BR-2026-0001:email:0:1", 2))
        assert sender.find_batch("BR-2026-0001:email:0:1").outcome == ActivityOutcome.NONE  # taken, not indexed yet
        time.sleep(1.6)
        assert sender.find_batch("BR-2026-0001:email:0:1").outcome == ActivityOutcome.FOUND


def test_the_seventh_request_in_a_minute_gets_429_until_the_window_frees():
    with SendGridTestServer(api_key=KEY) as server:
        sender = _sender(server)
        answers = [sender.find_batch(f"BR-2026-0001:email:{n}:1") for n in range(7)]
        assert [a.outcome for a in answers[:6]] == [ActivityOutcome.NONE] * 6
        assert answers[6].outcome == ActivityOutcome.RATE_LIMITED and answers[6].detail == "429 too many requests"
        assert answers[6].retry_at is not None and 0 < answers[6].retry_at - time.time() <= 61
        assert server.stats()["activity"]["rate_limited"] == 1


def test_a_page_holds_limit_messages_ten_by_default_and_carries_no_custom_args():
    with SendGridTestServer(api_key=KEY, activity_per_minute=None) as server:
        _sender(server).send_batch(_batch("BR-2026-0001:email:0:1", 12))
        query = urllib.request.quote("unique_args['batch_key']=\"BR-2026-0001:email:0:1\"")

        def page(extra: str) -> list[dict]:
            req = urllib.request.Request(f"{server.host}/v3/messages?query={query}{extra}", headers={"Authorization": f"Bearer {KEY}"})
            with urllib.request.urlopen(req, timeout=5) as answer:
                return json.loads(answer.read())["messages"]

        assert len(page("")) == 10 and len(page("&limit=1000")) == 12 and len(page("&limit=5")) == 5
        first = page("&limit=1")[0]
        assert set(first) == {"from_email", "msg_id", "subject", "to_email", "status", "opens_count", "clicks_count", "last_event_time"}
