"""The canary search finds every canary value, phone numbers included, and only the run's own tags."""

from __future__ import annotations

import secrets

import pytest

from bench.pii_canary import Finder, canary_people, canary_values, run_number

pytestmark = pytest.mark.unit


def test_every_canary_value_carries_a_tag_the_search_finds():
    tag = "zq" + secrets.token_hex(4)
    people = canary_people(30, tag)
    values = canary_values(people)
    assert {k for p in people for k in ("name", "email", "address_line1", "external_id", "phone") if p[k]} and len(values) >= 140
    finder = Finder(tag)
    assert [v for v in values if not finder.search("self-check", v)] == []
    assert all(run_number(tag) in p["phone"] for p in people)  # a phone is digits: it carries the number, not the letters


def test_a_leaked_phone_is_found_with_or_without_its_plus_and_in_raw_bytes():
    tag = "zq" + secrets.token_hex(4)
    phone = canary_people(3, tag)[2]["phone"]
    finder = Finder(tag)
    assert finder.search("raw", f"x{phone}y".encode()) == 1
    assert finder.search("digits", phone.lstrip("+")) == 1
    assert finder.hits == {"raw": 1, "digits": 1}


def test_runs_have_their_own_tags_and_one_run_does_not_find_another():
    first, second = ("zq" + secrets.token_hex(4) for _ in range(2))
    assert run_number(first) != run_number(second) and len(run_number(first)) == 10
    assert Finder(first).search("other run", " ".join(canary_values(canary_people(5, second)))) == 0
