"""The repository carries every file its tests read, each copy recorded with its origin and hash."""

from __future__ import annotations

import json

import pytest

from scripts import sync_fixtures
from tests.conftest import FIXTURES, REPO

pytestmark = pytest.mark.unit


def test_every_copied_fixture_is_present_and_unchanged():
    manifest = sync_fixtures.load_manifest()
    assert len(manifest["files"]) >= 20
    assert sync_fixtures.check(manifest) == []


def test_an_edited_copy_is_reported(tmp_path, monkeypatch):
    copy = tmp_path / "copy.json"
    copy.write_text("{}")
    monkeypatch.setattr(sync_fixtures, "REPO", tmp_path)
    manifest = {"files": [{"path": "copy.json", "source": "x/copy.json", "sha256": "0" * 64},
                          {"path": "gone.json", "source": "x/gone.json", "sha256": "0" * 64}]}
    problems = sync_fixtures.check(manifest)
    assert problems == ["changed without updating the manifest: copy.json", "missing: gone.json (copy of x/gone.json)"]


def test_nothing_reads_outside_the_repository():
    """No code, test or benchmark names the steering folder beside the checkout (only the sync tool takes it as an argument)."""
    allowed = {REPO / "tests" / "test_fixtures.py", REPO / "scripts" / "sync_fixtures.py"}
    offenders = []
    for folder in ("breach", "notices", "flows", "tests", "bench", "scripts"):
        for path in (REPO / folder).rglob("*.py"):
            if path in allowed:
                continue
            text = path.read_text(encoding="utf-8")
            if '"shared"' in text or "../shared" in text or "parent / \"shared\"" in text:
                offenders.append(str(path.relative_to(REPO)))
    assert offenders == [], offenders


def test_sendgrid_schema_has_its_provenance():
    source = (FIXTURES / "contracts" / "sendgrid" / "SOURCE.md").read_text(encoding="utf-8")
    assert "dbe0e0d2e67a0c3c55b222d54df2acda2b9027a7" in source and "MIT" in source
    schema = json.loads((FIXTURES / "contracts" / "sendgrid" / "mail_send.schema.json").read_text(encoding="utf-8"))
    assert schema["properties"]["personalizations"]["maxItems"] == 1000
