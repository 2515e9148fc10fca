"""Print-ready A4 letters (DIN 5008 type B) drawn with reportlab's low-level canvas.

Platypus lays out a page in Python objects per paragraph; a batch of a hundred thousand
letters that differ only in the name and address does not need that. Here a letter is laid
out once into lines (wrapped paragraphs are cached, so the shared body text is measured once
per batch), then drawn with one text object per block. Many letters go into one PDF; each
starts on a new page, and ``LetterBatchInfo`` says which pages belong to which delivery so a
print-and-post service can split, fold and frank them.

Body text conventions: a blank line separates paragraphs, a line starting with ``## `` is a
heading, a line starting with ``- `` is a bullet.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path
from typing import Literal

import reportlab
from babel import Locale
from babel.dates import format_date
from pydantic import BaseModel, Field
from reportlab import rl_config
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas

from breach.controller import ControllerProfile
from breach.enums import NoticeKind
from notices.output import atomic_output, neutralise
from notices.params import LOCALES, load_table

FONT, FONT_BOLD = "NoticeSans", "NoticeSans-Bold"
_FONTS = Path(__file__).resolve().parent.parent / "fonts"  # notices/fonts, shared with the filing pack
_FONT_CANDIDATES = (
    (_FONTS / "DejaVuSans.ttf", _FONTS / "DejaVuSans-Bold.ttf"),
    (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")),
    (Path(reportlab.__file__).parent / "fonts" / "Vera.ttf", Path(reportlab.__file__).parent / "fonts" / "VeraBd.ttf"),
)
PAGE_W, PAGE_H = A4
LEFT, RIGHT = 25 * mm, PAGE_W - 20 * mm
BODY_SIZE, LEADING = 10, 14
FIRST_BODY_TOP, NEXT_BODY_TOP, BODY_BOTTOM = 113 * mm, 30 * mm, 272 * mm
BULLET_INDENT = 5 * mm
MANIFEST_COLUMNS = ("delivery_id", "pdf_file", "first_page", "page_count", "country")
_LABELS = {
    "da": {"page": "Side {n} af {total}", "ref": "Vores reference", "date": "Dato", "phone": "Telefon", "email": "E-mail"},
    "nb": {"page": "Side {n} av {total}", "ref": "Vår referanse", "date": "Dato", "phone": "Telefon", "email": "E-post"},
    "en": {"page": "Page {n} of {total}", "ref": "Our reference", "date": "Date", "phone": "Phone", "email": "E-mail"},
    "nl": {"page": "Pagina {n} van {total}", "ref": "Ons kenmerk", "date": "Datum", "phone": "Telefoon", "email": "E-mail"},
    "en-US": {"page": "Page {n} of {total}", "ref": "Our reference", "date": "Date", "phone": "Phone", "email": "Email"},
}


# The language of the post office that takes the letter in: the destination country is named in it.
POSTING_LANGUAGE = {"DK": "da", "NO": "nb", "SE": "sv", "NL": "nl", "DE": "de", "FI": "fi", "FR": "fr"}


@lru_cache(maxsize=512)
def country_name(code: str, *, sender_country: str) -> str:
    """A country's name in capitals, in the language of the sender's country (else English), e.g. NORGE."""
    language = POSTING_LANGUAGE.get(sender_country, "en")
    return str(Locale.parse(language).territories.get(code, code)).upper()


def country_line(country: str | None, *, sender_country: str) -> str | None:
    """The last address line of a letter abroad, or None at home.

    The destination country is written in capitals on the last line of the address, in the
    language of the country of posting or an internationally known one (UPU addressing
    recommendation as put in the EU Interinstitutional Style Guide, 9.1.1,
    https://publications.europa.eu/code/da/da-390100.htm; Posten/Bring's examples from Norway:
    DANMARK, STORBRITANNIA, https://www.bring.no/tjenester/klargjoring/adressering-til-mottakere-i-utlandet;
    read 2026-12-05). A letter from Denmark to Norway ends with NORGE, to the UK with STORBRITANNIEN.
    """
    if not country or country == sender_country:
        return None
    return country_name(country, sender_country=sender_country)


def org_number_text(sender: ControllerProfile) -> str | None:
    """The company number with its national label, e.g. 'CVR-nr. 41975208', 'Org.nr. 912345678'."""
    if not sender.org_number:
        return None
    labels = load_table("notice_words")["letter"]["org_number"]
    return str(labels.get(sender.country, labels["other"])).format(number=sender.org_number)


class Letter(BaseModel):
    """One personalised letter to one person."""

    delivery_id: str
    language: Literal["da", "nb", "en", "nl", "en-US"]
    recipient_name: str
    address_lines: list[str] = Field(description="Postal address below the name, one line each")
    subject: str
    body_text: str
    sender: ControllerProfile
    date: dt.date
    reference: str
    country: str | None = Field(default=None, description="Recipient's ISO country for postage; default sender's")


class LetterPages(BaseModel):
    """Where one delivery's letter sits in a batch PDF (1-based page numbers)."""

    delivery_id: str
    first_page: int
    last_page: int
    page_count: int
    country: str


class LetterBatchInfo(BaseModel):
    """What a batch PDF holds: its file name, the letter and page counts, and each delivery's pages."""

    file_name: str
    letters: int
    pages: int
    deliveries: list[LetterPages]


@lru_cache(maxsize=1)
def register_fonts() -> tuple[str, str]:
    """Register a Unicode TTF pair (bundled or system DejaVu, else reportlab's Vera); return the names."""
    for regular, bold in _FONT_CANDIDATES:
        if regular.is_file() and bold.is_file():
            pdfmetrics.registerFont(TTFont(FONT, str(regular)))
            pdfmetrics.registerFont(TTFont(FONT_BOLD, str(bold)))
            return FONT, FONT_BOLD
    raise FileNotFoundError("no TTF font found for letters (DejaVu or reportlab's Vera)")


def letter_file_name(incident_id: str, kind: NoticeKind | str, batch_no: int) -> str:
    """The batch PDF name, e.g. 'BR-2026-0007_subject_notice_0003.pdf'."""
    if batch_no < 0:
        raise ValueError("batch_no must not be negative")
    safe_id = re.sub(r"[^A-Za-z0-9._-]+", "_", incident_id).strip("._") or "incident"
    return f"{safe_id}_{NoticeKind(kind).value}_{batch_no:04d}.pdf"


@lru_cache(maxsize=4096)
def wrap(text: str, font: str, size: float, width: float) -> tuple[str, ...]:
    """Greedy word wrap measured in the font; a word wider than the line is cut by characters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if pdfmetrics.stringWidth(candidate, font, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = word
        while pdfmetrics.stringWidth(current, font, size) > width and len(current) > 1:
            cut = next(i for i in range(len(current), 0, -1) if pdfmetrics.stringWidth(current[:i], font, size) <= width)
            lines.append(current[: max(cut, 1)])
            current = current[max(cut, 1) :]
    return tuple(lines + [current] if current else lines)


Line = tuple[str, float, bool, str]  # font, indent, starts a bullet, text


@lru_cache(maxsize=1024)
def _layout_paragraph(line: str, width: float) -> tuple[Line, ...]:
    """One source line as drawn lines; a bullet's first line carries the dot."""
    if line.startswith("## "):
        return tuple((FONT_BOLD, 0.0, False, part) for part in wrap(line[3:], FONT_BOLD, BODY_SIZE, width))
    if line.startswith("- "):
        parts = wrap(line[2:], FONT, BODY_SIZE, width - BULLET_INDENT)
        return tuple((FONT, BULLET_INDENT, i == 0, part) for i, part in enumerate(parts))
    return tuple((FONT, 0.0, False, part) for part in wrap(line, FONT, BODY_SIZE, width))


_BLANK: tuple[Line, ...] = ((FONT, 0.0, False, ""),)
_CAPACITY = (int((BODY_BOTTOM - FIRST_BODY_TOP) // LEADING), int((BODY_BOTTOM - NEXT_BODY_TOP) // LEADING))


def _kind(block: tuple[Line, ...]) -> str:
    """blank, heading, bullet or text."""
    first = block[0]
    return "blank" if not first[3] else "heading" if first[0] == FONT_BOLD else "bullet" if first[2] else "text"


def _keeps_with_next(kinds: list[str], texts: list[str]) -> list[bool]:
    """Which blocks stay on the page of the block after them: a heading (never alone at a page's
    foot), a lead-in ending with ':' before its list, and a list's last-but-one item (so a page
    never starts with one lone bullet that ends the list above)."""
    keep = []
    for i, kind in enumerate(kinds):
        nxt = kinds[i + 1] if i + 1 < len(kinds) else ""
        after = kinds[i + 2] if i + 2 < len(kinds) else ""
        keep.append(kind == "heading" or (kind == "text" and nxt == "bullet" and texts[i].endswith(":"))
                    or (kind == "bullet" and nxt == "bullet" and after != "bullet"))
    return keep


def _needed(sizes: Sequence[int], keep: list[bool], i: int) -> int:
    """Lines that must fit on the page for block i to start there: its chain of kept-together blocks,
    the last one whole when short (at most 3 lines) or by its first two lines (``sizes``: each block's lines)."""
    need, j = 0, i
    while keep[j] and j + 1 < len(sizes):
        need += sizes[j]
        j += 1
    last = sizes[j]
    return need + (last if last <= 3 else 2)


# A block's shape: whether each of its lines has text, its kind, whether its text ends with ':' (a lead-in).
Shape = tuple[tuple[bool, ...], str, bool]


def layout_body(body_text: str) -> list[list[Line]]:
    """Break the body into pages of lines: a heading stays with its first lines, a short block is not
    split, and a list never leaves a lone last item at the top of the next page."""
    register_fonts()
    blocks = [_layout_paragraph(line.rstrip(), RIGHT - LEFT) if line.strip() else _BLANK
              for line in body_text.strip().splitlines()]
    shapes = tuple((tuple(bool(line[3]) for line in block), _kind(block), " ".join(line[3] for line in block).endswith(":"))
                   for block in blocks)
    count, plan = _page_plan(shapes)
    pages: list[list[Line]] = [[] for _ in range(count)]
    for page, line in zip(plan, (line for block in blocks for line in block), strict=True):
        if page >= 0:
            pages[page].append(line)
    return pages


@lru_cache(maxsize=256)
def _page_plan(shapes: tuple[Shape, ...]) -> tuple[int, tuple[int, ...]]:
    """The number of pages and the page of each line (-1: a blank line left out at the top of a page).

    Pagination depends only on the blocks' shapes, not on their words: the letters of one notice,
    whose greetings differ in the name, share one plan whenever their blocks wrap to the same lines.
    """
    kinds = [kind for _, kind, _ in shapes]
    sizes = [len(lines) for lines, _, _ in shapes]
    keep = _keeps_with_next(kinds, [":" if colon else "" for _, _, colon in shapes])
    filled, plan = [0], []  # lines on each page so far; the page of each line
    for i, (lines, kind, _) in enumerate(shapes):
        room = _CAPACITY[min(len(filled) - 1, 1)] - filled[-1]
        starts_chain = i == 0 or not keep[i - 1]
        if filled[-1] and kind != "blank" and starts_chain and _needed(sizes, keep, i) > room:
            filled.append(0)
        for has_text in lines:
            if filled[-1] >= _CAPACITY[min(len(filled) - 1, 1)]:
                filled.append(0)
            if has_text or filled[-1]:  # no blank line at the top of a page
                plan.append(len(filled) - 1)
                filled[-1] += 1
            else:
                plan.append(-1)
    return len(filled), tuple(plan)


def _lines(canvas: Canvas, x: float, top: float, lines: Iterable[str], *, font: str, size: float, leading: float) -> None:
    """Draw lines downward from ``top`` (mm from the page top, in points) with one text object."""
    text = canvas.beginText(x, PAGE_H - top)
    text.setFont(font, size, leading)
    for line in lines:
        text.textLine(line)
    canvas.drawText(text)


def _abroad(letter: Letter) -> bool:
    return bool(letter.country and letter.country != letter.sender.country)


def _return_line(letter: Letter) -> str:
    """The sender's one-line return address above the recipient; abroad it names the sender's country."""
    sender = letter.sender
    home = [country_name(sender.country, sender_country=sender.country)] if _abroad(letter) else []
    return " \u00b7 ".join([sender.name, *sender.address_lines, *home])


class _Forms:
    """Form XObjects: content shared by many pages is drawn once per batch and placed by reference."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.names: dict[Hashable, str] = {}

    def place(self, key: Hashable, draw: Callable[[Canvas], None]) -> None:
        """Place the form for ``key``, drawing it with ``draw`` the first time it is needed."""
        name = self.names.get(key)
        if name is None:
            name = self.names[key] = f"F{len(self.names)}"
            self.canvas.beginForm(name)
            draw(self.canvas)
            self.canvas.endForm()
        self.canvas.doForm(name)


def _sender_key(letter: Letter) -> tuple[Hashable, ...]:
    """Everything the static first-page head shows, as a cache key."""
    s = letter.sender
    return (letter.language, letter.reference, letter.date, letter.subject, s.name, tuple(s.address_lines),
            s.contact_phone, s.contact_email, s.website, _abroad(letter))


def _draw_head(canvas: Canvas, letter: Letter) -> None:
    """Letterhead, return line, sender block, subject and fold marks: the same for a whole batch."""
    s, labels = letter.sender, _LABELS[letter.language]
    _lines(canvas, LEFT, 22 * mm, [s.name], font=FONT_BOLD, size=15, leading=18)
    _lines(canvas, LEFT, 48.5 * mm, [_return_line(letter)], font=FONT, size=7, leading=8)
    canvas.setLineWidth(0.3)
    canvas.line(LEFT, PAGE_H - 49.7 * mm, LEFT + 80 * mm, PAGE_H - 49.7 * mm)
    block = [*s.address_lines, ""]
    block += [f"{labels['phone']}: {s.contact_phone}"] if s.contact_phone else []
    block += [f"{labels['email']}: {s.contact_email}"] + ([s.website] if s.website else [])
    block += [org] if (org := org_number_text(s)) else []
    block += ["", f"{labels['ref']}: {letter.reference}", f"{labels['date']}: {_date_text(letter)}"]
    _lines(canvas, 125 * mm, 53 * mm, [s.name], font=FONT_BOLD, size=8.5, leading=11)
    _lines(canvas, 125 * mm, 53 * mm + 11, block, font=FONT, size=8.5, leading=11)
    subject = wrap(letter.subject, FONT_BOLD, 11, RIGHT - LEFT)
    _lines(canvas, LEFT, 101 * mm, subject, font=FONT_BOLD, size=11, leading=14)
    for y_mm, length in ((105, 5), (148.5, 8), (210, 5)):  # fold, hole and fold marks (DIN 5008 type B)
        canvas.line(4 * mm, PAGE_H - y_mm * mm, (4 + length) * mm, PAGE_H - y_mm * mm)


def address_block(letter: Letter) -> list[str]:
    """The recipient's address as printed: name, address lines and, abroad, the country in capitals last."""
    entries = [" ".join(entry.split()) for entry in [letter.recipient_name, *letter.address_lines] if entry.strip()]
    country = country_line(letter.country, sender_country=letter.sender.country)
    return entries + ([country] if country and (not entries or entries[-1] != country) else [])


def _address_lines(letter: Letter) -> tuple[float, list[str]]:
    """Font size and lines for the address zone: shrink to fit 27 mm rather than cut a line (the
    country line, last, is never the one cut)."""
    entries = address_block(letter)
    for size in (10, 9, 8, 7):
        lines = [line for entry in entries for line in wrap(entry, FONT, size, 80 * mm)]
        if (len(lines) - 1) * size * 1.2 <= 23 * mm:
            return size, lines
    room = int(23 * mm // (7 * 1.2)) + 1
    return 7, lines[: room - 1] + lines[-1:]


def _draw_address(canvas: Canvas, letter: Letter) -> None:
    """The recipient in the window's address zone (DIN 5008 type B: 45 mm from the top, 85 x 45 mm)."""
    size, lines = _address_lines(letter)
    _lines(canvas, LEFT, 66 * mm, lines, font=FONT, size=size, leading=size * 1.2)


def _date_text(letter: Letter) -> str:
    """The letter's date in words for its language."""
    return format_date(letter.date, "long", locale=LOCALES[letter.language])


def _draw_body(canvas: Canvas, entries: Iterable[tuple[int, Line]], top: float) -> None:
    """Body lines at their line numbers below ``top``, bullets with a hanging indent."""
    text = canvas.beginText(LEFT, PAGE_H - top)
    current = ""
    for number, (font, indent, bullet, line) in entries:
        if font != current:
            text.setFont(font, BODY_SIZE, LEADING)
            current = font
        y = PAGE_H - top - number * LEADING
        if bullet:
            text.setTextOrigin(LEFT + indent - 3.5 * mm, y)
            text.textOut("\u2022")
        text.setTextOrigin(LEFT + indent, y)
        text.textOut(line)
    canvas.drawText(text)


def _draw_footer(canvas: Canvas, letter: Letter, n: int, total: int) -> None:
    """Sender line and 'Side n af m' at the foot of the page."""
    canvas.setFont(FONT, 8)
    canvas.drawRightString(RIGHT, PAGE_H - 287 * mm, _LABELS[letter.language]["page"].format(n=n, total=total))
    canvas.drawString(LEFT, PAGE_H - 287 * mm, " \u00b7 ".join(filter(None, [letter.sender.name, org_number_text(letter.sender)])))


def _draw_page(canvas: Canvas, forms: _Forms, letter: Letter, lines: list[Line], n: int, total: int) -> None:
    """One page; what repeats across letters comes from forms, the name and address are drawn directly."""
    top = FIRST_BODY_TOP if n == 1 else NEXT_BODY_TOP
    if n == 1:
        forms.place(("head", _sender_key(letter)), lambda c: _draw_head(c, letter))
        _draw_address(canvas, letter)
    else:
        running = [f"{letter.sender.name} \u00b7 {letter.reference}"]
        forms.place(("running", *running), lambda c: _lines(c, LEFT, 15 * mm, running, font=FONT, size=8, leading=10))
    name = " ".join(letter.recipient_name.split())
    personal = [(i, line) for i, line in enumerate(lines) if name and name in line[3]]
    shared = tuple((i, line) for i, line in enumerate(lines) if not (name and name in line[3]))
    forms.place(("body", top, shared), lambda c: _draw_body(c, shared, top))
    _draw_body(canvas, personal, top)
    foot_key = ("foot", letter.language, n, total, letter.sender.name, letter.sender.org_number)
    forms.place(foot_key, lambda c: _draw_footer(c, letter, n, total))
    canvas.showPage()


@contextmanager
def _binary_streams() -> Iterator[None]:
    """Skip ASCII85 on page streams while writing: it only inflates compressed data and costs time."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def write_letters_pdf(letters: Iterable[Letter], path: Path) -> LetterBatchInfo:
    """Write many letters into one PDF, each from a new page, atomically (temp file + os.replace)."""
    register_fonts()
    path = Path(path)
    deliveries: list[LetterPages] = []
    page_no = 0
    with atomic_output(path) as tmp, _binary_streams():
        canvas = Canvas(str(tmp), pagesize=A4, pageCompression=1)
        canvas.setTitle(path.stem)
        forms = _Forms(canvas)
        for letter in letters:
            pages = layout_body(letter.body_text)
            for n, lines in enumerate(pages, start=1):
                _draw_page(canvas, forms, letter, lines, n, len(pages))
            country = letter.country or letter.sender.country
            deliveries.append(LetterPages(delivery_id=letter.delivery_id, first_page=page_no + 1,
                                          last_page=page_no + len(pages), page_count=len(pages), country=country))
            page_no += len(pages)
        if not deliveries:
            raise ValueError("no letters to write")
        canvas.save()
    return LetterBatchInfo(file_name=path.name, letters=len(deliveries), pages=page_no, deliveries=deliveries)


def write_manifest_csv(infos: Iterable[LetterBatchInfo], path: Path) -> int:
    """Write the print-and-post manifest (no names or addresses); return the number of rows."""
    rows = 0
    with atomic_output(Path(path)) as tmp:
        with open(tmp, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(MANIFEST_COLUMNS)
            for info in infos:
                for d in info.deliveries:
                    cells = (d.delivery_id, info.file_name, d.first_page, d.page_count, d.country)
                    writer.writerow([neutralise(str(cell)) for cell in cells])
                    rows += 1
    return rows
