"""The catalogue itself: every attempt is marked (so the count table is complete), and the table counts what it should."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from scripts.security_report import table

pytestmark = [pytest.mark.security, pytest.mark.unit]
HERE = Path(__file__).parent
KINDS = {"integrity", "traceback"}


def _attack_marks(function: ast.FunctionDef) -> list[ast.Call]:
    return [d for d in function.decorator_list if isinstance(d, ast.Call) and ast.unparse(d.func) == "pytest.mark.attack"]


def test_every_attempt_is_marked_with_its_finding_group_and_failure_kind() -> None:
    unmarked = []
    for path in sorted(HERE.glob("test_*.py")):
        if path.name == Path(__file__).name:
            continue
        module = ast.parse(path.read_text(encoding="utf-8"))
        constants = {target.id: node.value.value for node in module.body if isinstance(node, ast.Assign)
                     and isinstance(node.value, ast.Constant) for target in node.targets if isinstance(target, ast.Name)}
        for node in module.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                marks = _attack_marks(node)
                keywords = {k.arg: constants.get(k.value.id) if isinstance(k.value, ast.Name) else ast.literal_eval(k.value)
                            for m in marks for k in m.keywords}
                if len(marks) != 1 or not keywords.get("finding") or not keywords.get("group") or keywords.get("fails_as") not in KINDS:
                    unmarked.append(f"{path.name}::{node.name}")
    assert unmarked == []


def test_the_table_counts_refusals_tracebacks_and_integrity_failures_per_group() -> None:
    outcomes = [
        {"group": "1. drafts", "fails_as": "integrity", "outcome": "refused"},
        {"group": "1. drafts", "fails_as": "integrity", "outcome": "failed"},
        {"group": "bad-input: facts", "fails_as": "traceback", "outcome": "failed"},
        {"group": "bad-input: facts", "fails_as": "traceback", "outcome": "refused"},
        {"group": "10. later", "fails_as": "traceback", "outcome": "refused"},
    ]
    lines = table(outcomes).splitlines()
    assert lines[2] == "| 1. drafts | 2 | 1 | 0 | 1 |"
    assert lines[3] == "| 10. later | 1 | 1 | 0 | 0 |"
    assert lines[4] == "| bad-input: facts | 2 | 1 | 1 | 0 |"
    assert lines[5] == "| **all** | **5** | **3** | **1** | **1** |"
