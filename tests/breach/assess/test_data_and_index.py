"""The thresholds live in data next to their sources; the case index covers every case; the facts schema extends the contract."""

from __future__ import annotations

import ast
import json
from importlib import resources
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from breach.assess.tables import thresholds
from breach.facts import load_facts, schema
from tests.breach.assess.public_cases import index, load_case
from tests.conftest import FIXTURES, REPO, case_paths

pytestmark = pytest.mark.unit

ASSESS = REPO / "breach" / "assess"


def test_every_threshold_states_its_source_field_and_whether_it_is_a_bright_line():
    raw = json.loads(resources.files("breach").joinpath("data/thresholds.json").read_text(encoding="utf-8"))
    fields = set(schema()["properties"])
    for name, row in raw["thresholds"].items():
        assert row["source"] and row["url"].startswith("https://") and row["reading"], name
        assert isinstance(row["bright_line"], bool) and row["comparison"] in ("<=", "<", ">=", ">"), name
        assert row["field"] is None or row["field"] in fields, name
        assert "Case No." not in row["source"], f"{name}: a threshold cites a law, guideline or practice, not a case"
    assert thresholds()["restore_within_hours"].value == 72


def test_no_numeric_threshold_is_left_in_the_rules_code():
    """Module-level numbers in breach/assess/ would be thresholds without a source: they belong in breach/data/."""
    offenders = []
    for path in ASSESS.rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            value = node.value if isinstance(node, (ast.Assign, ast.AnnAssign)) else None
            if isinstance(value, ast.Constant) and isinstance(value.value, (int, float)) and not isinstance(value.value, bool):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
            if isinstance(value, ast.Tuple) and any(isinstance(e, ast.Tuple) for e in value.elts):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno} (a table of steps)")
    assert offenders == []


def test_the_index_covers_every_case_once_with_its_origin():
    rows = {row["id"]: row for row in index()["cases"]}
    ids = [load_case(path)["id"] for path in case_paths()]
    assert sorted(rows) == sorted(ids) and len(ids) == len(set(ids))
    copied = {entry["path"] for entry in json.loads((FIXTURES / "MANIFEST.json").read_text(encoding="utf-8"))["files"]}
    for path in case_paths():
        row = rows[load_case(path)["id"]]
        assert row["file"] == path.name
        assert row["origin"] == ("copied" if str(path.relative_to(REPO)) in copied else "authored here"), row["id"]
        assert isinstance(row["contested"], bool)
        for used in row["used_to_set_threshold"]:
            if used["rules"] == "2.0":
                assert used["threshold"].split(" ")[0] in thresholds(), used


@pytest.mark.parametrize("path", case_paths(), ids=lambda path: path.stem)
def test_an_authored_case_names_its_source_with_an_address(path):
    case = load_case(path)
    row = next(r for r in index()["cases"] if r["id"] == case["id"])
    assert case["facts"]["reference"] == case["id"] == path.stem
    assert case["provenance"] in ("primary_read", "authority_page_read", "secondary_read")
    assert case["confidence"] in ("high", "medium")
    assert set(case["expected"]) == {"notify_authority", "notify_subjects", "notes"}
    if row["origin"] == "authored here":
        assert "https://" in case["source"]
    load_facts(case["facts"])  # valid against the project's schema


def test_the_project_schema_extends_the_contract_with_optional_fields_only():
    contract = json.loads((FIXTURES / "contracts" / "incident-facts.schema.json").read_text(encoding="utf-8"))
    project = schema()
    assert project["required"] == contract["required"] and project["additionalProperties"] is False
    for name, definition in contract["properties"].items():
        ours = dict(project["properties"][name])
        theirs = dict(definition)
        ours.pop("description", None)
        theirs.pop("description", None)
        assert ours == theirs, f"{name} differs from the contract"
    added = set(project["properties"]) - set(contract["properties"])
    assert added == {"encryption_by_category", "vulnerable_subjects_present", "protected_address_subjects_present", "us", "gdpr_scope",
                     # issue #13: free text per language and the facts people and authorities are told
                     "text_language", "translations", "measures_proposed", "likely_consequences", "aggravating_facts",
                     "contained_at", "awareness_explanation", "police_informed", "police_informed_at", "credentials_reset"}
    assert not {"us", "gdpr_scope"} & set(project.get("required", []))


def test_every_copied_case_is_valid_against_the_contract_itself():
    contract = Draft202012Validator(json.loads((FIXTURES / "contracts" / "incident-facts.schema.json").read_text(encoding="utf-8")))
    index_rows = {row["id"]: row for row in index()["cases"]}
    for path in case_paths():
        case = load_case(path)
        if index_rows[case["id"]]["origin"] == "copied":
            assert list(contract.iter_errors(case["facts"])) == [], path.name


def test_sources_md_lists_every_authored_case():
    sources = Path(FIXTURES / "cases" / "SOURCES.md").read_text(encoding="utf-8")
    for row in index()["cases"]:
        if row["origin"] == "authored here":
            assert row["id"] in sources, row["id"]
