"""Dutch data tables: words for every data category and coded answer, and the AP's breach form as data."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from breach.assess.engine import assess
from breach.authorities import get_authority
from breach.controller import load_profile
from breach.facts import load_facts
from notices.params import AuthorityNoticeParams, load_table
from notices.report.forms import catalogue

pytestmark = pytest.mark.unit
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie)\b", re.IGNORECASE)
SAME_IN_BOTH = {"E-mail"}  # words that are spelled the same in Dutch and English
NL_SECTIONS = ["notification", "organisation", "timeline", "breach", "personal_data", "data_subjects", "prior_measures",
               "consequences", "informing_subjects", "measures", "international", "other"]
BREACH_TYPES = {"confidentiality", "integrity", "availability"}
EXAMPLE = Path(__file__).resolve().parents[3] / "breach" / "examples" / "nl"
FILINGS = [{"authority_code": "NL", "sequence": 1, "filed_at": "2026-12-01T09:00:00+00:00", "receipt_sha256": "ab" * 32,
            "authority_reference": "AP-2026-123", "filed_by": "x@example.com", "receipt_name": "r.pdf", "late": False}]


def _example_params() -> AuthorityNoticeParams:
    """The Dutch example breach, assessed, as authority params (worded in Danish until nl is a LanguageCode)."""
    facts = json.loads((EXAMPLE / "facts.json").read_text(encoding="utf-8"))
    return AuthorityNoticeParams(incident_id="BR-2026-0042", controller=load_profile(EXAMPLE / "controller.json"), facts=facts,
                                 assessment=assess(load_facts(facts)).model_dump(mode="json"),
                                 people_counts={"email": 186, "letter": 12, "unreachable": 2}, language="en")


def _texts(table: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], dict[str, Any]]]:
    """Every {language: text} dict in a table, with its path."""
    if isinstance(table, dict):
        if isinstance(table.get("en"), str):
            yield path, table
        for key, value in table.items():
            yield from _texts(value, (*path, key))


@pytest.mark.parametrize("name", ["categories", "filing_form", "filing_form_nl"])
def test_every_text_has_a_dutch_version_in_the_formal_u_form(name: str) -> None:
    texts = list(_texts(load_table(name)))
    assert len(texts) > 50
    for path, words in texts:
        dutch = words.get("nl")
        assert isinstance(dutch, str) and dutch.strip(), f"{name}: {'.'.join(path)} has no Dutch text"
        assert dutch != words["en"] or dutch in SAME_IN_BOTH, f"{name}: {'.'.join(path)} is English: {dutch!r}"
        assert not INFORMAL.search(dutch), f"{name}: {'.'.join(path)} uses je/jij: {dutch!r}"


def test_placeholders_survive_translation() -> None:
    values = load_table("filing_form")["values"]
    for key, words in values.items():
        assert re.findall(r"\{\w+\}", words["nl"]) == re.findall(r"\{\w+\}", words["en"]), key


def test_password_advice_says_to_assume_the_password_is_known_and_to_change_it_elsewhere() -> None:
    advice = load_table("categories")["advice"]["change_password"]["nl"]
    assert advice.startswith("Ga ervan uit dat uw wachtwoord bekend is bij anderen.")
    assert "ergens anders" in advice and "als u dat nog niet heeft gedaan" in advice


def test_every_data_category_has_a_dutch_label() -> None:
    categories = load_table("categories")["categories"]
    labels = [entry["labels"]["nl"] for entry in categories.values()]
    assert len(set(labels)) == len(labels) == len(categories)
    assert categories["national_id"]["labels"]["nl"] == "Burgerservicenummer (BSN)"


def _nl_form() -> dict[str, Any]:
    return load_table("filing_form_nl")


def test_the_ap_form_has_the_shape_of_the_other_forms() -> None:
    nl, no = _nl_form(), load_table("filing_form_no")
    assert set(no) - {"_comment"} <= set(nl)
    assert (nl["form"], nl["authority"], nl["language"]) == ("nl", "NL", "nl")
    assert set(nl["title"]) == {"nl", "en"} and nl["last_verified"] is None and nl["verification_note"]
    assert list(nl["sections"]) == NL_SECTIONS
    for key, section in nl["sections"].items():
        assert set(section) == {"title", "fields"} and set(section["title"]) == {"nl", "en"}, key
        assert section["fields"], key


def test_the_ap_form_is_for_the_autoriteit_persoonsgegevens() -> None:
    ap = get_authority(_nl_form()["authority"])
    assert ap is not None and ap.language == _nl_form()["language"] and ap.name == "Autoriteit Persoonsgegevens"


def test_every_ap_question_is_answered_from_the_catalogue_or_says_why_not() -> None:
    known = set(catalogue(_example_params(), FILINGS))
    for section, fields in ((s, sec["fields"]) for s, sec in _nl_form()["sections"].items()):
        for name, question in fields.items():
            where = f"{section}.{name}"
            source = question["from"]
            if source is None:
                assert question["gap"].strip() and "answered_by" not in question, where
                continue
            keys = [source] if isinstance(source, str) else source
            assert isinstance(keys, list) and keys and set(keys) <= known, f"{where} reads unknown answers {keys}"
            assert question["answered_by"] and all(isinstance(x, str) for x in question["answered_by"]), where
            assert "gap" not in question, where


def test_the_ap_form_carries_every_art_33_3_element_and_valid_conditions() -> None:
    fields = [q for section in _nl_form()["sections"].values() for q in section["fields"].values()]
    assert {q["art33"] for q in fields if "art33" in q} == {"33(3)(a)", "33(3)(b)", "33(3)(c)", "33(3)(d)"}
    assert all(q["from"] is not None for q in fields if "art33" in q)
    conditions = [q["ask_if"] for q in fields if "ask_if" in q]
    assert conditions and all(set(c) == {"facts.breach_types"} and set(c["facts.breach_types"]) <= BREACH_TYPES
                              for c in conditions)


def test_the_ap_form_asks_what_the_ap_requires() -> None:
    sections = _nl_form()["sections"]
    assert sections["organisation"]["fields"]["reporter"]["from"] is None  # name, function, phone: the filer's own
    assert sections["organisation"]["fields"]["kvk_number"]["from"] == "controller.org_number"
    assert sections["notification"]["fields"]["followup"]["from"] == "extra.is_followup"
    assert sections["notification"]["fields"]["authority_reference"]["from"] == "extra.authority_reference"
    assert sections["timeline"]["fields"]["reasons_for_delay"]["from"] == "timeline.reasons_for_delay"
    assert sections["international"]["fields"]["other_countries"]["from"] == ["cross_border.other_countries",
                                                                                 "cross_border.countries"]


def test_the_ap_form_names_its_sources_with_dates() -> None:
    form = _nl_form()
    assert form["source"].startswith("https://www.autoriteitpersoonsgegevens.nl/")
    for source in form["sources"]:
        assert (source["url"] or "").startswith("https://") or source.get("where"), source
        assert date.fromisoformat(source["read_at"]) and source["used_for"], source

