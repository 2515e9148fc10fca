"""`breach deadlines FACTS.json`: every obligation with its due instant and legal basis, nothing stored; status colours."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from typer.testing import CliRunner

from breach.store.tables import DeadlineRow
from flows.cli import main as cli
from flows.cli.status import obligation_lines
from tests.factories import facts_doc

pytestmark = pytest.mark.unit


def _run(*args: str):
    return CliRunner().invoke(cli.app, ["deadlines", *args])


def _write(tmp_path, **overrides):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts_doc(**overrides)), encoding="utf-8")
    return path


def test_deadlines_json_lists_every_obligation_in_utc_and_local_time(tmp_path, monkeypatch):
    monkeypatch.setenv("BREACH_DATA_DIR", str(tmp_path / "data"))
    facts = _write(tmp_path, detected_at="2026-11-20T08:00:00+01:00",
                   regimes={"nis2_entity": "essential", "electronic_communications_provider": True})
    result = _run(str(facts), "--json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    found = {o["id"]: o for o in document["obligations"]}
    assert document["timezone"] == "Europe/Copenhagen" and "gdpr-2016" in document["rules"]
    assert found["gdpr.authority"]["due_at"] == "2026-11-23T08:30:00+00:00"
    assert found["gdpr.authority"]["due_local"] == "2026-11-23T09:30:00+01:00"
    assert found["gdpr.authority"]["legal_basis"].startswith("GDPR Art. 33(1)")
    assert found["nis2.early_warning"]["due_at"] == "2026-11-21T08:30:00+00:00"
    assert found["nis2.final_report"]["due_at"] is None and "nis2.incident_notification" in found["nis2.final_report"]["reason"]
    assert found["eprivacy.authority"]["due_at"] == "2026-11-21T07:00:00+00:00"
    assert not (tmp_path / "data").exists()  # nothing stored


def test_reports_zone_and_rules_version_options(tmp_path):
    facts = _write(tmp_path, regimes={"nis2_entity": "important"})
    result = _run(str(facts), "--json", "--tz", "Europe/Oslo", "--report", "nis2.incident_notification=2026-11-22T10:00:00+01:00")
    assert result.exit_code == 0, result.output
    found = {o["id"]: o for o in json.loads(result.stdout)["obligations"]}
    assert found["nis2.final_report"]["due_local"] == "2026-12-22T10:00:00+01:00"


def test_invalid_facts_exit_2_naming_the_field(tmp_path):
    facts = _write(tmp_path, breach_types=["theft"])
    result = _run(str(facts), "--json")
    assert result.exit_code == 2
    assert result.stderr.strip().count("\n") == 0 and "breach_types" in result.stderr
    missing = _run(str(tmp_path / "nope.json"))
    assert missing.exit_code == 2 and "file not found" in missing.stderr
    zone = _run(str(_write(tmp_path)), "--tz", "Mars/Olympus")
    assert zone.exit_code == 2 and "unknown time zone" in zone.stderr


def test_table_output_names_the_basis(tmp_path):
    result = _run(str(_write(tmp_path)))
    assert result.exit_code == 0 and "gdpr.authority" in result.stdout and "GDPR Art. 33(1)" in result.stdout


def test_status_lines_are_coloured_by_urgency():
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    rows = [DeadlineRow(obligation=o, party=p, legal_basis="X Art. 1: words", anchor_at=now, due_at=now + timedelta(hours=h),
                        state="running") for o, p, h in [("authority", "DK", 30), ("nis2.early_warning", "csirt", 7),
                                                         ("dora.initial", "competent_authority", 2),
                                                         ("eprivacy.authority", "competent_authority", -1)]]
    rows.append(DeadlineRow(obligation="gdpr.x", party="p", legal_basis="b", anchor_at=now, due_at=now, state="met", stopped_at=now))
    lines = obligation_lines(rows, tz="Europe/Copenhagen", now=now)
    assert lines[0].startswith("  [green]authority (DK) due Sunday 22 November 2026, 17:00 (Danish time, in 30 hours)")
    assert lines[1].startswith("  [yellow]") and lines[2].startswith("  [red]") and ": running" in lines[2]
    assert lines[3].startswith("  [red]") and "overdue" in lines[3]
    assert "gdpr.x (p): [bold]met[/]" in lines[4]


@pytest.mark.integration
def test_reported_stops_the_clock_and_starts_the_one_anchored_on_it(rt, now):
    import time

    from breach.clock import deadlines
    from breach.incidents import service as incidents
    from tests.factories import make_incident

    with rt.sessions.begin() as session:
        incident_id = make_incident(session=session, now=now, reference=f"REP-{time.time_ns()}", regimes={"nis2_entity": "important"})
        deadlines.start_clocks(session=session, incident=incidents.get(session=session, incident_id=incident_id),
                               assessment=incidents.latest_assessment(session=session, incident_id=incident_id),
                               dpa_hours=None, actor="r", now=now)
    result = CliRunner().invoke(cli.app, ["reported", incident_id, "nis2.incident_notification", "--at", "2026-11-22T10:00:00+01:00"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())
    assert "started nis2.final_report (csirt) due 2026-12-22T09:00:00+00:00" in text
    with rt.sessions() as session:
        states = {r.obligation: r.state for r in deadlines.deadlines_of(session=session, incident_id=incident_id)}
    assert states["nis2.incident_notification"] == "met" and states["nis2.final_report"] == "running"
    assert states["nis2.early_warning"] == "running"


def test_status_lines_speak_danish_and_norwegian():
    now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
    rows = [DeadlineRow(obligation="authority", party="DK", legal_basis="GDPR Art. 33(1): words", anchor_at=now,
                        due_at=now + timedelta(hours=30), state="running"),
            DeadlineRow(obligation="eprivacy.authority", party="x", legal_basis="b", anchor_at=now, due_at=now - timedelta(hours=1),
                        state="running"),
            DeadlineRow(obligation="gdpr.x", party="p", legal_basis="b", anchor_at=now, due_at=now, state="met", stopped_at=now)]
    da = obligation_lines(rows, tz="Europe/Copenhagen", now=now, language="da")
    assert da[0].startswith("  [green]authority (DK) frist søndag") and da[0].count(": løber") == 1
    assert "kl. 17.00 (dansk tid, om 30 timer)" in da[0]
    assert "fristen er overskredet med 1 time)" in da[1] and "fristen var" in da[2] and "overholdt" in da[2]
    nb = obligation_lines(rows, tz="Europe/Oslo", now=now, language="nb")
    assert nb[0].startswith("  [green]authority (DK) frist søndag") and "løper" in nb[0]
    with pytest.raises(ValueError, match="one of en, da, nb"):
        obligation_lines(rows, tz="UTC", now=now, language="sv")


def test_a_people_file_adds_the_us_duties_of_its_residents(tmp_path, monkeypatch):
    from flows.runtime import EXAMPLES

    monkeypatch.setenv("BREACH_CONTROLLER_FILE", str(EXAMPLES / "us" / "controller.json"))
    monkeypatch.setenv("BREACH_DATA_DIR", str(tmp_path / "data"))
    result = _run(str(EXAMPLES / "us" / "facts.json"), "--json", "--tz", "America/Chicago", "--people", str(EXAMPLES / "us" / "people.csv"))
    assert result.exit_code == 0, result.output
    found = {(o["id"], o["party"]): o for o in json.loads(result.stdout)["obligations"]}
    assert "gdpr.authority" not in {key for key, _ in found}  # outside the GDPR (Art. 3): no Art. 33 clock
    ca = found[("us.individuals", "CA")]
    assert ca["due_at"] == "2026-12-30T22:00:00+00:00" and ca["legal_basis"].startswith("Cal. Civ. Code § 1798.82(a)(2)")
    assert found[("us.regulator", "TX")]["filing_code"] == "US-TX-AG" and found[("us.regulator", "TX")]["due_local"]
    assert found[("us.regulator", "MA")]["due_at"] is None and "without unreasonable delay" in found[("us.regulator", "MA")]["reason"]
    assert not (tmp_path / "data").exists()  # nothing stored
    missing = _run(str(EXAMPLES / "us" / "facts.json"), "--people", str(tmp_path / "nope.csv"))
    assert missing.exit_code == 2 and "people file not found" in missing.stderr
