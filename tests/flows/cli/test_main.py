"""The `breach` command line against real flows: assess contract and exit codes, four-eyes approve, send, status, filed, audit."""

from __future__ import annotations

import hashlib
import json
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import typer
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from sqlalchemy import func, select
from typer.testing import CliRunner

from breach.approval import decisions as approval_rules
from breach.audit import events_for
from breach.clock import deadlines as deadline_rules
from breach.clock import filing as filing_rules
from breach.exceptions import ApprovalRefused, DeadlineMissed, NotApproved
from breach.facts import load_facts
from breach.store.tables import AuditEventRow
from flows.approval_codes import send_codes
from flows.cli import main as cli
from flows.cli.demo import code_from_outbox
from flows.runtime import CODES_FOLDER, identity, runtime
from notices.sending.outbox import delivery_counts
from tests.factories import facts_doc, write_people_csv
from tests.flows.conftest import MANAGER, RESPONDER

pytestmark = pytest.mark.flows

# click >= 8.2 keeps stdout and stderr apart (result.stdout / result.stderr); there is no mix_stderr any more.
runner = CliRunner()

ASSESSMENT_KEYS = {"personal_data_breach", "identifiable", "severity", "risk", "notify_authority", "notify_subjects",
                   "subject_notice_exemption", "public_communication", "authority", "authority_deadline", "rationale"}
PEOPLE = [
    ["Åse Nordmann", "nb", "aase@example.org", "", "Storgata 1", "0155", "Oslo", "NO"],
    ["Søren Kjær", "da", "soren@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
]


def _flat(text: str) -> str:
    """Rich wraps at 80 columns off a terminal; compare with whitespace collapsed."""
    return " ".join(text.split())


def _write(path: Path, doc: dict) -> Path:
    path.write_text(json.dumps(doc), encoding="utf-8")
    return path


def _invoke(*args: str):
    return runner.invoke(cli.app, list(args))


def _main(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture, *args: str) -> tuple[int, str, str]:
    """Run the console entry point as a user would; returns (exit code, stdout, stderr)."""
    capsys.readouterr()
    monkeypatch.setattr(sys, "argv", ["breach", *args])
    with pytest.raises(SystemExit) as exited:
        cli.main()
    captured = capsys.readouterr()
    return exited.value.code, captured.out, captured.err


def _utc_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _clocked_incident(tmp_path: Path, *, aware_at: datetime, tag: str) -> str:
    """Open, assess and start the clock through the flows; returns the incident id."""
    from flows.assess import assess_incident
    from flows.clock import start_clock
    from flows.open_incident import open_incident

    facts = _write(tmp_path / f"facts-{tag}.json", facts_doc(reference=f"{tag}-{time.time_ns()}", aware_at=aware_at.isoformat()))
    incident_id = open_incident(load_facts(facts))
    assess_incident(incident_id)
    assert start_clock(incident_id)
    return incident_id


def _drafted_incident(tmp_path: Path) -> str:
    """As test_send_without_approval_is_refused_and_writes_no_delivery: open, assess, import, draft (by the responder)."""
    from flows.assess import assess_incident
    from flows.draft import draft_notices
    from flows.open_incident import open_incident
    from flows.people import import_people

    incident_id = open_incident(load_facts(facts_doc(reference=f"CLI-{time.time_ns()}")))
    assess_incident(incident_id)
    import_people(incident_id, str(write_people_csv(tmp_path / "people.csv", PEOPLE)))
    assert draft_notices(incident_id)
    return incident_id


def _assert_not_approved(rt, incident_id: str) -> None:
    with rt.sessions() as session:
        with pytest.raises(NotApproved, match="not been approved"):
            approval_rules.require_approved(session=session, incident_id=incident_id)


def _refusals(rt, incident_id: str) -> list[dict]:
    with rt.sessions() as session:
        return [e.details for e in events_for(session=session, incident_id=incident_id) if e.action == approval_rules.REFUSED]


def _e_mailed_code(rt, incident_id: str) -> str:
    """What the flow does when it pauses: e-mail a code (to the outbox); then read it as the manager would."""
    send_codes(rt, incident_id=incident_id, only=MANAGER, fresh=True)
    return code_from_outbox(rt.settings.outbox_dir, incident_id)[0]


def _authority_deadline(rt, incident_id: str):
    with rt.sessions() as session:
        (row,) = [d for d in deadline_rules.deadlines_of(session=session, incident_id=incident_id) if d.obligation == "authority"]
        session.expunge(row)
    return row


# 1. assess --json: the ASSESSMENT.md contract

def test_assess_json_prints_the_assessment_contract(rt, tmp_path):
    doc = facts_doc()
    result = _invoke("assess", str(_write(tmp_path / "facts.json", doc)), "--json")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    verdict = json.loads(result.stdout)
    assert set(verdict) >= ASSESSMENT_KEYS
    assert set(verdict["severity"]) >= {"method", "score", "band", "dpc", "ei", "cb"}
    assert verdict["severity"]["method"] == "ENISA-2013"
    assert verdict["severity"]["band"] in {"low", "medium", "high", "very_high"}
    assert verdict["risk"] in {"unlikely", "risk", "high"}
    assert verdict["personal_data_breach"] is True and verdict["notify_authority"] is True
    assert verdict["authority"]["code"] == "DK"
    due = datetime.fromisoformat(verdict["authority_deadline"])
    assert due == datetime.fromisoformat(doc["aware_at"]) + timedelta(hours=72)
    assert verdict["rationale"] and all({"rule", "finding"} <= set(entry) for entry in verdict["rationale"])


# 2. assess: exit 2, exactly one line on stderr naming the field, nothing on stdout

@pytest.mark.parametrize("case, names", [
    ("invalid_json", "(document): not valid JSON"),
    ("missing_summary", "summary: is required"),
    ("bad_breach_type", "breach_types[0]"),
    ("missing_file", "file not found"),
])
def test_assess_refuses_a_bad_document_with_one_line_naming_the_field(rt, tmp_path, case, names):
    path = tmp_path / "facts.json"
    if case == "invalid_json":
        path.write_text('{"summary": "half a doc",', encoding="utf-8")
    elif case == "missing_summary":
        _write(path, {k: v for k, v in facts_doc().items() if k != "summary"})
    elif case == "bad_breach_type":
        _write(path, facts_doc(breach_types=["theft"]))
    result = _invoke("assess", str(path), "--json")
    assert result.exit_code == 2
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: invalid facts: ") and names in lines[0]


# 3. approve: roster, four eyes, direct record, then send

def test_approve_by_someone_not_on_the_roster_is_refused_audited_and_records_nothing(rt, tmp_path, monkeypatch, capsys):
    incident_id = _drafted_incident(tmp_path)
    stranger = "someone-not-on-roster@example.com"
    result = _invoke("approve", incident_id, "--as", stranger)
    assert isinstance(result.exception, ApprovalRefused)
    assert "not on the managers roster" in str(result.exception)
    code, out, err = _main(monkeypatch, capsys, "approve", incident_id, "--as", stranger, "--code", "12345678")
    assert code == 2
    assert "recorded" not in out
    assert len(err.strip().splitlines()) == 1 and "not on the managers roster" in err and incident_id in err
    _assert_not_approved(rt, incident_id)
    assert [r["kind"] for r in _refusals(rt, incident_id)] == ["not_on_roster", "not_on_roster"]
    assert not list((rt.settings.outbox_dir / CODES_FOLDER).glob(f"{incident_id}/email/*.eml"))  # no code for a stranger


def test_a_sender_cannot_widen_the_roster_with_breach_managers(rt, tmp_path, monkeypatch):
    incident_id = _drafted_incident(tmp_path)
    rt.managers()
    monkeypatch.setenv("BREACH_MANAGERS", "mallory@evil.example")
    runtime.cache_clear()
    result = _invoke("approve", incident_id, "--as", "mallory@evil.example", "--code", "12345678")
    assert isinstance(result.exception, ApprovalRefused) and "not on the managers roster" in str(result.exception)
    assert [e.email for e in runtime().managers()] == [MANAGER]


@pytest.fixture()
def drafter_on_the_roster(rt, tmp_path):
    """The roster set with `breach roster set`: the manager, and the responder whose roster entry names this OS login."""
    path = tmp_path / "roster.json"
    path.write_text(json.dumps({"managers": [{"email": MANAGER}, {"email": RESPONDER, "language": "da", "logins": [identity()]}]}))
    result = _invoke("roster", "set", str(path))
    assert result.exit_code == 0, result.output
    assert "added ['responder@example.com']" in _flat(result.stdout) and "(audited)" in result.stdout
    yield
    path.write_text(json.dumps({"managers": [{"email": MANAGER}]}))
    assert _invoke("roster", "set", str(path)).exit_code == 0


def test_approve_by_the_drafter_is_refused_for_four_eyes(rt, tmp_path, monkeypatch, capsys, drafter_on_the_roster):
    incident_id = _drafted_incident(tmp_path)  # drafted under this process's identity, os:<user>
    shown = _flat(_invoke("roster", "show").stdout)
    assert RESPONDER in shown and identity() in shown
    result = _invoke("approve", incident_id, "--as", RESPONDER)
    assert isinstance(result.exception, ApprovalRefused)
    assert "four eyes" in result.exception.reason
    code, _, err = _main(monkeypatch, capsys, "approve", incident_id, "--as", RESPONDER, "--code", "12345678")
    assert code == 2 and "four eyes" in err
    _assert_not_approved(rt, incident_id)
    assert [r["kind"] for r in _refusals(rt, incident_id)] == ["drafter", "drafter"]


def test_approve_e_mails_a_code_asks_for_it_records_directly_then_send_sends(rt, tmp_path, monkeypatch):
    incident_id = _drafted_incident(tmp_path)
    asked = []

    def manager_types_the_code_from_the_e_mail(text: str) -> str:  # the e-mail is sent before the question is asked
        asked.append(text)
        return code_from_outbox(rt.settings.outbox_dir, incident_id)[0]

    monkeypatch.setattr(typer, "prompt", manager_types_the_code_from_the_e_mail)
    result = _invoke("approve", incident_id, "--as", MANAGER, "--comment", "checked")
    assert asked == ["approval code"]
    assert result.exit_code == 0, result.output
    assert f"a one-time approval code was e-mailed to {MANAGER}" in _flat(result.stdout)
    assert "approval recorded" in _flat(result.stdout)
    assert f"breach send {incident_id}" in _flat(result.stdout)
    with rt.sessions() as session:
        approved = approval_rules.require_approved(session=session, incident_id=incident_id)
        assert (approved.actor, approved.proof) == (MANAGER, "code")
        assert delivery_counts(session=session, incident_id=incident_id) == {}
    sent = _invoke("send", incident_id)
    assert sent.exit_code == 0, sent.output
    assert "sent 2" in _flat(sent.stdout)
    with rt.sessions() as session:
        assert delivery_counts(session=session, incident_id=incident_id) == {"email": {"accepted": 2}}
    assert len(list((rt.settings.outbox_dir / incident_id / "email").glob("*.eml"))) == 2


def test_approve_refuses_a_wrong_code_then_a_reused_code(rt, tmp_path):
    incident_id = _drafted_incident(tmp_path)
    code = _e_mailed_code(rt, incident_id)
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    refused = _invoke("approve", incident_id, "--as", MANAGER, "--code", wrong)
    assert isinstance(refused.exception, ApprovalRefused) and refused.exception.kind == "wrong_code"
    assert _invoke("approve", incident_id, "--as", MANAGER, "--code", code, "--reject", "--comment", "fix the phone").exit_code == 0
    reused = _invoke("approve", incident_id, "--as", MANAGER, "--code", code)
    assert isinstance(reused.exception, ApprovalRefused) and reused.exception.kind == "code_used"
    _assert_not_approved(rt, incident_id)
    assert [r["kind"] for r in _refusals(rt, incident_id)] == ["wrong_code", "code_used"]


def test_approve_with_an_ed25519_key_on_the_roster(rt, tmp_path):
    private = Ed25519PrivateKey.generate()
    key_file = tmp_path / "manager.pem"
    key_file.write_bytes(private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    public_pem = private.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    roster_file = tmp_path / "roster.json"
    roster_file.write_text(json.dumps({"managers": [{"email": MANAGER, "public_key": public_pem}]}))
    assert _invoke("roster", "set", str(roster_file)).exit_code == 0
    try:
        incident_id = _drafted_incident(tmp_path)
        result = _invoke("approve", incident_id, "--as", MANAGER, "--key", str(key_file))
        assert result.exit_code == 0, result.output
        with rt.sessions() as session:
            assert approval_rules.require_approved(session=session, incident_id=incident_id).proof == "ed25519"
    finally:
        roster_file.write_text(json.dumps({"managers": [{"email": MANAGER}]}))
        assert _invoke("roster", "set", str(roster_file)).exit_code == 0


def test_send_before_approval_is_refused_by_the_cli(rt, tmp_path):
    incident_id = _drafted_incident(tmp_path)
    result = _invoke("send", incident_id)
    assert result.exit_code != 0
    assert isinstance(result.exception, NotApproved)
    with rt.sessions() as session:
        assert delivery_counts(session=session, incident_id=incident_id) == {}


# 4. status and filed

def test_status_shows_the_deadline_and_filed_stops_the_clock_in_time(rt, tmp_path):
    aware = _utc_now() - timedelta(hours=2)
    incident_id = _clocked_incident(tmp_path, aware_at=aware, tag="INTIME")
    due = _authority_deadline(rt, incident_id).due_at
    assert due == aware + timedelta(hours=72)

    shown = _invoke("status", incident_id)
    assert shown.exit_code == 0, shown.output
    text = _flat(shown.stdout)
    assert incident_id in text
    assert "status: assessed" in text
    assert "authority (DK) due" in text and due.isoformat() in text
    danish = _invoke("status", incident_id, "--lang", "da")
    assert danish.exit_code == 0 and "åbnet" in danish.stdout and "authority (DK) frist" in _flat(danish.stdout)
    assert _invoke("status", incident_id, "--lang", "sv").exit_code == 2

    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 receipt from virk.dk")
    result = _invoke("filed", incident_id, "--receipt", str(receipt), "--reference", "DT-2026-1")
    assert result.exit_code == 0, result.output
    text = _flat(result.stdout)
    assert "filed with DK" in text and "clock stopped" in text and "late" not in text
    assert hashlib.sha256(receipt.read_bytes()).hexdigest()[:16] in text
    assert _authority_deadline(rt, incident_id).state == "met"

    after = _flat(_invoke("status", incident_id).stdout)
    assert "authority (DK): met at" in after
    assert "filed with DK #1" in after and "(late)" not in after
    norwegian = _flat(_invoke("status", incident_id, "--lang", "nb").stdout)
    assert "authority (DK): overholdt den" in norwegian and "meldt til DK nr. 1" in norwegian
    for english in ("people by channel", "deliveries", "approval", "notify", "risk:", " met "):
        assert english not in norwegian and english not in _flat(danish.stdout), english


def test_late_filing_needs_reasons_for_the_delay(rt, tmp_path, monkeypatch, capsys):
    incident_id = _clocked_incident(tmp_path, aware_at=_utc_now() - timedelta(days=4), tag="LATE")
    receipt = tmp_path / "receipt.pdf"
    receipt.write_bytes(b"%PDF-1.4 late receipt")

    refused = _invoke("filed", incident_id, "--receipt", str(receipt))
    assert isinstance(refused.exception, DeadlineMissed)
    code, out, err = _main(monkeypatch, capsys, "filed", incident_id, "--receipt", str(receipt))
    assert code == 2 and out == ""
    assert "reasons for the delay" in err and "Art. 33(1)" in err
    with rt.sessions() as session:
        assert filing_rules.filings_of(session=session, incident_id=incident_id) == []
    assert _authority_deadline(rt, incident_id).state == "running"

    result = _invoke("filed", incident_id, "--receipt", str(receipt), "--reasons-for-delay", "forensics took four days")
    assert result.exit_code == 0, result.output
    assert "late, reasons recorded" in _flat(result.stdout)
    deadline = _authority_deadline(rt, incident_id)
    assert deadline.state == "stopped_late" and deadline.stopped_at > deadline.due_at
    with rt.sessions() as session:
        (row,) = filing_rules.filings_of(session=session, incident_id=incident_id)
        assert row.late is True and row.authority_code == "DK"
    assert "stopped after the deadline" in _flat(_invoke("status", incident_id).stdout)


# 5. audit verify

def test_audit_verify_reports_the_chain_intact(rt, tmp_path):
    _clocked_incident(tmp_path, aware_at=_utc_now() - timedelta(hours=1), tag="AUDIT")
    with rt.sessions() as session:
        entries = session.execute(select(func.count()).select_from(AuditEventRow)).scalar_one()
    assert entries > 0
    result = _invoke("audit", "verify")
    assert result.exit_code == 0, result.output
    assert f"audit log intact: {entries} entries" in _flat(result.stdout)
