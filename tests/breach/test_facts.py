"""Facts documents: valid ones load with the schema's defaults, invalid ones name the offending field."""

from __future__ import annotations

import json
import typing
from datetime import UTC

import pytest
from pydantic import ValidationError

from breach.exceptions import InvalidFacts
from breach.facts import Controller, Facts, Regimes, load_facts, schema
from tests.conftest import case_paths

pytestmark = pytest.mark.unit

MINIMAL = {"summary": "A laptop was stolen.", "breach_types": ["confidentiality"], "data_categories": ["name"]}


def _case_facts() -> list:
    return [pytest.param(json.loads(p.read_text(encoding="utf-8"))["facts"], id=p.stem) for p in case_paths()]


def _error(source) -> InvalidFacts:
    with pytest.raises(InvalidFacts) as caught:
        load_facts(source)
    return caught.value


# --- valid documents ----------------------------------------------------------------------


def test_minimal_document_gets_schema_defaults():
    facts = load_facts(MINIMAL)
    assert facts.role == "controller"
    assert facts.cause == "unknown"
    assert facts.encryption == "none"
    assert facts.exfiltration == "unknown"
    assert facts.recipient == "unknown"
    assert facts.accessed == "unknown"
    assert facts.data_volume_per_person == "normal"
    assert facts.malicious is None and facts.subjects_reachable is None
    assert facts.pseudonymised is False and facts.subjects_affected_is_estimate is False
    assert facts.subject_categories == [] and facts.measures_taken == [] and facts.subjects_countries == []
    assert facts.controller is None and facts.regimes is None


@pytest.mark.parametrize("facts", _case_facts())
def test_every_shared_case_loads(facts):
    loaded = load_facts(facts)
    assert loaded.summary == facts["summary"]
    assert loaded.data_categories == facts["data_categories"]


@pytest.mark.parametrize("kind", ["dict", "str", "bytes", "path"])
def test_source_kinds(kind, tmp_path):
    text = json.dumps(MINIMAL)
    source = {"dict": MINIMAL, "str": text, "bytes": text.encode("utf-8"), "path": tmp_path / "facts.json"}[kind]
    if kind == "path":
        source.write_text(text, encoding="utf-8")
    assert load_facts(source).summary == MINIMAL["summary"]


def test_full_document_with_nested_models():
    doc = {
        **MINIMAL,
        "reference": "INC-1",
        "controller": {"name": "Acme ApS", "country": "DK", "established_in_eea": True, "dpa_hours": 24},
        "aware_at": "2026-11-21T10:00:00+01:00",
        "occurred_at": "2026-11-20T22:15:00Z",
        "detected_at": None,
        "regimes": {"nis2_entity": "important", "classified_major_at": "2026-11-21T12:00:00Z"},
        "subjects_countries": ["DK", "NO"],
    }
    facts = load_facts(doc)
    assert isinstance(facts.controller, Controller) and facts.controller.country == "DK"
    assert isinstance(facts.regimes, Regimes) and facts.regimes.nis2_entity == "important"
    assert facts.aware_at.utcoffset() is not None
    assert facts.aware_at.astimezone(UTC).hour == 9


def test_facts_are_frozen_and_forbid_extras():
    facts = load_facts(MINIMAL)
    with pytest.raises(ValidationError, match="frozen"):
        facts.summary = "changed"
    with pytest.raises(ValidationError, match="surprise"):
        Facts.model_validate({**MINIMAL, "surprise": 1})


def test_model_literals_match_the_schema_enums():
    props = schema()["properties"]
    fields = Facts.model_fields
    for name in ("role", "cause", "encryption", "exfiltration", "recipient", "accessed", "data_volume_per_person"):
        assert set(typing.get_args(fields[name].annotation)) == set(props[name]["enum"]), name
    for name in ("breach_types", "data_categories", "subject_categories"):
        (literal,) = typing.get_args(fields[name].annotation)
        assert set(typing.get_args(literal)) == set(props[name]["items"]["enum"]), name


def test_model_fields_are_the_schema_fields():
    assert set(Facts.model_fields) == set(schema()["properties"])


def test_schema_is_a_fresh_copy():
    first = schema()
    first["title"] = "changed"
    assert schema()["title"] != "changed"


# --- invalid documents: each names its field ---------------------------------------------


def test_bad_json_names_the_document_with_line_and_column():
    err = _error('{\n  "summary": "x",\n  oops\n}')
    assert err.field == "(document)"
    assert err.message.startswith("not valid JSON: line 3 column 3")


def test_not_an_object():
    assert _error("[1, 2]").field == "(document)"


def test_unreadable_path(tmp_path):
    assert _error(tmp_path / "missing.json").field == "(document)"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"summary": None}, "summary"),
        ({"breach_types": None}, "breach_types"),
        ({"surprise": True}, "surprise"),
        ({"encryption": "rot13"}, "encryption"),
        ({"data_categories": ["name", "email", "shoe_size"]}, "data_categories[2]"),
        ({"aware_at": "2026-11-21 10:00"}, "aware_at"),
        ({"aware_at": "2026-11-21T10:00:00"}, "aware_at"),
        ({"controller": {"country": "dk"}}, "controller.country"),
        ({"controller": {"country": "DNK"}}, "controller.country"),
        ({"controller": {"name": "x", "city": "Valby"}}, "controller.city"),
        ({"summary": ""}, "summary"),
        ({"breach_types": []}, "breach_types"),
        ({"subjects_affected": -1}, "subjects_affected"),
        ({"subjects_affected": "many"}, "subjects_affected"),
        ({"subjects_countries": ["DK", "no"]}, "subjects_countries[1]"),
        ({"regimes": {"nis2_entity": "vital"}}, "regimes.nis2_entity"),
    ],
)
def test_invalid_documents_name_the_field(change, field):
    doc = {**MINIMAL, **change}
    doc = {k: v for k, v in doc.items() if v is not None}
    err = _error(doc)
    assert err.field == field
    assert err.message and "\n" not in err.message
    assert str(err).startswith(f"{field}: ")


def test_date_time_message_asks_for_an_offset():
    err = _error({**MINIMAL, "aware_at": "2026-11-21T10:00:00"})
    assert "offset" in err.message


def test_messages_do_not_echo_values():
    secret = "Jane Doe, 12 Secret Street"
    err = _error({**MINIMAL, "encryption": secret})
    assert secret not in str(err)


def test_every_error_is_invalid_facts_from_json_text():
    err = _error(json.dumps({**MINIMAL, "recipient": "aliens"}))
    assert err.field == "recipient"
    assert "allowed values" in err.message
