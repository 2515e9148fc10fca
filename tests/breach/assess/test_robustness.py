"""Every public case keeps its verdict under plausible uncertainty in its facts (issue 15).

Counts (people, records, recipients) x0.8 and x1.25, durations +-25%, one recipient more or fewer.
A flip is a failure naming the case and the threshold crossed, unless every threshold crossed is a
bright line stated by its source (``bright_line`` in breach/data/thresholds.json).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from breach.assess import assess
from breach.assess.tables import Threshold, thresholds
from breach.facts import load_facts
from tests.breach.assess.public_cases import QUESTIONS, load_case, verdict
from tests.conftest import case_paths

pytestmark = pytest.mark.unit

COUNTS = ("subjects_affected", "records_affected", "recipients_count")
DURATIONS = ("unavailable_hours",)


def perturbations(facts: dict[str, Any]) -> Iterator[tuple[str, float, float]]:
    """(field, value, perturbed value) for every field the facts state."""
    for field in COUNTS:
        value = facts.get(field)
        if value is None:
            continue
        floor = 1 if value >= 1 else 0  # some recipients or people stay some
        moved = {max(floor, round(value * 0.8)), max(floor, round(value * 1.25))}
        if field == "recipients_count":
            moved |= {max(floor, value - 1), value + 1}
        yield from ((field, value, new) for new in sorted(moved - {value}))
    for field in DURATIONS:
        value = facts.get(field)
        if value is not None:
            yield from ((field, value, new) for new in (value * 0.75, value * 1.25))


def crossed(field: str, old: float, new: float) -> list[Threshold]:
    """The thresholds on this field whose test the change from old to new turns around."""
    return [t for t in thresholds().values() if t.field == field and t.holds(old) != t.holds(new)]


def flips(case: dict[str, Any]) -> list[str]:
    """Every perturbation that changes a verdict the authority gave, except across a bright line."""
    facts = case["facts"]
    base = assess(load_facts(facts)).to_contract()
    found = []
    for field, old, new in perturbations(facts):
        moved = assess(load_facts({**facts, field: new})).to_contract()
        changed = [q for q in QUESTIONS if case["expected"][q] is not None and verdict(base, q) != verdict(moved, q)]
        if not changed:
            continue
        lines = crossed(field, old, new)
        if lines and all(t.bright_line for t in lines):
            continue
        names = ", ".join(f"{t.name} = {t.value:g} (bright line: {t.bright_line})" for t in lines) or "no threshold on this field"
        found.append(f"{case['id']}: {field} {old:g} -> {new:g} flips {', '.join(changed)}; threshold crossed: {names}")
    return found


@pytest.mark.parametrize("path", case_paths(), ids=lambda path: path.stem)
def test_public_case_is_stable_under_plausible_uncertainty(path):
    assert flips(load_case(path)) == []


def test_the_check_catches_a_verdict_that_hangs_on_a_number_without_a_source():
    """A synthetic case sitting on mass_disclosure_from (not a bright line) is reported, naming the threshold."""
    at_line = thresholds()["mass_disclosure_from"].value
    case = {"id": "synthetic-mailing", "expected": {"notify_authority": True, "notify_subjects": True},
            "facts": {"summary": "A file sent to a wrong mailing list.", "breach_types": ["confidentiality"],
                      "cause": "human_error", "malicious": False, "data_categories": ["personal_data_other"],
                      "exfiltration": "none", "recipient": "untrusted", "recipients_count": int(at_line)}}
    reported = flips(case)
    assert reported and all("mass_disclosure_from" in line for line in reported)
    assert any("recipients_count 100 -> 99" in line for line in reported)


def test_a_bright_line_crossing_is_allowed_and_an_unsourced_flip_is_not():
    restore = thresholds()["restore_within_hours"]
    assert restore.bright_line and [t.name for t in crossed("unavailable_hours", 70, 80)] == ["restore_within_hours"]
    assert crossed("subjects_affected", 50, 60) == []
