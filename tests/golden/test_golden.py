"""Golden files: what people and authorities read, for the demo and four more breaches, compared byte for byte.

Each case's e-mails (da, nb, en; text and HTML), the first page of a letter (PNG, drawn by pdftoppm) and
the DK and NO filing packs (Markdown) are kept under tests/golden/<case>/ and were reviewed by eye.
A change to a template, a data table or the layout changes them: look at the new files, then rewrite
them on purpose with

    BREACH_UPDATE_GOLDEN=1 .venv/bin/pytest tests/golden

and review the diff (and every changed PNG) before committing. The content checker must pass on
every golden draft.
"""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image, ImageChops

from tests.golden.build import CASES, GOLDEN, build

pytestmark = pytest.mark.unit
UPDATE = os.environ.get("BREACH_UPDATE_GOLDEN") == "1"
EXPECTED_FILES = ({f"email.{lang}.{ext}" for lang in ("da", "nb", "en") for ext in ("txt", "html")}
                  | {"pack.dk.md", "pack.no.md", "assessment.json"})


@pytest.mark.parametrize("case", sorted(CASES))
def test_golden_outputs_are_unchanged_and_pass_the_content_checker(case: str) -> None:
    out = build(case)
    assert out.findings == [], f"{case}: the content checker found {[f.as_dict() for f in out.findings]}"
    folder = GOLDEN / case
    if UPDATE:
        folder.mkdir(parents=True, exist_ok=True)
        for name, data in out.files.items():
            (folder / name).write_bytes(data)
    assert set(out.files) >= EXPECTED_FILES and any(name.endswith(".page1.png") for name in out.files)
    for name, data in out.files.items():
        path = folder / name
        assert path.is_file(), f"missing golden file {path} (write it with BREACH_UPDATE_GOLDEN=1 and review it)"
        if name.endswith(".png"):
            _same_picture(path.read_bytes(), data, name=f"{case}/{name}")
        else:
            assert path.read_bytes() == data, f"{case}/{name} changed; review it, then BREACH_UPDATE_GOLDEN=1 (tests/golden/test_golden.py)"


def _same_picture(kept: bytes, made: bytes, *, name: str) -> None:
    """Pixel for pixel (PNG encoders may differ in bytes, not in pixels)."""
    old, new = Image.open(io.BytesIO(kept)).convert("RGB"), Image.open(io.BytesIO(made)).convert("RGB")
    assert old.size == new.size, f"{name}: page size changed"
    assert ImageChops.difference(old, new).getbbox() is None, f"{name}: the page looks different; review it, then BREACH_UPDATE_GOLDEN=1"


def test_a_seeded_english_sentence_in_a_danish_golden_e_mail_is_caught() -> None:
    from notices.content.checks import check_text

    text = (GOLDEN / "demo" / "email.da.txt").read_text(encoding="utf-8")
    assert check_text(text, "da", where="golden") == []
    seeded = text.replace("Hvad har vi gjort?\n", "Hvad har vi gjort?\nWe revoked the leaked API token and rotated every credential.\n")
    assert [f.code for f in check_text(seeded, "da", where="golden")] == ["language"]
