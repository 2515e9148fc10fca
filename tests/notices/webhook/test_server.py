"""The Event Webhook endpoint against the database: each refusal changes nothing; each event its state."""

from __future__ import annotations

import base64
import http.client
import json
import threading
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from breach import audit
from breach.controller import load_profile
from breach.enums import DeliveryState
from breach.keys.cipher import MultiKeyCipher
from breach.people.store import import_people
from breach.store.session import session_factory
from breach.store.tables import AuditHead, DeliveryRow, PersonRow, SendBatchRow, WebhookRequestRow
from flows.runtime import EXAMPLES
from notices.content.drafting import draft_notices
from notices.sending import outbox
from notices.sending.fallback import ATTENTION_NO_ADDRESS, ATTENTION_NO_DRAFT, ATTENTION_UNREADABLE
from notices.webhook.server import WebhookReceiver, make_server
from notices.webhook.verify import SIGNATURE_HEADER, TIMESTAMP_HEADER, WebhookSettings, load_public_key
from tests.conftest import TEST_MASTER_KEY
from tests.factories import approve, make_incident, set_roster, write_people_csv

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 22, 1, 0, tzinfo=UTC)
MANAGER, RESPONDER = "manager@example.com", "responder@example.com"
PRIVATE = ec.generate_private_key(ec.SECP256R1())
PUBLIC_B64 = base64.b64encode(PRIVATE.public_key().public_bytes(serialization.Encoding.DER,
                                                                 serialization.PublicFormat.SubjectPublicKeyInfo)).decode()
CIPHER = MultiKeyCipher.from_master_keys([TEST_MASTER_KEY])  # the shared test database's one key (tests/conftest.py)
PEOPLE = [  # name, language, email, channel, address_line1, postal_code, city, country
    ["Anna Adresse", "da", "anna@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
    ["Bo Ingenadresse", "da", "bo@example.com", "", "", "", "", "DK"],
    ["Cato Norsk", "nb", "cato@example.org", "", "Storgata 1", "0155", "Oslo", "NO"],
    ["Dina Brev", "da", "", "letter", "Vestergade 3", "8000", "Aarhus C", "DK"],
]


def headers_for(body: bytes, ts: int | None = None) -> dict[str, str]:
    stamp = str(ts if ts is not None else int(NOW.timestamp()))
    signature = base64.b64encode(PRIVATE.sign(stamp.encode() + body, ec.ECDSA(hashes.SHA256()))).decode()
    return {SIGNATURE_HEADER: signature, TIMESTAMP_HEADER: stamp, "Content-Type": "application/json"}


@pytest.fixture()
def scene(db_url: str, tmp_path):
    """An approved incident whose e-mails were accepted by SendGrid; a letter draft exists in Danish only."""
    sessions = session_factory(db_url)
    controller = load_profile(EXAMPLES / "controller.json")
    people = write_people_csv(tmp_path / "people.csv", PEOPLE)
    with sessions.begin() as session:
        incident_id = make_incident(session=session, now=NOW, reference=f"WH-{tmp_path.name}")
        import_people(session=session, incident_id=incident_id, path=people, cipher=CIPHER, batch_size=1000, actor=RESPONDER, now=NOW)
        draft_notices(session=session, incident_id=incident_id, controller=controller, actor=RESPONDER, now=NOW)
        set_roster(session=session, now=NOW, managers=[MANAGER])
        approve(session=session, incident_id=incident_id, now=NOW, actor=MANAGER)
        outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=1000, actor=RESPONDER, now=NOW)
        rows = session.execute(select(DeliveryRow).where(DeliveryRow.incident_id == incident_id,
                                                         DeliveryRow.channel == "email")).scalars().all()
        for row in rows:
            row.state = DeliveryState.ACCEPTED.value
        order = sorted(r.person_id for r in rows)  # people were imported in file order: Anna, Bo, Cato
        by_person = {r.person_id: r.id for r in rows}
        ids = dict(zip(["anna", "bo", "cato"], (by_person[p] for p in order), strict=True))
    receiver = WebhookReceiver(sessions=sessions, cipher=CIPHER, key=load_public_key(PUBLIC_B64),
                               settings=WebhookSettings(public_key=PUBLIC_B64), now=lambda: NOW)
    return {"sessions": sessions, "incident_id": incident_id, "ids": ids, "receiver": receiver}


def post(scene, events: list[dict], *, body: bytes | None = None, headers: dict[str, str] | None = None, path: str = "/sendgrid/events"):
    raw = body if body is not None else json.dumps(events).encode()
    return scene["receiver"].handle(method="POST", path=path, headers=headers if headers is not None else headers_for(raw), body=raw)


def snapshot(scene) -> tuple:
    with scene["sessions"]() as session:
        deliveries = session.execute(select(DeliveryRow.id, DeliveryRow.channel, DeliveryRow.state, DeliveryRow.error)
                                     .where(DeliveryRow.incident_id == scene["incident_id"]).order_by(DeliveryRow.id)).all()
        batches = session.execute(select(func.count()).select_from(SendBatchRow)
                                  .where(SendBatchRow.incident_id == scene["incident_id"])).scalar_one()
        head = session.get(AuditHead, 1)
        seen = session.execute(select(func.count()).select_from(WebhookRequestRow)).scalar_one()
    return tuple(deliveries), batches, head.seq, seen


def states(scene) -> dict[int, str]:
    with scene["sessions"]() as session:
        return dict(session.execute(select(DeliveryRow.id,
                                           DeliveryRow.state).where(DeliveryRow.incident_id == scene["incident_id"])).tuples().all())


def test_delivered_then_duplicate_is_idempotent_and_audited_without_addresses(scene) -> None:
    anna = scene["ids"]["anna"]
    answer = post(scene, [{"event": "processed", "delivery_id": str(anna), "email": "anna@example.com"},
                          {"event": "delivered", "delivery_id": str(anna), "email": "anna@example.com"}])
    assert answer.status == 200 and answer.body["changed"] == {"delivered": 1} and answer.body["unchanged"] == 1
    assert states(scene)[anna] == "delivered"
    again = post(scene, [{"event": "delivered", "delivery_id": str(anna), "email": "anna@example.com"}],
                 headers=None, body=json.dumps([{"event": "delivered", "delivery_id": str(anna)}]).encode())
    assert again.status == 200 and again.body["changed"] == {} and again.body["unchanged"] == 1
    with scene["sessions"]() as session:
        entries = [e for e in audit.events_for(session=session, incident_id=scene["incident_id"]) if e.action == "deliveries.events"]
        assert len(entries) == 1 and entries[0].details["changed"] == {"delivered": 1}
        assert "@" not in json.dumps(entries[0].details)
        audit.verify(session=session)


def test_bounce_with_address_and_letter_draft_queues_a_letter_batch_once(scene) -> None:
    anna = scene["ids"]["anna"]
    answer = post(scene, [{"event": "bounce", "type": "bounce", "delivery_id": str(anna), "email": "anna@example.com"}])
    assert answer.status == 200 and answer.body["changed"] == {"bounced": 1} and answer.body["letters"] == 1
    with scene["sessions"]() as session:
        letters = session.execute(select(DeliveryRow).where(DeliveryRow.incident_id == scene["incident_id"],
                                                            DeliveryRow.channel == "letter")).scalars().all()
        anna_row = session.get(DeliveryRow, anna)
        assert len([r for r in letters if r.person_id == anna_row.person_id]) == 1
        new = [r for r in letters if r.person_id == anna_row.person_id][0]
        assert new.state == "pending"
        assert new.batch_no in outbox.open_batches(session=session, incident_id=scene["incident_id"], channel=outbox.Channel.LETTER)
    # a second bounce (SendGrid retries, duplicates) adds no second letter
    again = post(scene, [{"event": "dropped", "delivery_id": str(anna)}],
                 body=json.dumps([{"event": "bounce", "delivery_id": anna}]).encode())
    assert again.status == 200 and again.body["letters"] == 0
    assert snapshot(scene)[1] == 3  # e-mail batch 0, letter batch 0, and one fallback letter batch


def test_bounce_without_address_or_without_letter_draft_is_marked_for_attention(scene) -> None:
    bo, cato = scene["ids"]["bo"], scene["ids"]["cato"]
    answer = post(scene, [{"event": "dropped", "delivery_id": str(bo), "reason": "Bounced Address"},
                          {"event": "bounce", "type": "blocked", "delivery_id": str(cato)}])
    assert answer.status == 200 and answer.body["changed"] == {"bounced": 1, "failed": 1} and answer.body["letters"] == 0
    assert answer.body["attention"] == {"no_address": 1, "no_letter_draft": 1}
    with scene["sessions"]() as session:
        assert session.get(DeliveryRow, bo).error == ATTENTION_NO_ADDRESS and session.get(DeliveryRow, bo).state == "failed"
        assert session.get(DeliveryRow, cato).error == ATTENTION_NO_DRAFT and session.get(DeliveryRow, cato).state == "bounced"


def test_a_bounce_whose_contact_no_known_key_decrypts_is_marked_for_attention_and_the_rest_still_applies(scene) -> None:
    anna, bo = scene["ids"]["anna"], scene["ids"]["bo"]
    stranger = MultiKeyCipher.from_master_keys([b"s" * 32])
    with scene["sessions"]() as session:  # anna's contact row is encrypted under a key this receiver does not know
        person_id = session.get(DeliveryRow, anna).person_id
    with scene["sessions"].begin() as session:
        person = session.get(PersonRow, person_id)
        aad = b"person:" + scene["incident_id"].encode() + b":" + person.dedup_key
        person.contact_enc = stranger.encrypt(CIPHER.decrypt(person.contact_enc, aad=aad), aad=aad)
    answer = post(scene, [{"event": "bounce", "type": "bounce", "delivery_id": str(anna)},
                          {"event": "delivered", "delivery_id": str(bo)}])
    assert answer.status == 200 and answer.body["changed"] == {"bounced": 1, "delivered": 1}
    assert answer.body["letters"] == 0 and answer.body["attention"] == {"contact_unreadable": 1}
    with scene["sessions"]() as session:
        assert session.get(DeliveryRow, anna).error == ATTENTION_UNREADABLE and session.get(DeliveryRow, anna).state == "bounced"
        assert session.get(DeliveryRow, bo).state == "delivered"


def test_unknown_and_foreign_ids_are_counted_not_applied(scene) -> None:
    before = snapshot(scene)
    answer = post(scene, [{"event": "delivered", "delivery_id": "999999999"}, {"event": "delivered", "notice_id": "N-1"}])
    assert answer.status == 200 and answer.body["unknown"] == 2
    after = snapshot(scene)
    assert after[:3] == before[:3] and after[3] == before[3] + 1


def test_events_under_the_request_batch_key_are_kept_as_evidence_even_for_a_pending_delivery(scene) -> None:
    from notices.sending.evidence import batch_key, seen
    anna, bo = scene["ids"]["anna"], scene["ids"]["bo"]
    with scene["sessions"].begin() as session:
        row, other = session.get(DeliveryRow, anna), session.get(DeliveryRow, bo)
        row.state = DeliveryState.PENDING.value  # the request went, its answer was lost
        key, key_bo = batch_key(row.incident_id, row.batch_no, row.draft_id), batch_key(other.incident_id, other.batch_no, other.draft_id)
    answer = post(scene, [{"event": "processed", "delivery_id": str(anna), "batch_key": key, "timestamp": 1796400000},
                          {"event": "delivered", "delivery_id": str(anna), "batch_key": key},
                          {"event": "delivered", "delivery_id": str(bo), "batch_key": "BR-1999-0001:email:0:1"}])  # not our request
    assert answer.status == 200 and answer.body["evidence"] == 2 and answer.body["unknown"] == 1
    assert states(scene)[anna] == "pending" and states(scene)[bo] == "accepted"  # evidence moves no state; a foreign id nothing
    with scene["sessions"]() as session:
        assert seen(session=session, key=key, delivery_ids=[anna]) == 1 and seen(session=session, key=key_bo, delivery_ids=[bo]) == 0

def _refusals(scene):
    anna = str(scene["ids"]["anna"])
    body = json.dumps([{"event": "bounce", "delivery_id": anna}]).encode()
    good = headers_for(body)
    other = ec.generate_private_key(ec.SECP256R1())
    signature = other.sign(good[TIMESTAMP_HEADER].encode() + body, ec.ECDSA(hashes.SHA256()))
    forged = dict(good, **{SIGNATURE_HEADER: base64.b64encode(signature).decode()})
    return [
        ("unsigned", body, {"Content-Type": "application/json"}, 401),
        ("wrong key", body, forged, 401),
        ("tampered", body.replace(b"bounce", b"delivered"), good, 401),
        ("stale", body, headers_for(body, int(NOW.timestamp()) - 301), 401),
        ("future", body, headers_for(body, int(NOW.timestamp()) + 3600), 401),
        ("too big", b"[" + b" " * 1_000_001 + b"]", headers_for(b"[]"), 413),
        ("signed junk", b"{not json", headers_for(b"{not json"), 400),
    ]


def test_each_refusal_is_4xx_and_changes_nothing(scene) -> None:
    before = snapshot(scene)
    for name, body, headers, status in _refusals(scene):
        answer = post(scene, [], body=body, headers=headers)
        assert answer.status == status, name
        assert snapshot(scene) == before, name
    assert post(scene, [], body=b"[]", headers=headers_for(b"[]"), path="/other").status == 404
    assert scene["receiver"].handle(method="GET", path="/sendgrid/events", headers={}, body=b"").status == 405


def test_a_replayed_request_is_refused_409_and_changes_nothing(scene) -> None:
    body = json.dumps([{"event": "delivered", "delivery_id": str(scene["ids"]["cato"])}]).encode()
    headers = headers_for(body)
    assert post(scene, [], body=body, headers=headers).status == 200
    before = snapshot(scene)
    replay = post(scene, [], body=body, headers=headers)
    assert replay.status == 409 and snapshot(scene) == before
    # re-encoding the signature (ECDSA malleability) does not make it a new request
    from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature, encode_dss_signature
    r, s = decode_dss_signature(base64.b64decode(headers[SIGNATURE_HEADER]))
    n = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
    twin = dict(headers, **{SIGNATURE_HEADER: base64.b64encode(encode_dss_signature(r, n - s)).decode()})
    assert post(scene, [], body=body, headers=twin).status == 409


_json = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)
_events = st.lists(st.fixed_dictionaries({"event": st.sampled_from(["delivered", "bounce", "dropped", "open", "deferred", "x"])},
                                         optional={"delivery_id": st.one_of(st.integers(), st.text(max_size=6)),
                                                   "type": _json}), max_size=5)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.one_of(st.binary(max_size=200), _json.map(lambda v: json.dumps(v).encode()),
                         _events.map(lambda v: json.dumps(v).encode())),
       signed=st.booleans())
def test_fuzzed_payloads_never_crash_and_refusals_change_nothing(scene, payload: bytes, signed: bool) -> None:
    before = snapshot(scene)
    headers = headers_for(payload) if signed else {SIGNATURE_HEADER: "MEUCIQ==", TIMESTAMP_HEADER: str(int(NOW.timestamp()))}
    answer = scene["receiver"].handle(method="POST", path="/sendgrid/events", headers=headers, body=payload)
    assert answer.status in (200, 400, 401, 409, 413)
    if answer.status != 200:
        assert snapshot(scene) == before
    else:
        assert signed


def test_over_http_a_declared_oversize_body_is_refused_before_it_is_read(scene) -> None:
    server = make_server(scene["receiver"], port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        body = json.dumps([{"event": "delivered", "delivery_id": str(scene["ids"]["anna"])}]).encode()
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.request("POST", "/sendgrid/events", body=body, headers=headers_for(body))
        response = conn.getresponse()
        assert response.status == 200 and json.loads(response.read())["changed"] == {"delivered": 1}
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        conn.putrequest("POST", "/sendgrid/events")
        conn.putheader("Content-Length", str(50_000_000))
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
    finally:
        server.shutdown()
        server.server_close()


def test_the_fallback_letter_is_printed_by_the_ordinary_letter_send(scene, tmp_path) -> None:
    from pypdf import PdfReader

    from notices.sending.batches import send_letter_batch

    answer = post(scene, [{"event": "bounce", "type": "bounce", "delivery_id": str(scene["ids"]["anna"])}])
    assert answer.body["letters"] == 1
    with scene["sessions"]() as session:
        batches = outbox.open_batches(session=session, incident_id=scene["incident_id"], channel=outbox.Channel.LETTER)
    fallback = max(batches)
    outcome = send_letter_batch(sessions=scene["sessions"], incident_id=scene["incident_id"], batch_no=fallback, out_dir=tmp_path,
                                cipher=CIPHER, controller=load_profile(EXAMPLES / "controller.json"))
    assert outcome.sent == 1
    pdf = next((tmp_path / scene["incident_id"] / "letters").glob(f"*_{fallback:04d}.pdf"))
    text = "".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Anna Adresse" in text and "Nørregade 7" in text
