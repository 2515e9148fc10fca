"""The Dutch example (breach/examples/nl) and the AP's entry in the authorities table."""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from breach.assess.engine import assess
from breach.authorities import get_authority
from breach.controller import load_profile
from breach.examples.generate import HEADER
from breach.facts import load_facts
from breach.instants import parse_instant
from breach.people.rows import normalise_country, normalise_email

pytestmark = pytest.mark.unit
EXAMPLE = Path(__file__).resolve().parents[2] / "breach" / "examples" / "nl"
POSTCODE = re.compile(r"[1-9]\d{3} [A-Z]{2}")
EXAMPLE_DOMAIN = re.compile(r"[^@\s]+@example\.(com|org)")
DUTCH = {"nl", "nl-NL", "Nederlands"}  # the spellings the importer must accept once nl is wired in
ENGLISH = {"en", "en-GB"}


def _json(name: str) -> dict[str, Any]:
    return json.loads((EXAMPLE / name).read_text(encoding="utf-8"))


def _people() -> list[dict[str, str]]:
    with open(EXAMPLE / "people.csv", encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        assert tuple(reader.fieldnames or ()) == HEADER
        return list(reader)


def test_the_controller_is_an_invented_dutch_company() -> None:
    profile = load_profile(EXAMPLE / "controller.json")
    assert (profile.country, profile.timezone, profile.default_language) == ("NL", "Europe/Amsterdam", "nl")
    assert re.fullmatch(r"\d{8}", profile.org_number or ""), "a KvK number has eight digits"
    postcode, _, town = profile.address_lines[-1].rpartition(" ")
    assert POSTCODE.fullmatch(postcode) and town
    for address in (profile.contact_email, profile.dpo_email, profile.sender_email):
        assert EXAMPLE_DOMAIN.fullmatch(address or ""), address
    assert (profile.website or "").endswith(".example.com")


def test_the_facts_validate_and_the_assessment_owes_the_ap_a_notification_within_72_hours() -> None:
    facts = load_facts(_json("facts.json"))
    result = assess(facts).model_dump(mode="json")
    assert result["risk"] == "high" and result["notify_authority"] and result["notify_subjects"]
    assert result["authority"]["code"] == "NL" and result["authority"]["name"] == "Autoriteit Persoonsgegevens"
    assert parse_instant(result["authority_deadline"]) == parse_instant(_json("facts.json")["aware_at"]) + timedelta(hours=72)
    assert facts.subjects_affected == len(_people())


def test_free_text_is_dutch_in_the_facts_and_side_by_side_in_both_languages() -> None:
    facts, texts = _json("facts.json"), _json("texts.json")
    for field in ("summary", "measures_taken", "notes"):
        assert texts[field]["nl"] == facts[field], field
        assert texts[field]["en"] and texts[field]["en"] != texts[field]["nl"], field
    assert len(texts["measures_taken"]["en"]) == len(texts["measures_taken"]["nl"])
    assert set(texts) - {"_comment"} <= set(facts)


def test_people_are_invented_mostly_dutch_with_letters_and_dutch_postcodes() -> None:
    people = _people()
    assert len(people) == 200
    assert len({p["external_id"] for p in people}) == 200
    emails = [p["email"] for p in people if p["email"]]
    assert len(set(emails)) == len(emails) and all(normalise_email(e) == e and EXAMPLE_DOMAIN.fullmatch(e) for e in emails)
    spelled = Counter(p["language"] for p in people)
    dutch = sum(n for tag, n in spelled.items() if tag in DUTCH)
    english = sum(n for tag, n in spelled.items() if tag in ENGLISH)
    assert dutch + english == len(people) and dutch >= 160 and english >= 10
    assert sum(p["channel"] in ("letter", "brief", "post") for p in people) >= 5
    assert sum(not p["email"] and not p["address_line1"] for p in people) == 2  # no channel: Art. 34(3)(c)
    for person in people:
        assert normalise_country(person["country"]) in ("NL", "GB"), person["external_id"]
        if person["country"] == "NL" and person["postal_code"]:
            assert POSTCODE.fullmatch(person["postal_code"]), person["postal_code"]
            assert person["postal_code"][-2:] not in ("SA", "SD", "SS"), person["postal_code"]


def test_the_ap_entry_is_verified_and_cites_its_sources() -> None:
    ap = get_authority("NL")
    assert ap is not None and ap.last_verified is not None
    assert ap.address_lines == ["Postbus 93374", "2509 AJ Den Haag"] and ap.phone == "+31 88 180 5250"
    assert ap.channel == "form" and ap.fallback_channels == [] and ap.language == "nl"
    assert (ap.form_url or "").startswith("https://datalekken.autoriteitpersoonsgegevens.nl")
    table = json.loads((Path(__file__).resolve().parents[2] / "breach" / "data" / "authorities.json").read_text(encoding="utf-8"))
    entry = next(a for a in table["authorities"] if a["code"] == "NL")
    assert entry["source"] in [s["url"] for s in entry["sources"]]
    for source in entry["sources"]:
        assert (source["url"] or "").startswith("https://") or source.get("where"), source
        assert source["read_at"] == ap.last_verified.isoformat() and source["used_for"], source
