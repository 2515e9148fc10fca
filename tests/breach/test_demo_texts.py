"""The demo's facts carry proper Danish, Norwegian and English text, in plain words, with no date to drift."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import pytest

from breach.texts import FREE_TEXT_FIELDS, gaps, text_in
from flows.cli.demo import shift_instants
from notices.content.language import foreign
from tests.conftest import REPO

pytestmark = pytest.mark.unit
FACTS = json.loads((REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
# a date written in any of our languages: 2026, 21/11, 21. november, November 21, 21 November ...
DATE = re.compile(r"\b(19|20)\d\d\b|\b\d{1,2}[./-]\d{1,2}\b|\b\d{1,2}\.? (januar|februar|marts|mars|april|maj|mai|juni|juli|august|"
                  r"september|oktober|november|december|desember)|\b(January|February|March|April|May|June|July|August|"
                  r"September|October|November|December)\b", re.IGNORECASE)


def _texts(language: str) -> list[str]:
    text = text_in(FACTS, language, default_language="da")
    return [text.summary, *text.measures_taken, *text.measures_proposed, *text.likely_consequences,
            text.awareness_explanation or "", *[d for d in text.aggravating_details if d]]


@pytest.mark.parametrize("language", ["da", "nb", "en"])
def test_the_demo_has_its_free_text_in_each_language_in_that_language(language: str) -> None:
    assert gaps(FACTS, ["da", "nb", "en"], default_language="da") == {}
    for text in _texts(language):
        assert foreign(text, language) == [], text


@pytest.mark.parametrize("language", ["da", "nb", "en"])
def test_free_text_holds_no_date_that_the_demo_time_shift_would_leave_behind(language: str) -> None:
    for text in _texts(language):
        assert not DATE.search(text), text


def test_plain_language_no_jargon_a_reader_cannot_act_on() -> None:
    everything = " ".join(t for lang in ("da", "nb", "en") for t in _texts(lang)).lower()
    for jargon in ("sha-1", "sha1", "argon2", "api token", "unsalted", "hash"):
        assert jargon not in everything


def test_the_demo_time_shift_moves_every_instant_including_aggravating_facts() -> None:
    moved = shift_instants(FACTS, timedelta(days=14))
    assert moved["aware_at"] == "2026-12-05T09:30:00+01:00" and moved["contained_at"] == "2026-12-05T09:55:00+01:00"
    assert moved["aggravating_facts"][0]["at"] == "2026-12-04T15:40:00+01:00"
    assert moved["police_informed_at"] == "2026-12-05T13:10:00+01:00"
    text_fields = [k for k in FREE_TEXT_FIELDS if k in FACTS and k != "aggravating_facts"]
    assert {k: moved[k] for k in text_fields} == {k: FACTS[k] for k in text_fields} and moved["translations"] == FACTS["translations"]
