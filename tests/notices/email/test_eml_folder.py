"""OutboxSender: one parseable .eml per person, written atomically, headers safe."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from notices.email.eml_folder import OutboxSender
from notices.email.message import NAME_TAG_HTML, NAME_TAG_TEXT, Recipient
from tests.notices.email.samples import read_eml, sample_batch, sample_people

pytestmark = pytest.mark.unit


# -- outbox ---------------------------------------------------------------------------------

def test_outbox_writes_one_parseable_eml_per_person(tmp_path: Path) -> None:
    person = Recipient(delivery_id="dlv-1", email="aase@example.com", name="Åse <Ø'Brien> & co")
    result = OutboxSender(tmp_path).send_batch(sample_batch([person, *sample_people(2)]))
    assert result.accepted == ["dlv-1", "dlv-00000", "dlv-00001"] and result.status_code == 202
    msg = read_eml(tmp_path / "inc-2024-001" / "email" / "dlv-1.eml")
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["To"].addresses[0].addr_spec == "aase@example.com"
    assert msg["To"].addresses[0].display_name == "Åse Ø'Brien & co"  # in the header a name is a plain phrase
    assert msg["Subject"] == "Important, Åse <Ø'Brien> & co: a breach of your data"
    assert msg["X-Breach-Delivery-Id"] == "dlv-1" and msg["Date"] and msg["Message-ID"]
    text = msg.get_body(("plain",)).get_content()
    body_html = msg.get_body(("html",)).get_content()
    assert "Dear Åse <Ø'Brien> & co," in text
    assert "Dear Åse &lt;Ø&#x27;Brien&gt; &amp; co," in body_html and "<Ø" not in body_html
    assert NAME_TAG_TEXT not in text and NAME_TAG_HTML not in body_html


def test_outbox_neutralises_header_injection(tmp_path: Path) -> None:
    person = Recipient(delivery_id="dlv-x", email="eve@example.com", name="Eve\r\nBcc: thief@example.net\r\n")
    OutboxSender(tmp_path).send_batch(sample_batch([person], subject="Hello\r\nBcc: thief@example.net", html=None))
    path = tmp_path / "inc-2024-001" / "email" / "dlv-x.eml"
    msg = read_eml(path)
    assert msg["Bcc"] is None and len(msg.get_all("To")) == 1
    assert "\n" not in msg["Subject"] and "\n" not in str(msg["To"])
    assert msg.get_content_type() == "text/plain"
    assert b"\r\nBcc:" not in path.read_bytes()


def test_outbox_resend_overwrites_and_leaves_no_temp_files(tmp_path: Path) -> None:
    outbox = OutboxSender(tmp_path)
    outbox.send_batch(sample_batch(sample_people(2)))
    outbox.send_batch(sample_batch(sample_people(2), text="Second version for -recipient_name_text-"))
    folder = tmp_path / "inc-2024-001" / "email"
    assert sorted(p.name for p in folder.iterdir()) == ["dlv-00000.eml", "dlv-00001.eml"]
    assert "Second version" in read_eml(folder / "dlv-00000.eml").get_body(("plain",)).get_content()


def test_outbox_crash_keeps_the_old_file_whole(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    outbox = OutboxSender(tmp_path)
    outbox.send_batch(sample_batch(sample_people(1)))
    path = outbox.path_for("inc-2024-001", "dlv-00000")
    before = path.read_bytes()

    def crash(src: Any, dst: Any) -> None:
        raise OSError("disk gone")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        outbox.send_batch(sample_batch(sample_people(1), text="new"))
    assert path.read_bytes() == before
    assert [p.name for p in path.parent.iterdir()] == ["dlv-00000.eml"]


def test_replies_from_a_no_reply_sender_reach_the_contact_point(tmp_path: Path) -> None:
    batch = sample_batch(from_email="noreply@example.org", reply_to="sikkerhed@example.org", reply_to_name="Karoline Vesterdal")
    OutboxSender(tmp_path).send_batch(batch)
    msg = read_eml(tmp_path / "inc-2024-001" / "email" / "dlv-00000.eml")
    assert msg["Reply-To"].addresses[0].addr_spec == "sikkerhed@example.org"
    assert msg["Reply-To"].addresses[0].display_name == "Karoline Vesterdal"
    assert read_eml_without_reply(tmp_path) is None


def read_eml_without_reply(tmp_path: Path) -> str | None:
    """A batch without a reply address writes no Reply-To header."""
    OutboxSender(tmp_path / "plain").send_batch(sample_batch())
    return read_eml(tmp_path / "plain" / "inc-2024-001" / "email" / "dlv-00000.eml")["Reply-To"]
