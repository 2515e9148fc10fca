"""The public cases and how their verdicts are scored (tests/fixtures/contracts/ASSESSMENT.md)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from tests.conftest import FIXTURES, case_paths

QUESTIONS = ("notify_authority", "notify_subjects")
INDEX = FIXTURES / "cases" / "INDEX.json"


def load_case(path: Path) -> dict[str, Any]:
    """One case file as a dict."""
    return json.loads(path.read_text(encoding="utf-8"))


def all_cases() -> list[dict[str, Any]]:
    """Every public case, old and new."""
    return [load_case(path) for path in case_paths()]


@lru_cache(maxsize=1)
def index() -> dict[str, Any]:
    """tests/fixtures/cases/INDEX.json."""
    return json.loads(INDEX.read_text(encoding="utf-8"))


def contested_ids() -> set[str]:
    """Cases whose verdict conflicts with cited sources (INDEX.json `contested`)."""
    return {row["id"] for row in index()["cases"] if row["contested"]}


def verdict(contract: dict[str, Any], question: str) -> bool:
    """The engine's answer: the Art. 34 duty is met by individual notices, a public communication or a subset."""
    if question == "notify_subjects":
        return bool(contract["notify_subjects"] or contract["public_communication"] or contract.get("notify_subjects_subset"))
    return bool(contract[question])
