"""Rendering notices: every kind, language and channel; advice from data categories; escaping."""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

import pytest
from jinja2.exceptions import SecurityError
from pydantic import ValidationError

from breach.controller import ControllerProfile
from breach.enums import Channel, Language, NoticeKind
from notices.content.render import (
    CHANNELS,
    ENVIRONMENT,
    NAME_TAG_HTML,
    NAME_TAG_TEXT,
    REQUIRED_PARTS,
    TEMPLATES_DIR,
    personalize,
    render,
    template_name,
)
from notices.params import PARAMS_BY_KIND, AuthorityNoticeParams, PublicNoticeParams, SubjectNoticeParams, load_table, localized
from tests.conftest import REPO

pytestmark = pytest.mark.unit
SCHEMA = REPO / "breach" / "schemas" / "incident-facts.schema.json"


def controller(**overrides: Any) -> ControllerProfile:
    """An invented Danish controller."""
    fields: dict[str, Any] = {
        "name": "Fjordlys Fitness ApS", "org_number": "DK12345678", "address_lines": ["Ørstedsvej 12", "8000 Aarhus C"],
        "country": "DK", "timezone": "Europe/Copenhagen", "contact_name": "Kundeservice",
        "contact_email": "privacy@fjordlys.example.com", "contact_phone": "+45 70 00 00 00",
        "dpo_name": "Åse Brønnum", "dpo_email": "dpo@fjordlys.example.com", "sender_email": "noreply@fjordlys.example.com",
    }
    fields.update(overrides)
    return ControllerProfile(**fields)


def subject_params(language: str = "da", **overrides: Any) -> SubjectNoticeParams:
    """Params for a notice to people affected by a stolen member database."""
    fields: dict[str, Any] = {
        "incident_id": "BR-2026-0007", "controller": controller(), "language": language,
        "summary": "Someone copied our member database.", "data_categories": ["name", "email", "credentials"],
        "occurred_at": "2026-03-18T22:10:00+01:00", "aware_at": "2026-03-20T09:30:00+01:00",
        "measures_taken": ["Closed the leaking endpoint"], "risk": "high",
    }
    fields.update(overrides)
    return SubjectNoticeParams(**fields)


def authority_params(language: str = "da") -> AuthorityNoticeParams:
    """Params for the authority report of the same breach."""
    facts = {"summary": "Someone copied our member database.", "text_language": language, "breach_types": ["confidentiality"],
             "data_categories": ["name", "email"], "aware_at": "2026-03-20T09:30:00+01:00", "subjects_affected": 40}
    assessment = {"risk": "high", "notify_authority": True, "notify_subjects": True, "rationale": [],
                  "authority": {"code": "DK", "name": "Datatilsynet", "form_url": "https://form.example.org"},
                  "authority_deadline": "2026-03-23T08:30:00+00:00"}
    return AuthorityNoticeParams(incident_id="BR-2026-0007", controller=controller(), facts=facts,
                                 assessment=assessment, people_counts={"email": 40}, language=language)


def public_params(language: str = "da", **overrides: Any) -> PublicNoticeParams:
    """Params for the Art. 34(3)(c) public notice of the same breach."""
    return PublicNoticeParams(**subject_params(language, **overrides).model_dump())


PARAMS_FOR = {NoticeKind.SUBJECT_NOTICE: subject_params, NoticeKind.AUTHORITY_REPORT: authority_params,
              NoticeKind.PUBLIC_NOTICE: public_params}
# en-US notices follow US state law, not Art. 34 (tests/notices/content/test_us_notice.py).
GDPR_LANGUAGES = [lang for lang in Language if lang is not Language.EN_US]
COMBINATIONS = [(kind, lang.value, channel) for kind in NoticeKind for lang in GDPR_LANGUAGES for channel in CHANNELS[kind]]


def test_every_notice_kind_has_params_channels_and_templates() -> None:
    for kind in NoticeKind:
        assert kind in PARAMS_BY_KIND and kind in CHANNELS and kind in PARAMS_FOR
        for language in GDPR_LANGUAGES:
            for channel in CHANNELS[kind]:
                for part in REQUIRED_PARTS:
                    assert (TEMPLATES_DIR / template_name(kind, language.value, channel, part)).is_file()
            if Channel.EMAIL in CHANNELS[kind]:
                assert (TEMPLATES_DIR / template_name(kind, language.value, Channel.EMAIL, "html")).is_file()


def test_every_template_file_carries_a_version_header() -> None:
    for path in TEMPLATES_DIR.rglob("*.j2"):
        assert path.read_text(encoding="utf-8").startswith("{# version: "), path


@pytest.mark.parametrize(("kind", "language", "channel"), COMBINATIONS)
def test_every_kind_language_and_channel_renders(kind: NoticeKind, language: str, channel: Channel) -> None:
    rendered = render(kind, PARAMS_FOR[kind](language), channel=channel)
    assert rendered.subject and "\n" not in rendered.subject
    if channel != Channel.LETTER:  # a letter shows the reference in its sender block
        assert "BR-2026-0007" in rendered.text + rendered.subject
    assert "{{" not in rendered.text and "{%" not in rendered.text
    assert (rendered.html is not None) == (channel in (Channel.EMAIL, Channel.WEB))
    if rendered.html:
        assert rendered.html.lstrip().startswith("<!DOCTYPE html>")
    assert re.match(rf"{kind.value}/{language}@\d+\+[0-9a-f]{{8}}$", rendered.template_version)
    payload = "\x00".join((rendered.subject, rendered.text, rendered.html or "")).encode()
    assert rendered.content_hash == hashlib.sha256(payload).hexdigest()


@pytest.mark.parametrize("language", [lang.value for lang in GDPR_LANGUAGES])
def test_subject_notice_holds_what_art_34_requires(language: str) -> None:
    params = subject_params(language)
    text = render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel.EMAIL).text
    assert text.count(NAME_TAG_TEXT) == 1
    for expected in ("Someone copied our member database.", "Kundeservice", "privacy@fjordlys.example.com",
                     "+45 70 00 00 00", "Åse Brønnum", "dpo@fjordlys.example.com", "Closed the leaking endpoint"):
        assert expected in text
    for line in params.category_labels() + params.consequences() + params.advice():
        assert line in text


def test_letter_text_marks_headings_and_bullets_for_the_pdf() -> None:
    text = render(NoticeKind.SUBJECT_NOTICE, subject_params("en"), channel=Channel.LETTER).text
    assert "## What happened?" in text and "\n- E-mail address\n" in text


def test_same_params_render_the_same_hash_and_changed_facts_a_new_one() -> None:
    first = render(NoticeKind.SUBJECT_NOTICE, subject_params(), channel=Channel.EMAIL)
    again = render(NoticeKind.SUBJECT_NOTICE, subject_params(), channel=Channel.EMAIL)
    changed = render(NoticeKind.SUBJECT_NOTICE, subject_params(summary="Other words."), channel=Channel.EMAIL)
    assert first.content_hash == again.content_hash != changed.content_hash
    assert first.template_version == changed.template_version


ADVICE_CASES = [
    ("credentials", "change_password"),
    ("credentials", "two_factor"),
    ("payment_card", "watch_statements"),
    ("payment_card", "contact_bank"),
    ("national_id", "identity_fraud"),
    ("email", "phishing"),
    ("health", "support"),
    ("invoice_data", "fake_invoices"),
]


@pytest.mark.parametrize(("category", "advice_key"), ADVICE_CASES)
@pytest.mark.parametrize("language", [lang.value for lang in GDPR_LANGUAGES])
def test_advice_follows_the_data_categories(category: str, advice_key: str, language: str) -> None:
    expected = load_table("categories")["advice"][advice_key][language]
    assert expected in subject_params(language, data_categories=["name", category]).advice()
    assert expected not in subject_params(language, data_categories=["name", "job_title"]).advice()


def test_concrete_advice_reads_as_such_in_every_language() -> None:
    assert "adgangskode" in " ".join(subject_params("da", data_categories=["credentials"]).advice())
    assert "passord" in " ".join(subject_params("nb", data_categories=["credentials"]).advice())
    assert "bank" in " ".join(subject_params("en", data_categories=["payment_card"]).advice()).lower()


def test_advice_and_consequences_are_listed_once_in_rank_order() -> None:
    params = subject_params("en", data_categories=["payment_card", "bank_account", "credentials"])
    advice = params.advice()
    assert len(advice) == len(set(advice))
    assert advice[0].startswith("Change your password")


def test_generic_words_only_when_nothing_specific_applies() -> None:
    general = load_table("categories")["advice"]["general"]["en"]
    assert subject_params("en", data_categories=["name"]).advice() == [general]
    assert general not in subject_params("en", data_categories=["name", "email"]).advice()
    assert subject_params("en", data_categories=[]).consequences()


def test_every_schema_data_category_has_words_in_every_language() -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    categories = schema["properties"]["data_categories"]["items"]["enum"]
    table = load_table("categories")
    assert set(categories) == set(table["categories"])
    for entry in table["categories"].values():
        assert set(entry["labels"]) - {"en-US"} == {"da", "nb", "en", "nl"}  # en-US only where American English differs
        assert set(entry["consequences"]) <= set(table["consequences"])
        assert set(entry["advice"]) <= set(table["advice"])
    for group in ("consequences", "consequences_report", "advice", "risk"):
        assert all(set(texts) - {"en-US"} == {"da", "nb", "en", "nl"} for texts in table[group].values())


BRITISH = re.compile(r"recognis|organis|authoris|licence|colour|behaviour|centre|programme|e-mail|straight away|cheque|favour|"
                     r"analys|apologis|defence|postcode|number plate|whilst|\bpost\b", re.IGNORECASE)


def test_american_english_reads_american_spelling_in_every_table_row() -> None:
    table = load_table("categories")
    rows = [entry["labels"] for entry in table["categories"].values()]
    rows += [texts for group in ("consequences", "consequences_report", "advice", "risk") for texts in table[group].values()]
    british = [row["en"] for row in rows if BRITISH.search(localized(row, "en-US"))]
    assert british == []
    assert localized(table["advice"]["watch_statements"], "en-US").endswith("do not recognize.")
    assert localized(table["advice"]["watch_statements"], "en").endswith("do not recognise.")  # British English keeps its spelling


def test_unknown_data_category_is_refused() -> None:
    with pytest.raises(ValidationError, match="no notice text"):
        subject_params(data_categories=["tarot_readings"])


@pytest.mark.parametrize(("language", "month"), [("da", "marts"), ("nb", "mars"), ("en", "March"), ("nl", "maart")])
def test_dates_are_written_for_the_language_in_the_controllers_zone(language: str, month: str) -> None:
    text = render(NoticeKind.SUBJECT_NOTICE, subject_params(language), channel=Channel.EMAIL).text
    assert f"18. {month} 2026" in text or f"18 {month} 2026" in text
    assert "22.10" in text or "22:10" in text  # 21:10 UTC shown in Copenhagen time


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValidationError):
        subject_params(occurred_at="2026-03-18T22:10:00")


def test_personalize_replaces_the_tags_and_keeps_the_draft_hash() -> None:
    draft = render(NoticeKind.SUBJECT_NOTICE, subject_params("en"), channel=Channel.EMAIL)
    person = personalize(draft, "Kari Nordmann")
    assert "Dear Kari Nordmann," in person.text and "Kari Nordmann" in (person.html or "")
    assert NAME_TAG_TEXT not in person.text and NAME_TAG_HTML not in (person.html or "")
    assert person.content_hash == draft.content_hash and person.template_version == draft.template_version


def test_name_is_html_escaped_in_html_and_plain_in_text() -> None:
    draft = render(NoticeKind.SUBJECT_NOTICE, subject_params("en"), channel=Channel.EMAIL)
    person = personalize(draft, '<script>alert("x")</script> & Co')
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co" in (person.html or "")
    assert "<script>" not in (person.html or "")
    assert '<script>alert("x")</script> & Co' in person.text


def test_name_with_template_syntax_stays_inert() -> None:
    draft = render(NoticeKind.SUBJECT_NOTICE, subject_params("en"), channel=Channel.EMAIL)
    person = personalize(draft, "{{ 7*7 }} {% raw %}")
    assert "Dear {{ 7*7 }} {% raw %}," in person.text
    assert "49" not in person.text.splitlines()[0]


def test_line_breaks_in_a_name_collapse_to_spaces() -> None:
    draft = render(NoticeKind.SUBJECT_NOTICE, subject_params("en"), channel=Channel.EMAIL)
    person = personalize(draft, "Anna\r\nBcc: someone@example.org\u2028x")
    assert "Dear Anna Bcc: someone@example.org x," in person.text
    assert "\r" not in person.text


def test_blank_name_uses_the_languages_fallback() -> None:
    draft = render(NoticeKind.SUBJECT_NOTICE, subject_params("da"), channel=Channel.EMAIL)
    assert personalize(draft, "  ").text.startswith("Kære modtager")
    assert personalize(draft, None, fallback="kunde").text.startswith("Kære kunde")


def test_controller_text_is_escaped_in_html_but_not_in_text() -> None:
    params = subject_params("en", summary="Files <b>leaked</b> & more")
    rendered = render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel.EMAIL)
    assert "Files &lt;b&gt;leaked&lt;/b&gt; &amp; more" in (rendered.html or "")
    assert "Files <b>leaked</b> & more" in rendered.text


def test_summary_with_template_syntax_is_not_evaluated() -> None:
    rendered = render(NoticeKind.SUBJECT_NOTICE, subject_params("en", summary="{{ 7*7 }}"), channel=Channel.EMAIL)
    assert "{{ 7*7 }}" in rendered.text and "49" not in rendered.text


def test_environment_is_sandboxed_and_strict() -> None:
    with pytest.raises(SecurityError):
        ENVIRONMENT.from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()
    with pytest.raises(Exception, match="undefined"):
        ENVIRONMENT.from_string("{{ nothing_here }}").render()


def test_wrong_params_or_channel_is_refused() -> None:
    with pytest.raises(TypeError):
        render(NoticeKind.AUTHORITY_REPORT, subject_params(), channel=Channel.FORM)
    with pytest.raises(ValueError):
        render(NoticeKind.SUBJECT_NOTICE, subject_params(), channel=Channel.FORM)


def test_authority_report_carries_the_filing_pack_answers() -> None:
    rendered = render(NoticeKind.AUTHORITY_REPORT, authority_params("da"), channel=Channel.FORM)
    assert "Datatilsynet" in rendered.text and "https://form.example.org" in rendered.text
    assert "Hvornår blev I bekendt med bruddet?" in rendered.text
    assert "23. marts 2026 kl. 09.30" in rendered.text
