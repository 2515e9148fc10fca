"""Benchmark print-ready letters: N letters through notices.letters.pdf (reportlab, batch files of 1,000, one
process per core), against the same letter through HTML -> PDF (WeasyPrint) for a sample.

    .venv/bin/python bench/letters.py --letters 100000

Prints JSON: letters, seconds (median of --runs), per_second, peak_rss_mb, html_route_per_second, ratio.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import json
import os
import resource
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import _common as c

BATCH = 1000


def _letters(start: int, stop: int) -> list:
    from breach.controller import load_profile
    from notices.letters.pdf import Letter
    profile = load_profile(c.REPO / "breach" / "examples" / "controller.json")
    body = ("We are writing to tell you that a copy of our customer database was taken by an attacker.\n\n"
            "What happened, what it means for you and what we have done is set out below.\n\n") * 6
    out = []
    for i, (name, _email, language, country) in enumerate(c.synthetic_people(stop - start, seed=start), start=start):
        out.append(Letter(delivery_id=str(i), language=language, recipient_name=name,
                          address_lines=[f"Nordlysvej {i % 180 + 1}", "8000 Aarhus C"], subject="A breach of your data",
                          body_text=f"Dear {name},\n\n" + body, sender=profile, date=dt.date(2026, 11, 22),
                          reference="BR-2026-0001", country=country))
    return out


def _render(args: tuple[int, int, str]) -> int:
    from notices.letters.pdf import write_letters_pdf
    start, stop, folder = args
    info = write_letters_pdf(_letters(start, stop), Path(folder) / f"letters-{start:07d}.pdf")
    return info.letters


def direct(n: int, workers: int) -> float:
    folder = tempfile.mkdtemp(prefix="bench-letters-")
    started = time.perf_counter()
    jobs = [(s, min(s + BATCH, n), folder) for s in range(0, n, BATCH)]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        done = sum(pool.map(_render, jobs))
    assert done == n
    return time.perf_counter() - started


def html_route(sample: int) -> float | None:
    try:
        import weasyprint
    except Exception:  # not installed or its system libraries are missing
        return None
    letters = _letters(0, sample)
    started = time.perf_counter()
    for letter in letters:
        paragraphs = "".join(f"<p>{html.escape(p)}</p>" for p in letter.body_text.split("\n\n"))
        page = (f"<html><body style='font-family:DejaVu Sans;font-size:10pt'><div style='margin-top:45mm'>"
                f"{html.escape(letter.recipient_name)}<br>{'<br>'.join(map(html.escape, letter.address_lines))}</div>"
                f"<h3>{html.escape(letter.subject)}</h3>{paragraphs}</body></html>")
        weasyprint.HTML(string=page).write_pdf()
    return sample / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--letters", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--html-sample", type=int, default=20)
    args = parser.parse_args()
    times = [direct(args.letters, args.workers) for _ in range(args.runs)]
    seconds = c.median(times)
    peak = max(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss) / 1024
    html_rate = html_route(args.html_sample)
    per_second = args.letters / seconds
    print(json.dumps({"letters": args.letters, "runs": args.runs, "workers": args.workers, "seconds": round(seconds, 2),
                      "seconds_each": [round(t, 2) for t in times], "per_second": round(per_second, 1), "peak_rss_mb": round(peak, 1),
                      "html_route_per_second": None if html_rate is None else round(html_rate, 2), "html_sample": args.html_sample,
                      "ratio": None if not html_rate else round(per_second / html_rate, 1)}, indent=2))


if __name__ == "__main__":
    main()
