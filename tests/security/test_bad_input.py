"""Bad input (issue #19): every one ends in one `error: ...` line naming the problem, exit code 2, nothing half-stored."""

from __future__ import annotations

import json
import sqlite3
import uuid

import pytest
from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from flows.runtime import EXAMPLES
from tests.factories import facts_doc, write_people_csv
from tests.security.conftest import MANAGER, refused_cleanly
from tests.security.helpers import PEOPLE, drafted, facts_file, sql, write_json

pytestmark = [pytest.mark.security, pytest.mark.usefixtures("prefect_harness")]
FACTS = "bad-input: facts"
SETTINGS = "bad-input: settings and files"
MACHINE = "bad-input: the machine underneath"


def _nothing_stored(home) -> None:
    assert not (home / "breach.db").exists() or sql(home, "SELECT count(*) FROM incidents") == [(0,)]


@pytest.mark.attack(finding="bad-input", group=FACTS, fails_as="traceback")
@pytest.mark.parametrize("command", ["assess", "open", "deadlines"])
@pytest.mark.parametrize("field, value, needle", [
    ("aware_at", "9999-12-31T23:00:00+00:00", "aware_at: is implausible (9999)"),
    ("occurred_at", "1066-10-14T09:00:00+00:00", "occurred_at: is implausible (1066)"),
    ("aware_at", "2026-11-01T09:00:00+01:00", "aware_at: is before occurred_at"),
    ("detected_at", "2026-11-01T09:00:00+01:00", "detected_at: is before occurred_at"),
    ("summary", "   \t  ", "summary: must not be blank"),
    ("unavailable_hours", 1e300, "unavailable_hours: is implausible"),
], ids=["year-9999", "year-1066", "aware-before-occurred", "detected-before-occurred", "blank-summary", "hours-1e300"])
def test_implausible_facts_are_refused_before_anything_is_stored(home, tmp_path, breach, command, field, value, needle):
    facts = facts_doc(reference="IMPLAUSIBLE", **{"occurred_at": "2026-11-18T20:00:00+01:00", field: value})
    refused_cleanly(breach(command, str(write_json(tmp_path / "facts.json", facts))), needle)
    _nothing_stored(home)


@pytest.mark.attack(finding="bad-input", group=FACTS, fails_as="traceback")
def test_detection_after_awareness_is_warned_about_not_refused(home, tmp_path, breach):
    facts = facts_doc(detected_at="2026-11-21T09:00:00+01:00", aware_at="2026-11-20T09:30:00+01:00")
    ran = breach("assess", str(write_json(tmp_path / "facts.json", facts)))
    assert ran.code == 0 and "Traceback" not in ran.err
    assert "warning: detected_at is after aware_at" in " ".join(ran.err.split())


@pytest.mark.attack(finding="bad-input", group=FACTS, fails_as="traceback")
@pytest.mark.parametrize("text, needle", [
    ('{"summary": "x", "notes": ' + "[" * 100_000 + "]" * 100_000 + "}", "nested"),
    (json.dumps({**facts_doc(), "controller": {"name": {"a": [[[[[[[[[[[[[[1]]]]]]]]]]]]]]}}}), "nested more than"),
    ('{"summary": "x", "subjects_affected": NaN}', "NaN is not a number JSON allows"),
    ('{"summary": "x", "unavailable_hours": Infinity}', "Infinity is not a number JSON allows"),
    ("\ufeff{not json", "not valid JSON"),
    ("", "not valid JSON"),
], ids=["nested-100000", "nested-16", "nan", "infinity", "not-json", "empty"])
def test_malformed_facts_documents_are_refused(home, tmp_path, breach, text, needle):
    path = tmp_path / "facts.json"
    path.write_text(text, encoding="utf-8")
    for command in ("assess", "open"):
        refused_cleanly(breach(command, str(path)), "invalid facts", needle)
    _nothing_stored(home)


@pytest.mark.attack(finding="bad-input", group=FACTS, fails_as="traceback")
@pytest.mark.parametrize("at", ["not a date", "2026-11-23T15:00:00", "2026-13-45T99:00:00+01:00", "99999-01-01T00:00:00+00:00"])
def test_reported_at_that_is_not_an_instant_is_refused(home, rt, tmp_path, breach, at):
    incident_id = drafted(rt, tmp_path)
    refused_cleanly(breach("reported", incident_id, "gdpr.authority", "--at", at), "--at is not an ISO 8601 instant")


# -- settings and files -----------------------------------------------------------------------------------

def _controller(tmp_path, monkeypatch, content) -> None:
    path = tmp_path / "controller.json"
    if isinstance(content, dict):
        base = json.loads((EXAMPLES / "controller.json").read_text(encoding="utf-8"))
        base.update(content)
        content = json.dumps({k: v for k, v in base.items() if v is not None})
    path.write_text(content, encoding="utf-8")
    monkeypatch.setenv("BREACH_CONTROLLER_FILE", str(path))


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
@pytest.mark.parametrize("content, needle", [
    ("{not json", "is not valid JSON"),
    ("[1, 2]", "must be a JSON object"),
    ({"name": None}, "name is required"),
    ({"sender_email": None}, "sender_email is required"),
    ({"timezone": "Europe/Atlantis"}, "unknown time zone"),
    ({"sender_email": "noreply at example dot com"}, "sender_email is not an e-mail address"),
    ({"sender_email": "støj@eksempel.dk"}, "sender_email is not an e-mail address"),
    ({"country": "Denmark"}, "country must be an ISO 3166-1"),
], ids=["not-json", "not-object", "no-name", "no-sender", "unknown-zone", "sender-not-address", "sender-non-ascii", "country"])
def test_a_bad_controller_profile_is_refused_before_the_incident_is_opened(home, tmp_path, monkeypatch, breach, content, needle):
    _controller(tmp_path, monkeypatch, content)
    refused_cleanly(breach("open", str(facts_file(tmp_path)), "--people", str(write_people_csv(tmp_path / "p.csv", PEOPLE))),
                    "BREACH_CONTROLLER_FILE", needle)
    _nothing_stored(home)


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
def test_a_missing_controller_profile_is_refused(home, tmp_path, monkeypatch, breach):
    monkeypatch.setenv("BREACH_CONTROLLER_FILE", str(tmp_path / "nowhere.json"))
    refused_cleanly(breach("status", "BR-2026-0001"), "cannot read the controller profile")


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
@pytest.mark.parametrize("header, needle", [
    (["name", "language", "emial", "channel"], "'emial' (did you mean 'email'?)"),
    (["name", "language", "e-mail"], "'e-mail' (did you mean 'email'?)"),
    (["name", "language", "email", "adress_line1", "postal_code", "city"], "'adress_line1' (did you mean 'address_line1'?)"),
    (["navn", "sprog", "email"], "missing required column(s): name, language"),
], ids=["emial", "e-mail", "adress", "danish-header"])
def test_a_people_file_with_a_mistyped_column_is_refused_before_the_incident_is_opened(home, tmp_path, breach, header, needle):
    people = write_people_csv(tmp_path / "people.csv", [["Kari Nordmann", "nb", "kari@example.org", "", "", ""][:len(header)]],
                              header=header)
    refused_cleanly(breach("open", str(facts_file(tmp_path)), "--people", str(people)), needle)
    _nothing_stored(home)  # no incident, no clock


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
@pytest.mark.parametrize("name, content, needle", [
    ("people.xlsx", b"PK\x03\x04", "unknown file type"),
    ("people.csv", "name,language\n".encode("utf-16"), "UTF-16"),
    ("people.csv", b"", "the file is empty"),
    ("people.jsonl", b"\n\n", "the file is empty"),
], ids=["xlsx", "utf16", "empty-csv", "empty-jsonl"])
def test_a_people_file_that_cannot_be_read_is_refused_before_the_incident_is_opened(home, tmp_path, breach, name, content, needle):
    (tmp_path / name).write_bytes(content)
    refused_cleanly(breach("open", str(facts_file(tmp_path)), "--people", str(tmp_path / name)), needle)
    _nothing_stored(home)


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
def test_unknown_extra_columns_are_named_and_ignored(home, tmp_path, breach):
    from breach.people.importer import check_people_file

    people = write_people_csv(tmp_path / "people.csv", [["Kari Nordmann", "nb", "kari@example.org", "crm note"]],
                              header=["name", "language", "email", "notes"])
    assert check_people_file(people) == ["notes"]


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
@pytest.mark.parametrize("setting, value", [("BREACH_WEBHOOK_MAX_BODY_BYTES", "10"), ("BREACH_WEBHOOK_MAX_AGE_SECONDS", "soon"),
                                            ("BREACH_WEBHOOK_PUBLIC_KEY", "not-a-key")])
def test_a_bad_webhook_setting_is_refused_with_one_line(home, monkeypatch, breach, setting, value):
    monkeypatch.setenv(setting, value)
    refused_cleanly(breach("webhook", "serve", "--port", "0"), setting)


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
@pytest.mark.parametrize("setting, value", [("BREACH_BATCH_SIZE", "0"), ("BREACH_BATCH_SIZE", "many"), ("BREACH_AUDIT_KEY", "changeme")])
def test_a_bad_breach_setting_is_refused_with_one_line(home, monkeypatch, breach, setting, value):
    monkeypatch.setenv(setting, value)
    refused_cleanly(breach("status", "BR-2026-0001"), setting)


@pytest.mark.attack(finding="bad-input", group=SETTINGS, fails_as="traceback")
@pytest.mark.parametrize("args, needle", [
    (["status", "../../etc/passwd"], "no incident"), (["export", "../../x"], "no incident"), (["send", "BR-1999-9999"], "no incident"),
    (["approve", "BR-1999-9999", "--as", MANAGER], "no incident"), (["status", "BR-2026-0001", "--lang", "xx"], "--lang must be one of"),
    (["filed", "BR-1999-9999", "--receipt", "/nonexistent.pdf"], "no incident"),
], ids=["status-path", "export-path", "send-unknown", "approve-unknown", "lang", "filed-unknown"])
def test_unknown_incidents_and_options_are_refused_with_one_line(home, breach, args, needle):
    refused_cleanly(breach(*args), needle)


# -- refusals inside flows, and the machine underneath ------------------------------------------------------

@pytest.mark.attack(finding="bad-input", group=MACHINE, fails_as="traceback")
def test_a_refusal_inside_a_flow_prints_one_line_not_prefect_tracebacks(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    ran = refused_cleanly(breach("send", incident_id), "nothing sent", "not been approved")
    assert "Task run" not in ran and "Flow run" not in ran


@pytest.mark.attack(finding="bad-input", group=MACHINE, fails_as="traceback")
def test_approve_when_prefect_no_longer_knows_the_paused_run_records_once_and_says_so(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    sql(home, "UPDATE incidents SET approval_flow_run_id = ? WHERE id = ?", str(uuid.uuid4()), incident_id)
    first = breach("approve", incident_id, "--as", MANAGER)
    assert first.code == 0 and "Traceback" not in first.err, first.err
    assert "could not be resumed" in " ".join(first.out.split()) and "breach send" in first.out
    again = breach("approve", incident_id, "--as", MANAGER)  # a retry says so; it never fails with "approved to approved"
    assert again.code == 0 and "already recorded" in " ".join(again.out.split()), again.err
    assert sql(home, "SELECT count(*) FROM approvals") == [(1,)]
    assert breach("send", incident_id).code == 0


@pytest.mark.attack(finding="bad-input", group=MACHINE, fails_as="traceback")
def test_a_read_only_database_is_one_line(home, rt, tmp_path, monkeypatch, breach):
    incident_id = drafted(rt, tmp_path)
    rt.sessions.kw["bind"].dispose()
    monkeypatch.setenv("BREACH_DB_URL", f"sqlite:///file:{home / 'breach.db'}?mode=ro&uri=true")
    refused_cleanly(breach("approve", incident_id, "--as", MANAGER), "the database failed", "readonly database")


def _inject(engine, error: str):
    """Every INSERT and UPDATE fails as SQLite fails on a full or broken disk (SQLITE_FULL, SQLITE_IOERR)."""
    def fail(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("INSERT", "UPDATE")):
            raise OperationalError(statement, parameters, sqlite3.OperationalError(error))
    event.listen(engine, "before_cursor_execute", fail)
    return fail


@pytest.mark.attack(finding="bad-input", group=MACHINE, fails_as="traceback")
@pytest.mark.parametrize("error", ["database or disk is full", "disk I/O error"])
def test_a_full_or_failing_disk_under_the_database_is_one_line_and_nothing_is_half_stored(home, rt, tmp_path, breach, error):
    incident_id = drafted(rt, tmp_path)
    engine = rt.sessions.kw["bind"]
    fail = _inject(engine, error)
    try:
        line = refused_cleanly(breach("approve", incident_id, "--as", MANAGER), "the database failed", error)
        assert "INSERT" not in line and "UPDATE" not in line  # the statement is not the user's business
    finally:
        event.remove(engine, "before_cursor_execute", fail)
    assert sql(home, "SELECT count(*) FROM approvals") == [(0,)]


@pytest.mark.attack(finding="bad-input", group=MACHINE, fails_as="traceback")
def test_a_full_disk_under_the_outbox_is_one_line_and_the_batch_stays_open(home, rt, tmp_path, monkeypatch, breach):
    import errno

    from notices.email import eml_folder

    incident_id = drafted(rt, tmp_path, people=PEOPLE[:2])
    assert breach("approve", incident_id, "--as", MANAGER).code == 0

    def full(*_args, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(home / "outbox"))

    written = eml_folder._write_atomic
    monkeypatch.setattr(eml_folder, "_write_atomic", full)
    refused_cleanly(breach("send", incident_id), "no space left on the device")
    assert sql(home, "SELECT count(*) FROM deliveries WHERE state = 'accepted'") == [(0,)]
    monkeypatch.setattr(eml_folder, "_write_atomic", written)
    assert breach("send", incident_id).code == 0  # room again: the same command finishes the send
    assert sql(home, "SELECT count(*) FROM deliveries WHERE state = 'accepted'") == [(2,)]
