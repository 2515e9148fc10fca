"""The rule pack: complete (exactly the 54 jurisdictions, every field present or explicitly not stated),
consistent (every id defined in the vocabulary), dated and sourced; the loader names what is wrong."""

from __future__ import annotations

import copy
import json
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any

import pytest
from pydantic import BaseModel

from breach.jurisdictions.us.rules import (
    JURISDICTION_CODES,
    Jurisdiction,
    RulePackError,
    load_rules,
)

pytestmark = pytest.mark.unit

RAW: dict[str, Any] = json.loads(resources.files("breach").joinpath("data/us_breach_laws.json").read_text(encoding="utf-8"))
STATES_DC_TERRITORIES = 50 + 4


def _required_fields(model: type[BaseModel]) -> set[str]:
    return {name for name, info in model.model_fields.items() if info.is_required()}


def _walk_required(raw: dict[str, Any], model: type[BaseModel], where: str) -> list[str]:
    """Every required field of ``model`` (recursively into nested models) is present in ``raw``."""
    problems = [f"{where}.{name} missing" for name in _required_fields(model) - set(raw)]
    for name, info in model.model_fields.items():
        value = raw.get(name)
        nested = info.annotation
        candidates = getattr(nested, "__args__", (nested,))
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel) and isinstance(value, dict):
                problems += _walk_required(value, candidate, f"{where}.{name}")
    return problems


def test_exactly_the_fifty_states_dc_pr_gu_and_vi() -> None:
    codes = [entry["code"] for entry in RAW["jurisdictions"]]
    assert len(codes) == STATES_DC_TERRITORIES == len(JURISDICTION_CODES)
    assert set(codes) == JURISDICTION_CODES
    assert {"DC", "PR", "GU", "VI"} <= set(codes)


def test_every_jurisdiction_has_every_field_or_explicit_not_stated() -> None:
    problems: list[str] = []
    for entry in RAW["jurisdictions"]:
        assert set(entry) == set(Jurisdiction.model_fields), entry["code"]
        problems += _walk_required(entry, Jurisdiction, entry["code"])
    assert problems == []


def test_silence_is_written_as_not_stated_never_as_null_or_empty_text() -> None:
    def texts(node: Any, path: str) -> list[str]:
        if isinstance(node, dict):
            return [p for key, value in node.items() for p in texts(value, f"{path}.{key}")]
        if isinstance(node, list):
            return [p for i, value in enumerate(node) for p in texts(value, f"{path}[{i}]")]
        return [path] if node == "" and not path.endswith((".note", ".notes", ".text")) else []

    assert [p for entry in RAW["jurisdictions"] for p in texts(entry, entry["code"])] == []
    # the pack does use the explicit marker where the law is silent
    assert sum(json.dumps(entry).count('"not_stated"') for entry in RAW["jurisdictions"]) > 50


def test_pack_validates_and_every_entry_is_dated_and_sourced() -> None:
    pack = load_rules()
    for entry in pack.jurisdictions:
        assert entry.last_verified <= pack.compiled_at <= date.today()
        assert entry.sources and all(source.url.startswith("http") for source in entry.sources)
        assert entry.citations and entry.individual_notice.citation
        assert entry.confidence in {"high", "medium", "low"}
    assert pack.federal.hipaa.sources and pack.federal.sec_8k_105.sources


def test_confidence_and_verification_counts_are_reported_consistently() -> None:
    pack = load_rules()
    verified = [e.code for e in pack.jurisdictions if e.verified]
    unverified = [e.code for e in pack.jurisdictions if not e.verified]
    assert len(verified) + len(unverified) == STATES_DC_TERRITORIES
    assert all(e.confidence != "high" or e.verified for e in pack.jurisdictions)  # high confidence implies verified


def _write(tmp_path: Path, document: dict[str, Any]) -> Path:
    path = tmp_path / "pack.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _entry(document: dict[str, Any], code: str) -> dict[str, Any]:
    return next(e for e in document["jurisdictions"] if e["code"] == code)


def test_a_missing_field_is_refused_naming_the_jurisdiction_and_field(tmp_path: Path) -> None:
    document = copy.deepcopy(RAW)
    del _entry(document, "CA")["cra_notice"]
    with pytest.raises(RulePackError) as caught:
        load_rules(_write(tmp_path, document))
    assert caught.value.field == "jurisdictions[CA].cra_notice"


def test_a_missing_jurisdiction_is_refused(tmp_path: Path) -> None:
    document = copy.deepcopy(RAW)
    document["jurisdictions"] = [e for e in document["jurisdictions"] if e["code"] != "GU"]
    with pytest.raises(RulePackError, match=r"missing \['GU'\]"):
        load_rules(_write(tmp_path, document))


def test_an_element_outside_the_vocabulary_is_refused(tmp_path: Path) -> None:
    document = copy.deepcopy(RAW)
    _entry(document, "TX")["personal_information"]["with_name"].append("shoe_size")
    with pytest.raises(RulePackError, match="TX.personal_information: 'shoe_size'"):
        load_rules(_write(tmp_path, document))


def test_an_inconsistent_deadline_is_refused(tmp_path: Path) -> None:
    document = copy.deepcopy(RAW)
    _entry(document, "FL")["individual_notice"]["deadline"] = {"kind": "within", "limit": None, "relation": None, "text": "x"}
    with pytest.raises(RulePackError) as caught:
        load_rules(_write(tmp_path, document))
    assert caught.value.field.startswith("jurisdictions[FL].individual_notice.deadline")


def test_invalid_json_is_refused_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"pack": ', encoding="utf-8")
    with pytest.raises(RulePackError, match="not valid JSON"):
        load_rules(path)
