"""`breach keys rotate`: every contact re-encrypted under the new key, online, resumable, idempotent."""

from __future__ import annotations

import csv
import json
import secrets
import time
from pathlib import Path

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from breach import audit
from breach.exceptions import ConfigurationError, DecryptionFailed
from breach.keys import master
from breach.keys.cipher import MultiKeyCipher, key_id
from breach.people import rekey
from breach.people import store as people_store
from breach.store.session import session_factory
from breach.store.tables import AuditEventRow, PersonRow
from tests.conftest import TEST_MASTER_KEY
from tests.factories import make_incident

pytestmark = pytest.mark.integration
KEY_A, KEY_B = bytes(range(32)), bytes(range(100, 132))
HEADER = ["name", "language", "email", "channel", "address_line1", "address_line2", "postal_code", "city", "country", "external_id"]


def _people_csv(path: Path, n: int) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for i in range(n):
            if i % 3 == 0:  # no e-mail: identified by name, postal code and first address line
                gb = i % 2 == 0
                writer.writerow([f"Rotkey Person {i}", "en" if gb else "da", "", "letter", f"{i} Canary Street",
                                 "Flat 2" if i % 5 == 0 else "", "AB1 2CD" if gb else f"{8000 + i % 900}",
                                 "Leeds" if gb else "Aarhus C", "GB" if gb else "DK", f"EXT-{i}"])
            else:
                writer.writerow([f"Rotkey Person {i}", "da", f"rotkey.{i}@example.org", "", "", "", "", "", "DK", ""])
    return path


@pytest.fixture()
def sessions(tmp_path):
    return session_factory(f"sqlite:///{tmp_path / 'keys.db'}")


def _import(sessions, tmp_path, now, cipher, n=2500, incident_id=None, name="people.csv"):
    path = _people_csv(tmp_path / name, n)
    with sessions.begin() as session:
        incident_id = incident_id or make_incident(session=session, now=now)
        result = people_store.import_people(session=session, incident_id=incident_id, path=path, cipher=cipher, batch_size=1000,
                                            actor="responder@example.com", now=now)
    return incident_id, result


def _decrypt_all(sessions, incident_id, cipher) -> list[people_store.Contact]:
    with sessions() as session:
        ids = list(session.execute(select(PersonRow.id).where(PersonRow.incident_id == incident_id)).scalars())
        return list(people_store.contacts(session=session, incident_id=incident_id, cipher=cipher, person_ids=ids))


def test_rotation_re_encrypts_every_contact_and_the_old_key_can_go(sessions, tmp_path, now):
    incident_id, imported = _import(sessions, tmp_path, now, MultiKeyCipher(KEY_A))
    assert imported.report.imported == 2500
    before = {c.person_id: c for c in _decrypt_all(sessions, incident_id, MultiKeyCipher(KEY_A))}
    report = rekey.rotate_people(sessions=sessions, cipher=MultiKeyCipher(KEY_B, previous=[KEY_A]), actor="ops@example.com", now=now,
                                 chunk=1000)
    assert (report.rows, report.rotated, report.already_current, report.chunks) == (2500, 2500, 0, 3)
    assert report.index_rekeyed == 2500 and report.index_kept == 0
    after = {c.person_id: c for c in _decrypt_all(sessions, incident_id, MultiKeyCipher(KEY_B))}  # the old key is gone
    assert after == before
    with sessions() as session:
        assert rekey.status(session=session, cipher=MultiKeyCipher(KEY_B)).pending == 0
        entry = session.execute(select(AuditEventRow).where(AuditEventRow.action == "keys.rotated")).scalar_one()
        assert entry.details["rotated"] == 2500 and entry.actor == "ops@example.com"
        audit.verify(session=session)
    with pytest.raises(DecryptionFailed):
        _decrypt_all(sessions, incident_id, MultiKeyCipher(KEY_A))


def test_after_rotation_a_second_import_still_finds_every_duplicate(sessions, tmp_path, now):
    incident_id, _ = _import(sessions, tmp_path, now, MultiKeyCipher(KEY_A), n=300)
    rekey.rotate_people(sessions=sessions, cipher=MultiKeyCipher(KEY_B, previous=[KEY_A]), actor="ops@example.com", now=now)
    # Same people, another file (another digest): every row must be recognised under the new index key.
    _, again = _import(sessions, tmp_path, now, MultiKeyCipher(KEY_B), n=301, incident_id=incident_id, name="again.csv")
    counts = again.report.as_counts()
    assert sum(1 for p in again.problems if p.code == "duplicate") == 300, counts
    with sessions() as session:
        assert len(list(session.execute(select(PersonRow.id).where(PersonRow.incident_id == incident_id)).scalars())) == 301


class Crash(Exception):
    pass


def test_a_crash_midway_leaves_a_readable_mix_and_a_second_run_finishes(sessions, tmp_path, now):
    incident_id, _ = _import(sessions, tmp_path, now, MultiKeyCipher(KEY_A))
    both = MultiKeyCipher(KEY_B, previous=[KEY_A])

    def crash(chunks_done: int) -> None:
        if chunks_done == 2:
            raise Crash()

    with pytest.raises(Crash):
        rekey.rotate_people(sessions=sessions, cipher=both, actor="ops@example.com", now=now, chunk=700, after_chunk=crash)
    with sessions() as session:
        mix = rekey.status(session=session, cipher=both)
    assert mix.by_key == {f"0x{both.current.key_id:08x}": 1400, f"0x{key_id(KEY_A):08x}": 1100}
    assert len(_decrypt_all(sessions, incident_id, both)) == 2500  # reads keep working during rotation
    report = rekey.rotate_people(sessions=sessions, cipher=both, actor="ops@example.com", now=now, chunk=700)
    assert (report.rotated, report.already_current) == (1100, 1400)
    assert len(_decrypt_all(sessions, incident_id, MultiKeyCipher(KEY_B))) == 2500
    again = rekey.rotate_people(sessions=sessions, cipher=both, actor="ops@example.com", now=now)
    assert (again.rotated, again.already_current) == (0, 2500)


def test_a_row_whose_identity_cannot_be_recovered_keeps_its_index_and_still_decrypts(sessions, tmp_path, now):
    incident_id, _ = _import(sessions, tmp_path, now, MultiKeyCipher(KEY_A), n=3)
    with sessions.begin() as session:
        row = session.execute(select(PersonRow).where(PersonRow.incident_id == incident_id).limit(1)).scalar_one()
        row.dedup_key = b"\x01" * 16
        row.contact_enc = MultiKeyCipher(KEY_A).encrypt(json.dumps({"name": "Odd One", "email": None, "address_lines": []}),
                                                        aad=people_store._aad(incident_id, row.dedup_key))
    report = rekey.rotate_people(sessions=sessions, cipher=MultiKeyCipher(KEY_B, previous=[KEY_A]), actor="ops@example.com", now=now)
    assert (report.index_kept, report.index_rekeyed) == (1, 2)
    assert {c.name for c in _decrypt_all(sessions, incident_id, MultiKeyCipher(KEY_B))} >= {"Odd One"}


def test_keys_from_the_environment_newest_first(tmp_path):
    a, b = master.encode_master_key(KEY_A), master.encode_master_key(KEY_B)
    assert master.load_master_keys(env_value=b, env_old=f" {a} ,", key_file=tmp_path / "unused.key") == [KEY_B, KEY_A]
    with pytest.raises(ConfigurationError, match="BREACH_MASTER_KEYS_OLD"):
        master.load_master_keys(env_value=b, env_old="not-a-key", key_file=tmp_path / "unused.key")
    assert not (tmp_path / "unused.key").exists()


def test_key_file_install_then_retire(tmp_path):
    key_file = tmp_path / "master.key"
    first = master.load_master_keys(env_value=None, env_old=None, key_file=key_file)
    new = master.install_new_key(key_file)
    assert master.load_master_keys(env_value=None, env_old=None, key_file=key_file) == [new, *first]
    assert master.load_master_key(env_value=None, key_file=key_file) == new
    assert master.retire_old_keys(key_file) == 1
    assert master.load_master_keys(env_value=None, env_old=None, key_file=key_file) == [new]


def test_cli_keys_new_prints_a_fresh_key(tmp_path, monkeypatch):
    from flows.cli.main import app

    monkeypatch.chdir(tmp_path)  # no demo folder remembered here: nothing but the key on stdout
    runner = CliRunner()
    outputs = [runner.invoke(app, ["keys", "new"]).stdout.strip() for _ in range(2)]
    assert outputs[0] != outputs[1]
    assert all(len(master._decode_key(o, setting="x", where="y")) == 32 for o in outputs)


def _raw_sqlite_bytes(url: str) -> bytes:
    from bench.pii_canary import sqlite_file_bytes  # read by another process: this one keeps its SQLite locks

    path = url.removeprefix("sqlite:///")
    return b"".join(sqlite_file_bytes(Path(f"{path}{s}")) for s in ("", "-wal") if Path(f"{path}{s}").exists())


def test_the_raw_database_shows_no_contact_details(db_url, tmp_path, now):
    """Reading the SQLite file (and WAL) or `SELECT * FROM people` directly shows no canary value."""
    from bench.pii_canary import canary_people, canary_values, write_people_csv

    tag = "zq" + secrets.token_hex(4)
    people = canary_people(50, tag)
    sessions = session_factory(db_url)
    with sessions.begin() as session:
        incident_id = make_incident(session=session, now=now, reference=f"RAW-{time.time_ns()}")
        people_store.import_people(session=session, incident_id=incident_id, path=write_people_csv(tmp_path / "p.csv", people),
                                   cipher=MultiKeyCipher(TEST_MASTER_KEY), batch_size=1000, actor="responder@example.com", now=now)
    assert len(_decrypt_all(sessions, incident_id, MultiKeyCipher(TEST_MASTER_KEY))) == 50
    if db_url.startswith("sqlite"):
        raw = _raw_sqlite_bytes(db_url)
        assert len(raw) > 0 and not [v for v in canary_values(people) if v.encode() in raw] and tag.encode() not in raw
    with sessions() as session:
        dump = "\n".join(repr(tuple(row)) for row in session.execute(text("SELECT * FROM people")))
    assert dump.count("\n") >= 49 and tag not in dump and "@example.org" not in dump
