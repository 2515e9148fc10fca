"""The engine against breach cases with published verdicts (tests/fixtures/cases/*.json).

Only the authorities' verdicts are asserted; a null expected value means the authority did not
rule on that question, so no test is generated for it (never counted as false). Scoring follows
tests/fixtures/contracts/ASSESSMENT.md: the Art. 34 duty is met by individual notices, by a public
communication (Art. 34(3)(c)) or by a subset of the people.
"""

from __future__ import annotations

import json

import pytest

from breach.assess import assess
from breach.facts import load_facts
from tests.conftest import case_paths

pytestmark = pytest.mark.unit

QUESTIONS = ("notify_authority", "notify_subjects")


def _params() -> list:
    params = []
    for path in case_paths():
        case = json.loads(path.read_text(encoding="utf-8"))
        for question in QUESTIONS:
            if case["expected"][question] is None:
                continue
            params.append(pytest.param(case, question, id=f"{path.stem}-{question}"))
    return params


@pytest.mark.parametrize(("case", "question"), _params())
def test_verdict_matches_the_authority(case, question):
    expected = case["expected"][question]
    result = assess(load_facts(case["facts"]))
    reasons = "\n".join(f"  {e.rule}: {e.finding}" for e in result.rationale)
    assert _verdict(result.to_contract(), question) is expected, f"{case['id']} {question}: expected {expected}\n{reasons}"


def _verdict(contract: dict, question: str) -> bool:
    """The engine's answer to a case question, scored as ASSESSMENT.md says."""
    if question == "notify_subjects":
        return bool(contract["notify_subjects"] or contract["public_communication"] or contract.get("notify_subjects_subset"))
    return bool(contract[question])


@pytest.mark.parametrize(("case", "question"), [p for p in _params() if p.id.endswith("notify_authority")])
def test_case_contract_is_complete_and_explained(case, question):
    contract = assess(load_facts(case["facts"])).to_contract()
    json.dumps(contract)
    rules = [entry["rule"] for entry in contract["rationale"]]
    assert "art4_12_personal_data_breach" in rules and "art33_1_notify_authority" in rules
    assert any(rule.startswith("art34") for rule in rules)
    assert contract["severity"]["method"] == "ENISA-2013"
