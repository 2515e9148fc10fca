"""Dutch (nl) templates: the same files and variables as the Danish ones, and Dutch notices that carry every Art. 34(2) element.

``render()`` cannot take ``nl`` until the language lists in the code include it (params ``LanguageCode``,
``LOCALES``, render ``FALLBACK_NAMES``), so these tests parse the templates and render them through the
real sandboxed environment; the notices are rendered without instants because ``format_instant`` has no
Dutch locale yet.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from jinja2 import nodes

from breach.controller import load_profile
from notices.content.render import ENVIRONMENT, NAME_TAG_HTML, NAME_TAG_TEXT, TEMPLATES_DIR
from notices.params import PublicNoticeParams, SubjectNoticeParams, load_table

pytestmark = pytest.mark.unit
EXAMPLE = Path(__file__).resolve().parents[3] / "breach" / "examples" / "nl"
KINDS = ("subject_notice", "public_notice", "authority_report")
ART_34_2_HEADINGS = ("Wat is er gebeurd?", "Om welke gegevens van u gaat het?", "Wat kan dit voor u betekenen?",
                     "Wat hebben wij gedaan?", "Wat kunt u zelf doen?", "Heeft u vragen?")
INFORMAL = re.compile(r"\b(je|jij|jou|jouw|jullie)\b", re.IGNORECASE)


def _files(kind: str, language: str) -> list[str]:
    return sorted(path.name for path in (TEMPLATES_DIR / kind / language).iterdir())


def _uses(kind: str, language: str, name: str) -> set[str]:
    """What a template reads: p./c./pack. attributes, bare names, filters, macros and included files (language-neutral)."""
    tree = ENVIRONMENT.parse((TEMPLATES_DIR / kind / language / name).read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in tree.find_all((nodes.Getattr, nodes.Name, nodes.Filter, nodes.Include, nodes.Extends, nodes.Import)):
        if isinstance(node, nodes.Getattr) and isinstance(node.node, nodes.Name):
            found.add(f"{node.node.name}.{node.attr}")
        elif isinstance(node, nodes.Name):
            found.add(node.name)
        elif isinstance(node, nodes.Filter):
            found.add(f"|{node.name}")
        elif isinstance(node, (nodes.Include, nodes.Extends, nodes.Import)) and isinstance(node.template, nodes.Const):
            found.add("template:" + str(node.template.value).replace(f"/{language}/", "/<lang>/"))
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_dutch_folder_has_the_same_files_as_danish_norwegian_and_english(kind: str) -> None:
    assert _files(kind, "nl") == _files(kind, "da") == _files(kind, "nb") == _files(kind, "en")


@pytest.mark.parametrize(("kind", "name"), [(kind, name) for kind in KINDS for name in _files(kind, "da")])
def test_dutch_template_reads_exactly_what_the_danish_one_reads(kind: str, name: str) -> None:
    source = (TEMPLATES_DIR / kind / "nl" / name).read_text(encoding="utf-8")
    assert source.startswith("{# version: "), f"{kind}/nl/{name} lacks its version header"
    assert _uses(kind, "nl", name) == _uses(kind, "da", name)


@pytest.mark.parametrize("kind", KINDS)
def test_dutch_templates_address_the_reader_formally(kind: str) -> None:
    for name in _files(kind, "nl"):
        text = re.sub(r"\{[{%#].*?[}%#]\}", " ", (TEMPLATES_DIR / kind / "nl" / name).read_text(encoding="utf-8"), flags=re.S)
        assert not INFORMAL.search(text), f"{kind}/nl/{name} uses the informal je/jij form"


def _example() -> tuple[Any, dict[str, Any]]:
    facts = json.loads((EXAMPLE / "facts.json").read_text(encoding="utf-8"))
    return load_profile(EXAMPLE / "controller.json"), facts


def _params(language: str, cls: type[SubjectNoticeParams] = SubjectNoticeParams) -> SubjectNoticeParams:
    """The example breach as notice params; nl is set after validation until LanguageCode includes it."""
    controller, facts = _example()
    params = cls(incident_id="BR-2026-0042", controller=controller, language="en", summary=facts["summary"],
                 data_categories=facts["data_categories"], measures_taken=facts["measures_taken"], risk="high")
    return params.model_copy(update={"language": language})


def _render(kind: str, language: str, name: str, params: SubjectNoticeParams) -> str:
    return ENVIRONMENT.get_template(f"{kind}/{language}/{name}").render({"p": params, "c": params.controller})


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


@pytest.mark.parametrize("channel", ["email", "letter"])
def test_dutch_notice_has_every_art_34_2_element_in_dutch(channel: str) -> None:
    params = _params("nl")
    text = _render("subject_notice", "nl", f"{channel}.txt.j2", params)
    heading = "## " if channel == "letter" else ""
    for title in ART_34_2_HEADINGS:
        assert f"\n{heading}{title}\n" in text, title
    assert text.startswith(f"Geachte {NAME_TAG_TEXT},\n")
    assert params.summary in text and all(f"- {m}" in text for m in params.measures_taken)
    assert all(f"- {label}" in text for label in params.category_labels())
    assert "Ga ervan uit dat uw wachtwoord bekend is bij anderen." in text
    assert "functionaris gegevensbescherming, Joris van Wijngaarden, via fg@example.com of +31 33 000 5678." in text
    assert "Telefoon: +31 33 000 1234" in text and text.rstrip().splitlines()[-1] != ""
    assert not INFORMAL.search(text)


def test_dutch_notice_shares_no_sentence_with_the_english_one_except_the_facts() -> None:
    dutch = _render("subject_notice", "nl", "email.txt.j2", _params("nl"))
    english = _render("subject_notice", "en", "email.txt.j2", _params("en"))
    controller, facts = _example()
    from_facts = {facts["summary"], controller.name, f"E-mail: {controller.contact_email}"}
    from_facts |= {f"- {m}" for m in facts["measures_taken"]}
    assert _lines(dutch) & _lines(english) <= from_facts


def test_dutch_email_html_and_subjects() -> None:
    params = _params("nl")
    html = _render("subject_notice", "nl", "email.html.j2", params)
    assert '<html lang="nl">' in html and f"<p>Geachte {NAME_TAG_HTML},</p>" in html
    assert set(re.findall(r'href="([^"]*)"', html)) == {"mailto:privacy@example.com", "mailto:fg@example.com"}
    assert html.count("<h2 ") == len(ART_34_2_HEADINGS) and "sms&#39;jes" in html
    assert _render("subject_notice", "nl", "email.subject.j2", params).strip() == (
        "Belangrijk: uw gegevens zijn betrokken bij een datalek (Bouwspoor Cloud B.V.)")
    assert _render("subject_notice", "nl", "letter.subject.j2", params).strip() == (
        "Belangrijk: uw gegevens zijn betrokken bij een datalek")


def test_dutch_public_notice_cites_art_34_3_c_and_has_no_links_but_mail() -> None:
    params = _params("nl", PublicNoticeParams)
    text = _render("public_notice", "nl", "web.txt.j2", params)
    html = _render("public_notice", "nl", "web.html.j2", params)
    assert "artikel 34, lid 3, onder c, van de Algemene verordening gegevensbescherming (AVG)" in text
    assert "Wij kunnen niet iedereen persoonlijk bereiken en publiceren daarom dit bericht." in text
    assert set(re.findall(r'href="([^"]*)"', html)) == {"mailto:privacy@example.com", "mailto:fg@example.com"}
    assert '<html lang="nl">' in html and not INFORMAL.search(text)


def test_dutch_risk_sentences_exist_for_every_risk_level() -> None:
    for level, words in load_table("categories")["risk"].items():
        assert words["nl"].startswith("Wij schatten in dat het datalek"), level
