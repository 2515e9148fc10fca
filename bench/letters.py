"""Benchmark print-ready letters: N letters through notices.letters.pdf (reportlab, batch files of 1,000) against
the same letters through HTML -> PDF (WeasyPrint), both with the same number of worker processes.

    .venv/bin/python bench/letters.py --letters 100000 --html-letters 400 --workers 2

The letter is the same in both routes: letterhead, return line, sender block with reference and date,
the recipient in the window, subject, fold and hole marks, a two-page body with headings and bullets,
"Side n af m" with the sender line at the foot of every page and a running head on page 2. Each
route renders it in batches, each batch one PDF; the HTML route renders each letter as its own
document (so its page counter counts that letter's pages) and joins a batch's pages into one PDF.
Warm-up is excluded from both: every worker first renders one letter (imports, fonts) and the
clock starts when all have. Both routes check that every letter came out as two pages.

Prints JSON: letters, workers, seconds (median of --runs), per_second, pages_per_letter, peak_rss_mb,
html (letters, seconds, per_second, pages_per_letter, the same workers), ratio (reportlab rate / HTML rate),
goal_100k_in_90s (whether the reportlab route's rate makes 100,000 letters in 90 s).
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import multiprocessing
import os
import resource
import shutil
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c

BATCH = 1000
HTML_BATCH = 50
REFERENCE, DATE = "BR-2026-0001", dt.date(2026, 11, 22)
PARAGRAPH = ("On 18 November 2026 we found that an attacker had copied part of our booking database. The copy held "
             "your name, your postal address, your e-mail address and the dates of your bookings with us.")
SECTIONS = [
    ("What happened", [PARAGRAPH, "We closed the access the same day and reported the breach to the Danish Data Protection Agency."]),
    ("What it means for you", [PARAGRAPH, "- Be careful with e-mails, letters and calls that mention your bookings.",
                               "- Never give a password or a card number to someone who contacts you unasked.",
                               "- Tell your bank if you see payments you do not recognise."]),
    ("What we have done", [PARAGRAPH, "- We changed every password and key the attacker could have seen.",
                           "- We asked an independent firm to examine our systems.",
                           "- We will tell you again if we learn that your data was used."]),
    ("What you can do", [PARAGRAPH, PARAGRAPH]),
    ("Questions", ["Our data protection officer answers questions about this letter by e-mail and by phone on "
                   "weekdays from 9 to 16. You may also complain to the Danish Data Protection Agency."]),
]


def body_text(name: str) -> str:
    """The letter's body (a blank line between paragraphs, '## ' headings, '- ' bullets): two pages."""
    blocks = [f"Dear {name},", PARAGRAPH]
    for heading, paragraphs in SECTIONS:
        blocks += [f"## {heading}", *(p for p in paragraphs if not p.startswith("- "))]
        if bullets := [p for p in paragraphs if p.startswith("- ")]:
            blocks.append("\n".join(bullets))
    blocks.append("Yours sincerely,\nKaroline Vesterdal, Nordlys Bookings ApS")
    return "\n\n".join(blocks)


def letters(start: int, stop: int) -> list[Any]:
    """Letters to invented people (delivery ids start..stop-1)."""
    from breach.controller import load_profile
    from notices.letters.pdf import Letter
    profile = load_profile(c.REPO / "breach" / "examples" / "controller.json")
    out = []
    for i, (name, _email, language, country) in enumerate(c.synthetic_people(stop - start, seed=start), start=start):
        out.append(Letter(delivery_id=str(i), language=language, recipient_name=name,
                          address_lines=[f"Nordlysvej {i % 180 + 1}", "8000 Aarhus C"], subject="A breach of your personal data",
                          body_text=body_text(name), sender=profile, date=DATE, reference=REFERENCE, country=country))
    return out


# -- the HTML route ----------------------------------------------------------------------------------------------

_CSS = """
@page { size: A4; margin: 30mm 20mm 25mm 25mm;
  @bottom-left { content: "%(footer)s"; font: 8pt "DejaVu Sans"; vertical-align: top; padding-top: 13mm; }
  @bottom-right { content: "%(page)s"; font: 8pt "DejaVu Sans"; vertical-align: top; padding-top: 13mm; }
  @top-left { content: "%(running)s"; font: 8pt "DejaVu Sans"; vertical-align: bottom; padding-bottom: 12mm; } }
@page :first { margin-top: 0; @top-left { content: none; } }
body { font: 10pt/14pt "DejaVu Sans"; margin: 0; }
.abs { position: absolute; margin: 0; }
.head { left: 0; top: 16mm; font: bold 15pt/18pt "DejaVu Sans"; }
.return { left: 0; top: 46mm; font: 7pt/8pt "DejaVu Sans"; border-bottom: 0.3pt solid black; width: 80mm; }
.address { left: 0; top: 62mm; width: 80mm; }
.sender { left: 100mm; top: 50mm; font: 8.5pt/11pt "DejaVu Sans"; }
.fold { left: -21mm; width: 5mm; border-top: 0.3pt solid black; }
.body { padding-top: 97mm; }
h3 { font: bold 11pt/14pt "DejaVu Sans"; margin: 0 0 14pt 0; }
h4 { font: bold 10pt/14pt "DejaVu Sans"; margin: 0 0 14pt 0; page-break-after: avoid; }
p, ul { margin: 0 0 14pt 0; } ul { padding-left: 5mm; }
"""


def _css_text(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def letter_html(letter: Any) -> str:
    """One letter as an HTML page laid out like notices.letters.pdf (DIN 5008 type B)."""
    from notices.letters.pdf import _LABELS, _date_text, _return_line, address_block
    s, e, labels = letter.sender, html.escape, _LABELS[letter.language]
    page = _css_text(labels["page"]).replace("{n}", '" counter(page) "').replace("{total}", '" counter(pages) "')
    css = _CSS % {"footer": _css_text(" · ".join(filter(None, [s.name, s.org_number]))), "page": page,
                  "running": _css_text(f"{s.name} · {letter.reference}")}
    sender = "<br>".join(e(x) for x in [*s.address_lines, "", f"{labels['phone']}: {s.contact_phone}",
                                          f"{labels['email']}: {s.contact_email}", s.website or "", "",
                                          f"{labels['ref']}: {letter.reference}", f"{labels['date']}: {_date_text(letter)}"])
    blocks = []
    for block in letter.body_text.split("\n\n"):
        if block.startswith("## "):
            blocks.append(f"<h4>{e(block[3:])}</h4>")
        elif block.startswith("- "):
            blocks.append("<ul>" + "".join(f"<li>{e(line[2:])}</li>" for line in block.splitlines()) + "</ul>")
        else:
            blocks.append("<p>" + "<br>".join(e(line) for line in block.splitlines()) + "</p>")
    folds = "".join(f'<div class="abs fold" style="top:{y}mm"></div>' for y in (105, 148.5, 210))
    return (f"<html><head><meta charset='utf-8'><style>{css}</style></head><body>"
            f'<div class="abs head">{e(s.name)}</div><div class="abs return">{e(_return_line(letter))}</div>'
            f'<div class="abs sender"><b>{e(s.name)}</b><br>{sender}</div>'
            f'<div class="abs address">{"<br>".join(e(x) for x in address_block(letter))}</div>{folds}'
            f'<div class="body"><h3>{e(letter.subject)}</h3>{"".join(blocks)}</div></body></html>')


def write_html_route_pdf(batch: list[Any], path: Path) -> list[int]:
    """Render each letter from HTML, join the batch's pages into one PDF; returns the pages per letter."""
    import weasyprint
    documents = [weasyprint.HTML(string=letter_html(letter)).render() for letter in batch]
    pages = [page for document in documents for page in document.pages]
    documents[0].copy(pages).write_pdf(str(path))
    return [len(d.pages) for d in documents]


# -- workers -----------------------------------------------------------------------------------------------------

def _warm(route: str, ready: Any) -> int:
    """Render one letter in this worker (imports, fonts, caches), then wait until every worker has."""
    folder = Path(tempfile.mkdtemp(prefix="bench-letters-warm-"))
    _render_batch((route, 0, 1, str(folder)))
    shutil.rmtree(folder, ignore_errors=True)
    ready.wait()
    return os.getpid()


def _render_batch(job: tuple[str, int, int, str]) -> list[int]:
    route, start, stop, folder = job
    batch = letters(start, stop)
    path = Path(folder) / f"letters-{route}-{start:07d}.pdf"
    if route == "html":
        return write_html_route_pdf(batch, path)
    from notices.letters.pdf import write_letters_pdf
    info = write_letters_pdf(batch, path)
    return [d.page_count for d in info.deliveries]


def run_route(route: str, n: int, workers: int, batch: int) -> dict[str, Any]:
    """Render n letters in batches over `workers` processes, warm-up excluded; seconds and pages per letter."""
    folder = tempfile.mkdtemp(prefix=f"bench-letters-{route}-")
    context = multiprocessing.get_context("fork")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        ready = context.Manager().Barrier(workers)
        warmed = {f.result() for f in [pool.submit(_warm, route, ready) for _ in range(workers)]}
        if len(warmed) != workers:
            raise RuntimeError("a worker was not warmed up")
        started = time.perf_counter()
        jobs = [(route, s, min(s + batch, n), folder) for s in range(0, n, batch)]
        pages = [p for result in pool.map(_render_batch, jobs) for p in result]
        seconds = time.perf_counter() - started
    shutil.rmtree(folder, ignore_errors=True)  # the PDFs were counted; 100,000 letters are some 100 MB
    if len(pages) != n:
        raise RuntimeError(f"{route}: {len(pages)} letters rendered, {n} asked")
    return {"seconds": seconds, "pages_per_letter": sorted(set(pages))}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--html-letters", type=int, default=400, help="letters through the HTML route per run")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    direct, through_html = [], []
    for run in range(args.runs):  # interleaved, the order alternating
        order = ("reportlab", "html") if run % 2 == 0 else ("html", "reportlab")
        for route in order:
            if route == "html":
                batch = max(1, min(HTML_BATCH, -(-args.html_letters // args.workers)))  # every worker gets some
                through_html.append(run_route("html", args.html_letters, args.workers, batch))
            else:
                direct.append(run_route("reportlab", args.letters, args.workers, BATCH))
    pages = sorted({p for r in direct + through_html for p in r["pages_per_letter"]})
    if pages != [2]:
        raise RuntimeError(f"the letter must come out as two pages in both routes, not {pages}")
    seconds, html_seconds = c.median([r["seconds"] for r in direct]), c.median([r["seconds"] for r in through_html])
    rate, html_rate = args.letters / seconds, args.html_letters / html_seconds
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(json.dumps({
        "benchmark": "letters", "letters": args.letters, "runs": args.runs, "workers": args.workers, "batch": BATCH,
        "seconds": round(seconds, 2), "seconds_each": [round(r["seconds"], 2) for r in direct], "per_second": round(rate, 1),
        "pages_per_letter": 2, "peak_rss_mb": round(peak, 1),
        "html": {"letters": args.html_letters, "workers": args.workers, "batch": min(HTML_BATCH, args.html_letters),
                 "seconds": round(html_seconds, 2),
                 "seconds_each": [round(r["seconds"], 2) for r in through_html], "per_second": round(html_rate, 2),
                 "pages_per_letter": 2},
        "ratio": round(rate / html_rate, 1), "seconds_for_100k": round(100_000 / rate, 1), "goal_100k_in_90s": 100_000 / rate <= 90,
    }, indent=2))


if __name__ == "__main__":
    main()
