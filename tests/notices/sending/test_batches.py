"""How a batch's deliveries become recipients: one per address, unusable ones set aside, not blocking."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from notices.email.message import OWN_POSTAL_HTML, OWN_POSTAL_TEXT
from notices.sending.batches import DUPLICATE_ADDRESS, NO_ADDRESS, UNSENDABLE_ADDRESS, _recipients, batch_key

pytestmark = pytest.mark.unit


DRAFTS = {n: SimpleNamespace(language="da") for n in (3, 7, 8)}


def _person(pid: int, email: str | None, has_address: bool = False) -> tuple[int, int, str, str | None, bool]:
    """(delivery id, draft id, name, e-mail, has a postal address) as the batch loader yields them."""
    return (10 + pid, 7 if pid % 2 else 8, f"Person {pid}", email, has_address)


def test_duplicates_and_unusable_addresses_are_set_aside_by_code_and_the_rest_still_goes():
    people = [_person(1, "a@example.com"), _person(2, "A@Example.com"), _person(3, "not an address"),
              _person(4, None), _person(5, "b@example.org"), _person(6, "ü@example.org")]
    groups, rejected = _recipients(people, DRAFTS)
    sent = [r.delivery_id for group in groups.values() for r in group]
    assert sorted(sent) == ["11", "15"]
    assert rejected == {DUPLICATE_ADDRESS: [12], UNSENDABLE_ADDRESS: [13, 16], NO_ADDRESS: [14]}
    addresses = [r.email.lower() for group in groups.values() for r in group]
    assert len(addresses) == len(set(addresses))


def test_an_idn_domain_is_sent_as_punycode_and_batch_keys_name_the_request():
    groups, rejected = _recipients([(1, 3, "Bo", "x@bøger.example", False)], DRAFTS)
    assert rejected == {} and groups[3][0].email == "x@xn--bger-gra.example"
    assert batch_key("BR-2026-0001", 4, 3) == "BR-2026-0001:email:4:3"


def test_each_recipient_is_told_only_of_the_contact_data_we_hold_for_them():
    groups, _ = _recipients([_person(1, "a@example.com", has_address=True), _person(3, "b@example.com")], DRAFTS)
    with_address, without = groups[7]
    assert with_address.own_data == {OWN_POSTAL_TEXT: "- Postadresse\n", OWN_POSTAL_HTML: "<li>Postadresse</li>\n"}
    assert without.own_data == {OWN_POSTAL_TEXT: "", OWN_POSTAL_HTML: ""}
