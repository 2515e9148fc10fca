"""Golden files for the worked examples: what a person or an authority reads, checked by eye once and committed.

``check(name, text)`` compares ``text`` with ``tests/examples/golden/<name>``; a missing golden file fails.
Run with ``BREACH_UPDATE_GOLDEN=1`` to (re)write them, then read the diff before committing it.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

GOLDEN = Path(__file__).resolve().parent / "golden"


def normalised(text: str, incident_id: str) -> str:
    """The text with the incident id (numbered per test database) replaced by a fixed one."""
    return text.replace(incident_id, "BR-2026-0001")


def check(name: str, text: str) -> None:
    """Assert ``text`` equals the golden file ``name`` (or write it when BREACH_UPDATE_GOLDEN=1)."""
    path = GOLDEN / name
    if os.environ.get("BREACH_UPDATE_GOLDEN") == "1":
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.is_file(), f"golden file {path} is missing; run with BREACH_UPDATE_GOLDEN=1, read it, commit it"
    expected = path.read_text(encoding="utf-8")
    assert text == expected, f"{name} differs from its golden file (BREACH_UPDATE_GOLDEN=1 rewrites it; read the diff)"


def pdf_text(pdf: Path, *, first: int = 1, last: int | None = None) -> str:
    """The text of a PDF's pages by poppler's pdftotext, in reading layout."""
    args = ["pdftotext", "-layout", "-f", str(first)] + (["-l", str(last)] if last else []) + [str(pdf), "-"]
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def first_page_png(pdf: Path, out: Path) -> Path:
    """The PDF's first page as a 100 dpi PNG by pdftoppm (to look at; the text is what is compared)."""
    subprocess.run(["pdftoppm", "-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(out.with_suffix(""))], check=True)
    return out.with_suffix(".png")


def keep_picture(name: str, png: Path) -> None:
    """Keep a rendered page beside the golden files when updating them (for the eye; never compared byte for byte)."""
    if os.environ.get("BREACH_UPDATE_GOLDEN") == "1":
        (GOLDEN / name).write_bytes(png.read_bytes())
