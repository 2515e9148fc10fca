"""The engine against breach cases with published verdicts (/work/shared/cases/*.json).

Only the authorities' verdicts are asserted; a null expected value means the authority did not
rule on that question and is skipped, never counted as false.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from breach.assess import assess
from breach.facts import load_facts

pytestmark = pytest.mark.unit

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "cases"
QUESTIONS = ("notify_authority", "notify_subjects")


def _params() -> list:
    if not CASES.is_dir():
        return [pytest.param(None, None, marks=pytest.mark.skip(reason=f"no shared cases folder at {CASES}"))]
    params = []
    for path in sorted(CASES.glob("*.json")):
        case = json.loads(path.read_text(encoding="utf-8"))
        for question in QUESTIONS:
            params.append(pytest.param(case, question, id=f"{path.stem}-{question}"))
    return params


@pytest.mark.parametrize(("case", "question"), _params())
def test_verdict_matches_the_authority(case, question):
    expected = case["expected"][question]
    if expected is None:
        pytest.skip(f"{case['id']}: the authority did not rule on {question}")
    result = assess(load_facts(case["facts"]))
    reasons = "\n".join(f"  {e.rule}: {e.finding}" for e in result.rationale)
    assert getattr(result, question) is expected, f"{case['id']} {question}: expected {expected}\n{reasons}"


@pytest.mark.parametrize(("case", "question"), [p for p in _params() if p.id is None or p.id.endswith("notify_authority")])
def test_case_contract_is_complete_and_explained(case, question):
    contract = assess(load_facts(case["facts"])).to_contract()
    json.dumps(contract)
    rules = [entry["rule"] for entry in contract["rationale"]]
    assert "art4_12_personal_data_breach" in rules and "art33_1_notify_authority" in rules
    assert any(rule.startswith("art34") for rule in rules)
    assert contract["severity"]["method"] == "ENISA-2013"
