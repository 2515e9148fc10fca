"""The same path as the browser test, with plain HTTP calls, against a `prefect server` that demands a password.

An unauthenticated call is refused; the README's curl example opens the incident as written; bad facts are
refused by the API (schema) or fail the run with a message naming the field (nothing stored); the case file
is read from the API; the manager answers with POST /flow_runs/{id}/resume, a wrong code first; a repeated
call with the same reference finds the same incident.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select

from breach.approval import decisions as approval
from breach.store.tables import IncidentRow
from flows.cli.demo import code_from_outbox
from notices.sending.outbox import delivery_counts
from tests.conftest import REPO
from tests.factories import facts_doc, write_people_csv
from tests.support.live_prefect import MANAGER, LivePrefect, wait

pytestmark = [pytest.mark.flows, pytest.mark.sqlite_only]  # its own SQLite file: the PostgreSQL pass would only repeat it

AUTH = "admin:rest-test-password"
PEOPLE = [["Ulla Ui", "da", "ulla@example.com", "", "Nørregade 7", "1165", "København K", "DK"]]


def readme_curl_block() -> str:
    """The bash block of the README's "Over the REST API" section."""
    section = (REPO / "README.md").read_text(encoding="utf-8").split("### Over the REST API", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"```bash\n(.*?)```", section, flags=re.S)[0]


def _logged(live: LivePrefect, run_id: str, text: str) -> str:
    """The run's log once it holds ``text`` (log lines reach the server in batches, shortly after the state)."""
    body = {"logs": {"flow_run_id": {"any_": [run_id]}}, "sort": "TIMESTAMP_ASC"}

    def logs() -> str | None:
        joined = "\n".join(entry["message"] for entry in live.post("/logs/filter", body).json())
        return joined if text in joined else None
    return str(wait(f"{text!r} in the log of {run_id}", logs, 30, live.worker))


def _incidents(live: LivePrefect, reference: str) -> list[str]:
    with live.sessions()() as session:
        return list(session.execute(select(IncidentRow.id).where(IncidentRow.reference == reference)).scalars())


def _resume(live: LivePrefect, run_id: str, code: str) -> None:
    answer = {"decision": "approve", "approver": MANAGER, "code": code, "comment": "over the API"}
    for attempt in range(6):  # 503: Prefect's own database was busy (SQLite locked); a client tries again, as Prefect's does
        result = live.post(f"/flow_runs/{run_id}/resume", {"run_input": answer})
        if result.status_code != 503:
            break
        time.sleep(0.5 * 2 ** attempt)
    assert result.status_code in (200, 201) and result.json()["status"] == "ACCEPT", result.text


def test_the_whole_path_over_the_rest_api_behind_a_password(tmp_path: Path) -> None:
    reference = f"API-{time.time_ns()}"
    (tmp_path / "facts.json").write_text(json.dumps(facts_doc(reference=reference)), encoding="utf-8")
    write_people_csv(tmp_path / "people.csv", PEOPLE)
    with LivePrefect(tmp_path, auth=AUTH) as live:
        # a shared server refuses callers without the password
        served = f"{live.api}/deployments/name/breach-response/breach-response"
        assert httpx.get(served, timeout=10).status_code == 401
        assert httpx.get(served, auth=("admin", "wrong"), timeout=10).status_code == 401
        assert httpx.post(f"{live.api}/flow_runs/filter", json={}, timeout=10).status_code == 401

        # the README's curl example, as written (its export line names the reader's server; ours is in the environment)
        script = "\n".join(line for line in readme_curl_block().splitlines() if not line.startswith("export "))
        env = dict(os.environ, PREFECT_API_URL=live.api, PREFECT_API_AUTH_STRING=AUTH)
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        run_id = json.loads(done.stdout)["id"]
        paused = live.wait_paused(run_id)
        [incident_id] = _incidents(live, reference)

        # bad facts: the API refuses what the schema refuses, naming the field; the run fails on what only the facts checks see
        deployment = f"/deployments/{live.deployment_id()}/create_flow_run"
        missing = live.post(deployment, {"parameters": {"facts": {k: v for k, v in facts_doc().items() if k != "summary"}}})
        assert missing.status_code == 409 and "'summary' is a required property" in missing.text
        no_offset = facts_doc(reference=f"{reference}-bad", aware_at="2026-11-20T09:30:00")
        local_time = live.post(deployment, {"parameters": {"facts": no_offset}})
        assert local_time.status_code == 201, local_time.text
        failed = live.wait_final(local_time.json()["id"])
        assert failed["type"] == "FAILED"
        assert failed["message"].startswith("invalid facts, nothing was stored: aware_at: must be an RFC 3339 date-time with a time-zone")
        _logged(live, local_time.json()["id"], "invalid facts, nothing was stored: aware_at: must be an RFC 3339 date-time")
        assert _incidents(live, f"{reference}-bad") == []

        # the case file, read over the API
        case_file = live.latest_case_file(incident_id)["data"]
        assert "## Verdict" in case_file and "#### subject_notice / da / email" in case_file and "Kære Mette Eksempel" in case_file

        # the manager answers over the API: a wrong code is refused and the form asks again; the right one sends
        code, _ = code_from_outbox(live.data_dir / "outbox", incident_id)
        _resume(live, run_id, f"{(int(code) + 1) % 10**8:08d}")
        live.wait_paused(run_id, after=paused["id"])
        _resume(live, run_id, code)
        assert live.wait_final(run_id)["type"] == "COMPLETED", live.logs()

        # the same alert again: the same incident, facts unchanged, nobody told twice
        same = {"facts": facts_doc(reference=reference), "people_path": str(tmp_path / "people.csv")}
        again = live.post(deployment, {"parameters": same})
        assert live.wait_final(again.json()["id"])["type"] == "COMPLETED", live.logs()
        _logged(live, again.json()["id"], f"reference {reference} is already incident {incident_id}; its facts are unchanged (version 1)")
    with live.sessions()() as session:
        assert approval.require_approved(session=session, incident_id=incident_id).proof == "code"
        assert delivery_counts(session=session, incident_id=incident_id) == {"email": {"accepted": 1}}
        assert session.execute(select(func.count()).select_from(IncidentRow)).scalar_one() == 1
