#!/usr/bin/env bash
# The test suite: everything on SQLite, then the database and Prefect tests again on PostgreSQL
# (a throwaway server on 127.0.0.1, installed and started by .ci/start-postgres.sh when root can).
set -uo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
[ -x "$PY" ] || { echo "no .venv: run the install command from README.md first" >&2; exit 2; }
# Nothing the suite needs may be missing: a missing tool or fixture is a failure, never a skip.
bash scripts/system-packages.sh || exit 2
"$PY" scripts/sync_fixtures.py || { echo "the copied fixtures are incomplete (tests/fixtures/MANIFEST.json)" >&2; exit 2; }
status=0
# Tests that start (and kill) Prefect servers of their own (marker own_server) run in pytest processes of their own.
RESTART=tests/flows/test_machine_restart.py
echo "== tests on SQLite =="
"$PY" -m pytest -q -m "not own_server" "$@" || status=$?
echo "== crash-and-resume test (its own Prefect server, so its own process) =="
"$PY" -m pytest -q -m own_server tests/flows/test_send_faults.py "$@" || status=$?
echo "== whole-machine restart test (its own Prefect server, so its own process) =="
"$PY" -m pytest -q "$RESTART" "$@" || status=$?
if PG_URL=$(bash .ci/start-postgres.sh 2>/dev/null) && [ -n "$PG_URL" ]; then
  echo "== database and flow tests on PostgreSQL =="
  BREACH_TEST_DB_URL="$PG_URL" "$PY" -m pytest -q -m "(integration or flows) and not own_server and not sqlite_only" "$@" || status=$?
  echo "== whole-machine restart test on PostgreSQL =="
  BREACH_TEST_DB_URL="$PG_URL" "$PY" -m pytest -q "$RESTART" "$@" || status=$?
else
  echo "!! PostgreSQL could not be started here (.ci/start-postgres.sh): the PostgreSQL pass failed" >&2
  status=1
fi
exit $status
