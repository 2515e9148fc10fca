"""Print-ready letters: text in the PDF, page accounting across a batch, atomic writes, the manifest."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from breach import instants
from breach.controller import ControllerProfile
from breach.enums import Channel, NoticeKind
from notices.content.render import personalize, render
from notices.letters.pdf import (
    _FONT_CANDIDATES,
    FONT,
    FONT_BOLD,
    LEFT,
    MANIFEST_COLUMNS,
    RIGHT,
    Letter,
    address_block,
    country_line,
    layout_body,
    letter_file_name,
    org_number_text,
    register_fonts,
    wrap,
    write_letters_pdf,
    write_manifest_csv,
)
from notices.params import SubjectNoticeParams

pytestmark = pytest.mark.unit
SENDER = ControllerProfile(
    name="Fjordlys Fitness ApS", org_number="DK12345678", address_lines=["Ørstedsvej 12", "8000 Aarhus C"],
    country="DK", contact_name="Kundeservice", contact_email="privacy@fjordlys.example.com",
    contact_phone="+45 70 00 00 00", sender_email="noreply@fjordlys.example.com",
)
SHORT_BODY = "Kære Søren\n\nVi skriver om et brud på sikkerheden.\n\nMed venlig hilsen\nFjordlys Fitness ApS"


def long_body(paragraphs: int = 10) -> str:
    """A body that needs more than one page, with headings and bullets."""
    parts = [f"## Afsnit {i}\nDette er afsnit {i} med æøå ÆØÅ og lidt mere tekst.\n- Punkt {i}" for i in range(paragraphs)]
    return "\n\n".join(parts)


def letter(delivery_id: str = "d-1", *, language: str = "da", name: str = "Søren Ærø-Østergård",
           body: str = SHORT_BODY, **overrides: Any) -> Letter:
    """One letter to an invented person."""
    fields: dict[str, Any] = {
        "delivery_id": delivery_id, "language": language, "recipient_name": name,
        "address_lines": ["Åboulevarden 7, 2. th.", "8000 Aarhus C"], "subject": "Vigtigt: brud på sikkerheden",
        "body_text": body, "sender": SENDER, "date": dt.date(2026, 11, 21), "reference": "BR-2026-0007",
    }
    fields.update(overrides)
    return Letter(**fields)


def page_texts(path: Path) -> list[str]:
    """The text of every page as pypdf extracts it."""
    return [page.extract_text() for page in PdfReader(path).pages]


def test_letter_pdf_holds_name_address_nordic_letters_and_page_number(tmp_path: Path) -> None:
    path = tmp_path / "one.pdf"
    info = write_letters_pdf([letter()], path)
    (text,) = page_texts(path)
    for expected in ("Søren Ærø-Østergård", "Åboulevarden 7, 2. th.", "8000 Aarhus C", "Vigtigt: brud på sikkerheden",
                     "Fjordlys Fitness ApS · Ørstedsvej 12 · 8000 Aarhus C", "BR-2026-0007", "21. november 2026",
                     "Side 1 af 1", "Kære Søren"):
        assert expected in text
    assert info.letters == 1 and info.pages == 1 and info.file_name == "one.pdf"


@pytest.mark.parametrize(("language", "footer", "date"), [
    ("da", "Side 1 af 2", "21. november 2026"),
    ("nb", "Side 1 av 2", "21. november 2026"),
    ("en", "Page 1 of 2", "21 November 2026"),
])
def test_page_numbers_and_date_follow_the_language(tmp_path: Path, language: str, footer: str, date: str) -> None:
    path = tmp_path / f"{language}.pdf"
    write_letters_pdf([letter(language=language, body=long_body())], path)
    texts = page_texts(path)
    assert len(texts) == 2
    assert footer in texts[0] and footer.replace("1", "2", 1) in texts[1] and date in texts[0]


def test_a_batch_accounts_for_every_page(tmp_path: Path) -> None:
    batch = [letter("a", name="Anna Æbelø"), letter("b", name="Bjørn Å", body=long_body(70)), letter("c", name="Cecilie Ø")]
    path = tmp_path / "batch.pdf"
    info = write_letters_pdf(batch, path)
    texts = page_texts(path)
    assert info.pages == len(texts) == sum(d.page_count for d in info.deliveries)
    assert [d.delivery_id for d in info.deliveries] == ["a", "b", "c"]
    assert info.deliveries[1].page_count >= 3
    expected_first = 1
    for delivery, item in zip(info.deliveries, batch, strict=True):
        assert delivery.first_page == expected_first
        assert delivery.last_page == delivery.first_page + delivery.page_count - 1
        assert item.recipient_name in texts[delivery.first_page - 1]
        assert f"Side {delivery.page_count} af {delivery.page_count}" in texts[delivery.last_page - 1]
        expected_first = delivery.last_page + 1


def test_shared_content_is_drawn_once_per_batch_yet_every_page_shows_it(tmp_path: Path) -> None:
    path = tmp_path / "many.pdf"
    write_letters_pdf([letter(f"d-{i}", name=f"Person {i} Ødegård") for i in range(30)], path)
    texts = page_texts(path)
    assert all("Vi skriver om et brud på sikkerheden." in text for text in texts)
    assert all("Kære Søren" in text for text in texts)
    assert "Person 29 Ødegård" in texts[29] and "Person 28 Ødegård" not in texts[29]
    assert path.stat().st_size < 30 * 20_000


def test_rendered_subject_notice_becomes_a_letter(tmp_path: Path) -> None:
    params = SubjectNoticeParams(incident_id="BR-2026-0007", controller=SENDER, language="nb",
                                 summary="Noen kopierte medlemsregisteret.", data_categories=["email", "credentials"])
    draft = personalize(render(NoticeKind.SUBJECT_NOTICE, params, channel=Channel.LETTER), "Kari Nordmann")
    path = tmp_path / "notice.pdf"
    write_letters_pdf([letter(language="nb", name="Kari Nordmann", subject=draft.subject, body=draft.text)], path)
    text = "\n".join(page_texts(path))
    assert "Kjære Kari Nordmann" in text and "Hva har skjedd?" in text and "Bytt passordet" in text
    assert "##" not in text


def test_write_is_atomic_and_keeps_the_old_file_on_failure(tmp_path: Path) -> None:
    path = tmp_path / "batch.pdf"
    path.write_bytes(b"old batch")

    def failing() -> Iterator[Letter]:
        yield letter("a")
        raise RuntimeError("database went away")

    with pytest.raises(RuntimeError):
        write_letters_pdf(failing(), path)
    assert path.read_bytes() == b"old batch"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.pdf"]
    write_letters_pdf([letter("a")], path)
    assert path.read_bytes().startswith(b"%PDF")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["batch.pdf"]


def test_an_empty_batch_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        write_letters_pdf([], tmp_path / "empty.pdf")
    assert not list(tmp_path.iterdir())


def test_manifest_lists_pages_and_country_but_no_names_or_addresses(tmp_path: Path) -> None:
    first = write_letters_pdf([letter("a"), letter("b", body=long_body(), country="NO")], tmp_path / "x_0001.pdf")
    second = write_letters_pdf([letter("c")], tmp_path / "x_0002.pdf")
    manifest = tmp_path / "manifest.csv"
    assert write_manifest_csv([first, second], manifest) == 3
    content = manifest.read_text(encoding="utf-8")
    rows = list(csv.DictReader(content.splitlines()))
    assert tuple(rows[0]) == MANIFEST_COLUMNS
    assert [(r["delivery_id"], r["pdf_file"], r["first_page"], r["page_count"], r["country"]) for r in rows] == [
        ("a", "x_0001.pdf", "1", "1", "DK"), ("b", "x_0001.pdf", "2", "2", "NO"), ("c", "x_0002.pdf", "1", "1", "DK")]
    assert "Søren" not in content and "Åboulevarden" not in content


def test_letter_file_name_is_derived_from_incident_and_kind() -> None:
    assert letter_file_name("BR-2026-0007", NoticeKind.SUBJECT_NOTICE, 3) == "BR-2026-0007_subject_notice_0003.pdf"
    assert letter_file_name("../etc/passwd x", "subject_notice", 1) == "etc_passwd_x_subject_notice_0001.pdf"
    with pytest.raises(ValueError):
        letter_file_name("BR-1", NoticeKind.SUBJECT_NOTICE, -1)


def test_the_font_has_glyphs_for_danish_and_norwegian_letters() -> None:
    regular, bold = register_fonts()
    for name in (regular, bold):
        face = pdfmetrics.getFont(name).face
        assert all(ord(ch) in face.charToGlyph for ch in "æøåÆØÅ€–·•")


def test_the_fallback_font_bundled_with_reportlab_also_covers_them() -> None:
    vera = TTFont("VeraCheck", str(_FONT_CANDIDATES[-1][0]))
    assert all(ord(ch) in vera.face.charToGlyph for ch in "æøåÆØÅ€–·•")


def test_wrapping_keeps_every_line_inside_the_margins() -> None:
    register_fonts()
    width = RIGHT - LEFT
    text = "Et meget langt ord: " + "Æ" * 200 + " og så almindelige ord " * 20
    lines = wrap(text, FONT, 10, width)
    assert all(pdfmetrics.stringWidth(line, FONT, 10) <= width for line in lines)
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")


def test_a_heading_is_never_the_last_line_of_a_page() -> None:
    for paragraphs in range(5, 40, 3):
        pages = layout_body(long_body(paragraphs))
        for page in pages[:-1]:
            last = [line for line in page if line[3]][-1]
            assert last[0] != FONT_BOLD
        assert all(page and page[0][3] for page in pages)  # no page starts with a blank line


def test_a_long_name_and_address_shrink_to_fit_the_window_instead_of_being_cut(tmp_path: Path) -> None:
    name = "Maximiliane Kristoffersen-Åkerlund Østergaard-Bjørnholm von Ærøskøbing"
    lines = ["c/o Ærøskøbing Handelsselskab ApS", "Att. Bogholderiet", "Vestergade 117, 3. sal, lejlighed 14",
             "Postboks 42", "5970 Ærøskøbing", "DENMARK"]
    path = tmp_path / "long.pdf"
    write_letters_pdf([letter(name=name, address_lines=lines)], path)
    text = " ".join(page_texts(path)[0].split())
    assert name in text and all(line in text for line in lines)


def test_a_letter_abroad_ends_its_address_with_the_country_in_capitals_and_names_the_senders_country(tmp_path: Path) -> None:
    path = tmp_path / "abroad.pdf"
    info = write_letters_pdf([letter("n", country="NO", address_lines=["Fjordglimtveien 12", "0150 Oslo"]),
                              letter("g", country="GB", address_lines=["14 Kestrel Road", "BRISTOL", "BS1 4DJ"]),
                              letter("d")], path)
    norway, britain, home = (" ".join(t.split()) for t in page_texts(path))
    assert "0150 Oslo NORGE" in norway and "8000 Aarhus C · DANMARK" in norway  # return line: the sender's country
    assert "BS1 4DJ STORBRITANNIEN" in britain
    assert "DANMARK" not in home and "NORGE" not in home  # a letter at home has no country line
    assert [d.country for d in info.deliveries] == ["NO", "GB", "DK"]
    assert address_block(letter("n", country="NO", address_lines=["Fjordglimtveien 12", "0150 Oslo"]))[-1] == "NORGE"
    assert country_line("DK", sender_country="NO") == "DANMARK" and country_line("GB", sender_country="IE") == "UNITED KINGDOM"


def test_the_company_number_is_labelled_and_the_date_is_the_controllers() -> None:
    assert org_number_text(SENDER) == "CVR-nr. DK12345678"
    norwegian = SENDER.model_copy(update={"country": "NO", "org_number": "912 345 678"})
    assert org_number_text(norwegian) == "Org.nr. 912 345 678"
    just_after_midnight = dt.datetime(2026, 11, 20, 23, 30, tzinfo=dt.UTC)  # 00:30 on 21 November in Copenhagen
    assert instants.local_date(just_after_midnight, tz="Europe/Copenhagen") == dt.date(2026, 11, 21)


def _blocks(page: list[Any]) -> list[str]:
    """The page's blocks in order: heading, bullet (its wrapped lines belong to it) or text."""
    out: list[str] = []
    for font, indent, starts_bullet, text in page:
        if not text:
            continue
        if starts_bullet:
            out.append("bullet")
        elif indent and out and out[-1] == "bullet":
            continue  # the wrapped rest of a bullet
        else:
            out.append("heading" if font == FONT_BOLD else "text")
    return out


def test_no_page_break_leaves_a_heading_alone_or_a_lone_last_bullet_on_the_next_page() -> None:
    splits = 0
    for filler in range(0, 90):
        body = ("Indledning med lidt tekst. " * filler + "\n\n## Hvad kan du selv gøre?\n- Første råd om adgangskoder og andre "
                "tjenester, hvor du bruger den samme.\n- Andet råd.\n- Tredje råd.\n- Fjerde råd.\n- Femte råd.\n\n"
                "## Har du spørgsmål?\nSkriv til os.\n\n"
                + "Afslutning. " * 30)
        pages = [_blocks(page) for page in layout_body(body)]
        for before, page in zip(pages, pages[1:], strict=False):
            assert before[-1] != "heading", filler
            if page[0] == "bullet" and before[-1] == "bullet":
                splits += 1
                leading = len(page) if all(b == "bullet" for b in page) else next(i for i, b in enumerate(page) if b != "bullet")
                assert leading >= 2, f"a lone last bullet starts page 2 (filler {filler})"
    assert splits > 0  # the sweep really breaks inside the list somewhere


@pytest.mark.parametrize("paragraphs", [3, 9, 18, 33])
def test_letters_that_differ_only_in_the_name_share_a_page_plan_yet_keep_their_own_words(paragraphs: int) -> None:
    from notices.letters.pdf import _page_plan
    _page_plan.cache_clear()
    body = long_body(paragraphs)
    bodies = [f"Kære {name},\n\n{body}" for name in ("Bo", "Søren Ærø-Ødegård", "Åse Lund")]
    layouts = [layout_body(text) for text in bodies]
    assert _page_plan.cache_info().misses == 1 and _page_plan.cache_info().hits == 2  # one plan, found again twice
    for text, pages, name in zip(bodies, layouts, ("Bo", "Søren Ærø-Ødegård", "Åse Lund"), strict=True):
        assert pages[0][0][3] == f"Kære {name},"  # each letter keeps its own greeting
        words = [w for page in pages for line in page for w in line[3].split()]
        assert words == [w for line in text.splitlines() for w in line.removeprefix("## ").removeprefix("- ").split()]
    assert [len(page) for page in layouts[0]] == [len(page) for page in layouts[1]] == [len(page) for page in layouts[2]]
    long_greeting = layout_body("Kære " + "Maximiliane " * 30 + ",\n\n" + body)  # wraps to more lines: its own plan
    assert _page_plan.cache_info().misses == 2 and sum(len(p) for p in long_greeting) > sum(len(p) for p in layouts[0])
