"""Data safety (issue #19 items 5-8): keys never silently replaced, private files, late-found people told, no free text into errors."""

from __future__ import annotations

import base64
import os
import stat

import pytest
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from breach.facts import load_facts
from tests.security.conftest import MANAGER, refused_cleanly
from tests.security.helpers import PEOPLE, audit_actions, drafted, emails, facts_file, letters, sql

pytestmark = [pytest.mark.security, pytest.mark.usefixtures("prefect_harness")]
GROUP_KEYS = "5. master key missing, corrupt or wrong"


@pytest.mark.attack(finding="5", group=GROUP_KEYS, fails_as="integrity")
def test_a_deleted_master_key_is_refused_at_every_command_never_replaced_and_restorable(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    assert breach("keys", "backup", "--to", str(tmp_path / "recovery.json")).code == 0
    assert stat.S_IMODE((tmp_path / "recovery.json").stat().st_mode) == 0o600
    kid = f"0x{rt.cipher.current.key_id:08x}"
    (home / "master.key").unlink()
    for command in (["keys", "status"], ["status", incident_id], ["approve", incident_id, "--as", MANAGER], ["send", incident_id]):
        refused_cleanly(breach(*command), "master key file", "is missing", kid, "breach keys restore")
        assert not (home / "master.key").exists()  # never a new key over data that needs the old one
    assert sql(home, "SELECT count(*) FROM approvals") == [(0,)]
    assert breach("keys", "restore", str(tmp_path / "recovery.json")).code == 0
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    assert len(emails(home, incident_id)) == 2 and len(letters(home, incident_id)) == 1


def _variants(key_text: str) -> dict[str, object]:
    """Fourteen ways a key file can be damaged, replaced or swapped (the issue's corrupt-key catalogue)."""
    other = base64.b64encode(bytes(range(40, 72))).decode()
    return {
        "empty": "", "whitespace": "  \n\n", "not-base64": "this is not a key!\n", "truncated": key_text[:20] + "\n",
        "too-long": base64.b64encode(os.urandom(48)).decode() + "\n", "placeholder-zeros": base64.b64encode(bytes(32)).decode() + "\n",
        "binary-garbage": os.urandom(64), "utf16": key_text.encode("utf-16"), "directory": "dir", "dangling-symlink": "symlink",
        "fifo": "fifo", "bad-previous-key": key_text + "\nnot-a-key\n", "another-valid-key": other + "\n", "huge": "A" * 70_000,
    }


@pytest.mark.attack(finding="5", group=GROUP_KEYS, fails_as="traceback")
@pytest.mark.parametrize("variant", ["empty", "whitespace", "not-base64", "truncated", "too-long", "placeholder-zeros", "binary-garbage",
                                     "utf16", "directory", "dangling-symlink", "fifo", "bad-previous-key", "another-valid-key", "huge"])
def test_a_corrupt_key_file_is_refused_with_one_line_and_left_as_it_is(home, rt, tmp_path, breach, variant):
    drafted(rt, tmp_path)
    key_file = home / "master.key"
    value = _variants(key_file.read_text(encoding="ascii").strip())[variant]
    key_file.unlink()
    if value == "dir":
        key_file.mkdir()
    elif value == "symlink":
        key_file.symlink_to(tmp_path / "nowhere.key")
    elif value == "fifo":
        os.mkfifo(key_file)
    elif isinstance(value, bytes):
        key_file.write_bytes(value)
    else:
        key_file.write_text(str(value), encoding="ascii")
    before = key_file.lstat()
    line = refused_cleanly(breach("keys", "status"), "BREACH_MASTER_KEY")
    assert any(word in line for word in ("key file", "contacts are encrypted with key")), line
    after = key_file.lstat()
    assert (after.st_ino, after.st_mtime_ns, stat.S_IFMT(after.st_mode)) == (before.st_ino, before.st_mtime_ns, stat.S_IFMT(before.st_mode))


@pytest.mark.attack(finding="5", group=GROUP_KEYS, fails_as="traceback")
@pytest.mark.parametrize("setting, value", [("BREACH_MASTER_KEY", "changeme"), ("BREACH_MASTER_KEY", "short"),
                                            ("BREACH_MASTER_KEYS_OLD", "not-a-key")])
def test_a_bad_key_in_the_environment_is_refused_with_one_line(home, monkeypatch, breach, setting, value):
    if setting == "BREACH_MASTER_KEYS_OLD":
        monkeypatch.setenv("BREACH_MASTER_KEY", base64.b64encode(bytes(range(32))).decode())
    monkeypatch.setenv(setting, value)
    refused_cleanly(breach("keys", "status"), setting)


# -- 6. files holding personal data are private -------------------------------------------------------

@pytest.mark.attack(finding="6", group="6. data folder and files readable by others", fails_as="integrity")
def test_a_world_readable_data_folder_is_tightened_and_every_file_made_is_private(home, tmp_path, breach):
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)  # whatever the umask: as `mkdir -m 755 data` leaves it
    (home / "exports").mkdir(mode=0o755)
    os.chmod(home / "exports", 0o755)
    from flows.runtime import runtime

    incident_id = drafted(runtime(), tmp_path)
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    assert breach("export", incident_id).code == 0
    for path in [home, *home.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path == home:
            assert mode == 0o700
        elif path.is_file():
            assert mode & 0o077 == 0, f"{path.relative_to(home)} is {mode:o}"
    assert letters(home, incident_id) and stat.S_IMODE(letters(home, incident_id)[0].stat().st_mode) == 0o600


@pytest.mark.attack(finding="6", group="6. data folder and files readable by others", fails_as="integrity")
def test_an_existing_world_readable_database_file_is_tightened(home, breach):
    home.mkdir(mode=0o700)
    (home / "breach.db").touch()
    os.chmod(home / "breach.db", 0o644)
    ran = breach("keys", "status")
    assert ran.code == 0, ran.err
    assert stat.S_IMODE((home / "breach.db").stat().st_mode) == 0o600


# -- 7. people found after the notices went out -------------------------------------------------------

@pytest.mark.attack(finding="7", group="7. late-found people left untold", fails_as="integrity")
def test_people_found_after_notification_get_a_round_of_their_own(home, rt, tmp_path, breach):
    from flows.assess import assess_incident
    from flows.draft import draft_notices
    from flows.open_incident import open_incident
    from flows.people import import_people
    from tests.factories import write_people_csv

    facts = facts_file(tmp_path)
    incident_id = open_incident(load_facts(facts))
    assess_incident(incident_id)
    import_people(incident_id, str(write_people_csv(tmp_path / "first.csv", PEOPLE[:2])))
    draft_notices(incident_id)
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    assert sql(home, "SELECT status FROM incidents") == [("notified",)]
    refused_cleanly(breach("approve", incident_id, "--as", MANAGER, "--reject"), "already sent")

    # the breach grows: the same facts again, with the two known people and one found later (the reproduction)
    assert open_incident(load_facts(facts)) == incident_id
    assess_incident(incident_id)
    late = [["Ingrid Late", "nb", "ingrid.late@example.org", "", "", "", "", "NO"]]
    import_people(incident_id, str(write_people_csv(tmp_path / "more.csv", PEOPLE[:2] + late)))
    assert "1 people not told yet" in " ".join(breach("status", incident_id).out.split())
    assert draft_notices(incident_id)  # a new round, not "cannot go from notified to drafted"
    refused_cleanly(breach("send", incident_id), "not been approved")
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    told = [m["To"].addresses[0].addr_spec for m in emails(home, incident_id)]
    assert sorted(told) == ["aase@example.org", "ingrid.late@example.org", "soren@example.com"]  # each exactly once
    assert sql(home, "SELECT count(*), count(DISTINCT person_id) FROM deliveries") == [(3, 3)]
    assert sql(home, "SELECT round, decision FROM approvals ORDER BY id") == [(1, "approved"), (2, "approved")]
    assert audit_actions(home, incident_id).count("outbox.filled") == 2
    assert "not told yet" not in breach("status", incident_id).out
    # run again with nothing new: no third round, though the report's preview now says how and when people were told
    draft_notices(incident_id)
    assert sql(home, "SELECT max(round) FROM drafts") == [(2,)]
    assert sql(home, "SELECT status FROM incidents") == [("notified",)]
    assert breach("audit", "verify").code == 0


# -- 8. free text never reaches Prefect or the console through an error ----------------------------

@pytest.mark.attack(finding="8", group="8. free text in database errors", fails_as="traceback")
@pytest.mark.parametrize("field", ["summary", "measures_taken", "notes"])
def test_a_nul_character_is_refused_before_anything_is_stored(home, tmp_path, breach, field):
    value = "Kari Secret-Person\x00 leaked"
    path = facts_file(tmp_path, **{field: [value] if field == "measures_taken" else value})
    line = refused_cleanly(breach("open", str(path)), "NUL")
    assert "Kari" not in line
    assert not (home / "breach.db").exists() or sql(home, "SELECT count(*) FROM incidents") == [(0,)]


@pytest.mark.attack(finding="8", group="8. free text in database errors", fails_as="integrity")
def test_a_database_error_never_quotes_the_statement_values(home, rt):
    with pytest.raises(IntegrityError) as caught, rt.sessions.begin() as session:
        session.execute(text("INSERT INTO incidents (id, status, summary, role, timezone, opened_by, opened_at, updated_at) "
                             "VALUES (:id, 'open', :summary, 'controller', 'UTC', 'x', '2026-01-01', '2026-01-01')"),
                        [{"id": "BR-X", "summary": "Kari Secret-Person's diagnosis"}, {"id": "BR-X", "summary": "Kari Secret-Person"}])
    assert "Kari" not in str(caught.value) and "hidden" in str(caught.value)
