"""The US example end to end as real Prefect runs: outside the GDPR (Art. 3), US clocks in the clock step, notices sent
stop the individual-notice clocks, US filings exported, and `breach filed` / `breach reported` / `breach status` on them."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from breach.approval.decisions import Proof
from breach.clock import deadlines
from breach.enums import DeadlineState
from breach.facts import load_facts
from flows.breach_response import breach_response
from flows.cli import main as cli
from flows.cli.demo import code_from_outbox
from flows.progress import subscribe
from flows.resume import submit_decision, wait_until_paused
from flows.runtime import EXAMPLES, runtime
from tests.flows.conftest import MANAGER

pytestmark = pytest.mark.flows
runner = CliRunner()


@pytest.fixture()
def us_rt(rt, monkeypatch):
    """The test runtime with the US example controller profile."""
    monkeypatch.setenv("BREACH_CONTROLLER_FILE", str(EXAMPLES / "us" / "controller.json"))
    runtime.cache_clear()
    yield runtime()
    runtime.cache_clear()


def _facts(tmp_path: Path) -> Path:
    document = json.loads((EXAMPLES / "us" / "facts.json").read_text(encoding="utf-8"))
    document["reference"] = f"US-E2E-{time.time_ns()}"
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def _run(tmp_path: Path) -> tuple[dict, list[tuple[str, dict]]]:
    events: list[tuple[str, dict]] = []

    def listener(step: str, fields: dict) -> None:
        events.append((step, fields))
        if step == "awaiting_approval":
            def approve() -> None:
                wait_until_paused(fields["flow_run_id"], timeout=60)
                rt = runtime()
                code, _ = code_from_outbox(rt.settings.outbox_dir, fields["incident_id"])  # e-mailed when the run paused
                submit_decision(rt, incident_id=fields["incident_id"], approver=MANAGER, reject=False, comment="ok",
                                proof=Proof("code", code))
            threading.Thread(target=approve, daemon=True).start()

    unsubscribe = subscribe(listener)
    try:
        result = breach_response(load_facts(_facts(tmp_path)), str(EXAMPLES / "us" / "people.csv"))
    finally:
        unsubscribe()
    return result, events


def test_the_us_response_runs_outside_the_gdpr_with_us_clocks_filings_and_stops(us_rt, tmp_path):
    result, events = _run(tmp_path)
    incident_id = result["incident_id"]
    steps = [step for step, _ in events]
    assert steps.index("imported") < steps.index("clock") < steps.index("drafted")  # people before clocks: they decide the duties
    (assessed,) = [fields for step, fields in events if step == "assessed"]
    assert assessed["verdict"]["gdpr_applies"] is False and not assessed["verdict"]["notify_authority"]
    (clock,) = [fields for step, fields in events if step == "clock"]
    assert {(o, p) for o, p, _ in clock["deadlines"]} >= {("us.individuals", "CA"), ("us.regulator", "TX"), ("us.regulator", "CA")}
    (drafted,) = [fields for step, fields in events if step == "drafted"]
    assert not [d for d in drafted["drafts"] if d.startswith("authority_report")]
    assert result["decision"] == "approved" and "filing_pack_json" not in result["exports"]
    assert {"us/US-CA-AG_json", "us/US-TX-AG_md", "us/sample_letter/general", "us/index_md"} <= set(result["exports"])
    with us_rt.sessions() as session:
        rows = {(r.obligation, r.party): r for r in deadlines.deadlines_of(session=session, incident_id=incident_id)}
    for state in ("CA", "NY", "TX"):
        assert rows[("us.individuals", state)].state == DeadlineState.MET
    assert rows[("us.individuals", "MA")].state == DeadlineState.DONE
    given = rows[("us.individuals", "CA")].stopped_at
    assert rows[("us.regulator", "CA")].due_at == given + timedelta(days=15)  # Cal. Civ. Code 1798.82(f), from the notice given
    _cli_on(incident_id, tmp_path)


def _cli_on(incident_id: str, tmp_path: Path) -> None:
    receipt = tmp_path / "ca-receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 confirmation from the California Attorney General")
    filed = runner.invoke(cli.app, ["filed", incident_id, "--authority", "US-CA-AG", "--receipt", str(receipt)])
    assert filed.exit_code == 0, filed.output
    assert "filed with US-CA-AG" in " ".join(filed.output.split())
    reported = runner.invoke(cli.app, ["reported", incident_id, "us.consumer_reporting_agencies", "--party", "MA"])
    assert reported.exit_code == 0, reported.output
    status = " ".join(runner.invoke(cli.app, ["status", incident_id]).output.split())
    assert "us.regulator (CA): met" in status and "us.consumer_reporting_agencies (MA): done" in status
    assert "US filings still to make: US-MA-AG, US-MA-OCABR, US-NY-AG, US-NY-DOS, US-NY-NYSP, US-TX-AG" in status
    assert "told: 1120 US residents of CA, MA, NY, TX" in status and "GDPR: does not apply" in status
    exported = runner.invoke(cli.app, ["export", incident_id, "--authority", "US-TX"])
    assert exported.exit_code == 0, exported.output
    assert "US-TX-AG.md" in exported.output and "US-CA-AG" not in exported.output
    refused = runner.invoke(cli.app, ["export", incident_id, "--authority", "DK"])
    assert refused.exit_code != 0 and "GDPR does not apply" in str(refused.exception)
