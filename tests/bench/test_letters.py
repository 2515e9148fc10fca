"""The HTML route of bench/letters.py lays out the same letter as notices.letters.pdf."""

from __future__ import annotations

import pytest

from bench.letters import letter_html, letters
from notices.letters.pdf import _LABELS, layout_body

pytestmark = pytest.mark.unit


def test_the_benchmark_letter_is_two_pages_in_the_reportlab_route():
    assert {len(layout_body(letter.body_text)) for letter in letters(0, 6)} == {2}


def test_the_html_letter_has_the_same_parts_in_the_letters_language():
    for letter in letters(0, 6):
        page = letter_html(letter)
        labels = _LABELS[letter.language]
        words = labels["page"].split("{n}")[0]
        assert f'content: "{words}" counter(page)' in page and 'counter(pages)' in page  # footer: page n of m
        assert page.count('class="abs fold"') == 3 and "Nordlys Bookings ApS · 41975208" in page  # marks, sender line
        assert f"{labels['ref']}: BR-2026-0001" in page and letter.subject in page
        assert "@top-left" in page and "@page :first" in page  # running head from page 2
        assert page.count("<h4>") == 5 and "<ul>" in page
