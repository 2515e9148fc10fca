"""Letters are rendered in the forked sending processes when there are several batches of them, once each."""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from breach.approval.decisions import Proof
from breach.facts import load_facts
from breach.store.tables import SendBatchRow
from flows import send
from flows.breach_response import breach_response
from flows.cli.demo import code_from_outbox
from flows.progress import subscribe
from flows.resume import submit_decision, wait_until_paused
from flows.runtime import runtime
from flows.send import send_notices
from notices.sending.outbox import delivery_counts
from tests.factories import facts_doc, write_people_csv
from tests.flows.conftest import MANAGER

pytestmark = pytest.mark.flows

LETTERS = [[f"Person {i} Lund", "da", "", "letter", f"Nørregade {i}", "1165", "København K", "DK"] for i in range(1, 8)]
EMAIL = [["Åse Nordmann", "nb", "aase@example.org", "", "", "", "", "NO"]]


def test_letter_batches_are_rendered_in_sending_processes_once_each(rt, tmp_path, monkeypatch):
    monkeypatch.setenv("BREACH_BATCH_SIZE", "2")  # seven letters: four batches
    monkeypatch.setattr(send, "PROCESS_MIN_LETTER_BATCHES", 3)  # ...so the flow forks its senders
    runtime.cache_clear()
    rt = runtime()
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(facts_doc(reference=f"LETTERS-{time.time_ns()}")), encoding="utf-8")
    people = write_people_csv(tmp_path / "people.csv", LETTERS + EMAIL)

    def approve(step: str, fields: dict) -> None:
        if step == "awaiting_approval":
            def decide() -> None:
                wait_until_paused(fields["flow_run_id"], timeout=60)
                code, _ = code_from_outbox(rt.settings.outbox_dir, fields["incident_id"])  # e-mailed when the run paused
                submit_decision(rt, incident_id=fields["incident_id"], approver=MANAGER, reject=False, comment="ok",
                                proof=Proof("code", code))
            threading.Thread(target=decide, daemon=True).start()

    unsubscribe = subscribe(approve)
    try:
        result = breach_response(load_facts(facts), str(people))
    finally:
        unsubscribe()
    incident_id = result["incident_id"]
    assert result["decision"] == "approved"
    with rt.sessions() as session:
        assert delivery_counts(session=session, incident_id=incident_id) == {"email": {"accepted": 1}, "letter": {"accepted": 7}}
        owners = session.execute(select(SendBatchRow.claimed_by).where(SendBatchRow.incident_id == incident_id,
                                                                        SendBatchRow.channel == "letter")).scalars().all()
    assert len(owners) == 4
    pids = {int(owner.rsplit("/", 2)[1]) for owner in owners}
    assert os.getpid() not in pids  # rendered by forked sending processes, not by the flow's own process
    pdfs = sorted((rt.settings.outbox_dir / incident_id / "letters").glob("*.pdf"))
    text = "".join(page.extract_text() for pdf in pdfs for page in PdfReader(pdf).pages)
    assert all(text.count(f"Person {i} Lund") >= 1 for i in range(1, 8))

    again = send_notices(incident_id)  # nothing is rendered twice
    assert again["sent"] == 0
    assert sorted((rt.settings.outbox_dir / incident_id / "letters").glob("*.pdf")) == pdfs
