"""One incident's e-mail batches spread over two real `prefect worker` processes, none sent twice.

A real Prefect server subprocess (the suite's, SQLite), a process work pool of its own, the `send-email-chunk`
and `send-notices-fanout` deployments as prefect.yaml declares them, two `prefect worker start
--limit 1` processes and the SendGrid stand-in in its own process; the project database is the
test database (SQLite, or PostgreSQL with BREACH_TEST_DB_URL). The scaled-up version with
timings is bench/scale.py.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from prefect.settings import PREFECT_API_URL

from bench import _common as c
from bench.scale import Cluster, Procs, batch_claims, chunk_runs, run_fanout
from breach.audit import events_for
from breach.exceptions import NotApproved
from breach.facts import load_facts
from flows.runtime import runtime

pytestmark = pytest.mark.flows

PEOPLE = 2000  # two batches of 1,000: two chunk runs of one batch each, one per worker (--limit 1)


@pytest.fixture()
def cluster(rt, tmp_path, monkeypatch) -> Iterator[tuple[Cluster, str]]:
    """Stand-in, Prefect server, pool, deployments and two workers; every process stopped afterwards."""
    procs = Procs()
    with c.sendgrid_server() as host:
        monkeypatch.setenv("SENDGRID_API_KEY", c.API_KEY)
        monkeypatch.setenv("BREACH_SENDGRID_HOST", host)
        monkeypatch.setenv("BREACH_EMAIL_TIMEOUT", "30")
        runtime.cache_clear()
        try:
            cl = Cluster(procs, tmp_path, {"BREACH_HOME": str(c.REPO)}, query_seconds=1.0, pool="breach-fanout-test")
            # The suite's Prefect server (prefect_test_harness: a `uvicorn` subprocess on SQLite) serves the workers
            # too; a second fresh server would spend 15-90 s on its migrations. Its own pool keeps other tests' runs out.
            cl.use_server(PREFECT_API_URL.value())
            cl.create_pool()
            names = cl.start_workers(2, limit=1, wait=False)  # they start up while the deployments are registered
            cl.deploy()
            cl.wait_workers(names)
            yield cl, host
        finally:
            procs.stop_all()
            runtime.cache_clear()


def test_batches_spread_over_two_workers_and_nobody_is_sent_twice(cluster):
    cl, host = cluster
    incident_id = c.approved_incident(PEOPLE, seed=11)

    _seconds, result = run_fanout(cl.api_url, incident_id)  # one part per online worker

    stats = c.server_stats(host)
    assert c.delivery_states(incident_id) == {"accepted": PEOPLE}
    assert stats["recipients"] == PEOPLE and stats["duplicates"] == 0 and stats["max_per_address"] == 1
    assert result["email_batches"] == 2 and result["chunks"] == 2 and result["parts"] == 2 and result["failed_chunks"] == []
    runs = chunk_runs(cl.api_url, incident_id)
    with runtime().sessions() as session:  # the parts were created ahead: before the outbox was written
        [filled] = [e.at for e in events_for(session=session, incident_id=incident_id) if e.action == "outbox.filled"]
    assert all(r["created"] < filled for r in runs)
    assert len(runs) == 2 and {r["state"] for r in runs} == {"COMPLETED"}
    assert {r["worker"] for r in runs} == {"worker-1", "worker-2"}  # the chunks ran in both workers
    assert len({r["pid"] for r in runs}) == 2  # each chunk in its own flow-run process
    assigned = Counter(b for r in runs for b in r["batch_nos"])
    assert sorted(assigned) == [0, 1] and max(assigned.values()) == 1  # disjoint parts
    assert sorted((r["part"], r["parts"]) for r in runs) == [(0, 2), (1, 2)]
    assert batch_claims(incident_id) == {"batches": 2, "done": 2, "claimed_more_than_once": 0}

    # Run again: nothing is open, so no chunk run is started and nobody hears twice.
    _seconds, again = run_fanout(cl.api_url, incident_id)
    assert again["email_batches"] == 0 and again["chunks"] == 0
    assert c.server_stats(host)["recipients"] == PEOPLE
    assert len(chunk_runs(cl.api_url, incident_id)) == 2

    # Not approved: the parts created ahead are cancelled (they never saw an outbox), nobody hears anything.
    waiting = _unapproved_incident()
    with pytest.raises(NotApproved):
        run_fanout(cl.api_url, waiting)
    deadline = time.monotonic() + 240
    while {r["state"] for r in chunk_runs(cl.api_url, waiting)} != {"CANCELLED"} and time.monotonic() < deadline:
        time.sleep(0.5)
    # both parts cancelled; on a loaded machine a worker may still be ending a part's process (Cancelling)
    states = [r["state"] for r in chunk_runs(cl.api_url, waiting)]
    assert len(states) == 2 and set(states) <= {"CANCELLED", "CANCELLING"}, states
    assert c.server_stats(host)["recipients"] == PEOPLE


def _unapproved_incident() -> str:
    """An incident opened, assessed and drafted from the example facts, and not approved."""
    from flows.assess import assess_incident
    from flows.draft import draft_notices
    from flows.open_incident import open_incident

    facts = json.loads((c.REPO / "breach" / "examples" / "facts.json").read_text(encoding="utf-8"))
    facts["reference"] = f"FANOUT-UNAPPROVED-{time.time_ns()}"
    path = runtime().settings.data_dir / f"{facts['reference']}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(facts), encoding="utf-8")
    incident_id = open_incident(load_facts(path))
    assess_incident(incident_id)
    draft_notices(incident_id)
    return incident_id
