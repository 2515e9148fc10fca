"""The roster is installation configuration in the database: set by a command, audited, not widened by an environment variable."""

import json

import pytest
from sqlalchemy import select

from breach.approval import roster
from breach.approval.roster import RosterEntry
from breach.exceptions import ConfigurationError
from breach.store.session import session_factory
from breach.store.tables import AuditEventRow

pytestmark = pytest.mark.integration
PUBLIC = "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="  # RFC 8032 test vector 1 public key


def _entries(session):
    return [e.email for e in roster.current(session=session)]


@pytest.fixture()
def fresh(tmp_path):
    """A session on a database of its own: bootstrapping needs one where no roster was ever stored."""
    with session_factory(f"sqlite:///{tmp_path / 'fresh.db'}").begin() as session:
        yield session


def test_breach_managers_seeds_the_roster_once_and_is_ignored_afterwards(fresh, now):
    session = fresh
    assert roster.bootstrap(session=session, env_managers=["ceo@example.com"], actor="os:ops", now=now) is not None
    assert _entries(session) == ["ceo@example.com"]
    # a sender with a wider variable changes nothing
    assert roster.bootstrap(session=session, env_managers=["mallory@evil.example"], actor="os:mallory", now=now) is None
    assert _entries(session) == ["ceo@example.com"]


def test_an_emptied_roster_is_not_seeded_again(fresh, now):
    session = fresh
    roster.set_roster(session=session, entries=[RosterEntry(email="ceo@example.com")], actor="os:ops", now=now, source="test")
    roster.set_roster(session=session, entries=[], actor="os:ops", now=now, source="test")
    assert roster.bootstrap(session=session, env_managers=["mallory@evil.example"], actor="os:mallory", now=now) is None
    assert _entries(session) == []


def test_every_change_is_audited_with_who_was_added_removed_and_changed(session, now):
    roster.set_roster(session=session, entries=[RosterEntry(email="a@example.com"), RosterEntry(email="b@example.com")],
                      actor="os:ops", now=now, source="file roster.json")
    second = [RosterEntry(email="b@example.com", language="da"), RosterEntry(email="c@example.com")]
    change = roster.set_roster(session=session, entries=second, actor="os:ops", now=now, source="file r2.json")
    assert (change.added, change.removed, change.changed) == (["c@example.com"], ["a@example.com"], ["b@example.com"])
    entries = session.execute(select(AuditEventRow).where(AuditEventRow.action == "roster.set").order_by(AuditEventRow.seq)).scalars().all()
    assert entries[-1].actor == "os:ops"
    assert entries[-1].details == {"source": "file r2.json", "added": ["c@example.com"], "removed": ["a@example.com"],
                                   "changed": ["b@example.com"], "managers": ["b@example.com", "c@example.com"]}
    again = roster.set_roster(session=session, entries=roster.current(session=session), actor="os:ops", now=now, source="same")
    assert again.empty


def test_the_roster_file_format(tmp_path):
    path = tmp_path / "roster.json"
    path.write_text(json.dumps({"managers": [
        {"email": " CEO@Example.com ", "name": "Chief Executive", "language": "da", "logins": ["os:ceo", "prefect:ceo@example.com"]},
        {"email": "cfo@example.com", "public_key": PUBLIC}]}))
    ceo, cfo = roster.parse_roster_file(path)
    assert ceo.email == "ceo@example.com" and ceo.identities() == {"ceo@example.com", "os:ceo", "prefect:ceo@example.com"}
    assert cfo.language == "en" and cfo.public_key == PUBLIC


@pytest.mark.parametrize(("document", "expected"), [
    ({"managers": [{"email": "not-an-address"}]}, "managers.0.email"),
    ({"managers": [{"email": "a@example.com", "language": "fr"}]}, "managers.0.language"),
    ({"managers": [{"email": "a@example.com", "logins": ["alice"]}]}, "os:USER or prefect:USER"),
    ({"managers": [{"email": "a@example.com", "public_key": "bm90IGEga2V5"}]}, "not an Ed25519 public key"),
    ({"managers": [{"email": "a@example.com"}, {"email": "A@example.com"}]}, "appears twice"),
    ({"managers": []}, "managers"),
    ({"managers": [{"email": "a@example.com", "role": "boss"}]}, "managers.0.role"),
])
def test_a_bad_roster_file_is_refused_naming_the_field(tmp_path, document, expected):
    path = tmp_path / "roster.json"
    path.write_text(json.dumps(document))
    with pytest.raises(ConfigurationError, match=expected.replace(".", r"\.")):
        roster.parse_roster_file(path)


def test_a_roster_file_that_is_not_json_is_refused(tmp_path):
    path = tmp_path / "roster.json"
    path.write_text("managers: [ceo]")
    with pytest.raises(ConfigurationError, match="not valid JSON: line 1"):
        roster.parse_roster_file(path)
