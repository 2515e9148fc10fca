"""The process work pool's job template: Prefect's own, with the flow-run command set to this interpreter.

A process worker whose job template names no command starts each flow run through Prefect's
workspace supervisor: one interpreter that prepares the workspace (installing its dependencies
when it is a uv project) and then starts a second one for the flow run, each importing Prefect.
Our workers run from a checkout whose interpreter already has everything installed, so the pool
names that interpreter's engine as the command and each flow run starts one process, not two:
measured with bench/scale.py (200,000 people, 2 workers, PostgreSQL, 2026-12-05), a chunk run's
Pending -> Running took 3.3 s instead of 4.3-4.5 s. Every worker of the pool must have the
project's interpreter at the same path (a checkout at the same place, as prefect.yaml's pull step
`BREACH_HOME` assumes too); a deployment can still name another command in its job variables.

    python -m flows.pool > pool.json
    prefect work-pool create breach-process --type process --base-job-template pool.json
"""

from __future__ import annotations

import json
import shlex
import sys
from typing import Any


def process_pool_template(python: str | None = None) -> dict[str, Any]:
    """Prefect's default process job template with the command defaulting to ``python -m prefect.engine``
    (``python``: this interpreter unless named)."""
    from prefect.workers.process import ProcessWorker

    template = ProcessWorker.get_default_base_job_template()
    template["variables"]["properties"]["command"]["default"] = shlex.join([python or sys.executable, "-m", "prefect.engine"])
    return template


if __name__ == "__main__":
    print(json.dumps(process_pool_template(sys.argv[1] if len(sys.argv) > 1 else None), indent=2))
