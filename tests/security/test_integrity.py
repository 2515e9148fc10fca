"""Integrity (issue #19 items 1-3): what leaves cannot be altered after approval, injected by a name, or forged in the database."""

from __future__ import annotations

import hashlib
import json
import shutil
from datetime import datetime

import pytest

from breach import instants
from breach.approval import decisions
from breach.approval.integrity import content_hash
from breach.exceptions import DraftsTampered
from flows.runtime import EXAMPLES
from notices.email.eml_folder import OutboxSender
from notices.email.headers import EML_HEADERS
from notices.sending import batches, outbox
from tests.factories import approve, set_roster
from tests.security.conftest import MANAGER, refused_cleanly
from tests.security.helpers import PEOPLE, audit_actions, drafted, emails, letters, sql

pytestmark = [pytest.mark.security, pytest.mark.usefixtures("prefect_harness")]
PHISH = "Dear -recipient_name_text-, your account is locked: click http://phish.example/login to verify it."


def _tamper_words(home, *, with_hash: bool = False) -> None:
    """The reproduction: the approved e-mails become a phishing mail and the letter asks for bitcoin."""
    sql(home, "UPDATE drafts SET subject = 'URGENT: verify your account', text = ? WHERE channel = 'email'", PHISH)
    sql(home, "UPDATE drafts SET text = 'Dear -recipient_name_text-, pay 1 BTC to keep your data private.' WHERE channel = 'letter'")
    if with_hash:  # and the stored hash recomputed to match, as a careful insider would
        for draft_id, subject, text, html in sql(home, "SELECT id, subject, text, html FROM drafts"):
            sql(home, "UPDATE drafts SET content_hash = ? WHERE id = ?", content_hash(subject, text, html), draft_id)


def _nothing_left(home, incident_id: str) -> None:
    assert emails(home, incident_id) == [] if (home / "outbox" / incident_id / "email").exists() else True
    assert letters(home, incident_id) == [] if (home / "outbox" / incident_id / "letters").exists() else True
    assert sql(home, "SELECT count(*) FROM deliveries WHERE incident_id = ? AND state = 'accepted'", incident_id) == [(0,)]


@pytest.mark.attack(finding="1", group="1. approved drafts edited in the database", fails_as="integrity")
@pytest.mark.parametrize("with_hash", [False, True], ids=["words", "words-and-hash"])
def test_drafts_edited_after_approval_are_not_sent_and_the_refusal_is_audited(home, rt, tmp_path, breach, with_hash):
    incident_id = drafted(rt, tmp_path)
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    _tamper_words(home, with_hash=with_hash)
    refused_cleanly(breach("send", incident_id), "nothing sent", "subject_notice/da/email", "subject_notice/en/letter")
    _nothing_left(home, incident_id)
    assert "notices.send_refused" in audit_actions(home, incident_id)
    verdict = refused_cleanly(breach("audit", "verify"), incident_id)
    assert "changed" in verdict and "intact" not in verdict


@pytest.mark.attack(finding="1", group="1. approved drafts edited in the database", fails_as="integrity")
def test_drafts_edited_while_the_send_is_under_way_stop_at_the_next_batch(home, rt, tmp_path):
    incident_id = drafted(rt, tmp_path)
    with rt.sessions.begin() as session:
        set_roster(session=session, now=instants.utcnow(), managers=[MANAGER])
        approve(session=session, incident_id=incident_id, now=instants.utcnow(), actor=MANAGER, key=rt.code_key)
        decisions.require_approved(session=session, incident_id=incident_id)
        outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=1000, actor="sender", now=instants.utcnow())
    _tamper_words(home, with_hash=True)  # after the send started: the outbox is filled, no batch has gone
    with pytest.raises(DraftsTampered, match="changed after approval"):
        batches.send_email_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=0, sender=OutboxSender(home / "outbox"),
                                 cipher=rt.cipher, controller=rt.controller)
    with pytest.raises(DraftsTampered):
        batches.send_letter_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=0, out_dir=home / "outbox", cipher=rt.cipher,
                                  controller=rt.controller)
    _nothing_left(home, incident_id)
    assert sql(home, "SELECT state FROM send_batches WHERE incident_id = ? ORDER BY channel", incident_id) == [("pending",), ("pending",)]
    assert audit_actions(home, incident_id).count("notices.send_refused") == 2


@pytest.mark.attack(finding="1", group="1. approved drafts edited in the database", fails_as="integrity")
def test_deliveries_pointed_at_a_forged_round_with_a_forged_approval_are_refused_per_batch(home, rt, tmp_path):
    """A bolder insider mid-send: new drafts in round 9 with matching hashes, an approval row for them, the outbox repointed."""
    incident_id = drafted(rt, tmp_path)
    with rt.sessions.begin() as session:
        set_roster(session=session, now=instants.utcnow(), managers=[MANAGER])
        approve(session=session, incident_id=incident_id, now=instants.utcnow(), actor=MANAGER, key=rt.code_key)
        outbox.fill_outbox(session=session, incident_id=incident_id, batch_size=1000, actor="sender", now=instants.utcnow())
    sql(home, "INSERT INTO drafts (incident_id, round, kind, language, channel, template_version, subject, text, html, content_hash, "
              "drafted_by, drafted_at) SELECT incident_id, 9, kind, language, channel, template_version, 'URGENT: verify your account', "
              "?, NULL, '', drafted_by, drafted_at FROM drafts WHERE incident_id = ? AND round = 1", PHISH, incident_id)
    rows = sql(home, "SELECT id, kind, language, channel, subject, text, html FROM drafts WHERE round = 9 ORDER BY kind, language, channel")
    for draft_id, *_, subject, body, html in rows:
        sql(home, "UPDATE drafts SET content_hash = ? WHERE id = ?", content_hash(subject, body, html), draft_id)
    joined = "\n".join(f"{k}|{lang}|{c}|{content_hash(s, t, h)}" for _, k, lang, c, s, t, h in rows)
    sql(home, "INSERT INTO approvals (incident_id, round, decision, actor, comment, drafts_hash, decided_at) "
              "VALUES (?, 9, 'approved', ?, '', ?, ?)", incident_id, MANAGER, hashlib.sha256(joined.encode()).hexdigest(),
        instants.utcnow().isoformat())
    sql(home, "UPDATE deliveries SET draft_id = (SELECT f.id FROM drafts f JOIN drafts o ON o.id = deliveries.draft_id "
              "WHERE f.round = 9 AND f.kind = o.kind AND f.language = o.language AND f.channel = o.channel)")
    with pytest.raises(DraftsTampered, match="no notices.drafted entry"):
        batches.send_email_batch(sessions=rt.sessions, incident_id=incident_id, batch_no=0, sender=OutboxSender(home / "outbox"),
                                 cipher=rt.cipher, controller=rt.controller)
    _nothing_left(home, incident_id)


@pytest.mark.attack(finding="1", group="1. approved drafts edited in the database", fails_as="integrity")
def test_a_public_notice_edited_after_approval_is_not_published(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path, people=[], subjects_reachable=False)
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    sql(home, "UPDATE drafts SET html = '<p>Send your password to http://phish.example</p>' WHERE kind = 'public_notice'")
    ran = breach("export", incident_id)
    assert ran.code == 0, ran.err  # the filing pack and the register still export; the page does not
    assert not (home / "exports" / incident_id / "public").exists()
    assert "notices.send_refused" in audit_actions(home, incident_id)
    assert "public notice not exported yet" in " ".join(ran.out.split())


@pytest.mark.attack(finding="1", group="1. approved drafts edited in the database", fails_as="integrity")
def test_words_changed_before_approval_are_caught_by_the_drafted_audit_entry(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    _tamper_words(home, with_hash=True)  # before any manager looked: the manager would approve the insider's words
    refused_cleanly(breach("approve", incident_id, "--as", MANAGER), "not what the audit log recorded", "subject_notice/da/email")
    assert sql(home, "SELECT count(*) FROM approvals") == [(0,)]
    refused_cleanly(breach("send", incident_id), "not been approved")
    _nothing_left(home, incident_id)
    refused_cleanly(breach("audit", "verify"), "words changed since they were drafted")


# -- 2. header injection through names --------------------------------------------------------

HOSTILE_NAMES = {
    "encoded-word-crlf-bcc": "=?utf-8?q?Kari=0D=0ABcc:_attacker@evil.example?=",
    "folded-angle-address": "Kari Nordmann the very long name that goes on and on <attacker@evil.example>",
    "folded-angle-address-unicode": "Kari Nordmann-Ødegård Hansen-Thistlewood of Harbour Lane <attacker@evil.example>",
    "raw-crlf-header": "Kari\r\nBcc: attacker@evil.example\r\nX-Injected: 1",
    "quotes-and-comma": 'Kari "the boss", <attacker@evil.example>; Cc: attacker@evil.example',
    "bidi-override": "Kari \u202eelpmaxe.live@rekcatta\u202c",
    "zero-width": "Ka\u200bri <attacker\u200d@evil.example>",
    "fullwidth-brackets": "Kari ＜attacker＠evil.example＞",
    "encoded-word-b64": "=?utf-8?b?S2FyaQ0KQmNjOiBhdHRhY2tlckBldmlsLmV4YW1wbGU=?=",
}


@pytest.mark.attack(finding="2", group="2. header injection through names and profiles", fails_as="integrity")
@pytest.mark.parametrize("label", sorted(HOSTILE_NAMES))
def test_a_hostile_name_never_adds_or_replaces_a_recipient_in_the_eml(home, rt, tmp_path, breach, label):
    name = HOSTILE_NAMES[label]
    incident_id = drafted(rt, tmp_path, people=[[name, "da", "victim.two@example.org", "", "", "", "", "DK"]])
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    ran = breach("send", incident_id)
    assert ran.code == 0, ran.err
    (message,) = emails(home, incident_id)
    assert [a.addr_spec for a in message["To"].addresses] == ["victim.two@example.org"]
    assert [a.addr_spec for a in message["From"].addresses] == [rt.controller.sender_email]
    # no Bcc, Cc or injected header line; Reply-To only as we wrote it (the contact point of a no-reply sender)
    assert {name.lower() for name in message} <= EML_HEADERS | {"reply-to"}
    if message["Reply-To"] is not None:
        assert [a.addr_spec for a in message["Reply-To"].addresses] == [rt.controller.contact_email]
    for ch in ("\u202e", "\u200b", "\u200d", "<", ">", "@", "="):
        assert ch not in message["To"].addresses[0].display_name


@pytest.mark.attack(finding="2", group="2. header injection through names and profiles", fails_as="integrity")
@pytest.mark.parametrize("label", sorted(HOSTILE_NAMES))
def test_a_hostile_name_never_adds_a_recipient_in_the_sendgrid_request(label):
    from notices.email.message import EmailBatch, Recipient, sendgrid_body

    batch = EmailBatch(incident_id="BR-2026-0001", batch_key="BR-2026-0001:email:0:1", subject="Vigtigt, -recipient_name_text-",
                       text="Kære -recipient_name_text-", from_email="noreply@example.com", from_name=HOSTILE_NAMES[label],
                       recipients=[Recipient(delivery_id="1", email="victim.two@example.org", name=HOSTILE_NAMES[label])])
    body = sendgrid_body(batch)
    (person,) = body["personalizations"]
    assert person["to"][0]["email"] == "victim.two@example.org" and len(person["to"]) == 1
    assert set(person) == {"to", "substitutions", "custom_args"} and set(body) <= {"personalizations", "from", "subject", "content",
                                                                                   "custom_args", "mail_settings"}
    for shown in (person["to"][0].get("name", ""), body["from"].get("name", "")):
        assert not set(shown) & set('<>"\r\n=@,;') and "\u202e" not in shown and "\u200b" not in shown
    assert "\r" not in person["substitutions"]["-recipient_name_text-"] and "=?" not in person["substitutions"]["-recipient_name_text-"]


@pytest.mark.attack(finding="2", group="2. header injection through names and profiles", fails_as="integrity")
def test_a_controller_name_with_an_address_leaves_one_from_address(home, tmp_path, monkeypatch, breach):
    profile = json.loads((EXAMPLES / "controller.json").read_text(encoding="utf-8"))
    profile["name"] = "Nordlys Bookings ApS <attacker@evil.example>, =?utf-8?q?x=0D=0ABcc:_a@evil.example?="
    (tmp_path / "controller.json").write_text(json.dumps(profile), encoding="utf-8")
    monkeypatch.setenv("BREACH_CONTROLLER_FILE", str(tmp_path / "controller.json"))
    from flows.runtime import runtime

    incident_id = drafted(runtime(), tmp_path, people=[PEOPLE[1]])
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    (message,) = emails(home, incident_id)
    assert [a.addr_spec for a in message["From"].addresses] == ["noreply@example.com"]
    assert message["Bcc"] is None and "evil" not in str(message["From"]).split("<")[-1]


@pytest.mark.attack(finding="2", group="2. header injection through names and profiles", fails_as="traceback")
def test_a_controller_name_with_a_line_break_is_refused_at_once(home, tmp_path, monkeypatch, breach):
    profile = json.loads((EXAMPLES / "controller.json").read_text(encoding="utf-8"))
    profile["name"] = "Nordlys\r\nBcc: attacker@evil.example"
    (tmp_path / "controller.json").write_text(json.dumps(profile), encoding="utf-8")
    monkeypatch.setenv("BREACH_CONTROLLER_FILE", str(tmp_path / "controller.json"))
    refused_cleanly(breach("status", "BR-2026-0001"), "BREACH_CONTROLLER_FILE", "name must not hold control characters")


@pytest.mark.attack(finding="2", group="2. header injection through names and profiles", fails_as="integrity")
def test_the_header_check_stops_a_message_even_if_a_name_got_through(tmp_path, monkeypatch):
    """The second layer: with neutralisation switched off (a future bug), the parsed-back headers still refuse it."""
    from notices.email import eml_folder
    from notices.email.headers import UnsafeHeader
    from notices.email.message import EmailBatch, Recipient

    monkeypatch.setattr(eml_folder, "header_name", lambda value: value)
    batch = EmailBatch(incident_id="BR-2026-0001", batch_key="k", subject="s", text="t", from_email="noreply@example.com",
                       from_name="Nordlys", recipients=[Recipient(delivery_id="1", email="victim.two@example.org",
                                                                  name=HOSTILE_NAMES["folded-angle-address"])])
    with pytest.raises(UnsafeHeader, match="To header"):
        eml_folder.OutboxSender(tmp_path).send_batch(batch)
    assert not list(tmp_path.rglob("*.eml"))


# -- 3. the audit chain against someone with database access ---------------------------------

def _forge_approval(home, incident_id: str) -> None:
    """The issue's 30 lines: an approval row, a matching notices.approved entry hashed like the others, the head advanced."""
    (round_no,) = sql(home, "SELECT max(round) FROM drafts WHERE incident_id = ?", incident_id)[0]
    drafts = sql(home, "SELECT kind, language, channel, subject, text, html FROM drafts WHERE incident_id = ? AND round = ? "
                       "ORDER BY kind, language, channel", incident_id, round_no)
    joined = "\n".join(f"{k}|{lang}|{c}|{content_hash(s, t, h)}" for k, lang, c, s, t, h in drafts)
    digest = hashlib.sha256(joined.encode()).hexdigest()
    at = instants.utcnow()
    sql(home, "INSERT INTO approvals (incident_id, round, decision, actor, comment, drafts_hash, decided_at) "
              "VALUES (?, ?, 'approved', ?, '', ?, ?)", incident_id, round_no, MANAGER, digest, at.isoformat())
    (seq, prev), = sql(home, "SELECT seq, hash FROM audit_head WHERE id = 1")
    details = {"round": round_no, "drafts_hash": digest, "comment": ""}
    body = json.dumps({"seq": seq + 1, "at": at.isoformat(), "actor": MANAGER, "action": "notices.approved", "incident_id": incident_id,
                       "details": details, "prev": prev}, sort_keys=True, separators=(",", ":"), default=str)
    entry = hashlib.sha256(body.encode()).hexdigest()
    sql(home, "INSERT INTO audit_events (seq, incident_id, at, actor, action, details, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        seq + 1, incident_id, at.isoformat(), MANAGER, "notices.approved", json.dumps(details), prev, entry)
    sql(home, "UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1", seq + 1, entry)


@pytest.mark.attack(finding="3", group="3. audit chain recomputed or rolled back", fails_as="integrity")
def test_an_approval_forged_in_the_database_is_detected_and_nothing_is_sent(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    _forge_approval(home, incident_id)
    refused_cleanly(breach("audit", "verify"), "audit log broken at entry", "without the audit key")
    refused_cleanly(breach("send", incident_id), "nothing sent", "audit log is broken")
    _nothing_left(home, incident_id)


def _recompute_unkeyed(home) -> None:
    """A bolder insider: forget that the chain is keyed and recompute every entry as plain SHA-256."""
    sql(home, "UPDATE audit_head SET keyed_from = NULL, key_id = NULL WHERE id = 1")
    prev = "0" * 64
    entries = sql(home, "SELECT seq, at, actor, action, incident_id, details FROM audit_events ORDER BY seq")
    for seq, at, actor, action, incident_id, details in entries:
        body = json.dumps({"seq": seq, "at": datetime.fromisoformat(at).isoformat(), "actor": actor, "action": action,
                           "incident_id": incident_id, "details": json.loads(details), "prev": prev},
                          sort_keys=True, separators=(",", ":"), default=str)
        digest = hashlib.sha256(body.encode()).hexdigest()
        sql(home, "UPDATE audit_events SET prev_hash = ?, hash = ? WHERE seq = ?", prev, digest, seq)
        prev = digest
    sql(home, "UPDATE audit_head SET hash = ? WHERE id = 1", prev)


@pytest.mark.attack(finding="3", group="3. audit chain recomputed or rolled back", fails_as="integrity")
def test_a_chain_recomputed_without_the_key_is_detected_by_the_head_outside_the_database(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    _forge_approval(home, incident_id)
    _recompute_unkeyed(home)
    refused_cleanly(breach("audit", "verify"), "head file")
    refused_cleanly(breach("send", incident_id), "nothing sent")
    _nothing_left(home, incident_id)


@pytest.mark.attack(finding="3", group="3. audit chain recomputed or rolled back", fails_as="integrity")
def test_a_database_restored_to_an_earlier_copy_is_detected(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    rt.sessions.kw["bind"].dispose()
    shutil.copy(home / "breach.db", tmp_path / "before.db")  # WAL checkpointed by dispose: the copy is whole
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    rt.sessions.kw["bind"].dispose()
    for suffix in ("-wal", "-shm"):
        (home / f"breach.db{suffix}").unlink(missing_ok=True)
    shutil.copy(tmp_path / "before.db", home / "breach.db")  # the notices went out; the database says they did not
    refused_cleanly(breach("audit", "verify"), "rolled back")


@pytest.mark.attack(finding="3", group="3. audit chain recomputed or rolled back", fails_as="integrity")
def test_an_intact_keyed_chain_says_so(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    ran = breach("audit", "verify")
    assert ran.code == 0 and "audit log intact" in ran.out and "keyed from entry 1" in " ".join(ran.out.split()), ran.err
    assert (home / "audit-head.log").stat().st_mode & 0o777 == 0o600 and (home / "audit.key").stat().st_mode & 0o777 == 0o600


@pytest.mark.attack(finding="3", group="3. audit chain recomputed or rolled back", fails_as="traceback")
def test_a_missing_or_other_audit_key_is_named_and_nothing_is_replaced(home, rt, tmp_path, breach):
    drafted(rt, tmp_path)
    assert breach("keys", "backup", "--to", str(tmp_path / "recovery.json")).code == 0
    key = (home / "audit.key").read_bytes()
    (home / "audit.key").unlink()
    refused_cleanly(breach("audit", "verify"), "audit key file", "is missing", "breach keys restore")
    assert not (home / "audit.key").exists()
    (home / "audit.key").write_text("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=\n", encoding="ascii")
    refused_cleanly(breach("audit", "verify"), "the audit log is keyed with audit key")
    (home / "audit.key").unlink()
    assert breach("keys", "restore", str(tmp_path / "recovery.json")).code == 0
    assert (home / "audit.key").read_bytes() == key
    assert breach("audit", "verify").code == 0


@pytest.mark.attack(finding="3", group="3. audit chain recomputed or rolled back", fails_as="integrity")
def test_old_unkeyed_entries_still_verify_and_new_ones_are_keyed(tmp_path, monkeypatch, breach):
    """Migration: a chain written before audit keys existed keeps verifying; from the next entry on it is keyed."""
    from breach import audit
    from breach.store.session import session_factory
    from tests.factories import make_incident

    url = f"sqlite:///{tmp_path / 'data' / 'breach.db'}"
    (tmp_path / "data").mkdir(mode=0o700)
    with session_factory(url).begin() as session:  # an older installation: no seal, plain SHA-256
        make_incident(session=session, now=instants.utcnow())
    monkeypatch.setenv("BREACH_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("BREACH_DB_URL", url)
    for name in ("BREACH_MASTER_KEY", "BREACH_AUDIT_KEY"):
        monkeypatch.delenv(name, raising=False)
    ran = breach("audit", "verify")
    assert ran.code == 0 and "not keyed yet" in " ".join(ran.out.split())
    from flows.runtime import runtime

    runtime.cache_clear()
    with runtime().sessions.begin() as session:
        audit.record(session=session, action="test.after_upgrade", actor="ops@example.com", at=instants.utcnow())
    ran = breach("audit", "verify")
    assert ran.code == 0 and "keyed from entry" in " ".join(ran.out.split()), ran.err
    (keyed_from,), = sql(tmp_path / "data", "SELECT keyed_from FROM audit_head")
    assert keyed_from > 1
