"""`breach export` (per authority, EDPB template, follow-up) and `breach register export|stats` through the CLI."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import main as cli
from tests.flows.cli.test_main import _clocked_incident

pytestmark = pytest.mark.flows
runner = CliRunner()


def _report(rt, incident_id: str, name: str) -> Path:
    """An exported file of the incident by name (console output wraps long paths, so look on disk)."""
    return rt.settings.data_dir / "exports" / incident_id / "report" / name


def test_export_per_authority_and_template_then_filed_then_followup(rt, tmp_path):
    incident_id = _clocked_incident(tmp_path, aware_at=datetime.now(UTC).replace(microsecond=0) - timedelta(hours=3),
                                    tag="EXPORT")
    first = runner.invoke(cli.app, ["export", incident_id])
    assert first.exit_code == 0, first.output
    dk = _report(rt, incident_id, f"{incident_id}-filing-pack.json")
    assert json.loads(dk.read_text(encoding="utf-8"))["form"] == "dk"
    before = dk.read_bytes()
    again = runner.invoke(cli.app, ["export", incident_id])
    assert again.exit_code == 0 and dk.read_bytes() == before

    assert runner.invoke(cli.app, ["export", incident_id, "--authority", "NO"]).exit_code == 0
    pack = json.loads(_report(rt, incident_id, f"{incident_id}-filing-pack-NO.json").read_text(encoding="utf-8"))
    assert pack["form"] == "no" and pack["authority"]["code"] == "NO"
    assert runner.invoke(cli.app, ["export", incident_id, "--template", "edpb"]).exit_code == 0
    edpb = json.loads(_report(rt, incident_id, f"{incident_id}-filing-pack-edpb.json").read_text(encoding="utf-8"))
    assert edpb["form"] == "edpb" and edpb["sections"]["data"]["fields"]["subjects_affected"]["answer"] == 1000

    refused = runner.invoke(cli.app, ["export", incident_id, "--followup"])
    assert refused.exit_code != 0 and "no filing" in str(refused.exception)
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt")
    assert runner.invoke(cli.app, ["filed", incident_id, "--authority", "DK", "--receipt", str(receipt)]).exit_code == 0
    follow = runner.invoke(cli.app, ["export", incident_id, "--followup"])
    assert follow.exit_code == 0, follow.output
    report = json.loads(_report(rt, incident_id, f"{incident_id}-followup-DK-01.json").read_text(encoding="utf-8"))
    assert report["followup_number"] == 1 and report["incident_id"] == incident_id


def test_register_export_and_stats(rt, tmp_path):
    incident_id = _clocked_incident(tmp_path, aware_at=datetime(2026, 3, 2, 8, 0, tzinfo=UTC), tag="REGISTER")
    out = tmp_path / "register.json"
    result = runner.invoke(cli.app, ["register", "export", "--from", "2026-03-01", "--to", "2026-03-31", "--format", "json",
                                     "--out", str(out)])
    assert result.exit_code == 0, result.output
    items = json.loads(out.read_text(encoding="utf-8"))
    assert incident_id in {i["incident_id"] for i in items}
    assert all(i["aware_at"].startswith("2026-03") for i in items)
    csv_out = tmp_path / "register.csv"
    assert runner.invoke(cli.app, ["register", "export", "--format", "csv", "--out", str(csv_out)]).exit_code == 0
    with open(csv_out, newline="", encoding="utf-8-sig") as handle:
        assert incident_id in {r["incident_id"] for r in csv.DictReader(handle)}
    bad = runner.invoke(cli.app, ["register", "export", "--format", "xml"])
    assert bad.exit_code == 2

    chart = tmp_path / "chart.png"
    stats = runner.invoke(cli.app, ["register", "stats", "--plot", str(chart), "--json"])
    assert stats.exit_code == 0, stats.output
    numbers = json.loads(stats.stdout)
    assert numbers["incidents"] >= 1 and "2026" in numbers["per_year"]
    assert chart.read_bytes()[:4] == b"\x89PNG"
