"""The message model, the address and name rules, and the SendGrid request body (pure)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from notices.email.eml_folder import OutboxSender
from notices.email.message import NAME_TAG_HTML, NAME_TAG_TEXT, Recipient, is_sendable_address, sendgrid_body
from tests.notices.email.samples import VALIDATOR, assert_no_pii, read_eml, sample_batch, sample_people
from tests.support.sendgrid import limits as sendgrid_limits

pytestmark = pytest.mark.unit


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
    assert sample_batch(html="").html is None


def test_recipient_repr_hides_personal_data() -> None:
    text = repr(Recipient(delivery_id="d1", email="kari@example.com", name="Kari Nordmann"))
    assert "kari@example.com" not in text and "Nordmann" not in text


@pytest.mark.parametrize("delivery_id", ["../escape", "a/b", ".hidden", "", "x" * 129])
def test_delivery_ids_cannot_escape_the_outbox(delivery_id: str) -> None:
    with pytest.raises(ValidationError):
        Recipient(delivery_id=delivery_id, email="kari@example.com", name="Kari")


def test_duplicate_delivery_ids_refused() -> None:
    with pytest.raises(ValidationError, match="delivery id appears twice"):
        sample_batch(sample_people(2) + sample_people(1))


# -- the SendGrid request body --------------------------------------------------------------

def test_body_has_one_personalization_per_person_with_delivery_ids() -> None:
    batch = sample_batch(sample_people(3))
    body = sendgrid_body(batch)
    assert [p["to"] for p in body["personalizations"]] == [
        [{"email": r.email, "name": r.name}] for r in batch.recipients
    ]
    assert [p["custom_args"] for p in body["personalizations"]] == [{"delivery_id": r.delivery_id} for r in batch.recipients]
    assert body["custom_args"] == {"incident_id": batch.incident_id, "batch_key": batch.batch_key}
    assert [c["type"] for c in body["content"]] == ["text/plain", "text/html"]
    assert "mail_settings" not in body
    assert sendgrid_body(sample_batch(sandbox=True))["mail_settings"] == {"sandbox_mode": {"enable": True}}


def test_names_are_substituted_escaped_and_made_safe() -> None:
    person = Recipient(delivery_id="d1", email="ola@example.com", name="Nordmann, Ola <b>&\r\nBcc: x; y")
    p = sendgrid_body(sample_batch([person]))["personalizations"][0]
    assert p["to"][0]["name"] == "Nordmann Ola b & Bcc x y"  # a plain phrase: no specials, CR LF (L5, notices.email.headers)
    assert p["substitutions"][NAME_TAG_TEXT] == "Nordmann, Ola <b>& Bcc: x; y"
    assert p["substitutions"][NAME_TAG_HTML] == "Nordmann, Ola &lt;b&gt;&amp; Bcc: x; y"


def test_text_tag_in_html_is_switched_to_the_escaped_tag() -> None:
    body = sendgrid_body(sample_batch(html=f"<p>{NAME_TAG_TEXT}</p>", subject=f"Hi {NAME_TAG_HTML}\r\nBcc: x"))
    assert body["content"][1]["value"] == f"<p>{NAME_TAG_HTML}</p>"
    assert body["subject"] == f"Hi {NAME_TAG_TEXT} Bcc: x"


def test_client_refuses_what_sendgrid_would_refuse() -> None:
    with pytest.raises(ValueError, match="at most 1000"):
        sendgrid_body(sample_batch(sample_people(1001)))
    twins = [*sample_people(1), Recipient(delivery_id="dlv-twin", email="SUBJECT0@example.com", name="Twin")]
    with pytest.raises(ValueError, match="1 recipient") as info:
        sendgrid_body(sample_batch(twins))
    assert_no_pii(info.value, sample_batch(twins))


def test_unicode_sender_name_is_transliterated_for_sendgrid(tmp_path: Path) -> None:
    assert sendgrid_body(sample_batch(from_name="Ærø Kommune, Blåbær"))["from"] == {"email": "dpo@example.org",
                                                                              "name": "AEro Kommune Blabaer"}
    OutboxSender(tmp_path).send_batch(sample_batch(sample_people(1), from_name="Ærø Kommune"))
    msg = read_eml(tmp_path / "inc-2024-001" / "email" / "dlv-00000.eml")
    assert msg["From"].addresses[0].display_name == "Ærø Kommune"  # the outbox keeps the real spelling


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(names=st.lists(st.text(max_size=300), min_size=1, max_size=5))
def test_any_names_give_a_valid_request(names: list[str]) -> None:
    people = [Recipient(delivery_id=f"d{i}", email=f"p{i}@example.com", name=n) for i, n in enumerate(names)]
    body = json.loads(json.dumps(sendgrid_body(sample_batch(people))))
    assert sendgrid_limits.schema_problems(VALIDATOR, body) == []
    assert sendgrid_limits.limit_problems(body) == []


# -- the fast paths give exactly what the careful paths give -------------------------------------

_NAMEISH = st.text(alphabet=st.sampled_from(list("Ab æøå-'.;,") + ["\n", "\r", "\t", "\x00", "\x1c", "\x7f", "\x85", "\u2028", "\u00a0",
                                                                   "\ud800"]), max_size=40)


@settings(max_examples=400, deadline=None)
@given(name=st.one_of(_NAMEISH, st.text(max_size=300)))
def test_the_name_fast_path_equals_the_careful_one(name: str) -> None:
    from notices.email.headers import header_text
    from notices.email.message import MAX_NAME_CHARS, _display_name, _plain_name
    careful = header_text(name)[:MAX_NAME_CHARS].strip()
    assert _plain_name(name) == careful
    shown = _display_name(name)
    assert _display_name(shown) == shown and not set(shown) & set('<>()[]:;@,"\\=\r\n')


# letters of several scripts, fullwidth look-alikes (NFKC folds them), invisible and combining characters, specials
_HEADERISH = st.text(alphabet=st.sampled_from(list("Aa9 -'_.=<@æøåÆØÅßÉéñŁłΣωЖж李ア١") + [
    "\uff21", "\uff20", "\uff1c", "\u2160", "\u00b2", "\ufb01", "\u3164", "\u115f", "\uffa0", "\u200b", "\u00ad", "\u034f",
    "\u0301", "\u202e", "\ufeff", "\u00a0", "\n", "\x85"]), max_size=140)


@settings(max_examples=600, deadline=None)
@given(name=st.one_of(_HEADERISH, st.text(max_size=200)))
def test_the_header_name_fast_paths_equal_the_careful_one(name: str) -> None:
    from notices.email.headers import header_name, plain_header_name
    assert header_name(name) == plain_header_name(name)


def test_the_header_name_fast_path_takes_nordic_names_as_they_are() -> None:
    from notices.email.headers import header_name
    for name in ("Søren Ærø-Ødegård", "Åse O'Brien", "Łukasz Żółć"):
        assert header_name(name) == name
    assert header_name("Ｓøren") == "Søren"  # a fullwidth look-alike is folded, never passed on
    assert header_name("Bo\u200bil") == "Boil" and header_name("Ola\u3164Nordmann") == "OlaNordmann"


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


def test_reply_to_the_contact_point_is_in_the_request_and_valid_for_sendgrid() -> None:
    body = sendgrid_body(sample_batch(from_email="noreply@example.org", reply_to="sikkerhed@example.org", reply_to_name="Søren Ærø"))
    assert body["reply_to"] == {"email": "sikkerhed@example.org", "name": "Soren AEro"}
    assert sendgrid_limits.schema_problems(VALIDATOR, body) == []
    assert "reply_to" not in sendgrid_body(sample_batch())
