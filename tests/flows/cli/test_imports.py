"""What each `breach` command loads before it works: Prefect and SQLAlchemy only where the command needs them.

Each command runs in a fresh interpreter (as from a terminal); the test reads `sys.modules` after it,
so it asserts the import set, not a timing (the cold-start seconds are in bench/latency.py).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
HEAVY = ("prefect", "sqlalchemy", "alembic", "jsonschema", "pendulum", "sendgrid", "reportlab", "jinja2", "cryptography",
         "flows.cli.console", "breach.assess", "breach.clock.regimes")

_PROBE = """
import json, sys
heavy = json.loads(sys.argv[2])
sys.argv = ["breach", *json.loads(sys.argv[1])]
from flows.cli.main import main
code = 0
try:
    main()
except SystemExit as exc:
    code = exc.code or 0
print("\\n" + json.dumps({"code": code, "loaded": sorted(name for name in heavy if name in sys.modules)}))
"""


def _loaded(args: list[str], tmp_path: Path) -> dict:
    """Run `breach ARGS` in a fresh interpreter; the exit code and which of HEAVY it imported."""
    env = {**os.environ, "BREACH_DATA_DIR": str(tmp_path / "data"), "BREACH_DB_URL": f"sqlite:///{tmp_path / 'data' / 'b.db'}",
           "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY)], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=120)
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [["--help"], ["assess", "--help"], ["status", "--help"], ["deadlines", "--help"]])
def test_help_loads_no_library_a_command_needs(args: list[str], tmp_path: Path) -> None:
    result = _loaded(args, tmp_path)
    assert result == {"code": 0, "loaded": []}


def test_assess_loads_no_database_and_no_prefect(tmp_path: Path) -> None:
    result = _loaded(["assess", str(REPO / "breach" / "examples" / "facts.json"), "--json"], tmp_path)
    assert result["code"] == 0
    needless = {"prefect", "sqlalchemy", "alembic", "sendgrid", "reportlab", "jinja2", "cryptography", "flows.cli.console"}
    assert not needless & set(result["loaded"])
    assert "jsonschema" in result["loaded"]  # the facts are checked against their schema: the probe sees real imports


def test_status_loads_the_database_but_not_prefect(tmp_path: Path) -> None:
    result = _loaded(["status", "BR-2026-0001"], tmp_path)
    assert result["code"] == 2  # no such incident in the fresh database: one clear error line, exit 2 (flows.cli.errors)
    assert "sqlalchemy" in result["loaded"]
    assert "prefect" not in result["loaded"]


def test_the_deadlines_default_zone_is_the_rules_default():
    from breach.clock import regimes
    from flows.cli import deadlines

    assert deadlines.DEFAULT_TIMEZONE == regimes.DEFAULT_TIMEZONE
