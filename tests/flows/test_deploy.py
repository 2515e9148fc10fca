"""The README's shared-installation commands register every deployment of prefect.yaml as declared."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.settings import PREFECT_API_URL

pytestmark = pytest.mark.flows

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))


def _prefect(*args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "BREACH_HOME": str(REPO)}
    env.pop("PREFECT_PROFILE", None)
    done = subprocess.run([PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"prefect {' '.join(args)}: {done.stdout[-2000:]}\n{done.stderr[-2000:]}"
    return done


def test_prefect_deploy_all_registers_every_deployment_in_prefect_yaml(tmp_path):
    declared = yaml.safe_load((REPO / "prefect.yaml").read_text(encoding="utf-8"))["deployments"]
    pool = declared[0]["work_pool"]["name"]
    template = subprocess.run([sys.executable, "-m", "flows.pool"], cwd=REPO, capture_output=True, text=True, timeout=120, check=True)
    (tmp_path / "pool.json").write_text(template.stdout, encoding="utf-8")
    _prefect("work-pool", "create", pool, "--type", "process", "--base-job-template", str(tmp_path / "pool.json"), "--overwrite")
    with get_client(sync_client=True) as client:  # flow runs start as this interpreter's engine, without a second process
        command = client.read_work_pool(pool).base_job_template["variables"]["properties"]["command"]["default"]
    assert command == shlex.join([sys.executable, "-m", "prefect.engine"])
    _prefect("--no-prompt", "deploy", "--all")
    found: dict = {}
    with get_client(sync_client=True) as client:
        try:
            found = {f"{client.read_flow(d.flow_id).name}/{d.name}": d for d in client.read_deployments()
                     if d.work_pool_name == pool}
            assert {name.split("/")[1] for name in found} == {d["name"] for d in declared}
            assert len(found) == len(declared) == 12
            watch = next(d for name, d in found.items() if name.endswith("/clock-watch"))
            assert [s.schedule.interval.total_seconds() for s in watch.schedules] == [300.0]
            assert {d.name: d.entrypoint for d in found.values()} == {d["name"]: d["entrypoint"] for d in declared}
            assert all(name.split("/")[0] == name.split("/")[1] for name in found)  # each deployment is named after its flow
            # the responder's Run form: the facts as a typed parameter, every field described, choices as enums
            for name in ("breach-response", "open-incident"):
                schema = next(d for n, d in found.items() if n.endswith(f"/{name}")).parameter_openapi_schema
                assert "facts" in schema["required"]
                facts = schema["definitions"]["Facts"]
                assert facts["additionalProperties"] is False and set(facts["required"]) == {"summary", "breach_types", "data_categories"}
                assert [k for k, v in facts["properties"].items() if not v.get("description")] == []
                assert "unknown" in facts["properties"]["cause"]["enum"]
                assert "health" in facts["properties"]["data_categories"]["items"]["enum"]
        finally:
            for d in found.values():
                client.delete_deployment(d.id)
            client.delete_work_pool(pool)
