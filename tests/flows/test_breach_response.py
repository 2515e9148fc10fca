"""End to end: the whole workflow as real Prefect flow runs, with a manager approving from 'another terminal'."""

from __future__ import annotations

import json
import threading
import time
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from pypdf import PdfReader

from breach.approval import decisions as approval_rules
from breach.approval.decisions import Proof
from breach.exceptions import InvalidPeopleFile, NotApproved
from breach.facts import load_facts
from breach.people.store import channel_counts
from flows.approval_codes import send_codes
from flows.breach_response import breach_response
from flows.cli.demo import code_from_outbox
from flows.progress import subscribe
from flows.resume import submit_decision, wait_until_paused
from flows.send import send_notices
from notices.sending.outbox import delivery_counts
from tests.factories import facts_doc, write_people_csv
from tests.flows.conftest import MANAGER

pytestmark = pytest.mark.flows

PEOPLE = [
    ["Åse Nordmann", "nb", "aase@example.org", "", "Storgata 1", "0155", "Oslo", "NO"],
    ["Søren Kjær", "da", "soren@example.com", "", "Nørregade 7", "1165", "København K", "DK"],
    ["Emma Brown", "en", "emma@example.com", "letter", "1 High Street", "AB1 2CD", "Leeds", "GB"],
    ["Mette Holm", "da", "", "", "Vestergade 3", "8000", "Aarhus C", "DK"],
    ["Ole Uten", "nb", "", "", "", "", "", "NO"],
]


def _write_facts(tmp_path, **overrides):
    path = tmp_path / "facts.json"
    path.write_text(json.dumps(facts_doc(**overrides)), encoding="utf-8")
    return path


def _approve_when_paused(incident_holder: dict, rt) -> callable:
    def listener(step, fields):
        if step == "awaiting_approval":
            def approve():
                wait_until_paused(fields["flow_run_id"], timeout=60)
                code, _ = code_from_outbox(rt.settings.outbox_dir, fields["incident_id"])  # e-mailed when the run paused
                incident_holder["result"] = submit_decision(rt, incident_id=fields["incident_id"], approver=MANAGER, reject=False,
                                                            comment="ok", proof=Proof("code", code))
            threading.Thread(target=approve, daemon=True).start()
    return listener


def test_whole_workflow_sends_each_person_once_by_their_channel(rt, tmp_path):
    facts = _write_facts(tmp_path, reference=f"E2E-{time.time_ns()}")
    people = write_people_csv(tmp_path / "people.csv", PEOPLE)
    holder: dict = {}
    unsubscribe = subscribe(_approve_when_paused(holder, rt))
    try:
        result = breach_response(load_facts(facts), str(people))
    finally:
        unsubscribe()
    incident_id = result["incident_id"]
    assert holder["result"].via == "flow"
    assert result["decision"] == "approved"
    with rt.sessions() as session:  # recorded once by `breach approve`, not again by the resumed run
        from breach.audit import events_for
        approved = [e for e in events_for(session=session, incident_id=result["incident_id"]) if e.action == "notices.approved"]
        assert len(approved) == 1 and approved[0].actor == MANAGER
    assert result["verdict"]["notify_authority"] is True
    with rt.sessions() as session:
        assert channel_counts(session=session, incident_id=incident_id) == {"email": 2, "letter": 2, "none": 1}
        assert delivery_counts(session=session, incident_id=incident_id) == {"email": {"accepted": 2}, "letter": {"accepted": 2}}
    emails = sorted((rt.settings.outbox_dir / incident_id / "email").glob("*.eml"))
    assert len(emails) == 2
    recipients = sorted(BytesParser(policy=policy.default).parsebytes(p.read_bytes())["To"].addresses[0].addr_spec for p in emails)
    assert recipients == ["aase@example.org", "soren@example.com"]
    pdfs = list((rt.settings.outbox_dir / incident_id / "letters").glob("*.pdf"))
    text = "".join(page.extract_text() for pdf in pdfs for page in PdfReader(pdf).pages)
    assert "Emma Brown" in text and "Mette Holm" in text and "Ole Uten" not in text
    pack = json.loads(Path(result["exports"]["filing_pack_json"]).read_text(encoding="utf-8"))
    assert "Datatilsynet" in json.dumps(pack, ensure_ascii=False) and incident_id in json.dumps(pack)
    # Running the flow again (as a resumed suspended run would) sends nobody twice.
    again = send_notices(incident_id)
    assert again["sent"] == 0
    assert len(list((rt.settings.outbox_dir / incident_id / "email").glob("*.eml"))) == 2


def test_send_without_approval_is_refused_and_writes_no_delivery(rt, tmp_path):
    from flows.assess import assess_incident
    from flows.draft import draft_notices
    from flows.open_incident import open_incident
    from flows.people import import_people

    incident_id = open_incident(load_facts(_write_facts(tmp_path, reference=f"NOAPP-{time.time_ns()}")))
    assess_incident(incident_id)
    import_people(incident_id, str(write_people_csv(tmp_path / "p.csv", PEOPLE[:2])))
    assert draft_notices(incident_id)
    with pytest.raises(NotApproved):
        send_notices(incident_id)
    with rt.sessions() as session:
        assert delivery_counts(session=session, incident_id=incident_id) == {}
        assert approval_rules.current_drafts(session=session, incident_id=incident_id)


def test_bad_people_file_is_refused_whole(rt, tmp_path):
    from flows.open_incident import open_incident
    from flows.people import import_people

    incident_id = open_incident(load_facts(_write_facts(tmp_path, reference=f"BADPPL-{time.time_ns()}")))
    bad = write_people_csv(tmp_path / "bad.csv", [["x@example.com"]], header=["email"])
    with pytest.raises(InvalidPeopleFile, match="name"):
        import_people(incident_id, str(bad))
    with rt.sessions() as session:
        assert sum(channel_counts(session=session, incident_id=incident_id).values()) == 0


def test_an_approval_given_to_a_paused_run_whose_process_died_still_counts(rt, tmp_path):
    """After a reboot Prefect still shows the local run as paused, but no process holds it any more."""
    from prefect import get_client
    from prefect.states import Paused

    from breach.incidents import service as incidents
    from flows.assess import assess_incident
    from flows.draft import draft_notices
    from flows.open_incident import open_incident
    from flows.people import import_people

    incident_id = open_incident(load_facts(_write_facts(tmp_path, reference=f"ORPHAN-{time.time_ns()}")))
    assess_incident(incident_id)
    import_people(incident_id, str(write_people_csv(tmp_path / "p.csv", PEOPLE[:2])))
    assert draft_notices(incident_id)
    with get_client(sync_client=True) as client:  # a run left paused by a process that is gone
        from prefect import flow

        @flow(name="approve-notices-orphan")
        def _orphan() -> None: ...

        run = client.create_flow_run(_orphan, parameters={"incident_id": incident_id})
        client.set_flow_run_state(run.id, Paused(timeout_seconds=3600, pause_key="approval-x"), force=True)
    with rt.sessions.begin() as session:
        incidents.get(session=session, incident_id=incident_id).approval_flow_run_id = str(run.id)

    send_codes(rt, incident_id=incident_id, only=MANAGER)
    code, _ = code_from_outbox(rt.settings.outbox_dir, incident_id)
    given = submit_decision(rt, incident_id=incident_id, approver=MANAGER, reject=False, comment="after the reboot",
                            proof=Proof("code", code))
    assert given.via == "flow" and given.flow_run_id == str(run.id)
    with rt.sessions() as session:
        assert approval_rules.require_approved(session=session, incident_id=incident_id).actor == MANAGER
    assert send_notices(incident_id)["deliveries"]["email"] == {"accepted": 2}
