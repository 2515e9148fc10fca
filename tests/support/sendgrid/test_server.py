"""The SendGrid stand-in answers like SendGrid: status codes, error bodies, rate limits, faults."""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import sendgrid
from sendgrid.helpers.mail import Mail

from . import limits
from .body_edits import drop as _drop
from .body_edits import set_at as _set
from .server import SendGridTestServer, default_schema_path

pytestmark = pytest.mark.unit

KEY = "SG.test-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
HTTP = httpx.Client(timeout=10)  # one client: building one per call costs ~80 ms of TLS setup


def _body(n: int = 1) -> dict[str, Any]:
    return {
        "personalizations": [
            {"to": [{"email": f"person{i}@example.com", "name": f"Person {i}"}], "custom_args": {"delivery_id": f"d{i}"}}
            for i in range(n)
        ],
        "from": {"email": "dpo@example.org", "name": "Example DPO"},
        "subject": "About your data",
        "content": [{"type": "text/plain", "value": "Hello"}, {"type": "text/html", "value": "<p>Hello</p>"}],
        "custom_args": {"incident_id": "inc-1"},
    }


@pytest.fixture(scope="module")
def server() -> Iterator[SendGridTestServer]:
    with SendGridTestServer(api_key=KEY, seed=1, keep_bodies=True) as srv:
        yield srv


@pytest.fixture(autouse=True)
def _fresh(server: SendGridTestServer) -> None:
    server.clear()


def _post(server: SendGridTestServer, body: Any, *, headers: dict[str, str] | None = None,
          raw: bytes | None = None) -> httpx.Response:
    content = raw if raw is not None else json.dumps(body).encode()
    return HTTP.post(f"{server.host}/v3/mail/send", content=content, headers=headers if headers is not None else AUTH)


def test_valid_body_is_accepted_with_message_id_and_rate_headers(server: SendGridTestServer) -> None:
    response = _post(server, _body(2))
    assert response.status_code == 202
    assert response.content == b""
    assert len(response.headers["X-Message-Id"]) == 22
    assert all(h in response.headers for h in ("X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"))
    assert server.message_ids == [response.headers["X-Message-Id"]]
    assert server.received_emails() == [
        ("person0@example.com", {"incident_id": "inc-1", "delivery_id": "d0"}),
        ("person1@example.com", {"incident_id": "inc-1", "delivery_id": "d1"}),
    ]


def test_official_client_mail_helper_body_is_accepted(server: SendGridTestServer) -> None:
    mail = Mail(from_email="dpo@example.org", to_emails=["a@example.com", "b@example.com"], subject="Notice",
                plain_text_content="Hello", html_content="<p>Hello</p>", is_multiple=True)
    response = sendgrid.SendGridAPIClient(api_key=KEY, host=server.host).send(mail)
    assert response.status_code == 202
    assert len(server.requests[0]["personalizations"]) == 2


@pytest.mark.parametrize(
    ("headers", "message"),
    [({}, "authorization required"),
     ({"Authorization": "Bearer SG.wrong"}, "The provided authorization grant is invalid, expired, or revoked")],
)
def test_unauthenticated_requests_get_401(server: SendGridTestServer, headers: dict[str, str], message: str) -> None:
    response = _post(server, _body(), headers=headers)
    assert response.status_code == 401
    assert response.json() == {"errors": [{"message": message, "field": None, "help": None}]}
    assert server.requests == [] and server.errors[0].status == 401


def test_missing_from_gets_sendgrid_400_shape(server: SendGridTestServer) -> None:
    body = _body()
    del body["from"]
    response = _post(server, body)
    assert response.status_code == 400
    assert response.json() == {"errors": [{"message": limits.MSG_FROM_REQUIRED, "field": "from", "help": None}]}


def test_more_than_1000_personalizations_refused(server: SendGridTestServer) -> None:
    response = _post(server, _body(1001))
    assert response.status_code == 400
    error = response.json()["errors"][0]
    assert error["field"] == "personalizations" and "1001 personalizations" in error["message"]


def test_exactly_1000_personalizations_accepted(server: SendGridTestServer) -> None:
    assert _post(server, _body(1000)).status_code == 202
    assert len(server.received_emails()) == 1000


def test_more_than_1000_recipients_over_to_cc_bcc_refused(server: SendGridTestServer) -> None:
    body = _body(1)
    body["personalizations"][0]["to"] = [{"email": f"t{i}@example.com"} for i in range(600)]
    body["personalizations"][0]["bcc"] = [{"email": f"b{i}@example.com"} for i in range(401)]
    response = _post(server, body)
    assert response.status_code == 400
    assert limits.MSG_TOO_MANY_RECIPIENTS in [e["message"] for e in response.json()["errors"]]


def test_duplicate_address_refused_without_echoing_it(server: SendGridTestServer) -> None:
    body = _body(2)
    body["personalizations"][1]["to"][0]["email"] = "PERSON0@example.com"
    response = _post(server, body)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"message": limits.MSG_DUPLICATE, "field": "personalizations.1.to.0.email", "help": None}
    ]
    assert "person0@example.com" not in response.text.lower()


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (_set("personalizations.0.to.0.name", "Doe; Jane"), "personalizations.0.to.0.name"),  # L5
        (_set("personalizations.0.to", []), "personalizations.0.to"),  # L3
        (_set("personalizations", []), "personalizations"),  # L1
        (_set("from.name", "Ærø Kommune"), "from.name"),  # L6
        (_set("custom_args", {}), "custom_args"),  # L9
        (_set("custom_args", {"k": "x" * 10_000}), "custom_args"),  # L8
        (_set("personalizations.0.custom_args", {"delivery_id": "ø" * 5_000}),
         "personalizations.0.custom_args"),  # L8: 5,000 characters, 10,000+ bytes in UTF-8
        (_set("personalizations.0.substitutions", {"-recipient_name_text-": "ø" * 5_000}),
         "personalizations.0.substitutions"),  # L17
        (_set("personalizations.0.custom_args", {"n": 1}), "personalizations.0.custom_args.n"),  # L9 strings
        (_drop("subject"), "subject"),  # L10
        (_drop("content"), "content"),  # L11
        (_set("content", [{"type": "text/html", "value": "<p>x</p>"}, {"type": "text/plain", "value": "x"}]),
         "content"),  # L11 order
        (_set("categories", ["brud-æ"]), "categories.0"),  # L13
        (_set("headers", {"Subject": "x"}), "headers.Subject"),  # L14
        (_set("reply_to", {"email": "a@example.org"}), None),  # L15 needs the list as well, below
        (_set("send_at", int(time.time()) + 73 * 3600), "send_at"),  # L16
        (_set("attachments", [{"content": "not base64!", "filename": "a.pdf"}]), "attachments.0.content"),  # L12
        (_set("personalizations.0.to.0.email", "not-an-address"), "personalizations.0.to.0.email"),
    ],
)
def test_server_limits_refuse_bad_bodies(server: SendGridTestServer, mutate: Callable[[dict[str, Any]], None],
                                         field: str | None) -> None:
    body = _body()
    mutate(body)
    if field is None:  # reply_to together with reply_to_list
        body["reply_to_list"] = [{"email": "b@example.org"}]
        field = "reply_to_list"
    response = _post(server, body)
    assert response.status_code == 400, response.text
    assert field in [e["field"] for e in response.json()["errors"]]
    assert all(e["help"] is None for e in response.json()["errors"])


def test_invalid_json_and_invalid_utf8_are_400(server: SendGridTestServer) -> None:
    assert _post(server, None, raw=b"{not json").json()["errors"][0]["message"] == limits.MSG_INVALID_JSON
    bad = _post(server, None, raw=b'{"subject": "\xff"}')
    assert bad.status_code == 400 and bad.json()["errors"][0]["message"] == limits.MSG_INVALID_UTF8


def test_payload_of_30_mb_is_413_content_too_large(server: SendGridTestServer) -> None:
    body = _body()
    body["content"][0]["value"] = "x" * 30_000_000
    response = _post(server, body)
    assert response.status_code == 413
    assert response.json()["errors"][0]["message"] == "content too large"


def test_sandbox_mode_answers_200_and_delivers_nothing(server: SendGridTestServer) -> None:
    body = _body()
    body["mail_settings"] = {"sandbox_mode": {"enable": True}}
    assert _post(server, body).status_code == 200
    assert server.requests == [] and len(server.sandbox_requests) == 1


def test_wrong_path_404_and_get_405(server: SendGridTestServer) -> None:
    assert HTTP.post(f"{server.host}/v3/mail/sendx", headers=AUTH, content=b"{}").status_code == 404
    assert HTTP.get(f"{server.host}/v3/mail/send", headers=AUTH).status_code == 405


def test_rate_limit_answers_429_with_reset_epoch() -> None:
    with SendGridTestServer(api_key=KEY, rate_limit=2, rate_window=60.0, keep_bodies=True) as srv:
        codes = [_post(srv, _body()).status_code for _ in range(3)]
        limited = _post(srv, _body())
    assert codes == [202, 202, 429]
    assert limited.json() == {"errors": [{"field": None, "message": "too many requests"}]}
    assert limited.headers["X-RateLimit-Remaining"] == "0"
    assert int(limited.headers["X-RateLimit-Reset"]) >= time.time()
    assert "Retry-After" not in limited.headers
    assert len(srv.requests) == 2


def test_forced_faults_answer_like_sendgrid(server: SendGridTestServer) -> None:
    server.fail_next("500", "503", "drop")
    first = _post(server, _body())
    assert (first.status_code, first.json()["errors"][0]["message"]) == (500, "internal server error")
    assert _post(server, _body()).status_code == 503
    with pytest.raises(httpx.RemoteProtocolError):
        _post(server, _body())
    assert server.faults == ["500", "503", "drop"] and server.requests == []


def test_timeout_fault_hangs_past_the_client_timeout() -> None:
    with SendGridTestServer(api_key=KEY, hang_seconds=3.0, timeout_accepts=True, keep_bodies=True) as srv:
        srv.fail_next("timeout")
        with pytest.raises(httpx.ReadTimeout):
            HTTP.post(f"{srv.host}/v3/mail/send", headers=AUTH, content=json.dumps(_body()), timeout=0.3)
        assert len(srv.requests) == 1  # it got through although the client gave up


def test_fault_rate_is_reproducible_with_a_seed() -> None:
    def run() -> list[int]:
        with SendGridTestServer(api_key=KEY, fault_rate=0.5, fault_kinds=("429", "500"), seed=7) as srv:
            return [_post(srv, _body()).status_code for _ in range(20)]
    first = run()
    assert first == run()
    assert {202, 429, 500} <= set(first)


def test_schema_found_from_clean_clone_and_override(tmp_path: Any) -> None:
    assert default_schema_path().is_file()
    schema = json.loads(default_schema_path().read_text())
    relaxed = copy.deepcopy(schema)
    relaxed["required"] = ["personalizations"]
    path = tmp_path / "schema.json"
    path.write_text(json.dumps(relaxed))
    body = _body()
    del body["from"]
    with SendGridTestServer(schema_path=path) as srv:
        assert _post(srv, body).status_code == 202
    with pytest.raises(FileNotFoundError):
        SendGridTestServer(schema_path=tmp_path / "missing.json")


def test_a_request_whose_sender_hangs_up_before_it_is_taken_is_not_taken():
    import socket
    from urllib.parse import urlsplit

    with SendGridTestServer(api_key=KEY, arrival=0.5) as server:
        port = urlsplit(server.host).port
        raw = json.dumps(_body(2)).encode()
        head = (f"POST /v3/mail/send HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {KEY}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(raw)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port)) as gone:
            gone.sendall(head + raw)
            time.sleep(0.1)  # the sender is killed on the way in
        kept = HTTP.post(f"{server.host}/v3/mail/send", json=_body(1), headers=AUTH)
        time.sleep(0.6)
        assert kept.status_code == 202 and server.stats()["requests"] == 1  # only the sender that stayed was taken


def _batch(start: int, n: int, key: str) -> dict[str, Any]:
    body = _body(0)
    body["personalizations"] = [{"to": [{"email": f"person{i}@example.com"}], "custom_args": {"delivery_id": f"d{i}"}}
                                for i in range(start, start + n)]
    body["custom_args"] = {"incident_id": "inc-1", "batch_key": key}
    return body


def test_without_keep_bodies_it_records_counts_and_digests_only() -> None:
    with SendGridTestServer(api_key=KEY) as srv:
        for start, key in ((0, "k0"), (3, "k1"), (5, "k2")):  # person3 and person4 twice, nobody three times
            assert _post(srv, _batch(start, 3, key)).status_code == 202
        stats = srv.stats()
        found = HTTP.get(f"{srv.host}/v3/messages", headers=AUTH,
                         params={"query": "unique_args['batch_key']=\"k1\"", "limit": 10}).json()["messages"]
        with pytest.raises(RuntimeError, match="keep_bodies=True"):
            srv.requests  # noqa: B018 - the property is what is tested
        with pytest.raises(RuntimeError, match="keep_bodies=True"):
            srv.received_emails()
    assert (stats["requests"], stats["recipients"], stats["unique"], stats["duplicates"], stats["max_per_address"]) == (3, 9, 8, 1, 2)
    assert [m["to_email"] for m in found] == [f"person{i}@example.com" for i in (3, 4, 5)]  # the Activity API still answers
    assert stats["cpu_ms_per_request"]["requests"] == 3 and stats["cpu_ms_per_request"]["median"] > 0


def test_a_repeated_address_counts_every_time() -> None:
    with SendGridTestServer(api_key=KEY) as srv:
        for n in range(3):
            assert _post(srv, _batch(0, 2, f"k{n}")).status_code == 202
        stats = srv.stats()
    assert (stats["recipients"], stats["unique"], stats["duplicates"], stats["max_per_address"]) == (6, 2, 4, 3)


def test_what_it_keeps_per_request_does_not_grow_with_the_people_in_it() -> None:
    """A 1,000-person request leaves a few objects behind, not one per person (so its cost stays flat)."""
    import gc

    with SendGridTestServer(api_key=KEY) as srv:
        _post(srv, _batch(0, 1000, "warm-up"))
        gc.collect()
        before = len(gc.get_objects())
        for n in range(1, 11):
            assert _post(srv, _batch(n * 1000, 1000, f"k{n}")).status_code == 202
        gc.collect()
        grown = len(gc.get_objects()) - before
        assert srv.stats()["unique"] == 11_000
    assert grown < 10 * 50, f"{grown} objects kept for 10 requests of 1,000 people"
