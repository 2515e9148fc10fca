#!/usr/bin/env bash
# Install (if needed) and start a throwaway PostgreSQL on 127.0.0.1:5432 for the test suite.
# Prints the SQLAlchemy URL of an empty database on stdout.
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql) >&2
fi
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
PGDATA=${BREACH_PGDATA:-/tmp/breach-pg}
if ! pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null; then
  rm -rf "$PGDATA"
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  su postgres -c "$PGBIN/initdb -D $PGDATA -A trust -U postgres" >/dev/null
  su postgres -c "$PGBIN/pg_ctl -D $PGDATA -l $PGDATA/server.log -o '-c listen_addresses=127.0.0.1 -p 5432 -c fsync=off -c synchronous_commit=off -c max_connections=300' -w start" >/dev/null
fi
psql -h 127.0.0.1 -U postgres -qtc "DROP DATABASE IF EXISTS breach_test" >/dev/null
psql -h 127.0.0.1 -U postgres -qtc "CREATE DATABASE breach_test" >/dev/null
echo "postgresql+psycopg://postgres@127.0.0.1:5432/breach_test"
