"""The Art. 33(5) breach register CSV: columns, cell formats and spreadsheet formula injection."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from notices.output import neutralise
from notices.register.entries import REGISTER_COLUMNS, write_register_csv

pytestmark = pytest.mark.unit


def row(**overrides: Any) -> dict[str, Any]:
    """One register row for an invented incident."""
    fields: dict[str, Any] = {
        "incident_id": "BR-2026-0007", "reference": "TICKET-4711", "status": "notified",
        "opened_at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC), "aware_at": "2026-11-20T08:30:00+00:00",
        "summary": "Member database copied", "breach_types": ["confidentiality"], "data_categories": ["name", "email"],
        "subjects_affected": 12000, "measures_taken": ["Closed the endpoint"], "risk": "high",
        "notify_authority": True, "notify_subjects": False,
        "rationale": [{"rule": "art33", "finding": "risk"}, {"rule": "art34", "finding": "not high"}],
        "authority_deadline": "2026-11-23T08:30:00+00:00", "notified_at": "2026-11-21T10:00:00+00:00",
    }
    fields.update(overrides)
    return fields


def read(path: Path) -> list[dict[str, str]]:
    """The register as dicts, read the way a spreadsheet import would (BOM-aware)."""
    with open(path, newline="", encoding="utf-8-sig") as handle:
        return list(csv.DictReader(handle))


def test_header_and_cell_formats(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    assert write_register_csv([row(), row(incident_id="BR-2026-0008", extra="ignored")], path) == 2
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM, so spreadsheets read æøå right
    rows = read(path)
    assert tuple(rows[0]) == REGISTER_COLUMNS
    first = rows[0]
    assert first["opened_at"] == "2026-11-20T09:00:00+00:00"
    assert first["breach_types"] == "confidentiality" and first["data_categories"] == "name; email"
    assert first["rationale"] == "art33: risk | art34: not high"
    assert first["notify_authority"] == "yes" and first["notify_subjects"] == "no"
    assert first["subjects_affected"] == "12000" and first["deadline_met"] == "yes"
    assert "extra" not in rows[1]


@pytest.mark.parametrize(("notified_at", "given", "expected"), [
    ("2026-11-24T10:00:00+00:00", None, "no"),
    ("", None, ""),
    ("2026-11-24T10:00:00+00:00", True, "yes"),
    ("", "false", "no"),
])
def test_deadline_met_is_computed_when_not_given(tmp_path: Path, notified_at: str, given: Any, expected: str) -> None:
    path = tmp_path / "register.csv"
    write_register_csv([row(notified_at=notified_at, deadline_met=given)], path)
    assert read(path)[0]["deadline_met"] == expected


DANGEROUS = ["=HYPERLINK(\"https://evil.example.com\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tindented", "\rreturn"]


@pytest.mark.parametrize("payload", DANGEROUS)
def test_formula_injection_is_neutralised_in_every_text_column(tmp_path: Path, payload: str) -> None:
    path = tmp_path / "register.csv"
    write_register_csv([row(summary=payload, reference=payload, rationale=[payload], data_categories=[payload])], path)
    cells = read(path)[0]
    for column in ("summary", "reference", "rationale", "data_categories"):
        assert cells[column] == "'" + payload


def test_ordinary_text_and_numbers_are_left_alone() -> None:
    assert neutralise("Member database copied") == "Member database copied"
    assert neutralise("Æbleø A/S: 3 = three") == "Æbleø A/S: 3 = three"
    assert neutralise("") == ""


def test_write_is_atomic(tmp_path: Path) -> None:
    path = tmp_path / "register.csv"
    path.write_text("old", encoding="utf-8")

    def failing() -> Iterator[dict[str, Any]]:
        yield row()
        raise RuntimeError("stop")

    with pytest.raises(RuntimeError):
        write_register_csv(failing(), path)
    assert path.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["register.csv"]
