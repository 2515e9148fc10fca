"""The Event Webhook catalogue (issue #19): every forged, stale, malformed, oversized or replayed request is refused over real HTTP."""

from __future__ import annotations

import base64
import http.client
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature

from notices.webhook.server import WebhookReceiver, make_server
from notices.webhook.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSettings
from tests.security.helpers import sql

pytestmark = pytest.mark.security
GROUP = "webhook catalogue"
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC_B64 = base64.b64encode(PRIVATE.public_key().public_bytes(serialization.Encoding.DER,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
BODY = json.dumps([{"event": "delivered", "delivery_id": "999999", "email": "someone@example.org"}]).encode()


def sign(signed: bytes, key: ec.EllipticCurvePrivateKey = PRIVATE) -> str:
    return base64.b64encode(key.sign(signed, ec.ECDSA(hashes.SHA256()))).decode()


@dataclass
class Endpoint:
    port: int
    home: object

    def post(self, body: bytes, headers: dict[str, str], *, length: int | None = None) -> int:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        connection.putrequest("POST", "/sendgrid/events")
        for name, value in {**headers, "Content-Length": str(len(body) if length is None else length)}.items():
            connection.putheader(name, value)
        connection.endheaders()
        if length is None or length <= len(body):
            connection.send(body)
        status = connection.getresponse().status
        connection.close()
        return status

    def accepted(self) -> int:
        return sql(self.home, "SELECT count(*) FROM webhook_requests")[0][0]


@pytest.fixture()
def endpoint(home, rt, monkeypatch) -> Iterator[Endpoint]:
    """`breach webhook serve`'s receiver on a free port, on this test's database."""
    monkeypatch.setenv("BREACH_WEBHOOK_PUBLIC_KEY", PUBLIC_B64)
    settings = WebhookSettings()
    receiver = WebhookReceiver(sessions=rt.sessions, cipher=rt.cipher, key=settings.verification_key(),
                               settings=settings)
    server = make_server(receiver, port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Endpoint(server.server_address[1], home)
    finally:
        server.shutdown()
        server.server_close()


def signed_headers(body: bytes, stamp: str | None = None) -> dict[str, str]:
    stamp = stamp or str(int(time.time()))
    return {SIGNATURE_HEADER: sign(stamp.encode() + body), TIMESTAMP_HEADER: stamp, "Content-Type": "application/json"}


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
def test_a_genuine_request_is_accepted_once(endpoint):
    headers = signed_headers(BODY)
    assert endpoint.post(BODY, headers) == 200 and endpoint.accepted() == 1


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("case", ["unsigned", "no-timestamp", "bad-signature", "other-key", "signature-of-other-body",
                                  "stale", "future", "malformed-timestamp", "timestamp-with-space", "not-base64-signature"])
def test_a_forged_or_stale_request_is_refused_and_changes_nothing(endpoint, case):
    now = int(time.time())
    headers = signed_headers(BODY)
    if case == "unsigned":
        headers.pop(SIGNATURE_HEADER)
    elif case == "no-timestamp":
        headers.pop(TIMESTAMP_HEADER)
    elif case == "bad-signature":
        headers[SIGNATURE_HEADER] = base64.b64encode(b"\x30\x06\x02\x01\x01\x02\x01\x01").decode()
    elif case == "other-key":
        headers[SIGNATURE_HEADER] = sign(headers[TIMESTAMP_HEADER].encode() + BODY, ec.generate_private_key(ec.SECP256R1()))
    elif case == "signature-of-other-body":
        headers[SIGNATURE_HEADER] = sign(headers[TIMESTAMP_HEADER].encode() + b"[]")
    elif case == "stale":
        headers = signed_headers(BODY, str(now - 3600))
    elif case == "future":
        headers = signed_headers(BODY, str(now + 3600))
    elif case == "malformed-timestamp":
        headers = signed_headers(BODY, "17e8")
    elif case == "timestamp-with-space":
        headers = signed_headers(BODY, f"{now} ")
    elif case == "not-base64-signature":
        headers[SIGNATURE_HEADER] = "not base64 at all!"
    assert endpoint.post(BODY, headers) == 401
    assert endpoint.accepted() == 0


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("body", [b"not json", b'{"event": "delivered"}', b'[1, 2]', b"\xff\xfe", b"[" * 50_000 + b"]" * 50_000],
                         ids=["not-json", "object-not-array", "not-objects", "not-utf8", "deeply-nested"])
def test_a_signed_but_malformed_body_is_refused_and_changes_nothing(endpoint, body):
    assert endpoint.post(body, signed_headers(body)) == 400
    assert endpoint.accepted() == 0


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
def test_an_oversized_request_is_refused_before_its_body_is_read(endpoint):
    big = b"[" + b" " * 1_100_000 + b"]"
    assert endpoint.post(b"", signed_headers(big), length=len(big)) == 413  # declared too big: never read
    assert endpoint.post(BODY, signed_headers(BODY), length=-1) in (400, 411)
    assert endpoint.accepted() == 0


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
def test_an_exact_replay_is_refused(endpoint):
    headers = signed_headers(BODY)
    assert endpoint.post(BODY, headers) == 200
    assert endpoint.post(BODY, headers) == 409
    assert endpoint.accepted() == 1


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
def test_a_replay_with_a_byte_moved_from_the_body_to_the_timestamp_is_refused(endpoint):
    """The issue's malleation: the same signed bytes, split differently between the timestamp header and the body."""
    body = b" " + BODY
    headers = signed_headers(body)
    assert endpoint.post(body, headers) == 200
    moved = {**headers, TIMESTAMP_HEADER: headers[TIMESTAMP_HEADER] + " "}
    assert endpoint.post(BODY, moved) in (401, 409)
    assert endpoint.accepted() == 1


@pytest.mark.attack(finding="webhook", group=GROUP, fails_as="integrity")
def test_a_replay_with_a_re_encoded_signature_is_refused(endpoint):
    """ECDSA signatures are malleable ((r, s) and (r, n - s) both verify): the replay guard keys on the signed bytes."""
    headers = signed_headers(BODY)
    assert endpoint.post(BODY, headers) == 200
    r, s = decode_dss_signature(base64.b64decode(headers[SIGNATURE_HEADER]))
    twin = base64.b64encode(encode_dss_signature(r, P256_ORDER - s)).decode()
    assert endpoint.post(BODY, {**headers, SIGNATURE_HEADER: twin}) == 409
    assert endpoint.accepted() == 1
