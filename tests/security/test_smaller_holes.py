"""The smaller holes of issue #19: formulas, path-like authority codes, Markdown, postage country, rotation audit, late rejection."""

from __future__ import annotations

import csv
import re

import pytest

from breach import instants
from breach.keys.cipher import MultiKeyCipher
from breach.keys.master import encode_master_key, generate_master_key
from breach.people import rekey
from notices.output import neutralise
from tests.security.conftest import MANAGER, refused_cleanly
from tests.security.helpers import PEOPLE, audit_actions, drafted, sql

pytestmark = [pytest.mark.security, pytest.mark.usefixtures("prefect_harness")]
GROUP = "smaller holes"
FORMULAS = ["＝HYPERLINK(\"http://evil.example\")", " =1+1", "\n=1+1", "\u00a0@SUM(A1)", "\u3000+1", "\ufeff-2+3", "\u200b=1",
            "﹦cmd|' /C calc'!A0", "＋1", "－1", "＠SUM(A1)", "\t=1", "\r=1"]


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("payload", FORMULAS)
def test_formula_look_alikes_are_neutralised_in_the_register(home, rt, tmp_path, breach, payload):
    incident_id = drafted(rt, tmp_path, people=[], summary=payload + " attacker copied the database", measures_taken=[payload])
    assert neutralise(payload + " x").startswith("'")
    assert breach("export", incident_id).code == 0
    with open(home / "exports" / "breach-register.csv", newline="", encoding="utf-8-sig") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    for cell in cells:
        stripped = cell.lstrip(" \t\r\n\u00a0\u3000\ufeff\u200b")
        assert not stripped[:1] or stripped[:1] not in "=+-@＝＋－＠﹦" or cell.startswith("'"), repr(cell)


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("code", ["../../x", "../../../evil", "ZZ", "dk/../../..", "D K", " "])
def test_an_authority_code_must_be_a_known_authority(home, rt, tmp_path, breach, code):
    incident_id = drafted(rt, tmp_path, people=[])
    (tmp_path / "evil").mkdir()
    refused_cleanly(breach("export", incident_id, "--authority", code), "unknown authority code")
    assert list((tmp_path / "evil").iterdir()) == [] and not list(tmp_path.glob("*filing-pack*"))


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
@pytest.mark.parametrize("code, needle", [("../../X", "unknown authority code"), ("SE", "owes its notification to DK, not SE")])
def test_filing_with_an_authority_that_is_not_owed_stops_no_clock_and_says_so(home, rt, tmp_path, breach, code, needle):
    incident_id = drafted(rt, tmp_path, people=[], aware_at=instants.utcnow().isoformat())
    from flows.clock import start_clock

    assert start_clock(incident_id)
    (tmp_path / "receipt.pdf").write_bytes(b"%PDF-1.4 receipt")
    line = refused_cleanly(breach("filed", incident_id, "--receipt", str(tmp_path / "receipt.pdf"), "--authority", code), needle)
    assert "clock stopped" not in line
    assert sql(home, "SELECT party, state FROM deadlines WHERE obligation = 'authority'") == [("DK", "running")]
    assert sql(home, "SELECT count(*) FROM filings") == [(0,)]


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
def test_the_filing_pack_markdown_carries_no_markup_from_the_facts_or_the_profile(home, rt, tmp_path, breach):
    hostile = '<script>alert(1)</script> <img src=x onerror="alert(2)"> ![t](http://evil.example/p.png) [click](http://evil.example)'
    danish = {"summary": hostile, "measures_taken": [hostile]}  # the pack is Danish: the facts' Danish text is what it quotes
    incident_id = drafted(rt, tmp_path, people=[], summary=hostile, measures_taken=[hostile], notes=hostile,
                          translations={"da": danish, "nb": danish})
    assert breach("export", incident_id).code == 0
    for path in (home / "exports" / incident_id / "report").glob("*.md"):
        markdown = path.read_text(encoding="utf-8")
        assert "<script" not in markdown and "<img" not in markdown
        assert not re.search(r"(?<!\\)!\[|(?<!\\)\]\(http", markdown)  # no image or link of the insider's
        assert "&lt;script&gt;" in markdown and "\\[click\\](http" in markdown  # still readable as text


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
def test_the_letter_manifest_names_each_recipients_country_for_postage(home, rt, tmp_path, breach):
    people = [PEOPLE[2], ["Mette Brev", "da", "", "letter", "Vestergade 3", "8000", "Aarhus C", "DK"]]
    incident_id = drafted(rt, tmp_path, people=people)
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    (manifest,) = (home / "outbox" / incident_id / "letters").glob("*.csv")
    with open(manifest, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(row["country"] for row in rows) == ["DK", "GB"]


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
def test_a_killed_key_rotation_leaves_an_audit_entry_for_every_chunk_it_committed(home, rt, tmp_path):
    drafted(rt, tmp_path, people=PEOPLE * 1 + [[f"Person {i}", "da", f"p{i}@example.org", "", "", "", "", "DK"] for i in range(7)])
    new = generate_master_key()
    both = MultiKeyCipher.from_master_keys([new, *rt.master_keys])

    def killed(chunk: int) -> None:
        if chunk == 2:
            raise KeyboardInterrupt  # the operator's Ctrl-C, or a kill, after two committed chunks

    with pytest.raises(KeyboardInterrupt):
        rekey.rotate_people(sessions=rt.sessions, cipher=both, actor="ops@example.com", now=instants.utcnow(), chunk=3, after_chunk=killed)
    chunks = sql(home, "SELECT details FROM audit_events WHERE action = 'keys.rotated_chunk' ORDER BY seq")
    assert len(chunks) == 2 and all('"rotated": 3' in details for (details,) in chunks)
    rotated = sql(home, "SELECT count(*) FROM people")[0][0] - rekey.status(session=rt.sessions(), cipher=both).pending
    assert rotated == 6
    assert encode_master_key(new)  # the new key is a real one, not a placeholder


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="integrity")
def test_rejecting_notices_that_were_already_sent_is_refused_not_reported_as_nothing_sent(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path)
    assert breach("approve", incident_id, "--as", MANAGER).code == 0
    assert breach("send", incident_id).code == 0
    line = refused_cleanly(breach("approve", incident_id, "--as", MANAGER, "--reject", "--comment", "too late"), "already sent")
    assert "nothing will be sent" not in line
    assert sql(home, "SELECT decision FROM approvals") == [("approved",)]
    assert "notices.rejected" not in audit_actions(home, incident_id)


@pytest.mark.attack(finding="smaller", group=GROUP, fails_as="traceback")
def test_markup_in_a_summary_is_shown_as_text_by_status(home, rt, tmp_path, breach):
    incident_id = drafted(rt, tmp_path, people=[], summary="[/bold] [link=http://evil.example]click[/link] [red]not red")
    ran = breach("status", incident_id)
    assert ran.code == 0 and "Traceback" not in ran.err, ran.err
    assert "[/bold]" in ran.out and "[link=http://evil.example]" in ran.out
