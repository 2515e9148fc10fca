"""The US law report in docs/us-law.md is generated from the rule pack, and it lists unverified entries."""

from __future__ import annotations

import copy
import json
from importlib import resources
from pathlib import Path

import pytest

from breach.jurisdictions.us.rules import load_rules
from scripts import us_law_report

pytestmark = pytest.mark.unit

DOC = Path(__file__).resolve().parents[4] / "docs" / "us-law.md"


def test_the_document_carries_the_current_generated_report() -> None:
    assert us_law_report.main(["--check", str(DOC)]) == 0, "run: python scripts/us_law_report.py --write docs/us-law.md"


def test_unverified_entries_are_listed(tmp_path: Path) -> None:
    document = copy.deepcopy(json.loads(resources.files("breach").joinpath("data/us_breach_laws.json").read_text(encoding="utf-8")))
    next(e for e in document["jurisdictions"] if e["code"] == "ND").update(verified=False, confidence="low", notes="Not read.")
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    text = us_law_report.report(load_rules(path))
    section = text.split("### Unverified entries")[1].split("###")[0]
    assert "| ND | North Dakota | low |" in section
    for entry in load_rules(path).jurisdictions:
        assert (f"| {entry.code} | {entry.name} |" in section) is (not entry.verified)


def test_a_stale_document_is_detected(tmp_path: Path) -> None:
    stale = tmp_path / "us-law.md"
    stale.write_text(f"prose\n{us_law_report.BEGIN}\nold numbers\n{us_law_report.END}\n", encoding="utf-8")
    assert us_law_report.main(["--check", str(stale)]) == 1
    assert us_law_report.main(["--write", str(stale)]) == 0
    assert us_law_report.main(["--check", str(stale)]) == 0
