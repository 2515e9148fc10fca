"""Personal data stays where it belongs: canary people leave no trace outside the protected places."""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

import pytest

from bench.pii_canary import canary_people, scan_run, write_people_csv
from breach.facts import load_facts
from flows.breach_response import breach_response
from flows.cli import demo
from flows.progress import subscribe
from tests.factories import facts_doc


@pytest.mark.flows
def test_a_whole_run_leaves_no_canary_outside_the_protected_places(rt, tmp_path):
    tag = "zq" + secrets.token_hex(4)
    people = canary_people(20, tag)
    people_file = write_people_csv(tmp_path / "people.csv", people)  # outside the data dir: it is the input
    facts = tmp_path / "facts.json"
    facts.write_text(json.dumps(facts_doc(reference=f"PII-{time.time_ns()}")), encoding="utf-8")
    unsubscribe = subscribe(demo._approve_when_paused)  # approves as manager@example.com, like `breach demo`
    try:
        result = breach_response(load_facts(facts), str(people_file))
    finally:
        unsubscribe()
    assert result["decision"] == "approved" and result["sent"]
    report = scan_run(tag=tag, people=people, prefect_home=Path(os.environ["PREFECT_HOME"]), data_dir=rt.settings.data_dir,
                      breach_db_url=rt.settings.database_url)
    assert report["hits"] == {"count": 0, "where": {}}
    assert report["control_hits_in_eml"] >= 17, "the canaries must have reached their e-mails, or the scan proves nothing"
    assert {"prefect-db:flow_run", "prefect-db:log", "prefect-db:events", "prefect-db:task_run_state", "breach-db:audit_events",
            "breach-db:people"} <= set(report["places"])
